"""What the dashboard shows of an endpoint: its help (sample request and response, code), usage over time
and the request log. Plain functions over the models; the page and the API format them."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import orjson
from django.utils import timezone

from experiments.service_kinds import service_kind

from .locations import batch_location, rrs_location, storage_location
from .models import Deployment, Endpoint, RequestLog, UsageBucket
from .retraining import output_extension, output_kinds
from .samples import batch_code_samples, code_samples, sample_request
from .scoring.call import score_body
from .scoring.served import served
from .scoring.wire import error_body
from .usage import percentile, record_call


def endpoint_help(base: str, endpoint: Endpoint) -> dict[str, Any]:
    """Sample request, the response the service gives it now, and code to send it; for a retraining service
    (which only trains, as a batch job) the job's body and the code to run one."""
    deployment = endpoint.service.current
    if deployment is None:
        return {}
    if service_kind(endpoint.service.kind).help_sample == "job":
        return batch_help(base, endpoint, deployment)
    request = sample_request(deployment.sample, deployment.input_schema,
                             deployment.graph.get("web_service_parameters", []))
    url = f"{rrs_location(base, endpoint)}?api-version=2.0&details=true"
    state = served(endpoint.endpoint_id)
    status, response = score_body({"details": "true"}, orjson.dumps(request), state) if state else (0, {})
    return {"url": url, "request": request, "response": response, "status": status,
            "request_json": orjson.dumps(request, option=orjson.OPT_INDENT_2).decode(),
            "response_json": orjson.dumps(response, option=orjson.OPT_INDENT_2).decode(),
            "code": code_samples(url, request)}


def sample_job(deployment: Deployment) -> dict[str, Any]:
    """A BES body for the deployment: each input read from `training/`, each output written under `results/`
    with the extension its kind needs (a trained model is an .ilearner)."""
    kinds = output_kinds(deployment.graph)
    single = len(deployment.input_schema) == 1
    inputs = {name: {"ConnectionString": "", "RelativeLocation": "training/data.csv" if single
                     else f"training/{name}.csv"} for name in deployment.input_schema}
    outputs = {}
    for name in deployment.output_schema:
        extension = output_extension(kinds.get(name, ""))[0]
        outputs[name] = {"ConnectionString": "", "RelativeLocation": f"results/{name}{extension}"}
    return {"Inputs": inputs, "Outputs": outputs, "GlobalParameters": {}}


def batch_help(base: str, endpoint: Endpoint, deployment: Deployment) -> dict[str, Any]:
    jobs = batch_location(base, endpoint)
    body = sample_job(deployment)
    return {"batch": True, "url": f"{jobs}?api-version=2.0", "request": body,
            "request_json": orjson.dumps(body, option=orjson.OPT_INDENT_2).decode(),
            "code": batch_code_samples(jobs, storage_location(base, endpoint.service.workspace_id), body)}


def endpoint_test(endpoint: Endpoint, body: bytes) -> tuple[int, dict[str, Any]]:
    """The dashboard's Test form: the same scoring as RRS, for a signed-in member (no key needed), counted in
    the endpoint's usage (and its request log, as its trace level says) as a call from the studio."""
    began = time.perf_counter()
    state = served(endpoint.endpoint_id)
    if state is None:
        return 404, error_body("NotFound", "The endpoint has no deployment.")
    if not state.kind.scores_requests:
        return 400, error_body("BadArgument", state.kind.refusal)
    status, answer = score_body({"details": "true"}, body, state)
    took = (time.perf_counter() - began) * 1000
    record_call(state.endpoint_pk, status=status, duration_ms=took, trace_level=state.trace_level, request=body,
                response=answer, source="studio")
    if status == 200:
        answer["ExecutionDurationMs"] = int(took)
    return status, answer


def endpoint_usage(endpoint: Endpoint, minutes: int = 60) -> dict[str, Any]:
    """Calls, errors and latency (mean, p50, p95) per minute, the latest logged requests, and batch jobs
    with their progress."""
    since = timezone.now() - timedelta(minutes=minutes)
    buckets = [{"minute": bucket.minute.isoformat(), "calls": bucket.calls, "errors": bucket.errors,
                "studio_calls": bucket.studio_calls,
                "mean_ms": round(bucket.total_ms / bucket.calls, 3) if bucket.calls else None,
                "p50_ms": percentile(bucket.histogram, 0.5), "p95_ms": percentile(bucket.histogram, 0.95)}
               for bucket in UsageBucket.objects.filter(endpoint=endpoint, minute__gte=since).order_by("minute")]
    logged = [{"time": entry.time.isoformat(), "status": entry.status, "duration_ms": round(entry.duration_ms, 2),
               "repeats": entry.repeats, "last_time": (entry.last_time or entry.time).isoformat(),
               "request": entry.request, "response": entry.response, "source": entry.source}
              for entry in RequestLog.objects.filter(endpoint=endpoint)[:50]]
    jobs = [{"id": job.job_id, "status": job.status, "rows": job.rows, "chunks": job.chunks,
             "chunks_done": min(job.chunks_done, job.chunks), "created": job.created.isoformat(),
             "details": job.details} for job in endpoint.jobs.all()[:20]]
    return {"trace_level": endpoint.diagnostics_trace_level, "buckets": buckets, "requests": logged, "jobs": jobs,
            "calls": sum(b["calls"] for b in buckets), "errors": sum(b["errors"] for b in buckets),
            "studio_calls": sum(b["studio_calls"] for b in buckets)}


CHART_HEIGHT = 80  # px of the tallest bar in a drift chart
BAR_WIDTH = 9


def drift_view(report: dict[str, Any]) -> dict[str, Any]:
    """The drift report with each column's chart laid out (training share and scored share side by side per
    bucket), so the page draws plain SVG with no script."""
    columns = []
    for column in report["columns"]:
        top = max([*column["expected"], *column["observed"], 0.01])
        bars = [{"label": label, "x": index * (2 * BAR_WIDTH + 6), "expected": expected, "observed": observed,
                 "expected_height": round(CHART_HEIGHT * expected / top, 1),
                 "observed_height": round(CHART_HEIGHT * observed / top, 1),
                 "expected_y": round(CHART_HEIGHT - CHART_HEIGHT * expected / top, 1),
                 "observed_y": round(CHART_HEIGHT - CHART_HEIGHT * observed / top, 1)}
                for index, (label, expected, observed) in enumerate(
                    zip(column["buckets"], column["expected"], column["observed"], strict=True))]
        columns.append({**column, "bars": bars, "width": len(bars) * (2 * BAR_WIDTH + 6),
                        "height": CHART_HEIGHT, "bar_width": BAR_WIDTH, "second_x": BAR_WIDTH})
    return {**report, "columns": columns, "flagged": [c["name"] for c in columns if c["flagged"]]}
