"""Classic endpoint management calls (SPEC §3): list, add, update resource, delete, on
`/workspaces/{ws}/webservices/{service_id}/endpoints[/{name}]`. Plain Django views: they authenticate,
parse and call webservices/endpoints.py. Not the hot path."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from studio.throttle import request_address

from .endpoints import EndpointError, endpoint_delete, endpoint_put, resource_patch
from .locations import base_url
from .management_json import classic_endpoint_json
from .models import Endpoint, WebService
from .scoring.keys import Refusal, as_response, check
from .scoring.wire import error_body


def _json(body: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json; charset=utf-8")


def _error(status: int, code: str, message: str, target: str = "") -> HttpResponse:
    return _json(error_body(code, message, target), status)


def _refusal(request: HttpRequest, workspace_id: str, service: WebService | None,
             patched: str | None = None) -> Refusal | None:
    """None for a studio token of a member of the workspace, a key of the service's default endpoint, or (update
    resource) a key of the endpoint `patched` names. A service or endpoint that doesn't exist accepts no key:
    the caller gets the same 401 as for a wrong one."""
    message = ("Send 'Authorization: Token <studio token>' of a workspace member or 'Authorization: Bearer <key>' "
               "of the default endpoint" + (" or of this endpoint." if patched is not None else "."))
    holders = [e for e in service.endpoints.all() if e.is_default or e.name == patched] if service is not None else []
    return check(request_address(request), request.headers.get("Authorization", ""), holders, message,
                 members_of=workspace_id)


def _service(workspace_id: str, service_id: str) -> WebService | None:
    if not service_id.isdigit():
        return None
    return WebService.objects.select_related("workspace", "current").filter(
        pk=int(service_id), workspace_id=workspace_id).first()


def _body(request: HttpRequest) -> Any:
    if not request.body:
        return {}
    return orjson.loads(request.body)


@csrf_exempt
def endpoints(request: HttpRequest, workspace_id: str, service_id: str) -> HttpResponse:
    """GET: the service's endpoints, as Azure listed them (no keys)."""
    if request.method != "GET":
        return _error(405, "MethodNotAllowed", "Use GET to list endpoints; PUT/PATCH/DELETE .../endpoints/{name}.")
    service = _service(workspace_id, service_id)
    refusal = _refusal(request, workspace_id, service)
    if refusal is not None:
        return as_response(refusal)
    if service is None:
        return _error(404, "NotFound", "No such web service in this workspace.")
    return _json([classic_endpoint_json(base_url(request), e) for e in service.endpoints.all()])


@csrf_exempt
def endpoint(request: HttpRequest, workspace_id: str, service_id: str, name: str) -> HttpResponse:
    """GET one, PUT add (or change settings), PATCH update resource, DELETE remove."""
    if request.method not in ("GET", "PUT", "PATCH", "DELETE"):
        return _error(405, "MethodNotAllowed", "Use GET, PUT (add), PATCH (update resource) or DELETE.")
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
    try:
        if request.method == "GET":
            return _json(classic_endpoint_json(base_url(request), existing))  # type: ignore[arg-type]
        if request.method == "PUT":
            added = endpoint_put(service=service, name=name, body=body)
            return _json(classic_endpoint_json(base_url(request), added.endpoint, added.keys))
        if request.method == "PATCH":
            resource_patch(endpoint=existing, body=body)  # type: ignore[arg-type]
            return _json(classic_endpoint_json(base_url(request), Endpoint.objects.get(pk=existing.pk)))  # type: ignore[union-attr]
        endpoint_delete(existing)  # type: ignore[arg-type]
        return HttpResponse(status=204)
    except EndpointError as error:
        code = {403: "Forbidden", 404: "NotFound", 409: "Conflict"}.get(error.status, "BadArgument")
        return _error(error.status, code, error.message, error.target)
