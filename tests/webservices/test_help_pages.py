"""An endpoint's help pages under its help location (webservices/help_pages.py), over real HTTP: readable with a
key of the endpoint, by a signed-in member, or through the signed HelpLocation the management API hands out;
anyone else gets the classic 401 JSON, whether the endpoint exists or not."""

from __future__ import annotations

import html
from urllib.parse import urlsplit

import httpx
import pytest

from tests.webservices.test_deploy import income, publish  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)
PAGES = ("", "/score", "/jobs", "/apidocument")


@pytest.fixture
def deployed(api, owner, income, studio_server):  # noqa: F811
    training, _ = income
    endpoint = publish(api, owner, training)[2]["endpoint"]
    signed = endpoint["HelpLocation"]
    base = studio_server.url
    plain = f"{base}/apihelp/workspaces/{signed.split('/workspaces/', 1)[1]}"
    api_location = base + urlsplit(endpoint["ApiLocation"]).path
    return endpoint, base + urlsplit(signed).path, plain, api_location


def get(url, key=None):
    return httpx.get(url, headers={"Authorization": f"Bearer {key}"} if key else {}, timeout=30)


def test_the_help_location_is_the_classic_form_and_the_management_api_agrees(deployed):
    endpoint, signed, plain, api_location = deployed
    workspace, endpoint_id = urlsplit(api_location).path.split("/")[2], urlsplit(api_location).path.split("/")[-1]
    assert urlsplit(plain).path.startswith(f"/apihelp/workspaces/{workspace}/webservices/")
    assert plain.endswith(f"/endpoints/{endpoint_id}")  # the endpoint's id, as the R package's discoverSchema reads it
    service_id = plain.split("/webservices/")[1].split("/")[0]
    listed = get(f"{api_location.split('/workspaces/')[0]}/workspaces/{workspace}/webservices/{service_id}/endpoints",
                 endpoint["PrimaryKey"])
    assert listed.status_code == 200, listed.text
    assert urlsplit(listed.json()[0]["HelpLocation"]).path == urlsplit(signed).path


def test_every_page_with_a_key_and_without_one_or_with_another_endpoints_or_workspaces_key(deployed, outsider):
    from webservices.models import Endpoint, WebService
    from webservices.services import endpoint_create

    endpoint, _, plain, api_location = deployed
    elsewhere = WebService.objects.create(workspace=outsider.workspace, name="Other", kind="predictive")
    foreign_key = endpoint_create(service=elsewhere, name="default", is_default=True)[1].primary
    partner_key = endpoint_create(service=Endpoint.objects.get(endpoint_id=api_location.rsplit("/", 1)[1]).service,
                                  name="partner")[1].primary
    for page in PAGES:
        assert get(plain + page, endpoint["PrimaryKey"]).status_code == 200, page
        assert get(plain + page, endpoint["SecondaryKey"]).status_code == 200, page
        for key in (None, foreign_key, partner_key):
            refused = get(plain + page, key)
            assert refused.status_code == 401, (page, refused.text)
            assert refused.headers["content-type"].startswith("application/json")
            assert refused.json()["error"]["code"] == "Unauthorized"
            assert "HelpLocation" in refused.json()["error"]["message"]
    missing = plain.rsplit("/", 1)[0] + "/" + "0" * 32
    assert get(missing, endpoint["PrimaryKey"]).status_code == 401  # as a wrong key: no existence oracle
    assert get(plain + "/nope", endpoint["PrimaryKey"]).status_code == 404
    by_name = plain.rsplit("/", 1)[0] + "/default/score"
    assert get(by_name, endpoint["PrimaryKey"]).status_code == 200


