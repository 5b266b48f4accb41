"""Graphs: parse the SPEC §2 JSON, validate it completely, and order it for execution.

Validation collects every problem (never stops at the first), each pointing at a node, and where it
applies a parameter, a column or an edge: acyclic, known modules, port names and types, one edge per
input, required inputs connected, parameter values, and column selections resolvable against the
upstream schemas that can be known without running.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any

from experiments.modules.framework.base import Module, Problem, SchemaContext
from experiments.modules.framework.columns import ColumnsNotFound, resolve_columns
from experiments.modules.framework.datatable import Schema
from experiments.modules.framework.params import Columns
from experiments.modules.framework.ports import PortType, accepts
from experiments.modules.framework.registry import registry
from studio.errors import AtelierError

MAX_NODES = 500


@dataclass(frozen=True)
class Edge:
    source: str
    source_port: str
    target: str
    target_port: str

    @property
    def label(self) -> str:
        return f"{self.source}.{self.source_port} -> {self.target}.{self.target_port}"


@dataclass
class Node:
    id: str
    module: str
    params: dict[str, Any] = field(default_factory=dict)
    position: dict[str, float] = field(default_factory=lambda: {"x": 0, "y": 0})
    comment: str = ""


@dataclass(frozen=True)
class WebParameter:
    """A module parameter a web service call may set through GlobalParameters (classic "web service
    parameter"): its public name, where it applies, and its default."""

    name: str
    node: str
    parameter: str
    default: Any = None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "node": self.node, "parameter": self.parameter, "default": self.default}


@dataclass
class Graph:
    nodes: dict[str, Node]
    edges: list[Edge]
    web_parameters: list[WebParameter] = field(default_factory=list)

    def incoming(self, node_id: str) -> dict[str, Edge]:
        return {edge.target_port: edge for edge in self.edges if edge.target == node_id}

    def order(self) -> list[str]:
        """Node ids in an order where every node comes after what it needs (raises CycleError)."""
        sorter: TopologicalSorter[str] = TopologicalSorter({node_id: set() for node_id in self.nodes})
        for edge in self.edges:
            sorter.add(edge.target, edge.source)
        return list(sorter.static_order())

    def ancestors_and_self(self, node_ids: Iterable[str]) -> set[str]:
        wanted, stack = set(), list(node_ids)
        while stack:
            node_id = stack.pop()
            if node_id not in wanted:
                wanted.add(node_id)
                stack.extend(edge.source for edge in self.edges if edge.target == node_id)
        return wanted

    def module(self, node_id: str) -> type[Module]:
        return registry.get(self.nodes[node_id].module)


class GraphFormatError(AtelierError, ValueError):
    """The graph JSON is not a graph (SPEC §2 shapes): every problem found, none of them about a module."""

    code = "malformed"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.graph_problems = problems

    def problems(self) -> list[dict[str, Any]]:
        """One API problem per problem found, about its node where it has one."""
        return [{"message": p.message, "code": self.code, **({"target": p.node} if p.node else {})}
                for p in self.graph_problems]


def parse_graph(data: Any) -> Graph:
    """The graph JSON as objects; raises GraphFormatError for malformed JSON structure."""
    if not isinstance(data, Mapping) or not isinstance(data.get("nodes", []), list) \
            or not isinstance(data.get("edges", []), list):
        raise GraphFormatError([Problem(None, "A graph is an object with a list of 'nodes' and a list of 'edges'.")])
    problems: list[Problem] = []
    nodes: dict[str, Node] = {}
    for index, raw in enumerate(data.get("nodes", [])):
        node = _parse_node(raw, index, problems)
        if node is not None and node.id in nodes:
            problems.append(Problem(node.id, f"Node id '{node.id}' is used twice; node ids must be unique."))
        elif node is not None:
            nodes[node.id] = node
    edges = [edge for index, raw in enumerate(data.get("edges", [])) if (edge := _parse_edge(raw, index, problems))]
    web_parameters = _parse_web_parameters(data.get("web_service_parameters", []), problems)
    if len(nodes) > MAX_NODES:
        problems.append(Problem(None, f"A graph may have at most {MAX_NODES} nodes; this one has {len(nodes)}."))
    if problems:
        raise GraphFormatError(problems)
    return Graph(nodes, edges, web_parameters)


def _parse_web_parameters(raw: Any, problems: list[Problem]) -> list[WebParameter]:
    if not isinstance(raw, list) or not all(isinstance(item, Mapping) for item in raw):
        problems.append(Problem(None, "'web_service_parameters' must be a list of {name, node, parameter, default}."))
        return []
    found = []
    for item in raw:
        name, node, parameter = item.get("name"), item.get("node"), item.get("parameter")
        if not all(isinstance(value, str) and value.strip() for value in (name, node, parameter)):
            problems.append(Problem(None, "A web service parameter needs a string 'name', 'node' and 'parameter'."))
            continue
        found.append(WebParameter(str(name).strip(), str(node), str(parameter), item.get("default")))
    names = [parameter.name for parameter in found]
    for name in sorted({name for name in names if names.count(name) > 1}):
        problems.append(Problem(None, f"Two web service parameters are named '{name}'; names must be unique."))
    return found


