"""What a person calls a node of their experiment: its module's name, as the canvas shows it, never its id.

Node ids ("n5") are internal; messages that point at a node (Set Up's summary, a run that did not finish a
node) use the module's name, and where several nodes share it, the node's caption (its comment or the saved
object it reads), or else its place in reading order on the canvas ("Train Model 2").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .engine.graph import Graph, GraphFormatError, parse_graph
from .modules.framework.registry import registry

CAPTION_LENGTH = 40


def _reading_order(graph: Graph, node_id: str) -> tuple[float, float, str]:
    position = graph.nodes[node_id].position
    return float(position.get("y", 0)), float(position.get("x", 0)), node_id


def _module_name(graph: Graph, node_id: str) -> str:
    module = graph.nodes[node_id].module
    return registry.get(module).name if module in registry else module


def _caption(graph: Graph, node_id: str, captions: Mapping[str, str]) -> str:
    text = captions.get(node_id) or graph.nodes[node_id].comment.strip().split("\n")[0]
    return text if len(text) <= CAPTION_LENGTH else f"{text[:CAPTION_LENGTH - 1]}…"


def node_names(graph: Graph, captions: Mapping[str, str] | None = None) -> dict[str, str]:
    """Node id -> the name to use for it in a message. `captions`: e.g. the names of the saved datasets and
    models nodes read (looked up by the caller: this stays a pure function)."""
    groups: dict[str, list[str]] = {}
    for node_id in sorted(graph.nodes, key=lambda n: _reading_order(graph, n)):
        groups.setdefault(_module_name(graph, node_id), []).append(node_id)
    names: dict[str, str] = {}
    for module_name, ids in groups.items():
        shown = [_caption(graph, node_id, captions or {}) for node_id in ids]
        for index, (node_id, caption) in enumerate(zip(ids, shown, strict=True), start=1):
            if len(ids) == 1:
                names[node_id] = module_name
            elif caption and shown.count(caption) == 1:
                names[node_id] = f"{module_name} “{caption}”"
            else:
                names[node_id] = f"{module_name} {index}"
    return names


def names_in(graph_json: Mapping[str, Any], captions: Mapping[str, str] | None = None) -> dict[str, str]:
    """node_names for graph JSON; a graph that does not parse keeps its ids (its problems are reported elsewhere)."""
    try:
        return node_names(parse_graph(graph_json), captions)
    except GraphFormatError:
        return {}


def listed(names: Mapping[str, str], node_ids: list[str]) -> str:
    """"Train Model 1, Train Model 2": the nodes' names, for a sentence."""
    return ", ".join(names.get(node_id, node_id) for node_id in node_ids)
