"""The scale scenario (issue 19, item 2): what one web process writes, another on another "host" reads, with
PostgreSQL and S3 between them and nothing in either's var dir; the work is spread over both workers; a model
patched and rolled back through one web process is served by the other on its next request; a worker killed
mid-batch fails its job clearly and the next job runs on the survivor. The tests of this module build on one
another in order (train, deploy, score, batch, retrain, kill)."""

from __future__ import annotations

import gzip
import re
import signal
import time
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from studio import processes

from .cluster import COMPOSE_VARIABLES, ROOT, Cluster, income_graph

pytestmark = pytest.mark.scale

CSV = b"age,city,income\n39,Paris,>50K\n50,Lyon,<=50K\n38,Nice,<=50K\n"


def test_a_dataset_uploaded_through_web_1_is_read_through_web_2(cluster):
    web1, web2 = cluster.webs
    with web1.client(cluster.token) as one, web2.client(cluster.token) as two:
        uploaded = one.post("/api/datasets/", files={"file": ("people.csv", CSV, "text/csv")},
                            data={"name": "People"})
        assert uploaded.status_code == 201, uploaded.text
        read = two.get(f"/api/datasets/{uploaded.json()['id']}/")
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["name"] == "People"
    assert "Paris" in str(body["sample"]) and "Nice" in str(body["sample"])
    for host in cluster.webs + cluster.workers:  # the file went to S3, not to a var dir
        assert not [path for path in host.var_dir.rglob("*") if path.suffix in {".csv", ".parquet"}], host.name
    # configured as docker-compose.yml configures its containers (tests/test_compose.py)
    assert {name: cluster.env.get(name) for name in COMPOSE_VARIABLES if not cluster.env.get(name)} == {}
    assert cluster.env["DATABASE_URL"].startswith("postgresql://") and cluster.env["STORAGE_URL"].startswith("s3://")


def _adult_lines() -> list[bytes]:
    return gzip.decompress((ROOT / "experiments/sample_data/adult-census-income.csv.gz").read_bytes()).splitlines()


def _income_csv(rows: int, skip: int = 0) -> bytes:
    """Adult rows as a user would upload them: the header, then `rows` rows after the first `skip`."""
    lines = _adult_lines()
    return b"\n".join([lines[0], *lines[1 + skip: 1 + skip + rows]]) + b"\n"


def _finished(http: httpx.Client, run_id: int, timeout: float = 180) -> dict[str, Any]:
    deadline, run = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        run = http.get(f"/api/runs/{run_id}/").json()
        if run["status"] not in ("queued", "running"):
            return run
        time.sleep(0.3)
    pytest.fail(f"run {run_id} did not finish within {timeout} s: {run}")


