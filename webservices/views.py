"""The Azure-classic scoring endpoint (SPEC §3): authenticate, parse, score, format. Nothing else on the path.

The view is async: the endpoint's compiled state comes from the per-process cache (a thread hop to the
database only when it is due for revalidation), and scoring runs on a small thread pool so the endpoint's
MaxConcurrentCalls is a real limit on requests in flight in this process (429 beyond it).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .scoring import ScoringError, Served, cached, served
from .usage import record_call
from .wire import BadRequest, error_body, format_outputs, parse_inputs

logger = logging.getLogger(__name__)
API_VERSION = "2.0"
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="scoring")


def _json(body: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json; charset=utf-8")


def _error(status: int, code: str, message: str, target: str = "") -> HttpResponse:
    return _json(error_body(code, message, target), status)


def _key(request: HttpRequest) -> str:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


def key_matches(state: Served, key: str) -> bool:
    digest = hashlib.sha256(key.encode()).hexdigest()
    return bool(key) and any(hmac.compare_digest(digest, known) for known in state.key_hashes)


@csrf_exempt
async def execute(request: HttpRequest, workspace_id: str, endpoint_id: str) -> HttpResponse:
    """POST .../services/{endpoint}/execute?api-version=2.0[&details=true][&format=swagger]"""
    began = time.perf_counter()
    if request.method != "POST":
        response = _error(405, "MethodNotAllowed", "Use POST to score.")
        response["Allow"] = "POST"
        return response
    version = request.GET.get("api-version")
    if version != API_VERSION:
        return _error(400, "BadArgument", f"api-version must be {API_VERSION} (got {version!r}).")
    state = cached(endpoint_id) or await sync_to_async(served)(endpoint_id)
    if state is None or state.workspace_id != workspace_id:
        return _error(404, "NotFound", "No such web service endpoint in this workspace.")
    if not key_matches(state, _key(request)):
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
        status, body = await asyncio.get_running_loop().run_in_executor(_pool, _score, request, state)
    finally:
        state.in_flight -= 1
    took = (time.perf_counter() - began) * 1000
    record_call(state.endpoint_pk, status=status, duration_ms=took, trace_level=state.trace_level,
                request=request.body, response=body)
    if status == 200:
        body["ExecutionDurationMs"] = int(took)
    return _json(body, status)


def _score(request: HttpRequest, state: Served) -> tuple[int, dict[str, Any]]:
    """Parse, score and format, off the event loop. Returns (status, body)."""
    swagger = request.GET.get("format", "").lower() == "swagger"
    details = request.GET.get("details", "").lower() == "true"
    try:
        body = orjson.loads(request.body)
    except orjson.JSONDecodeError as error:
        return 400, error_body("BadArgument", f"The body is not valid JSON: {error}.")
    try:
        tables = parse_inputs(body, state.input_schema, swagger=swagger,
                              max_rows=settings.ATELIER_MAX_ROWS_PER_REQUEST)
    except BadRequest as error:
        if "per request" in error.message:
            return 413, error_body("RequestEntityTooLarge", error.message, error.target)
        return 400, error_body("BadArgument", error.message, error.target)
    try:
        results = state.scorer.score(tables)
    except ScoringError as error:
        return error.status, error_body(error.code, error.message, error.target)
    except Exception:
        error_id = uuid.uuid4().hex
        logger.exception("Scoring failed (error id %s)", error_id)
        return 500, error_body("InternalError", f"The service failed to score the request (error id {error_id}).")
    return 200, {"Results": format_outputs(results, swagger=swagger, details=details),
                 "ContainerAllocationDurationMs": 0, "ExecutionDurationMs": 0, "IsWarmContainer": True}
