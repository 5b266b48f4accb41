"""Conformance (issue 17, item 10, management half): the calls classic management clients make, in their order,
with their headers and bodies, over real HTTP against the studio server, authorized with the workspace token
from the settings page.

- The PowerShell AzureMLPS module: Get-AmlWebService (list, then one), Get-AmlWebServiceEndpoint (list, then by
  name: the keys), Add-AmlWebServiceEndpoint (its body carries WebServiceId, EndpointName, PreventUpdate and nulls),
  Invoke-AmlWebServiceRRSEndpoint with the new key, Refresh-AmlWebServiceEndpoint (`{"OverwriteResources":
  "False"}`; 200 changed, 304 nothing to do), Remove-AmlWebServiceEndpoint.
- The R AzureML package: `services(ws)` and `endpoints(ws, s$Id)` with `Bearer <workspace token>`, then
  `consume(e, df)`: `ApiLocation` + `/execute?api-version=2.0&details=true&format=swagger` with the endpoint's
  `PrimaryKey`, rows as objects; and the classic body on `ApiLocation` + `/execute?api-version=2.0&details=true`.
"""

from __future__ import annotations

import httpx
import pytest

from experiments.datasets import dataset_table
from experiments.models import Dataset
from studio.models import Workspace
from studio.workspace_tokens import workspace_tokens_of
from tests.webservices.test_deploy import ADULT, income, publish  # noqa: F401 (fixture)
from webservices.models import Endpoint, WebService
from webservices.resource_history import updatable

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published(api, owner, income, studio_server):  # noqa: F811
    """The income service deployed, the workspace's token as its settings page shows it, the server's URL."""
    training, _ = income
    _, _, deployed = publish(api, owner, training)
    token = workspace_tokens_of(Workspace.objects.get(pk=owner.workspace.pk))["primary"]
    rows = dataset_table(Dataset.objects.get(name=ADULT)).frame.drop(columns=["income"]).dropna().head(3)
    return {"ws": owner.workspace.pk, "service": str(deployed["web_service"]), "token": token,
            "management": f"{studio_server.url}/workspaces/{owner.workspace.pk}/webservices", "rows": rows}


