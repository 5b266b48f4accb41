"""Experiment runs in the fair work queue (studio/workqueue.py), and stopping a running one.

A queued run waits in the database until its workspace has a free place; it is then sent under a fresh task id
(`Run.task_id`, `Run.dispatched`) and counts as in flight until it ends. A worker acknowledges it by claiming it
(queued -> running) with that same id; a delivery of any other id does nothing (experiments.services.run_execute).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from studio.workqueue import (
    Unacknowledged,
    Waiting,
    count_by_workspace,
    new_task_id,
    oldest_per_workspace,
    queue_reachable,
    send,
    work_dispatch,
    work_republish,
)

from .models import Run

logger = logging.getLogger(__name__)
WORKSPACE = "experiment__workspace_id"


class RunQueue:
    task_names = frozenset({"experiments.run_experiment"})

    def in_flight(self, workspace: str | None = None) -> Counter[str]:
        runs = Run.objects.filter(Q(status=Run.Status.RUNNING) | Q(status=Run.Status.QUEUED, dispatched__isnull=False))
        return count_by_workspace(runs.filter(**{WORKSPACE: workspace}) if workspace else runs, WORKSPACE)

    def waiting(self, workspace: str | None = None) -> list[Waiting]:
        runs = Run.objects.filter(status=Run.Status.QUEUED, dispatched__isnull=True, cancel_requested=False)
        return [Waiting(owner, created, partial(run_admit, pk))
                for pk, owner, created in oldest_per_workspace(runs, WORKSPACE, "created", workspace)]

    def unacknowledged(self, sent_before: datetime) -> list[Unacknowledged]:
        rows = Run.objects.filter(status=Run.Status.QUEUED, cancel_requested=False,
                                  dispatched__lt=sent_before).values_list("pk", "task_id")
        return [Unacknowledged(task_id, partial(run_resend, pk, task_id)) for pk, task_id in rows]


def run_admit(run_id: int) -> bool:
    """Its turn: claim the run with a new task id and send that task once the claim commits."""
    return _claim_and_send(run_id, dispatched__isnull=True)


def run_resend(run_id: int, old_task_id: str) -> bool:
    """Its message was lost: a new id (so a late delivery of the old one does nothing), sent again."""
    return _claim_and_send(run_id, task_id=old_task_id)


def _claim_and_send(run_id: int, **still: Any) -> bool:
    """Give a queued run that is still as `still` says a new task id, and send it once that commits."""
    task_id = new_task_id()
    if not Run.objects.filter(pk=run_id, status=Run.Status.QUEUED, **still).update(
            dispatched=timezone.now(), task_id=task_id):
        return False
    transaction.on_commit(partial(_send, run_id, task_id))
    return True


RUN_TASK = "experiments.run_experiment"  # experiments/tasks.py registers it under this name


def _send(run_id: int, task_id: str) -> None:
    send(RUN_TASK, (run_id,), task_id)


def run_nudge(run: Run) -> None:
    """A queued run is being read: admit it if its turn has come, or send it again if its message was lost, so a
    studio without beat (or between beats) still moves."""
    if run.status != Run.Status.QUEUED:
        return
    if run.dispatched is None:
        work_dispatch(run.experiment.workspace_id)
    elif timezone.now() - run.dispatched > timedelta(seconds=settings.ATELIER_REPUBLISH_AFTER):
        work_republish()


def run_terminate(run: Run) -> bool:
    """Kill the worker process executing the run (Celery's revoke with terminate; the prefork pool starts a new
    process in its place). False when the task queue, which carries the command to the workers, can't be reached:
    the executor then stops at its next module boundary or progress report instead."""
    from studio.celery import app

    if not run.task_id or not queue_reachable():
        return False
    try:
        app.control.revoke(run.task_id, terminate=True, signal="SIGKILL")
    except Exception as error:  # kombu/redis connection errors have no common base worth naming here
        logger.warning("Could not stop the process running run %s (%s)", run.pk, error)
        return False
    return True
