"""Batch Execution Service and workspace storage calls (SPEC §3). Not the hot path: plain Django views."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from studio.workqueue import QueueUnavailable

from . import storage
from .batch import JobError, job_cancel, job_refresh, job_start, job_status_json, job_submit
from .models import BatchJob, Endpoint
from .views import API_VERSION
from .wire import error_body


def _json(body: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json; charset=utf-8")


def _error(status: int, code: str, message: str, target: str = "") -> HttpResponse:
    return _json(error_body(code, message, target), status)


def _key_hash(request: HttpRequest) -> str | None:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    return hashlib.sha256(key.encode()).hexdigest() if scheme.lower() == "bearer" and key else None


def _endpoint(request: HttpRequest, workspace_id: str, endpoint_id: str) -> Endpoint | HttpResponse:
    if request.GET.get("api-version") != API_VERSION:
        return _error(400, "BadArgument", f"api-version must be {API_VERSION}.")
    endpoint = Endpoint.objects.select_related("service__current").filter(
        endpoint_id=endpoint_id, service__workspace_id=workspace_id).first()
    if endpoint is None:
        return _error(404, "NotFound", "No such web service endpoint in this workspace.")
    digest = _key_hash(request)
    if digest is None or digest not in (endpoint.primary_key_hash, endpoint.secondary_key_hash):
        return _error(401, "Unauthorized", "Missing or wrong API key for this endpoint.")
    return endpoint


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@csrf_exempt
def jobs(request: HttpRequest, workspace_id: str, endpoint_id: str) -> HttpResponse:
    """POST: submit a job -> its id (a JSON string)."""
    if request.method != "POST":
        return _error(405, "MethodNotAllowed", "Use POST to submit a job.")
    endpoint = _endpoint(request, workspace_id, endpoint_id)
    if isinstance(endpoint, HttpResponse):
        return endpoint
    try:
        body = orjson.loads(request.body)
        job = job_submit(endpoint=endpoint, body=body)
    except orjson.JSONDecodeError as error:
        return _error(400, "BadArgument", f"The body is not valid JSON: {error}.")
    except JobError as error:
        return _error(error.status, "BadArgument", error.message, error.target)
    return _json(job.job_id)


def _job(request: HttpRequest, workspace_id: str, endpoint_id: str, job_id: str) -> BatchJob | HttpResponse:
    endpoint = _endpoint(request, workspace_id, endpoint_id)
    if isinstance(endpoint, HttpResponse):
        return endpoint
    job = BatchJob.objects.select_related("endpoint__service").filter(endpoint=endpoint, job_id=job_id).first()
    return job if job is not None else _error(404, "NotFound", f"No job {job_id} on this endpoint.")


@csrf_exempt
def job(request: HttpRequest, workspace_id: str, endpoint_id: str, job_id: str) -> HttpResponse:
    """GET: status (with download locations when finished); DELETE: cancel."""
    found = _job(request, workspace_id, endpoint_id, job_id)
    if isinstance(found, HttpResponse):
        return found
    if request.method == "DELETE":
        return _json(job_status_json(_base(request), job_cancel(found)))
    if request.method != "GET":
        return _error(405, "MethodNotAllowed", "Use GET for the status or DELETE to cancel.")
    return _json(job_status_json(_base(request), job_refresh(found)))


@csrf_exempt
def job_start_view(request: HttpRequest, workspace_id: str, endpoint_id: str, job_id: str) -> HttpResponse:
    if request.method != "POST":
        return _error(405, "MethodNotAllowed", "Use POST to start a job.")
    found = _job(request, workspace_id, endpoint_id, job_id)
    if isinstance(found, HttpResponse):
        return found
    try:
        job_start(found)
    except JobError as error:
        return _error(error.status, "BadArgument", error.message)
    except QueueUnavailable as error:  # the job is still NotStarted: the caller starts it again after Retry-After
        response = _error(503, "ServiceUnavailable", error.message)
        response["Retry-After"] = str(error.retry_after)
        return response
    return HttpResponse(status=200)


@csrf_exempt
def storage_file(request: HttpRequest, workspace_id: str, relative: str) -> HttpResponse:
    """PUT (key of any endpoint in the workspace) stores the body; GET returns it, with a key or a token."""
    try:
        location = storage.clean_location(relative)
    except storage.StorageError as error:
        return _error(400, "BadArgument", error.message)
    digest = _key_hash(request)
    keyed = digest is not None and Endpoint.objects.filter(service__workspace_id=workspace_id).filter(
        Q(primary_key_hash=digest) | Q(secondary_key_hash=digest)).exists()
    if request.method == "PUT":
        if not keyed:
            return _error(401, "Unauthorized", "Uploading needs a key of an endpoint in this workspace.")
        size = storage.write(workspace_id, location, request)
        return _json({"RelativeLocation": location, "Size": size}, status=201)
    if request.method != "GET":
        return _error(405, "MethodNotAllowed", "Use PUT to upload or GET to download.")
    signed = storage.token_valid(workspace_id, location, request.GET.get("se", ""), request.GET.get("sig", ""))
    if not (keyed or signed):
        if request.GET.get("sig"):  # a token was sent, but it is forged, for another file, or expired
            return _error(403, "Forbidden", "The SasBlobToken is not valid for this file or has expired.")
        return _error(401, "Unauthorized", "Downloading needs an endpoint key or a valid, unexpired SasBlobToken.")
    try:
        handle = storage.open_file(workspace_id, location)
    except storage.StorageError as error:
        return _error(error.status, "NotFound", error.message)
    return FileResponse(handle, as_attachment=True, filename=location.rsplit("/", 1)[-1])
