"""Issue 18, item 4: one workspace storage, one name per file, whatever door a file comes through. Over real HTTP
with the real worker: a file PUT with a service's key is what Import Data reads; what Export Data writes is what
a member's GET returns and what a batch job (submitted by the studio) scores; the job's output is what Import
Data reads next; the Datasets page lists all three with their owners and downloads them. The owner rule holds
across doors: the service's key doesn't reach the studio's exported file."""

from __future__ import annotations

import io
import re
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import pandas as pd
import pytest

from experiments.assets import output_save
from experiments.datasets import dataset_table
from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Experiment
from studio.services import api_token_create
from tests.experiments.helpers import node_states, output_frame, run_on_worker
from tests.webservices.test_deploy import income, publish  # noqa: F401 (fixture)
from webservices.models import WebService

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def doors(api, owner, income, studio_server):  # noqa: F811
    """The income model deployed; its key; the workspace's storage URL; 40 held-out rows without the label."""
    training, training_run = income
    endpoint = publish(api, owner, training)[2]["endpoint"]
    held_out = dataset_table(output_save(run=training_run, node="split", port="results2", name="held out")).frame
    rows = held_out.drop(columns=["income"]).head(40).reset_index(drop=True)
    return {"key": {"Authorization": f"Bearer {endpoint['PrimaryKey']}"}, "rows": rows,
            "storage": f"{studio_server.url}/workspaces/{owner.workspace.pk}/storage",
            "jobs": studio_server.url + urlsplit(endpoint["BatchLocation"]).path,
            "service": WebService.objects.get(kind="predictive")}


def experiment_run(owner: Any, name: str, graph: dict[str, Any]) -> Any:
    run = run_on_worker(Experiment.objects.create(workspace=owner.workspace, name=name, graph=graph))
    errors = dict(run.node_runs.exclude(error="").values_list("node_id", "error"))
    assert set(node_states(run).values()) == {"finished"}, errors
    return run


def imported(path: str) -> dict[str, Any]:
    return node("import", "import-data", data_source="Workspace storage", path=path, data_format="CSV")


def watch(api: Any, url: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = api.get(url).json()
        if job["StatusCode"] not in ("NotStarted", "Running"):
            return job
        time.sleep(0.5)
    pytest.fail(f"the job did not end within {timeout} s")


def test_one_location_names_one_file_through_every_door(doors, api, owner, owner_client, worker):
    rows, key, files = doors["rows"], doors["key"], doors["storage"]
    member = {"Authorization": f"Token {api_token_create(user=owner.user)[1]}"}

    # The storage call's PUT, with the service's key -> Import Data; Import Data -> Export Data.
    put = httpx.put(f"{files}/doors/input.csv", content=rows.to_csv(index=False).encode(), headers=key)
    assert put.status_code == 201, put.text
    graph = {"nodes": [imported("doors/input.csv"), node("export", "export-data", path="doors/exported.csv")],
             "edges": [edge("import", "dataset", "export", "dataset")]}
    run = experiment_run(owner, "Import, then export", graph)
    pd.testing.assert_frame_equal(output_frame(run, "import"), rows)

    # Export Data -> the storage call's GET (a member's token); the service's key doesn't reach the studio's file.
    got = httpx.get(f"{files}/doors/exported.csv", headers=member)
    assert got.status_code == 200
    pd.testing.assert_frame_equal(pd.read_csv(io.BytesIO(got.content)), rows)
    assert httpx.get(f"{files}/doors/exported.csv", headers=key).status_code == 404
    body = {"Inputs": {"input1": {"ConnectionString": "", "RelativeLocation": "doors/exported.csv"}},
            "Outputs": {"output1": {"ConnectionString": "", "RelativeLocation": "doors/scored.csv"}},
            "GlobalParameters": {}}
    refused = httpx.post(f"{doors['jobs']}?api-version=2.0", json=body, headers=key)
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == ("Input 'input1': no file at 'doors/exported.csv' in the workspace "
                                                  "storage; upload it first.")

    # Export Data -> a batch job's input (the studio submits: it reaches every file); its output -> Import Data.
    jobs = f"/api/web-services/{doors['service'].pk}/endpoints/default/jobs/"
    started = api.post(jobs, body, format="json")
    assert started.status_code == 201, started.json()
    job = watch(api, f"{jobs}{started.json()['id']}/")
    assert job["StatusCode"] == "Finished", job
    scored = output_frame(experiment_run(owner, "Import the scores", {"nodes": [imported("doors/scored.csv")],
                                                                      "edges": []}), "import")
    assert len(scored) == len(rows) and {"Scored Labels", "Scored Probabilities"} <= set(scored.columns)

    # The Datasets page lists the three files with their owners, and downloads each one for a member.
    page = owner_client.get("/datasets/").content.decode()
    listed = re.findall(r'<tr data-testid="storage-file">\s*<td><code>([^<]+)</code></td>.*?<td>([^<]*)</td>\s*'
                        r'<td><a href="([^"]+)"', page, re.S)
    service = doors["service"].name
    assert [(location, owner_name) for location, owner_name, _ in listed] == [
        ("doors/exported.csv", "studio"), ("doors/input.csv", service), ("doors/scored.csv", service)]
    for location, _, link in listed:
        download = owner_client.get(link)
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == httpx.get(f"{files}/{location}", headers=member).content
