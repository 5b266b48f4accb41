"""Graphs the tests and benchmarks train, as graph JSON (SPEC §2). Plain dicts and no Django, so that code outside a
Django process (bench/scale.py, the scale suite's client side) builds the very same graph."""

from __future__ import annotations

from typing import Any


def node(node_id: str, module: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "module": module, "params": params, "position": {"x": 0, "y": 0}, "comment": ""}


def edge(source: str, source_port: str, target: str, target_port: str) -> dict[str, str]:
    return {"source": source, "source_port": source_port, "target": target, "target_port": target_port}


def income_graph(dataset_id: int) -> dict[str, Any]:
    """The income experiment on Adult: clean (mode), stratified split 70/30, boosted trees, score, evaluate."""
    return {"nodes": [
        node("data", "dataset", dataset=dataset_id),
        node("clean", "clean-missing-data", cleaning_mode="Replace with mode"),
        node("split", "split-data", fraction_of_rows_in_the_first_output_dataset=0.7, random_seed=42,
             stratified_split=True, stratification_key_column=["income"]),
        node("learner", "two-class-boosted-decision-tree"),
        node("train", "train-model", label_column=["income"]),
        node("score", "score-model"),
        node("evaluate", "evaluate-model"),
    ], "edges": [
        edge("data", "dataset", "clean", "dataset"),
        edge("clean", "cleaned_dataset", "split", "dataset"),
        edge("learner", "untrained_model", "train", "untrained_model"),
        edge("split", "results1", "train", "dataset"),
        edge("train", "trained_model", "score", "trained_model"),
        edge("split", "results2", "score", "dataset"),
        edge("score", "scored_dataset", "evaluate", "scored_dataset"),
    ]}
