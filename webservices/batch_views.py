"""Batch Execution Service calls (SPEC §3). Not the hot path: plain Django views."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from studio.throttle import request_address
from studio.workqueue import QueueUnavailable

from .batch import JobError, job_cancel, job_files_check, job_refresh, job_start, job_status_json, job_submit
from .locations import base_url
from .models import BatchJob, Endpoint
from .scoring.keys import as_response, check
from .scoring.wire import API_VERSION, error_body


def _json(body: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json; charset=utf-8")


def _error(status: int, code: str, message: str, target: str = "") -> HttpResponse:
    return _json(error_body(code, message, target), status)


def _endpoint(request: HttpRequest, workspace_id: str, endpoint_id: str) -> Endpoint | HttpResponse:
    if request.GET.get("api-version") != API_VERSION:
        return _error(400, "BadArgument", f"api-version must be {API_VERSION}.")
    endpoint = Endpoint.objects.select_related("service__current").filter(
        endpoint_id=endpoint_id, service__workspace_id=workspace_id).first()
    # An endpoint that doesn't exist here accepts no key: the same 401 as a wrong key (no existence oracle).
    refusal = check(request_address(request), request.headers.get("Authorization", ""),
                    [endpoint] if endpoint is not None else [])
    if refusal is not None:
        return as_response(refusal)
    assert endpoint is not None  # a key matched one of its keys
    return endpoint


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
        return _json(job_status_json(base_url(request), job_cancel(found)))
    if request.method != "GET":
        return _error(405, "MethodNotAllowed", "Use GET for the status or DELETE to cancel.")
    return _json(job_status_json(base_url(request), job_refresh(found)))


@csrf_exempt
def job_start_view(request: HttpRequest, workspace_id: str, endpoint_id: str, job_id: str) -> HttpResponse:
    if request.method != "POST":
        return _error(405, "MethodNotAllowed", "Use POST to start a job.")
    found = _job(request, workspace_id, endpoint_id, job_id)
    if isinstance(found, HttpResponse):
        return found
    try:
        job_files_check(found)  # the files may have changed hands since it was submitted
        job_start(found)
    except JobError as error:
        return _error(error.status, "BadArgument", error.message)
    except QueueUnavailable as error:  # the job is still NotStarted: the caller starts it again after Retry-After
        response = _error(503, "ServiceUnavailable", error.message)
        response["Retry-After"] = str(error.retry_after)
        return response
    return HttpResponse(status=200)
