"""Batch jobs on the workers. The input is read in chunks; each chunk is queued for scoring as soon as it is
written, so every running worker scores while the file is still being read, and each chunk task writes its
own piece of the output (CSV text or Parquet). The last chunk to finish claims the job and joins the pieces
in order. Memory stays bounded by the chunk size, whatever the file's size."""

from __future__ import annotations

import csv
import logging
import os
import tempfile
from collections.abc import Iterator
from typing import IO, Any

import pandas as pd
from celery import shared_task
from celery.signals import celeryd_after_setup, task_postrun, task_received, worker_ready
from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone

from experiments.modules.framework.datatable import DataTable
from experiments.service_kinds import Batching, service_kind
from studio import workers
from studio.scratch import scratch, scratch_read

from . import blob, storage
from .batch import job_files_remove, jobs_reap_lost, jobs_sweep
from .batch_csv import arff_write, chunk_table, lines_checked, part_extension, text_part, typed_frame
from .job_queue import job_task_received, job_task_send, superseded
from .lineage import retraining_note
from .models import BatchJob, BatchTask
from .retraining import retrain
from .schedules import attempts_conclude, schedules_fire
from .scoring.scorer import ScoringError
from .scoring.served import served
from .scoring.wire import BadRequest
from .usage import request_log_prune

logger = logging.getLogger(__name__)


def _chunk_path(job: BatchJob, kind: str, index: int, name: str, extension: str = "parquet") -> str:
    return f"jobs/{job.job_id}/{kind}-{name}-{index:06d}.{extension}"


def _fail(job_pk: int, message: str) -> None:
    BatchJob.objects.filter(pk=job_pk, status=BatchJob.Status.RUNNING).update(
        status=BatchJob.Status.FAILED, details=message, finished=timezone.now())


# The job tasks, recorded when sent (job_queue.job_task_send), stamped with the worker when it *receives* them
# (before a pool process starts them: a task a killed worker had only reserved is lost with it too) and deleted
# when they end, however they end. Should the worker die instead, the records stay and the job is failed as soon
# as the worker's own beat goes quiet (batch.job_reap_if_stale), not when the broker hands the tasks out again an
# hour later; should the broker lose a task no worker received, it is sent again (studio/workqueue.py).
JOB_TASKS = {"webservices.bes_run": "split", "webservices.bes_chunk": "chunk", "webservices.bes_join": "join"}


def _task_label(name: str, args: Any) -> str:
    label = JOB_TASKS.get(name, "")
    return f"chunk {args[1] + 1}" if label == "chunk" else label


@task_received.connect
def record_a_received_job_task(sender: object = None, request: Any = None, **kwargs: Any) -> None:
    """In the worker's main process, as the broker hands it a job's task (see batch.job_reap_if_stale)."""
    label = _task_label(getattr(request, "name", ""), getattr(request, "args", ()))
    if not label:
        return
    try:
        job_task_received(request.args[0], label, request.id, workers.worker_name())
    except Exception:  # a job deleted meanwhile, a busy database: the 10-minute rule still applies
        logger.warning("Could not record %s of job %s", label, request.args[0], exc_info=True)


@task_postrun.connect
def forget_an_ended_job_task(sender: Any = None, task_id: str = "", **kwargs: Any) -> None:
    """In the pool process, after the task returned or raised."""
    if getattr(sender, "name", "") in JOB_TASKS and task_id:
        BatchTask.objects.filter(task_id=task_id).delete()


def _beating(job_pk: int) -> workers.Heartbeat:
    """Keeps the job's heartbeat fresh while a task works on it (the 10-minute no-progress rule)."""
    running = BatchJob.objects.filter(pk=job_pk, status=BatchJob.Status.RUNNING)
    return workers.Heartbeat(lambda: running.update(heartbeat=timezone.now()), name=f"heartbeat-job-{job_pk}")


def _running(job_pk: int) -> BatchJob | None:
    """The job while it runs; None once it has ended (its chunk files are removed then: nothing else will)."""
    job = BatchJob.objects.select_related("endpoint__service__current").filter(
        pk=job_pk, status=BatchJob.Status.RUNNING).first()
    if job is None:
        ended = BatchJob.objects.filter(pk=job_pk).exclude(status=BatchJob.Status.FINISHED).values_list(
            "job_id", flat=True).first()
        if ended:
            job_files_remove(ended)
    return job


