"""Scheduled retraining with a promotion gate (issue 7, beyond the classic studio, which needed Data Factory).

Every minute Celery beat calls `schedules_fire`: each enabled schedule whose cron expression matches the
minute starts a job on its retraining service; when the job ends, `attempts_conclude` compares the new
model's metric with the endpoint's current one and patches the endpoint only if the new one is at least as
good by the schedule's margin. Every attempt is kept with both metrics and its outcome.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from celery.schedules import crontab
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from experiments.assets import run_output_record
from experiments.conversion import EVALUATE_MODULE
from experiments.engine import store
from experiments.models import Asset
from experiments.modules.framework.artifacts import ArtifactError, Evaluation, TrainedModel
from experiments.modules.metrics import FOLD_METRICS, LOWER_IS_BETTER
from experiments.service_kinds import kind_names, service_kind
from studio.workqueue import QueueUnavailable, queue_required

from . import storage
from .batch import JobError, job_start, job_submit
from .endpoints import EndpointError, resource_patch, updatable
from .models import BatchJob, Endpoint, RetrainingAttempt, RetrainingSchedule, WebService
from .retraining import EVALUATION, MODEL, output_kinds

FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
METRICS = sorted({name for names in FOLD_METRICS.values() for name in names})


def cron_parse(expression: Any) -> crontab:
    """Five cron fields (UTC): minute hour day-of-month month day-of-week; e.g. '0 3 * * 1' = Mondays 03:00."""
    parts = str(expression or "").split()
    if len(parts) != 5:
        raise EndpointError(f"'{expression}' is not a cron expression: give five fields, minute hour day-of-month "
                            "month day-of-week, e.g. '0 3 * * 1'.", target="cron")
    try:
        return crontab(**dict(zip(FIELDS, parts, strict=True)))
    except (ValueError, IndexError) as error:
        raise EndpointError(f"'{expression}' is not a valid cron expression: {error}.", target="cron") from None


def cron_matches(cron: crontab, moment: datetime) -> bool:
    return (moment.minute in cron.minute and moment.hour in cron.hour and moment.day in cron.day_of_month
            and moment.month in cron.month_of_year and moment.isoweekday() % 7 in cron.day_of_week)


def schedule_create(*, endpoint: Endpoint, body: Any) -> RetrainingSchedule:
    if not isinstance(body, dict):
        raise EndpointError("The body must be a JSON object with cron, retraining_service, input and metric.")
    if endpoint.is_default or not service_kind(endpoint.service.kind).patchable:
        raise EndpointError("Schedules patch a non-default endpoint of a predictive service; add an endpoint first.")
    cron_parse(body.get("cron"))
    retraining_id: Any = body.get("retraining_service")  # any JSON value: a wrong one finds no service
    retraining = WebService.objects.filter(pk=retraining_id, workspace=endpoint.service.workspace,
                                           kind__in=kind_names(retrains=True)).first()
    if retraining is None or retraining.current is None:
        raise EndpointError("'retraining_service' must be the id of a deployed retraining service of this "
                            "workspace.", target="retraining_service")
    kinds = output_kinds(retraining.current.graph)
    if MODEL not in kinds.values() or EVALUATION not in kinds.values():
        raise EndpointError("The retraining service must return a trained model and an evaluation to compare.",
                            target="retraining_service")
    try:
        location = storage.clean_location(body.get("input"))
    except storage.StorageError as error:
        raise EndpointError(error.message, target="input") from None
    if not storage.exists(endpoint.service.workspace_id, location):
        raise EndpointError(f"No file at '{location}' in the workspace storage; upload the training data first.",
                            target="input")
    metric = body.get("metric", "AUC")
    if metric not in METRICS:
        raise EndpointError(f"Unknown metric '{metric}'; one of: {', '.join(METRICS)}.", target="metric")
    margin = body.get("margin", 0.0)
    if isinstance(margin, bool) or not isinstance(margin, (int, float)):
        raise EndpointError("'margin' must be a number (how much better the new model must be).", target="margin")
    return RetrainingSchedule.objects.create(endpoint=endpoint, retraining=retraining, cron=str(body["cron"]).strip(),
                                             input_location=location, metric=metric, margin=float(margin))


def schedules_fire(now: datetime | None = None) -> list[RetrainingAttempt]:
    """Start an attempt for every enabled schedule due this minute (once per minute, whoever ticks)."""
    minute = (now or timezone.now()).replace(second=0, microsecond=0)
    started = []
    for schedule in RetrainingSchedule.objects.filter(enabled=True).select_related("endpoint__service"):
        if not cron_matches(cron_parse(schedule.cron), minute):
            continue
        claimed = RetrainingSchedule.objects.filter(pk=schedule.pk).exclude(last_fired=minute).update(last_fired=minute)
        if claimed:
            started.append(attempt_start(schedule))
    return started


def attempt_run_now(schedule: RetrainingSchedule) -> RetrainingAttempt:
    """The dashboard's Run now: refused (QueueUnavailable, a 503) with nothing recorded while the task queue is
    down, rather than recorded as a failed attempt."""
    queue_required("the retraining can't be started now")
    return attempt_start(schedule)


def attempt_start(schedule: RetrainingSchedule) -> RetrainingAttempt:
    """Submit and start the retraining job."""
    attempt = RetrainingAttempt.objects.create(schedule=schedule)
    retraining = schedule.retraining
    endpoint = retraining.endpoints.filter(is_default=True).first()
    kinds = output_kinds(retraining.current.graph) if retraining.current else {}
    folder = f"retraining/schedule-{schedule.pk}/attempt-{attempt.pk}"
    outputs = {name: {"RelativeLocation": f"{folder}/{name}{'.ilearner' if kind == MODEL else '.csv'}"}
               for name, kind in kinds.items()}
    try:
        if endpoint is None:
            raise JobError("The retraining service has no default endpoint.")
        inputs = {name: {"RelativeLocation": schedule.input_location} for name in retraining.current.input_schema}  # type: ignore[union-attr]
        job = job_submit(endpoint=endpoint, body={"Inputs": inputs, "Outputs": outputs}, by=storage.STUDIO)
        attempt.job = job
        attempt.save(update_fields=["job"])
        job_start(job)
    except (JobError, QueueUnavailable) as error:
        _conclude(attempt, RetrainingAttempt.Outcome.FAILED, f"Could not start the job: {error.message}")
    return attempt


def _conclude(attempt: RetrainingAttempt, outcome: str, message: str, new: float | None = None,
              current: float | None = None) -> None:
    attempt.outcome, attempt.message, attempt.finished = outcome, message, timezone.now()
    attempt.new_metric, attempt.current_metric = new, current
    attempt.save()


def deployed_metrics(service: WebService) -> dict[str, Any]:
    """The evaluation of the run that trained the deployed model (the training experiment's Evaluate Model)."""
    resource = next(iter(updatable(service)), None)
    asset_id: Any = resource.get("Asset") if resource else None
    asset = Asset.objects.filter(pk=asset_id).select_related("source_run").first() if resource else None
    run = asset.source_run if asset else None
    if run is None:
        return {}
    for node in run.graph.get("nodes", []):
        if node["module"] == EVALUATE_MODULE:
            try:
                value = store.load_output(run_output_record(run, node["id"], "evaluation_results"))
            except Exception:  # the cache may have been pruned: no figure, not an error
                return {}
            return dict(value.metrics) if isinstance(value, Evaluation) else {}
    return {}


def current_metric(endpoint: Endpoint, metric: str) -> float | None:
    active = endpoint.resource_versions.filter(active=True).exclude(how="deploy").first()
    metrics = active.metrics if active is not None else deployed_metrics(endpoint.service)
    value = metrics.get(metric)
    return float(value) if isinstance(value, (int, float)) else None


def attempts_conclude(job: BatchJob) -> None:
    """Called when a retraining job ends: apply the promotion gate for the attempts that started it."""
    for attempt in RetrainingAttempt.objects.filter(job=job, outcome=RetrainingAttempt.Outcome.RUNNING) \
            .select_related("schedule__endpoint__service", "schedule__retraining"):
        if job.status != BatchJob.Status.FINISHED:
            _conclude(attempt, RetrainingAttempt.Outcome.FAILED, f"The retraining job {job.status.lower()}: "
                      f"{job.details}")
            continue
        _gate(attempt, job)


def _gate(attempt: RetrainingAttempt, job: BatchJob) -> None:
    schedule, endpoint = attempt.schedule, attempt.schedule.endpoint
    workspace = endpoint.service.workspace_id
    kinds = output_kinds(schedule.retraining.current.graph)  # type: ignore[union-attr]
    location = next(job.outputs[name] for name, kind in kinds.items() if kind == MODEL)
    try:
        data = storage.read_bytes(workspace, location, limit=settings.ATELIER_MAX_MODEL_BYTES)
        model = TrainedModel.described(data, require_signature=True)  # its metrics; the patch builds it
    except (ArtifactError, storage.StorageError) as error:
        _conclude(attempt, RetrainingAttempt.Outcome.FAILED, f"The new model can't be read: {error}")
        return
    new = model.info.get("metrics", {}).get(schedule.metric)
    current = current_metric(endpoint, schedule.metric)
    if not isinstance(new, (int, float)):
        _conclude(attempt, RetrainingAttempt.Outcome.FAILED, f"The evaluation has no '{schedule.metric}'.")
        return
    lower = schedule.metric in LOWER_IS_BETTER
    passes = current is None or (new <= current - schedule.margin if lower else new >= current + schedule.margin)
    verdict = (f"{schedule.metric} {new:.6g} vs current {current:.6g} (margin {schedule.margin:g}, "
               f"{'lower' if lower else 'higher'} is better)" if current is not None
               else f"{schedule.metric} {new:.6g}; the current model has no recorded {schedule.metric}")
    if not passes:
        _conclude(attempt, RetrainingAttempt.Outcome.KEPT, f"Kept the current model: {verdict}.", new, current)
        return
    resource = updatable(endpoint.service)[0]["Name"]
    body = {"Resources": [{"Name": resource, "Location": {
        "BaseLocation": "", "RelativeLocation": location, "SasBlobToken": storage.sas_token(workspace, location)}}]}
    try:
        with transaction.atomic():
            resource_patch(endpoint=endpoint, body=body, how="schedule")
    except EndpointError as error:
        _conclude(attempt, RetrainingAttempt.Outcome.FAILED, f"The gate passed but the patch was refused: "
                  f"{error.message}", new, current)
        return
    _conclude(attempt, RetrainingAttempt.Outcome.PROMOTED, f"Patched the endpoint: {verdict}.", new, current)


def schedules_json(endpoint: Endpoint) -> list[dict[str, Any]]:
    return [{"id": s.pk, "cron": s.cron, "retraining_service": s.retraining_id, "input": s.input_location,
             "metric": s.metric, "margin": s.margin, "enabled": s.enabled,
             "last_fired": s.last_fired.isoformat() if s.last_fired else None,
             "attempts": [{"id": a.pk, "outcome": a.outcome, "new_metric": a.new_metric,
                           "current_metric": a.current_metric, "message": a.message,
                           "started": a.started.isoformat(), "job": a.job.job_id if a.job else None,
                           "finished": a.finished.isoformat() if a.finished else None}
                          for a in s.attempts.select_related("job")[:20]]}
            for s in endpoint.schedules.all()]
