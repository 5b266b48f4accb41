"""Tasks of the studio itself, and the worker's liveness beat (studio/workers.py)."""

from typing import Any

from celery import shared_task
from celery.signals import celeryd_after_setup, worker_ready, worker_shutdown

from . import workers


@shared_task(name="studio.ping", acks_late=False, ignore_result=False)
def ping() -> str:
    """Answer the /healthz worker check: proves a worker is consuming the queue, not just alive."""
    return "pong"


@celeryd_after_setup.connect
def name_the_worker(sender: str, **kwargs: Any) -> None:
    """Before the pool forks, so every pool process stamps its work with its main process's name."""
    workers.name_this_worker(str(sender))


@worker_ready.connect
def start_beating(**kwargs: Any) -> None:
    workers.start_beating(workers.worker_name())


@worker_shutdown.connect
def stop_beating(**kwargs: Any) -> None:
    if workers.worker_name():
        workers.stop_beating(workers.worker_name())
