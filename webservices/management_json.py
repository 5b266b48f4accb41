"""The JSON shapes of web services and endpoints (SPEC §2-3): the studio API's and the classic management API's."""

from __future__ import annotations

from typing import Any

from .locations import api_location, batch_location, help_location
from .models import Endpoint, WebService
from .scoring.keys import Keys


def resources_json(service: WebService) -> list[dict[str, str]]:
    """The saved objects a deployment serves that an endpoint may patch (trained models, transforms)."""
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
        "Resources": [{**r, "Patched": r["Name"] in {p["Name"] for p in endpoint.resources or []}}
                      for r in resources_json(endpoint.service)],
    }
    if keys is not None:
        body["PrimaryKey"], body["SecondaryKey"] = keys.primary, keys.secondary
    return body


def classic_endpoint_json(base: str, endpoint: Endpoint, keys: Keys | None = None) -> dict[str, Any]:
    """The endpoint as Azure's classic management API described it (SPEC §3); keys only when just made."""
    body: dict[str, Any] = {
        "Name": endpoint.name, "Description": endpoint.description, "CreationTime": endpoint.created.isoformat(),
        "WorkspaceId": endpoint.service.workspace_id, "WebServiceId": str(endpoint.service_id),
        "HelpLocation": help_location(base, endpoint), "ApiLocation": api_location(base, endpoint),
        "BatchLocation": batch_location(base, endpoint), "Version": endpoint.version,
        "MaxConcurrentCalls": endpoint.max_concurrent_calls, "DiagnosticsTraceLevel": endpoint.diagnostics_trace_level,
        "ThrottleLevel": endpoint.throttle_level,
    }
    if keys is not None:
        body["PrimaryKey"], body["SecondaryKey"] = keys.primary, keys.secondary
    return body


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
