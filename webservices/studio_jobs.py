"""Retraining from the studio's pages (issue 15): a member submits and starts a batch job on a service as the
studio (reading any file of the workspace storage, as a schedule does), watches it, and applies the trained model
it returned to a non-default endpoint of a predictive service with Update Resource, `endpoints.resource_patch`
and every one of its checks. The same services as BES; the views only call these."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from experiments.modules.framework.artifacts import ArtifactError, TrainedModel
from experiments.service_kinds import Batching, kind_names, service_kind

from . import blob, storage
from .batch import job_refresh, job_start, job_status_json, job_submit
from .endpoints import EndpointError, model_fits, resource_patch, updatable
from .models import BatchJob, Endpoint, ResourceVersion, RetrainingSchedule, WebService

MODEL_EXTENSION = ".ilearner"


def studio_job_start(*, endpoint: Endpoint, body: Any) -> BatchJob:
    """Submit the job (the classic BES body) as the studio, then start it. JobError for a body or files it
    refuses; QueueUnavailable (a 503) while the task queue is down, the job then left NotStarted."""
    return job_start(job_submit(endpoint=endpoint, body=body, by=storage.STUDIO))


def _model_location(job: BatchJob) -> str | None:
    return next((location for location in job.outputs.values() if location.endswith(MODEL_EXTENSION)), None)


def _model_place(job: BatchJob) -> blob.Place:
    """Where the finished job wrote its trained model (the workspace storage, or the caller's blob)."""
    name = next((name for name, location in job.outputs.items() if location.endswith(MODEL_EXTENSION)), None)
    if name is None:
        raise EndpointError(f"Job {job.job_id} returned no trained model ({MODEL_EXTENSION} output).", target="job")
    if job.status != BatchJob.Status.FINISHED:
        raise EndpointError(f"Job {job.job_id} is {job.status}; its model can be applied once it has finished.",
                            status=409, target="job")
    return blob.job_places(job)[1][name]


def _model(job: BatchJob) -> tuple[str, TrainedModel]:
    """The finished job's trained model: (its location, its metadata, read without building it)."""
    place = _model_place(job)
    limit = settings.ATELIER_MAX_MODEL_BYTES
    try:
        with place.open() as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise storage.StorageError(f"'{place.location}' is larger than {limit} bytes.")
        return place.location, TrainedModel.described(data, require_signature=True)
    except (storage.StorageError, ArtifactError) as error:
        raise EndpointError(f"The job's model at '{place.location}' can't be read: {error}", target="job") from None


def studio_job_json(base: str, job: BatchJob) -> dict[str, Any]:
    """The job as the page shows it: its BES status (moved along first, as a status call does), its progress, each
    output with its download URL (SasBlobToken included) once finished, and the trained model's metrics."""
    job = job_refresh(job)
    status = job_status_json(base, job)
    whole = service_kind(job.endpoint.service.kind).batching == Batching.WHOLE
    if whole and job.status == BatchJob.Status.RUNNING and job.dispatched:  # one task, no chunks to count
        status["Details"] = "Training on a worker (a retraining job reads all its rows, then trains)…"
    outputs = []
    for name, location in job.outputs.items():
        result = (status["Results"] or {}).get(name)  # null until the job finishes
        outputs.append({"name": name, "location": location, "model": location.endswith(MODEL_EXTENSION),
                        "url": result["BaseLocation"] + location + result["SasBlobToken"] if result else None})
    metrics: dict[str, Any] = {}
    if job.status == BatchJob.Status.FINISHED and _model_location(job):
        try:
            metrics = _model(job)[1].info.get("metrics", {})
        except EndpointError:
            metrics = {}
    return {"id": job.job_id, **status, "rows": job.rows, "chunks": job.chunks,
            "chunks_done": min(job.chunks_done, job.chunks), "dispatched": job.dispatched is not None,
            "inputs": job.inputs, "outputs": outputs, "metrics": metrics}


def _linked(retraining: WebService, service: WebService) -> bool:
    """Trained by the same experiment (Set Up made the predictive one from it), or patched on a schedule by it."""
    experiment = service.experiment
    return (experiment is not None and retraining.experiment_id is not None
            and experiment.training_experiment_id == retraining.experiment_id) or \
        RetrainingSchedule.objects.filter(retraining=retraining, endpoint__service=service).exists()


def job_targets(job: BatchJob, services: QuerySet[WebService]) -> list[dict[str, Any]]:
    """The predictive services of the job's workspace (among `services`, the caller's) whose model the job's could
    replace, linked ones first; each says whether it fits (why not, in Update Resource's words) and lists the
    non-default endpoints a model can be applied to."""
    _, model = _model(job)
    retraining = job.endpoint.service
    found = []
    for service in services.filter(workspace_id=retraining.workspace_id, kind__in=kind_names(patchable=True)):
        for resource in updatable(service):
            try:
                model_fits(service, resource["Name"], model)
                reason = ""
            except EndpointError as error:
                reason = error.message
            found.append({"web_service": service.pk, "name": service.name, "resource": resource["Name"],
                          "linked": _linked(retraining, service), "fits": not reason, "reason": reason,
                          "endpoints": [e.name for e in service.endpoints.all() if not e.is_default]})
    return sorted(found, key=lambda target: (not target["linked"], not target["fits"], target["name"]))


def job_apply(*, job: BatchJob, endpoint: Endpoint, base: str, resource: str | None = None) -> ResourceVersion:
    """Update Resource with the job's trained model on `endpoint` (of the job's workspace): the same call as the
    PATCH, refused as it refuses (default endpoint, wrong service kind, a model that doesn't fit or can't score)."""
    place = _model_place(job)  # the file itself is checked by resource_patch, as for any PATCH
    names = [r["Name"] for r in updatable(endpoint.service)]
    if resource is None and len(names) > 1:
        raise EndpointError(f"The service has {len(names)} trained models; name one as 'resource': "
                            f"{', '.join(names)}.", target="resource")
    result = place.result(base)
    body = {"Resources": [{"Name": resource if resource is not None else next(iter(names), ""), "Location": {
        key: result[key] for key in ("BaseLocation", "RelativeLocation", "SasBlobToken")}}]}
    return resource_patch(endpoint=endpoint, body=body)[0]
