"""The isolation matrix (issue 8): every route of the studio, its API and the web-service calls, tried with
every method by a user of another workspace (and with keys of other endpoints): never the owner's data,
never a change to it, never a 500. A route added without a row here fails `test_the_matrix_covers_every_route`.
The WebSocket's refusal of outsiders is tested in tests/experiments/test_live_events.py.
"""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from experiments.assets import output_save
from experiments.datasets import dataset_table
from experiments.models import Asset, Dataset, Experiment
from studio.services import api_token_create
from studio.workspace_tokens import workspace_tokens_of
from tests.webservices.test_deploy import income, publish  # noqa: F401 (fixture)
from webservices import storage
from webservices.batch import job_submit
from webservices.endpoints import endpoint_put
from webservices.models import BatchJob, Endpoint, RetrainingSchedule, WebService
from webservices.services import endpoint_create

pytestmark = pytest.mark.django_db(transaction=True)
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
SECRET = "owner-secret"
REFUSED = {401, 403, 404, 405}

# Routes anyone (signed in or not) may see: they hold nobody's data. Checked for no secret and no 500.
PUBLIC = {"healthz", "login", "logout", "api-me", "api-schema", "api-docs", "api-modules", "api-root", "home",
          "experiment-new", "web-services", "datasets", "dataset-new", "trained-models", "api-redoc", "favicon",
          "workspace-settings"}
# Lists: an outsider gets their own (empty) lists and may create in their own workspace.
LISTS = {"experiment-list", "dataset-list", "asset-list", "web-service-list", "workspace-list"}
# Routes whose query picks what they answer: every variant is a row of its own.
VARIANTS = {"experiment-export": ("?format=python", "?format=notebook", "?format=mlflow")}


def routes():
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if not str(pattern.pattern).startswith("admin/"):
                    yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern.name
    return list(walk(get_resolver().url_patterns))


@pytest.fixture
def world(api, owner, income):  # noqa: F811
    """The owner's things, each named with SECRET where it has a name."""
    training, training_run = income
    training.name = f"Income {SECRET}"
    training.save()
    _, predictive_run, deployed = publish(api, owner, training)
    service = WebService.objects.get(pk=deployed["web_service"])
    default = service.endpoints.get(is_default=True)
    second = endpoint_put(service=service, name="second", body={})
    held_out = output_save(run=training_run, node="split", port="results2", name=f"held out {SECRET}")
    rows = dataset_table(held_out).frame.drop(columns=["income"]).head(5)
    storage.write(str(owner.workspace.pk), "mydata/input.csv", io.BytesIO(rows.to_csv(index=False).encode()),
                  by=storage.Accessor(service.pk))
    job = job_submit(endpoint=default, body={"Inputs": {"input1": {"RelativeLocation": "mydata/input.csv"}}})
    schedule = RetrainingSchedule.objects.create(endpoint=second.endpoint, retraining=service, cron="0 3 * * 1",
                                                 input_location="mydata/input.csv")
    asset = Asset.objects.filter(workspace=owner.workspace).first()
    return {"ws": owner.workspace.pk, "experiment": training.pk, "run": predictive_run.pk, "dataset": held_out.pk,
            "asset": asset.pk, "service": service.pk, "endpoint": default, "second": second,
            "default_key": deployed["endpoint"]["PrimaryKey"], "job": job.job_id, "schedule": schedule.pk}