def powershell(method: str, url: str, token: str, body: str | None = None) -> httpx.Response:
    """AzureMLPS's Util.HttpGet/HttpPut/HttpPost/HttpDelete: Bearer token, JSON body as a string."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return httpx.request(method, url, content=body, headers=headers, timeout=60)


def classic_rows(rows) -> dict:
    return {"Inputs": {"input1": {"ColumnNames": list(rows.columns),
                                  "Values": [[str(v) for v in row] for row in rows.itertuples(index=False)]}},
            "GlobalParameters": {}}


def test_the_powershell_module_manages_endpoints_with_the_workspace_token(published):
    management, token, service = published["management"], published["token"], published["service"]

    listed = powershell("GET", management, token)  # Get-AmlWebService
    assert listed.status_code == 200
    mine = next(s for s in listed.json() if s["Id"] == service)
    assert mine["DefaultEndpointName"] == "default" and mine["EndpointCount"] == 1
    one = powershell("GET", f"{management}/{service}", token)  # Get-AmlWebService -WebServiceId
    assert one.status_code == 200 and one.json() == mine

    endpoints = powershell("GET", f"{management}/{service}/endpoints", token)  # Get-AmlWebServiceEndpoint
    assert endpoints.status_code == 200 and [e["Name"] for e in endpoints.json()] == ["default"]
    assert len(endpoints.json()[0]["PrimaryKey"]) == 88

    added = powershell("PUT", f"{management}/{service}/endpoints/nightly", token,  # Add-AmlWebServiceEndpoint
                       f'{{"WebServiceId":"{service}","EndpointName":"nightly","Description":"from PowerShell",'
                       '"ThrottleLevel":"Low","MaxConcurrentCalls":null,"PreventUpdate":false}')
    assert added.status_code == 200, added.text

    nightly = powershell("GET", f"{management}/{service}/endpoints/nightly", token).json()  # ... -EndpointName
    assert nightly["Description"] == "from PowerShell" and nightly["WebServiceId"] == service
    execute = f"{nightly['ApiLocation']}/execute?api-version=2.0&details=true"  # Invoke-AmlWebServiceRRSEndpoint
    scored = httpx.post(execute, json=classic_rows(published["rows"]),
                        headers={"Authorization": f"Bearer {nightly['PrimaryKey']}"}, timeout=60)
    assert scored.status_code == 200, scored.text
    assert len(scored.json()["Results"]["output1"]["value"]["Values"]) == 3

    refresh = f"{management}/{service}/endpoints/nightly/refresh"  # Refresh-AmlWebServiceEndpoint
    assert powershell("POST", refresh, token, '{"OverwriteResources": "False"}').status_code == 304
    patched_as_a_patch_leaves_it(service, "nightly")
    assert powershell("POST", refresh, token, '{"OverwriteResources": "True"}').status_code == 200
    assert Endpoint.objects.get(service_id=int(service), name="nightly").resources == []
    assert powershell("POST", refresh, token, '{"OverwriteResources": "True"}').status_code == 304

    removed = powershell("DELETE", f"{management}/{service}/endpoints/nightly", token)  # Remove-AmlWebService...
    assert removed.status_code == 204
    gone = powershell("GET", f"{management}/{service}/endpoints/nightly", token)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "NotFound"
    refused = httpx.post(execute, json=classic_rows(published["rows"]),
                         headers={"Authorization": f"Bearer {nightly['PrimaryKey']}"}, timeout=60)
    assert refused.status_code == 401

    wrong = powershell("GET", management, "0" * 32)
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "Unauthorized"


def patched_as_a_patch_leaves_it(service_id: str, name: str) -> None:
    """The endpoint serving its own copy of the trained model, as Update Resource leaves it (the retraining
    journey does the real PATCH: tests/webservices/test_retraining.py)."""
    endpoint = Endpoint.objects.get(service_id=int(service_id), name=name)
    resource = updatable(WebService.objects.get(pk=int(service_id)))[0]
    endpoint.resources = [{"Name": resource["Name"], "Path": resource["Path"], "Sha256": resource["Sha256"]}]
    endpoint.save(update_fields=["resources"])


def test_the_r_package_lists_services_and_endpoints_then_scores(published):
    management, token = published["management"], published["token"]
    as_r = {"Authorization": f"Bearer {token}", "Accept": "application/json", "User-Agent": "R",
            "Content-Type": "application/json;charset=UTF8"}

    services = httpx.get(management, headers=as_r, timeout=60)  # services(ws)
    assert services.status_code == 200
    service = next(s for s in services.json() if s["Name"] == "Income prediction [predictive exp.]")
    endpoints = httpx.get(f"{management}/{service['Id']}/endpoints", headers=as_r, timeout=60)  # endpoints(ws, s)
    assert endpoints.status_code == 200
    endpoint = endpoints.json()[0]
    assert set(endpoint) >= {"Name", "Description", "CreationTime", "WorkspaceId", "WebServiceId", "HelpLocation",
                             "PrimaryKey", "SecondaryKey", "ApiLocation", "Version", "MaxConcurrentCalls",
                             "DiagnosticsTraceLevel", "ThrottleLevel"}

    rows = published["rows"]
    consume = httpx.post(f"{endpoint['ApiLocation']}/execute?api-version=2.0&details=true&format=swagger",
                         json={"Inputs": {"input1": rows.to_dict(orient="records")}, "GlobalParameters": {}},
                         headers={"User-Agent": "R", "Content-Type": "application/json",
                                  "Authorization": f"Bearer {endpoint['PrimaryKey']}"}, timeout=60)  # consume(e, df)
    assert consume.status_code == 200, consume.text
    assert [set(row) >= {"Scored Labels", "Scored Probabilities"} for row in consume.json()["Results"]["output1"]] \
        == [True] * 3

    classic = httpx.post(f"{endpoint['ApiLocation']}/execute?api-version=2.0&details=true", json=classic_rows(rows),
                         headers={"Authorization": f"Bearer {endpoint['SecondaryKey']}"}, timeout=60)
    assert classic.status_code == 200, classic.text
    assert classic.json()["Results"]["output1"]["value"]["ColumnNames"][-2:] == ["Scored Labels",
                                                                                "Scored Probabilities"]

    # a client that appended /execute twice (the old ApiLocation) gets the classic JSON error, not an HTML page
    doubled = httpx.post(f"{endpoint['ApiLocation']}/execute/execute?api-version=2.0", json=classic_rows(rows),
                         headers={"Authorization": f"Bearer {endpoint['PrimaryKey']}"}, timeout=60)
    assert doubled.status_code == 404 and doubled.json()["error"]["code"] == "NotFound"
