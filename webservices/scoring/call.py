"""The Azure-classic scoring call (SPEC §3): authenticate, parse, score, format. Nothing else on the path.

`score_call` is framework-free and async: the endpoint's compiled state comes from the per-process cache (a
thread hop to the database only when it is due for revalidation). A call of a few rows that the service's row
kernels are measured to score within a millisecond or so is scored right on the event loop; every other call
on a small thread pool, and the endpoint's MaxConcurrentCalls limits the requests in flight in this process
(503 with Retry-After beyond it: classic clients retry a 503 by themselves, as the classic service throttled).
Under ASGI, `webservices.scoring.asgi` serves it directly (no Django middleware on the hot path); the Django view
below serves the same call anywhere else (WSGI, the test client).

A call to a default endpoint whose service splits its traffic (webservices/traffic.py) is served by the
endpoint a random draw picks from the split kept in its cached state (no database on the way); every answer
names its endpoint in X-Atelier-Endpoint, and the call counts in that endpoint's usage. Shadow endpoints get a
copy of each answered call, handed to a bounded pool of their own once the answer is sent (webservices/shadow.py
compares); a copy counts in the shadow endpoint's usage and input drift.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, overload

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from experiments.modules.framework.datatable import DataTable
from experiments.modules.framework.rows import NotFast, Rows
from studio.throttle import request_address
from webservices import shadow
from webservices.drift import observe
from webservices.usage import record_call

from .keys import check_async
from .scorer import ScoringError
from .served import Served, cached, route, served
from .wire import API_VERSION, BadRequest, BodyTooLarge, error_body, error_json, format_outputs, parse_inputs

logger = logging.getLogger(__name__)
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="scoring")
# Shadow copies (webservices/traffic.py) are scored on their own small pool, never ahead of callers' calls on
# the scoring pool; at most MAX_SHADOW_WAITING copies wait or run in a process, the rest are dropped and counted.
_shadow_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="shadow")
_shadow_lock = threading.Lock()
_shadow_waiting = 0
MAX_SHADOW_WAITING = 64
ENDPOINT_HEADER = "X-Atelier-Endpoint"  # names the endpoint that served the call (a traffic split's choice)
# A one-row call is ~0.3 ms of work, less than the hop to the pool costs, and under hundreds of connections GIL
# contention between the pool's threads and the loop cut throughput five-fold (bench/load.py): such calls are
# scored on the event loop. Bytes alone don't bound that work (1000 rows fit in 16 KiB; a wide model costs
# milliseconds a row, and four such clients took /healthz from 11 to 500 ms, issue 14 finding 5), so a call
# runs inline only when its body is small, it has at most ATELIER_INLINE_MAX_ROWS rows, and the service's row
# kernels have been measured (CPU time per row, on earlier calls) to score that many within
# ATELIER_INLINE_BUDGET_MS. Anything else, and a service's first call, goes to the pool.
INLINE_BYTES = 16 * 1024
RETRY_AFTER = "1"  # seconds, on a throttled call
Answer = tuple[int, dict[str, Any], dict[str, str]]
Scored = tuple[int, dict[str, Any]]


async def score_call(method: str, query: Mapping[str, str], authorization: str, body: bytes,
                     workspace_id: str, endpoint_id: str, client: str = "",
                     after: list[Callable[[], None]] | None = None) -> Answer:
    """One RRS call: (status, JSON body, extra headers). `client` is the caller's address (key throttling).
    Work that must not delay the answer (shadow copies) is appended to `after` for the caller to run once the
    answer is sent; without `after` it is handed to its pool at once."""
    began = time.perf_counter()
    if len(body) > settings.ATELIER_MAX_REQUEST_BYTES:  # the one size check (the ASGI entry stops reading past it)
        too_large = BodyTooLarge(settings.ATELIER_MAX_REQUEST_BYTES)
        return too_large.status, error_json(too_large), {}
    if method != "POST":
        return 405, error_body("MethodNotAllowed", "Use POST to score."), {"Allow": "POST"}
    version = query.get("api-version")
    if version != API_VERSION:
        return 400, error_body("BadArgument", f"api-version must be {API_VERSION} (got {version!r}).",
                               detail="BadVersionCall"), {}
    state = cached(endpoint_id) or await sync_to_async(served, thread_sensitive=False)(endpoint_id)
    # An endpoint that doesn't exist here accepts no key: the same 401 as a wrong key (no existence oracle).
    holders = (state,) if state is not None and state.workspace_id == workspace_id else ()
    refused = await check_async(client, authorization, holders)
    if refused is not None:
        return refused.status, refused.body, refused.headers
    assert state is not None  # a key matched one of its hashes
    serving = state
    if state.routes:  # a traffic split: a draw and a dict lookup (the other endpoint's own cached state)
        chosen = route(state, random.random())  # noqa: S311 (a share of traffic, not a secret)
        if chosen != state.endpoint_id:
            target = cached(chosen) or await sync_to_async(served, thread_sensitive=False)(chosen)
            if target is not None and target.workspace_id == state.workspace_id:
                serving = target  # (an endpoint deleted meanwhile: the default endpoint answers)
    named = {ENDPOINT_HEADER: serving.name}
    if not serving.kind.scores_requests:
        return 400, error_body("BadArgument", serving.kind.refusal), named
    if serving.in_flight >= serving.max_concurrent_calls:
        status, refusal, headers = throttled(serving.max_concurrent_calls)
        return status, refusal, {**headers, **named}
    serving.in_flight += 1
    try:
        status, answer = await _scored(query, body, serving)
    finally:
        serving.in_flight -= 1
    took = (time.perf_counter() - began) * 1000
    record_call(serving.endpoint_pk, status=status, duration_ms=took, trace_level=serving.trace_level, request=body,
                response=answer)
    if status == 200:
        if state.shadows:
            copies = partial(shadow_copies, state.shadows, query, body, answer["Results"], state.workspace_id)
            if after is None:
                copies()
            else:
                after.append(copies)
        answer["ExecutionDurationMs"] = int(took)
    return status, answer, named


def shadow_copies(shadows: tuple[str, ...], query: Mapping[str, str], raw: bytes, results: dict[str, Any],
                  workspace_id: str) -> None:
    """Hand a copy of an answered call to each shadow endpoint, on the shadow pool: the caller's answer does not
    wait for it. Past MAX_SHADOW_WAITING copies waiting, a copy is dropped (counted as skipped), so shadow
    work can't pile up behind a slow candidate."""
    global _shadow_waiting
    for endpoint_id in shadows:
        with _shadow_lock:
            full = _shadow_waiting >= MAX_SHADOW_WAITING
            _shadow_waiting += 0 if full else 1
        if full:
            shadow.skipped(endpoint_id)
        else:
            _shadow_pool.submit(_shadow_scored, endpoint_id, dict(query), raw, results, workspace_id)


