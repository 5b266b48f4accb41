"""The JSON shapes of web services and endpoints (SPEC §2-3): the studio API's and the classic management API's."""

from __future__ import annotations

from typing import Any

from .lineage import endpoint_lineage
from .locations import api_location, batch_location, help_location
from .models import Endpoint, WebService
from .scoring.keys import stored_keys


def resources_json(service: WebService) -> list[dict[str, str]]:
    """The saved objects a deployment serves that an endpoint may patch (trained models, transforms)."""
    deployment = service.current
    return [{"Name": r["Name"], "Kind": r["Kind"]} for r in (deployment.resources if deployment else [])
            if r["Kind"] in ("TrainedModel", "Transform")]


def endpoint_json(base: str, endpoint: Endpoint, *, with_keys: bool = True) -> dict[str, Any]:
    """The endpoint as the studio API shows it to members of its workspace, keys included (issue 17: null for keys
    made before keys were sealed, until regenerated); pages leave them out (`with_keys=False`)."""
    body: dict[str, Any] = {
        "Name": endpoint.name, "Id": endpoint.endpoint_id, "IsDefault": endpoint.is_default,
        "Description": endpoint.description, "CreationTime": endpoint.created.isoformat(),
        "ApiLocation": api_location(base, endpoint), "BatchLocation": batch_location(base, endpoint),
        "HelpLocation": help_location(base, endpoint), "KeyHint": f"{endpoint.primary_key_hint}…",
        "MaxConcurrentCalls": endpoint.max_concurrent_calls, "DiagnosticsTraceLevel": endpoint.diagnostics_trace_level,
        "ThrottleLevel": endpoint.throttle_level, "Version": endpoint.version,
        "Resources": [{**r, "Patched": r["Name"] in {p["Name"] for p in endpoint.resources or []}}
                      for r in resources_json(endpoint.service)],
        "Lineage": endpoint_lineage(endpoint),
    }
    return {**body, **stored_keys(endpoint)} if with_keys else body


def classic_endpoint_json(base: str, endpoint: Endpoint, *, with_keys: bool) -> dict[str, Any]:
    """The endpoint as Azure's classic management API described it (SPEC §3). `PrimaryKey`/`SecondaryKey` are
    always there, as in the classic answers: the keys for a caller allowed to manage the workspace, else null."""
    body: dict[str, Any] = {
        "Name": endpoint.name, "Description": endpoint.description, "CreationTime": endpoint.created.isoformat(),
        "WorkspaceId": endpoint.service.workspace_id, "WebServiceId": str(endpoint.service_id),
        "HelpLocation": help_location(base, endpoint), "ApiLocation": api_location(base, endpoint),
        "BatchLocation": batch_location(base, endpoint), "Version": endpoint.version,
        "MaxConcurrentCalls": endpoint.max_concurrent_calls, "DiagnosticsTraceLevel": endpoint.diagnostics_trace_level,
        "ThrottleLevel": endpoint.throttle_level,
    }
    return {**body, **(stored_keys(endpoint) if with_keys else {"PrimaryKey": None, "SecondaryKey": None})}


def classic_service_json(service: WebService) -> dict[str, Any]:
    """The web service as the classic management API listed it (`GET /workspaces/{ws}/webservices[/{id}]`)."""
    endpoints = list(service.endpoints.all())
    default = next((e.name for e in endpoints if e.is_default), None)
    return {"Id": str(service.pk), "Name": service.name, "Description": service.description,
            "CreationTime": service.created.isoformat(), "WorkspaceId": service.workspace_id,
            "DefaultEndpointName": default, "EndpointCount": len(endpoints)}


def service_json(base: str, service: WebService) -> dict[str, Any]:
    """The web service as the studio API lists it, with its current deployment's schemas and its endpoints."""
    deployment = service.current
    return {
        "id": service.pk, "name": service.name, "kind": service.kind, "workspace": service.workspace_id,
        "parameters": [{"name": p["name"], "default": p.get("default")}
                       for p in (deployment.graph.get("web_service_parameters", []) if deployment else [])],
        "experiment": service.experiment_id, "deployed_at": service.deployed_at,
        "version": deployment.version if deployment else None,
        "input_schema": deployment.input_schema if deployment else {},
        "output_schema": deployment.output_schema if deployment else {},
        "resources": resources_json(service),
        "endpoints": [endpoint_json(base, endpoint) for endpoint in service.endpoints.all()],
    }
