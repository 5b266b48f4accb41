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
