"""Lifecycle in the browser (issue 15, item 8): Roll back asks first, naming the version it goes back to;
a web service is deleted from its page after a confirmation that names it and says what happens; deleting a
deployed experiment from the list names its web service first."""

from __future__ import annotations

import io

import httpx
import pytest
from django.core.files.storage import default_storage

from experiments.models import Experiment
from tests.e2e.test_canvas_mount import sign_in
from tests.webservices.test_deploy import income, publish  # noqa: F401 (fixture)
from webservices import storage
from webservices.endpoints import endpoint_put, resource_patch
from webservices.models import WebService

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def answer_next_dialog(page, accept: bool) -> list[str]:
    """Answer the page's next dialog; the list gets its message."""
    said: list[str] = []

    def handle(dialog):
        said.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", handle)
    return said


def test_roll_back_asks_first_naming_the_version_it_goes_back_to(page, api, owner, income, studio_server):  # noqa: F811
    training, _ = income
    publish(api, owner, training)
    service = WebService.objects.get()
    canary = endpoint_put(service=service, name="canary", body={}).endpoint
    resource = next(r for r in service.current.resources if r["Kind"] == "TrainedModel")
    with open(default_storage.path(resource["Path"]), "rb") as handle:
        storage.write(owner.workspace.pk, "models/canary.ilearner", io.BytesIO(handle.read()))
    resource_patch(endpoint=canary, body={"Resources": [{"Name": resource["Name"], "Location": {
        "RelativeLocation": "models/canary.ilearner",
        "SasBlobToken": storage.sas_token(str(owner.workspace.pk), "models/canary.ilearner")}}]})
    deployed = canary.resource_versions.get(how="deploy")
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/web-services/{service.pk}/endpoints/canary/")
    page.get_by_test_id("version-patch-active").wait_for()
    roll_back = page.get_by_test_id("version-deploy").get_by_role("button", name="Roll back")

    said = answer_next_dialog(page, accept=False)
    roll_back.click()
    assert len(said) == 1
    since = deployed.created.strftime("%Y-%m-%d %H:%M:%S")
    assert said[0].startswith(f"Roll back the endpoint canary to the deploy model of {since} UTC "
                              f"(sha256 {deployed.sha256[:12]}")
    page.wait_for_timeout(500)  # what a click that went through would have had time to change
    assert canary.resource_versions.get(active=True).how == "patch"
    assert page.get_by_test_id("version-patch-active").is_visible()

    said = answer_next_dialog(page, accept=True)
    roll_back.click()
    page.get_by_test_id("version-deploy-active").wait_for()
    assert len(said) == 1 and canary.resource_versions.get(active=True).pk == deployed.pk


def test_a_web_service_is_deleted_from_its_page_after_a_confirmation_naming_it(page, api, owner, income,  # noqa: F811
                                                                               studio_server):
    training, _ = income
    predictive, _, answer = publish(api, owner, training)
    service = WebService.objects.get()
    key, endpoint = answer["endpoint"]["PrimaryKey"], service.endpoints.get()
    url = f"{studio_server.url}/workspaces/{owner.workspace.pk}/services/{endpoint.endpoint_id}/execute?api-version=2.0"
    body = {"Inputs": {"input1": service.current.sample["input1"]}, "GlobalParameters": {}}
    assert httpx.post(url, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30).status_code == 200
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/web-services/{service.pk}/")

    said = answer_next_dialog(page, accept=False)
    page.get_by_test_id("delete-web-service").click()
    assert said and said[0].startswith(f"Delete the web service {service.label}? Its 1 endpoint (default) stop")
    assert "every key is revoked at once" in said[0] and f"Kept: the experiment '{predictive.name}'" in said[0]
    assert page.url == f"{studio_server.url}/web-services/{service.pk}/"
    assert WebService.objects.filter(pk=service.pk).exists()

    answer_next_dialog(page, accept=True)
    page.get_by_test_id("delete-web-service").click()
    page.wait_for_url(f"{studio_server.url}/web-services/")
    assert f"Deleted the web service {service.label}" in page.get_by_role("status").first.inner_text()
    assert page.get_by_test_id(f"web-service-row-{service.pk}").count() == 0
    assert httpx.post(url, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30).status_code == 401
    assert Experiment.objects.filter(pk__in=[training.pk, predictive.pk]).count() == 2


def test_deleting_a_deployed_experiment_from_the_list_names_its_web_service(page, api, owner, income,  # noqa: F811
                                                                             studio_server):
    training, _ = income
    predictive, _, _ = publish(api, owner, training)
    service = WebService.objects.get()
    sign_in(page, studio_server, owner)
    row = page.get_by_test_id(f"experiment-row-{predictive.pk}")
    assert f"{service.name} #{service.pk}" in row.inner_text()  # the Web service column names it

    said = answer_next_dialog(page, accept=False)
    page.get_by_test_id(f"delete-{predictive.pk}").click()
    assert said[0].startswith(f"Delete the experiment '{predictive.name}' and its runs? It is deployed as the web "
                              f"service {service.label}: the service keeps running")
    assert Experiment.objects.filter(pk=predictive.pk).exists()

    said = answer_next_dialog(page, accept=False)
    page.get_by_test_id(f"delete-{training.pk}").click()
    assert f"Its predictive experiment '{predictive.name}' is deployed as the web service {service.label}" in said[0]

    answer_next_dialog(page, accept=True)
    page.get_by_test_id(f"delete-{predictive.pk}").click()
    page.get_by_text(f"Deleted '{predictive.name}'.").wait_for()
    assert not Experiment.objects.filter(pk=predictive.pk).exists()
    assert WebService.objects.filter(pk=service.pk, experiment__isnull=True).exists()  # kept, running