@shared_task(name="webservices.bes_run", acks_late=True, reject_on_worker_lost=True, bind=True)
def bes_run(self: Any, job_pk: int) -> None:
    """Split each input into chunks, queueing each chunk as it is written. A file without quote characters
    (no field can hold a line break) is cut at line ends without parsing it, and the chunk tasks parse and
    type their own piece in parallel; any other file is parsed and typed here, chunk by chunk. A job of one
    chunk is scored and joined here: a one-row job is one task."""
    if superseded(job_pk, "split", self.request.id):
        return
    with _beating(job_pk):
        _bes_run(job_pk)


def _bes_run(job_pk: int) -> None:
    job = _running(job_pk)
    if job is None:
        return
    deployment = job.endpoint.service.current
    assert deployment is not None, "a batch job is only submitted to a deployed service"
    if service_kind(job.endpoint.service.kind).batching == Batching.WHOLE:
        _retrain(job)
        return
    stream_out = len(job.inputs) == 1  # several inputs: chunk i is ready only when every input has it
    held = None  # the last chunk written, sent when the next one is: a job of one chunk is scored here
    try:
        counts = []
        for name, place in blob.job_places(job)[0].items():
            columns = deployment.input_schema[name]
            with place.open() as handle:
                lines_checked(handle, name)
                split = _split_lines if _without_quotes(handle) else _split_parsed
                handle.seek(0)
                count = 0
                for index in split(job, handle, name, columns):
                    if _running(job_pk) is None:
                        return  # cancelled while reading
                    count += 1
                    if stream_out and held is not None:
                        job_task_send(job_pk, f"chunk {held + 1}")
                    held = index if stream_out else None
            counts.append(count)
    except (BadRequest, storage.StorageError, pd.errors.ParserError, UnicodeDecodeError) as error:
        _fail(job_pk, f"Input could not be read: {getattr(error, 'message', error)}")
        return
    if len(set(counts)) > 1:
        _fail(job_pk, "Inputs of a multi-input job must have the same number of rows.")
        return
    chunks = counts[0] if counts else 0
    if chunks == 0:
        _fail(job_pk, "The input file has no rows.")
        return
    BatchJob.objects.filter(pk=job_pk).update(chunks=chunks, split_done=True)
    if chunks == 1:
        _bes_chunk(job_pk, 0, inline=True)
        return
    for index in [held] if held is not None else range(chunks):
        job_task_send(job_pk, f"chunk {index + 1}")
    _join_when_done(job_pk)


def _retrain(job: BatchJob) -> None:
    """A retraining job is one task: training needs all its rows at once. Scheduled attempts that started
    it apply their promotion gate when it ends."""
    try:
        _retrain_job(job)
    finally:
        ended = BatchJob.objects.filter(pk=job.pk).first()
        if ended is not None:  # None: deleted with its web service meanwhile (its attempts went with it)
            attempts_conclude(ended)


def _retrain_job(job: BatchJob) -> None:
    state = served(job.endpoint.endpoint_id)
    service = job.endpoint.service
    resource = next((r["Name"] for r in service.current.resources if r["Kind"] == "TrainedModel"),  # type: ignore[union-attr]
                    f"{service.name} [trained model]")
    try:
        inputs, outputs = blob.job_places(job)
        rows = retrain(scorer=state.scorer,  # type: ignore[union-attr]
                       input_schema=service.current.input_schema, inputs=inputs,  # type: ignore[union-attr]
                       outputs=outputs, global_parameters=job.global_parameters, model_name=resource,
                       note={"retraining_service": service.pk, "job": job.job_id,
                             "lineage": retraining_note(service, job)})
    except (BadRequest, storage.StorageError) as error:
        _fail(job.pk, f"Input could not be read: {error.message}")
        return
    except ScoringError as error:
        _fail(job.pk, f"Retraining failed: {error.message}")
        return
    BatchJob.objects.filter(pk=job.pk, status=BatchJob.Status.RUNNING).update(
        status=BatchJob.Status.FINISHED, finished=timezone.now(), rows=rows, chunks=1, chunks_done=1,
        split_done=True, details=f"Trained on {rows} rows.")


def _without_quotes(handle: IO[bytes]) -> bool:
    while block := handle.read(2**22):
        if b'"' in block:
            return False
    return True


def _counted(job_pk: int, rows: int) -> None:
    BatchJob.objects.filter(pk=job_pk).update(rows=F("rows") + rows, heartbeat=timezone.now())


