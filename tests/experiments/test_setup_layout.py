"""Set Up Web Service leaves a readable canvas: no node on top of another, the user's modules where they put
them, and summaries that name modules as the canvas shows them, never by their internal ids."""

from __future__ import annotations

import re

import pytest

from experiments.conversion import predictive, retraining
from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.engine.graph import parse_graph
from experiments.node_names import node_names
from tests.e2e.test_canvas_inspect import compare_graph
from tests.experiments.test_conversion import income

# The canvas draws a module 220 px wide and at most 80 px tall (frontend/src/canvas.css, .module-node).
WIDTH, HEIGHT = 220, 80


def laid_out(graph, positions):
    return {**graph, "nodes": [{**n, "position": {"x": positions[n["id"]][0], "y": positions[n["id"]][1]}}
                               for n in graph["nodes"]]}


def intersecting(graph):
    boxes = [(n["id"], n["position"]["x"], n["position"]["y"]) for n in graph["nodes"]]
    return [(a, b) for i, (a, ax, ay) in enumerate(boxes) for b, bx, by in boxes[i + 1:]
            if abs(ax - bx) < WIDTH and abs(ay - by) < HEIGHT]


# The income experiment as the browser journey drops it (tests/e2e/test_income_journey.py): modules 90-110 px
# apart, so every spot Set Up used to pick (below the data, below Score Model) holds a module already.
INCOME_BY_HAND = {"data": (200, 30), "clean": (200, 120), "norm": (440, 120), "split": (200, 210),
                  "learner": (470, 210), "train": (330, 320), "score": (200, 430), "evaluate": (200, 530)}
# The same experiment after the canvas's Auto-layout (dagre, top-down, 60 px between ranks).
INCOME_AUTO = {"data": (0, 0), "clean": (0, 140), "norm": (0, 280), "split": (0, 420), "learner": (260, 420),
               "train": (130, 560), "score": (0, 700), "evaluate": (0, 840)}
COMPARE = {"data": (0, 0), "split": (0, 110), "lr": (240, 110), "tree": (480, 110), "train1": (120, 220),
           "train2": (360, 220), "score1": (120, 330), "score2": (360, 330), "evaluate": (240, 440)}
DATA_SERVICE = {"data": (0, 0), "clean": (0, 95), "pick": (0, 190)}


def data_service():
    return {"nodes": [node("data", "enter-data-manually", data="a,b\n1,\n2,y\n"),
                      node("clean", "clean-missing-data", columns=["b"], cleaning_mode="Replace with mode"),
                      node("pick", "select-columns-in-dataset", columns=["b"])],
            "edges": [edge("data", "dataset", "clean", "dataset"), edge("clean", "cleaned_dataset", "pick", "dataset")]}


SAMPLES = {
    "income by hand": (income, INCOME_BY_HAND, {}),
    "income after auto-layout": (income, INCOME_AUTO, {}),
    "two models compared": (compare_graph, COMPARE, {"train_node": "train2"}),
    "a data service": (data_service, DATA_SERVICE, {}),
}


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("convert", [predictive, retraining], ids=["predictive", "retraining"])
def test_set_up_puts_no_node_on_another_and_keeps_the_users_arrangement(sample, convert):
    make, positions, options = SAMPLES[sample]
    graph = laid_out(make(), positions)
    assert intersecting(graph) == []
    if convert is retraining and sample == "a data service":
        pytest.skip("a retraining service needs a Train Model")
    result = convert(graph, **options)
    assert intersecting(result.graph) == []
    # The user's modules keep their columns and their order from top to bottom (some move down to make room).
    before = {n["id"]: n["position"] for n in graph["nodes"]}
    after = {n["id"]: n["position"] for n in result.graph["nodes"] if n["id"] in before}
    for a in after:
        assert after[a]["x"] == before[a]["x"], f"{a} moved sideways"
        for b in after:
            assert (before[a]["y"] > before[b]["y"]) == (after[a]["y"] > after[b]["y"]), f"{a} and {b} swapped rows"


def test_what_set_up_inserts_goes_between_its_neighbours_so_the_canvas_still_reads_top_down():
    for convert in (predictive, retraining):
        result = convert(laid_out(income(), INCOME_BY_HAND))
        at = {n["id"]: n["position"] for n in result.graph["nodes"]}
        for e in result.graph["edges"]:
            if e["source"] != "web-service-input" and e["target"] != "web-service-input":
                continue
            assert at[e["source"]]["y"] < at[e["target"]]["y"], f"{e['source']} -> {e['target']} runs upwards"


def test_set_up_places_what_it_adds_near_what_it_relates_to():
    result = predictive(laid_out(income(), INCOME_BY_HAND))
    at = {n["id"]: n["position"] for n in result.graph["nodes"]}
    near = lambda a, b: abs(at[a]["x"] - at[b]["x"]) <= 2 * WIDTH + 40 and abs(at[a]["y"] - at[b]["y"]) <= 3 * HEIGHT  # noqa: E731
    assert near("web-service-input", "data") and near("web-service-output", "score")
    assert near("clean-transform", "clean") and near("norm-transform", "norm")
    for fitted in ("clean", "norm"):  # a Transform sits above the Apply Transformation it feeds
        assert at[f"{fitted}-transform"]["y"] < at[fitted]["y"]


def numbered(graph, options):
    """The graph with ids as the canvas makes them (n1, n2, …), which mean nothing to the person reading."""
    ids = {n["id"]: f"n{index}" for index, n in enumerate(graph["nodes"], start=1)}
    return ({"nodes": [{**n, "id": ids[n["id"]]} for n in graph["nodes"]],
             "edges": [{**e, "source": ids[e["source"]], "target": ids[e["target"]]} for e in graph["edges"]]},
            {key: ids.get(value, value) for key, value in options.items()})


@pytest.mark.parametrize("sample", SAMPLES)
def test_set_up_summaries_name_modules_never_node_ids(sample):
    make, positions, options = SAMPLES[sample]
    graph, options = numbered(laid_out(make(), positions), options)
    for convert in (predictive, retraining) if sample != "a data service" else (predictive,):
        result = convert(graph, **options)
        texts = [change.message for change in result.summary] + [n["comment"] for n in result.graph["nodes"]]
        for text in texts:
            assert not re.search(r"\bn\d+\b|web-service-(in|out)put", text), text
        assert any("Train Model" in text for text in texts) or sample == "a data service"


def test_nodes_of_one_module_are_told_apart_by_caption_then_by_place_on_the_canvas():
    graph = laid_out(compare_graph(), COMPARE)
    graph["nodes"][2]["comment"] = "Logistic baseline\nfor the report"
    names = node_names(parse_graph(graph), {"data": "Colours"})
    assert names["data"] == "Enter Data Manually"  # one of its module: its caption is not needed
    assert (names["train1"], names["train2"]) == ("Train Model 1", "Train Model 2")  # left to right
    assert names["lr"] == "Two-Class Logistic Regression"
    graph["nodes"].append(node("more", "enter-data-manually", 0, 600))
    names = node_names(parse_graph(graph), {"data": "Colours", "more": "Sizes"})
    assert (names["data"], names["more"]) == ("Enter Data Manually “Colours”", "Enter Data Manually “Sizes”")