def concrete(name: str, w: dict) -> str | None:
    """The route filled in with the owner's objects (None for public routes)."""
    e, sid, ws = w["endpoint"], w["service"], w["ws"]
    api_ws = f"/api/web-services/{sid}"
    help_path = f"workspaces/{ws}/webservices/{sid}/endpoints/{e.endpoint_id}"
    return {
        "experiment-detail": f"/api/experiments/{w['experiment']}/",
        "experiment-run": f"/api/experiments/{w['experiment']}/run/",
        "experiment-runs": f"/api/experiments/{w['experiment']}/runs/",
        "experiment-save-as": f"/api/experiments/{w['experiment']}/save-as/",
        "experiment-schemas": f"/api/experiments/{w['experiment']}/schemas/",
        "experiment-export": f"/api/experiments/{w['experiment']}/export/?format=python",
        "experiment-setup-web-service": f"/api/experiments/{w['experiment']}/setup-web-service/",
        "api-deploy": f"/api/experiments/{w['experiment']}/deploy/",
        "dataset-detail": f"/api/datasets/{w['dataset']}/",
        "run-detail": f"/api/runs/{w['run']}/",
        "run-cancel": f"/api/runs/{w['run']}/cancel/",
        "run-output": f"/api/runs/{w['run']}/nodes/score/outputs/scored_dataset/",
        "run-log": f"/api/runs/{w['run']}/nodes/score/log/",
        "run-save-output": f"/api/runs/{w['run']}/nodes/score/outputs/scored_dataset/save/",
        "asset-detail": f"/api/assets/{w['asset']}/",
        "web-service-detail": f"{api_ws}/",
        "web-service-definition": f"{api_ws}/definition/",
        "web-service-endpoint": f"{api_ws}/endpoints/second/",
        "web-service-regenerate-key": f"{api_ws}/endpoints/default/regenerate-key/",
        "web-service-resources": f"{api_ws}/endpoints/second/resources/",
        "web-service-rollback": f"{api_ws}/endpoints/second/rollback/",
        "web-service-schedule": f"{api_ws}/endpoints/second/schedules/{w['schedule']}/",
        "web-service-schedule-run": f"{api_ws}/endpoints/second/schedules/{w['schedule']}/run/",
        "web-service-schedules": f"{api_ws}/endpoints/second/schedules/",
        "web-service-test": f"{api_ws}/endpoints/default/test/",
        "web-service-usage": f"{api_ws}/endpoints/default/usage/",
        "web-service-drift": f"{api_ws}/endpoints/default/drift/",
        "web-service-traffic": f"{api_ws}/traffic/",
        "web-service-jobs": f"{api_ws}/endpoints/default/jobs/",
        "web-service-job": f"{api_ws}/endpoints/default/jobs/{w['job']}/",
        "web-service-job-targets": f"{api_ws}/endpoints/default/jobs/{w['job']}/targets/",
        "web-service-job-apply": f"{api_ws}/endpoints/default/jobs/{w['job']}/apply/",
        "workspace-detail": f"/api/workspaces/{ws}/",
        "rrs-execute": f"/workspaces/{ws}/services/{e.endpoint_id}/execute?api-version=2.0",
        "bes-jobs": f"/workspaces/{ws}/services/{e.endpoint_id}/jobs?api-version=2.0",
        "bes-job": f"/workspaces/{ws}/services/{e.endpoint_id}/jobs/{w['job']}?api-version=2.0",
        "bes-job-start": f"/workspaces/{ws}/services/{e.endpoint_id}/jobs/{w['job']}/start?api-version=2.0",
        "classic-endpoints": f"/workspaces/{ws}/webservices/{sid}/endpoints",
        "classic-endpoint": f"/workspaces/{ws}/webservices/{sid}/endpoints/second",
        "classic-web-services": f"/workspaces/{ws}/webservices",
        "classic-web-service": f"/workspaces/{ws}/webservices/{sid}",
        "classic-endpoint-refresh": f"/workspaces/{ws}/webservices/{sid}/endpoints/second/refresh",
        "classic-unknown": f"/workspaces/{ws}/webservices/{sid}/nothing",
        "classic-swagger": f"/workspaces/{ws}/services/{e.endpoint_id}/swagger.json",
        "apihelp": f"/apihelp/{help_path}",
        "apihelp-page": f"/apihelp/{help_path}/score",
        "apihelp-signed": f"/apihelp/forged{e.endpoint_id}/{help_path}",
        "apihelp-signed-page": f"/apihelp/forged{e.endpoint_id}/{help_path}/apidocument",
        "storage-file": f"/workspaces/{ws}/storage/mydata/input.csv",
        "experiment-canvas": f"/experiments/{w['experiment']}/",
        "experiment-action": f"/experiments/{w['experiment']}/delete/",
        "web-service": f"/web-services/{sid}/",
        "web-service-delete": f"/web-services/{sid}/delete/",
        "web-service-traffic-set": f"/web-services/{sid}/traffic/",
        "web-service-endpoint-page": f"/web-services/{sid}/endpoints/default/",
        "web-service-swagger": f"/web-services/{sid}/endpoints/default/swagger.json",
        "dataset-detail-page": f"/datasets/{w['dataset']}/",
        "dataset-delete": f"/datasets/{w['dataset']}/delete/",
    }.get(name)


