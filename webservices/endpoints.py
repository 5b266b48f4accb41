"""Endpoint management and Update Resource (SPEC §3, issue 7): add, change and delete endpoints; patch a
retrained model onto a non-default endpoint after checking where it came from, that it is intact and that it
fits the service; keep every endpoint's resource history and roll back. Plain functions; views only call."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F

from experiments.engine import store
from experiments.modules.framework.artifacts import ArtifactError, TrainedModel
from experiments.service_kinds import service_kind
from studio.errors import RequestRefused

from . import blob, storage
from .dry_run import sample_problem
from .lineage import patch_lineage
from .models import Endpoint, ResourceVersion, WebService
from .resource_history import deployed_version, deployment_recorded, updatable
from .scoring.keys import Keys
from .scoring.served import signal_change
from .services import endpoint_create, signal_on_commit
from .traffic import traffic_forget

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,23}$")
SETTINGS = {"Description": "description", "ThrottleLevel": "throttle_level",
            "MaxConcurrentCalls": "max_concurrent_calls", "DiagnosticsTraceLevel": "diagnostics_trace_level"}


class EndpointError(RequestRefused):
    """A refused management call; `status` is the HTTP status (400, 403, 404, 409)."""


@dataclass
class Added:
    endpoint: Endpoint
    keys: Keys | None
    created: bool


def _settings(raw: Any) -> dict[str, Any]:
    """The settings an add-endpoint body sets. As the classic service did, a field that is null is not set, and
    fields it doesn't know are ignored: the AzureMLPS module sends `WebServiceId`, `EndpointName` and
    `PreventUpdate` (and nulls for settings not given) in every body (docs/CLASSIC.md)."""
    if not isinstance(raw, dict):
        raise EndpointError('The body must be a JSON object, e.g. {"Description": "...", "MaxConcurrentCalls": 20}.')
    body = {field: value for field, value in raw.items() if field in SETTINGS and value is not None}
    cleaned: dict[str, Any] = {}
    if "Description" in body:
        if not isinstance(body["Description"], str) or len(body["Description"]) > 1000:
            raise EndpointError("'Description' must be text of at most 1000 characters.", target="Description")
        cleaned["description"] = body["Description"]
    if "ThrottleLevel" in body:
        if body["ThrottleLevel"] not in Endpoint.Throttle.values:
            raise EndpointError("'ThrottleLevel' must be Low or High.", target="ThrottleLevel")
        cleaned["throttle_level"] = body["ThrottleLevel"]
    if "MaxConcurrentCalls" in body:
        calls = body["MaxConcurrentCalls"]
        if isinstance(calls, bool) or not isinstance(calls, int) or not 1 <= calls <= 200:
            raise EndpointError(f"'MaxConcurrentCalls' must be a whole number from 1 to 200 (got {calls!r}).",
                                target="MaxConcurrentCalls")
        cleaned["max_concurrent_calls"] = calls
    if "DiagnosticsTraceLevel" in body:
        if body["DiagnosticsTraceLevel"] not in Endpoint.TraceLevel.values:
            raise EndpointError("'DiagnosticsTraceLevel' must be None, Error or All.", target="DiagnosticsTraceLevel")
        cleaned["diagnostics_trace_level"] = body["DiagnosticsTraceLevel"]
    return cleaned


def endpoint_put(*, service: WebService, name: str, body: Any) -> Added:
    """Add the endpoint `name` (with new keys), or change an existing one's settings."""
    if not NAME.match(name):
        raise EndpointError(f"'{name}' is not a valid endpoint name: 1 to 24 letters, digits, '-' or '_', starting "
                            "with a letter or digit.", target="name")
    cleaned = _settings(body if body is not None else {})
    existing = service.endpoints.filter(name=name).first()
    if existing is not None:
        for field, value in cleaned.items():
            setattr(existing, field, value)
        existing.version += 1
        existing.save()
        return Added(existing, None, False)
    endpoint, keys = endpoint_create(service=service, name=name, **cleaned)
    if not endpoint.is_default:
        deployment_recorded(service, [endpoint])
    return Added(endpoint, keys, True)


