"""Batch jobs in the fair work queue (studio/workqueue.py).

A started job (status Running) waits in the database until its workspace has a free place; then its first task
(the split) is sent and the job counts as in flight until it ends, however many chunk tasks it fans out into.
Every task of a job is recorded as a BatchTask row (label, task id, when sent) before it is published; a worker
acknowledges it on receiving it (the row gets the worker's name), and the row goes when the task ends. A row no
worker received whose message the broker lost is sent again under a new id; a delivery of an id that is no
longer its row's does nothing (`superseded`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from studio.workqueue import (
    FIRST,
    LATER,
    Unacknowledged,
    Waiting,
    count_by_workspace,
    new_task_id,
    oldest_per_workspace,
    send,
)

from .models import BatchJob, BatchTask

WORKSPACE = "endpoint__service__workspace_id"


class JobQueue:
    task_names = frozenset({"webservices.bes_run", "webservices.bes_chunk", "webservices.bes_join"})

    def in_flight(self, workspace: str | None = None) -> Counter[str]:
        jobs = BatchJob.objects.filter(status=BatchJob.Status.RUNNING, dispatched__isnull=False)
        return count_by_workspace(jobs.filter(**{WORKSPACE: workspace}) if workspace else jobs, WORKSPACE)

    def waiting(self, workspace: str | None = None) -> list[Waiting]:
        jobs = BatchJob.objects.filter(status=BatchJob.Status.RUNNING, dispatched__isnull=True)
        return [Waiting(owner, started, partial(job_admit, pk))
                for pk, owner, started in oldest_per_workspace(jobs, WORKSPACE, "started", workspace)]

    def unacknowledged(self, sent_before: datetime) -> list[Unacknowledged]:
        rows = BatchTask.objects.filter(worker="", sent__lt=sent_before, job__status=BatchJob.Status.RUNNING)
        return [Unacknowledged(task_id, partial(job_task_resend, pk, task_id))
                for pk, task_id in rows.values_list("pk", "task_id")]


def job_admit(job_pk: int) -> bool:
    """Its turn: claim the job and send its split once the claim commits. Its no-progress clock starts now."""
    now = timezone.now()
    if not BatchJob.objects.filter(pk=job_pk, status=BatchJob.Status.RUNNING, dispatched__isnull=True).update(
            dispatched=now, heartbeat=now):
        return False
    transaction.on_commit(partial(job_task_send, job_pk, "split"))
    return True


def job_task_send(job_pk: int, label: str) -> bool:
    """Record one task of the job ("split", "chunk N", "join"), then publish it (see studio.workqueue.send)."""
    task_id = new_task_id()
    BatchTask.objects.create(job_id=job_pk, task=label, task_id=task_id, sent=timezone.now())
    return send(*_task_for(job_pk, label), task_id=task_id, priority=FIRST if label == "split" else LATER)


def job_task_resend(row_pk: int, old_task_id: str) -> bool:
    """Its message was lost before any worker received it: a new id, sent again."""
    task_id = new_task_id()
    if not BatchTask.objects.filter(pk=row_pk, task_id=old_task_id, worker="").update(task_id=task_id,
                                                                                        sent=timezone.now()):
        return False
    row = BatchTask.objects.get(pk=row_pk)
    return send(*_task_for(row.job_id, row.task), task_id=task_id,
                priority=FIRST if row.task == "split" else LATER)


def _task_for(job_pk: int, label: str) -> tuple[str, tuple[Any, ...]]:
    """The task (by the name webservices/tasks.py registers it under: the queue sends, it doesn't import the
    tasks, which import it) and its arguments."""
    if label == "split":
        return "webservices.bes_run", (job_pk,)
    if label == "join":
        return "webservices.bes_join", (job_pk,)
    return "webservices.bes_chunk", (job_pk, int(label.removeprefix("chunk ")) - 1)


def job_task_received(job_pk: int, label: str, task_id: str, worker: str) -> None:
    """In the worker's main process, as the broker hands it the task: the worker acknowledges it. A task sent by
    an earlier version has no row yet: it gets one now."""
    now = timezone.now()
    if BatchTask.objects.filter(task_id=task_id).update(worker=worker, started=now):
        return
    if not BatchTask.objects.filter(job_id=job_pk, task=label).exists():
        BatchTask.objects.create(job_id=job_pk, task=label, task_id=task_id, worker=worker, sent=now, started=now)


def superseded(job_pk: int, label: str, task_id: str) -> bool:
    """A delivery of an old id of a task that was sent again (its row carries the new id): it does nothing."""
    return (not BatchTask.objects.filter(task_id=task_id).exists()
            and BatchTask.objects.filter(job_id=job_pk, task=label).exists())
