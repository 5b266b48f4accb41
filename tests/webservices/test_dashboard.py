"""The endpoint page: API help with runnable samples, the Test form's API, usage and log, swagger.json."""

from __future__ import annotations

import subprocess
import sys
import time
from urllib.parse import urlsplit

import httpx
import pytest

from tests.webservices.test_deploy import income, publish  # noqa: F401 (fixture)
from webservices.models import WebService

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def deployed(api, owner, income):  # noqa: F811
    training, _ = income
    body = publish(api, owner, training)[2]
    return WebService.objects.get(pk=body["web_service"]), body["endpoint"]


def test_the_help_pages_python_sample_scores_against_the_running_studio_as_shown(deployed, owner_client, studio_server,
                                                                                 tmp_path):
    service, endpoint = deployed
    page = owner_client.get(f"/web-services/{service.pk}/endpoints/default/")
    assert page.status_code == 200
    help_ = page.context["help"]
    assert set(help_["code"]) == {"Python", "curl", "JavaScript", "C#", "R"}
    assert help_["status"] == 200 and "Scored Labels" in help_["response_json"]
    assert "income" not in help_["request"]["Inputs"]["input1"]["ColumnNames"]  # the label is not asked for
    code = help_["code"]["Python"].replace("<your API key>", endpoint["PrimaryKey"])
    path = urlsplit(help_["url"]).path
    code = code.replace(f"http://testserver{path}", studio_server.url + path)
    script = tmp_path / "sample.py"
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '"Scored Probabilities"' in done.stdout
    for language in ("python", "curl", "javascript", "c", "r"):
        assert f'data-testid="code-{language}"' in page.content.decode()


def test_test_form_api_scores_without_a_key_for_members_only(deployed, api, outsider_api):
    service, _ = deployed
    body = {"Inputs": {"input1": {"ColumnNames": ["age", "workclass"], "Values": [["39", "Private"]]}},
            "GlobalParameters": {}}
    url = f"/api/web-services/{service.pk}/endpoints/default/test/"
    response = api.post(url, body, format="json")
    assert response.status_code == 400 and "is missing" in response.json()["error"]["message"]
    sample = service.current.sample["input1"]
    response = api.post(url, {"Inputs": {"input1": sample}, "GlobalParameters": {}}, format="json")
    assert response.status_code == 200
    assert response.json()["Results"]["output1"]["value"]["ColumnNames"][-1] == "Scored Probabilities"
    assert outsider_api.post(url, body, format="json").status_code == 404


def test_usage_and_the_request_log_follow_calls_over_http(deployed, api, studio_server):
    service, endpoint = deployed
    from webservices.models import Endpoint

    Endpoint.objects.filter(service=service).update(diagnostics_trace_level="All")
    url = studio_server.url + urlsplit(endpoint["ApiLocation"]).path + "/execute?api-version=2.0"
    sample = service.current.sample["input1"]
    time.sleep(1.2)
    for _ in range(3):
        assert httpx.post(url, json={"Inputs": {"input1": sample}}, headers={
            "Authorization": f"Bearer {endpoint['PrimaryKey']}"}).status_code == 200
    deadline = time.monotonic() + 10
    while (usage := api.get(f"/api/web-services/{service.pk}/endpoints/default/usage/").json())["calls"] < 3:
        assert time.monotonic() < deadline, usage
        time.sleep(0.3)
    assert usage["errors"] == 0 and usage["buckets"][0]["p50_ms"] is not None
    assert len(usage["requests"]) == 3 and '"Scored Labels"' in usage["requests"][0]["response"]
    assert api.get(f"/api/web-services/{service.pk}/endpoints/default/usage/?minutes=0").status_code == 400


def test_swagger_json_for_members_or_with_the_endpoints_key(deployed, owner_client, client, studio_server):
    service, endpoint = deployed
    path = f"/web-services/{service.pk}/endpoints/default/swagger.json"
    document = owner_client.get(path).json()
    assert document["openapi"].startswith("3.") and document["security"] == [{"apiKey": []}]
    operation = document["paths"][urlsplit(endpoint["ApiLocation"]).path + "/execute"]["post"]
    request = document["components"]["schemas"]["Request"]
    table = request["properties"]["Inputs"]["properties"]["input1"]
    assert "age" in table["properties"]["ColumnNames"]["items"]["enum"]
    assert set(operation["responses"]) == {"200", "400", "401", "404", "413", "429", "503"}
    assert "Retry-After" in operation["responses"]["503"]["headers"]
    assert client.get(path).status_code == 404
    with_key = httpx.get(studio_server.url + path, headers={"Authorization": f"Bearer {endpoint['PrimaryKey']}"})
    assert with_key.status_code == 200 and with_key.json()["info"]["title"].endswith("(default)")


def test_test_form_calls_count_in_usage_as_calls_from_the_studio(deployed, api):
    """Issue 15: the Test form's calls were missing from Usage. They count like RRS calls, marked as the studio's
    in the buckets and in the request log."""
    from webservices import usage
    from webservices.models import Endpoint

    service, _ = deployed
    Endpoint.objects.filter(service=service).update(diagnostics_trace_level="All")
    test = f"/api/web-services/{service.pk}/endpoints/default/test/"
    sample = service.current.sample["input1"]
    assert api.post(test, {"Inputs": {"input1": sample}, "GlobalParameters": {}}, format="json").status_code == 200
    bad = {"Inputs": {"input1": {**sample, "Values": [["not a number" if name == "age" else value
                                                       for name, value in zip(sample["ColumnNames"], row, strict=True)]
                                                      for row in sample["Values"]]}}}
    refused = api.post(test, bad, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["message"].startswith("Column 'age', row 1:")
    usage.flush()
    counted = api.get(f"/api/web-services/{service.pk}/endpoints/default/usage/").json()
    assert (counted["calls"], counted["errors"], counted["studio_calls"]) == (2, 1, 2)
    assert [entry["source"] for entry in counted["requests"]] == ["studio", "studio"]


def test_deploy_keeps_the_values_of_each_text_column_as_the_test_forms_choices(deployed):
    """Issue 15: categorical inputs were free text. The snapshot lists each text column's values (from the data
    that reached the Web service input), numbers have none, and a column of too many values has none either."""
    from webservices.services import MAX_LEVELS

    service, _ = deployed
    columns = {c["name"]: c for c in service.current.input_schema["input1"]}
    assert {"Private", "State-gov", "Self-emp-not-inc"} <= set(columns["workclass"]["levels"])
    assert columns["workclass"]["levels"] == sorted(columns["workclass"]["levels"])
    assert columns["sex"]["levels"] == ["Female", "Male"]
    assert columns["income"]["levels"] == ["<=50K", ">50K"] and columns["income"]["optional"]
    assert "levels" not in columns["age"] and columns["age"]["kind"] == "numeric"
    assert all(len(c.get("levels", [])) <= MAX_LEVELS for c in columns.values())


def test_a_new_primary_key_comes_with_its_hint(deployed, api):
    from webservices.models import Endpoint

    service, _ = deployed
    answer = api.post(f"/api/web-services/{service.pk}/endpoints/default/regenerate-key/", {"key": "primary"},
                      format="json").json()
    assert answer["KeyHint"] == answer["PrimaryKey"][:4] + "…"
    assert Endpoint.objects.get(service=service, is_default=True).primary_key_hint == answer["PrimaryKey"][:4]
