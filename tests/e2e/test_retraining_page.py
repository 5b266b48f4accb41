"""Retraining entirely in the page (issue 15, item 7), in headless Chromium against the real server and worker:
upload training data with a progress bar, run a job on the retraining service, watch it to Finished, download the
trained model, and apply it to a non-default endpoint of the predictive service; a refusal of Update Resource is
shown as the server words it; then that endpoint serves the new model. A retraining service's endpoint page gives
batch help, never an RRS sample or a Test form."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from experiments.datasets import dataset_table
from experiments.models import Dataset
from experiments.modules.framework.artifacts import TrainedModel
from studio.models import StorageFile
from tests.e2e.test_canvas_mount import sign_in
from tests.webservices.test_deploy import income  # noqa: F401 (fixture)
from tests.webservices.test_studio_jobs import ADULT, services, training_csv  # noqa: F401 (fixture)
from webservices import storage
from webservices.endpoints import endpoint_put, updatable
from webservices.models import Endpoint

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Every text the upload's status line and the job's status badge show, in order, as the page writes them.
RECORD = """([status, badge]) => {
  window.seen = { status: [], badge: [] };
  const watch = (node, into) => new MutationObserver(() => into.push(node.textContent)).observe(
    node, { childList: true, characterData: true, subtree: true });
  watch(document.querySelector(status), window.seen.status);
  new MutationObserver(() => {
    const shown = document.querySelector(badge)?.textContent;
    if (shown && window.seen.badge.at(-1) !== shown) window.seen.badge.push(shown);
  }).observe(document.body, { childList: true, subtree: true, characterData: true });
}"""


def classic(rows) -> dict:
    return {"Inputs": {"input1": {"ColumnNames": list(rows.columns), "Values": [
        ["" if value != value else str(value) for value in row] for row in rows.itertuples(index=False)]}}}


def probabilities(answer: dict) -> list[str]:
    return [row[-1] for row in answer["Results"]["output1"]["value"]["Values"]]


def test_upload_run_watch_download_and_apply_in_the_page(page, api, owner, services, studio_server, worker,  # noqa: F811
                                                         tmp_path):
    predictive, retraining = services
    added = endpoint_put(service=predictive, name="retrained", body={})
    data = tmp_path / "adult census (3000 rows).csv"
    data.write_bytes(training_csv(3000))
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/web-services/{retraining.pk}/")
    page.evaluate(RECORD, ["[data-testid=upload-status]", "[data-testid=job-status]"])

    # 1. Upload: the progress bar reaches 100 %, the file is in the workspace storage byte for byte.
    page.get_by_test_id("upload-file").set_input_files(str(data))
    expect(page.get_by_test_id("upload-location")).to_have_value("training/adult-census-3000-rows-.csv")
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-status")).to_contain_text("Uploaded training/adult-census-3000-rows-.csv")
    assert "Uploading… 100 %" in page.evaluate("window.seen.status")
    expect(page.get_by_test_id("upload-progress")).to_have_attribute("value", "100")
    stored = StorageFile.objects.get(workspace=owner.workspace, location="training/adult-census-3000-rows-.csv")
    assert stored.sha256 == hashlib.sha256(data.read_bytes()).hexdigest() and stored.service_id is None

    # 2. Run the job on it and watch it live to Finished.
    expect(page.get_by_test_id("job-input")).to_have_value("training/adult-census-3000-rows-.csv")
    page.get_by_test_id("job-submit").click()
    expect(page.get_by_test_id("job-status")).to_have_text("Finished", timeout=240_000)
    badges = page.evaluate("window.seen.badge")
    assert badges[0] == "Running" and badges[-1] == "Finished", badges
    expect(page.get_by_test_id("job-details")).to_have_text("Trained on 3000 rows.")
    expect(page.get_by_test_id("job-metrics")).to_contain_text("AUC 0.")

    # 3. Download the trained model with its token.
    with page.expect_download() as download:
        page.get_by_test_id("job-output-output1").click()
    model = Path(download.value.path()).read_bytes()
    assert TrainedModel.described(model, require_signature=True).info["trained_rows"] == 3000

    # 4. Apply it: the only endpoint offered is the predictive service's non-default one. A refusal of Update
    # Resource (here: the job's file replaced by something that is not this studio's model) is shown as worded.
    target = page.get_by_test_id("apply-target")
    assert target.locator("option:not([disabled])").all_inner_texts() == [
        f"retrained — {updatable(predictive)[0]['Name']}"]
    location = next(iter(v for v in retraining.endpoints.get().jobs.get().outputs.values() if v.endswith(".ilearner")))
    storage.write(str(owner.workspace.pk), location, io.BytesIO(b"not a model"))
    page.get_by_test_id("apply-submit").click()
    refusal = page.get_by_test_id("apply-message")
    expect(refusal).to_have_attribute("role", "alert")
    expect(refusal).to_contain_text(f"'{location}' is not a usable trained model")
    assert Endpoint.objects.get(pk=added.endpoint.pk).resources == []
    storage.write(str(owner.workspace.pk), location, io.BytesIO(model))
    page.get_by_test_id("apply-submit").click()
    expect(page.get_by_test_id("applied-endpoint")).to_have_text("retrained")
    history = page.get_by_test_id("apply-history").locator("tbody tr")
    expect(history).to_have_count(2)
    assert history.nth(0).locator("td").nth(1).inner_text() == "patch (serving)"
    assert history.nth(0).locator("td").nth(2).inner_text() == location
    assert history.nth(1).locator("td").nth(1).inner_text() == "deploy"

    # The endpoint serves the new model: its file, and scores that differ from the default endpoint's.
    patched = Endpoint.objects.get(pk=added.endpoint.pk)
    assert patched.resources[0]["Sha256"] == hashlib.sha256(model).hexdigest()
    body = classic(dataset_table(Dataset.objects.get(name=ADULT)).frame.drop(columns=["income"]).tail(30))
    url = f"{studio_server.url}/workspaces/{owner.workspace.pk}/services/{patched.endpoint_id}/execute?api-version=2.0"
    retrained = httpx.post(url, json=body, headers={"Authorization": f"Bearer {added.keys.primary}"}, timeout=30)
    assert retrained.status_code == 200, retrained.text
    default = api.post(f"/api/web-services/{predictive.pk}/endpoints/default/test/", body, format="json")
    assert probabilities(retrained.json()) != probabilities(default.json())

    # The endpoint's own page shows the same history.
    page.get_by_test_id("applied-endpoint").click()
    page.get_by_test_id("version-patch-active").wait_for()


def test_a_retraining_services_endpoint_page_has_batch_help_and_no_rrs_sample_or_test_form(page, owner, services,  # noqa: F811
                                                                                          studio_server):
    _, retraining = services
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/web-services/{retraining.pk}/endpoints/default/")
    expect(page.get_by_test_id("batch-help")).to_be_visible()
    for absent in ("test-form", "sample-request", "sample-response", "rrs-url", "swagger-link"):
        assert page.get_by_test_id(absent).count() == 0, absent
    assert "/jobs?api-version=2.0" in page.get_by_test_id("bes-url").inner_text()
    assert '"RelativeLocation": "results/output1.ilearner"' in page.get_by_test_id("sample-job").inner_text()
    assert "requests.put(storage" in page.get_by_test_id("code-python").inner_text()
    page.get_by_test_id("batch-help").get_by_role("link", name="in the page").click()
    page.get_by_test_id("retrain-panel").wait_for()
