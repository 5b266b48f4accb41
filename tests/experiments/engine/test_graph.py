"""Validation and ordering refuse what can't run, every problem pointing at its node; no database needed."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from experiments.engine.graph import GraphFormatError, parse_graph, validate_graph
from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from studio.errors import AtelierError

ENGINE = Path(__file__).resolve().parents[3] / "experiments" / "engine"
FORBIDDEN = ("django", "channels", "celery", "rest_framework", "studio.workers", "experiments.models",
             "experiments.events", "experiments.services", "experiments.runner")


def test_a_cycle_is_refused_naming_its_members():
    graph = parse_graph({"nodes": [node("data", "enter-data-manually", data="a\n1\n"),
                                   node("one", "select-columns-in-dataset", columns=["a"]),
                                   node("two", "add-rows")],
                         "edges": [edge("data", "dataset", "two", "dataset1"),
                                   edge("two", "results_dataset", "one", "dataset"),
                                   edge("one", "results_dataset", "two", "dataset2")]})
    problems = validate_graph(graph)
    assert [problem.code for problem in problems] == ["cycle"]
    assert problems[0].message.startswith("The graph has a cycle: ") and {"one", "two"} <= set(
        problems[0].message.removeprefix("The graph has a cycle: ").rstrip(".").split(" -> "))


def test_a_missing_input_and_a_bad_column_are_both_reported():
    graph = parse_graph({"nodes": [node("data", "enter-data-manually", data="a\n1\n"),
                                   node("lonely", "select-columns-in-dataset", columns=["a"]),
                                   node("pick", "select-columns-in-dataset", columns=["nope"])],
                         "edges": [edge("data", "dataset", "pick", "dataset")]})
    problems = {(problem.node, problem.column): problem.message for problem in validate_graph(graph)}
    assert problems == {
        ("lonely", None): "Select Columns in Dataset (node lonely) needs its 'dataset' input connected.",
        ("pick", "nope"): problems[("pick", "nope")]}
    assert "nope" in problems[("pick", "nope")]


def test_a_valid_chain_has_no_problems_and_orders_its_nodes():
    graph = parse_graph({"nodes": [node("pick", "select-columns-in-dataset", columns=["a"]),
                                   node("data", "enter-data-manually", data="a\n1\n")],
                         "edges": [edge("data", "dataset", "pick", "dataset")]})
    assert validate_graph(graph) == [] and graph.order() == ["data", "pick"]


def test_a_malformed_graph_is_an_atelier_error_and_still_a_value_error():
    with pytest.raises(GraphFormatError) as refused:
        parse_graph({"nodes": [{"id": "n1"}, node("n1", "split-data"), node("n1", "split-data")], "edges": "x"})
    assert isinstance(refused.value, AtelierError) and isinstance(refused.value, ValueError)
    assert refused.value.status == 400 and refused.value.code == "malformed"
    with pytest.raises(GraphFormatError) as twice:
        parse_graph({"nodes": [{"id": "n1"}, node("n2", "split-data"), node("n2", "split-data")], "edges": []})
    assert [p.node for p in twice.value.graph_problems] == [None, "n2"]
    assert twice.value.problems() == [
        {"message": "Node #1 needs a string 'id' and a string 'module'.", "code": "malformed"},
        {"message": "Node id 'n2' is used twice; node ids must be unique.", "code": "malformed", "target": "n2"}]


def test_the_engine_imports_no_django_no_channels_no_worker_tier_and_no_models():
    """The engine runs without a database: only the studio's adapter (experiments/runner.py) brings one."""
    found = []
    for path in sorted(ENGINE.glob("*.py")):
        for statement in ast.walk(ast.parse(path.read_text())):
            if isinstance(statement, ast.Import):
                names = [alias.name for alias in statement.names]
            elif isinstance(statement, ast.ImportFrom) and statement.level == 0 and statement.module:
                names = [statement.module] + [f"{statement.module}.{alias.name}" for alias in statement.names]
            else:
                continue
            found += [f"{path.name}: {name}" for name in names
                      if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)]
    assert found == []
