"""A batch job's chunk files on S3 (issue 20): each request is a round trip (10-30 ms on real S3), so a chunk
makes one existence check (the "counted once" check) and reads and writes its files with one request each.
Against a real S3 server (moto's, started here), counted from the server's own request log; the job runs in
this process (split, score, join: a one-chunk job is one task), the model and the workspace's files on the
test's local storage, the scratch storage on S3."""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from experiments.assets import output_save
from experiments.datasets import dataset_table
from studio import processes
from studio import storage as studio_storage
from studio.scratch import scratch
from studio.settings import storage_backend
from tests.webservices.test_deploy import income, publish  # noqa: F401 (fixture)
from webservices import tasks
from webservices.batch import job_files_remove, job_submit
from webservices.models import BatchJob, Endpoint

pytestmark = pytest.mark.django_db(transaction=True)
ESCAPE = r"(?:\x1b\[[\d;]*m)?"  # werkzeug colours the lines of 4xx answers
REQUEST = re.compile(rf'"{ESCAPE}([A-Z]+) (/\S*) HTTP/[\d.]+{ESCAPE}" (\d{{3}})')


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    work = tmp_path_factory.mktemp("s3")
    managed, url = processes.start_s3(processes.free_port(), work)
    try:
        yield work / "s3.log", url
    finally:
        managed.stop()


@pytest.fixture
def scratch_on_s3(s3_server, settings, monkeypatch):
    """The scratch storage on the S3 server (the default storage stays local); the server's request log."""
    log, url = s3_server
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", processes.S3_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", processes.S3_SECRET)
    settings.STORAGES = {**settings.STORAGES, "scratch": storage_backend(url, overwrite=True)}
    return log


class Requests:
    """The S3 requests logged from now on, by method (werkzeug writes a line as it answers)."""

    def __init__(self, log: Path) -> None:
        self.log, self.start = log, log.stat().st_size

    def __call__(self) -> Counter[str]:
        with self.log.open("rb") as handle:
            handle.seek(self.start)
            return Counter(method for method, _, _ in REQUEST.findall(handle.read().decode(errors="replace")))


@pytest.fixture
def job(api, owner, income):  # noqa: F811
    """A job not started over 40 held-out rows, its input in the workspace's storage as the service's."""
    training, training_run = income
    publish(api, owner, training)
    endpoint = Endpoint.objects.get()
    held_out = dataset_table(output_save(run=training_run, node="split", port="results2", name="held out")).frame
    rows = held_out.drop(columns=["income"]).head(40).to_csv(index=False).encode()
    studio_storage.write(str(owner.workspace.pk), "in/rows.csv", io.BytesIO(rows),
                         by=studio_storage.Accessor(endpoint.service_id))
    return job_submit(endpoint=endpoint, body={"Inputs": {"input1": {"RelativeLocation": "in/rows.csv"}},
                                               "Outputs": {"output1": {"RelativeLocation": "out/scored.csv"}}})


def running(job: BatchJob, **fields: object) -> None:
    now = timezone.now()
    BatchJob.objects.filter(pk=job.pk).update(status=BatchJob.Status.RUNNING, started=now, heartbeat=now, **fields)


def test_a_chunk_makes_one_existence_check_and_one_request_per_file(job, owner, scratch_on_s3):
    running(job)
    requests = Requests(scratch_on_s3)
    tasks._bes_run(job.pk)  # one chunk: split, score and join in this task
    job.refresh_from_db()
    assert job.status == BatchJob.Status.FINISHED and job.details == "Scored 40 rows.", job.details
    scored = studio_storage.read_bytes(str(owner.workspace.pk), "out/scored.csv")
    assert len(scored.decode().splitlines()) == 41
    # The chunk's input and output part: a PUT and a GET each; HEAD only for "counted once"; the clean-up lists
    # the job's folder (a GET) and deletes both files in one request (POST ?delete). Before issue 20: 9 HEADs.
    assert requests() == Counter({"PUT": 2, "GET": 3, "HEAD": 1, "POST": 1})
    assert scratch().listdir(f"jobs/{job.job_id}") == ([], [])


def test_a_redelivered_chunk_overwrites_its_part_and_is_counted_once(job, settings, scratch_on_s3):
    settings.ATELIER_BES_CHUNK_ROWS = 20
    running(job, chunks=2, split_done=True)  # as if the split had written both chunks; chunk 2 never comes
    rows = studio_storage.read_bytes(str(job.endpoint.service.workspace_id), "in/rows.csv").splitlines()
    scratch().save(f"jobs/{job.job_id}/in-input1-000000.csv", ContentFile(b"\n".join(rows[:21]) + b"\n"))
    for delivery in (1, 2):
        requests = Requests(scratch_on_s3)
        tasks._bes_chunk(job.pk, 0)
        assert requests() == Counter({"GET": 1, "HEAD": 1, "PUT": 1}), f"delivery {delivery}"
        assert BatchJob.objects.get(pk=job.pk).chunks_done == 1, f"delivery {delivery}"
    # Overwritten in place: no second name beside it
    assert sorted(scratch().listdir(f"jobs/{job.job_id}")[1]) == ["in-input1-000000.csv", "out-output1-000000.csv"]
    part = scratch().open(f"jobs/{job.job_id}/out-output1-000000.csv").read().decode().splitlines()
    assert len(part) == 21  # the header (chunk 1's part has it) and its 20 rows
    assert job_files_remove(job.job_id) == 2 and scratch().listdir(f"jobs/{job.job_id}") == ([], [])


def test_a_missing_scratch_file_is_file_not_found(scratch_on_s3):
    requests = Requests(scratch_on_s3)
    with pytest.raises(FileNotFoundError):
        scratch().open("jobs/0123/in-input1-000000.csv", "rb")
    assert requests() == Counter({"GET": 1})