def variants(name: str, w: dict) -> list[str]:
    """The route's URL, once per query variant (VARIANTS)."""
    url = concrete(name, w)
    assert url is not None, name
    return [url.split("?")[0] + query for query in VARIANTS[name]] if name in VARIANTS else [url]


PAGE_NAMES = {"web-service-endpoint": "web-service-endpoint-page", "dataset-detail": "dataset-detail-page"}


def matrix_rows(all_routes):
    """(route name as listed here, route) for every route; pages that share an API route's name get their own."""
    rows = []
    for route, name in all_routes:
        if name in PAGE_NAMES and not route.startswith("api/"):
            name = PAGE_NAMES[name]
        rows.append((name, route))
    return rows


def test_the_matrix_covers_every_route(world):
    unmapped = sorted({name for name, _ in matrix_rows(routes())
                       if name not in PUBLIC | LISTS and concrete(name, world) is None})
    assert unmapped == [], f"routes with no isolation row: {unmapped}"


def owner_state(world):
    service = WebService.objects.get(pk=world["service"])
    return (Experiment.objects.filter(pk=world["experiment"]).values_list("name", "graph").first(),
            sorted(Endpoint.objects.filter(service=service).values_list("name", "primary_key_hash",
                                                                        "secondary_key_hash", "resources")),
            BatchJob.objects.get(job_id=world["job"]).status,
            RetrainingSchedule.objects.filter(pk=world["schedule"]).count(),
            Asset.objects.filter(pk=world["asset"]).count(), Dataset.objects.filter(pk=world["dataset"]).count(),
            storage.exists(str(world["ws"]), "mydata/input.csv"), service.traffic)


def test_an_outsider_reaches_nothing_of_the_owners_with_any_method(world, outsider, settings):
    settings.ATELIER_KEY_MAX_FAILURES = 10_000  # hundreds of refused calls: isolation is tested here, not throttling
    before = owner_state(world)
    browser = Client(raise_request_exception=False)
    browser.force_login(outsider.user)
    _, token = api_token_create(user=outsider.user)
    other_service = WebService.objects.create(workspace=outsider.workspace, name="outsider's", kind="predictive")
    _, other_keys = endpoint_create(service=other_service, name="default", is_default=True)
    other_token = workspace_tokens_of(outsider.workspace)["primary"]
    credentials = {"session": {}, "outsider token": {"HTTP_AUTHORIZATION": f"Token {token}"},
                   "another workspace's key": {"HTTP_AUTHORIZATION": f"Bearer {other_keys.primary}"},
                   "another workspace's authorization token": {"HTTP_AUTHORIZATION": f"Bearer {other_token}"}}
    problems = []
    for name, _route in matrix_rows(routes()):
        if name in PUBLIC or name in LISTS:
            continue
        for url in variants(name, world):
            for method in METHODS:
                for who, headers in credentials.items():
                    response = browser.generic(method, url, data=b"{}", content_type="application/json", **headers)
                    if response.status_code not in REFUSED:
                        problems.append(f"{method} {url} as {who}: {response.status_code}")
                    elif name in VARIANTS and method == "GET" and who in ("session", "outsider token") \
                            and response.status_code != 404:  # the owner's experiment is not there for them
                        problems.append(f"{method} {url} as {who}: {response.status_code}, not 404")
    for name in sorted(LISTS | PUBLIC):
        url = next(f"/{route}" for n, route in matrix_rows(routes()) if n == name and "(?P" not in route
                   and "<" not in route)
        url = url.replace("^", "").replace("$", "")
        response = browser.get(url)
        body = response.content.decode(errors="replace")
        designed = name == "healthz" and response.status_code == 503  # no worker in this test: "unhealthy"
        if (response.status_code >= 500 and not designed) or SECRET in body:
            problems.append(f"GET {url}: {response.status_code}{' with the owner-secret' if SECRET in body else ''}")
    for admin_url in ("/admin/", "/admin/webservices/endpoint/", "/admin/experiments/experiment/"):
        if browser.get(admin_url).status_code != 302:  # to the admin's sign-in: staff only
            problems.append(f"GET {admin_url} as a non-staff user: not redirected")
    assert problems == [], "\n".join(problems)
    assert owner_state(world) == before


