"""Which RRS calls are scored on the event loop (issue 14, finding 5): bodies of up to 16 KiB were, whatever
they held, so four clients sending 1000 rows in 16 KiB pushed /healthz from 11 to 500 ms. Now only a call of
a few rows whose measured cost is small runs inline; the rest go to the pool (and meet MaxConcurrentCalls).
Real HTTP against the real server; bounds are relative to a baseline taken in the same test."""

from __future__ import annotations

import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pandas as pd
import pytest

from experiments.datasets import dataset_store
from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Experiment
from experiments.modules.framework.datatable import DataTable
from tests.experiments.helpers import run_now
from tests.webservices.test_deploy import publish
from webservices.models import Endpoint

pytestmark = pytest.mark.django_db(transaction=True)


def deployed(api, owner, studio_server, name, steps, edges):
    """Train on one numeric column (1000 rows of it fit in 16 KiB) through `steps`, Set Up, run and Deploy."""
    frame = pd.DataFrame({"x": [float(i % 97) for i in range(400)],
                          "label": ["high" if i % 97 > 40 else "low" for i in range(400)]})
    dataset = dataset_store(table=DataTable(frame), name=name, workspace=owner.workspace, source="upload")
    graph = {"nodes": [node("data", "dataset", dataset=dataset.pk), *steps,
                       node("learner", "two-class-boosted-decision-tree"),
                       node("train", "train-model", label_column=["label"]), node("score", "score-model")],
             "edges": [*edges, edge("learner", "untrained_model", "train", "untrained_model"),
                       edge("train", "trained_model", "score", "trained_model")]}
    training = Experiment.objects.create(workspace=owner.workspace, name=name, graph=graph)
    run_now(owner.workspace, graph, experiment=training)
    endpoint = publish(api, owner, training)[2]["endpoint"]
    url = studio_server.url + urlsplit(endpoint["ApiLocation"]).path + "/execute?api-version=2.0"
    return url, endpoint["PrimaryKey"]


@pytest.fixture
def narrow(api, owner, studio_server, worker):
    """A service the row kernels score (no DataFrame): cheap per row, but 1000 rows are not cheap."""
    return deployed(api, owner, studio_server, "Narrow", [],
                    [edge("data", "dataset", "train", "dataset"), edge("data", "dataset", "score", "dataset")])


@pytest.fixture
def heavy(api, owner, studio_server, worker):
    """Tens of milliseconds of work per call, however few its rows: a long chain of steps with no row kernel
    (the DataFrame path) between the input and Score Model."""
    picks = [node(f"pick{i}", "select-columns-in-dataset", columns=["x"]) for i in range(STEPS)]
    chain = [edge(f"pick{i}", "results_dataset", f"pick{i + 1}", "dataset") for i in range(STEPS - 1)]
    return deployed(api, owner, studio_server, "Heavy", picks,
                    [edge("data", "dataset", "train", "dataset"), edge("data", "dataset", "pick0", "dataset"),
                     *chain, edge(f"pick{STEPS - 1}", "results_dataset", "score", "dataset")])


STEPS = 60


def body_of(rows: int) -> bytes:
    body = json.dumps({"Inputs": {"input1": {"ColumnNames": ["x"], "Values": [[str(i % 97)] for i in range(rows)]}},
                       "GlobalParameters": {}}).encode()
    assert len(body) <= 16 * 1024
    return body


def post(url: str, key: str, body: bytes) -> int:
    return httpx.post(url, content=body, timeout=60, headers={"Authorization": f"Bearer {key}"}).status_code


def healthz_median(server_url: str, samples: int = 15) -> float:
    took = []
    with httpx.Client(timeout=30) as client:
        for _ in range(samples):
            began = time.perf_counter()
            assert client.get(server_url + "/healthz").status_code == 200
            took.append(time.perf_counter() - began)
            time.sleep(0.02)
    return statistics.median(took)


def set_limit(limit: int) -> None:
    Endpoint.objects.update(max_concurrent_calls=limit)
    time.sleep(1.2)  # the server revalidates endpoint settings within a second


def test_healthz_stays_responsive_while_clients_send_small_heavy_bodies(heavy, studio_server):
    url, key = heavy
    big = body_of(20)
    assert post(url, key, big) == 200
    baseline = healthz_median(studio_server.url)
    stop = threading.Event()
    statuses: list[int] = []

    def client() -> None:
        while not stop.is_set():
            statuses.append(post(url, key, big))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        loaded = healthz_median(studio_server.url)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    print(f"/healthz median: {baseline * 1000:.1f} ms idle, {loaded * 1000:.1f} ms under load; {len(statuses)} calls")
    assert set(statuses) == {200} and len(statuses) >= 4
    assert loaded < 5 * baseline + 0.1, f"/healthz took {loaded * 1000:.0f} ms under load ({baseline * 1000:.0f} idle)"


def test_a_1000_row_body_goes_to_the_pool_and_a_one_row_call_stays_inline(narrow):
    """Only a call that leaves the event loop can meet another in flight: with MaxConcurrentCalls 1, concurrent
    1000-row calls get 503s; one-row calls (cheap, measured) are scored inline and never do."""
    url, key = narrow
    set_limit(1)
    one, big = body_of(1), body_of(1000)
    for _ in range(3):  # the first call of a service teaches its per-row cost
        assert post(url, key, one) == 200
    with ThreadPoolExecutor(4) as pool:
        heavy = list(pool.map(lambda _: post(url, key, big), range(24)))
        light = list(pool.map(lambda _: post(url, key, one), range(80)))
    assert 503 in heavy and 200 in heavy and set(heavy) <= {200, 503}
    assert set(light) == {200}
