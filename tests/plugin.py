"""Start the test suite's private Redis before Django's settings are read.

Loaded with `-p tests.plugin` (see pyproject's addopts). pytest-django reads the settings while pytest
loads the initial conftests; this hook wraps that step, so `REDIS_URL` already points at a Redis on a
free port that only this run uses. It is stopped when pytest exits. A user's own Redis is never touched.

Also the `azurite` fixture: the Azure Blob emulator for the batch-job tests on Azure storage, started the same
way (a child process on a free port) only when a test asks for it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import pytest

from studio import processes

# Playwright's sync API keeps an event loop running in the test thread; Django would otherwise refuse
# the tests' own (synchronous) database calls made while a page is open.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Azurite listens on a loopback address of its own, the one private address the studio (and the workers and
# servers the suite starts, which inherit this environment) may reach: blob endpoints elsewhere on this machine
# stay refused (webservices/blob.py vets them as Import Data's URLs are), and 127.0.0.1 keeps failing the SSRF
# tests.
AZURITE_HOST = "127.0.0.2"
os.environ.setdefault("ATELIER_OUTBOUND_ALLOWED_HOSTS", AZURITE_HOST)


# The session's private Redis, for the fault tests that stop and restart it.
SESSION: dict[str, processes.ManagedProcess] = {}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser,
                                  args: list[str]) -> Generator[None, None, None]:
    if not os.environ.get("ATELIER_TEST_KEEP_REDIS_URL"):
        port = processes.free_port()
        workdir = Path(tempfile.mkdtemp(prefix="atelier-test-redis-"))
        redis_server = processes.start_redis(port, workdir, workdir / "redis.log")
        SESSION["redis"] = redis_server
        early_config.add_cleanup(lambda: shutil.rmtree(workdir, ignore_errors=True))
        early_config.add_cleanup(redis_server.stop)
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    return (yield)


AZURITE = Path(__file__).resolve().parent.parent / ".cache" / "azurite" / "node_modules" / ".bin" / "azurite-blob"


@dataclass(frozen=True)
class Azurite:
    """The session's Azure Blob emulator: the emulator's well-known development account on a free port."""

    endpoint: str  # http://127.0.0.2:{port}/devstoreaccount1

    def connection_string(self, key: str = "") -> str:
        """The Azure form a BES client sends; `key` another account key (a wrong one, for the refusals)."""
        from webservices.blob import DEV_ACCOUNT, DEV_KEY

        return (f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={key or DEV_KEY};"
                f"BlobEndpoint={self.endpoint};")


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Generator[Azurite, None, None]:
    """Azurite (npm, installed by `make setup` under .cache/) on a free port with its own data folder, started
    only by the tests that ask for it, stopped at the end of the session."""
    if not AZURITE.exists():
        pytest.fail(f"Azurite is not installed at {AZURITE}: run `make setup`.")
    port, workdir = processes.free_port(), tmp_path_factory.mktemp("azurite")
    command = [str(AZURITE), "--blobHost", AZURITE_HOST, "--blobPort", str(port), "--location", str(workdir),
               "--skipApiVersionCheck", "--loose", "--silent"]
    server = processes.ManagedProcess("azurite", command, log_path=workdir / "azurite.log").start()
    try:
        if not processes.wait_until(lambda: processes.port_answers(AZURITE_HOST, port) or not server.running(),
                                    timeout=30) or not server.running():
            pytest.fail(f"Azurite did not start on port {port} (see {workdir / 'azurite.log'}).")
        yield Azurite(f"http://{AZURITE_HOST}:{port}/devstoreaccount1")
    finally:
        server.stop()