def _split_lines(job: BatchJob, handle: IO[bytes], name: str, columns: list[dict[str, Any]]) -> Iterator[int]:
    """Cut at every CHUNK_ROWS-th line end: chunk files of raw CSV, each with the header line."""
    header = handle.readline()
    if not header.strip():
        raise BadRequest("The input file is empty.", name)
    names = next(csv.reader([header.decode("utf-8-sig")]))
    typed_frame(pd.DataFrame(columns=names), name, columns, first_row=2)  # a missing column, named, now
    size = settings.ATELIER_BES_CHUNK_ROWS
    pieces: list[bytes] = []
    lines, index = 0, 0

    def flush() -> int:
        nonlocal pieces, lines, index
        data = b"".join(pieces)
        scratch().save(_chunk_path(job, "in", index, name, "csv"), ContentFile(header + data))
        _counted(job.pk, lines)
        done, pieces, lines, index = index, [], 0, index + 1
        return done

    while block := handle.read(2**22):
        while block:
            wanted = size - lines
            cut, found = -1, 0
            while found < wanted:
                cut = block.find(b"\n", cut + 1)
                if cut < 0:
                    break
                found += 1
            if cut < 0 or found < wanted:
                pieces.append(block)
                lines += block.count(b"\n")
                break
            pieces.append(block[:cut + 1])
            lines += found
            block = block[cut + 1:]
            yield flush()
    if pieces and b"".join(pieces).strip():
        lines += 0 if b"".join(pieces).endswith(b"\n") else 1
        yield flush()


def _split_parsed(job: BatchJob, handle: IO[bytes], name: str, columns: list[dict[str, Any]]) -> Iterator[int]:
    """Parse and type here (quoted fields may hold line breaks): chunk files of typed Parquet."""
    reader = pd.read_csv(handle, dtype=str, keep_default_na=False, chunksize=settings.ATELIER_BES_CHUNK_ROWS)
    rows = 0
    for index, frame in enumerate(reader):
        table = typed_frame(frame.reset_index(drop=True), name, columns, first_row=rows + 2)
        scratch().save(_chunk_path(job, "in", index, name), ContentFile(table.to_parquet()))
        rows += len(frame)
        _counted(job.pk, len(frame))
        yield index


def _chunk_input(job: BatchJob, index: int, name: str, columns: list[dict[str, Any]]) -> DataTable:
    """A chunk's table: raw CSV lines as written by _split_lines, typed here, or else typed Parquet as written
    by _split_parsed. Read without an existence check first: the raw lines are the common case (a file without
    quote characters), so a Parquet chunk pays one missed read, as it paid one existence check before."""
    try:
        data = scratch_read(_chunk_path(job, "in", index, name, "csv"))
    except FileNotFoundError:
        return DataTable.from_parquet(scratch_read(_chunk_path(job, "in", index, name)))
    return chunk_table(data, name, columns, first_row=index * settings.ATELIER_BES_CHUNK_ROWS + 2)


@shared_task(name="webservices.bes_chunk", acks_late=True, reject_on_worker_lost=True, bind=True)
def bes_chunk(self: Any, job_pk: int, index: int) -> None:
    """Score one chunk with the endpoint's compiled Scorer (cached per worker process) and write its part
    of each output. A redelivered chunk rewrites its part but is counted once."""
    if superseded(job_pk, f"chunk {index + 1}", self.request.id):
        return
    with _beating(job_pk):
        _bes_chunk(job_pk, index)


def _bes_chunk(job_pk: int, index: int, inline: bool = False) -> None:
    job = _running(job_pk)
    if job is None:  # cancelled or failed meanwhile: nothing to do
        return
    state = served(job.endpoint.endpoint_id)
    if state is None:
        _fail(job_pk, "The endpoint no longer exists.")
        return
    try:
        tables = {name: _chunk_input(job, index, name, state.input_schema[name]) for name in job.inputs}
    except (BadRequest, pd.errors.ParserError, UnicodeDecodeError) as error:
        _fail(job_pk, f"Input could not be read: {getattr(error, 'message', error)}")
        return
    try:
        results = state.scorer.score(tables, job.global_parameters)
    except ScoringError as error:
        _fail(job_pk, f"Chunk {index + 1}: {error.message}")
        return
    first = next(iter(job.outputs))
    # The chunk's one existence check: a redelivered chunk finds its first part written and is not counted
    # again. Parts are then overwritten in place (the scratch storage overwrites: no delete, no name look-up).
    counted = scratch().exists(_chunk_path(job, "out", index, first, part_extension(job.outputs[first])))
    for name, table in results.items():
        extension = part_extension(job.outputs[name])
        data = table.to_parquet() if extension == "parquet" else text_part(table.frame, extension, header=index == 0)
        scratch().save(_chunk_path(job, "out", index, name, extension), ContentFile(data))
    if not counted:
        BatchJob.objects.filter(pk=job_pk).update(chunks_done=F("chunks_done") + 1, heartbeat=timezone.now())
    _join_when_done(job_pk, inline)


