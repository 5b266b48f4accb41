"""Tasks of the studio itself, and the worker's liveness beat (studio/workers.py)."""

from typing import Any

from celery import shared_task
from celery.signals import celeryd_after_setup, task_postrun, worker_ready, worker_shutdown

from . import workers, workqueue


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


@shared_task(name="studio.dispatch_work")
def dispatch_work() -> int:
    """Celery beat, every 10 s: send again what the broker lost, then admit waiting work (studio/workqueue.py)."""
    workqueue.work_republish()
    return workqueue.work_dispatch()


@worker_ready.connect
def resume_work(**kwargs: Any) -> None:
    """A worker that starts (after a Redis restart, say) picks up what was lost or left waiting."""
    workqueue.work_republish()
    workqueue.work_dispatch()


@task_postrun.connect
def dispatch_after_work(sender: Any = None, **kwargs: Any) -> None:
    """Finished work frees its workspace's place: the next waiting item goes out at once."""
    if getattr(sender, "name", "") in workqueue.work_task_names():
        workqueue.work_dispatch()