def test_a_key_opens_only_its_own_endpoint(world):
    """The second endpoint's key can't score, submit to or download through the default endpoint, nor
    manage the service; the default endpoint's key manages it (SPEC §3)."""
    client = Client(raise_request_exception=False)
    second_key = world["second"].keys.primary
    as_second = {"HTTP_AUTHORIZATION": f"Bearer {second_key}"}
    e, ws = world["endpoint"], world["ws"]
    for method, url in [("POST", f"/workspaces/{ws}/services/{e.endpoint_id}/execute?api-version=2.0"),
                        ("POST", f"/workspaces/{ws}/services/{e.endpoint_id}/jobs?api-version=2.0"),
                        ("GET", f"/workspaces/{ws}/services/{e.endpoint_id}/jobs/{world['job']}?api-version=2.0"),
                        ("GET", f"/workspaces/{ws}/webservices/{world['service']}/endpoints"),
                        ("DELETE", f"/workspaces/{ws}/webservices/{world['service']}/endpoints/second")]:
        assert client.generic(method, url, data=b"{}", content_type="application/json",
                              **as_second).status_code == 401, (method, url)
    listed = client.get(f"/workspaces/{ws}/webservices/{world['service']}/endpoints",
                        HTTP_AUTHORIZATION=f"Bearer {world['default_key']}")
    assert listed.status_code == 200 and [e["Name"] for e in listed.json()] == ["default", "second"]


@pytest.mark.parametrize("relative", ["../../etc/passwd", "mydata/../../x.csv", "mydata/%2e%2e/x.csv", "/abs.csv",
                                      "mydata/.hidden/..", "mydata/a%00b.csv"])
def test_storage_refuses_paths_out_of_the_workspace(world, relative):
    client = Client(raise_request_exception=False)
    response = client.generic("PUT", f"/workspaces/{world['ws']}/storage/{relative}", data=b"a\n1\n",
                              HTTP_AUTHORIZATION=f"Bearer {world['default_key']}")
    assert response.status_code in (400, 404), (relative, response.status_code)


