"""The engine on its own: real modules of the registry run through an in-memory recorder and store, with no
database (no django_db mark: any query would fail the test)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd
import pytest

from experiments.engine import executor
from experiments.engine.executor import RunEnvironment, execute_run
from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.engine.graph import parse_graph
from experiments.modules.framework.base import Context, Module
from experiments.modules.framework.datatable import DataTable
from experiments.modules.framework.ports import OutputPort, PortType
from experiments.modules.framework.registry import registry
from tests.experiments.engine.memory import MemoryRecorder, MemoryStore

ENV = RunEnvironment(workspace_id="w" * 32)
DATA = "a,b,c\n1,x,true\n2,y,false\n"


def chain(data: str = DATA, first: list[str] | None = None, second: list[str] | None = None) -> dict[str, Any]:
    """Enter Data Manually -> Select Columns -> Select Columns, listed backwards so order must be worked out."""
    return {"nodes": [node("pick", "select-columns-in-dataset", columns=second or ["a"]),
                      node("keep", "select-columns-in-dataset", columns=first or ["a", "b"]),
                      node("data", "enter-data-manually", data=data)],
            "edges": [edge("keep", "results_dataset", "pick", "dataset"), edge("data", "dataset", "keep", "dataset")]}


def run(graph: dict[str, Any], recorder: MemoryRecorder | None = None, store: MemoryStore | None = None,
        selected: list[str] | None = None) -> tuple[str, MemoryRecorder, MemoryStore]:
    recorder, store = recorder or MemoryRecorder(), store or MemoryStore()
    return execute_run(parse_graph(graph), ENV, recorder, store, selected), recorder, store


def output(store: MemoryStore, recorder: MemoryRecorder, node_id: str, port: str) -> pd.DataFrame:
    table: DataTable = store.get(store.entries[recorder.keys[node_id]][port])
    return table.frame


def test_a_chain_runs_in_dependency_order_and_stores_every_output():
    status, recorder, store = run(chain())
    assert status == "finished"
    assert recorder.started() == ["data", "keep", "pick"]
    assert recorder.states == {"data": "finished", "keep": "finished", "pick": "finished"}
    assert output(store, recorder, "pick", "results_dataset").to_dict("list") == {"a": [1, 2]}
    assert output(store, recorder, "keep", "results_dataset").columns.tolist() == ["a", "b"]
    assert not recorder.alive_now, "the heartbeat stops with the run"


def test_selected_nodes_run_with_what_they_need_and_nothing_else():
    status, recorder, _ = run(chain(), selected=["keep"])
    assert status == "finished" and recorder.started() == ["data", "keep"] and "pick" not in recorder.states


def test_a_failing_module_stops_its_downstream_and_keeps_its_message():
    status, recorder, store = run(chain(data="   "))
    assert status == "failed"
    assert recorder.states == {"data": "failed", "keep": "skipped", "pick": "skipped"}
    failure = recorder.failures["data"]
    assert failure.message == "Enter some data: the Data parameter is empty" and failure.parameter == "data"
    assert failure.traceback.startswith("Traceback (most recent call last):")
    assert recorder.reasons == {"keep": "Skipped: an upstream node failed", "pick": "Skipped: an upstream node failed"}
    assert store.entries == {}, "nothing of a failed run is cached"


def test_a_bad_parameter_fails_the_node_before_it_starts():
    graph = chain()
    graph["nodes"][0]["params"]["columns"] = 42
    status, recorder, _ = run(graph)
    assert status == "failed" and recorder.states["pick"] == "failed" and "pick" not in recorder.started()
    assert recorder.failures["pick"].parameter == "columns" and recorder.logs["pick"] is None


def test_a_cancel_between_nodes_skips_the_rest():
    def after_data(recorder: MemoryRecorder) -> bool:
        return recorder.states.get("data") == "finished"

    status, recorder, _ = run(chain(), MemoryRecorder(cancel_when=after_data))
    assert status == "cancelled"
    assert recorder.states == {"data": "finished", "keep": "skipped", "pick": "skipped"}
    assert recorder.reasons == {"keep": "Cancelled", "pick": "Cancelled"}


def test_a_second_run_is_served_from_the_cache():
    store = MemoryStore()
    run(chain(), store=store)
    status, recorder, _ = run(chain(), store=store)
    assert status == "finished"
    assert recorder.states == {"data": "cached", "keep": "cached", "pick": "cached"}
    assert output(store, recorder, "pick", "results_dataset").to_dict("list") == {"a": [1, 2]}


def test_a_changed_parameter_runs_only_what_is_downstream_of_it():
    store = MemoryStore()
    run(chain(), store=store)
    status, recorder, _ = run(chain(first=["a", "c"]), store=store)
    assert status == "finished"
    assert recorder.states == {"data": "cached", "keep": "finished", "pick": "finished"}


def test_a_lost_output_file_is_computed_again():
    store = MemoryStore()
    run(chain(), store=store)
    store.files.clear()
    _, recorder, _ = run(chain(), store=store)
    assert set(recorder.states.values()) == {"finished"}


def test_another_workspace_never_reuses_the_cache():
    store = MemoryStore()
    run(chain(), store=store)
    recorder = MemoryRecorder()
    execute_run(parse_graph(chain()), RunEnvironment(workspace_id="v" * 32), recorder, store)
    assert set(recorder.states.values()) == {"finished"}


# --- Modules made for these tests ----------------------------------------------------------------


class Slow(Module):
    """Reports progress five times (so a cancel is seen mid-module), then fails or returns a table."""

    id = "slow-engine-test-module"
    name = "Slow Engine Test Module"
    category = "Tests"
    description = "Reports progress, then fails or returns one row."
    outputs = [OutputPort("dataset", PortType.DATA_TABLE)]

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        print("working")
        for step in range(5):
            ctx.progress(step / 5)
        ctx.log("done")
        raise ValueError("the slow module gave up")


@pytest.fixture
def slow() -> Iterator[None]:
    registry.register(Slow)
    yield
    registry._modules.pop(Slow.id, None)


def test_an_unexpected_error_names_its_type_and_shows_the_modules_frames_only(slow):
    status, recorder, _ = run({"nodes": [node("s", Slow.id)], "edges": []})
    assert status == "failed"
    failure = recorder.failures["s"]
    assert failure.message == "ValueError: the slow module gave up"
    assert "in execute" in failure.traceback and "engine/executor.py" not in failure.traceback
    log = recorder.logs["s"]
    assert log is not None and log.entries == [{"stream": "stdout", "text": "working\n"},
                                               {"stream": "log", "text": "done\n"}]
    assert log.text == "done" and log.duration_ms is not None


def test_a_cancel_seen_while_a_module_works_stops_it(slow, monkeypatch):
    monkeypatch.setattr(executor, "CANCEL_POLL_INTERVAL", 0.0)  # ask at every progress report, not once a second
    asked = []

    def second_time(recorder: MemoryRecorder) -> bool:
        asked.append(1)
        return len(asked) > 1  # not before the node, but at its first progress report

    status, recorder, _ = run({"nodes": [node("s", Slow.id)], "edges": []}, MemoryRecorder(cancel_when=second_time))
    assert status == "cancelled" and recorder.states == {"s": "skipped"}
    assert recorder.reasons == {"s": "Cancelled while running"}
    assert recorder.logs["s"] is not None, "what it printed before the cancel is kept"
