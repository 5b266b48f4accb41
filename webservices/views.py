"""The Azure-classic scoring endpoint (SPEC §3): authenticate, parse, score, format. Nothing else on the path."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import uuid
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .scoring import ScoringError, served
from .wire import BadRequest, error_body, format_outputs, parse_inputs

logger = logging.getLogger(__name__)
API_VERSION = "2.0"


def _json(body: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json; charset=utf-8")


def _error(status: int, code: str, message: str, target: str = "") -> HttpResponse:
    return _json(error_body(code, message, target), status)


def _key(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


@csrf_exempt
def execute(request: HttpRequest, workspace_id: str, endpoint_id: str) -> HttpResponse:
    """POST .../services/{endpoint}/execute?api-version=2.0[&details=true][&format=swagger]"""
    began = time.perf_counter()
    if request.method != "POST":
        response = _error(405, "MethodNotAllowed", "Use POST to score.")
        response["Allow"] = "POST"
        return response
    version = request.GET.get("api-version")
    if version != API_VERSION:
        return _error(400, "BadArgument", f"api-version must be {API_VERSION} (got {version!r}).")
    state = served(endpoint_id)
    if state is None or state.workspace_id != workspace_id:
        return _error(404, "NotFound", "No such web service endpoint in this workspace.")
    key = _key(request)
    digest = hashlib.sha256(key.encode()).hexdigest()
    if not key or not any(hmac.compare_digest(digest, known) for known in state.key_hashes):
        return _error(401, "Unauthorized", "Missing or wrong API key: send 'Authorization: Bearer <key>' with a key "
                                            "of this endpoint.")
    length = int(request.headers.get("Content-Length") or 0)
    if length > settings.ATELIER_MAX_REQUEST_BYTES or len(request.body) > settings.ATELIER_MAX_REQUEST_BYTES:
        return _error(413, "RequestEntityTooLarge",
                      f"The body is larger than {settings.ATELIER_MAX_REQUEST_BYTES} bytes; use the batch service.")
    if state.in_flight >= state.max_concurrent_calls:
        return _error(429, "TooManyRequests",
                      f"The endpoint is handling its maximum of {state.max_concurrent_calls} concurrent calls; retry.")
    state.in_flight += 1
    try:
        return _score(request, state, began)
    finally:
        state.in_flight -= 1


def _score(request: HttpRequest, state: Any, began: float) -> HttpResponse:
    swagger = request.GET.get("format", "").lower() == "swagger"
    details = request.GET.get("details", "").lower() == "true"
    try:
        body = orjson.loads(request.body)
    except orjson.JSONDecodeError as error:
        return _error(400, "BadArgument", f"The body is not valid JSON: {error}.")
    try:
        tables = parse_inputs(body, state.input_schema, swagger=swagger,
                              max_rows=settings.ATELIER_MAX_ROWS_PER_REQUEST)
    except BadRequest as error:
        status = 413 if "per request" in error.message else 400
        return _error(status, "BadArgument" if status == 400 else "RequestEntityTooLarge", error.message, error.target)
    try:
        results = state.scorer.score(tables)
    except ScoringError as error:
        return _error(error.status, error.code, error.message, error.target)
    except Exception:
        error_id = uuid.uuid4().hex
        logger.exception("Scoring failed (error id %s)", error_id)
        return _error(500, "InternalError", f"The service failed to score the request (error id {error_id}).")
    took = int((time.perf_counter() - began) * 1000)
    return _json({"Results": format_outputs(results, swagger=swagger, details=details),
                  "ContainerAllocationDurationMs": 0, "ExecutionDurationMs": took, "IsWarmContainer": True})
