"""Bounded load and fault checks inside `make test` (issue 8; the 60 s, 200-connection runs and the 20 s restart
burst are `make load`, bench/load.py).

- 100 concurrent connections of one-row RRS calls for 5 s against the real server, with the endpoint's limit at
  200: every answer is a 200 and no connection fails.
- The production server shape (gunicorn with 2 uvicorn workers) restarted twice with SIGHUP during a burst of 50
  connections (at least 8 s, at most 20 s): every answer is a 200; connection-level errors (a refused connect, a
  kept-alive connection closed by an exiting worker) are counted and the connection reconnects; each restart
  replaces both workers, and the new ones serve calls, including one from every connection after the last.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from studio import processes
from tests.conftest import LOG_DIR, service_env
from tests.webservices.test_deploy import income, publish  # noqa: F401 (fixture)
from webservices.models import Endpoint

pytestmark = pytest.mark.django_db(transaction=True)
CONNECTIONS, SECONDS = 100, 5.0


async def hammer(url: str, body: dict, key: str) -> list[int]:
    statuses: list[int] = []
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(limits=limits, timeout=30, headers={"Authorization": f"Bearer {key}"}) as client:
        deadline = time.monotonic() + SECONDS

        async def connection() -> None:
            while time.monotonic() < deadline:
                try:
                    statuses.append((await client.post(url, json=body)).status_code)
                except httpx.HTTPError as error:
                    statuses.append(-1)
                    raise AssertionError(f"a call failed at the connection level: {error!r}") from None

        await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))
    return statuses


def test_a_hundred_connections_for_five_seconds_get_only_200s(api, owner, income, studio_server):  # noqa: F811
    training, _ = income
    predictive, _, deployed = publish(api, owner, training)
    Endpoint.objects.update(max_concurrent_calls=200, version=2)
    url = studio_server.url + urlsplit(deployed["endpoint"]["ApiLocation"]).path + "/execute?api-version=2.0"
    body = {"Inputs": {"input1": predictive.web_services.get().current.sample["input1"]}}
    statuses = asyncio.run(hammer(url, body, deployed["endpoint"]["PrimaryKey"]))
    assert len(statuses) > 200, f"only {len(statuses)} calls in {SECONDS} s"
    assert set(statuses) == {200}, {code: statuses.count(code) for code in set(statuses)}


# --- Graceful restarts during a burst -------------------------------------------------------------

RESTART_CONNECTIONS, RESTART_SECONDS, RESTARTS_AT, RESTART_DEADLINE = 50, 8.0, (2.0, 5.0), 20.0
# What a restart may cost a client: a refused connect, or a kept-alive connection that an exiting worker closed
# (the client then reconnects). An HTTP answer other than 200, or a timeout, is never allowed.
CONNECTION_ERRORS = (httpx.ConnectError, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)
MIN_ANSWERS_AFTER_RESTART = 50


def production_server(port: int) -> processes.ManagedProcess:
    """The production server shape as `make load` (bench/load.py) and docker-compose's web service start it:
    gunicorn with 2 uvicorn workers; with the suite's service environment (test database, private Redis).
    bench/load.py is not imported: importing it points this process's environment at a throwaway var dir. No
    control socket: gunicorn's default one is a fixed path under $HOME that another gunicorn may be using."""
    command = [str(Path(sys.executable).parent / "gunicorn"), "studio.asgi:application", "-k",
               "uvicorn_worker.UvicornWorker", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "info",
               "--graceful-timeout", "10", "--no-control-socket"]
    return processes.ManagedProcess("gunicorn", command, service_env(), LOG_DIR / "gunicorn.log").start()


def workers_of(master: int) -> set[int]:
    """gunicorn's worker processes: the master's children."""
    found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    return {int(pid) for pid in found}


@dataclass
class Restart:
    signalled: float  # seconds into the burst
    old: set[int]  # the workers before the signal
    replaced: float | None = None  # when none of the old workers was left and a full set of new ones was
    new: set[int] = field(default_factory=set)


@dataclass
class Burst:
    answers: list[tuple[int, float, float, int]] = field(default_factory=list)  # connection, sent, answered, status
    errors: list[tuple[int, float, BaseException]] = field(default_factory=list)  # connection, when, error
    restarts: list[Restart] = field(default_factory=list)
    seconds: float = 0.0

    def served_after(self, number: int) -> list[tuple[int, float, float, int]]:
        """Answers to calls sent once restart `number`'s old workers were gone, received before the next signal:
        only that restart's new workers can have served them."""
        restart = self.restarts[number]
        if restart.replaced is None:
            return []
        until = self.restarts[number + 1].signalled if number + 1 < len(self.restarts) else float("inf")
        return [answer for answer in self.answers if restart.replaced <= answer[1] and answer[2] <= until]


