"""Batch Execution Service (SPEC §3): jobs over files in the workspace storage, scored on the workers in
chunks that fan out across every running worker (a Celery chord) and are joined in order."""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from studio import workers
from studio.errors import RequestRefused
from studio.scratch import scratch, scratch_delete
from studio.workqueue import queue_required, work_dispatch, work_republish

from . import blob, storage
from .models import BatchJob, BatchTask, Endpoint, WebService
from .retraining import output_extension, output_kinds


class JobError(RequestRefused):
    """A refused batch job call or job body; `target` names the input or output."""


def _entries(body: dict[str, Any], kind: str, names: list[str]) -> dict[str, Any]:
    """{name: entry} of 'Inputs' or 'Outputs'. As the classic service did: a single-input service also takes
    'Input' (one entry, no name); null or absent 'Outputs' means every output at its default place."""
    value = body.get(kind)
    if kind == "Inputs" and value is None and "Input" in body:
        if len(names) != 1:
            raise JobError(f"'Input' names the only input of a single-input service; this one has {', '.join(names)}: "
                           "use 'Inputs' with each name.", target="Input")
        value = {names[0]: body["Input"]}
    if kind == "Outputs" and value is None:
        return {}
    if not isinstance(value, dict):
        raise JobError(f"'{kind}' must be an object naming each {kind[:-1].lower()}.", target=kind)
    unknown = sorted(set(value) - set(names))
    if unknown:
        raise JobError(f"Unknown {kind[:-1].lower()} '{unknown[0]}'; this service has {', '.join(names)}.",
                       target=unknown[0])
    missing = [name for name in names if name not in value]
    if kind == "Inputs" and missing:
        raise JobError(f"Input '{missing[0]}' needs a RelativeLocation ('container/path.csv').", target=missing[0])
    return dict(value)


def _place(entry: Any, what: str, target: str) -> tuple[str, str | None]:
    """(RelativeLocation, sealed Azure account or None for the studio's own storage) of one entry."""
    if not isinstance(entry, dict) or not entry.get("RelativeLocation"):
        raise JobError(f"{what} needs a RelativeLocation ('container/path.csv').", target=target)
    try:
        location = storage.clean_location(entry["RelativeLocation"])
        connection = entry.get("ConnectionString") or ""
        if not isinstance(connection, str):
            raise storage.StorageError(f"{what}: the ConnectionString must be text.")
        return location, blob.seal(blob.account_parse(connection, what)) if connection.strip() else None
    except storage.StorageError as error:
        raise JobError(error.message, target=target) from None


def _places(entries: dict[str, Any], kind: str) -> tuple[dict[str, str], dict[str, str]]:
    """({name: location}, {name: sealed account}) of the given entries."""
    locations, accounts = {}, {}
    for name, entry in entries.items():
        locations[name], sealed = _place(entry, f"{kind[:-1]} '{name}'", name)
        if sealed is not None:
            accounts[name] = sealed
    return locations, accounts


def _files_check(service: WebService, inputs: dict[str, str], outputs: dict[str, str],
                 by: storage.Accessor) -> None:
    """Each input is a file `by` reaches (for a service's key: one of the service's own; any other reads as
    missing), and each output a location the service's job may write (free, or already the service's). Only
    places on the studio's storage: blobs are checked by the job, which fails naming the blob."""
    workspace, writer = service.workspace_id, storage.Accessor(service.pk)
    for name, location in inputs.items():
        if not storage.exists(workspace, location, by=by):
            raise JobError(f"Input '{name}': no file at '{location}' in the workspace storage; upload it first.",
                           target=name)
    for name, location in outputs.items():
        if storage.exists(workspace, location) and not storage.exists(workspace, location, by=writer):
            raise JobError(f"Output '{name}': the location '{location}' is in use by another owner in this "
                           "workspace's storage; choose another RelativeLocation.", status=409, target=name)


def _on_studio_storage(job: BatchJob, kind: str) -> dict[str, str]:
    places: dict[str, str] = job.inputs if kind == "Inputs" else job.outputs
    return {name: location for name, location in places.items() if name not in job.blob_accounts.get(kind, {})}


def job_files_check(job: BatchJob) -> None:
    """Before a job submitted with a key starts: its files are still the service's to read and write."""
    service = job.endpoint.service
    _files_check(service, _on_studio_storage(job, "Inputs"), _on_studio_storage(job, "Outputs"),
                 storage.Accessor(service.pk))


