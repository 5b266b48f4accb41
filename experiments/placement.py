"""Where Set Up Web Service puts nodes on the canvas: where the conversion asks, unless that box is taken.

The conversion places what it adds next to what it relates to (a Transform left of the module that learned
it, Web service input below the data, Web service output below Score Model); on a crowded canvas those spots
hold the user's modules. `spread` keeps every node where it is when its box is free, and otherwise moves it
to the nearest free spot, so no two nodes of the result overlap. The boxes are the canvas's node size
(`.module-node` in frontend/src/canvas.css is 220 px wide and at most 80 px tall), with a margin.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

NODE_WIDTH, NODE_HEIGHT = 220.0, 80.0
MARGIN = 20.0
STEP_X, STEP_Y = (NODE_WIDTH + MARGIN) / 2, (NODE_HEIGHT + MARGIN) / 2
ROW, COLUMN = NODE_HEIGHT + MARGIN, NODE_WIDTH + MARGIN  # from a node to the next one below it, beside it
REACH = 12  # grid steps searched around the wanted spot in each direction


@dataclass(frozen=True)
class Box:
    x: float
    y: float

    def overlaps(self, other: Box, margin: float = 0.0) -> bool:
        """Whether two node boxes intersect, or come closer than `margin`."""
        return abs(self.x - other.x) < NODE_WIDTH + margin and abs(self.y - other.y) < NODE_HEIGHT + margin


def _at(node: Mapping[str, Any]) -> Box:
    position = node.get("position") or {}
    return Box(float(position.get("x", 0)), float(position.get("y", 0)))


def _offsets() -> list[tuple[float, float]]:
    """Grid offsets nearest first, a step up or down counting double (a node keeps its row, so the canvas still
    reads top-down); among equally near ones, sideways first, right before left, down before up."""
    steps = [(i, j) for i in range(-REACH, REACH + 1) for j in range(-REACH, REACH + 1) if (i, j) != (0, 0)]
    steps.sort(key=lambda s: (math.hypot(s[0] * STEP_X, 2 * s[1] * STEP_Y), abs(s[1]), -s[0], -s[1]))
    return [(i * STEP_X, j * STEP_Y) for i, j in steps]


OFFSETS = _offsets()


def free_spot(wanted: Box, taken: list[Box], margin: float = MARGIN) -> Box:
    """`wanted` if no taken box overlaps it (closer than `margin`), else the nearest free grid spot around it."""
    if not any(wanted.overlaps(box, margin) for box in taken):
        return wanted
    for dx, dy in OFFSETS:
        candidate = Box(wanted.x + dx, wanted.y + dy)
        if not any(candidate.overlaps(box, MARGIN) for box in taken):
            return candidate
    return Box(max(box.x for box in taken) + NODE_WIDTH + MARGIN, wanted.y)  # a canvas crowded all around


def _room_below(where: dict[str, Box], wanted: Box, sources: list[str]) -> None:
    """Move every node below the new node's sources down, as far as it takes to free the new node's row: the
    canvas keeps flowing top-down (Web service input goes between the data and what reads it, not beside)."""
    top = max(where[source].y for source in sources)
    below = [node_id for node_id, box in where.items() if box.y > top]
    shift = wanted.y + ROW - min((where[node_id].y for node_id in below), default=math.inf)
    for node_id in below if shift > 0 else []:
        where[node_id] = Box(where[node_id].x, where[node_id].y + shift)


def _wanted(node: Mapping[str, Any], sources: list[str], targets: list[str], where: dict[str, Box]) -> Box:
    """Where an added node belongs, by what it connects to: below what feeds it (Web service input and output),
    else up and left of what it feeds (a Transform beside its Apply Transformation), else where it was put."""
    if sources:
        feeding = where[sources[0]]
        return Box(feeding.x, feeding.y + ROW)
    if targets:
        fed = where[targets[0]]
        return Box(fed.x - COLUMN, fed.y - ROW)
    return _at(node)


def spread(graph_json: Mapping[str, Any], movable: Collection[str]) -> dict[str, Any]:
    """The graph with every node on a free spot. The user's nodes first, where they are unless they already
    overlap one another. Then the `movable` ones (what Set Up added), next to what they connect to: one that
    goes between two nodes first, with the nodes below moved down to make its row; the others on the nearest
    free spot to theirs, with a margin."""
    nodes = list(graph_json.get("nodes", []))
    edges = list(graph_json.get("edges", []))
    where: dict[str, Box] = {}
    for node in [n for n in nodes if n["id"] not in movable]:
        where[node["id"]] = free_spot(_at(node), list(where.values()), 0.0)
    links = {n["id"]: ([e["source"] for e in edges if e["target"] == n["id"] and e["source"] in where],
                       [e["target"] for e in edges if e["source"] == n["id"] and e["target"] in where]) for n in nodes}
    added = sorted((n for n in nodes if n["id"] in movable), key=lambda n: not all(links[n["id"]]))
    for node in added:
        sources, targets = links[node["id"]]
        wanted = _wanted(node, sources, targets, where)
        if sources and targets and free_spot(wanted, list(where.values())) != wanted:
            _room_below(where, wanted, sources)
        where[node["id"]] = free_spot(wanted, list(where.values()))
    placed = [{**n, "position": {"x": where[n["id"]].x, "y": where[n["id"]].y}} for n in nodes]
    return {**graph_json, "nodes": placed}