def _score(url: str, key: str, columns: list[str], rows: list[list[str]]) -> httpx.Response:
    body = {"Inputs": {"input1": {"ColumnNames": columns, "Values": rows}}, "GlobalParameters": {}}
    return httpx.post(f"{url}?api-version=2.0", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def _probabilities(url: str, key: str, columns: list[str], rows: list[list[str]]) -> list[float]:
    answer = _score(url, key, columns, rows)
    assert answer.status_code == 200, answer.text
    return [float(row[-1]) for row in answer.json()["Results"]["output1"]["value"]["Values"]]


def _held_out(rows: int) -> tuple[list[str], list[list[str]]]:
    """(columns, rows) of Adult rows no model here was trained on, without the label."""
    lines = [line.decode() for line in _adult_lines()]
    header = lines[0].split(",")
    keep = [i for i, column in enumerate(header) if column != "income"]
    picked = [line.split(",") for line in lines[-rows:]]
    return [header[i] for i in keep], [[values[i] for i in keep] for values in picked]


def _job(jobs: str, key: str, inputs: dict[str, str], outputs: dict[str, str]) -> str:
    """Submit and start a batch job through `jobs` (one web process's BatchLocation); its id."""
    headers = {"Authorization": f"Bearer {key}"}
    body = {"Inputs": {name: {"RelativeLocation": place} for name, place in inputs.items()},
            "Outputs": {name: {"RelativeLocation": place} for name, place in outputs.items()}, "GlobalParameters": {}}
    job = httpx.post(f"{jobs}?api-version=2.0", json=body, headers=headers, timeout=30)
    assert job.status_code == 200, job.text
    started = httpx.post(f"{jobs}/{job.json()}/start?api-version=2.0", headers=headers, timeout=30)
    assert started.status_code == 200, started.text
    return str(job.json())


def _job_status(jobs: str, key: str, job_id: str) -> dict[str, Any]:
    return httpx.get(f"{jobs}/{job_id}?api-version=2.0", headers={"Authorization": f"Bearer {key}"},
                     timeout=30).json()


def _job_ended(jobs: str, key: str, job_id: str, timeout: float = 180) -> dict[str, Any]:
    deadline, status = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        status = _job_status(jobs, key, job_id)
        if status["StatusCode"] not in ("NotStarted", "Running"):
            return status
        time.sleep(0.3)
    pytest.fail(f"job {job_id} did not end within {timeout} s: {status}")


def _put(web_url: str, workspace: str, key: str, location: str, data: bytes) -> None:
    """Write a file into the workspace storage through one web process's storage door (to S3)."""
    put = httpx.put(f"{web_url}/workspaces/{workspace}/storage/{location}", content=data,
                    headers={"Authorization": f"Bearer {key}"}, timeout=60)
    assert put.status_code == 201, put.text


def _chunks_received(host) -> int:
    """Chunk tasks the worker took, from its own log."""
    return len(re.findall(r"webservices\.bes_chunk\[\S+\] received", host.log.read_text()))


@pytest.fixture(scope="module")
def trained(cluster: Cluster) -> dict[str, Any]:
    """1,500 Adult rows uploaded through web 1; two income experiments on them (two split seeds) run at once,
    one started through each web process. A run is one task and a worker takes one task at a time, so the
    second run goes to the worker the first left free."""
    web1, web2 = cluster.webs
    with web1.client(cluster.token) as one, web2.client(cluster.token) as two:
        dataset = one.post("/api/datasets/", files={"file": ("income.csv", _income_csv(1500), "text/csv")},
                           data={"name": "Income"}).json()
        experiments = []
        for http, seed in ((one, 42), (two, 7)):
            graph = income_graph(dataset["id"])
            for node in graph["nodes"]:
                if node["id"] == "split":
                    node["params"]["random_seed"] = seed
            created = http.post("/api/experiments/", json={"name": f"Income, seed {seed}", "graph": graph})
            assert created.status_code == 201, created.text
            experiments.append(created.json()["id"])
        started = [http.post(f"/api/experiments/{experiment}/run/").json()["run"]
                   for http, experiment in zip((one, two), experiments, strict=True)]
        runs = [_finished(two, run) for run in started]
    assert [run["status"] for run in runs] == ["finished", "finished"], runs
    return {"dataset": dataset["id"], "training": experiments[0], "runs": runs}


def test_the_income_experiments_modules_ran_on_both_workers(cluster, trained):
    names = {host.name for host in cluster.workers}
    ran_on = [run["worker"].split("@")[0] for run in trained["runs"]]
    assert sorted(ran_on) == sorted(names), f"runs by worker: {ran_on}"
    for run in trained["runs"]:  # every module a run computed, on its worker (the split seeds differ: no cache)
        computed = {node: state["worker"] for node, state in run["nodes"].items() if state["status"] == "finished"}
        assert {"split", "train", "score", "evaluate"} <= set(computed), run["nodes"]
        assert set(computed.values()) == {run["worker"]}, computed


@pytest.fixture(scope="module")
def deployed(cluster: Cluster, trained: dict[str, Any]) -> dict[str, Any]:
    """The first experiment's output read through web 2, Set Up through web 1, deployed through web 2."""
    web1, web2 = cluster.webs
    training = trained["training"]
    with web1.client(cluster.token) as one, web2.client(cluster.token) as two:
        scored = two.get(f"/api/runs/{trained['runs'][0]['id']}/nodes/score/outputs/scored_dataset/")
        assert scored.status_code == 200, scored.text  # written by a worker, to S3
        assert "Scored Probabilities" in scored.text
        setup = one.post(f"/api/experiments/{training}/setup-web-service/", json={"kind": "predictive"})
        assert setup.status_code == 200, setup.text
        predictive = setup.json()["experiment"]
        assert _finished(two, two.post(f"/api/experiments/{predictive}/run/").json()["run"])["status"] == "finished"
        deployed = two.post(f"/api/experiments/{predictive}/deploy/", json={})
        assert deployed.status_code == 201, deployed.text
    endpoint = deployed.json()["endpoint"]
    return {"endpoint": endpoint, "service": deployed.json()["web_service"], "training": training,
            "path": urlsplit(endpoint["ApiLocation"]).path + "/execute",
            "workspace": urlsplit(endpoint["ApiLocation"]).path.split("/")[2],
            "jobs": urlsplit(endpoint["BatchLocation"]).path, "key": endpoint["SecondaryKey"]}


def test_both_web_processes_score_alike_and_a_key_change_holds_at_once(cluster, deployed):
    web1, web2 = cluster.webs
    endpoint, path = deployed["endpoint"], deployed["path"]
    columns, rows = _held_out(3)
    answers = [_score(web.url + path, endpoint["PrimaryKey"], columns, rows) for web in (web1, web2)]
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert answers[0].json()["Results"] == answers[1].json()["Results"]

    # web 2 has the endpoint fresh in its cache; the key regenerated through web 1 must fail there at once,
    # well within the once-a-second database check: only the cross-host signal can tell it.
    assert _score(web2.url + path, endpoint["PrimaryKey"], columns, rows).status_code == 200
    with web1.client(cluster.token) as one:
        regenerated = one.post(f"/api/web-services/{deployed['service']}/endpoints/default/regenerate-key/",
                               json={"key": "primary"})
    assert regenerated.status_code == 200, regenerated.text
    assert _score(web2.url + path, endpoint["PrimaryKey"], columns, rows).status_code == 401
    assert _score(web2.url + path, regenerated.json()["PrimaryKey"], columns, rows).status_code == 200


def test_a_batch_jobs_chunks_are_taken_by_both_workers(cluster, deployed):
    """Input written through web 1's storage door, the job submitted and started through web 2, polled and its
    output read through web 1; 150 rows a chunk here, so 1,500 rows make ten."""
    web1, web2 = cluster.webs
    key, workspace = deployed["key"], deployed["workspace"]
    before = {host.name: _chunks_received(host) for host in cluster.workers}
    _put(web1.url, workspace, key, "mydata/input.csv", _income_csv(1500))
    job_id = _job(web2.url + deployed["jobs"], key, {"input1": "mydata/input.csv"}, {"output1": "mydata/scored.csv"})
    status = _job_ended(web1.url + deployed["jobs"], key, job_id)
    assert status["StatusCode"] == "Finished", status
    result = status["Results"]["output1"]
    scored = httpx.get(result["BaseLocation"] + result["RelativeLocation"] + result["SasBlobToken"], timeout=30)
    assert scored.status_code == 200 and len(scored.text.strip().splitlines()) == 1501
    took = {host.name: _chunks_received(host) - before[host.name] for host in cluster.workers}
    # ten chunks, or more if the broker was slow enough for one to be sent again (a superseded delivery)
    assert all(took.values()) and sum(took.values()) >= 10, f"chunks received per worker: {took}"


def test_a_model_retrained_and_patched_through_web_1_is_served_by_web_2_then_rolled_back_on_both(cluster, deployed):
    """The retraining journey of tests/webservices/test_retraining.py across hosts: a retraining web service, a
    batch job that trains on 3,000 other rows, a PATCH of an endpoint through web 1; web 2, which served the old
    model a moment before, serves the new one on its next request; a rollback through web 1, and both serve the
    old one again."""
    web1, web2 = cluster.webs
    management = f"{web1.url}/workspaces/{deployed['workspace']}/webservices/{deployed['service']}/endpoints"
    as_default = {"Authorization": f"Bearer {deployed['key']}"}
    with web1.client(cluster.token) as one, web2.client(cluster.token) as two:
        training = deployed["training"]
        assert one.post(f"/api/experiments/{training}/setup-web-service/",
                        json={"kind": "retraining"}).status_code == 200
        assert _finished(two, two.post(f"/api/experiments/{training}/run/").json()["run"])["status"] == "finished"
        retraining = two.post(f"/api/experiments/{training}/deploy/", json={})
        assert retraining.status_code == 201, retraining.text
        trainer = retraining.json()["endpoint"]
        resource = next(s for s in one.get("/api/web-services/").json()
                        if s["id"] == deployed["service"])["resources"][0]["Name"]

        added = httpx.put(f"{management}/retrained", headers=as_default, timeout=30,
                          json={"Description": "patched by retraining"})
        assert added.status_code == 200, added.text
        key, path = added.json()["PrimaryKey"], urlsplit(added.json()["ApiLocation"]).path + "/execute"
        columns, rows = _held_out(40)
        before = _probabilities(web2.url + path, key, columns, rows)  # web 2 now holds the deployed model
        assert _probabilities(web1.url + path, key, columns, rows) == before

        # Retrain: a batch job of the retraining service through web 2, on rows the first model never saw.
        _put(web2.url, deployed["workspace"], trainer["PrimaryKey"], "training/more.csv", _income_csv(3000, 1500))
        jobs = web2.url + urlsplit(trainer["BatchLocation"]).path
        job_id = _job(jobs, trainer["PrimaryKey"], {"input1": "training/more.csv"},
                      {"output1": "models/income.ilearner", "output2": "models/evaluation.csv"})
        status = _job_ended(jobs, trainer["PrimaryKey"], job_id, timeout=240)
        assert status["StatusCode"] == "Finished", status
        model = status["Results"]["output1"]

        patched = httpx.patch(f"{management}/retrained", headers=as_default, timeout=60,
                              json={"Resources": [{"Name": resource, "Location": model}]})
        assert patched.status_code == 200, patched.text
        after = _probabilities(web2.url + path, key, columns, rows)
        assert after != before, "web 2 still serves the model it had before the PATCH through web 1"
        assert _probabilities(web1.url + path, key, columns, rows) == after

        history = one.get(f"/api/web-services/{deployed['service']}/endpoints/retrained/resources/").json()["history"]
        assert [(h["how"], h["active"]) for h in history] == [("patch", True), ("deploy", False)]
        rolled = one.post(f"/api/web-services/{deployed['service']}/endpoints/retrained/rollback/",
                          json={"version": history[1]["id"]})
        assert rolled.status_code == 200, rolled.text
        assert _probabilities(web2.url + path, key, columns, rows) == before, "web 2 kept the retrained model"
        assert _probabilities(web1.url + path, key, columns, rows) == before


def _chunks_scored(details: str | None) -> int:
    found = re.match(r"(\d+) (?:of \d+ )?chunks scored", details or "")
    return int(found.group(1)) if found else 0


def test_a_worker_killed_mid_batch_fails_its_job_naming_it_and_the_next_job_runs_on_the_survivor(cluster, deployed):
    """SIGKILL to worker 1 (its whole process group) while both workers score a job's chunks: reading the job
    fails it once the worker's beat has been quiet for 20 s, naming the worker and what it held (the issue's
    bound is 30 s); the next job finishes on worker 2 alone. Worker 1 is started again afterwards, a new host."""
    web1, web2 = cluster.webs
    key, workspace = deployed["key"], deployed["workspace"]
    jobs1, jobs2 = web1.url + deployed["jobs"], web2.url + deployed["jobs"]
    _put(web1.url, workspace, key, "mydata/big.csv", _income_csv(12_000))  # 80 chunks: seconds of work for two
    victim, survivor = cluster.workers
    try:
        for _attempt in range(3):
            job_id = _job(jobs2, key, {"input1": "mydata/big.csv"}, {"output1": "mydata/big-scored.csv"})
            scoring = partial(lambda job: _chunks_scored(_job_status(jobs1, key, job)["Details"]) >= 2, job_id)
            assert processes.wait_until(scoring, timeout=120, interval=0.1), _job_status(jobs1, key, job_id)
            victim.managed.signal_group(signal.SIGKILL)
            killed = time.monotonic()
            victim.managed.stop()
            status = _job_ended(jobs1, key, job_id, timeout=90)
            failed_after = time.monotonic() - killed
            if status["StatusCode"] != "Finished":
                break
            # The kill landed between two of worker 1's tasks: nothing was lost and worker 2 finished the job,
            # as it should. Start worker 1 again and try once more.
            victim = _replace(cluster, victim)
        assert status["StatusCode"] == "Failed", status
        assert re.match(r"The worker scoring this job \(worker1@\S+\) stopped while it held (chunks? \d+|the split)",
                        status["Details"]), status["Details"]
        assert failed_after < 30, f"the job failed {failed_after:.0f} s after the kill"

        _put(web1.url, workspace, key, "mydata/again.csv", _income_csv(1500))
        before = _chunks_received(survivor)
        again = _job(jobs2, key, {"input1": "mydata/again.csv"}, {"output1": "mydata/again-scored.csv"})
        assert _job_ended(jobs1, key, again)["StatusCode"] == "Finished"
        assert _chunks_received(survivor) - before >= 10, "the survivor scored the new job's ten chunks"
    finally:
        if not victim.managed.running():
            _replace(cluster, victim)


def _replace(cluster: Cluster, gone) -> Any:
    """A new worker in place of a stopped one (a new var dir: a new host), ready before this returns."""
    cluster.workers.remove(gone)
    host = cluster.add_worker(gone.name, var_dir=cluster.work / f"{gone.name}-{len(list(cluster.work.iterdir()))}")
    cluster.workers.insert(0, cluster.workers.pop())
    assert processes.wait_until(host.ready_or_stopped, timeout=120) and host.managed.running(), \
        f"{host.name} did not start again; see {host.log}"
    return host
