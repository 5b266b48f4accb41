"""Celery tasks of the experiments app: take ids, stay small, call services."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from .events import experiment_event_send
from .run_queue import RUN_TASK
from .services import run_execute, runs_reap_stale

logger = logging.getLogger(__name__)


@shared_task(name=RUN_TASK, acks_late=True, reject_on_worker_lost=True, bind=True)
def run_experiment(self: Any, run_id: int) -> str:
    """One task per run: the run service claims it and the engine executes it through experiments/runner.py, which
    reports every node's state as it goes."""
    return run_execute(run_id=run_id, worker=self.request.hostname or "worker", task_id=self.request.id or "")


@shared_task(name="experiments.publish_event")
def experiment_event_publish(experiment_id: int, payload: dict[str, Any]) -> None:
    """Deliver an event to an experiment's canvases from the worker tier (so callers never block on Redis)."""
    experiment_event_send(experiment_id, payload)


@worker_ready.connect
def reap_runs_of_dead_workers(**kwargs: Any) -> None:
    """A worker that starts fails the runs whose worker stopped beating (e.g. it was killed); the queued work is
    sent by studio.tasks.resume_work."""
    runs_reap_stale()


@worker_ready.connect
def announce_python_script_sandbox(**kwargs: Any) -> None:
    """Say in the worker's log, where scripts run, whether Execute Python Script can run here."""
    from .modules.framework.script_sandbox import sandbox_problem

    if not settings.ATELIER_ALLOW_PYTHON_SCRIPT:
        return
    if problem := sandbox_problem(settings.ATELIER_PYTHON_SCRIPT_UID):
        logger.warning("Execute Python Script is enabled but its sandbox is unavailable on this worker (%s): "
                       "every script will be refused.", problem)
    else:
        logger.info("Execute Python Script is enabled; scripts run in a bubblewrap sandbox.")


@shared_task(name="experiments.reap_stale_runs")
def reap_stale_runs() -> int:
    """Celery beat, every 10 s: runs whose worker stopped beating are failed even when nobody reads them."""
    return runs_reap_stale()

