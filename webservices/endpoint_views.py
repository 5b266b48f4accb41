"""The classic management API (SPEC §3, issue 17): web services list and get, endpoints list, get, add, update
resource, delete and refresh, on `/workspaces/{ws}/webservices[/{id}[/endpoints[/{name}[/refresh]]]]`, and the
classic JSON error for any other path under `/workspaces/`. Plain Django views: they authenticate, parse and call
webservices/endpoints.py. Not the hot path.

Who may call: the workspace's authorization token (`Bearer`, as classic clients send it) or a studio token of a
member (`Token`) on every route; a key of the service's default endpoint on the routes of that service (and, for
update resource, a key of the patched endpoint). The keys are shown only to the first two, who manage the
workspace; a key holder sees them as null."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from studio.throttle import request_address

from .endpoints import EndpointError, endpoint_delete, endpoint_put, endpoint_refresh, resource_patch
from .locations import base_url
from .management_json import classic_endpoint_json, classic_service_json
from .models import Endpoint, WebService
from .scoring.keys import Refusal, as_response, check, workspace_manager
from .scoring.wire import error_body

WORKSPACE_CREDENTIALS = ("Send 'Authorization: Bearer <workspace authorization token>' (the workspace's settings "
                         "page) or 'Authorization: Token <studio token>' of a workspace member")


def _json(body: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json; charset=utf-8")


def _error(status: int, code: str, message: str, target: str = "") -> HttpResponse:
    return _json(error_body(code, message, target), status)


def _method_not_allowed(allowed: str) -> HttpResponse:
    response = _error(405, "MethodNotAllowed", f"This path takes {allowed}.")
    response["Allow"] = allowed.replace(" or ", ", ")
    return response


def _refusal(request: HttpRequest, workspace_id: str, service: WebService | bool | None,
             patched: str | None = None) -> Refusal | None:
    """None for a credential that manages the workspace (workspace token, member's studio token); for a `service`
    route also a key of its default endpoint, or (update resource) of the endpoint `patched` names. A service or
    endpoint that doesn't exist accepts no key: the caller gets the same 401 as for a wrong one. `service=False`:
    a workspace-wide route, which no endpoint key opens."""
    message = WORKSPACE_CREDENTIALS + ("." if service is False else ", or 'Authorization: Bearer <key>' of the "
                                       "default endpoint" + (" or of this endpoint." if patched is not None else "."))
    holders = ([e for e in service.endpoints.all() if e.is_default or e.name == patched]
               if isinstance(service, WebService) else [])
    return check(request_address(request), request.headers.get("Authorization", ""), holders, message,
                 members_of=workspace_id)


def _shows_keys(request: HttpRequest, workspace_id: str) -> bool:
    """Keys go only to callers who manage the workspace (classic clients read them from the endpoint list)."""
    return workspace_manager(request.headers.get("Authorization", ""), workspace_id)


def _service(workspace_id: str, service_id: str) -> WebService | None:
    if not service_id.isdigit():
        return None
    return WebService.objects.select_related("workspace", "current").filter(
        pk=int(service_id), workspace_id=workspace_id).first()


def _read_service(request: HttpRequest, workspace_id: str, service_id: str) -> WebService | HttpResponse:
    """The service a GET route names, or the answer refusing it (405, 401/403, then 404: no hint before a key)."""
    if request.method != "GET":
        return _method_not_allowed("GET")
    service = _service(workspace_id, service_id)
    refusal = _refusal(request, workspace_id, service)
    if refusal is not None:
        return as_response(refusal)
    if service is None:
        return _error(404, "NotFound", "No such web service in this workspace.")
    return service


def _body(request: HttpRequest) -> Any:
    if not request.body:
        return {}
    return orjson.loads(request.body)


def _endpoint_error(error: EndpointError) -> HttpResponse:
    code = {403: "Forbidden", 404: "NotFound", 409: "Conflict"}.get(error.status, "BadArgument")
    return _error(error.status, code, error.message, error.target)


@csrf_exempt
def web_services(request: HttpRequest, workspace_id: str) -> HttpResponse:
    """GET: the workspace's web services, as the classic API listed them (R AzureML's `services()`)."""
    if request.method != "GET":
        return _method_not_allowed("GET")
    refusal = _refusal(request, workspace_id, False)
    if refusal is not None:
        return as_response(refusal)
    services = WebService.objects.filter(workspace_id=workspace_id).prefetch_related("endpoints").order_by("pk")
    return _json([classic_service_json(service) for service in services])


@csrf_exempt
def web_service(request: HttpRequest, workspace_id: str, service_id: str) -> HttpResponse:
    """GET: one web service (Id, Name, Description, CreationTime, WorkspaceId, DefaultEndpointName, EndpointCount)."""
    service = _read_service(request, workspace_id, service_id)
    if isinstance(service, HttpResponse):
        return service
    return _json(classic_service_json(service))


@csrf_exempt
def endpoints(request: HttpRequest, workspace_id: str, service_id: str) -> HttpResponse:
    """GET: the service's endpoints, as Azure listed them (with their keys for a workspace manager)."""
    service = _read_service(request, workspace_id, service_id)
    if isinstance(service, HttpResponse):
        return service
    keys = _shows_keys(request, workspace_id)
    return _json([classic_endpoint_json(base_url(request), e, with_keys=keys) for e in service.endpoints.all()])


