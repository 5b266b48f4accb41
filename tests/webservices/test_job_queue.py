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


def test_a_job_whose_worker_stopped_beating_fails_naming_the_worker_and_the_chunks_it_held(job):
    from datetime import timedelta

    from django.utils import timezone

    from studio.models import WorkerBeat
    from webservices.batch import job_reap_if_stale

    long_ago = timezone.now() - timedelta(minutes=1)
    BatchJob.objects.filter(pk=job.pk).update(started=long_ago, dispatched=long_ago, heartbeat=timezone.now(),
                                              chunks=12, split_done=True)
    WorkerBeat.objects.create(name="worker1@host/dead", seen=long_ago)  # quiet for a minute: killed
    WorkerBeat.objects.create(name="worker2@host/alive", seen=timezone.now())
    for label, worker in (("chunk 7", "worker1@host/dead"), ("chunk 3", "worker1@host/dead"),
                          ("chunk 8", "worker2@host/alive")):
        BatchTask.objects.create(job=job, task=label, task_id=label, worker=worker, sent=long_ago, started=long_ago)
    failed = job_reap_if_stale(BatchJob.objects.get(pk=job.pk))
    assert failed.status == BatchJob.Status.FAILED
    assert failed.details == ("The worker scoring this job (worker1@host/dead) stopped while it held chunks 3 and 7 "
                              "of 12. Start a new job.")
    assert not failed.tasks_in_progress.exists()
