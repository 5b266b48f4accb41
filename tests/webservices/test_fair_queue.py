"""The fair work queue (issue 14, finding 6) with the real worker (concurrency 1) and Redis: one workspace's queue
of slow runs, or a big batch job, doesn't hold back another workspace's one-row job. Order and outcome are
asserted, not wall time."""

from __future__ import annotations

import time

import httpx
import pytest
from django.conf import settings

from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Run
from tests.webservices.test_bes import bes, start_big_job, upload, wait, wait_for_progress  # noqa: F401 (fixture)
from tests.webservices.test_deploy import income  # noqa: F401 (fixture)
from webservices.models import BatchJob

pytestmark = pytest.mark.django_db(transaction=True)

SLOW = "import time\ndef azureml_main(dataframe1=None, dataframe2=None):\n    time.sleep(3)\n    return dataframe1,\n"


def queue_slow_runs(api, count):
    """Distinct experiments (no run comes from another's cache), each run at once."""
    runs = []
    for index in range(count):
        graph = {"nodes": [node("data", "enter-data-manually", data=f"a\n{index}\n"),
                           node("slow", "execute-python-script", python_script=SLOW)],
                 "edges": [edge("data", "dataset", "slow", "dataframe1")]}
        experiment = api.post("/api/experiments/", {"name": f"slow {index}", "graph": graph}, format="json").json()
        response = api.post(f"/api/experiments/{experiment['id']}/run/", {}, format="json")
        assert response.status_code == 202, response.json()
        runs.append(response.json()["run"])
    return runs


def one_row_job_submitted(bes):  # noqa: F811
    """A one-row job uploaded and submitted, not started: starting it is then one quick call."""
    jobs, headers, storage, held_out, _ = bes
    upload(storage, headers, "mydata/one.csv", held_out.drop(columns=["income"]).head(1))
    body = {"Inputs": {"input1": {"RelativeLocation": "mydata/one.csv"}},
            "Outputs": {"output1": {"RelativeLocation": "mydata/one-scored.csv"}}}
    return httpx.post(f"{jobs}?api-version=2.0", json=body, headers=headers).json()


def start(bes, job_id):  # noqa: F811
    jobs, headers, _, _, _ = bes
    assert httpx.post(f"{jobs}/{job_id}/start?api-version=2.0", headers=headers).status_code == 200
    return job_id


def one_row_job(bes):  # noqa: F811
    return start(bes, one_row_job_submitted(bes))


def wait_for_runs(run_ids, timeout=180):
    deadline = time.monotonic() + timeout
    while Run.objects.filter(pk__in=run_ids, status__in=["queued", "running"]).exists():
        assert time.monotonic() < deadline, list(Run.objects.filter(pk__in=run_ids).values_list("status", flat=True))
        time.sleep(0.5)


def test_a_workspaces_queued_runs_do_not_hold_back_another_workspaces_one_row_job(bes, outsider_api):  # noqa: F811
    jobs, headers, _, _, _ = bes
    limit = settings.ATELIER_WORKSPACE_CONCURRENCY
    runs = queue_slow_runs(outsider_api, limit + 2)  # the outsider's workspace queues more than its share
    deadline = time.monotonic() + 60
    while not Run.objects.filter(pk__in=runs, status="running").exists():  # the worker is busy with them
        assert time.monotonic() < deadline, "no run started"
        time.sleep(0.2)
    assert Run.objects.filter(pk__in=runs, dispatched__isnull=True).count() == 2, "beyond its share, runs wait"

    job_id = one_row_job(bes)
    status = wait(jobs, headers, job_id, timeout=120)
    assert status["StatusCode"] == "Finished", status
    finished = BatchJob.objects.get(job_id=job_id).finished
    started_before = Run.objects.filter(pk__in=runs, started__lt=finished).count()
    assert started_before <= limit, f"{started_before} of the other workspace's runs went before the one-row job"

    wait_for_runs(runs)  # and the queued runs all ran, in their turn
    assert set(Run.objects.filter(pk__in=runs).values_list("status", flat=True)) == {"finished"}


def test_a_big_jobs_chunks_go_after_a_one_row_job_started_later(bes):  # noqa: F811
    """A big job's chunk tasks are sent at a lower priority than admitted work: a one-row job started while they
    wait in the queue is scored before them, not after the whole file."""
    jobs, headers, _, _, _ = bes
    small = one_row_job_submitted(bes)  # ready beforehand: the chunks take well under a second each
    big = start_big_job(bes, 200_000)  # 10 chunks of 20,000 rows in the tests
    wait_for_progress(big)  # read and split: its chunks wait in the queue
    start(bes, small)
    assert wait(jobs, headers, small, timeout=120)["StatusCode"] == "Finished"
    job = BatchJob.objects.get(job_id=big)
    assert job.split_done and job.chunks_done < job.chunks, f"{job.chunks_done} of {job.chunks} chunks went first"
    assert wait(jobs, headers, big, timeout=300)["StatusCode"] == "Finished"