def overwrite_flag(body: Any) -> bool:
    """`OverwriteResources` of a refresh body: true/false, or "True"/"False" as the AzureMLPS module sends it
    (C#'s bool.ToString() in a string); missing or null is false; other fields are ignored."""
    if body is not None and not isinstance(body, dict):
        raise EndpointError('The body must be a JSON object, e.g. {"OverwriteResources": "False"}.')
    value = (body or {}).get("OverwriteResources")
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise EndpointError(f"'OverwriteResources' must be true or false (or \"True\"/\"False\"); got {value!r}.",
                        target="OverwriteResources")


def endpoint_refresh(*, endpoint: Endpoint, body: Any) -> bool:
    """The classic Refresh: bring an endpoint up to the service's latest deployment. Atelier's endpoints serve
    the latest deployment from the moment it is made, so only `OverwriteResources` has anything to do: the
    endpoint's patched models are dropped and it serves the deployment's own again (each a step of its resource
    history, like a rollback). Whether anything changed (the classic answer: 200, or 304 for nothing to do)."""
    if not overwrite_flag(body):
        return False
    patched = {r["Name"] for r in endpoint.resources or []}
    changed = False
    for resource in updatable(endpoint.service):
        if resource["Name"] in patched:
            resource_rollback(endpoint=endpoint, version_id=deployed_version(endpoint, resource).pk)
            changed = True
    return changed


def endpoint_delete(endpoint: Endpoint) -> None:
    if endpoint.is_default:
        raise EndpointError("The default endpoint can't be deleted: it is the service's own; delete the web service "
                            "instead.", target=endpoint.name)
    with transaction.atomic():
        signal_on_commit([endpoint.endpoint_id])  # its keys stop working at once in every process
        traffic_forget(endpoint)  # its share of a traffic split goes back to the default endpoint
        endpoint.delete()


# --- Update Resource ------------------------------------------------------------------------------


def _located(service: WebService, location: Any, name: str) -> tuple[str, str]:
    """(relative location, token query) of a storage file of the service's workspace, the token checked."""
    if not isinstance(location, dict):
        raise EndpointError(f"Resource '{name}' needs a Location with BaseLocation, RelativeLocation and SasBlobToken.",
                            target=name)
    base = str(location.get("BaseLocation") or "")
    expected = f"/workspaces/{service.workspace_id}/storage/"
    if base and not urlsplit(base).path.endswith(expected):
        raise EndpointError(f"BaseLocation '{base}' is not this workspace's storage (…{expected}).", target=name)
    try:
        relative = storage.clean_location(location.get("RelativeLocation"))
    except storage.StorageError as error:
        raise EndpointError(error.message, target=name) from None
    query = parse_qs(str(location.get("SasBlobToken") or "").lstrip("?"))
    expires, signature = query.get("se", [""])[0], query.get("sig", [""])[0]
    if not storage.token_valid(service.workspace_id, relative, expires, signature):
        raise EndpointError(f"The SasBlobToken for '{relative}' is not valid for that file or has expired; use the "
                            "token the retraining job returned (tokens last 24 hours).", status=403, target=name)
    if not storage.exists(service.workspace_id, relative):
        raise EndpointError(f"No file at '{relative}' in the workspace storage.", target=name)
    return relative, f"?se={expires}&sig={signature}"


def _fits(new: TrainedModel, current: TrainedModel, name: str) -> None:
    """The new model must predict the same thing from columns the service gives Score Model."""
    if new.task != current.task:
        raise EndpointError(f"'{name}' is a {current.task} model; the file holds a {new.task} model.", target=name)
    if new.label != current.label:
        raise EndpointError(f"'{name}' predicts '{current.label}'; the file's model predicts '{new.label}'.",
                            target=name)
    given = {column.name: column.kind for column in current.features}
    for column in new.features:
        if column.name not in given:
            raise EndpointError(f"The model needs column '{column.name}', which this service's input does not have "
                                f"(it was trained on another schema).", target=name)
        if given[column.name] != column.kind:
            raise EndpointError(f"The model reads column '{column.name}' as {column.kind}; this service gives it as "
                                f"{given[column.name]}.", target=name)


