"""The JSON shapes of web services and endpoints (SPEC §2-3), in one place for the API and the pages."""

from __future__ import annotations

from typing import Any

from .models import Endpoint, WebService
from .services import Keys


def api_location(base: str, endpoint: Endpoint) -> str:
    """RRS: the request-response URL clients POST to (with `?api-version=2.0&details=true`)."""
    return f"{base}/workspaces/{endpoint.service.workspace_id}/services/{endpoint.endpoint_id}/execute"


def batch_location(base: str, endpoint: Endpoint) -> str:
    """BES: where batch jobs are submitted (with `?api-version=2.0`)."""
    return f"{base}/workspaces/{endpoint.service.workspace_id}/services/{endpoint.endpoint_id}/jobs"


def help_location(base: str, endpoint: Endpoint) -> str:
    return f"{base}/web-services/{endpoint.service_id}/endpoints/{endpoint.name}/"


def resources_json(service: WebService) -> list[dict[str, str]]:
    deployment = service.current
    return [{"Name": r["Name"], "Kind": r["Kind"]} for r in (deployment.resources if deployment else [])
            if r["Kind"] in ("TrainedModel", "Transform")]


def endpoint_json(base: str, endpoint: Endpoint, keys: Keys | None = None) -> dict[str, Any]:
    """The endpoint as the studio API lists it; the keys appear only when `keys` is given (made just now)."""
    body: dict[str, Any] = {
        "Name": endpoint.name, "Id": endpoint.endpoint_id, "IsDefault": endpoint.is_default,
        "Description": endpoint.description, "CreationTime": endpoint.created.isoformat(),
        "ApiLocation": api_location(base, endpoint), "BatchLocation": batch_location(base, endpoint),
        "HelpLocation": help_location(base, endpoint), "KeyHint": f"{endpoint.primary_key_hint}…",
        "MaxConcurrentCalls": endpoint.max_concurrent_calls, "DiagnosticsTraceLevel": endpoint.diagnostics_trace_level,
        "ThrottleLevel": endpoint.throttle_level, "Version": endpoint.version,
        "Resources": endpoint.resources or resources_json(endpoint.service),
    }
    if keys is not None:
        body["PrimaryKey"], body["SecondaryKey"] = keys.primary, keys.secondary
    return body


def service_json(base: str, service: WebService) -> dict[str, Any]:
    deployment = service.current
    return {
        "id": service.pk, "name": service.name, "kind": service.kind, "workspace": service.workspace_id,
        "experiment": service.experiment_id, "deployed_at": service.deployed_at,
        "version": deployment.version if deployment else None,
        "input_schema": deployment.input_schema if deployment else {},
        "output_schema": deployment.output_schema if deployment else {},
        "resources": resources_json(service),
        "endpoints": [endpoint_json(base, endpoint) for endpoint in service.endpoints.all()],
    }


# --- The new-style web service definition (export/import) ------------------------------------------

SWAGGER_TYPES = {"numeric": ("number", "double"), "boolean": ("boolean", None), "datetime": ("string", "date-time")}


def swagger_table(columns: list[dict[str, Any]]) -> dict[str, Any]:
    """A table as Swagger 2.0 (the new-style definition's input/output): an array of row objects."""
    properties: dict[str, Any] = {}
    for column in columns:
        kind, form = SWAGGER_TYPES.get(column["kind"], ("string", None))
        properties[column["name"]] = {"type": kind, **({"format": form} if form else {})}
    required = [column["name"] for column in columns if not column.get("optional", False)]
    return {"type": "array", "items": {"type": "object", "properties": properties, "required": required}}


def definition_json(base: str, service: WebService) -> dict[str, Any]:
    """The service as Azure's new-style web service definition (`Microsoft.MachineLearning/webServices`):
    assets (the saved model and transforms), the package graph, Swagger input/output, configuration.
    Graph nodes are the snapshot's, by id; module parameters travel in `parameters`."""
    deployment = service.current
    graph = deployment.graph if deployment else {"nodes": [], "edges": []}
    by_node = {r["Node"]: r for r in (deployment.resources if deployment else [])}
    default = next((e for e in service.endpoints.all() if e.is_default), None)
    inputs = deployment.input_schema if deployment else {}
    outputs = deployment.output_schema if deployment else {}
    assets: dict[str, Any] = {}
    nodes: dict[str, Any] = {}
    for node in graph["nodes"]:
        params = dict(node.get("params", {}))
        if node["module"] == "web-service-input":
            nodes[node["id"]] = {"inputId": params.get("name", "input1")}
        elif node["module"] == "web-service-output":
            nodes[node["id"]] = {"outputId": params.get("name", "output1")}
        else:
            asset_id = f"{node['id']}-asset"
            resource = by_node.get(node["id"])
            assets[asset_id] = {
                "name": resource["Name"] if resource else node["module"],
                "type": "Resource" if resource and resource["Kind"] != "Dataset" else "Module",
                "locationInfo": {"uri": f"{base}/api/assets/{resource['Asset']}/" if resource and "Asset" in resource
                                 else f"atelier://module/{node['module']}"},
            }
            nodes[node["id"]] = {"assetId": asset_id, "parameters": params}
    edges = {f"edge{i}": {"sourceNodeId": e["source"], "sourcePortId": e["source_port"],
                          "targetNodeId": e["target"], "targetPortId": e["target_port"]}
             for i, e in enumerate(graph["edges"], start=1)}
    return {
        "name": service.name,
        "id": f"/workspaces/{service.workspace_id}/webservices/{service.pk}",
        "type": "Microsoft.MachineLearning/webServices",
        "properties": {
            "title": service.name, "description": service.description, "packageType": "Graph",
            "readOnly": False, "createdOn": service.created.isoformat(),
            "modifiedOn": service.deployed_at.isoformat() if service.deployed_at else None,
            "realtimeConfiguration": {"maxConcurrentCalls": default.max_concurrent_calls if default else 20},
            "diagnostics": {"level": default.diagnostics_trace_level if default else "None"},
            "input": {"type": "object", "title": "input",
                      "properties": {name: swagger_table(columns) for name, columns in inputs.items()}},
            "output": {"type": "object", "title": "output",
                       "properties": {name: swagger_table(columns) for name, columns in outputs.items()}},
            "assets": assets,
            "package": {"nodes": nodes, "edges": edges, "graphParameters": {}},
            "parameters": {},
        },
    }
