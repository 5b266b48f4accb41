"""Faults (issue 8, issue 14 finding 7): Redis stops while the studio runs. Scoring keeps answering (its hot path
never touches Redis), /healthz says what is down, a run started meanwhile is accepted and waits, and it runs once
Redis is back; a run or a batch job whose message a Redis restart lost is sent again and finishes; a job start or
a retraining's Run now during the outage answers 503 and leaves nothing half-started. Uses the session's own
Redis (tests/plugin.py), restarted empty on the same port before each test ends."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Run
from studio import processes
from studio.workqueue import broker_held_ids
from tests.e2e.test_canvas_mount import sign_in
from tests.experiments.test_runs import http, wait_for_run  # noqa: F401 (fixture)
from tests.plugin import SESSION
from tests.webservices.test_bes import bes, upload, wait  # noqa: F401 (fixture)
from tests.webservices.test_deploy import income, publish  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_scoring_survives_a_redis_outage_and_a_run_queued_during_it_runs_after(api, owner, income, http,  # noqa: F811
                                                                                 studio_server, worker, page):
    needs_the_session_redis()
    training, _ = income
    predictive, _, deployed = publish(api, owner, training)
    endpoint = deployed["endpoint"]
    url = studio_server.url + urlsplit(endpoint["ApiLocation"]).path + "/execute?api-version=2.0"
    body = {"Inputs": {"input1": predictive.web_services.get().current.sample["input1"]}}
    key = {"Authorization": f"Bearer {endpoint['PrimaryKey']}"}
    assert httpx.post(url, json=body, headers=key).status_code == 200

    with redis_down():
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
        assert run.status == Run.Status.QUEUED and run.dispatched is None  # it waits in the database
        sign_in(page, studio_server, owner)  # the canvas says why the run waits
        page.goto(f"{studio_server.url}/experiments/{training.pk}/")
        assert "Redis" in page.get_by_test_id("worker-warning").inner_text(timeout=20000)

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # reading the run sends it (as beat would within 10 s)
        state = http.get(f"/api/runs/{run.pk}/").json()
        if state["status"] not in ("queued", "running"):
            break
        time.sleep(1)
    assert state["status"] == "finished", state
    assert processes.wait_until(lambda: httpx.get(f"{studio_server.url}/healthz").status_code == 200, timeout=60)


def redis_url() -> str:
    from django.conf import settings

    return settings.REDIS_URL


def needs_the_session_redis() -> None:
    if "redis" not in SESSION:
        pytest.skip("the suite runs against an outside Redis (ATELIER_TEST_KEEP_REDIS_URL); not stopping it")


@contextlib.contextmanager
def redis_down() -> Iterator[None]:
    """The session's Redis stopped, then started again on the same port, empty (no persistence): every message it
    held is lost, as in a Redis restart without persistence."""
    needs_the_session_redis()
    redis = SESSION["redis"]
    redis.stop()
    try:
        yield
    finally:
        redis.start()
        assert processes.wait_until(lambda: processes.redis_answers(redis_url()), timeout=10)
        from studio.celery import app

        # This test process's pooled broker connections died with the old Redis: let Celery make new ones.
        app._pool = None
        app.amqp._producer_pool = None


# --- Finding 7: work whose message Redis lost is sent again; a job start during an outage is a 503 ---------------


def test_a_run_whose_message_a_redis_restart_lost_runs_once_a_worker_is_back(http, worker):  # noqa: F811
    needs_the_session_redis()
    worker.stop()  # no worker: the run's message waits in Redis
    graph = {"nodes": [node("data", "enter-data-manually", data="a\n1\n2\n"),
                       node("pick", "select-columns-in-dataset", columns=["a"])],
             "edges": [edge("data", "dataset", "pick", "dataset")]}
    experiment = http.post("/api/experiments/", json={"name": "Lost in Redis", "graph": graph}).json()
    run = Run.objects.get(pk=http.post(f"/api/experiments/{experiment['id']}/run/").json()["run"])
    sent = run.task_id
    assert run.dispatched is not None and sent in broker_held_ids()
    with redis_down():
        pass
    assert sent not in broker_held_ids(), "the restart lost the message"
    worker.start()
    state = wait_for_run(http, run.pk, timeout=120)
    assert state["status"] == "finished", state
    assert Run.objects.get(pk=run.pk).task_id != sent, "sent again under a new id"


def test_a_batch_job_whose_message_a_redis_restart_lost_finishes_once_a_worker_is_back(bes, worker):  # noqa: F811
    from webservices.models import BatchTask

    needs_the_session_redis()
    jobs, headers, storage, held_out, _ = bes
    upload(storage, headers, "mydata/lost.csv", held_out.drop(columns=["income"]).head(30))
    worker.stop()
    job_id = httpx.post(f"{jobs}?api-version=2.0", headers=headers, json={
        "Inputs": {"input1": {"RelativeLocation": "mydata/lost.csv"}},
        "Outputs": {"output1": {"RelativeLocation": "mydata/lost-scored.csv"}}}).json()
    assert httpx.post(f"{jobs}/{job_id}/start?api-version=2.0", headers=headers).status_code == 200
    (split,) = BatchTask.objects.filter(job__job_id=job_id)
    assert split.task == "split" and split.worker == "" and split.task_id in broker_held_ids()
    with redis_down():
        pass
    worker.start()
    status = wait(jobs, headers, job_id, timeout=120)
    assert status["StatusCode"] == "Finished", status
    assert status["Details"] == "Scored 30 rows."


def test_starting_a_job_or_a_retraining_during_an_outage_answers_503_and_changes_nothing(bes, api, worker):  # noqa: F811
    from webservices.models import BatchJob, RetrainingAttempt, RetrainingSchedule, WebService

    jobs, headers, storage, held_out, _ = bes
    upload(storage, headers, "mydata/later.csv", held_out.drop(columns=["income"]).head(10))
    job_id = httpx.post(f"{jobs}?api-version=2.0", headers=headers, json={
        "Inputs": {"input1": {"RelativeLocation": "mydata/later.csv"}},
        "Outputs": {"output1": {"RelativeLocation": "mydata/later-scored.csv"}}}).json()
    service = WebService.objects.get()
    schedule = RetrainingSchedule.objects.create(endpoint=service.endpoints.get(), retraining=service,
                                                 cron="0 3 * * 1", input_location="mydata/later.csv", metric="AUC")
    with redis_down():
        started = httpx.post(f"{jobs}/{job_id}/start?api-version=2.0", headers=headers, timeout=20)
        assert started.status_code == 503 and started.headers["Retry-After"] == "10"
        assert started.headers["Content-Type"].startswith("application/json")
        assert started.json() == {"error": {"code": "ServiceUnavailable", "message": (
            f"The task queue (Redis) can't be reached, so job {job_id} can't be started now; it is still "
            "NotStarted. Try again in a few seconds."), "details": []}}
        assert httpx.get(f"{jobs}/{job_id}?api-version=2.0", headers=headers).json()["StatusCode"] == "NotStarted"
        run_now = api.post(f"/api/web-services/{service.pk}/endpoints/default/schedules/{schedule.pk}/run/")
        assert run_now.status_code == 503 and run_now["Retry-After"] == "10"
        assert run_now.json() == {"detail": "The task queue (Redis) can't be reached, so the retraining can't be "
                                            "started now. Try again in a few seconds.", "errors": []}
        assert not RetrainingAttempt.objects.exists()
    assert BatchJob.objects.get(job_id=job_id).status == "NotStarted"
    assert httpx.post(f"{jobs}/{job_id}/start?api-version=2.0", headers=headers).status_code == 200
    status = wait(jobs, headers, job_id, timeout=120)
    assert status["StatusCode"] == "Finished", status
