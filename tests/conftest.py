"""Shared fixtures: personas, and the real services (Celery worker, ASGI server) the suite runs against.

The private Redis is started by tests/plugin.py before settings load. The worker and the server are
real child processes started once per session against the file-based test database; tests that talk to
them use `transactional_db` so that what they write is committed and visible to those processes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from rest_framework.test import APIClient

from studio import processes
from studio.models import Workspace
from studio.selectors import default_workspace_of

LOG_DIR = Path(settings.BASE_DIR) / "var" / "test-logs"


# --- Personas ------------------------------------------------------------------------------------

PASSWORD = "correct horse battery staple"


@dataclass
class Persona:
    user: AbstractBaseUser
    workspace: Workspace
    password: str = PASSWORD

    @property
    def username(self) -> str:
        return self.user.get_username()


def make_persona(username: str, *, staff: bool = False) -> Persona:
    user = get_user_model().objects.create_user(username, password=PASSWORD, is_staff=staff)
    workspace = default_workspace_of(user)
    assert workspace is not None
    return Persona(user, workspace)


@pytest.fixture
def owner(db: None) -> Persona:
    """A user with their own workspace: the person doing the work in most stories."""
    return make_persona("olivia")


@pytest.fixture
def outsider(db: None) -> Persona:
    """A user of another workspace, who must see none of the owner's things."""
    return make_persona("oscar")


@pytest.fixture
def owner_client(owner: Persona) -> Client:
    client = Client()
    client.force_login(owner.user)
    return client


@pytest.fixture(scope="session", autouse=True)
def _endpoint_changes_unheard_at_the_end() -> Iterator[None]:
    """This process's endpoint-change subscriber (webservices/scoring/served.py) ends before the session's Redis
    does, rather than warning of it into a closed log."""
    yield
    from webservices.scoring.served import stop_listening

    stop_listening()


@pytest.fixture(autouse=True)
def _no_usage_left_behind() -> Iterator[None]:
    """Scoring calls made in this process are counted by a background flusher; a test's leftovers must not
    reach the next test's (or a destroyed) database."""
    yield
    from webservices import shadow, usage

    usage.discard()
    shadow.discard()


@pytest.fixture(autouse=True)
def _no_lockout_carried_over() -> None:
    """Every test calls from 127.0.0.1: one test's wrong keys and passwords must not lock the next one out."""
    from studio.throttle import forget_all
    from webservices.scoring.keys import forget_suspects

    forget_all()
    forget_suspects()


@pytest.fixture
def api(owner: Persona) -> APIClient:
    """The studio API as the owner (DRF's test client, no server)."""
    client = APIClient()
    client.force_authenticate(owner.user)
    return client


@pytest.fixture
def outsider_api(outsider: Persona) -> APIClient:
    client = APIClient()
    client.force_authenticate(outsider.user)
    return client


# --- Real services -------------------------------------------------------------------------------


def service_env() -> dict[str, str]:
    """The environment of the worker and server processes: same Redis, same (test) database file."""
    database = settings.DATABASES["default"]
    env = {**os.environ, "REDIS_URL": settings.REDIS_URL, "PYTHONUNBUFFERED": "1", "ATELIER_ALLOW_PYTHON_SCRIPT": "1",
           "ATELIER_BES_CHUNK_ROWS": "20000",  # smaller chunks than production, so batch tests fan out
           "ATELIER_UPLOAD_CHUNK_CELLS": "50000"}  # and uploads read in many chunks (test_big_uploads)
    if database["ENGINE"] == "django.db.backends.sqlite3":
        env["DATABASE_URL"] = f"sqlite:///{database['NAME']}"
    return env


class WorkerController:
    """The session's Celery worker; a test may stop it and start it again (e.g. to see /healthz fail)."""

    def __init__(self) -> None:
        self.managed: processes.ManagedProcess | None = None

    def start(self) -> None:
        from studio.celery import app

        command = processes.worker_command(concurrency=1, name=f"test-worker-{os.getpid()}@%h")
        self.managed = processes.ManagedProcess("worker", command, service_env(), LOG_DIR / "worker.log").start()
        def answers() -> bool:
            try:
                return bool(app.control.ping(timeout=0.5))
            except Exception:  # a broker connection left over from before a Redis restart (test_faults): retry
                return False

        ready = processes.wait_until(lambda: answers() or not self.running(), timeout=60)
        if not ready or not self.running():
            self.stop()
            pytest.fail(f"The Celery worker did not start; see {LOG_DIR / 'worker.log'}")

    def running(self) -> bool:
        return self.managed is not None and self.managed.running()

    def stop(self) -> None:
        if self.managed is not None:
            self.managed.stop()
            self.managed = None


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup: None) -> Iterator[WorkerController]:
    controller = WorkerController()
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def worker(celery_worker_process: WorkerController) -> WorkerController:
    """The running worker (restarted if an earlier test stopped it)."""
    if not celery_worker_process.running():
        celery_worker_process.start()
    return celery_worker_process


@dataclass
class StudioServer:
    url: str
    managed: processes.ManagedProcess

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def studio_server(django_db_setup: None) -> Iterator[StudioServer]:
    """The real ASGI server (uvicorn, as `make run` starts it) on a free port."""
    port = processes.free_port()
    command = processes.asgi_command(host="127.0.0.1", port=port)
    managed = processes.ManagedProcess("server", command, service_env(), LOG_DIR / "server.log").start()
    if not processes.wait_until(lambda: processes.port_answers("127.0.0.1", port) or not managed.running(),
                                timeout=60) or not managed.running():
        managed.stop()
        pytest.fail(f"The ASGI server did not start; see {LOG_DIR / 'server.log'}")
    yield StudioServer(f"http://127.0.0.1:{port}", managed)
    managed.stop()


def session_cookie_for(user: AbstractBaseUser) -> dict[str, str]:
    """A committed login session for `user`, as the cookie a browser would send."""
    client = Client()
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def chromium_path() -> str:
    for candidate in (os.environ.get("ATELIER_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("Chromium is not installed; `make test` installs it (Debian: apt-get install chromium).")


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium for one test module: Playwright's sync API keeps an event loop in this thread while it
    runs, so it is closed before other modules (which use asyncio.run) start."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh page; whatever the test did, the Content-Security-Policy must not have blocked anything."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page
    context.close()
    assert blocked == [], f"the page broke its Content-Security-Policy: {blocked}"
