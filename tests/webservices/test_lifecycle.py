"""A web service's end (issue 15, item 8): DELETE /api/web-services/{id}/ revokes every key at once, in every
web process (the real server has the scorer cached), cancels unfinished batch jobs, removes its schedules and
keeps its experiments, saved models and storage files. Deleting a deployed experiment is refused with the
services named unless confirmed. Keys regenerated or endpoints deleted stop working at once too."""

from __future__ import annotations

import io
from html import unescape

import httpx
import pytest

from experiments.models import Asset, Experiment
from studio.models import StorageFile
from tests.webservices.test_deploy import income, publish  # noqa: F401 (fixture)
from webservices import storage
from webservices.batch import job_submit
from webservices.deletion import web_service_delete
from webservices.endpoints import endpoint_delete, endpoint_put
from webservices.models import BatchJob, Endpoint, RetrainingSchedule, WebService
from webservices.scoring import served as scoring
from webservices.services import key_regenerate

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published(api, owner, income):  # noqa: F811
    """The income service with a second endpoint, a file of its own, a job not started and a schedule."""
    training, _ = income
    predictive, _, answer = publish(api, owner, training)
    service = WebService.objects.get(pk=answer["web_service"])
    second = endpoint_put(service=service, name="second", body={})
    sample = service.current.sample["input1"]
    rows = "\n".join([",".join(sample["ColumnNames"]), *(",".join(map(str, row)) for row in sample["Values"])])
    storage.write(str(owner.workspace.pk), "mydata/input.csv", io.BytesIO(rows.encode()),
                  by=storage.Accessor(service.pk))
    default = service.endpoints.get(is_default=True)
    job = job_submit(endpoint=default, body={"Inputs": {"input1": {"RelativeLocation": "mydata/input.csv"}}})
    RetrainingSchedule.objects.create(endpoint=second.endpoint, retraining=service, cron="0 3 * * 1",
                                      input_location="mydata/input.csv")
    keys = {"default": answer["endpoint"]["PrimaryKey"], "second": second.keys.primary}
    return {"training": training, "predictive": predictive, "service": service, "keys": keys, "job": job,
            "sample": sample, "workspace": str(owner.workspace.pk)}


def execute_url(server, endpoint: Endpoint) -> str:
    return f"{server.url}/workspaces/{endpoint.service.workspace_id}/services/{endpoint.endpoint_id}/execute" \
           "?api-version=2.0"


def test_deleting_a_service_revokes_every_key_at_once_and_keeps_its_experiments(published, api, outsider_api,
                                                                                 studio_server):
    service, keys = published["service"], published["keys"]
    urls = {endpoint.name: execute_url(studio_server, endpoint) for endpoint in service.endpoints.all()}
    body = {"Inputs": {"input1": published["sample"]}, "GlobalParameters": {}}
    with httpx.Client(timeout=30) as client:
        for name, url in urls.items():  # the server compiles and caches each endpoint's scorer
            assert client.post(url, json=body, headers={"Authorization": f"Bearer {keys[name]}"}).status_code == 200

        assert outsider_api.delete(f"/api/web-services/{service.pk}/").status_code == 404  # another workspace
        assert WebService.objects.filter(pk=service.pk).exists()
        assert api.delete(f"/api/web-services/{service.pk}/").status_code == 204

        for name, url in urls.items():  # at once: no waiting for the server's once-a-second revalidation
            refused = client.post(url, json=body, headers={"Authorization": f"Bearer {keys[name]}"})
            assert refused.status_code == 401, (name, refused.text)
            assert refused.json()["error"]["code"] == "Unauthorized"

    assert api.get(f"/api/web-services/{service.pk}/").status_code == 404
    assert not Endpoint.objects.filter(service_id=service.pk).exists()
    assert not BatchJob.objects.filter(pk=published["job"].pk).exists()  # not started: cancelled with it
    assert not RetrainingSchedule.objects.exists()
    assert Experiment.objects.filter(pk__in=[published["training"].pk, published["predictive"].pk]).count() == 2
    assert Asset.objects.filter(workspace_id=published["workspace"]).exists()  # saved models kept
    kept = StorageFile.objects.get(workspace_id=published["workspace"], location="mydata/input.csv")
    assert kept.service_id is None  # the studio's now: its members reach it, no key does
    assert storage.exists(published["workspace"], "mydata/input.csv")