def test_a_call_without_the_right_key_cannot_tell_what_exists(world, settings):
    """No existence oracle (issue 14): with no key or a wrong one, every classic route answers the same status
    and body whether the endpoint, service, job or file it names exists or not."""
    settings.ATELIER_KEY_MAX_FAILURES = 10_000  # many refused calls in a row; the throttle is tested elsewhere
    client = Client(raise_request_exception=False)
    e, ws, sid, job = world["endpoint"].endpoint_id, world["ws"], world["service"], world["job"]
    other_ws = "0" * 32
    calls = {  # method, [URL of something that exists, URLs of things that don't]
        "RRS": ("POST", [f"/workspaces/{ws}/services/{e}/execute?api-version=2.0",
                         f"/workspaces/{ws}/services/{'f' * 32}/execute?api-version=2.0",
                         f"/workspaces/{other_ws}/services/{e}/execute?api-version=2.0"]),
        "BES submit": ("POST", [f"/workspaces/{ws}/services/{e}/jobs?api-version=2.0",
                                f"/workspaces/{ws}/services/{'f' * 32}/jobs?api-version=2.0"]),
        "BES status": ("GET", [f"/workspaces/{ws}/services/{e}/jobs/{job}?api-version=2.0",
                               f"/workspaces/{ws}/services/{e}/jobs/{'f' * 32}?api-version=2.0",
                               f"/workspaces/{ws}/services/{'f' * 32}/jobs/{job}?api-version=2.0"]),
        "BES start": ("POST", [f"/workspaces/{ws}/services/{e}/jobs/{job}/start?api-version=2.0",
                               f"/workspaces/{ws}/services/{'f' * 32}/jobs/{job}/start?api-version=2.0"]),
        "list endpoints": ("GET", [f"/workspaces/{ws}/webservices/{sid}/endpoints",
                                   f"/workspaces/{ws}/webservices/99999/endpoints",
                                   f"/workspaces/{ws}/webservices/nope/endpoints"]),
        "update resource": ("PATCH", [f"/workspaces/{ws}/webservices/{sid}/endpoints/second",
                                      f"/workspaces/{ws}/webservices/{sid}/endpoints/nothing",
                                      f"/workspaces/{ws}/webservices/99999/endpoints/second"]),
        "delete endpoint": ("DELETE", [f"/workspaces/{ws}/webservices/{sid}/endpoints/second",
                                       f"/workspaces/{ws}/webservices/99999/endpoints/second"]),
        "list web services": ("GET", [f"/workspaces/{ws}/webservices", f"/workspaces/{other_ws}/webservices"]),
        "get web service": ("GET", [f"/workspaces/{ws}/webservices/{sid}", f"/workspaces/{ws}/webservices/99999",
                                    f"/workspaces/{other_ws}/webservices/{sid}"]),
        "refresh": ("POST", [f"/workspaces/{ws}/webservices/{sid}/endpoints/second/refresh",
                             f"/workspaces/{ws}/webservices/{sid}/endpoints/nothing/refresh",
                             f"/workspaces/{ws}/webservices/99999/endpoints/second/refresh"]),
        "storage": ("GET", [f"/workspaces/{ws}/storage/mydata/input.csv", f"/workspaces/{ws}/storage/mydata/none.csv",
                            f"/workspaces/{other_ws}/storage/mydata/input.csv"]),
        "help pages": ("GET", [f"/apihelp/workspaces/{ws}/webservices/{sid}/endpoints/{e}/score",
                               f"/apihelp/workspaces/{ws}/webservices/{sid}/endpoints/{'f' * 32}/score",
                               f"/apihelp/workspaces/{other_ws}/webservices/99999/endpoints/{e}/apidocument",
                               f"/apihelp/{'0' * 40}/workspaces/{ws}/webservices/{sid}/endpoints/{e}",
                               f"/apihelp/workspaces/{ws}/webservices/nope/endpoints/{e}/jobs"]),
        "API document": ("GET", [f"/workspaces/{ws}/services/{e}/swagger.json",
                                 f"/workspaces/{ws}/services/{'f' * 32}/swagger.json"]),
    }
    for credentials in ({}, {"HTTP_AUTHORIZATION": "Bearer " + "A" * 88}, {"HTTP_AUTHORIZATION": "Token nope"}):
        for name, (method, urls) in calls.items():
            answers = []
            for url in urls:
                response = client.generic(method, url, data=b"{}", content_type="application/json", **credentials)
                answers.append((response.status_code, response.json()))
            assert answers[0][0] == 401, (name, credentials, answers[0])
            assert all(other == answers[0] for other in answers[1:]), (name, credentials, answers)
