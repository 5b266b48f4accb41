"""The production shape on one machine as separate hosts would run it (issue 19): a private PostgreSQL, an
S3-compatible server and a Redis, then two web processes and two Celery workers that share nothing but those
three services: each has its own ATELIER_VAR_DIR, no shared disk (tests/scale/cluster.py). Tests here talk to
them through the public HTTP API only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .cluster import Cluster, start_services


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """PostgreSQL, S3 (moto) and Redis; two web processes, two Celery workers and a beat, each with its own var
    dir. 150-row batch chunks, so that a small job has chunks for both workers."""
    started = start_services(tmp_path_factory.mktemp("scale"), extra_env={"ATELIER_BES_CHUNK_ROWS": "150"})
    try:
        for _ in (1, 2):
            started.add_web()
            started.add_worker()
        started.wait_ready()
        assert all(service.running() for service in started.services), f"a service stopped; see {started.work}"
        yield started
    finally:
        started.stop()