def _join_when_done(job_pk: int, inline: bool = False) -> None:
    """Whoever sees the last chunk done (a chunk task, or the reader if it finished last) claims the join, and
    joins at once when it is the job's only task."""
    claimed = BatchJob.objects.filter(pk=job_pk, status=BatchJob.Status.RUNNING, split_done=True, joining=False,
                                      chunks_done__gte=F("chunks")).update(joining=True)
    if claimed and inline:
        _bes_join(job_pk)
    elif claimed:
        job_task_send(job_pk, "join")


@shared_task(name="webservices.bes_join", acks_late=True, reject_on_worker_lost=True, bind=True)
def bes_join(self: Any, job_pk: int) -> None:
    """Write each output from its parts in chunk order (CSV parts are copied as bytes), then finish."""
    if superseded(job_pk, "join", self.request.id):
        return
    with _beating(job_pk):
        _bes_join(job_pk)


def _bes_join(job_pk: int) -> None:
    job = _running(job_pk)
    if job is None:
        return
    for name, place in blob.job_places(job)[1].items():
        with tempfile.TemporaryFile() as joined:  # on disk: the output is never held in memory whole
            _join_parts(job, name, place.location, joined)
            joined.seek(0)
            try:  # the service's own file, within the workspace's quota; or the caller's blob
                place.write(joined)
            except storage.StorageError as error:
                _fail(job_pk, f"Output '{name}' could not be written: {error.message}")
                job_files_remove(job.job_id)
                return
    updated = BatchJob.objects.filter(pk=job_pk, status=BatchJob.Status.RUNNING).update(
        status=BatchJob.Status.FINISHED, finished=timezone.now(), details=f"Scored {job.rows} rows.")
    if updated:
        job_files_remove(job.job_id)


def _join_parts(job: BatchJob, name: str, location: str, joined: IO[bytes]) -> None:
    """An output's parts in chunk order, in its format: text parts copied as bytes, Parquet parts re-written
    into one Parquet file or read twice for ARFF (types first, then rows)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    extension = part_extension(location)
    paths = [_chunk_path(job, "out", index, name, extension) for index in range(job.chunks)]
    if extension != "parquet":
        for path in paths:
            joined.write(scratch_read(path))  # one chunk's part: a chunk's worth of memory at most
        return

    def frames() -> Iterator[pd.DataFrame]:
        for path in paths:
            yield DataTable.from_parquet(scratch_read(path)).frame

    if location.endswith(".arff"):
        arff_write(frames, joined, location.rsplit("/", 1)[-1].rsplit(".", 1)[0])
        return
    writer = None
    for frame in frames():
        batch = pa.Table.from_pandas(frame, preserve_index=False)
        writer = writer or pq.ParquetWriter(joined, batch.schema)
        writer.write_table(batch)
    if writer is not None:
        writer.close()


@celeryd_after_setup.connect
def share_the_cores(sender: object, instance: object, **kwargs: object) -> None:
    """Before the pool forks: each worker process predicts large chunks on its share of the cores, as row
    blocks on threads of their own (experiments.modules.prediction.RowBlocks says why not OpenMP's threads)."""
    concurrency = int(getattr(instance, "concurrency", 1) or 1)
    settings.ATELIER_SCORING_THREADS = max(1, (os.cpu_count() or 1) // concurrency)


@shared_task(name="webservices.schedules_tick")
def schedules_tick() -> int:
    """Celery beat, every minute: start the retraining schedules that are due."""
    return len(schedules_fire())


@shared_task(name="webservices.reap_lost_jobs")
def reap_lost_jobs() -> int:
    """Celery beat, every 10 s: a job whose worker was killed is failed within ~30 s of the kill."""
    return jobs_reap_lost()


@shared_task(name="webservices.prune_request_log")
def prune_request_log() -> int:
    """Celery beat, every 5 min: the request log's age and size limits, also when no call comes to prune it."""
    return request_log_prune()


@worker_ready.connect
def sweep_ended_jobs(**kwargs: object) -> None:
    """A worker that starts removes the chunk files jobs that ended left behind (e.g. with a killed worker)."""
    jobs_sweep()
