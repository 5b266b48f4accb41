"""What the dashboard shows of an endpoint: its help (sample request and response, code), usage over time
and the request log. Plain functions over the models; the page and the API format them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from django.utils import timezone

from .models import Endpoint, RequestLog, UsageBucket
from .samples import code_samples, sample_request
from .scoring import served
from .usage import percentile
from .views import score_body
from .wire import api_location


def endpoint_help(base: str, endpoint: Endpoint) -> dict[str, Any]:
    """Sample request, the response the service gives it now, and code to send it."""
    deployment = endpoint.service.current
    if deployment is None:
        return {}
    request = sample_request(deployment.sample, deployment.input_schema,
                             deployment.graph.get("web_service_parameters", []))
    url = f"{api_location(base, endpoint)}?api-version=2.0&details=true"
    state = served(endpoint.endpoint_id)
    status, response = score_body({"details": "true"}, orjson.dumps(request), state) if state else (0, {})
    return {"url": url, "request": request, "response": response, "status": status,
            "request_json": orjson.dumps(request, option=orjson.OPT_INDENT_2).decode(),
            "response_json": orjson.dumps(response, option=orjson.OPT_INDENT_2).decode(),
            "code": code_samples(url, request)}


def endpoint_test(endpoint: Endpoint, body: bytes) -> tuple[int, dict[str, Any]]:
    """The dashboard's Test form: the same scoring as RRS, for a signed-in member (no key needed)."""
    state = served(endpoint.endpoint_id)
    if state is None:
        return 404, {"error": {"code": "NotFound", "message": "The endpoint has no deployment."}}
    return score_body({"details": "true"}, body, state)


def endpoint_usage(endpoint: Endpoint, minutes: int = 60) -> dict[str, Any]:
    """Calls, errors and latency (mean, p50, p95) per minute, the latest logged requests, and batch jobs
    with their progress."""
    since = timezone.now() - timedelta(minutes=minutes)
    buckets = [{"minute": bucket.minute.isoformat(), "calls": bucket.calls, "errors": bucket.errors,
                "mean_ms": round(bucket.total_ms / bucket.calls, 3) if bucket.calls else None,
                "p50_ms": percentile(bucket.histogram, 0.5), "p95_ms": percentile(bucket.histogram, 0.95)}
               for bucket in UsageBucket.objects.filter(endpoint=endpoint, minute__gte=since).order_by("minute")]
    logged = [{"time": entry.time.isoformat(), "status": entry.status, "duration_ms": round(entry.duration_ms, 2),
               "repeats": entry.repeats, "last_time": (entry.last_time or entry.time).isoformat(),
               "request": entry.request, "response": entry.response}
              for entry in RequestLog.objects.filter(endpoint=endpoint)[:50]]
    jobs = [{"id": job.job_id, "status": job.status, "rows": job.rows, "chunks": job.chunks,
             "chunks_done": min(job.chunks_done, job.chunks), "created": job.created.isoformat(),
             "details": job.details} for job in endpoint.jobs.all()[:20]]
    return {"trace_level": endpoint.diagnostics_trace_level, "buckets": buckets, "requests": logged, "jobs": jobs,
            "calls": sum(b["calls"] for b in buckets), "errors": sum(b["errors"] for b in buckets)}
