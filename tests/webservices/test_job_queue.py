"""A batch job's task ids decide which delivery runs each task (webservices/job_queue.py): a task sent again after
the broker lost it runs under its new id only, and a worker acknowledges it by receiving it."""

from __future__ import annotations

import pytest

from webservices.job_queue import job_task_received, superseded
from webservices.models import BatchJob, BatchTask, Endpoint, WebService

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(owner):
    service = WebService.objects.create(workspace=owner.workspace, name="scores", kind=WebService.Kind.PREDICTIVE)
    endpoint = Endpoint.objects.create(service=service, name="default", endpoint_id="e" * 32, primary_key_hash="a",
                                       secondary_key_hash="b", primary_key_hint="a", secondary_key_hint="b")
    return BatchJob.objects.create(endpoint=endpoint, job_id="j" * 32, inputs={}, outputs={},
                                   status=BatchJob.Status.RUNNING)


def test_a_task_sent_again_runs_under_its_new_id_only(job):
    row = BatchTask.objects.create(job=job, task="chunk 3", task_id="new")  # the row carries the id last sent
    assert superseded(job.pk, "chunk 3", "old"), "a late delivery of the lost message does nothing"
    assert not superseded(job.pk, "chunk 3", "new")
    job_task_received(job.pk, "chunk 3", "old", "worker-1")
    row.refresh_from_db()
    assert row.worker == "" and row.started is None, "the old id acknowledges nothing: it may be sent again"
    job_task_received(job.pk, "chunk 3", "new", "worker-1")
    row.refresh_from_db()
    assert row.worker == "worker-1" and row.started is not None


def test_a_task_sent_by_an_earlier_version_is_recorded_when_received_and_runs(job):
    job_task_received(job.pk, "split", "from-before-the-upgrade", "worker-1")
    assert BatchTask.objects.get(task_id="from-before-the-upgrade").worker == "worker-1"
    assert not superseded(job.pk, "split", "from-before-the-upgrade")
