"""The fair queue's rule (studio/workqueue.py) on stand-in work sources: which workspace's work goes out next.
The real runs, jobs, worker and Redis are in tests/webservices/test_fair_queue.py and test_faults.py."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from functools import partial

import pytest

from studio import workqueue

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 1, 12, 0)


class StandIn:
    """Work of several workspaces: some in flight, some waiting (with when each was queued)."""

    task_names = frozenset({"stand-in"})

    def __init__(self, flight: dict[str, int], waiting: dict[str, list[int]]) -> None:
        self.flight = Counter(flight)
        self.queued = [(workspace, T0 + timedelta(minutes=minute)) for workspace, minutes in waiting.items()
                       for minute in minutes]
        self.admitted: list[tuple[str, int]] = []

    def in_flight(self, workspace: str | None = None) -> Counter[str]:
        return Counter({name: n for name, n in self.flight.items() if workspace in (None, name)})

    def waiting(self, workspace: str | None = None) -> list[workqueue.Waiting]:
        return [workqueue.Waiting(name, since, partial(self.admit, name, since)) for name, since in self.queued
                if workspace in (None, name) and (name, since) not in self.taken()]

    def taken(self) -> set[tuple[str, datetime]]:
        return {(name, T0 + timedelta(minutes=minute)) for name, minute in self.admitted}

    def admit(self, workspace: str, since: datetime) -> bool:
        self.admitted.append((workspace, int((since - T0).total_seconds() // 60)))
        self.flight[workspace] += 1
        return True

    def unacknowledged(self, sent_before: datetime) -> list[workqueue.Unacknowledged]:
        return []


@pytest.fixture
def stand_in(monkeypatch, settings):
    settings.ATELIER_WORKSPACE_CONCURRENCY = 2
    monkeypatch.setattr(workqueue, "queue_reachable", lambda timeout=1.0: True)

    def use(flight, waiting):
        source = StandIn(flight, waiting)
        monkeypatch.setattr(workqueue, "_sources", [source])
        return source

    return use


def test_the_newcomer_goes_first_then_round_robin_oldest_first_up_to_each_workspaces_limit(stand_in):
    # "busy" has 1 in flight and a backlog queued long ago; "new" has nothing in flight and queued last;
    # "full" is at its limit and has the oldest waiting item of all.
    source = stand_in(flight={"busy": 1, "full": 2}, waiting={"busy": [0, 1, 2, 3, 4], "new": [10, 11], "full": [-5]})
    assert workqueue.work_dispatch() == 3
    assert source.admitted == [("new", 10), ("busy", 0), ("new", 11)]
    assert source.flight == {"busy": 2, "new": 2, "full": 2}
    assert workqueue.work_dispatch() == 0, "every workspace with waiting work is at its limit"
    source.flight["busy"] -= 1  # one of busy's runs ended: its next item, and only that, goes out
    assert workqueue.work_dispatch() == 1 and source.admitted[-1] == ("busy", 1)


def test_dispatching_one_workspace_leaves_the_others_alone(stand_in):
    source = stand_in(flight={}, waiting={"a": [0, 1, 2], "b": [3]})
    assert workqueue.work_dispatch("b") == 1
    assert source.admitted == [("b", 3)]


def test_nothing_is_admitted_while_the_queue_is_down(stand_in, monkeypatch):
    source = stand_in(flight={}, waiting={"a": [0]})
    monkeypatch.setattr(workqueue, "queue_reachable", lambda timeout=1.0: False)
    assert workqueue.work_dispatch() == 0 and source.admitted == []


def test_a_workspace_filled_by_another_dispatcher_meanwhile_gets_nothing_more(stand_in):
    source = stand_in(flight={"a": 1}, waiting={"a": [0, 1]})
    source.in_flight = lambda workspace=None: Counter({"a": 1}) if workspace is None else Counter({"a": 2})
    assert workqueue.work_dispatch() == 0 and source.admitted == []
