"""Faults (issue 8): Redis stops while the studio runs. Scoring keeps answering (its hot path never touches
Redis), /healthz says what is down, a run started meanwhile is accepted and waits, and it runs once Redis is
back. Uses the session's own Redis (tests/plugin.py), restarted on the same port before the test ends."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import httpx
import pytest

from experiments.models import Run
from studio import processes
from tests.e2e.test_canvas_mount import sign_in
from tests.experiments.test_runs import http  # noqa: F401 (fixture)
from tests.plugin import SESSION
from tests.webservices.test_deploy import income, publish  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_scoring_survives_a_redis_outage_and_a_run_queued_during_it_runs_after(api, owner, income, http,  # noqa: F811
                                                                                 studio_server, worker, page):
    if "redis" not in SESSION:
        pytest.skip("the suite runs against an outside Redis (ATELIER_TEST_KEEP_REDIS_URL); not stopping it")
    training, _ = income
    predictive, _, deployed = publish(api, owner, training)
    endpoint = deployed["endpoint"]
    url = studio_server.url + urlsplit(endpoint["ApiLocation"]).path + "?api-version=2.0"
    body = {"Inputs": {"input1": predictive.web_services.get().current.sample["input1"]}}
    key = {"Authorization": f"Bearer {endpoint['PrimaryKey']}"}
    assert httpx.post(url, json=body, headers=key).status_code == 200

    redis = SESSION["redis"]
    redis.stop()
    try:
        statuses = []
        deadline = time.monotonic() + 3  # across the once-a-second revalidation
        while time.monotonic() < deadline:
            statuses.append(httpx.post(url, json=body, headers=key, timeout=10).status_code)
            time.sleep(0.1)
        assert set(statuses) == {200}, statuses
        health = httpx.get(f"{studio_server.url}/healthz", timeout=10)
        assert health.status_code == 503 and "redis" in health.text.lower()
        began = time.monotonic()
        queued = http.post(f"/api/experiments/{training.pk}/run/", timeout=20)
        assert queued.status_code == 202, queued.text
        assert time.monotonic() - began < 10  # accepted, not hung on the queue
        run = Run.objects.get(pk=queued.json()["run"])
        assert run.status == Run.Status.QUEUED and run.task_id == ""
        sign_in(page, studio_server, owner)  # the canvas says why the run waits
        page.goto(f"{studio_server.url}/experiments/{training.pk}/")
        assert "Redis" in page.get_by_test_id("worker-warning").inner_text(timeout=20000)
    finally:
        redis.start()
        assert processes.wait_until(lambda: processes.redis_answers(redis_url()), timeout=10)
        from studio.celery import app

        # This test process's pooled broker connections died with the old Redis: let Celery make new ones.
        app._pool = None
        app.amqp._producer_pool = None

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # reading the run sends it (as beat would every 30 s)
        state = http.get(f"/api/runs/{run.pk}/").json()
        if state["status"] not in ("queued", "running"):
            break
        time.sleep(1)
    assert state["status"] == "finished", state
    assert processes.wait_until(lambda: httpx.get(f"{studio_server.url}/healthz").status_code == 200, timeout=60)


def redis_url() -> str:
    from django.conf import settings

    return settings.REDIS_URL