def job_submit(*, endpoint: Endpoint, body: Any, by: storage.Accessor | None = None) -> BatchJob:
    """Check the job's places and record it, not started. Studio-storage inputs are read as `by` sees the storage:
    the endpoint's service (a call with its key) unless the studio submits (a schedule). An output not given goes
    to a folder of the job's own in the studio's storage (never another's file)."""
    deployment = endpoint.service.current
    if deployment is None:
        raise JobError("The service has no deployment.", status=404)
    if not isinstance(body, dict):
        raise JobError("The body must be a JSON object with 'Inputs' and 'Outputs'.")
    kinds = output_kinds(deployment.graph)
    job_id = secrets.token_hex(16)
    inputs, input_accounts = _places(_entries(body, "Inputs", list(deployment.input_schema)), "Inputs")
    given = _entries(body, "Outputs", list(deployment.output_schema))
    outputs, output_accounts = _places({name: given.get(name) or {
        "RelativeLocation": f"results/{job_id}/{name}{output_extension(kinds.get(name, ''))[0]}"}
        for name in deployment.output_schema}, "Outputs")
    for name, location in outputs.items():
        allowed = output_extension(kinds.get(name, ""))
        if not location.endswith(allowed):
            what = "the trained model, so its" if allowed == (".ilearner",) else "a table, so its"
            raise JobError(f"Output '{name}' is {what} RelativeLocation must end in {' or '.join(allowed)}.",
                           target=name)
    _files_check(endpoint.service, {n: loc for n, loc in inputs.items() if n not in input_accounts},
                 {n: loc for n, loc in outputs.items() if n not in output_accounts},
                 by if by is not None else storage.Accessor(endpoint.service_id))
    parameters = body.get("GlobalParameters") or {}
    if not isinstance(parameters, dict):
        raise JobError("'GlobalParameters' must be an object.", target="GlobalParameters")
    accounts = {kind: found for kind, found in (("Inputs", input_accounts), ("Outputs", output_accounts)) if found}
    return BatchJob.objects.create(endpoint=endpoint, job_id=job_id, inputs=inputs, outputs=outputs,
                                   global_parameters=parameters, blob_accounts=accounts)


def job_start(job: BatchJob) -> BatchJob:
    """Start a job not started: it runs when its workspace has a free place in the fair queue (at once if it
    has one). While the task queue (Redis) is down it is refused (QueueUnavailable, a 503) and stays NotStarted,
    so the caller can start it again."""
    _startable(job)
    queue_required(f"job {job.job_id} can't be started now; it is still NotStarted")
    with transaction.atomic():
        job = BatchJob.objects.select_for_update().get(pk=job.pk)
        _startable(job)
        job.status, job.started, job.heartbeat = BatchJob.Status.RUNNING, timezone.now(), timezone.now()
        job.save(update_fields=["status", "started", "heartbeat"])
        transaction.on_commit(partial(work_dispatch, _workspace(job)))
    return job


def _startable(job: BatchJob) -> None:
    if job.status != BatchJob.Status.NOT_STARTED:
        # 400 as the classic service answered (not 409): classic clients treat any 4xx as "not started by me"
        raise JobError(f"Job {job.job_id} is {job.status}; only a job not started can be started.")


def _workspace(job: BatchJob) -> str:
    return str(BatchJob.objects.filter(pk=job.pk).values_list("endpoint__service__workspace_id", flat=True).get())


def job_cancel(job: BatchJob) -> BatchJob:
    """Cancelled jobs stop at the next chunk; their partial outputs are never written. Their place in the fair
    queue goes to the workspace's next waiting work."""
    if job.status in (BatchJob.Status.NOT_STARTED, BatchJob.Status.RUNNING):
        BatchJob.objects.filter(pk=job.pk, status__in=[BatchJob.Status.NOT_STARTED, BatchJob.Status.RUNNING]).update(
            status=BatchJob.Status.CANCELLED, finished=timezone.now(), details="Cancelled by the caller.")
        job.refresh_from_db()
        work_dispatch(_workspace(job))
    return job


STALE_AFTER_SECONDS = 600


def job_reap_if_stale(job: BatchJob) -> BatchJob:
    """A running job is failed with the reason, and its chunk files removed, when a worker executing one of
    its tasks stopped beating (killed: noticed 20-25 s after) or when it made no progress for
    STALE_AFTER_SECONDS. Its unacknowledged tasks come back from the broker only after the visibility
    timeout; they then find the job ended and do nothing."""
    beat = job.heartbeat or job.started
    if job.status != BatchJob.Status.RUNNING or beat is None or job.dispatched is None:
        return job  # not running, or waiting for its turn: no worker has it yet
    lost = [task for task in job.tasks_in_progress.all() if workers.is_lost(task.worker, task.started)]
    if lost:  # a task it needs died with its worker: the job can't finish
        names = ", ".join(sorted({task.worker for task in lost}))
        details = (f"The worker scoring this job ({names}) stopped while it held "
                   f"{_held([task.task for task in lost], job.chunks if job.split_done else 0)}. Start a new job.")
    elif (timezone.now() - beat).total_seconds() > STALE_AFTER_SECONDS:
        details = (f"No progress for {STALE_AFTER_SECONDS // 60} minutes: the workers scoring it stopped. Start "
                   "a new job.")
    else:
        return job
    if BatchJob.objects.filter(pk=job.pk, status=BatchJob.Status.RUNNING).update(
            status=BatchJob.Status.FAILED, finished=timezone.now(), details=details):
        job_files_remove(job.job_id)
        job.tasks_in_progress.all().delete()
    job.refresh_from_db()
    return job