def _shadow_scored(endpoint_id: str, query: Mapping[str, str], raw: bytes, results: dict[str, Any],
                   workspace_id: str) -> None:
    """Score a copy on the shadow endpoint, count it in its usage and compare its answer with the caller's."""
    global _shadow_waiting
    try:
        began = time.perf_counter()
        state = cached(endpoint_id) or served(endpoint_id)
        if state is None or state.workspace_id != workspace_id:
            return
        status, answer = score_body(query, raw, state, observed=True)  # the candidate's input drift counts it
        record_call(state.endpoint_pk, status=status, duration_ms=(time.perf_counter() - began) * 1000,
                    trace_level=state.trace_level, request=raw, response=answer, source="shadow")
        shadow.compared(endpoint_id, results, answer["Results"] if status == 200 else None)
    except Exception:  # a shadow is best effort: the caller has had the answer
        logger.exception("Shadow scoring on endpoint %s failed", endpoint_id)
    finally:
        with _shadow_lock:
            _shadow_waiting -= 1


def throttled(limit: int) -> Answer:
    """Over MaxConcurrentCalls: the classic ServiceUnavailable / RequestThrottled, 503 with Retry-After (calls take
    milliseconds, so a second is plenty; the R package and generated clients retry 503 by themselves)."""
    message = f"Request was throttled: the endpoint is handling its maximum of {limit} concurrent calls; retry."
    return 503, error_body("ServiceUnavailable", message, detail="RequestThrottled"), {"Retry-After": RETRY_AFTER}


