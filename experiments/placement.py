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
    """Grid offsets nearest first; among equally near ones, sideways before up or down, right before left."""
    steps = [(i, j) for i in range(-REACH, REACH + 1) for j in range(-REACH, REACH + 1) if (i, j) != (0, 0)]
    steps.sort(key=lambda s: (math.hypot(s[0] * STEP_X, s[1] * STEP_Y), abs(s[1]), -s[0], -s[1]))
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


def spread(graph_json: Mapping[str, Any], movable: Collection[str]) -> dict[str, Any]:
    """The graph with every node on a free spot: the user's nodes first, where they are unless they already
    overlap one another; then the `movable` ones (what Set Up added), each as near as it can be to where the
    conversion put it, with a margin around it."""
    nodes = list(graph_json.get("nodes", []))
    order = [n for n in nodes if n["id"] not in movable] + [n for n in nodes if n["id"] in movable]
    taken: list[Box] = []
    where: dict[str, Box] = {}
    for node in order:
        spot = free_spot(_at(node), taken, MARGIN if node["id"] in movable else 0.0)
        taken.append(spot)
        where[node["id"]] = spot
    placed = [{**n, "position": {"x": where[n["id"]].x, "y": where[n["id"]].y}} for n in nodes]
    return {**graph_json, "nodes": placed}

