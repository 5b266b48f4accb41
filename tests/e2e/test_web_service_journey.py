"""Set Up Web Service and Deploy from the canvas, in headless Chromium, with the real worker."""

import httpx
import pytest

from experiments.datasets import samples_load
from experiments.models import Dataset, Experiment
from tests.e2e.test_canvas_mount import sign_in
from tests.experiments.helpers import run_now
from tests.experiments.test_runs import income_graph
from webservices.models import Endpoint, WebService
from webservices.services import key_hash

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ADULT = "Adult Census Income Binary Classification dataset"


def test_set_up_predictive_opens_the_predictive_tab_then_deploy_shows_the_dashboard(page, owner, studio_server, worker):
    samples_load([ADULT])
    training = Experiment.objects.create(workspace=owner.workspace, name="Income prediction",
                                         graph=income_graph(Dataset.objects.get(name=ADULT).pk))
    run_now(owner.workspace, training.graph, experiment=training)
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/experiments/{training.pk}/")
    page.get_by_test_id("node-train").wait_for()

    page.get_by_test_id("setup-web-service-button").click()
    page.get_by_test_id("setup-predictive").click()
    page.get_by_test_id("setup-summary").wait_for()
    predictive = Experiment.objects.get(kind="predictive")
    page.wait_for_url(f"**/experiments/{predictive.pk}/")
    assert page.get_by_test_id("tab-predictive").get_attribute("aria-selected") == "true"
    summary = page.get_by_test_id("setup-summary").inner_text()
    assert "Evaluate Model is removed" in summary and "replaced" in summary
    page.get_by_test_id("node-web-service-output").wait_for()
    assert page.get_by_test_id("node-split").count() == 0 and page.get_by_test_id("node-evaluate").count() == 0
    # The frozen model's node shows the saved model's name, and what kind of node it is.
    assert page.get_by_test_id("node-train").inner_text().startswith("Income prediction [trained model]")
    assert page.get_by_test_id("summary-train").inner_text().startswith("Trained Model · ")
    page.get_by_test_id("setup-summary").get_by_role("button", name="Dismiss summary").click()
    assert page.get_by_test_id("setup-summary").count() == 0

    page.get_by_test_id("run-button").click()
    page.wait_for_selector('[data-testid="node-score"][data-status="finished"]', timeout=90000)
    page.wait_for_selector('[data-testid="node-web-service-output"][data-status="finished"]', timeout=30000)
    page.get_by_test_id("deploy-button").click()
    page.wait_for_url(f"{studio_server.url}/web-services/*/")
    service = WebService.objects.get()
    assert page.get_by_test_id("web-service-name").inner_text() == "Income prediction [predictive exp.]"
    assert page.get_by_test_id("endpoint-default").is_visible()
    key = page.get_by_test_id("new-primary-key").input_value()
    assert Endpoint.objects.get(service=service, is_default=True).primary_key_hash == key_hash(key)
    page.reload()  # the keys are shown once
    assert page.get_by_test_id("new-keys").is_hidden()
    assert key[:4] in page.get_by_test_id("endpoint-default").inner_text()

    # The endpoint page: help, the Test form built from the input schema, usage after a real call.
    endpoint = Endpoint.objects.get(service=service, is_default=True)
    sample = service.current.sample["input1"]
    url = f"{studio_server.url}/workspaces/{owner.workspace.pk}/services/{endpoint.endpoint_id}/execute?api-version=2.0"
    assert httpx.post(url, json={"Inputs": {"input1": sample}}, headers={"Authorization": f"Bearer {key}"}).is_success
    page.get_by_test_id("endpoint-link-default").click()
    page.get_by_test_id("test-input-age").wait_for()
    age = sample["Values"][0][sample["ColumnNames"].index("age")]
    assert page.get_by_test_id("test-input-age").input_value() == age
    page.get_by_test_id("test-submit").click()
    page.get_by_test_id("test-result").get_by_text("Scored Probabilities").first.wait_for()
    page.wait_for_timeout(1500)  # the server writes usage within a second
    page.reload()
    page.get_by_test_id("usage-chart").locator("svg").wait_for()
    assert page.get_by_test_id("usage-summary").inner_text().startswith(  # the RRS call and the Test form's
        "2 calls, 0 errors in the last hour, 1 of them from the Test form")

    page.goto(f"{studio_server.url}/web-services/")
    assert "Income prediction [predictive exp.]" in page.get_by_test_id("web-services-list").inner_text()
