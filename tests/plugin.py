"""Start the test suite's private Redis before Django's settings are read.

Loaded with `-p tests.plugin` (see pyproject's addopts). pytest-django reads the settings while pytest
loads the initial conftests; this hook wraps that step, so `REDIS_URL` already points at a Redis on a
free port that only this run uses. It is stopped when pytest exits. A user's own Redis is never touched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Generator
from pathlib import Path

import pytest

from studio import processes

# Playwright's sync API keeps an event loop running in the test thread; Django would otherwise refuse
# the tests' own (synchronous) database calls made while a page is open.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


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
