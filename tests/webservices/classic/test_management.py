"""The classic management API's refusals and tolerances (issue 17, items 2-5): workspace authorization tokens
accepted as Bearer on every management route and refused precisely, keys readable only by workspace managers,
the web services list and get, refresh, classic JSON errors for unknown paths and methods, add-endpoint bodies
as classic clients send them, and keys/tokens sealed at rest with a rotatable secret."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from studio.models import Workspace
from studio.sealing import seal, unseal
from studio.services import api_token_create
from studio.workspace_tokens import workspace_for_token, workspace_token_regenerate, workspace_tokens_of
from webservices.models import BatchJob, Endpoint, WebService
from webservices.scoring.keys import endpoint_key_matches
from webservices.services import endpoint_create, key_regenerate

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(owner):
    """A web service of the owner's workspace with its default endpoint (no deployment: management only)."""
    web_service = WebService.objects.create(workspace=owner.workspace, name="Income", kind="predictive",
                                            description="predicts income")
    default, keys = endpoint_create(service=web_service, name="default", is_default=True)
    return web_service, default, keys


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def token_of(workspace: Workspace) -> str:
    """The workspace's primary token as stored now."""
    token = workspace_tokens_of(Workspace.objects.get(pk=workspace.pk))["primary"]
    assert token is not None
    return token


def test_every_workspace_has_two_different_tokens_that_name_it(owner, outsider):
    tokens = workspace_tokens_of(owner.workspace)
    assert len(tokens["primary"]) == 32 and tokens["primary"] != tokens["secondary"]
    assert workspace_for_token(tokens["primary"]) == workspace_for_token(tokens["secondary"]) == owner.workspace.pk
    assert workspace_for_token(token_of(outsider.workspace)) == outsider.workspace.pk
    for wrong in ("", "0" * 32, tokens["primary"][:-1], tokens["primary"] + "0"):
        assert workspace_for_token(wrong) is None, wrong
    stored = Workspace.objects.filter(pk=owner.workspace.pk).values().get()
    assert tokens["primary"] not in str(stored) and tokens["secondary"] not in str(stored)  # hash and sealed only


def test_the_web_services_list_and_get_answer_the_classic_shape_to_a_workspace_token(owner, service):
    web_service, _, _ = service
    client = Client()
    listed = client.get(f"/workspaces/{owner.workspace.pk}/webservices", **bearer(token_of(owner.workspace)))
    assert listed.status_code == 200 and listed["Content-Type"].startswith("application/json")
    expected = {"Id": str(web_service.pk), "Name": "Income", "Description": "predicts income",
                "CreationTime": web_service.created.isoformat(), "WorkspaceId": owner.workspace.pk,
                "DefaultEndpointName": "default", "EndpointCount": 1}
    assert listed.json() == [expected]
    one = client.get(f"/workspaces/{owner.workspace.pk}/webservices/{web_service.pk}",
                     **bearer(workspace_tokens_of(owner.workspace)["secondary"]))
    assert one.status_code == 200 and one.json() == expected


def test_endpoints_carry_their_keys_for_workspace_managers_only(owner, service):
    web_service, _, keys = service
    endpoints = f"/workspaces/{owner.workspace.pk}/webservices/{web_service.pk}/endpoints"
    client = Client()
    _, studio_token = api_token_create(user=owner.user)
    for credentials in (bearer(token_of(owner.workspace)), {"HTTP_AUTHORIZATION": f"Token {studio_token}"}):
        listed = client.get(endpoints, **credentials).json()
        assert (listed[0]["PrimaryKey"], listed[0]["SecondaryKey"]) == (keys.primary, keys.secondary)
        one = client.get(f"{endpoints}/default", **credentials).json()
        assert (one["PrimaryKey"], one["SecondaryKey"]) == (keys.primary, keys.secondary)
    # the default endpoint's key manages this service (SPEC §3) but not the workspace: keys stay null for it
    as_key = client.get(endpoints, **bearer(keys.primary))
    assert as_key.status_code == 200 and as_key.json()[0]["PrimaryKey"] is None
    assert "SecondaryKey" in as_key.json()[0] and as_key.json()[0]["SecondaryKey"] is None
    refused = client.get(f"/workspaces/{owner.workspace.pk}/webservices", **bearer(keys.primary))
    assert refused.status_code == 401 and "workspace authorization token" in refused.json()["error"]["message"]


def test_a_key_made_before_keys_were_sealed_reads_null_until_regenerated(owner, service):
    web_service, default, keys = service
    Endpoint.objects.filter(pk=default.pk).update(primary_key_sealed="", secondary_key_sealed="")  # as migrated
    url = f"/workspaces/{owner.workspace.pk}/webservices/{web_service.pk}/endpoints/default"
    client = Client()
    old = client.get(url, **bearer(token_of(owner.workspace))).json()
    assert old["PrimaryKey"] is None and old["SecondaryKey"] is None
    default.refresh_from_db()
    assert endpoint_key_matches(default, keys.primary)  # the key still works; it just can't be shown
    new_key = key_regenerate(endpoint=default, which="primary")
    again = client.get(url, **bearer(token_of(owner.workspace))).json()
    assert again["PrimaryKey"] == new_key and again["SecondaryKey"] is None