def _parse_node(raw: Any, index: int, problems: list[Problem]) -> Node | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("id"), str) or not raw["id"].strip() \
            or not isinstance(raw.get("module"), str):
        problems.append(Problem(None, f"Node #{index + 1} needs a string 'id' and a string 'module'."))
        return None
    params, position, comment = raw.get("params") or {}, raw.get("position") or {"x": 0, "y": 0}, raw.get("comment")
    if not isinstance(params, Mapping):
        problems.append(Problem(raw["id"], f"The 'params' of node {raw['id']} must be an object."))
        return None
    if not isinstance(position, Mapping) or not all(isinstance(position.get(k), (int, float)) for k in ("x", "y")):
        problems.append(Problem(raw["id"], f"The 'position' of node {raw['id']} must be {{'x': number, 'y': number}}."))
        return None
    return Node(raw["id"], raw["module"], dict(params), {"x": position["x"], "y": position["y"]},
                comment if isinstance(comment, str) else "")


def _parse_edge(raw: Any, index: int, problems: list[Problem]) -> Edge | None:
    keys = ("source", "source_port", "target", "target_port")
    if not isinstance(raw, Mapping) or not all(isinstance(raw.get(key), str) for key in keys):
        problems.append(Problem(None, f"Edge #{index + 1} needs string 'source', 'source_port', 'target' and "
                                      "'target_port'.", edge=f"#{index + 1}"))
        return None
    return Edge(*(raw[key] for key in keys))


def node_json(node_id: str, module: str, x: float = 0, y: float = 0, *, comment: str = "",
              **params: Any) -> dict[str, Any]:
    """One node of the graph JSON (SPEC §2), for code that builds graphs: conversion, tests, benchmarks."""
    return {"id": node_id, "module": module, "params": params, "position": {"x": x, "y": y}, "comment": comment}


def edge_json(source: str, source_port: str, target: str, target_port: str) -> dict[str, str]:
    return {"source": source, "source_port": source_port, "target": target, "target_port": target_port}


def graph_to_json(graph: Graph) -> dict[str, Any]:
    body: dict[str, Any] = {
        "nodes": [{"id": n.id, "module": n.module, "params": n.params, "position": n.position,
                   "comment": n.comment} for n in graph.nodes.values()],
        "edges": [{"source": e.source, "source_port": e.source_port, "target": e.target,
                   "target_port": e.target_port} for e in graph.edges]}
    if graph.web_parameters:
        body["web_service_parameters"] = [parameter.as_json() for parameter in graph.web_parameters]
    return body


# --- Validation ----------------------------------------------------------------------------------


def validate_graph(graph: Graph, schema_ctx: SchemaContext | None = None,
                   known: Mapping[tuple[str, str], Schema] | None = None) -> list[Problem]:
    """Every problem in the graph; an empty list means it can run. `known` as for infer_schemas."""
    problems = [Problem(node.id, f"Node {node.id} uses an unknown module '{node.module}'.", code="unknown-module")
                for node in graph.nodes.values() if node.module not in registry]
    problems += _edge_problems(graph)
    try:
        order = graph.order()
    except CycleError as cycle:
        members = " -> ".join(dict.fromkeys(cycle.args[1]))
        return [*problems, Problem(cycle.args[1][0], f"The graph has a cycle: {members}.", code="cycle")]
    if problems:
        return problems
    return _walk(graph, order, schema_ctx or SchemaContext(), known)[0] + _web_parameter_problems(graph)


def _web_parameter_problems(graph: Graph) -> list[Problem]:
    """Each web service parameter names a real parameter of a node, and its default is a valid value."""
    problems = []
    for web in graph.web_parameters:
        if web.node not in graph.nodes:
            problems.append(Problem(None, f"Web service parameter '{web.name}' refers to node '{web.node}', which is "
                                          "not in the graph.", code="web-parameter"))
            continue
        module = graph.module(web.node)
        if web.parameter not in module.params:
            problems.append(Problem(web.node, f"Web service parameter '{web.name}': {module.name} has no parameter "
                                              f"'{web.parameter}'.", parameter=web.parameter, code="web-parameter"))
            continue
        if web.default is not None:
            params = {**graph.nodes[web.node].params, web.parameter: web.default}
            _, wrong = module.clean_params(params, web.node)
            problems += [Problem(web.node, f"The default of web service parameter '{web.name}': {p.message}",
                                 parameter=web.parameter, code="web-parameter")
                         for p in wrong if p.parameter == web.parameter]
    return problems


