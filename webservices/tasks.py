"""Batch jobs on the workers: split the input into chunks, score them on every running worker at once (a
chord), then join the outputs in order. Memory stays bounded by the chunk size, whatever the file's size."""

from __future__ import annotations

import logging
import tempfile
from typing import Any

import pandas as pd
from celery import chord, shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F
from django.utils import timezone

from experiments.modules.datatable import DataTable

from . import storage
from .models import BatchJob
from .wire import BadRequest, typed_frame

logger = logging.getLogger(__name__)


def _chunk_path(job: BatchJob, kind: str, index: int, name: str = "") -> str:
    return f"jobs/{job.job_id}/{kind}-{name}-{index:06d}.parquet"


def _fail(job_pk: int, message: str) -> None:
    BatchJob.objects.filter(pk=job_pk, status=BatchJob.Status.RUNNING).update(
        status=BatchJob.Status.FAILED, details=message, finished=timezone.now())


def _running(job_pk: int) -> BatchJob | None:
    return BatchJob.objects.select_related("endpoint__service__current").filter(
        pk=job_pk, status=BatchJob.Status.RUNNING).first()


@shared_task(name="webservices.bes_run", acks_late=True, reject_on_worker_lost=True)
def bes_run(job_pk: int) -> None:
    """Split each input into typed chunks (checked as they are read), then fan the scoring out."""
    job = _running(job_pk)
    if job is None:
        return
    deployment = job.endpoint.service.current
    workspace = job.endpoint.service.workspace_id
    try:
        counts = []
        for name, location in job.inputs.items():
            columns = deployment.input_schema[name]
            with storage.open_file(workspace, location) as handle:
                reader = pd.read_csv(handle, dtype=str, keep_default_na=False,
                                     chunksize=settings.ATELIER_BES_CHUNK_ROWS)
                count, rows = 0, 0
                for index, frame in enumerate(reader):
                    table = typed_frame(frame.reset_index(drop=True), name, columns, first_row=rows + 2)
                    default_storage.save(_chunk_path(job, "in", index, name), ContentFile(table.to_parquet()))
                    count, rows = count + 1, rows + len(frame)
                    BatchJob.objects.filter(pk=job_pk).update(rows=F("rows") + len(frame), heartbeat=timezone.now())
            counts.append(count)
    except (BadRequest, storage.StorageError, pd.errors.ParserError, UnicodeDecodeError) as error:
        _fail(job_pk, f"Input could not be read: {getattr(error, 'message', error)}")
        return
    if len(set(counts)) > 1:
        _fail(job_pk, "Inputs of a multi-input job must have the same number of rows.")
        return
    chunks = counts[0] if counts else 0
    BatchJob.objects.filter(pk=job_pk).update(chunks=chunks)
    if chunks == 0:
        _fail(job_pk, "The input file has no rows.")
        return
    chord(bes_chunk.s(job_pk, index) for index in range(chunks))(bes_join.s(job_pk))


@shared_task(name="webservices.bes_chunk", acks_late=True, reject_on_worker_lost=True)
def bes_chunk(job_pk: int, index: int) -> int:
    """Score one chunk with the endpoint's compiled Scorer (cached per worker process)."""
    from .scoring import ScoringError, served

    job = _running(job_pk)
    if job is None:  # cancelled or failed meanwhile: nothing to do
        return index
    state = served(job.endpoint.endpoint_id)
    if state is None:
        _fail(job_pk, "The endpoint no longer exists.")
        return index
    tables = {}
    for name in job.inputs:
        with default_storage.open(_chunk_path(job, "in", index, name), "rb") as handle:
            tables[name] = DataTable.from_parquet(handle.read())
    try:
        results = state.scorer.score(tables, job.global_parameters)
    except ScoringError as error:
        _fail(job_pk, f"Chunk {index + 1}: {error.message}")
        raise
    for name, table in results.items():
        default_storage.save(_chunk_path(job, "out", index, name), ContentFile(table.to_parquet()))
    BatchJob.objects.filter(pk=job_pk).update(chunks_done=F("chunks_done") + 1, heartbeat=timezone.now())
    return index


@shared_task(name="webservices.bes_join", acks_late=True, reject_on_worker_lost=True)
def bes_join(_: Any, job_pk: int) -> None:
    """Write each output in chunk order (CSV, or Parquet when the location ends in .parquet), then finish."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    job = _running(job_pk)
    if job is None:
        return
    workspace = job.endpoint.service.workspace_id
    for name, location in job.outputs.items():
        buffer = tempfile.TemporaryFile()  # on disk: the joined output is never held in memory whole
        writer = None
        for index in range(job.chunks):
            path = _chunk_path(job, "out", index, name)
            with default_storage.open(path, "rb") as handle:
                frame = DataTable.from_parquet(handle.read()).frame
            if location.endswith(".parquet"):
                batch = pa.Table.from_pandas(frame, preserve_index=False)
                writer = writer or pq.ParquetWriter(buffer, batch.schema)
                writer.write_table(batch)
            else:
                frame.to_csv(buffer, header=index == 0, index=False)
        if writer is not None:
            writer.close()
        buffer.seek(0)
        storage.write(workspace, location, buffer)
    updated = BatchJob.objects.filter(pk=job_pk, status=BatchJob.Status.RUNNING).update(
        status=BatchJob.Status.FINISHED, finished=timezone.now(), details=f"Scored {job.rows} rows.")
    if updated:
        _, files = default_storage.listdir(f"jobs/{job.job_id}")
        for file in files:
            default_storage.delete(f"jobs/{job.job_id}/{file}")
