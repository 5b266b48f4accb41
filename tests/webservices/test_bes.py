"""Batch Execution Service over real HTTP with the real worker: storage upload, submit, start, poll, download
with the signed token; failures, cancellation and refusals. The client uses plain httpx and SPEC §3."""

from __future__ import annotations

import io
import time
from urllib.parse import urlsplit

import httpx
import pandas as pd
import pytest

from experiments.assets import output_save
from experiments.datasets import dataset_table
from studio import processes
from tests.webservices.test_deploy import income, output_frame, publish  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bes(api, owner, income, studio_server, worker):  # noqa: F811
    training, training_run = income
    endpoint = publish(api, owner, training)[2]["endpoint"]
    jobs = studio_server.url + urlsplit(endpoint["BatchLocation"]).path
    held_out = dataset_table(output_save(run=training_run, node="split", port="results2", name="held out")).frame
    expected = output_frame(training_run, "score", "scored_dataset")
    storage = f"{studio_server.url}/workspaces/{owner.workspace.pk}/storage"
    return jobs, {"Authorization": f"Bearer {endpoint['PrimaryKey']}"}, storage, held_out, expected


def upload(storage, headers, location, frame):
    response = httpx.put(f"{storage}/{location}", content=frame.to_csv(index=False).encode(), headers=headers)
    assert response.status_code == 201, response.text
    return response