async def burst_with_restarts(url: str, body: dict, key: str, master: int, signum: int) -> Burst:
    """RESTART_CONNECTIONS connections calling for at least RESTART_SECONDS, `signum` sent to the master at
    RESTARTS_AT. A connection that fails at the connection level counts the error and carries on (httpx
    reconnects). A new worker takes seconds to boot on a busy machine, so a restart also waits until the previous
    one's new workers have served MIN_ANSWERS_AFTER_RESTART calls, and the burst goes on until the last one's have
    served as many, including a call from every connection; all of it within RESTART_DEADLINE."""
    burst = Burst()
    start = time.monotonic()
    finished = asyncio.Event()

    def now() -> float:
        return time.monotonic() - start

    async def until(condition: Callable[[], bool]) -> bool:
        while not condition():
            if now() >= RESTART_DEADLINE:
                return False
            await asyncio.sleep(0.05)
        return True

    def new_workers_served(number: int) -> bool:
        return len(burst.served_after(number)) >= MIN_ANSWERS_AFTER_RESTART

    limits = httpx.Limits(max_connections=RESTART_CONNECTIONS, max_keepalive_connections=RESTART_CONNECTIONS)
    async with httpx.AsyncClient(limits=limits, timeout=15, headers={"Authorization": f"Bearer {key}"}) as client:

        async def connection(number: int) -> None:
            while not finished.is_set():
                sent = now()
                try:
                    status = (await client.post(url, json=body)).status_code
                except httpx.HTTPError as error:
                    burst.errors.append((number, now(), error))
                    if not isinstance(error, CONNECTION_ERRORS):
                        return  # e.g. a timeout: a broken promise, reported by the test
                    await asyncio.sleep(0.05)
                    continue
                burst.answers.append((number, sent, now(), status))

        async def restart(number: int, at: float) -> bool:
            """Signal the master once it is time, then wait for a full set of new workers and none of the old."""
            if not await until(lambda: now() >= at and (number == 0 or new_workers_served(number - 1))):
                return False
            current = Restart(now(), await asyncio.to_thread(workers_of, master))
            burst.restarts.append(current)
            os.kill(master, signum)
            while now() < RESTART_DEADLINE:
                current.new = await asyncio.to_thread(workers_of, master)
                if len(current.new) == 2 and not current.new & current.old:
                    current.replaced = now()
                    return True
                await asyncio.sleep(0.05)
            return False

        async def restarts() -> None:
            try:
                for number, at in enumerate(RESTARTS_AT):
                    if not await restart(number, at):
                        return
                last = len(RESTARTS_AT) - 1
                await until(lambda: now() >= RESTART_SECONDS and new_workers_served(last)
                            and len({answer[0] for answer in burst.served_after(last)}) == RESTART_CONNECTIONS)
            finally:
                finished.set()

        await asyncio.gather(restarts(), *(connection(n) for n in range(RESTART_CONNECTIONS)))
    burst.seconds = now()
    return burst


def test_two_graceful_restarts_during_a_burst_lose_no_call(api, owner, income, caplog):  # noqa: F811
    caplog.set_level(logging.WARNING, logger="httpx")  # not a log line per call in a failure's report
    training, _ = income
    predictive, _, deployed = publish(api, owner, training)
    Endpoint.objects.update(max_concurrent_calls=200)  # 50 connections: no 429 from the per-process limit
    port = processes.free_port()
    url = f"http://127.0.0.1:{port}{urlsplit(deployed['endpoint']['ApiLocation']).path}/execute?api-version=2.0"
    body = {"Inputs": {"input1": predictive.web_services.get().current.sample["input1"]}}
    key = deployed["endpoint"]["PrimaryKey"]
    server = production_server(port)
    try:
        def serves() -> bool:
            try:
                return httpx.post(url, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10).is_success
            except httpx.HTTPError:
                return False

        assert processes.wait_until(lambda: serves() or not server.running(), timeout=60) and server.running(), \
            f"gunicorn did not serve; see {LOG_DIR / 'gunicorn.log'}"
        first = workers_of(server.pid)
        burst = asyncio.run(burst_with_restarts(url, body, key, server.pid, signal.SIGHUP))
        last, master_ran = workers_of(server.pid), server.running()
    finally:
        server.stop()

    statuses = Counter(status for *_, status in burst.answers)
    errors = Counter(type(error).__name__ for *_, error in burst.errors)
    served = [len(burst.served_after(number)) for number in range(len(burst.restarts))]
    print(f"{len(burst.answers)} answers in {burst.seconds:.1f} s {dict(statuses)}; connection errors {dict(errors)}; "
          "restarts: " + "; ".join(f"signalled at {r.signalled:.1f} s, old workers gone at "
                                   + (f"{r.replaced:.1f} s" if r.replaced is not None else "never")
                                   + f", then {count} answers from the new ones"
                                   for r, count in zip(burst.restarts, served, strict=True)))
    assert set(statuses) == {200}, f"answers other than 200: {dict(statuses)}"
    assert master_ran, f"the gunicorn master exited; see {LOG_DIR / 'gunicorn.log'}"
    unexpected = [repr(error) for *_, error in burst.errors if not isinstance(error, CONNECTION_ERRORS)]
    assert unexpected == [], f"failures other than connection errors: {unexpected[:5]}"
    assert len(burst.restarts) == len(RESTARTS_AT), f"only {len(burst.restarts)} restarts within {RESTART_DEADLINE} s"
    assert len(first) == 2 and len(last) == 2, (first, last)
    generations = [first] + [restart.new for restart in burst.restarts]
    for number, restart in enumerate(burst.restarts):
        assert restart.old == generations[number], (restart.old, generations[number])
        assert restart.replaced is not None, f"restart {number + 1}: the old workers {restart.old} were not replaced"
        assert served[number] >= MIN_ANSWERS_AFTER_RESTART, \
            f"restart {number + 1}: only {served[number]} answers from the new workers {restart.new}"
    assert last == burst.restarts[-1].new and not last & first, (first, last)
    recovered = {answer[0] for answer in burst.served_after(len(burst.restarts) - 1)}
    assert recovered == set(range(RESTART_CONNECTIONS)), \
        f"connections without an answer after the last restart: {sorted(set(range(RESTART_CONNECTIONS)) - recovered)}"
