"""The bounded scale scenario (issue 19, item 2, first part): what one web process writes, another on another
"host" reads, with PostgreSQL and S3 between them and nothing in either's var dir."""

from __future__ import annotations

import re

import pytest

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


def _income_csv(rows: int) -> bytes:
    """The first rows of the Adult sample, as a user would upload them."""
    import gzip
    from pathlib import Path

    from django.conf import settings

    raw = gzip.decompress((Path(settings.BASE_DIR) / "experiments/sample_data/adult-census-income.csv.gz").read_bytes())
    return b"\n".join(raw.splitlines()[: rows + 1]) + b"\n"


def _finished(http, run_id: int, timeout: float = 180) -> dict:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = http.get(f"/api/runs/{run_id}/").json()
        if run["status"] not in ("queued", "running"):
            return run
        time.sleep(0.3)
    pytest.fail(f"run {run_id} did not finish within {timeout} s: {run}")


def _score(url: str, key: str, columns: list[str], rows: list[list[str]]):
    import httpx

    body = {"Inputs": {"input1": {"ColumnNames": columns, "Values": rows}}, "GlobalParameters": {}}
    return httpx.post(f"{url}?api-version=2.0", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def test_trained_via_web_1_deployed_scored_on_both_a_key_change_holds_at_once_and_a_job_uses_both_workers(cluster):
    from urllib.parse import urlsplit

    from tests.experiments.test_runs import income_graph

    web1, web2 = cluster.webs
    with web1.client(cluster.token) as one, web2.client(cluster.token) as two:
        dataset = one.post("/api/datasets/", files={"file": ("income.csv", _income_csv(1500), "text/csv")},
                           data={"name": "Income"}).json()
        experiment = one.post("/api/experiments/", json={"name": "Income", "graph": income_graph(dataset["id"])})
        assert experiment.status_code == 201, experiment.text
        training = experiment.json()["id"]
        run = _finished(one, one.post(f"/api/experiments/{training}/run/").json()["run"])
        assert run["status"] == "finished", run
        scored = two.get(f"/api/runs/{run['id']}/nodes/score/outputs/scored_dataset/")  # a worker's output
        assert scored.status_code == 200, scored.text
        assert "Scored Probabilities" in scored.text

        setup = one.post(f"/api/experiments/{training}/setup-web-service/", json={"kind": "predictive"})
        assert setup.status_code == 200, setup.text
        predictive = setup.json()["experiment"]
        assert _finished(two, two.post(f"/api/experiments/{predictive}/run/").json()["run"])["status"] == "finished"
        deployed = two.post(f"/api/experiments/{predictive}/deploy/", json={})
        assert deployed.status_code == 201, deployed.text
        endpoint, service = deployed.json()["endpoint"], deployed.json()["web_service"]

        lines = _income_csv(3).decode().splitlines()
        header = lines[0].split(",")
        columns = [c for c in header if c != "income"]
        rows = [[v for c, v in zip(header, line.split(","), strict=True) if c != "income"] for line in lines[1:]]
        path = urlsplit(endpoint["ApiLocation"]).path + "/execute"
        answers = [_score(web.url + path, endpoint["PrimaryKey"], columns, rows) for web in (web1, web2)]
        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        assert answers[0].json()["Results"] == answers[1].json()["Results"]

        # web 2 has the endpoint fresh in its cache; the key regenerated through web 1 must fail there at once,
        # well within the once-a-second database check: only the cross-host signal can tell it.
        assert _score(web2.url + path, endpoint["PrimaryKey"], columns, rows).status_code == 200
        regenerated = one.post(f"/api/web-services/{service}/endpoints/default/regenerate-key/",
                               json={"key": "primary"})
        assert regenerated.status_code == 200, regenerated.text
        assert _score(web2.url + path, endpoint["PrimaryKey"], columns, rows).status_code == 401
        assert _score(web2.url + path, regenerated.json()["PrimaryKey"], columns, rows).status_code == 200

        # A batch job submitted through web 2, its input written through web 1's storage door: its chunks are
        # spread over both workers (150 rows a chunk here), its output read back through web 1.
        import time

        import httpx

        workspace = urlsplit(endpoint["ApiLocation"]).path.split("/")[2]
        headers = {"Authorization": f"Bearer {regenerated.json()['PrimaryKey']}"}
        put = httpx.put(f"{web1.url}/workspaces/{workspace}/storage/mydata/input.csv", content=_income_csv(1500),
                        headers=headers, timeout=30)
        assert put.status_code == 201, put.text
        jobs = web2.url + urlsplit(endpoint["BatchLocation"]).path
        body = {"Inputs": {"input1": {"RelativeLocation": "mydata/input.csv"}},
                "Outputs": {"output1": {"RelativeLocation": "mydata/scored.csv"}}, "GlobalParameters": {}}
        job = httpx.post(f"{jobs}?api-version=2.0", json=body, headers=headers, timeout=30)
        assert job.status_code == 200, job.text
        job_id = job.json()
        assert httpx.post(f"{jobs}/{job_id}/start?api-version=2.0", headers=headers, timeout=30).status_code == 200
        deadline, status = time.monotonic() + 120, {}
        while time.monotonic() < deadline:
            status = httpx.get(f"{web1.url}{urlsplit(jobs).path}/{job_id}?api-version=2.0", headers=headers).json()
            if status["StatusCode"] not in ("NotStarted", "Running"):
                break
            time.sleep(0.3)
        assert status["StatusCode"] == "Finished", status
        result = status["Results"]["output1"]
        scored = httpx.get(result["BaseLocation"] + result["RelativeLocation"] + result["SasBlobToken"], timeout=30)
        assert scored.status_code == 200 and len(scored.text.strip().splitlines()) == 1501
    received = r"webservices\.bes_chunk\[\S+\] received"  # each worker's own log: the chunks it took
    took = {host.name: len(re.findall(received, (host.var_dir / "worker.log").read_text())) for host in cluster.workers}
    assert all(took.values()), f"chunks received per worker: {took}"