@pytest.mark.parametrize("route", ["webservices", "webservices/{sid}", "webservices/{sid}/endpoints",
                                   "webservices/{sid}/endpoints/default"])
def test_a_wrong_token_and_another_workspaces_token_are_refused_alike(owner, outsider, service, route):
    """No existence oracle (issue 14): another workspace's valid token is a wrong credential here, answered
    exactly as a made-up one, whether or not what the path names exists."""
    web_service, _, _ = service
    client = Client()
    url = f"/workspaces/{owner.workspace.pk}/" + route.format(sid=web_service.pk)
    answers = [client.get(url, **bearer(secret)) for secret in (token_of(outsider.workspace), "f" * 32)]
    answers.append(client.get(url.replace(str(web_service.pk), "99999"), **bearer(token_of(outsider.workspace))))
    assert {a.status_code for a in answers} == {401}
    assert answers[0].json() == answers[1].json() == answers[2].json()
    assert answers[0].json()["error"]["code"] == "Unauthorized"
    # the same token is good for its own workspace, where the owner's service is not found
    own = client.get(url.replace(owner.workspace.pk, outsider.workspace.pk), **bearer(token_of(outsider.workspace)))
    assert own.status_code == (200 if route == "webservices" else 404)


def test_a_regenerated_token_replaces_the_old_one_at_once(owner, service):
    url = f"/workspaces/{owner.workspace.pk}/webservices"
    old = token_of(owner.workspace)
    new = workspace_token_regenerate(workspace=owner.workspace, which="primary")
    client = Client()
    assert client.get(url, **bearer(old)).status_code == 401
    assert client.get(url, **bearer(new)).status_code == 200
    assert client.get(url, **bearer(workspace_tokens_of(owner.workspace)["secondary"])).status_code == 200


def test_add_endpoint_takes_the_bodies_classic_clients_send(owner, service):
    """AzureMLPS sends WebServiceId, EndpointName and PreventUpdate, and nulls for settings not given."""
    web_service, _, _ = service
    url = f"/workspaces/{owner.workspace.pk}/webservices/{web_service.pk}/endpoints"
    client = Client()
    body = {"WebServiceId": str(web_service.pk), "EndpointName": "nightly", "Description": "batch scoring",
            "ThrottleLevel": "High", "MaxConcurrentCalls": None, "DiagnosticsTraceLevel": None,
            "PreventUpdate": False, "SomethingNew": {"x": 1}}
    added = client.put(f"{url}/nightly", body, content_type="application/json", **bearer(token_of(owner.workspace)))
    assert added.status_code == 200, added.json()
    assert added.json()["Description"] == "batch scoring" and added.json()["MaxConcurrentCalls"] == 20
    assert added.json()["ThrottleLevel"] == "High" and len(added.json()["PrimaryKey"]) == 88
    nulls = client.put(f"{url}/nulls", {"Description": None, "ThrottleLevel": None}, content_type="application/json",
                       **bearer(token_of(owner.workspace)))
    assert nulls.status_code == 200 and nulls.json()["Description"] == ""
    bad = client.put(f"{url}/bad", {"MaxConcurrentCalls": 500, "EndpointName": "bad"}, content_type="application/json",
                     **bearer(token_of(owner.workspace)))
    assert bad.status_code == 400 and bad.json()["error"]["details"][0]["target"] == "MaxConcurrentCalls"
    assert "1 to 200" in bad.json()["error"]["message"]


def test_a_patch_body_with_extra_fields_is_judged_on_its_resources_only(owner, service):
    web_service, _, _ = service
    endpoint_create(service=web_service, name="second")
    url = f"/workspaces/{owner.workspace.pk}/webservices/{web_service.pk}/endpoints/second"
    response = Client().patch(url, {"Resources": [], "WebServiceId": "x", "Anything": None},
                              content_type="application/json", **bearer(token_of(owner.workspace)))
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "Resources" in message and "WebServiceId" not in message and "Anything" not in message


@pytest.mark.parametrize("body", [{"OverwriteResources": "False"}, {"OverwriteResources": "True"},
                                  {"OverwriteResources": True, "Other": 1}, {}, None])
def test_refresh_of_an_endpoint_with_nothing_patched_changes_nothing(owner, service, body):
    web_service, _, _ = service
    url = f"/workspaces/{owner.workspace.pk}/webservices/{web_service.pk}/endpoints/default/refresh"
    response = Client().post(url, body, content_type="application/json", **bearer(token_of(owner.workspace)))
    assert response.status_code == 304  # the classic "no change detected"


