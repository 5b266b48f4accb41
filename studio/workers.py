"""Worker liveness: each Celery worker's main process beats into the database every few seconds, and work
it holds is recorded with its name (a batch job's received tasks: webservices/tasks.py). Work held by a
worker that stopped beating was lost with it; the broker would only hand its unacknowledged tasks out again
after the visibility timeout (an hour)."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import close_old_connections
from django.utils import timezone

BEAT_SECONDS = 4.0
STALE_AFTER = timedelta(seconds=20)
_beat: Heartbeat | None = None
_name = ""  # set in the worker's main process before the pool forks: every pool process inherits it
logger = logging.getLogger(__name__)


def worker_name() -> str:
    """This worker's name (set in the main process before the pool forks), or '' outside a worker."""
    return _name


def name_this_worker(hostname: str) -> str:
    """A new name for every start: a worker restarted under the same hostname is a different worker."""
    global _name
    _name = f"{hostname}/{uuid.uuid4().hex[:12]}"
    return _name


def beat_once(name: str) -> None:
    from .models import WorkerBeat

    WorkerBeat.objects.update_or_create(name=name, defaults={"seen": timezone.now()})


def start_beating(name: str) -> None:
    """Beat from a daemon thread of the main process until stop_beating (or the process dies)."""
    global _beat
    beat_once(name)
    _beat = Heartbeat(lambda: beat_once(name), name="worker-beat").__enter__()


def stop_beating(name: str) -> None:
    """A clean stop is marked: the worker finished its running tasks and handed the others back to the
    broker, so its jobs are not lost (another worker carries on with them)."""
    from .models import WorkerBeat

    if _beat is not None:
        _beat.__exit__()
    WorkerBeat.objects.filter(name=name).update(stopped=True, seen=timezone.now())


def is_lost(name: str, since: datetime | None = None) -> bool:
    """True when the named worker stopped beating for STALE_AFTER without stopping cleanly. With no row at
    all, it is lost only if it held the work (`since`) for longer than STALE_AFTER: a live worker writes its
    row again within BEAT_SECONDS, so a row missing that long means a dead worker (or one forgotten after an
    hour of silence). An empty name is never lost: which worker had the work is unknown."""
    from .models import WorkerBeat

    if not name:
        return False
    row = WorkerBeat.objects.filter(name=name).values_list("seen", "stopped").first()
    if row is None:
        return since is not None and timezone.now() - since > STALE_AFTER
    return not row[1] and timezone.now() - row[0] > STALE_AFTER


class Heartbeat:
    """Calls `touch` every few seconds from a thread while a task computes (a run's module, a job's chunk,
    a retraining): work that stops being touched lost its worker."""

    def __init__(self, touch: Callable[[], object], name: str, seconds: float = BEAT_SECONDS) -> None:
        self.touch, self.seconds = touch, seconds
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.beat, name=name, daemon=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=self.seconds * 2)

    def beat(self) -> None:
        while not self.stopped.wait(self.seconds):
            try:
                self.touch()
            except Exception:  # a busy or unreachable database: the next beat tries again
                logger.warning("%s: could not beat", self.thread.name, exc_info=True)
            finally:
                close_old_connections()


def forget_quiet_workers() -> int:
    """Drop rows of workers quiet for an hour (killed ones never delete their own)."""
    from .models import WorkerBeat

    return WorkerBeat.objects.filter(seen__lt=timezone.now() - timedelta(hours=1)).delete()[0]


__all__ = ["Heartbeat", "forget_quiet_workers", "is_lost", "name_this_worker", "start_beating", "stop_beating",
           "worker_name"]