def model_fits(service: WebService, name: str, new: TrainedModel) -> None:
    """Refused (EndpointError) unless `new` could replace the service's updatable resource `name`: compared with
    the model the service deployed (task, label, feature columns and their kinds)."""
    resource = next((r for r in updatable(service) if r["Name"] == name), None)
    if resource is None:
        raise EndpointError(f"'{name}' is not an updatable resource of this service.", target=name)
    try:
        current = TrainedModel.described(store.read_bytes(resource["Path"]))
    except ArtifactError as error:
        raise EndpointError(f"The service's current model '{name}' can't be read to compare: {error}.",
                            target=name) from None
    _fits(new, current, name)


def _dry_run(endpoint: Endpoint, resources: list[dict[str, Any]]) -> None:
    """Compile and score the deployment's sample rows with the new resources: a model that can't serve is
    refused now, not on the next caller's request."""
    deployment = endpoint.service.current
    assert deployment is not None
    dry_run(deployment, resources)


def dry_run(deployment: Any, resources: list[dict[str, Any]]) -> None:
    """Refused unless the service compiles and scores its sample rows with `resources`, in a child process with
    limits (webservices/dry_run.py): a package is built in this process only after it passed there."""
    problem = sample_problem(deployment, resources)
    if problem is not None:
        raise EndpointError(f"The model can't score this service's sample rows: {problem}")


def _activate(endpoint: Endpoint, resource: dict[str, Any], version: ResourceVersion, how: str) -> None:
    others = [r for r in endpoint.resources or [] if r["Name"] != resource["Name"]]
    endpoint.resources = [*others, {"Name": resource["Name"], "Path": version.path, "Sha256": version.sha256}]
    endpoint.save(update_fields=["resources"])
    Endpoint.objects.filter(pk=endpoint.pk).update(version=F("version") + 1)
    endpoint.resource_versions.filter(name=resource["Name"]).exclude(pk=version.pk).update(active=False)
    ResourceVersion.objects.filter(pk=version.pk).update(active=True, activated_by=how)
    transaction.on_commit(lambda: signal_change(endpoint.endpoint_id))


def verified_model(service: WebService, name: str, location: Any) -> tuple[str, str, TrainedModel]:
    """A retrained model named by a storage location, checked (token, package and this studio's signature, fit)
    and copied where the service keeps its resources: (path, sha256, model). Used by PATCH and by a definition's
    PUT."""
    resources = {r["Name"]: r for r in updatable(service)}
    if name not in resources:
        names = ", ".join(f"'{n}'" for n in resources) or "none"
        raise EndpointError(f"'{name}' is not an updatable resource of this service; it has {names}.",
                            target=str(name))
    base = str(location.get("BaseLocation") or "") if isinstance(location, dict) else ""
    try:  # these very bytes must be the version the token was issued for (not a file replaced since); workspace
        # storage is outside input: only this studio's signed packages, checked without building them (the dry
        # run builds them, in a child process). A blob of the caller's Azure storage: downloaded with its SAS.
        if blob.is_blob_url(base, service.workspace_id):
            relative = storage.clean_location(location.get("RelativeLocation"))
            data = blob.fetch_signed(base, relative, str(location.get("SasBlobToken") or ""),
                                     limit=settings.ATELIER_MAX_MODEL_BYTES)
        else:
            relative, token = _located(service, location, name)
            data = storage.read_signed(service.workspace_id, relative, token, limit=settings.ATELIER_MAX_MODEL_BYTES)
        new = TrainedModel.described(data, require_signature=True)
    except storage.StorageError as error:
        raise EndpointError(error.message, status=error.status, target=name) from None
    except ArtifactError as error:
        raise EndpointError(f"'{relative}' is not a usable trained model: {error}.", target=name) from None
    model_fits(service, name, new)
    digest = hashlib.sha256(data).hexdigest()
    path = f"resources/{service.pk}/{digest}.ilearner"
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(data))
    return path, digest, new


def location_of_uri(uri: Any) -> dict[str, str]:
    """A definition asset's `locationInfo.uri` (BaseLocation + RelativeLocation + SasBlobToken, as a job's result
    concatenates them) split back into a Location."""
    parts = urlsplit(str(uri or ""))
    marker = "/storage/"
    if marker not in parts.path:
        raise EndpointError(f"'{uri}' is not a workspace storage location (…/workspaces/{{ws}}/storage/…?se=…&sig=…).")
    head, relative = parts.path.split(marker, 1)
    return {"BaseLocation": f"{parts.scheme}://{parts.netloc}{head}{marker}", "RelativeLocation": relative,
            "SasBlobToken": f"?{parts.query}"}


