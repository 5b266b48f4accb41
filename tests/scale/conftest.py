"""The production shape on one machine as separate hosts would run it (issue 19): a private PostgreSQL, an
S3-compatible server and a Redis, then web and worker processes that share nothing but those three services:
each has its own ATELIER_VAR_DIR, no shared disk. Tests here talk to them through the public HTTP API only."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from studio import processes

ROOT = Path(settings.BASE_DIR)


@dataclass
class Host:
    """One web or worker process and its own var dir (what would be a machine of its own)."""

    name: str
    var_dir: Path
    managed: processes.ManagedProcess
    url: str = ""

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, headers={"Authorization": f"Token {token}"})


@dataclass
class Cluster:
    env: dict[str, str]
    token: str
    webs: list[Host] = field(default_factory=list)
    workers: list[Host] = field(default_factory=list)


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _host_env(env: dict[str, str], var_dir: Path) -> dict[str, str]:
    var_dir.mkdir(parents=True, exist_ok=True)
    return {**env, "ATELIER_VAR_DIR": str(var_dir)}


def _start_web(env: dict[str, str], var_dir: Path, name: str) -> Host:
    port = processes.free_port()
    managed = processes.ManagedProcess(name, processes.asgi_command(host="127.0.0.1", port=port),
                                       _host_env(env, var_dir), var_dir / "web.log").start()
    return Host(name, var_dir, managed, f"http://127.0.0.1:{port}")


def _start_worker(env: dict[str, str], var_dir: Path, name: str) -> Host:
    command = processes.worker_command(concurrency=1, name=f"{name}@%h")
    managed = processes.ManagedProcess(name, command, _host_env(env, var_dir), var_dir / "worker.log").start()
    return Host(name, var_dir, managed)


def _ready(host: Host) -> bool:
    if host.url:
        return processes.port_answers("127.0.0.1", int(host.url.rsplit(":", 1)[1]))
    log = host.var_dir / "worker.log"
    return log.exists() and b" ready." in log.read_bytes()


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """PostgreSQL, S3 (moto) and Redis; two web processes, two Celery workers and a beat, each with its own var
    dir."""
    work = tmp_path_factory.mktemp("scale")
    started: list[processes.ManagedProcess] = []
    try:
        started.append(processes.start_redis(processes.free_port(), work / "redis", work / "redis.log"))
        redis_url = f"redis://127.0.0.1:{started[-1].command[2]}/0"
        postgres, database_url = processes.start_postgres(processes.free_port(), work / "postgres")
        started.append(postgres)
        s3, storage_url = processes.start_s3(processes.free_port(), work)
        started.append(s3)
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_", "STORAGE_", "AWS_"))}
        # The variables docker-compose.yml sets, with this machine's addresses.
        env.update({"DATABASE_URL": database_url, "STORAGE_URL": storage_url, "REDIS_URL": redis_url,
                    "AWS_ACCESS_KEY_ID": processes.S3_KEY, "AWS_SECRET_ACCESS_KEY": processes.S3_SECRET,
                    "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "ATELIER_TLS": "0",
                    "ALLOWED_HOSTS": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1",
                    "ATELIER_BES_CHUNK_ROWS": "150"})
        setup = _host_env(env, work / "setup-host")
        _manage(setup, "migrate", "--noinput", "-v", "0")
        printed = _manage(setup, "shell", "-c", (
            "from django.contrib.auth import get_user_model; from studio.services import api_token_create; "
            "user = get_user_model().objects.create_user('scale'); print(api_token_create(user=user)[1])"))
        token = printed.strip().splitlines()[-1]  # after the shell's own line about its imports
        cluster = Cluster(env, token)
        for index in (1, 2):
            cluster.webs.append(_start_web(env, work / f"web{index}", f"web{index}"))
            cluster.workers.append(_start_worker(env, work / f"worker{index}", f"worker{index}"))
        # One scheduler for the periodic tasks (dispatching, reaping lost runs and jobs), as compose's `beat`.
        beat_dir = work / "beat"
        beat = processes.ManagedProcess("beat", [sys.executable, "-m", "celery", "-A", "studio", "beat",
                                                 "--loglevel=INFO", f"--schedule={beat_dir / 'celerybeat-schedule'}"],
                                        _host_env(env, beat_dir), beat_dir / "beat.log").start()
        started += [beat, *(host.managed for host in cluster.webs + cluster.workers)]
        for host in cluster.webs + cluster.workers:
            if not processes.wait_until(lambda host=host: _ready(host) or not host.managed.running(), timeout=90) \
                    or not host.managed.running():
                pytest.fail(f"{host.name} did not start; see {host.var_dir}")
        assert beat.running(), f"celery beat stopped; see {beat_dir / 'beat.log'}"
        yield cluster
    finally:
        for managed in reversed(started):
            managed.stop()
