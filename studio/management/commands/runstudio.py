"""Start the embedded studio: a local Redis if none answers, a Celery worker, the ASGI server.

What `make run` runs after `make setup`. Ctrl-C (or SIGTERM) stops everything this command started,
in reverse order; if any part dies, the others are stopped too and the command exits non-zero.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from studio import processes
from studio.management.commands.ensure_admin import USERNAME, admin_password_file


class Command(BaseCommand):
    help = "Run Redis (if needed), a Celery worker and the ASGI server on 127.0.0.1 until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.started: list[processes.ManagedProcess] = []
        self.stopping = False
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGTERM, self.request_stop)
        try:
            self.start_all(options["host"], options["port"], options["concurrency"])
            self.watch()
        finally:
            self.stop_all()

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def start_all(self, host: str, port: int, concurrency: int) -> None:
        logs = Path(settings.VAR_DIR) / "logs"
        redis_url = self.ensure_redis(logs)
        env = {**os.environ, "REDIS_URL": redis_url}
        if processes.port_answers(host, port):
            raise CommandError(f"Port {port} on {host} is already in use; set PORT to another port.")
        self.started.append(processes.ManagedProcess(
            "worker", processes.worker_command(concurrency=concurrency, name="worker@%h", beat=True), env).start())
        self.started.append(processes.ManagedProcess(
            "server", processes.asgi_command(host=host, port=port), env).start())
        if not processes.wait_until(lambda: processes.port_answers(host, port) or self.stopping, timeout=60):
            raise CommandError(f"The ASGI server did not start listening on {host}:{port}.")
        self.stdout.write(self.style.SUCCESS(f"Atelier is running at http://{host}:{port}/  (Ctrl-C stops it)"))
        self.stdout.write(f"Sign in as '{USERNAME}'; the password is in {admin_password_file()} "
                          "unless ATELIER_ADMIN_PASSWORD is set.")

    def ensure_redis(self, logs: Path) -> str:
        url = settings.REDIS_URL
        if processes.redis_answers(url):
            self.stdout.write(f"Using the Redis that answers at {url}.")
            return url
        host, port = processes.redis_url_address(url)
        if not processes.is_local_host(host):
            raise CommandError(f"Redis at {url} does not answer, and it is not local, so it can't be started here.")
        try:
            self.started.append(processes.start_redis(port, Path(settings.VAR_DIR) / "redis", logs / "redis.log"))
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Started a local Redis on port {port} (log: {logs / 'redis.log'}).")
        return url

    def watch(self) -> None:
        while not self.stopping:
            for managed in self.started:
                if not managed.running():
                    code = managed.process.returncode if managed.process is not None else None
                    raise CommandError(f"The {managed.name} process exited (code {code}); "
                                       "stopping the studio.")
            time.sleep(0.5)

    def stop_all(self) -> None:
        for managed in reversed(self.started):
            code = managed.stop()
            self.stdout.write(f"Stopped {managed.name} (exit code {code}).")
