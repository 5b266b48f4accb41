"""The models an endpoint has served, per resource: what a deployment brought (written into every added
endpoint's history when it is deployed or added) and what a PATCH may replace. Below both the deploy service
and endpoint management, which each write it."""

from __future__ import annotations

from typing import Any

from .lineage import deployed_resource_lineage
from .models import Endpoint, ResourceVersion, WebService


def updatable(service: WebService) -> list[dict[str, Any]]:
    """The resources a PATCH may replace: the trained models of the current deployment."""
    deployment = service.current
    return [r for r in (deployment.resources if deployment else []) if r["Kind"] == "TrainedModel"]


def deployed_version(endpoint: Endpoint, resource: dict[str, Any]) -> ResourceVersion:
    """The history's entry for what the current deployment brought; active (and the only active one) unless
    the endpoint serves a patch of that resource."""
    version = endpoint.resource_versions.filter(name=resource["Name"], how="deploy", sha256=resource["Sha256"]).first()
    if version is None:
        patched = any(r["Name"] == resource["Name"] for r in endpoint.resources or [])
        if not patched:
            endpoint.resource_versions.filter(name=resource["Name"]).update(active=False)
        deployment = endpoint.service.current
        lineage = deployed_resource_lineage(deployment, resource) if deployment is not None else {}
        version = ResourceVersion.objects.create(endpoint=endpoint, name=resource["Name"], path=resource["Path"],
                                                 sha256=resource["Sha256"], how="deploy", active=not patched,
                                                 activated_by="deploy", source="deployment", lineage=lineage)
    return version


def deployment_recorded(service: WebService, endpoints: list[Endpoint] | None = None) -> None:
    """Write the current deployment's models into the history of every non-default endpoint (or those given):
    called when an endpoint is added and when the service is deployed again or its definition imported, so
    that reading a history never writes."""
    for endpoint in endpoints if endpoints is not None else service.endpoints.filter(is_default=False):
        for resource in updatable(service):
            deployed_version(endpoint, resource)
