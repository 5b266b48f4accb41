"""The Azure-classic scoring call (SPEC §3): authenticate, parse, score, format. Nothing else on the path.

`score_call` is framework-free and async: the endpoint's compiled state comes from the per-process cache (a
thread hop to the database only when it is due for revalidation). A small body is scored right on the event
loop; a larger one on a small thread pool, and the endpoint's MaxConcurrentCalls limits the requests in
flight in this process (429 beyond it).
Under ASGI, `webservices.asgi` serves it directly (no Django middleware on the hot path); the Django view
below serves the same call anywhere else (WSGI, the test client).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from experiments.modules.rows import NotFast, Rows
from studio.throttle import request_address

from .keys import check_async
from .scoring import ScoringError, Served, cached, served
from .usage import record_call
from .wire import BadRequest, error_body, format_outputs, parse_inputs

logger = logging.getLogger(__name__)
API_VERSION = "2.0"
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="scoring")
# Bodies up to this size (a few rows) are scored on the event loop: ~0.3 ms of work, where handing it to the
# pool costs more than that and, under hundreds of connections, GIL contention between the pool's threads
# and the loop cut throughput five-fold (bench/load.py). Larger bodies go to the pool, which is where
# MaxConcurrentCalls bites.
INLINE_BYTES = 16 * 1024
Answer = tuple[int, dict[str, Any], dict[str, str]]


async def score_call(method: str, query: Mapping[str, str], authorization: str, body: bytes,
                     workspace_id: str, endpoint_id: str, client: str = "") -> Answer:
    """One RRS call: (status, JSON body, extra headers). `client` is the caller's address (key throttling)."""
    began = time.perf_counter()
    if method != "POST":
        return 405, error_body("MethodNotAllowed", "Use POST to score."), {"Allow": "POST"}
    version = query.get("api-version")
    if version != API_VERSION:
        return 400, error_body("BadArgument", f"api-version must be {API_VERSION} (got {version!r})."), {}
    state = cached(endpoint_id) or await sync_to_async(served, thread_sensitive=False)(endpoint_id)
    # An endpoint that doesn't exist here accepts no key: the same 401 as a wrong key (no existence oracle).
    hashes = state.key_hashes if state is not None and state.workspace_id == workspace_id else ()
    refused = await check_async(client, authorization, hashes)
    if refused is not None:
        return refused.status, refused.body, refused.headers
    assert state is not None  # a key matched one of its hashes
    if state.kind == "retraining":
        return 400, error_body("BadArgument", "This is a retraining web service: it trains, so call it as a batch "
                               "job (BES, .../jobs) with the training data; it returns the trained model (.ilearner) "
                               "and its evaluation. Score with the predictive service."), {}
    if len(body) > settings.ATELIER_MAX_REQUEST_BYTES:
        return 413, error_body("RequestEntityTooLarge", f"The body is larger than "
                               f"{settings.ATELIER_MAX_REQUEST_BYTES} bytes; use the batch service."), {}
    if state.in_flight >= state.max_concurrent_calls:
        return 429, error_body("TooManyRequests", f"The endpoint is handling its maximum of "
                               f"{state.max_concurrent_calls} concurrent calls; retry."), {}
    state.in_flight += 1
    try:
        if len(body) <= INLINE_BYTES:  # a few rows: a fraction of a millisecond, cheaper than a thread hop
            status, answer = score_body(query, body, state)
        else:
            status, answer = await asyncio.get_running_loop().run_in_executor(_pool, score_body, query, body, state)
    finally:
        state.in_flight -= 1
    took = (time.perf_counter() - began) * 1000
    record_call(state.endpoint_pk, status=status, duration_ms=took, trace_level=state.trace_level, request=body,
                response=answer)
    if status == 200:
        answer["ExecutionDurationMs"] = int(took)
    return status, answer, {}


def score_body(query: Mapping[str, str], raw: bytes, state: Served) -> tuple[int, dict[str, Any]]:
    """Parse, score and format (off the event loop for RRS; directly for the dashboard's Test form)."""
    swagger = query.get("format", "").lower() == "swagger"
    details = query.get("details", "").lower() == "true"
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        return 400, error_body("BadArgument", f"The body is not valid JSON: {error}.")
    try:
        rows = parse_inputs(body, state.input_schema, swagger=swagger, max_rows=settings.ATELIER_MAX_ROWS_PER_REQUEST)
    except BadRequest as error:
        if "per request" in error.message:
            return 413, error_body("RequestEntityTooLarge", error.message, error.target)
        return 400, error_body("BadArgument", error.message, error.target)
    global_parameters = body.get("GlobalParameters") or {}
    try:
        results = fast_results(state, rows) if not global_parameters else None
        if results is None:
            results = state.scorer.score({name: table.table() for name, table in rows.items()}, global_parameters)
    except ScoringError as error:
        return error.status, error_body(error.code, error.message, error.target)
    except Exception:
        error_id = uuid.uuid4().hex
        logger.exception("Scoring failed (error id %s)", error_id)
        return 500, error_body("InternalError", f"The service failed to score the request (error id {error_id}).")
    return 200, {"Results": format_outputs(results, swagger=swagger, details=details),
                 "ContainerAllocationDurationMs": 0, "ExecutionDurationMs": 0, "IsWarmContainer": True}


def fast_results(state: Served, rows: Mapping[str, Rows]) -> Mapping[str, Rows] | None:
    """The row kernels' results, or None when this service or request needs the DataFrame path."""
    if state.scorer.fast is None:
        return None
    try:
        return state.scorer.score_rows(rows)
    except NotFast:
        return None


@csrf_exempt
async def execute(request: HttpRequest, workspace_id: str, endpoint_id: str) -> HttpResponse:
    """POST .../services/{endpoint}/execute?api-version=2.0[&details=true][&format=swagger]"""
    status, body, headers = await score_call(request.method or "", request.GET.dict(),
                                             request.headers.get("Authorization", ""), request.body,
                                             workspace_id, endpoint_id, request_address(request))
    response = HttpResponse(orjson.dumps(body), status=status, content_type="application/json; charset=utf-8")
    for name, value in headers.items():
        response[name] = value
    return response