def resource_patch(*, endpoint: Endpoint, body: Any, how: str = "patch") -> list[ResourceVersion]:
    """Update Resource: verify everything, then swap atomically; a refused PATCH changes nothing."""
    if endpoint.is_default:
        raise EndpointError("The default endpoint always serves what the predictive experiment deployed, so it can't "
                            "be patched: add an endpoint (PUT .../endpoints/{name}) and patch that one.",
                            target=endpoint.name)
    service = endpoint.service
    if not service_kind(service.kind).patchable:
        raise EndpointError("Only a predictive web service's endpoints serve a trained model that can be replaced.")
    if not isinstance(body, dict) or not isinstance(body.get("Resources"), list) or not body["Resources"]:
        raise EndpointError("The body must be {\"Resources\": [{\"Name\": \"... [trained model]\", \"Location\": "
                            "{\"BaseLocation\", \"RelativeLocation\", \"SasBlobToken\"}}]}.")
    resources = {r["Name"]: r for r in updatable(service)}
    versions = []
    for entry in body["Resources"]:
        if not isinstance(entry, dict):
            raise EndpointError("Each of 'Resources' must be an object with 'Name' and 'Location'.")
        name = entry.get("Name")
        path, digest, new = verified_model(service, str(name), entry.get("Location"))
        relative = str(entry["Location"].get("RelativeLocation"))
        versions.append((resources[str(name)], ResourceVersion(
            endpoint=endpoint, name=str(name), path=path, sha256=digest, source=relative, how=how,
            metrics=new.info.get("metrics", {}), activated_by=how,
            lineage=patch_lineage(name=str(name), model=new, sha256=digest, location=relative))))
    _dry_run(endpoint, [{"Name": resource["Name"], "Path": version.path, "Sha256": version.sha256}
                        for resource, version in versions])
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        for resource, version in versions:
            deployed_version(endpoint, resource)
            version.save()
            _activate(endpoint, resource, version, how)
    return [version for _, version in versions]


def resource_rollback(*, endpoint: Endpoint, version_id: int) -> ResourceVersion:
    """Serve an earlier model of the endpoint's history again (a new request sees it at once)."""
    version = endpoint.resource_versions.filter(pk=version_id).first()
    if version is None:
        raise EndpointError(f"Endpoint '{endpoint.name}' has no resource version {version_id}.", status=404)
    resource = next((r for r in updatable(endpoint.service) if r["Name"] == version.name), None)
    if resource is None:
        raise EndpointError(f"'{version.name}' is no longer a resource of this service.")
    following = version.how == "deploy" and version.sha256 == resource["Sha256"]
    if not following and not default_storage.exists(version.path):
        raise EndpointError(f"The model of that version ({version.sha256[:12]}) is no longer stored; it can't be "
                            "served again.")
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        if following:  # the current deployment's own model: stop overriding it
            endpoint.resources = [r for r in endpoint.resources or [] if r["Name"] != version.name]
            endpoint.save(update_fields=["resources"])
            Endpoint.objects.filter(pk=endpoint.pk).update(version=F("version") + 1)
            endpoint.resource_versions.filter(name=version.name).update(active=False)
            ResourceVersion.objects.filter(pk=version.pk).update(active=True, activated_by="rollback")
            transaction.on_commit(lambda: signal_change(endpoint.endpoint_id))
        else:  # a patch, or what an earlier deployment served: pin that file
            _activate(endpoint, resource, version, "rollback")
    version.refresh_from_db()
    return version


def resource_history(endpoint: Endpoint) -> list[dict[str, Any]]:
    """Every model the endpoint has had per resource, newest first, the active one marked."""
    return [{"id": v.pk, "name": v.name, "sha256": v.sha256, "source": v.source, "how": v.how, "active": v.active,
             "metrics": v.metrics, "created": v.created.isoformat()} for v in endpoint.resource_versions.all()]
