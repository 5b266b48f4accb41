"""The workspace storage call (SPEC §3, issue 14): `PUT` / `GET` / `DELETE /workspaces/{ws}/storage/{container}/{path}`.

Who may do what (webservices/storage.py holds the rule): a key of an endpoint reaches the files of its
service; a studio member (session or `Authorization: Token`) every file of the workspace; a SasBlobToken
reads the one file version it was issued for. A file the caller doesn't reach answers exactly as a missing
one. Not the hot path: a plain Django view.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from studio.models import Membership
from studio.throttle import request_address

from . import storage
from .models import Endpoint
from .scoring import keys
from .scoring.wire import error_body

UNAUTHORIZED = ("Missing or wrong credentials: send 'Authorization: Bearer <key>' with a key of an endpoint of this "
                "workspace, 'Authorization: Token <studio token>' of a member, or (to download) a valid SasBlobToken.")
REFUSED_SAS = "The SasBlobToken is not valid for this file (forged, expired, or the file was replaced since)."


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(orjson.dumps(body), status=status, content_type="application/json; charset=utf-8")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _storage_error(error: storage.StorageError) -> HttpResponse:
    return _json(error_body(error.code, error.message), error.status)


def _csrf_passes(request: HttpRequest) -> bool:
    """A browser session may change files only from the studio's own pages (the view is exempt for keys)."""
    return CsrfViewMiddleware(lambda _: HttpResponse()).process_view(request, HttpResponse, (), {}) is None


def _accessor(request: HttpRequest, workspace_id: str, client: str, signed: bool) -> storage.Accessor | keys.Refusal:
    """The caller as the storage sees it, or how to refuse it (counted by the key throttle)."""
    authorization = request.headers.get("Authorization", "")
    if authorization:
        held = Endpoint.objects.filter(service__workspace_id=workspace_id).only(
            "service_id", "primary_key_hash", "secondary_key_hash")
        owner = keys.key_owner(authorization, held)
        if owner is not None:
            return storage.Accessor(owner.service_id)
        if keys.token_member(authorization, workspace_id):
            return storage.STUDIO
    elif request.user.is_authenticated and Membership.objects.filter(workspace_id=workspace_id,
                                                                     user=request.user).exists():
        if request.method != "GET" and not _csrf_passes(request):
            return keys.Refusal(403, error_body("Forbidden", "CSRF check failed: change files from the studio's "
                                                             "pages, or with a key or a studio token."))
        return storage.STUDIO
    return keys.failed(client, REFUSED_SAS if signed and not authorization else UNAUTHORIZED,
                       status=403 if signed and not authorization else 401)


def _download(workspace_id: str, location: str, by: storage.Accessor) -> HttpResponseBase:
    try:
        handle = storage.open_file(workspace_id, location, by=by)
    except storage.StorageError as error:
        return _storage_error(error)
    return FileResponse(handle, as_attachment=True, filename=location.rsplit("/", 1)[-1])


def _upload(request: HttpRequest, workspace_id: str, location: str, by: storage.Accessor) -> HttpResponse:
    limit = settings.ATELIER_STORAGE_MAX_FILE_BYTES
    declared = request.headers.get("Content-Length", "")
    try:
        if declared.isdigit() and int(declared) > limit:  # refused before a byte of the body is read
            raise storage.too_large(limit)
        record = storage.write(workspace_id, location, request, by=by, limit=limit)
    except storage.StorageError as error:
        return _storage_error(error)
    return _json({"RelativeLocation": location, "Size": record.size}, status=201)


@csrf_exempt
def storage_file(request: HttpRequest, workspace_id: str, relative: str) -> HttpResponseBase:
    """PUT stores the body (201), GET returns the file, DELETE removes it (204)."""
    if request.method not in ("GET", "PUT", "DELETE"):
        return _json(error_body("MethodNotAllowed", "Use PUT to upload, GET to download or DELETE to remove."), 405,
                     {"Allow": "GET, PUT, DELETE"})
    try:
        location = storage.clean_location(relative)
    except storage.StorageError as error:
        return _storage_error(error)
    client = request_address(request)
    wait = keys.locked_for(client)
    if wait:
        return keys.as_response(keys.throttled(wait))
    signed = request.method == "GET" and bool(request.GET.get("sig"))
    if signed and storage.token_valid(workspace_id, location, request.GET.get("se", ""), request.GET["sig"]):
        return _download(workspace_id, location, storage.STUDIO)  # the token is the grant, for this file only
    who = _accessor(request, workspace_id, client, signed)
    if isinstance(who, keys.Refusal):
        return keys.as_response(who)
    if request.method == "GET":
        return _download(workspace_id, location, who)
    if request.method == "PUT":
        return _upload(request, workspace_id, location, who)
    try:
        storage.delete(workspace_id, location, by=who)
    except storage.StorageError as error:
        return _storage_error(error)
    return HttpResponse(status=204)
