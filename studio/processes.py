"""The local processes of the embedded set-up (Redis, Celery worker, ASGI server): start, watch, stop.

Used by `manage.py runstudio` (what `make run` starts) and by the test suite's session fixtures, so the
two start their services the same way. Each child gets its own process group (so Ctrl-C reaches us,
not them, and we stop them in order) and, on Linux, dies with its parent (no orphans if we are killed).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import redis

PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def redis_answers(url: str, timeout: float = 0.5) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _child_setup() -> None:
    """In the child before exec: a new session, and SIGTERM when the parent dies (Linux)."""
    os.setsid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class ManagedProcess:
    """One child process (and its process group) that we started and must stop."""

    name: str
    command: Sequence[str]
    env: Mapping[str, str] | None = None
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _log: IO[bytes] | None = field(default=None, init=False, repr=False)

    def start(self) -> ManagedProcess:
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            list(self.command),
            env=dict(self.env) if self.env is not None else None,
            stdout=self._log,
            stderr=subprocess.STDOUT if self._log else None,
            preexec_fn=_child_setup,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} was never started"
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.pid, signum)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM the whole group, wait, then SIGKILL what is left. Returns the exit code."""
        if self.process is None:
            return None
        if self.running():
            self.signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.process.wait(timeout=5)
        self.signal_group(signal.SIGKILL)  # grandchildren (e.g. Celery's pool) that outlived the leader
        if self._log is not None:
            self._log.close()
        return self.process.returncode


def redis_server_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server is not installed: install it (Debian/Ubuntu: apt-get install redis-server; "
            "macOS: brew install redis) or point REDIS_URL at a running Redis."
        )
    return binary


def start_redis(port: int, workdir: Path, log_path: Path | None = None) -> ManagedProcess:
    """A private, non-persistent Redis on 127.0.0.1:port, answering before this returns."""
    workdir.mkdir(parents=True, exist_ok=True)
    command = [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(workdir)]
    managed = ManagedProcess("redis", command, log_path=log_path).start()
    url = f"redis://127.0.0.1:{port}/0"
    if not wait_until(lambda: redis_answers(url) or not managed.running(), timeout=10) or not managed.running():
        managed.stop()
        raise RuntimeError(f"redis-server did not start on port {port} (see {log_path or 'its output'}).")
    return managed


def redis_url_address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 6379


def is_local_host(host: str) -> bool:
    return host in {"127.0.0.1", "localhost", "::1"}


def worker_command(*, concurrency: int, name: str, loglevel: str = "INFO", beat: bool = False) -> list[str]:
    """A Celery worker; with `beat`, it also runs the periodic tasks (retraining schedules)."""
    return [sys.executable, "-m", "celery", "-A", "studio", "worker", f"--loglevel={loglevel}",
            f"--concurrency={concurrency}", "-n", name, "--without-gossip", "--without-mingle",
            *(["-B"] if beat else [])]


def asgi_command(*, host: str, port: int, workers: int = 1) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "studio.asgi:application", "--host", host, "--port", str(port),
            "--lifespan", "off", "--workers", str(workers), "--no-server-header"]