async def _scored(query: Mapping[str, str], raw: bytes, state: Served) -> Scored:
    """On the event loop when `runs_inline` says so (and the row kernels answer), else on the pool."""
    body = _loaded(raw) if len(raw) <= INLINE_BYTES else None
    if body is not None and runs_inline(state, body):
        answered = score_loaded(query, body, state, fast_only=True, observed=True)
        if answered is not None:
            return answered
    loaded = body if body is not None else raw
    return await asyncio.get_running_loop().run_in_executor(_pool, _score_any, query, loaded, state)


def runs_inline(state: Served, body: Any) -> bool:
    """Whether this call's work is known to be small: few rows, row kernels, measured cost within budget."""
    cost, rows = state.row_cost_ms, request_rows(body)
    if state.scorer.fast is None or cost is None or rows is None or body.get("GlobalParameters"):
        return False
    return 0 < rows <= settings.ATELIER_INLINE_MAX_ROWS and cost * rows <= settings.ATELIER_INLINE_BUDGET_MS


def request_rows(body: Any) -> int | None:
    """Rows in a classic or swagger body, None when it isn't one (the full parse then words the error)."""
    inputs = body.get("Inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, dict):
        return None
    counts = [len(table) if isinstance(table, list) else len(table.get("Values") or []) if isinstance(table, dict)
              else None for table in inputs.values()]
    return None if None in counts else sum(c for c in counts if c is not None)


def _loaded(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def _score_any(query: Mapping[str, str], body: Any, state: Served) -> Scored:
    if isinstance(body, bytes):
        return score_body(query, body, state, observed=True)
    return score_loaded(query, body, state, observed=True)


def score_body(query: Mapping[str, str], raw: bytes, state: Served, *, observed: bool = False) -> Scored:
    """Parse, score and format (on the pool for RRS; directly for the dashboard's Test form)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        return 400, error_body("BadArgument", f"The body is not valid JSON: {error}.", detail="RequestBodyInvalid")
    return score_loaded(query, body, state, observed=observed)


@overload
def score_loaded(query: Mapping[str, str], body: Any, state: Served, *, observed: bool = ...) -> Scored: ...
@overload
def score_loaded(query: Mapping[str, str], body: Any, state: Served, *, fast_only: bool,
                 observed: bool = ...) -> Scored | None: ...
def score_loaded(query: Mapping[str, str], body: Any, state: Served, *, fast_only: bool = False,
                 observed: bool = False) -> Scored | None:
    """Score a parsed body. With `fast_only`, None when the row kernels can't answer (the caller then hands it to
    the pool); a call they answer teaches the service's per-row cost. An `observed` call (a client's, not the
    dashboard's) is handed to the input drift summary once scored."""
    began = time.thread_time()
    swagger = query.get("format", "").lower() == "swagger"
    details = query.get("details", "").lower() == "true"
    try:
        rows = parse_inputs(body, state.input_schema, swagger=swagger, max_rows=settings.ATELIER_MAX_ROWS_PER_REQUEST)
    except BadRequest as error:  # 400, or 413 for too many rows
        return error.status, error_json(error)
    global_parameters = body.get("GlobalParameters") or {}
    results: Mapping[str, DataTable | Rows] | None
    try:
        results = fast_results(state, rows) if not global_parameters else None
        if results is None and fast_only:
            return None
        fast = results is not None
        if results is None:
            results = state.scorer.score({name: table.table() for name, table in rows.items()}, global_parameters)
    except ScoringError as error:
        return error.status, error_json(error)
    except Exception:
        error_id = uuid.uuid4().hex
        logger.exception("Scoring failed (error id %s)", error_id)
        return 500, error_body("InternalError", f"The service failed to score the request (error id {error_id}).")
    answer = {"Results": format_outputs(results, swagger=swagger, details=details, schema=state.output_schema),
              "ContainerAllocationDurationMs": 0, "ExecutionDurationMs": 0, "IsWarmContainer": True}
    if fast:
        state.observe_fast(sum(len(table) for table in rows.values()), (time.thread_time() - began) * 1000)
    if observed:
        observe(state.endpoint_pk, state.deployment_pk, state.input_profile, rows)
    return 200, answer


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
