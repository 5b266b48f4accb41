"""Retraining from the studio's pages (issue 15, item 7), through the studio API with the real worker: submit and
start a job as the studio, watch it, download its outputs with their tokens, see which predictive endpoints its
model fits, and apply it with Update Resource; every refusal worded, other workspaces 404. A retraining service's
help is batch help whose Python, curl and R samples run as shown."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pandas as pd
import pytest
from django.test import Client

from experiments.datasets import dataset_table
from experiments.models import Dataset
from experiments.modules.framework.artifacts import TrainedModel
from tests.experiments.helpers import run_now
from tests.webservices.test_deploy import deploy, income, publish, setup  # noqa: F401 (fixture)
from tests.webservices.test_help_samples import rscript
from webservices import storage
from webservices.batch import job_submit
from webservices.endpoints import endpoint_put
from webservices.models import BatchJob, Endpoint, WebService
from webservices.services import key_regenerate

pytestmark = pytest.mark.django_db(transaction=True)
ADULT = "Adult Census Income Binary Classification dataset"


def training_csv(rows: int) -> bytes:
    return dataset_table(Dataset.objects.get(name=ADULT)).frame.head(rows).to_csv(index=False).encode()


@pytest.fixture
def services(api, owner, income):  # noqa: F811
    """The income model deployed as a predictive service, and its training experiment as a retraining one."""
    training, _ = income
    _, _, scoring = publish(api, owner, training)
    assert setup(api, training, kind="retraining").status_code == 200
    training.refresh_from_db()
    run_now(owner.workspace, training.graph, experiment=training)
    retraining = deploy(api, training).json()
    return (WebService.objects.get(pk=scoring["web_service"]), WebService.objects.get(pk=retraining["web_service"]))


def watch(api, url, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.get(url).json()
        if job["StatusCode"] not in ("NotStarted", "Running"):
            return job
        time.sleep(0.5)
    pytest.fail(f"the job did not end within {timeout} s: {job}")


def test_a_member_submits_watches_downloads_and_applies_a_retraining_job(services, api, owner, worker):
    predictive, retraining = services
    storage.write(str(owner.workspace.pk), "training/adult-3000.csv", io.BytesIO(training_csv(3000)))
    jobs = f"/api/web-services/{retraining.pk}/endpoints/default/jobs/"
    started = api.post(jobs, {"Inputs": {"input1": {"RelativeLocation": "training/adult-3000.csv"}}}, format="json")
    assert started.status_code == 201, started.json()
    assert started.json()["StatusCode"] == "Running"
    assert [(o["name"], o["model"], o["url"]) for o in started.json()["outputs"]] == [
        ("output1", True, None), ("output2", False, None)]

    job = watch(api, f"{jobs}{started.json()['id']}/")
    assert job["StatusCode"] == "Finished" and job["Details"] == "Trained on 3000 rows.", job
    assert job["metrics"]["AUC"] > 0.8
    model_url = next(o["url"] for o in job["outputs"] if o["model"])
    assert "sig=" in model_url
    downloaded = Client().get(urlsplit(model_url).path + "?" + urlsplit(model_url).query)  # the token alone opens it
    assert downloaded.status_code == 200
    data = b"".join(downloaded.streaming_content)
    assert TrainedModel.described(data, require_signature=True).info["job"] == job["id"]
    assert [j["id"] for j in api.get(jobs).json()] == [job["id"]]

    # The predictive service trained by the same experiment fits; it has no endpoint to patch yet.
    targets = api.get(f"{jobs}{job['id']}/targets/").json()
    assert targets == [{"web_service": predictive.pk, "name": predictive.name, "resource": targets[0]["resource"],
                        "linked": True, "fits": True, "reason": "", "endpoints": []}]
    endpoint_put(service=predictive, name="retrained", body={})
    assert api.get(f"{jobs}{job['id']}/targets/").json()[0]["endpoints"] == ["retrained"]

    apply = f"{jobs}{job['id']}/apply/"
    refused = api.post(apply, {"web_service": predictive.pk, "endpoint": "default"}, format="json")
    assert refused.status_code == 400 and "default endpoint always serves" in refused.json()["detail"]
    assert Endpoint.objects.get(service=predictive, is_default=True).resources == []
    applied = api.post(apply, {"web_service": predictive.pk, "endpoint": "retrained"}, format="json")
    assert applied.status_code == 200, applied.json()
    version = applied.json()["version"]
    assert (version["how"], version["active"], version["sha256"]) == ("patch", True, hashlib.sha256(data).hexdigest())
    assert version["source"] == next(o["location"] for o in job["outputs"] if o["model"])
    assert [(h["how"], h["active"]) for h in applied.json()["history"]] == [("patch", True), ("deploy", False)]
    assert Endpoint.objects.get(service=predictive, name="retrained").resources[0]["Sha256"] == version["sha256"]


def test_job_routes_word_their_refusals_and_answer_other_workspaces_404(services, api, owner, outsider_api):
    predictive, retraining = services
    jobs = f"/api/web-services/{retraining.pk}/endpoints/default/jobs/"
    missing = api.post(jobs, {"Inputs": {"input1": {"RelativeLocation": "training/none.csv"}}}, format="json")
    assert missing.status_code == 400
    assert missing.json() == {"detail": "Input 'input1': no file at 'training/none.csv' in the workspace storage; "
                                        "upload it first.",
                              "errors": [{"parameter": "input1", "message": missing.json()["detail"]}]}
    storage.write(str(owner.workspace.pk), "training/small.csv", io.BytesIO(training_csv(50)))
    wrong = api.post(jobs, {"Inputs": {"input1": {"RelativeLocation": "training/small.csv"}},
                            "Outputs": {"output1": {"RelativeLocation": "results/model.csv"},
                                        "output2": {"RelativeLocation": "results/evaluation.csv"}}}, format="json")
    assert wrong.status_code == 400 and "must end in .ilearner" in wrong.json()["detail"]

    waiting = job_submit(endpoint=retraining.endpoints.get(), body={
        "Inputs": {"input1": {"RelativeLocation": "training/small.csv"}}}, by=storage.STUDIO)
    url = f"{jobs}{waiting.job_id}/"
    early = api.get(f"{url}targets/")
    assert early.status_code == 409 and early.json()["detail"] == (
        f"Job {waiting.job_id} is NotStarted; its model can be applied once it has finished.")
    assert api.post(f"{url}apply/", {}, format="json").json()["detail"].startswith("Give the predictive service's id")
    nowhere = api.post(f"{url}apply/", {"web_service": predictive.pk, "endpoint": "nope"}, format="json")
    assert nowhere.status_code == 404 and nowhere.json()["detail"] == (
        f"No endpoint 'nope' of a web service {predictive.pk} in this workspace.")

    # Another workspace: every route of the owner's job is a 404, and nothing changes.
    for method, path in [("get", jobs), ("post", jobs), ("get", url), ("delete", url), ("get", f"{url}targets/"),
                         ("post", f"{url}apply/")]:
        answer = getattr(outsider_api, method)(path, {"web_service": predictive.pk, "endpoint": "default"},
                                               format="json")
        assert answer.status_code == 404, (method, path, answer.status_code)
    assert BatchJob.objects.get(pk=waiting.pk).status == "NotStarted"

    cancelled = api.delete(url)
    assert cancelled.status_code == 200 and cancelled.json()["StatusCode"] == "Cancelled"

    # A predictive service's job returns tables, no model to apply.
    scoring = job_submit(endpoint=predictive.endpoints.get(), body={
        "Inputs": {"input1": {"RelativeLocation": "training/small.csv"}}}, by=storage.STUDIO)
    none = api.get(f"/api/web-services/{predictive.pk}/endpoints/default/jobs/{scoring.job_id}/targets/")
    assert none.status_code == 400 and "returned no trained model" in none.json()["detail"]


def test_a_retraining_services_page_gives_batch_help_whose_python_curl_and_r_samples_run(
        services, owner_client, owner, studio_server, worker, tmp_path):
    _, retraining = services
    page = owner_client.get(f"/web-services/{retraining.pk}/endpoints/default/")
    content = page.content.decode()
    help_ = page.context["help"]
    assert help_["batch"] and set(help_["code"]) == {"Python", "curl", "R"}
    assert "/execute" not in content and 'data-testid="test-form"' not in content
    assert help_["request"]["Outputs"]["output1"]["RelativeLocation"] == "results/output1.ilearner"
    key = key_regenerate(endpoint=retraining.endpoints.get(is_default=True), which="primary")
    code = help_["code"]["Python"].replace("<your API key>", key).replace("http://testserver", studio_server.url)
    (tmp_path / "training.csv").write_bytes(training_csv(400))
    (tmp_path / "sample.py").write_text(code)
    done = subprocess.run([sys.executable, "sample.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Finished Trained on 400 rows."), done.stdout
    TrainedModel.described((tmp_path / "output1.ilearner").read_bytes(), require_signature=True)
    assert pd.read_csv(tmp_path / "output2.csv")["AUC"].iloc[0] > 0.5

    # The R steps, as shown, in a directory of their own: a job of their own to the end, both outputs downloaded.
    r_dir = tmp_path / "r"
    r_dir.mkdir()
    (r_dir / "training.csv").write_bytes(training_csv(300))
    (r_dir / "sample.R").write_text(
        help_["code"]["R"].replace("<your API key>", key).replace("http://testserver", studio_server.url))
    done = subprocess.run([rscript(), "sample.R"], cwd=r_dir, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Finished Trained on 300 rows."), done.stdout
    TrainedModel.described((r_dir / "output1.ilearner").read_bytes(), require_signature=True)
    assert pd.read_csv(r_dir / "output2.csv")["AUC"].iloc[0] > 0.5

    # The curl steps, as shown: upload, submit (the job id kept in $JOB), start, status.
    curl = help_["code"]["curl"].replace("<your API key>", key).replace("http://testserver", studio_server.url)
    done = subprocess.run(["bash", "-ec", curl], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout[done.stdout.rindex("{\"StatusCode\""):])
    assert status["StatusCode"] in ("Running", "Finished"), status