def _held(labels: list[str], chunks: int) -> str:
    """The lost tasks as a person reads them: 'chunk 7 of 100', 'chunks 3 and 8 of 100', 'the split of the
    input', 'the join of the outputs' (a BatchTask's label is 'split', 'chunk N' or 'join')."""
    numbers = sorted(int(label.split()[1]) for label in labels if label.startswith("chunk "))
    parts = [text for label, text in (("split", "the split of the input"), ("join", "the join of the outputs"))
             if label in labels]
    if numbers:
        listed = ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}" if len(numbers) > 1 else str(numbers[0])
        parts.insert(0, f"chunk{'s' if len(numbers) > 1 else ''} {listed}" + (f" of {chunks}" if chunks else ""))
    return ", and ".join(parts)


def job_refresh(job: BatchJob) -> BatchJob:
    """A job's status is being read: fail it if its worker was lost, admit it if its turn has come, or send again
    a task the broker lost (so a studio without beat, or between beats, still moves)."""
    job = job_reap_if_stale(job)
    if job.status != BatchJob.Status.RUNNING:
        return job
    cutoff = timezone.now() - timedelta(seconds=settings.ATELIER_REPUBLISH_AFTER)
    if job.dispatched is None:
        work_dispatch(_workspace(job))
    elif job.tasks_in_progress.filter(worker="", sent__lt=cutoff).exists():
        work_republish()
    job.refresh_from_db()
    return job


def jobs_reap_lost() -> int:
    """Celery beat, every 10 s: fail the running jobs whose worker was lost (see job_reap_if_stale)."""
    held = BatchJob.objects.filter(status=BatchJob.Status.RUNNING, tasks_in_progress__isnull=False).distinct()
    failed = sum(job_reap_if_stale(job).status == BatchJob.Status.FAILED for job in held)
    BatchTask.objects.exclude(job__status=BatchJob.Status.RUNNING).delete()  # records of jobs that ended
    workers.forget_quiet_workers()
    return failed


def job_files_remove(job_id: str) -> int:
    """Delete a job's chunk files (inputs and output parts); the job's own outputs are elsewhere. On S3 one
    listing and one request per thousand files (studio/scratch.py)."""
    folder = f"jobs/{job_id}"
    try:
        _, files = scratch().listdir(folder)
    except FileNotFoundError:
        return 0
    scratch_delete(f"{folder}/{name}" for name in files)
    return len(files)


def jobs_sweep() -> int:
    """Chunk files left by jobs that ended (failed, cancelled, or killed with their worker): removed when a
    worker starts and when one of their tasks sees the job has ended. Returns how many files."""
    try:
        folders, _ = scratch().listdir("jobs")
    except FileNotFoundError:
        return 0
    ended = set(BatchJob.objects.filter(job_id__in=folders).exclude(
        status__in=[BatchJob.Status.RUNNING, BatchJob.Status.NOT_STARTED]).values_list("job_id", flat=True))
    known = set(BatchJob.objects.filter(job_id__in=folders).values_list("job_id", flat=True))
    return sum(job_files_remove(folder) for folder in folders if folder in ended or folder not in known)


def job_status_json(base: str, job: BatchJob) -> dict[str, Any]:
    """The classic status: `Results` is null until the job has finished, then where each output is, with a
    read token (a SAS of the caller's Azure account for a blob output)."""
    results = None
    if job.status == BatchJob.Status.FINISHED:
        results = {name: place.result(base) for name, place in blob.job_places(job)[1].items()}
    details = job.details
    if job.status == BatchJob.Status.RUNNING and job.dispatched is None:
        details = ("Waiting for its turn: its workspace's earlier jobs and experiment runs go first (at most "
                   f"{settings.ATELIER_WORKSPACE_CONCURRENCY} at a time).")
    elif job.status == BatchJob.Status.RUNNING:
        details = (f"{job.chunks_done} of {job.chunks} chunks scored ({job.rows} rows)" if job.split_done
                   else f"{job.chunks_done} chunks scored, {job.rows} rows read so far")
    return {"StatusCode": job.status, "Results": results, "Details": details,
            "CreatedAt": job.created.isoformat(), "StartTime": job.started.isoformat() if job.started else None,
            "EndTime": job.finished.isoformat() if job.finished else None}
