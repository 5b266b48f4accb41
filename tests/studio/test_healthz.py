"""GET /healthz against the real Redis and the real Celery worker (SPEC §1)."""

import pytest

from studio.health import health_report
from studio.processes import free_port

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_healthz_is_ok_with_database_redis_and_worker(studio_server, worker):
    with studio_server.client() as http:
        response = http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok", "worker": "ok"}


def test_healthz_names_the_worker_when_it_is_stopped_and_recovers_when_it_returns(studio_server, worker):
    worker.stop()
    with studio_server.client() as http:
        stopped = http.get("/healthz")
    worker.start()
    with studio_server.client() as http:
        restarted = http.get("/healthz")

    assert stopped.status_code == 503
    assert stopped.json()["database"] == "ok"
    assert stopped.json()["redis"] == "ok"
    assert stopped.json()["worker"] == "no worker answered a ping within 2 s"
    assert restarted.status_code == 200


def test_health_report_names_redis_when_it_does_not_answer(settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    report = health_report()
    assert report["database"] == "ok"
    assert report["redis"].startswith("ConnectionError")
    assert report["worker"] == "unreachable: Redis is down"


def test_healthz_needs_no_login_and_is_never_cached(client, studio_server, worker):
    with studio_server.client() as http:
        response = http.get("/healthz")
    assert "no-cache" in response.headers["cache-control"]
