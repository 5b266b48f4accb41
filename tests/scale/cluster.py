"""The production shape on one machine as separate hosts would run it (issue 19): a private PostgreSQL, an
S3-compatible server and a Redis, then web and worker processes that share nothing but those three services
(each its own ATELIER_VAR_DIR, no shared disk). Also the embedded default (SQLite and local files in one var dir
that every process shares), so bench/scale.py can compare the two. Used by tests/scale/conftest.py and
bench/scale.py; nothing here imports Django (the processes it starts do)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from studio import processes
from tests.experiments.graphs import income_graph  # noqa: F401 (the suite and bench/scale.py train it)

ROOT = Path(__file__).resolve().parents[2]
# What docker-compose.yml's x-atelier-env sets for every web, worker and beat container (tests/test_compose.py
# checks that it still does): the cluster sets the same ones, with this machine's addresses.
COMPOSE_VARIABLES = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "ATELIER_TLS", "DATABASE_URL", "REDIS_URL",
                     "STORAGE_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


@dataclass
class Host:
    """One web or worker process and its var dir (what would be a machine of its own)."""

    name: str
    var_dir: Path
    managed: processes.ManagedProcess
    url: str = ""

    @property
    def log(self) -> Path:
        return self.var_dir / f"{self.name}.log"

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, headers={"Authorization": f"Token {token}"})

    def ready(self) -> bool:
        if self.url:
            return processes.port_answers("127.0.0.1", int(self.url.rsplit(":", 1)[1]))
        return self.log.exists() and b" ready." in self.log.read_bytes()

    def ready_or_stopped(self) -> bool:
        return self.ready() or not self.managed.running()


@dataclass
class Cluster:
    work: Path
    env: dict[str, str]
    shared_var_dir: Path | None = None  # the embedded default: every process on the one machine's var dir
    token: str = ""
    webs: list[Host] = field(default_factory=list)
    workers: list[Host] = field(default_factory=list)
    services: list[processes.ManagedProcess] = field(default_factory=list)

    def _var_dir(self, name: str) -> Path:
        var_dir = self.shared_var_dir or self.work / name
        var_dir.mkdir(parents=True, exist_ok=True)
        return var_dir

    def _env(self, var_dir: Path) -> dict[str, str]:
        return {**self.env, "ATELIER_VAR_DIR": str(var_dir)}

    def add_web(self, name: str = "") -> Host:
        name = name or f"web{len(self.webs) + 1}"
        var_dir, port = self._var_dir(name), processes.free_port()
        host = Host(name, var_dir, processes.ManagedProcess(name, processes.asgi_command(host="127.0.0.1", port=port),
                                                            self._env(var_dir), var_dir / f"{name}.log").start(),
                    f"http://127.0.0.1:{port}")
        self.webs.append(host)
        return host

    def add_worker(self, name: str = "", *, concurrency: int = 1, var_dir: Path | None = None) -> Host:
        """A Celery worker named `name@<machine>` in a var dir of its own (unless the default shares one)."""
        name = name or f"worker{len(self.workers) + 1}"
        var_dir = var_dir or self._var_dir(name)
        var_dir.mkdir(parents=True, exist_ok=True)
        command = processes.worker_command(concurrency=concurrency, name=f"{name}@%h")
        host = Host(name, var_dir, processes.ManagedProcess(name, command, self._env(var_dir),
                                                            var_dir / f"{name}.log").start())
        self.workers.append(host)
        return host

    def wait_ready(self, timeout: float = 120) -> None:
        for host in self.webs + self.workers:
            if not processes.wait_until(host.ready_or_stopped, timeout=timeout) or not host.managed.running():
                raise RuntimeError(f"{host.name} did not start; see {host.log}")

    def stop(self) -> None:
        for host in reversed(self.webs + self.workers):
            host.managed.stop()
        for managed in reversed(self.services):
            managed.stop()


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def start_services(work: Path, *, production: bool = True, extra_env: dict[str, str] | None = None) -> Cluster:
    """Redis, and with `production` PostgreSQL and S3 (moto); migrated, with an API token of a new user, and one
    celery beat (the periodic dispatching and reaping, as compose's `beat` service). Without `production`: the
    embedded default, SQLite and local files in one var dir. Web and worker processes are added by the caller."""
    work.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(work, {})
    try:
        redis = processes.start_redis(processes.free_port(), work / "redis", work / "redis.log")
        cluster.services.append(redis)
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("DATABASE_", "STORAGE_", "AWS_", "ATELIER_VAR_DIR"))}
        env.update({"REDIS_URL": f"redis://127.0.0.1:{redis.command[2]}/0", "DEBUG": "0",
                    "SECRET_KEY": secrets.token_urlsafe(50), "ATELIER_TLS": "0",
                    "ALLOWED_HOSTS": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"})
        if production:
            postgres, database_url = processes.start_postgres(processes.free_port(), work / "postgres")
            cluster.services.append(postgres)
            s3, storage_url = processes.start_s3(processes.free_port(), work)
            cluster.services.append(s3)
            env.update({"DATABASE_URL": database_url, "STORAGE_URL": storage_url,
                        "AWS_ACCESS_KEY_ID": processes.S3_KEY, "AWS_SECRET_ACCESS_KEY": processes.S3_SECRET})
        else:
            cluster.shared_var_dir = work / "machine"
        env.update(extra_env or {})
        cluster.env = env
        setup = cluster._env(cluster._var_dir("setup-host"))
        _manage(setup, "migrate", "--noinput", "-v", "0")
        printed = _manage(setup, "shell", "-c", (
            "from django.contrib.auth import get_user_model; from studio.services import api_token_create; "
            "user = get_user_model().objects.create_user('scale'); print(api_token_create(user=user)[1])"))
        cluster.token = printed.strip().splitlines()[-1]  # after the shell's own line about its imports
        beat_dir = cluster._var_dir("beat")
        cluster.services.append(processes.ManagedProcess(
            "beat", [sys.executable, "-m", "celery", "-A", "studio", "beat", "--loglevel=INFO",
                     f"--schedule={beat_dir / 'celerybeat-schedule'}"],
            cluster._env(beat_dir), beat_dir / "beat.log").start())
    except BaseException:
        cluster.stop()
        raise
    return cluster