@csrf_exempt
def endpoint(request: HttpRequest, workspace_id: str, service_id: str, name: str) -> HttpResponse:
    """GET one, PUT add (or change settings), PATCH update resource, DELETE remove."""
    if request.method not in ("GET", "PUT", "PATCH", "DELETE"):
        return _method_not_allowed("GET, PUT, PATCH or DELETE")
    service = _service(workspace_id, service_id)
    existing = service.endpoints.filter(name=name).first() if service is not None else None
    refusal = _refusal(request, workspace_id, service, name if request.method == "PATCH" else None)
    if refusal is not None:
        return as_response(refusal)
    if service is None:
        return _error(404, "NotFound", "No such web service in this workspace.")
    if request.method != "PUT" and existing is None:
        return _error(404, "NotFound", f"Web service {service.pk} has no endpoint '{name}'.")
    try:
        body = _body(request)
    except orjson.JSONDecodeError as error:
        return _error(400, "BadArgument", f"The body is not valid JSON: {error}.")
    base, keys = base_url(request), _shows_keys(request, workspace_id)
    try:
        if request.method == "GET":
            return _json(classic_endpoint_json(base, existing, with_keys=keys))  # type: ignore[arg-type]
        if request.method == "PUT":
            added = endpoint_put(service=service, name=name, body=body)
            # the keys of an endpoint just made go to whoever made it, as before (a default-endpoint key may add)
            return _json(classic_endpoint_json(base, added.endpoint, with_keys=keys or added.created))
        if request.method == "PATCH":
            resource_patch(endpoint=existing, body=body)  # type: ignore[arg-type]
            return _json(classic_endpoint_json(base, Endpoint.objects.get(pk=existing.pk), with_keys=keys))  # type: ignore[union-attr]
        endpoint_delete(existing)  # type: ignore[arg-type]
        return HttpResponse(status=204)
    except EndpointError as error:
        return _endpoint_error(error)


@csrf_exempt
def endpoint_refresh_view(request: HttpRequest, workspace_id: str, service_id: str, name: str) -> HttpResponse:
    """POST {"OverwriteResources": "True"|"False"}: the classic Refresh (AzureMLPS `Refresh-AmlWebServiceEndpoint`):
    200 when the endpoint changed, 304 when there was nothing to do."""
    if request.method != "POST":
        return _method_not_allowed("POST")
    service = _service(workspace_id, service_id)
    existing = service.endpoints.filter(name=name).first() if service is not None else None
    refusal = _refusal(request, workspace_id, service)
    if refusal is not None:
        return as_response(refusal)
    if service is None or existing is None:
        return _error(404, "NotFound", f"No endpoint '{name}' of web service {service_id} in this workspace.")
    try:
        changed = endpoint_refresh(endpoint=existing, body=_body(request))
    except orjson.JSONDecodeError as error:
        return _error(400, "BadArgument", f"The body is not valid JSON: {error}.")
    except EndpointError as error:
        return _endpoint_error(error)
    return HttpResponse(status=200 if changed else 304)


@csrf_exempt
def unknown_route(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /workspaces/: the classic JSON error, never the studio's HTML 404 page."""
    return _error(404, "NotFound", f"No such call: {request.method} {request.path}. The classic API's paths are "
                  "/workspaces/{ws}/webservices[/{id}/endpoints[/{name}]] and /workspaces/{ws}/services/{endpoint "
                  "id}/execute or /jobs.")