def test_refresh_refuses_what_it_cannot_read_and_what_does_not_exist(owner, service):
    web_service, _, _ = service
    base = f"/workspaces/{owner.workspace.pk}/webservices/{web_service.pk}/endpoints"
    client, auth = Client(), bearer(token_of(owner.workspace))
    bad = client.post(f"{base}/default/refresh", {"OverwriteResources": "maybe"}, content_type="application/json",
                      **auth)
    assert bad.status_code == 400 and bad.json()["error"]["details"][0]["target"] == "OverwriteResources"
    missing = client.post(f"{base}/nothing/refresh", {}, content_type="application/json", **auth)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NotFound"
    wrong_method = client.get(f"{base}/default/refresh", **auth)
    assert wrong_method.status_code == 405 and wrong_method["Allow"] == "POST"


@pytest.mark.parametrize("path", ["webservices/{sid}/nothing", "webservices/{sid}/endpoints/default/more/parts",
                                  "whatever", "", "services", "services/abc/execute/execute"])
def test_any_other_path_under_workspaces_answers_the_classic_json_404(owner, service, path):
    web_service, _, _ = service
    url = f"/workspaces/{owner.workspace.pk}/{path.format(sid=web_service.pk)}".rstrip("/")
    response = Client().get(url, **bearer(token_of(owner.workspace)))
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "NotFound" and "No such call" in response.json()["error"]["message"]


@pytest.mark.parametrize(("method", "path", "allowed"), [("POST", "webservices", "GET"),
                                                         ("DELETE", "webservices/{sid}", "GET"),
                                                         ("POST", "webservices/{sid}/endpoints", "GET"),
                                                         ("POST", "webservices/{sid}/endpoints/default",
                                                          "GET, PUT, PATCH, DELETE")])
def test_a_wrong_method_answers_the_classic_json_405(owner, service, method, path, allowed):
    web_service, _, _ = service
    url = f"/workspaces/{owner.workspace.pk}/{path.format(sid=web_service.pk)}"
    response = Client().generic(method, url, b"{}", content_type="application/json",
                                **bearer(token_of(owner.workspace)))
    assert response.status_code == 405 and response.json()["error"]["code"] == "MethodNotAllowed"
    assert response["Allow"] == allowed


def test_keys_and_tokens_survive_a_rotation_of_the_sealing_secret(owner, service, settings):
    web_service, _, keys = service
    token = token_of(owner.workspace)
    account = "DefaultEndpointsProtocol=https;AccountName=caller;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net"
    job = BatchJob.objects.create(endpoint=web_service.endpoints.get(is_default=True), job_id="j" * 32,
                                  inputs={"input1": "in/a.csv"}, outputs={"output1": "out/b.csv"},
                                  blob_accounts={"Inputs": {"input1": seal(account)}, "Outputs": {}})
    settings.ATELIER_SEALING_SECRETS = ["the new secret", *settings.ATELIER_SEALING_SECRETS]
    call_command("reseal_secrets")
    settings.ATELIER_SEALING_SECRETS = ["the new secret"]  # the old one dropped
    assert unseal(BatchJob.objects.get(pk=job.pk).blob_accounts["Inputs"]["input1"]) == account  # the job's account
    url = f"/workspaces/{owner.workspace.pk}/webservices/{web_service.pk}/endpoints/default"
    assert Client().get(url, **bearer(token)).json()["PrimaryKey"] == keys.primary
    assert token_of(owner.workspace) == token
    settings.ATELIER_SEALING_SECRETS = ["yet another secret"]  # nothing sealed with it: unreadable, never wrong
    assert Client().get(url, **bearer(token)).json()["PrimaryKey"] is None
    with pytest.raises(CommandError, match="no configured secret opens them"):
        call_command("reseal_secrets")
    settings.ATELIER_SEALING_SECRETS = ["the new secret"]
    assert Client().get(url, **bearer(token)).json()["PrimaryKey"] == keys.primary  # the failed run changed nothing


def test_the_settings_page_shows_the_tokens_and_regenerates_one(owner_client, owner, outsider):
    page = owner_client.get("/settings/")
    body = page.content.decode()
    tokens = workspace_tokens_of(owner.workspace)
    assert page.status_code == 200 and tokens["primary"] in body and tokens["secondary"] in body
    assert owner.workspace.pk in body and token_of(outsider.workspace) not in body
    assert 'data-testid="nav-settings"' in body
    done = owner_client.post("/settings/", {"workspace": owner.workspace.pk, "regenerate": "secondary"})
    assert done.status_code == 302
    after = workspace_tokens_of(Workspace.objects.get(pk=owner.workspace.pk))
    assert after["primary"] == tokens["primary"] and after["secondary"] != tokens["secondary"]
    assert workspace_for_token(tokens["secondary"]) is None
    other = owner_client.post("/settings/", {"workspace": outsider.workspace.pk, "regenerate": "primary"})
    assert other.status_code == 404
    assert owner_client.post("/settings/", {"workspace": owner.workspace.pk, "regenerate": "x"}).status_code == 400
    assert Client().get("/settings/").status_code == 302  # to sign-in