def infer_schemas(graph: Graph, schema_ctx: SchemaContext | None = None,
                  known: Mapping[tuple[str, str], Schema] | None = None) -> dict[tuple[str, str], Schema]:
    """The output columns of every node whose schema can be known without running (for the canvas).
    `known`: outputs already seen in a run, used as they are (inference continues from them)."""
    try:
        order = graph.order()
    except CycleError:
        return {}
    if any(node.module not in registry for node in graph.nodes.values()):
        return {}
    schemas = _walk(graph, order, schema_ctx or SchemaContext(), known or {})[1]
    return {key: schema for key, schema in schemas.items() if schema is not None}


def _edge_problems(graph: Graph) -> list[Problem]:
    problems: list[Problem] = []
    seen_inputs: dict[tuple[str, str], Edge] = {}
    for edge in graph.edges:
        problem = _edge_problem(graph, edge)
        if problem is None and (edge.target, edge.target_port) in seen_inputs:
            problem = f"Input '{edge.target_port}' of node {edge.target} already has an edge; an input takes one."
        seen_inputs[(edge.target, edge.target_port)] = edge
        if problem:
            problems.append(Problem(edge.target if edge.target in graph.nodes else None, problem, edge=edge.label,
                                    code="edge"))
    return problems


def _edge_problem(graph: Graph, edge: Edge) -> str | None:
    for end in (edge.source, edge.target):
        if end not in graph.nodes:
            return f"Edge {edge.label} refers to node '{end}', which is not in the graph."
    if graph.nodes[edge.source].module not in registry or graph.nodes[edge.target].module not in registry:
        return None  # reported as an unknown module
    source, target = graph.module(edge.source), graph.module(edge.target)
    out = next((port for port in source.outputs if port.name == edge.source_port), None)
    into = next((port for port in target.inputs if port.name == edge.target_port), None)
    if out is None:
        return f"{source.name} (node {edge.source}) has no output port '{edge.source_port}'."
    if into is None:
        return f"{target.name} (node {edge.target}) has no input port '{edge.target_port}'."
    if not accepts(into.type, out.type):
        return (f"Edge {edge.label} connects a {out.type} output to a {into.type} input; "
                "the port types must match.")
    return None


def _walk(graph: Graph, order: list[str], schema_ctx: SchemaContext,
          known: Mapping[tuple[str, str], Schema] | None = None,
          ) -> tuple[list[Problem], dict[tuple[str, str], Schema | None]]:
    """One pass in execution order: each node's problems, and its output schemas where inferable."""
    problems: list[Problem] = []
    schemas: dict[tuple[str, str], Schema | None] = {}
    for node_id in order:
        node, module = graph.nodes[node_id], graph.module(node_id)
        incoming = graph.incoming(node_id)
        problems += [Problem(node_id, f"{module.name} (node {node_id}) needs its '{port.name}' input connected.")
                     for port in module.inputs if not port.optional and port.name not in incoming]
        params, param_problems = module.clean_params(node.params, node_id)
        problems += param_problems
        inputs = {port: schemas.get((edge.source, edge.source_port)) for port, edge in incoming.items()}
        if param_problems:
            continue
        problems += _column_problems(module, node_id, params, inputs)
        problems += module.check_inputs(params, inputs, node_id)
        seen = {port.name: (known or {})[(node_id, port.name)] for port in module.outputs
                if (node_id, port.name) in (known or {})}
        try:
            outputs = seen or module().infer_schema(inputs, params, schema_ctx)
        except Exception:  # inference is best effort; the run reports the real error
            outputs = {}
        schemas.update({(node_id, port): schema for port, schema in outputs.items()})
    return problems, schemas


def _column_problems(module: type[Module], node_id: str, params: Mapping[str, Any],
                     inputs: Mapping[str, Schema | None]) -> list[Problem]:
    """Column selections checked against the schema of the input they select from (their `input`, else the first
    DataTable input), when it is known."""
    table_ports = [port.name for port in module.inputs if port.type == PortType.DATA_TABLE]
    problems = []
    for key, param in module.params.items():
        if not isinstance(param, Columns) or not (param.input or table_ports):
            continue
        schema = inputs.get(param.input or table_ports[0])
        if schema is not None and params.get(key) is not None and _param_visible(module, key, params):
            try:
                resolve_columns(params[key], schema)
            except ColumnsNotFound as missing:
                problems.append(Problem(node_id, f"The '{param.label}' parameter of {module.name} (node {node_id}): "
                                        f"{missing}.", parameter=key, column=missing.missing[0]))
    return problems


def _param_visible(module: type[Module], key: str, params: Mapping[str, Any]) -> bool:
    when = module.params[key].when or {}
    return all(params.get(other) in values for other, values in when.items())