def wait(jobs, headers, job_id, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = httpx.get(f"{jobs}/{job_id}?api-version=2.0", headers=headers).json()
        if status["StatusCode"] not in ("NotStarted", "Running"):
            return status
        time.sleep(0.5)
    pytest.fail(f"job {job_id} still {status}")


def test_a_job_scores_a_file_in_chunks_and_the_result_downloads_with_the_token(bes, api):
    from webservices.models import WebService

    jobs, headers, storage, held_out, expected = bes
    service_id = WebService.objects.get().pk
    rows = held_out.drop(columns=["income"]).sample(50_000, replace=True, random_state=3)  # 3 chunks in the tests
    upload(storage, headers, "mydata/input.csv", rows)
    body = {"Inputs": {"input1": {"ConnectionString": "", "RelativeLocation": "mydata/input.csv"}},
            "Outputs": {"output1": {"ConnectionString": "", "RelativeLocation": "mydata/scored.csv"}},
            "GlobalParameters": {}}
    submitted = httpx.post(f"{jobs}?api-version=2.0", json=body, headers=headers)
    assert submitted.status_code == 200
    job_id = submitted.json()
    assert isinstance(job_id, str) and len(job_id) == 32
    not_started = httpx.get(f"{jobs}/{job_id}?api-version=2.0", headers=headers).json()
    assert not_started["StatusCode"] == "NotStarted" and not_started["Results"] is None  # null until it ends
    assert httpx.post(f"{jobs}/{job_id}/start?api-version=2.0", headers=headers).status_code == 200
    status = wait(jobs, headers, job_id)
    assert status["StatusCode"] == "Finished", status
    result = status["Results"]["output1"]
    assert result["RelativeLocation"] == "mydata/scored.csv" and result["SasBlobToken"].startswith("?")
    download = httpx.get(result["BaseLocation"] + result["RelativeLocation"] + result["SasBlobToken"])
    assert download.status_code == 200
    scored = pd.read_csv(io.BytesIO(download.content))
    assert len(scored) == 50_000 and "income" not in scored.columns
    by_position = expected["Scored Probabilities"].reset_index(drop=True)
    positions = [held_out.index.get_loc(label) for label in rows.index]
    assert scored["Scored Probabilities"].tolist() == pytest.approx(by_position.iloc[positions].tolist(), abs=1e-9)
    again = httpx.post(f"{jobs}/{job_id}/start?api-version=2.0", headers=headers)  # classic: 400, not 409
    assert again.status_code == 400 and "only a job not started can be started" in again.json()["error"]["message"]
    listed = api.get(f"/api/web-services/{service_id}/endpoints/default/usage/").json()["jobs"]
    assert [(j["id"], j["status"], j["rows"], j["chunks"], j["chunks_done"]) for j in listed] == [
        (job_id, "Finished", 50_000, 3, 3)]
    tampered = result["SasBlobToken"].replace("sig=", "sig=0")
    assert httpx.get(result["BaseLocation"] + result["RelativeLocation"] + tampered).status_code == 403
    assert httpx.get(result["BaseLocation"] + result["RelativeLocation"]).status_code == 401


@pytest.mark.parametrize("shape", ["quoted fields with line breaks", "CRLF lines, no final newline"])
def test_files_the_line_splitter_cannot_cut_blindly_score_the_same(bes, shape):
    """Quoted fields may hold line breaks: such files are parsed before they are split. Windows line ends
    and a missing final newline are cut at line ends like any other file."""
    jobs, headers, storage, held_out, expected = bes
    rows = held_out.drop(columns=["income"]).sample(45_000, replace=True, random_state=5)
    if shape.startswith("quoted"):
        rows["note"] = [f"line one, {i}\nline two" if i % 3 == 0 else "plain" for i in range(len(rows))]
        content = rows.to_csv(index=False).encode()
    else:
        content = rows.to_csv(index=False, lineterminator="\r\n").encode().removesuffix(b"\r\n")
    assert httpx.put(f"{storage}/mydata/odd.csv", content=content, headers=headers).status_code == 201
    body = {"Inputs": {"input1": {"RelativeLocation": "mydata/odd.csv"}},
            "Outputs": {"output1": {"RelativeLocation": "mydata/odd-scored.csv"}}}
    job_id = httpx.post(f"{jobs}?api-version=2.0", json=body, headers=headers).json()
    httpx.post(f"{jobs}/{job_id}/start?api-version=2.0", headers=headers)
    status = wait(jobs, headers, job_id)
    assert status["StatusCode"] == "Finished", status
    result = status["Results"]["output1"]
    scored = pd.read_csv(io.BytesIO(httpx.get(result["BaseLocation"] + result["RelativeLocation"]
                                              + result["SasBlobToken"]).content))
    assert len(scored) == 45_000
    positions = [held_out.index.get_loc(label) for label in rows.index]
    by_position = expected["Scored Probabilities"].reset_index(drop=True)
    assert scored["Scored Probabilities"].tolist() == pytest.approx(by_position.iloc[positions].tolist(), abs=1e-9)
    if "note" in rows:
        assert scored["note"].tolist() == rows["note"].tolist()


def test_a_bad_value_fails_the_job_naming_column_and_row_and_cancel_stops_a_job(bes):
    jobs, headers, storage, held_out, _ = bes
    rows = held_out.drop(columns=["income"]).head(900).astype(str)
    rows.loc[850, "age"] = "forty"
    upload(storage, headers, "mydata/bad.csv", rows)
    body = {"Inputs": {"input1": {"RelativeLocation": "mydata/bad.csv"}},
            "Outputs": {"output1": {"RelativeLocation": "mydata/out.csv"}}}
    job_id = httpx.post(f"{jobs}?api-version=2.0", json=body, headers=headers).json()
    httpx.post(f"{jobs}/{job_id}/start?api-version=2.0", headers=headers)
    status = wait(jobs, headers, job_id)
    assert status["StatusCode"] == "Failed"
    assert "Column 'age', row 852: 'forty' is not a number" in status["Details"]

    other = httpx.post(f"{jobs}?api-version=2.0", json=body, headers=headers).json()
    cancelled = httpx.delete(f"{jobs}/{other}?api-version=2.0", headers=headers).json()
    assert cancelled["StatusCode"] == "Cancelled" and cancelled["Results"] is None
    assert httpx.post(f"{jobs}/{other}/start?api-version=2.0", headers=headers).status_code == 400


@pytest.mark.parametrize(("case", "status", "fragment"), [
    ("missing file", 400, "no file at 'mydata/nothing.csv'"),
    ("unknown input", 400, "Unknown input 'input9'"),
    ("bad location", 400, "is not a valid RelativeLocation"),
    ("bad output", 400, "must end in .csv or .tsv or .parquet or .arff"),
    ("wrong key", 401, "wrong API key"),
    ("not json", 400, "not valid JSON"),
])
def test_submissions_are_refused_with_a_message(bes, case, status, fragment):
    jobs, headers, _, _, _ = bes
    body = {"Inputs": {"input1": {"RelativeLocation": "mydata/nothing.csv"}}}
    raw = None
    if case == "unknown input":
        body["Inputs"]["input9"] = body["Inputs"]["input1"]
    elif case == "bad location":
        body["Inputs"]["input1"]["RelativeLocation"] = "../etc/passwd"
    elif case == "bad output":
        body["Outputs"] = {"output1": {"RelativeLocation": "mydata/out.txt"}}
        body["Inputs"]["input1"]["RelativeLocation"] = "mydata/out.txt"
    elif case == "wrong key":
        headers = {"Authorization": "Bearer nope"}
    elif case == "not json":
        raw = b"{"
    response = httpx.post(f"{jobs}?api-version=2.0", content=raw if raw is not None else None,
                          json=None if raw is not None else body, headers=headers)
    if case == "bad output":
        assert response.status_code == 400 and ("no file at" in response.text or fragment in response.text)
        return
    assert response.status_code == status, response.text
    assert fragment in response.json()["error"]["message"]


def test_classic_tolerant_bodies_single_input_null_outputs_and_parameters(bes):
    """As the classic service accepted them: 'Input' (singular) for a single-input service, 'Outputs': null (every
    output at its default place, a folder of the job's own) and 'GlobalParameters': null."""
    jobs, headers, storage, held_out, _ = bes
    upload(storage, headers, "mydata/few.csv", held_out.drop(columns=["income"]).head(30))
    body = {"Input": {"ConnectionString": None, "RelativeLocation": "/mydata/few.csv"}, "Outputs": None,
            "GlobalParameters": None}
    job_id = httpx.post(f"{jobs}?api-version=2.0", json=body, headers=headers).json()
    assert httpx.post(f"{jobs}/{job_id}/start?api-version=2.0", headers=headers).status_code == 200
    status = wait(jobs, headers, job_id)
    assert status["StatusCode"] == "Finished", status
    result = status["Results"]["output1"]
    assert result["RelativeLocation"] == f"results/{job_id}/output1.csv"
    scored = pd.read_csv(io.BytesIO(httpx.get(result["BaseLocation"] + result["RelativeLocation"]
                                              + result["SasBlobToken"]).content))
    assert len(scored) == 30 and "Scored Labels" in scored.columns
    both = httpx.post(f"{jobs}?api-version=2.0", headers=headers, json={"Outputs": None})
    assert both.status_code == 400 and "'Inputs' must be an object naming each input" in both.json()["error"]["message"]


def test_tsv_and_arff_outputs_are_written_in_those_formats(bes):
    """Two chunks: the TSV parts are joined as text; the ARFF header lists the nominal values of both chunks."""
    jobs, headers, storage, held_out, expected = bes
    rows = held_out.drop(columns=["income"]).sample(25_000, replace=True, random_state=7)
    upload(storage, headers, "mydata/formats.csv", rows)
    files = {}
    for extension in ("tsv", "arff"):
        job_id = httpx.post(f"{jobs}?api-version=2.0", headers=headers, json={
            "Inputs": {"input1": {"RelativeLocation": "mydata/formats.csv"}},
            "Outputs": {"output1": {"RelativeLocation": f"mydata/scored.{extension}"}}}).json()
        httpx.post(f"{jobs}/{job_id}/start?api-version=2.0", headers=headers)
        status = wait(jobs, headers, job_id)
        assert status["StatusCode"] == "Finished", status
        result = status["Results"]["output1"]
        files[extension] = httpx.get(result["BaseLocation"] + result["RelativeLocation"] + result["SasBlobToken"])
    tsv = pd.read_csv(io.BytesIO(files["tsv"].content), sep="\t")
    assert len(tsv) == 25_000 and tsv.columns.tolist() == [*rows.columns, "Scored Labels", "Scored Probabilities"]
    positions = [held_out.index.get_loc(label) for label in rows.index]
    by_position = expected["Scored Probabilities"].reset_index(drop=True).iloc[positions]
    assert tsv["Scored Probabilities"].tolist() == pytest.approx(by_position.tolist(), abs=1e-9)
    header, data = files["arff"].text.split("@data\n")
    lines = header.splitlines()
    assert lines[0] == "@relation scored"
    assert "@attribute age numeric" in lines and "@attribute 'Scored Probabilities' numeric" in lines
    sexes = sorted(rows["sex"].dropna().unique())
    assert f"@attribute sex {{{','.join(sexes)}}}" in lines
    assert data.splitlines()[0].split(",")[0] == str(int(rows["age"].iloc[0]))
    assert len(data.splitlines()) == 25_000


def test_storage_needs_a_key_to_upload_and_a_key_or_token_to_download(bes):
    _, headers, storage, held_out, _ = bes
    assert httpx.put(f"{storage}/mydata/x.csv", content=b"a\n1\n").status_code == 401
    upload(storage, headers, "mydata/x.csv", held_out.head(3))
    assert httpx.get(f"{storage}/mydata/x.csv").status_code == 401
    assert httpx.get(f"{storage}/mydata/x.csv", headers=headers).status_code == 200
    assert httpx.get(f"{storage}/mydata/x.csv?se=1&sig=00", headers=headers).status_code == 200
    assert httpx.get(f"{storage}/mydata/x.csv?se=1&sig=00").status_code == 403  # expired, wrong signature
    assert httpx.get(f"{storage}/mydata/none.csv", headers=headers).status_code == 404


def test_a_job_whose_workers_stopped_is_failed_with_the_reason(bes):
    from datetime import timedelta

    from django.utils import timezone

    from webservices.models import BatchJob

    jobs, headers, storage, held_out, _ = bes
    upload(storage, headers, "mydata/in.csv", held_out.head(5))
    job_id = httpx.post(f"{jobs}?api-version=2.0", json={"Inputs": {"input1": {"RelativeLocation": "mydata/in.csv"}}},
                        headers=headers).json()
    BatchJob.objects.filter(job_id=job_id).update(status="Running", started=timezone.now() - timedelta(hours=1),
                                                  dispatched=timezone.now() - timedelta(hours=1),
                                                  heartbeat=timezone.now() - timedelta(minutes=11))
    status = httpx.get(f"{jobs}/{job_id}?api-version=2.0", headers=headers).json()
    assert status["StatusCode"] == "Failed" and "No progress for 10 minutes" in status["Details"]


def _worker_pids(worker):
    import subprocess

    root = worker.managed.process.pid
    return [root, *map(int, subprocess.run(["pgrep", "-P", str(root)], capture_output=True, text=True).stdout.split())]


def _reset_peak_rss(worker):
    """Linux resets a process's VmHWM when '5' is written to its clear_refs (so earlier tests don't count)."""
    from pathlib import Path

    for pid in _worker_pids(worker):
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            pass


def _worker_peak_rss_mb(worker):
    from pathlib import Path

    peaks = []
    for pid in _worker_pids(worker):
        status = Path(f"/proc/{pid}/status")
        if status.exists():
            peaks += [int(line.split()[1]) / 1024 for line in status.read_text().splitlines()
                      if line.startswith("VmHWM")]
    return max(peaks)


def start_big_job(bes, rows):
    jobs, headers, storage, held_out, _ = bes
    big = held_out.drop(columns=["income"]).sample(rows, replace=True, random_state=1)
    upload(storage, headers, "big/input.csv", big)
    body = {"Inputs": {"input1": {"RelativeLocation": "big/input.csv"}},
            "Outputs": {"output1": {"RelativeLocation": "big/scored.csv"}}}
    job_id = httpx.post(f"{jobs}?api-version=2.0", json=body, headers=headers).json()
    assert httpx.post(f"{jobs}/{job_id}/start?api-version=2.0", headers=headers).status_code == 200
    return job_id


def wait_for_progress(job_id, chunks=1, timeout=120):
    from webservices.models import BatchJob

    deadline = time.monotonic() + timeout
    while BatchJob.objects.get(job_id=job_id).chunks_done < chunks:
        assert time.monotonic() < deadline, "no chunk was scored"
        time.sleep(0.2)


def test_a_million_rows_finish_with_bounded_worker_memory(bes, worker):
    jobs, headers, _, _, _ = bes
    _reset_peak_rss(worker)
    job_id = start_big_job(bes, 1_000_000)
    status = wait(jobs, headers, job_id, timeout=600)
    assert status["StatusCode"] == "Finished", status
    assert status["Details"] == "Scored 1000000 rows."
    # 1M rows as pandas text would take well over a gigabyte; chunked, the worker stays far below.
    assert _worker_peak_rss_mb(worker) < 1200


def test_cancelling_a_running_job_stops_it_and_writes_nothing(bes):
    from webservices.models import BatchJob

    jobs, headers, storage, _, _ = bes
    job_id = start_big_job(bes, 200_000)
    wait_for_progress(job_id)
    assert httpx.delete(f"{jobs}/{job_id}?api-version=2.0", headers=headers).json()["StatusCode"] == "Cancelled"
    time.sleep(3)
    job = BatchJob.objects.get(job_id=job_id)
    assert job.status == "Cancelled" and job.chunks_done < 10
    assert httpx.get(f"{storage}/big/scored.csv", headers=headers).status_code == 404
    assert processes.wait_until(lambda: not chunk_files(job_id), timeout=30), chunk_files(job_id)


def chunk_files(job_id):
    """A job's chunk files still in the storage (none may outlive a job that ended)."""
    from django.core.files.storage import default_storage

    try:
        return default_storage.listdir(f"jobs/{job_id}")[1]
    except FileNotFoundError:
        return []


def lost_tasks(job_id):
    """The job's tasks a worker had received and not done. A chunk whose output part is written was done: its
    worker was killed after the work, before it deleted the task's row."""
    from django.core.files.storage import default_storage

    from webservices.models import BatchTask

    def done(task):
        return task.task.startswith("chunk ") and default_storage.exists(
            f"jobs/{job_id}/out-output1-{int(task.task.split()[1]) - 1:06d}.csv")

    return [task for task in BatchTask.objects.filter(job__job_id=job_id, started__isnull=False) if not done(task)]


def test_a_job_whose_worker_is_killed_is_failed_within_30_s_and_a_new_job_runs(bes, worker):
    """No clock is moved: the killed worker's beat goes quiet, and reading the job fails it with the reason
    (beat does the same every 10 s); its chunk files go too, and the next job scores on a new worker."""
    import signal

    from webservices.models import BatchTask

    jobs, headers, storage, held_out, _ = bes
    for _attempt in range(3):
        job_id = start_big_job(bes, 200_000)
        wait_for_progress(job_id)
        worker.managed.signal_group(signal.SIGKILL)
        killed = time.monotonic()
        worker.stop()
        # What the dead worker held, frozen now. A kill that lands between two chunks (the last one done, the
        # next not yet received) loses nothing: the new worker finishes the job, as it should. Try again.
        stamped = {task.worker for task in lost_tasks(job_id)}
        worker.start()
        if stamped:
            break
        assert wait(jobs, headers, job_id, timeout=120)["StatusCode"] == "Finished", "nothing was lost"
    assert len(stamped) == 1 and "" not in stamped, "the job's tasks a worker received name the worker"
    stamped = stamped.pop()
    status = wait(jobs, headers, job_id, timeout=60)
    failed_after = time.monotonic() - killed
    assert status["StatusCode"] == "Failed" and f"The worker scoring this job ({stamped}) stopped" in status["Details"]
    assert failed_after < 30, f"failed {failed_after:.0f} s after the kill"
    assert processes.wait_until(lambda: not chunk_files(job_id), timeout=30 - failed_after), chunk_files(job_id)

    upload(storage, headers, "mydata/again.csv", held_out.head(50))
    again = httpx.post(f"{jobs}?api-version=2.0", headers=headers, json={
        "Inputs": {"input1": {"RelativeLocation": "mydata/again.csv"}},
        "Outputs": {"output1": {"RelativeLocation": "mydata/again-scored.csv"}}}).json()
    assert httpx.post(f"{jobs}/{again}/start?api-version=2.0", headers=headers).status_code == 200
    assert wait(jobs, headers, again, timeout=120)["StatusCode"] == "Finished"
    # The killed job's rows go with beat's next sweep (every 10 s), the finished job's as its tasks end.
    assert processes.wait_until(lambda: not BatchTask.objects.exists(), timeout=25), "tasks that ended left a record"


@pytest.mark.django_db(transaction=False)
def test_azure_connection_strings_are_read_as_the_sdk_reads_them_and_sealed_without_the_key():
    from webservices.blob import DEV_ACCOUNT, DEV_KEY, account_parse, seal, unseal
    from webservices.storage import StorageError

    account = account_parse("DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=a2V5;"
                            "EndpointSuffix=core.chinacloudapi.cn", "Input 'input1'")
    assert account.endpoint == "https://acme.blob.core.chinacloudapi.cn" and account.key == "a2V5"
    assert "a2V5" not in repr(account)
    development = account_parse("UseDevelopmentStorage=true", "Input 'input1'")
    assert (development.name, development.key, development.endpoint) == (
        DEV_ACCOUNT, DEV_KEY, "http://127.0.0.1:10000/devstoreaccount1")
    sealed = seal(account)
    assert "a2V5" not in sealed and "acme" not in sealed and unseal(sealed) == account
    with pytest.raises(StorageError, match="Output 'output1': the ConnectionString's AccountKey is not a base64 key"):
        account_parse("AccountName=acme;AccountKey=not base64!", "Output 'output1'")
