"""The local processes of the embedded set-up (Redis, Celery worker, ASGI server): start, watch, stop.

Used by `manage.py runstudio` (what `make run` starts) and by the test suite's session fixtures, so the
two start their services the same way. Each child gets its own process group (so Ctrl-C reaches us,
not them, and we stop them in order) and, on Linux, dies with its parent (no orphans if we are killed).
"""

from __future__ import annotations

import ctypes
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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


def _child_setup(user: str | None = None) -> None:
    """In the child before exec: a new session, `user`'s identity (when we are root), and SIGTERM when the parent
    dies (Linux; set last, as a change of identity clears it)."""
    os.setsid()
    if user is not None and os.getuid() == 0:
        account = pwd.getpwnam(user)
        os.setgroups([])
        os.setgid(account.pw_gid)
        os.setuid(account.pw_uid)
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
    user: str | None = None  # run as this account when we are root (PostgreSQL refuses to run as root)
    stop_signal: int = signal.SIGTERM
    remove_after: Path | None = None  # a folder of its own, removed once it has stopped
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
            preexec_fn=lambda: _child_setup(self.user),
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
        """`stop_signal` (SIGTERM) to the whole group, wait, then SIGKILL what is left. Returns the exit code."""
        if self.process is None:
            return None
        if self.running():
            self.signal_group(self.stop_signal)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.process.wait(timeout=5)
        self.signal_group(signal.SIGKILL)  # grandchildren (e.g. Celery's pool) that outlived the leader
        if self._log is not None:
            self._log.close()
        if self.remove_after is not None:
            shutil.rmtree(self.remove_after, ignore_errors=True)
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


# --- The production shape's services, for the scale tests (issue 19) ------------------------------


def postgres_binary(name: str) -> str:
    """A PostgreSQL server program: on PATH, or where Debian's `postgresql` package puts it (newest version)."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                                                 key=lambda path: int(path.split("/")[4]), reverse=True)), None)
    if found is None:
        raise RuntimeError(f"PostgreSQL's {name} is not installed: install it (Debian/Ubuntu: apt-get install "
                           "postgresql; macOS: brew install postgresql) or point DATABASE_URL at a running server.")
    return found


POSTGRES_USER = "atelier"


def postgres_account() -> str | None:
    """The account a private PostgreSQL runs as: ours, or the package's `postgres` one when we are root."""
    if os.getuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError("PostgreSQL refuses to run as root and there is no 'postgres' account to run it as "
                           "(Debian's postgresql package creates one).") from None
    return "postgres"


def postgres_answers(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=1):
            return True
    except psycopg.Error:
        return False


def start_postgres(port: int, workdir: Path, *, database: str = "atelier") -> tuple[ManagedProcess, str]:
    """A private PostgreSQL on 127.0.0.1:port with its own data folder under `workdir`, answering before this
    returns, with an empty `database`; returns (process, DATABASE_URL). Durability is off (fsync, synchronous
    commit): its data lives as long as the test run."""
    account = postgres_account()
    workdir.mkdir(parents=True, exist_ok=True)
    if account is not None:  # the account must reach its folder: a private one of its own, not one under ours
        workdir = Path(tempfile.mkdtemp(prefix="atelier-postgres-"))
        entry = pwd.getpwnam(account)
        os.chown(workdir, entry.pw_uid, entry.pw_gid)
    data = workdir / "data"
    log = workdir / "postgres.log"
    initdb = ManagedProcess("initdb", [postgres_binary("initdb"), "-D", str(data), "-U", POSTGRES_USER,
                                       "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"],
                            log_path=log, user=account).start()
    assert initdb.process is not None
    if initdb.process.wait(timeout=120) != 0:
        initdb.stop()
        raise RuntimeError(f"initdb failed (see {log}).")
    initdb.stop()
    command = [postgres_binary("postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1", "-k", str(workdir),
               "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
               "-c", "max_connections=200"]
    # SIGINT: PostgreSQL's fast shutdown (SIGTERM would wait for every client to disconnect).
    managed = ManagedProcess("postgres", command, log_path=log, user=account, stop_signal=signal.SIGINT,
                             remove_after=workdir if account is not None else None).start()
    admin = f"postgresql://{POSTGRES_USER}@127.0.0.1:{port}/postgres"
    if not wait_until(lambda: postgres_answers(admin) or not managed.running(), timeout=30) or not managed.running():
        managed.stop()
        raise RuntimeError(f"PostgreSQL did not start on port {port} (see {log}).")
    import psycopg

    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    return managed, f"postgresql://{POSTGRES_USER}@127.0.0.1:{port}/{database}"


S3_KEY, S3_SECRET = "atelier", "atelier-secret"  # the emulator takes any credentials


def s3_answers(endpoint: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(endpoint, timeout=1):  # noqa: S310 (our own loopback server)
            return True
    except OSError as error:
        return getattr(error, "code", None) is not None  # any HTTP answer: it listens


def start_s3(port: int, workdir: Path, *, bucket: str = "atelier") -> tuple[ManagedProcess, str]:
    """An S3-compatible server (moto's, in memory) on 127.0.0.1:port with an empty `bucket`, answering before this
    returns; returns (process, STORAGE_URL). The credentials go in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
    (S3_KEY, S3_SECRET), as docker-compose.yml passes them."""
    endpoint = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    managed = ManagedProcess("s3", command, log_path=workdir / "s3.log").start()
    if not wait_until(lambda: s3_answers(endpoint) or not managed.running(), timeout=30) or not managed.running():
        managed.stop()
        raise RuntimeError(f"The S3 server did not start on port {port} (see {workdir / 's3.log'}).")
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=S3_KEY, aws_secret_access_key=S3_SECRET,
                          region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    return managed, f"s3://{bucket}?endpoint_url={endpoint}&region_name=us-east-1"