def test_the_pages_show_the_calls_built_from_api_location_with_samples_and_code(deployed):
    endpoint, _, plain, api_location = deployed
    key = endpoint["PrimaryKey"]
    overview = html.unescape(get(plain, key).text)
    assert api_location in overview and f"{plain}/score" in overview and f"{plain}/apidocument" in overview
    score = html.unescape(get(plain + "/score", key).text)
    assert f"POST {api_location}/execute?api-version=2.0&details=true" in score
    assert '"ColumnNames"' in score and '"Scored Labels"' in score  # sample request and the response it gets now
    assert "<td>age</td><td>Int32</td>" in score and "<td>Scored Probabilities</td><td>Double</td>" in score
    assert "requests.post(url" in score and "curl -s -X POST" in score  # the dashboard's code samples
    jobs = html.unescape(get(plain + "/jobs", key).text)
    assert f"POST {api_location}/jobs?api-version=2.0" in jobs and '"RelativeLocation"' in jobs
    storage = api_location.split("/services/")[0] + "/storage"
    assert f"PUT {storage}/<path>" in jobs and "AccountName=…;AccountKey=…" in jobs  # where a job's files are


def test_the_signed_help_location_reads_without_credentials_until_the_primary_key_changes(deployed):
    from webservices.models import Endpoint
    from webservices.services import key_regenerate

    _, signed, _, _ = deployed
    for page in PAGES:
        assert get(signed + page).status_code == 200, page
    assert f"{signed}/score" in html.unescape(get(signed).text)  # its links keep the signed form
    tampered = signed.replace("/apihelp/", "/apihelp/0")
    assert get(tampered + "/apidocument").status_code == 401
    key_regenerate(endpoint=Endpoint.objects.get(is_default=True), which="primary")
    assert get(signed + "/apidocument").status_code == 401


def test_a_signed_in_member_reads_the_pages_and_an_outsider_does_not(deployed, owner_client, outsider):
    from django.test import Client

    _, _, plain, _ = deployed
    path = urlsplit(plain).path
    assert owner_client.get(path + "/score").status_code == 200
    stranger = Client()
    stranger.force_login(outsider.user)
    assert stranger.get(path + "/score").status_code == 401
    page = owner_client.get(f"/web-services/{path.split('/webservices/')[1].split('/')[0]}/endpoints/default/")
    assert 'data-testid="help-pages-link"' in page.content.decode()  # the studio's page links to them


def test_the_api_document_is_the_classic_swagger_with_typed_items_and_an_example(deployed):
    endpoint, _, plain, api_location = deployed
    document = get(plain + "/apidocument", endpoint["PrimaryKey"]).json()
    assert document["swagger"] == "2.0" and document["basePath"] == urlsplit(api_location).path
    paths = list(document["paths"])
    assert paths[1] == "/execute?api-version=2.0&format=swagger"  # the R package takes the second path's method
    assert [p for p in paths if p.startswith("/execute?")] == [paths[1]]
    assert document["paths"][paths[1]]["post"]["operationId"] == "execute"
    output = document["definitions"]["output1Item"]["properties"]
    assert output["age"] == {"type": "integer", "format": "int32"}
    assert output["Scored Probabilities"] == {"type": "number", "format": "double"}
    assert output["Scored Labels"]["type"] == "string"
    example = document["definitions"]["ExecutionRequest"]["example"]["Inputs"]["input1"][0]
    assert isinstance(example["age"], int) and isinstance(example["workclass"], str) and "income" not in example
    assert get(api_location + "/swagger.json", endpoint["SecondaryKey"]).json() == document
    assert get(api_location + "/swagger.json").status_code == 401


def test_a_workspace_token_reads_the_pages_and_another_workspaces_token_does_not(deployed, owner, outsider):
    """Item 8 of issue 17: the endpoint's key or a workspace authorization token, no studio login."""
    from studio.workspace_tokens import workspace_token_regenerate

    _, _, plain, _ = deployed
    mine = workspace_token_regenerate(workspace=owner.workspace, which="secondary")
    theirs = workspace_token_regenerate(workspace=outsider.workspace, which="primary")
    for page in PAGES:
        assert get(plain + page, mine).status_code == 200, page
        assert get(plain + page, theirs).status_code == 401, page
