"""Worker liveness (studio/workers.py): which workers count as lost. The kill itself is exercised with a
real worker in tests/webservices/test_bes.py and tests/experiments/test_runs.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from studio import workers
from studio.models import WorkerBeat

pytestmark = pytest.mark.django_db


def test_a_worker_is_lost_only_when_its_beat_went_quiet_without_a_clean_stop():
    workers.beat_once("host/fresh")
    WorkerBeat.objects.create(name="host/quiet", seen=timezone.now() - workers.STALE_AFTER - timedelta(seconds=1))
    WorkerBeat.objects.create(name="host/stopped", seen=timezone.now() - timedelta(minutes=5), stopped=True)
    assert not workers.is_lost("host/fresh")
    assert workers.is_lost("host/quiet")
    assert not workers.is_lost("host/stopped"), "a clean stop handed its tasks back to the broker"
    assert not workers.is_lost("host/never-seen") and not workers.is_lost("")
    # No row: a live worker writes it again within seconds, so only work held longer than that is lost.
    assert not workers.is_lost("host/no-row", since=timezone.now())
    assert workers.is_lost("host/no-row", since=timezone.now() - workers.STALE_AFTER - timedelta(seconds=1))


def test_a_clean_stop_is_marked_and_quiet_rows_are_forgotten_after_an_hour(monkeypatch):
    monkeypatch.setattr(workers, "_name", "")  # restored afterwards: this process is not a worker
    name = workers.name_this_worker("host")
    assert workers.worker_name() == name and name.startswith("host/")
    workers.start_beating(name)
    workers.stop_beating(name)
    assert WorkerBeat.objects.get(name=name).stopped
    WorkerBeat.objects.create(name="host/old", seen=timezone.now() - timedelta(hours=2))
    assert workers.forget_quiet_workers() == 1
    assert list(WorkerBeat.objects.values_list("name", flat=True)) == [name]