def test_a_process_that_cached_the_endpoint_learns_of_the_deletion_on_its_next_request(published, monkeypatch):
    """This test process is a web process with the endpoint cached; only the change marker can tell it."""
    monkeypatch.setattr(scoring, "REVALIDATE_SECONDS", 3600.0)
    endpoint = published["service"].endpoints.get(is_default=True)
    scoring.forget_all()
    assert scoring.served(endpoint.endpoint_id) is not None
    assert scoring.cached(endpoint.endpoint_id) is not None

    web_service_delete(service=published["service"])

    assert scoring.cached(endpoint.endpoint_id) is None
    assert scoring.served(endpoint.endpoint_id) is None


def test_a_running_jobs_tasks_stop_when_its_service_is_deleted(published):
    from webservices.tasks import _running

    job = published["job"]
    BatchJob.objects.filter(pk=job.pk).update(status=BatchJob.Status.RUNNING)
    assert _running(job.pk) is not None
    web_service_delete(service=published["service"])
    assert _running(job.pk) is None  # its next chunk does nothing, and no output is written


def test_a_regenerated_key_and_a_deleted_endpoint_stop_working_at_once(published, monkeypatch):
    monkeypatch.setattr(scoring, "REVALIDATE_SECONDS", 3600.0)
    service = published["service"]
    default, second = service.endpoints.get(is_default=True), service.endpoints.get(name="second")
    scoring.forget_all()
    old = scoring.served(default.endpoint_id).primary_key_hash
    assert scoring.served(second.endpoint_id) is not None

    key_regenerate(endpoint=default, which="primary")
    endpoint_delete(second)

    assert scoring.cached(default.endpoint_id) is None and scoring.cached(second.endpoint_id) is None
    assert scoring.served(default.endpoint_id).primary_key_hash != old
    assert scoring.served(second.endpoint_id) is None


def test_deleting_a_deployed_experiment_is_refused_naming_its_services_unless_forced(published, api):
    service, predictive, training = published["service"], published["predictive"], published["training"]
    url = f"/api/web-services/{service.pk}/endpoints/default/test/"
    body = {"Inputs": {"input1": published["sample"]}, "GlobalParameters": {}}

    for experiment, says in ((predictive, "It is deployed as the web service"),
                             (training, f"Its predictive experiment '{predictive.name}' is deployed")):
        refused = api.delete(f"/api/experiments/{experiment.pk}/")
        assert refused.status_code == 409
        detail = refused.json()["detail"]
        assert says in detail and service.label in detail and f"#{service.pk}" in detail
        assert "?force=1" in detail
        assert refused.json()["errors"] == [{"web_service": service.pk, "message": f"Web service {service.label}"}]
        assert Experiment.objects.filter(pk=experiment.pk).exists()

    assert api.delete(f"/api/experiments/{training.pk}/?force=1").status_code == 204
    assert api.delete(f"/api/experiments/{predictive.pk}/?force=1").status_code == 204
    assert not Experiment.objects.filter(pk__in=[training.pk, predictive.pk]).exists()
    assert api.post(url, body, format="json").status_code == 200  # the service keeps running
    page = api.get(f"/api/web-services/{service.pk}/").json()
    assert page["experiment"] is None


def test_an_experiment_nothing_was_deployed_from_is_deleted_at_once(api, owner):
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Scratch")
    assert api.delete(f"/api/experiments/{experiment.pk}/").status_code == 204


def test_a_service_page_post_deletes_it_and_says_what_happened(published, owner_client):
    service = published["service"]
    warning = f'data-confirm="Delete the web service {service.label}? Its 2 endpoints (default, second) stop answering'
    assert warning in unescape(owner_client.get("/web-services/").content.decode())
    assert warning in unescape(owner_client.get(f"/web-services/{service.pk}/").content.decode())
    answer = owner_client.post(f"/web-services/{service.pk}/delete/", follow=True)
    text = answer.content.decode()
    assert answer.redirect_chain[-1][0] == "/web-services/"
    assert "Deleted the web service" in text and f"#{service.pk}" in text and "keys" in text
    assert not WebService.objects.filter(pk=service.pk).exists()


def test_the_confirmation_says_what_goes_and_what_stays(published):
    from webservices.deletion import deletion_facts

    service = published["service"]
    BatchJob.objects.create(endpoint=service.endpoints.get(name="second"), job_id="b" * 32, inputs={}, outputs={},
                            status=BatchJob.Status.RUNNING)
    warning = deletion_facts(service).warning()
    assert warning.startswith(f"Delete the web service {service.label}?")
    assert "2 endpoints (default, second) stop answering and every key is revoked at once." in warning
    assert "2 unfinished batch jobs are cancelled." in warning
    assert "1 retraining schedule is removed." in warning
    assert f"Kept: the experiment '{published['predictive'].name}'" in warning
