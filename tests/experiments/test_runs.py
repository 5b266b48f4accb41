"""Runs on the real worker and Redis, driven through the API only (the engine issue's acceptance)."""

import asyncio
import json
import os
import signal
import time

import pytest
import websockets

from experiments.datasets import samples_load
from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Dataset, Run
from studio import processes
from studio.services import api_token_create
from tests.conftest import session_cookie_for
from tests.experiments.graphs import income_graph

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]






@pytest.fixture
def http(owner, studio_server):
    _, key = api_token_create(user=owner.user)
    with studio_server.client(headers={"Authorization": f"Token {key}"}) as client:
        yield client


@pytest.fixture
def adult(db):
    name = "Adult Census Income Binary Classification dataset"
    samples_load([name])
    return Dataset.objects.get(name=name)


def wait_for_run(http, run_id, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = http.get(f"/api/runs/{run_id}/").json()
        if run["status"] not in ("queued", "running"):
            return run
        time.sleep(0.5)
    pytest.fail(f"run {run_id} did not finish within {timeout} s: {run}")


def create(http, name, graph):
    response = http.post("/api/experiments/", json={"name": name, "graph": graph})
    assert response.status_code == 201, response.text
    return response.json()


def test_income_experiment_trains_scores_evaluates_then_reruns_from_cache(http, adult, worker):
    experiment = create(http, "Income prediction", income_graph(adult.pk))

    first = wait_for_run(http, http.post(f"/api/experiments/{experiment['id']}/run/").json()["run"])
    assert first["status"] == "finished", first
    evaluation = http.get(f"/api/runs/{first['id']}/nodes/evaluate/outputs/evaluation_results/").json()
    assert evaluation["type"] == "Evaluation" and evaluation["task"] == "binary"
    assert evaluation["metrics"]["AUC"] >= 0.90
    scored = http.get(f"/api/runs/{first['id']}/nodes/score/outputs/scored_dataset/?limit=5").json()
    assert scored["preview"]["ColumnNames"][-2:] == ["Scored Labels", "Scored Probabilities"]
    assert len(scored["preview"]["Values"]) == 5

    again = wait_for_run(http, http.post(f"/api/experiments/{experiment['id']}/run/").json()["run"])
    assert {name: state["status"] for name, state in again["nodes"].items()} == dict.fromkeys(
        ["data", "clean", "split", "learner", "train", "score", "evaluate"], "cached")


def test_a_failing_module_shows_its_error_and_skips_what_depends_on_it(http, worker):
    graph = {"nodes": [node("data", "enter-data-manually", data="a,b\n1,x\n2,y\n"),
                       node("norm", "normalize-data", columns=["b"]),
                       node("select", "select-columns-in-dataset", columns=["a"])],
             "edges": [edge("data", "dataset", "norm", "dataset"),
                       edge("norm", "transformed_dataset", "select", "dataset")]}
    experiment = create(http, "Fails", graph)
    run = wait_for_run(http, http.post(f"/api/experiments/{experiment['id']}/run/").json()["run"])
    assert run["status"] == "failed"
    assert run["nodes"]["data"]["status"] == "finished"
    assert run["nodes"]["norm"]["status"] == "failed"
    assert "'b'" in run["nodes"]["norm"]["error"] and run["nodes"]["norm"]["traceback"]
    assert run["nodes"]["select"]["status"] == "skipped"


def test_node_events_arrive_on_the_experiments_websocket(http, owner, studio_server, worker):
    graph = {"nodes": [node("data", "enter-data-manually", data="a\n1\n2\n")], "edges": []}
    experiment = create(http, "Live", graph)
    url = studio_server.url.replace("http://", "ws://") + f"/ws/experiments/{experiment['id']}/"
    headers = {"Cookie": "sessionid=" + session_cookie_for(owner.user)["sessionid"], "Origin": studio_server.url}

    async def collect():
        events = []
        async with websockets.connect(url, additional_headers=headers) as socket:
            await asyncio.to_thread(http.post, f"/api/experiments/{experiment['id']}/run/")
            while not events or events[-1].get("type") != "run" or events[-1]["status"] == "running":
                events.append(json.loads(await asyncio.wait_for(socket.recv(), timeout=60)))
        return events

    events = asyncio.run(collect())
    assert any(e.get("node") == "data" and e.get("status") == "running" for e in events)
    assert any(e.get("node") == "data" and e.get("status") == "finished" for e in events)
    assert events[-1]["type"] == "run" and events[-1]["status"] == "finished"


SLOW_SCRIPT = ("import time\ndef azureml_main(dataframe1=None, dataframe2=None):\n    time.sleep(120)\n"
               "    return dataframe1,\n")


def slow_experiment(http, name):
    graph = {"nodes": [node("data", "enter-data-manually", data="a\n1\n"),
                       node("slow", "execute-python-script", python_script=SLOW_SCRIPT)],
             "edges": [edge("data", "dataset", "slow", "dataframe1")]}
    return create(http, name, graph)


def wait_for_node(http, run_id, node_id, status, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if http.get(f"/api/runs/{run_id}/").json()["nodes"][node_id]["status"] == status:
            return
        time.sleep(0.3)
    pytest.fail(f"node {node_id} never reached {status}")


def test_cancel_stops_a_running_experiment(http, worker):
    experiment = slow_experiment(http, "Cancel me")
    run_id = http.post(f"/api/experiments/{experiment['id']}/run/").json()["run"]
    wait_for_node(http, run_id, "slow", "running")
    assert http.post(f"/api/runs/{run_id}/cancel/").status_code == 200
    run = wait_for_run(http, run_id, timeout=60)
    assert run["status"] == "cancelled"
    assert run["nodes"]["slow"]["status"] == "skipped"


def worker_pids(worker):
    """The worker's main process and its pool processes."""
    import subprocess

    root = worker.managed.pid
    children = subprocess.run(["pgrep", "-P", str(root)], capture_output=True, text=True).stdout.split()
    return [root, *map(int, children)]


def cpu_seconds(pids):
    """User + system CPU time the processes have used (those that still exist)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def cpu_used_over(pids, seconds):
    before = cpu_seconds(pids)
    time.sleep(seconds)
    return cpu_seconds(pids) - before


def test_cancel_kills_a_long_fit_within_seconds_and_the_worker_serves_on(http, adult, worker):
    """A forest of 1,000 deep trees on the census takes minutes; Train Model reports no progress while it fits, so
    only killing the process that fits stops it (before: still fitting 242 s after the cancel)."""
    graph = {"nodes": [node("data", "dataset", dataset=adult.pk),
                       node("clean", "clean-missing-data", cleaning_mode="Replace with mode"),
                       node("forest", "two-class-decision-forest", number_of_decision_trees=1000,
                            maximum_depth_of_the_decision_trees=128, minimum_number_of_samples_per_leaf_node=1),
                       node("train", "train-model", label_column=["income"])],
             "edges": [edge("data", "dataset", "clean", "dataset"),
                       edge("forest", "untrained_model", "train", "untrained_model"),
                       edge("clean", "cleaned_dataset", "train", "dataset")]}
    experiment = create(http, "A long fit", graph)
    run_id = http.post(f"/api/experiments/{experiment['id']}/run/").json()["run"]
    wait_for_node(http, run_id, "train", "running", timeout=120)
    fitting = [pid for pid in worker_pids(worker) if pid != worker.managed.pid]
    assert cpu_used_over(fitting, 2) > 1, "the pool process is fitting"

    cancelled = time.monotonic()
    assert http.post(f"/api/runs/{run_id}/cancel/").status_code == 200
    run = wait_for_run(http, run_id, timeout=15)
    assert run["status"] == "cancelled", run
    assert {name: (state["status"], state["error"]) for name, state in run["nodes"].items()} == {
        "data": ("finished", None), "clean": ("finished", None), "forest": ("finished", None),
        "train": ("skipped", "Cancelled while running")}
    assert processes.wait_until(lambda: not cpu_seconds(fitting), timeout=15 - (time.monotonic() - cancelled)), \
        "the process that was fitting is gone"
    assert cpu_used_over(worker_pids(worker), 3) < 1, "no worker process burns CPU for the cancelled run"
    again = wait_for_run(http, http.post(f"/api/experiments/{experiment['id']}/run/",
                                         json={"nodes": ["clean"]}).json()["run"], timeout=60)
    assert again["status"] == "finished", "the worker serves the next run"
    assert Run.objects.get(pk=run_id).status == "cancelled", "nothing overwrote the outcome"


def test_a_run_whose_worker_is_killed_is_marked_failed(http, worker):
    experiment = slow_experiment(http, "Killed")
    run_id = http.post(f"/api/experiments/{experiment['id']}/run/").json()["run"]
    wait_for_node(http, run_id, "slow", "running")
    os.killpg(worker.managed.pid, signal.SIGKILL)
    killed = time.monotonic()
    worker.managed.process.wait(timeout=10)
    worker.managed = None
    run = wait_for_run(http, run_id, timeout=60)
    assert run["status"] == "failed"
    assert "stopped responding" in run["error"]
    assert time.monotonic() - killed < 30, f"failed {time.monotonic() - killed:.0f} s after the kill"

    # A new worker runs the experiment again: nothing of the killed run is in the way.
    worker.start()
    quick = {"nodes": [node("data", "enter-data-manually", data="a\n1\n"),
                       node("pick", "select-columns-in-dataset", columns=["a"])],
             "edges": [edge("data", "dataset", "pick", "dataset")]}
    assert http.put(f"/api/experiments/{experiment['id']}/", json={"name": "Killed", "graph": quick}).is_success
    again = wait_for_run(http, http.post(f"/api/experiments/{experiment['id']}/run/").json()["run"])
    assert again["status"] == "finished", again


def test_running_selected_nodes_runs_only_them_and_what_they_need(http, worker):
    graph = {"nodes": [node("data", "enter-data-manually", data="a,b\n1,x\n2,y\n"),
                       node("left", "select-columns-in-dataset", columns=["a"]),
                       node("right", "select-columns-in-dataset", columns=["b"])],
             "edges": [edge("data", "dataset", "left", "dataset"), edge("data", "dataset", "right", "dataset")]}
    experiment = create(http, "Partial", graph)
    run = wait_for_run(http, http.post(f"/api/experiments/{experiment['id']}/run/", json={"nodes": ["left"]})
                       .json()["run"])
    assert run["status"] == "finished"
    assert sorted(run["nodes"]) == ["data", "left"]
    preview = http.get(f"/api/runs/{run['id']}/nodes/left/outputs/results_dataset/").json()["preview"]
    assert preview == {"ColumnNames": ["a"], "Values": [[1], [2]]}
    unknown = http.post(f"/api/experiments/{experiment['id']}/run/", json={"nodes": ["nope"]})
    assert unknown.status_code == 400 and unknown.json()["detail"] == "Node nope is not in the experiment."
