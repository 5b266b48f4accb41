"""Set Up Web Service: a training graph turned into a predictive, retraining or data-service graph.

Pure functions on graph JSON (SPEC §2), no ORM: the service layer (experiments/setup.py) supplies the run
facts and saves the artifacts the result asks for. Every change is reported node by node, so the canvas can
say what was replaced, removed, added and kept, and the same training graph always gives the same result.

What a module becomes is declared on the module (`Module.web_service`); a module with a Transform output
and a table output is a fitted transform, replaced by Apply Transformation with the saved Transform so
scoring uses the training statistics.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from graphlib import CycleError
from typing import Any

from .engine.graph import Edge, Graph, GraphFormatError, Node, parse_graph
from .modules.evaluate import EvaluateModel
from .modules.framework.base import Module, ServiceRole
from .modules.framework.ports import PortType
from .modules.framework.registry import registry
from .modules.transform import ApplyTransformation
from .modules.webservice import TrainedModelSource, TransformSource, WebServiceInput, WebServiceOutput
from .node_names import listed, names_in, node_names
from .placement import COLUMN, ROW, spread
from .service_kinds import DATA, PREDICTIVE, RETRAINING

# The modules conversion places or looks for, by the ids their classes declare (frozen, as every module id).
INPUT_MODULE, OUTPUT_MODULE = WebServiceInput.id, WebServiceOutput.id
MODEL_SOURCE, TRANSFORM_SOURCE, APPLY = TrainedModelSource.id, TransformSource.id, ApplyTransformation.id
EVALUATE_MODULE = EvaluateModel.id


@dataclass(frozen=True)
class Change:
    node: str
    action: str  # replaced | removed | added | kept
    message: str

    def as_json(self) -> dict[str, str]:
        return {"node": self.node, "action": self.action, "message": self.message}


@dataclass
class Conversion:
    """The converted graph, what changed, and the saved artifacts its new nodes need."""

    kind: str  # a name of experiments/service_kinds.py: predictive | retraining | data
    graph: dict[str, Any]
    summary: list[Change]
    # New node id -> (training node, output port) whose saved artifact fills its reference parameter.
    artifacts: dict[str, tuple[str, str]] = field(default_factory=dict)
    generated: list[str] = field(default_factory=list)  # nodes made by the conversion (not the user's)
    train_node: str | None = None


class ConversionError(ValueError):
    """Set Up can't proceed; `problems` name the nodes involved (for the canvas and the API's errors)."""

    def __init__(self, message: str, problems: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []


@dataclass(frozen=True)
class RunFacts:
    """What Set Up needs to know of the experiment's last run."""

    id: int
    status: str
    graph: dict[str, Any]
    finished_nodes: frozenset[str]


# --- Checks ----------------------------------------------------------------------------------------


def canonical(graph: Mapping[str, Any]) -> str:
    """The graph without layout (positions, comments): what must not change between a run and Set Up."""
    nodes = sorted((n["id"], n["module"], json.dumps(n.get("params", {}), sort_keys=True))
                   for n in graph.get("nodes", []))
    edges = sorted((e["source"], e["source_port"], e["target"], e["target_port"]) for e in graph.get("edges", []))
    return json.dumps([nodes, edges])


def require_fresh_run(graph: Mapping[str, Any], run: RunFacts | None, needed: set[str]) -> None:
    """Set Up and Deploy need a finished run of exactly this graph, with the nodes they take outputs from."""
    if run is None:
        raise ConversionError("Run the experiment first: Set Up Web Service uses the outputs of a finished run.")
    if run.status != "finished":
        raise ConversionError(f"The last run ({run.id}) is {run.status}; run the experiment until it finishes.")
    if canonical(run.graph) != canonical(graph):
        raise ConversionError(f"The experiment changed after run {run.id}; run it again so the web service uses "
                              "the current modules and parameters.")
    missing = sorted(needed - run.finished_nodes)
    if missing:
        raise ConversionError(f"Run {run.id} did not finish {listed(names_in(graph), missing)}; run the whole "
                              "experiment.",
                              [{"node": node, "message": "not finished in the last run"} for node in missing])


def _parse(graph_json: Mapping[str, Any]) -> tuple[Graph, list[str]]:
    try:
        graph = parse_graph(graph_json)
        return graph, graph.order()
    except GraphFormatError as error:
        raise ConversionError("The experiment's graph is not valid; fix it and run it first.",
                              [problem.as_json() for problem in error.graph_problems]) from None
    except CycleError as error:
        cycle = " -> ".join(str(node) for node in error.args[1])
        raise ConversionError(f"The experiment has a cycle ({cycle}); remove it before Set Up Web Service.",
                              [{"node": error.args[1][0], "message": "part of a cycle"}]) from None


# --- Graph facts -----------------------------------------------------------------------------------


def _module(graph: Graph, node_id: str) -> type[Module]:
    return graph.module(node_id)


def _port_type(module: type[Module], port: str) -> PortType | None:
    return next((p.type for p in module.outputs if p.name == port), None)


def _fitted_ports(module: type[Module]) -> tuple[str, str] | None:
    """(table output, transform output) of a module that learns a transform while it runs."""
    tables = [p.name for p in module.outputs if p.type == PortType.DATA_TABLE]
    transforms = [p.name for p in module.outputs if p.type == PortType.TRANSFORM]
    if module.id in (APPLY, TRANSFORM_SOURCE) or not tables or not transforms:
        return None
    return tables[0], transforms[0]


def _table_input(module: type[Module]) -> str | None:
    return next((p.name for p in module.inputs if p.type == PortType.DATA_TABLE), None)


def _consumers(graph: Graph, node_id: str) -> list[Edge]:
    return [edge for edge in graph.edges if edge.source == node_id]


def _ancestors(graph: Graph, node_id: str) -> set[str]:
    return graph.ancestors_and_self([node_id]) - {node_id}


def _unique(graph_ids: set[str], wanted: str) -> str:
    candidate, n = wanted, 2
    while candidate in graph_ids:
        candidate, n = f"{wanted}-{n}", n + 1
    return candidate


def _offset(node: Node, dx: float, dy: float) -> dict[str, float]:
    return {"x": node.position.get("x", 0) + dx, "y": node.position.get("y", 0) + dy}


def _node(node_id: str, module: str, position: Mapping[str, float], params: dict[str, Any] | None = None,
          comment: str = "") -> dict[str, Any]:
    return {"id": node_id, "module": module, "params": params or {}, "position": dict(position), "comment": comment}


def _edge(source: str, source_port: str, target: str, target_port: str) -> dict[str, str]:
    return {"source": source, "source_port": source_port, "target": target, "target_port": target_port}


def _copy(node: Node) -> dict[str, Any]:
    return _node(node.id, node.module, node.position, dict(node.params), node.comment)


# --- Choosing the model ----------------------------------------------------------------------------


def _trainers_feeding_scorers(graph: Graph, order: list[str]) -> dict[str, list[str]]:
    """Trainer node -> the scoring nodes its trained model feeds, in graph order."""
    found: dict[str, list[str]] = {}
    for node_id in order:
        if _module(graph, node_id).web_service != ServiceRole.SCORE:
            continue
        model_edge = next((e for e in graph.incoming(node_id).values()
                           if _port_type(_module(graph, e.source), e.source_port) == PortType.TRAINED_MODEL), None)
        if model_edge is not None and _module(graph, model_edge.source).web_service == ServiceRole.TRAIN:
            found.setdefault(model_edge.source, []).append(node_id)
    return found


def _trainer_choices(names: Mapping[str, str], trainers: list[str]) -> str:
    """The nodes the API's train_node may name: each user-facing name with the id the request needs."""
    return ", ".join(f"{names[node]} (train_node \"{node}\")" for node in trainers) or "none"


def _choose_trainer(graph: Graph, order: list[str], train_node: str | None,
                    names: Mapping[str, str]) -> tuple[str, str]:
    """(trainer, scorer) for the predictive experiment; asks the user when the graph trains several models."""
    feeding = _trainers_feeding_scorers(graph, order)
    trainers = [node for node in order if _module(graph, node).web_service == ServiceRole.TRAIN]
    if train_node is not None:
        if train_node not in graph.nodes or _module(graph, train_node).web_service != ServiceRole.TRAIN:
            raise ConversionError(f"Node {train_node!r} does not train a model; choose one of: "
                                  f"{_trainer_choices(names, trainers)}.",
                                  [{"node": train_node, "message": "not a Train Model node"}])
        if train_node not in feeding:
            raise ConversionError(f"{names[train_node]} does not feed a Score Model; connect its trained "
                                  "model to Score Model so the web service knows how to score.",
                                  [{"node": train_node, "message": "no Score Model after it"}])
        return train_node, feeding[train_node][0]
    if not feeding:
        raise ConversionError(f"The experiment trains a model ({listed(names, trainers)}) but has no Score Model "
                              "using it; add Score Model after Train Model, run, and set up again.",
                              [{"node": node, "message": "no Score Model after it"} for node in trainers])
    if len(feeding) > 1:
        raise ConversionError(f"The experiment trains {len(feeding)} models ({listed(names, list(feeding))}); "
                              "choose the one the web "
                              "service should use (train_node).",
                              [{"node": node, "message": "one of the trained models to choose from"}
                               for node in feeding])
    trainer = next(iter(feeding))
    return trainer, feeding[trainer][0]


# --- Predictive and data services ------------------------------------------------------------------


class _Builder:
    """Walks back from the scoring node, copying what scoring needs and rewriting what only training needs."""

    def __init__(self, graph: Graph, order: list[str], names: Mapping[str, str]) -> None:
        self.graph, self.order, self.names = graph, order, dict(names)
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: list[dict[str, str]] = []
        self.artifacts: dict[str, tuple[str, str]] = {}
        self.replaced: dict[str, str] = {}
        self.removed: dict[str, str] = {}
        self.added: dict[str, str] = {}
        self.done: dict[tuple[str, str], tuple[str, str]] = {}
        self.restored: set[str] = set()  # the user's nodes of the predictive experiment being rebuilt
        self.previous: dict[str, str] = {}  # node id -> module of that experiment's nodes, to name them
        self.taken = set(graph.nodes)

    def name(self, node_id: str) -> str:
        """What the user calls a node of the training graph or of the graph being built."""
        if node_id in self.names:
            return self.names[node_id]
        module = str(self.nodes[node_id]["module"]) if node_id in self.nodes else self.previous.get(node_id, "")
        return registry.get(module).name if module in registry else node_id

    def new_id(self, wanted: str) -> str:
        node_id = _unique(self.taken, wanted)
        self.taken.add(node_id)
        return node_id

    def source(self, node_id: str, port: str) -> tuple[str, str]:
        """Where the converted graph gets what `node_id.port` gave in training (memoised per port)."""
        if (node_id, port) not in self.done:
            self.done[(node_id, port)] = self._source(node_id, port)
        return self.done[(node_id, port)]

    def _source(self, node_id: str, port: str) -> tuple[str, str]:
        graph, node = self.graph, self.graph.nodes[node_id]
        module = _module(graph, node_id)
        if module.web_service == ServiceRole.SAMPLE:
            into = _table_input(module)
            edge = graph.incoming(node_id).get(into or "")
            self.removed[node_id] = "bypassed: every row sent to the service is scored, so nothing is held out."
            if edge is None:
                raise ConversionError(f"{self.name(node_id)} has no input data.", [{"node": node_id,
                                                                                            "message": "no input"}])
            return self.source(edge.source, edge.source_port)
        if module.web_service == ServiceRole.TRAIN and _port_type(module, port) == PortType.TRAINED_MODEL:
            self.nodes[node_id] = _node(node_id, MODEL_SOURCE, node.position, {"trained_model": None},
                                        f"Trained by {self.name(node_id)} in training")
            self.artifacts[node_id] = (node_id, port)
            learners = [e.source for e in graph.incoming(node_id).values()
                        if _port_type(_module(graph, e.source), e.source_port) == PortType.UNTRAINED_MODEL]
            with_learner = f", with its learner {listed(self.names, learners)}," if learners else ""
            self.replaced[node_id] = (f"replaced{with_learner} by one Trained Model node: the model trained in the "
                                      "run, frozen.")
            for learner in learners:
                self.removed.setdefault(learner, "removed: its trained model is frozen in Trained Model.")
            return node_id, "trained_model"
        fitted = _fitted_ports(module)
        if fitted is not None:
            table_port, transform_port = fitted
            transform_id = self._transform_source(node_id, transform_port)
            if port == transform_port:
                return transform_id, "transformation"
            if port == table_port:
                into = _table_input(module)
                edge = graph.incoming(node_id).get(into or "")
                if edge is None:
                    raise ConversionError(f"{self.name(node_id)} has no input data.",
                                          [{"node": node_id, "message": "no input"}])
                data = self.source(edge.source, edge.source_port)
                self.nodes[node_id] = _node(node_id, APPLY, node.position, {}, node.comment)
                self.edges += [_edge(transform_id, "transformation", node_id, "transformation"),
                               _edge(*data, node_id, "dataset")]
                self.replaced[node_id] = ("replaced by Apply Transformation with the Transform it learned in "
                                          "training, so scoring uses the training statistics.")
                return node_id, "transformed_dataset"
        self.keep(node_id)
        return node_id, port

    def _transform_source(self, node_id: str, transform_port: str) -> str:
        transform_id = f"{node_id}-transform"
        if transform_id not in self.nodes:
            transform_id = self.new_id(transform_id) if transform_id in self.taken else transform_id
            self.taken.add(transform_id)
            node = self.graph.nodes[node_id]
            self.nodes[transform_id] = _node(transform_id, TRANSFORM_SOURCE, _offset(node, -COLUMN, 0),
                                             {"transform": None},
                                             f"Learned by {self.name(node_id)}")
            self.artifacts[transform_id] = (node_id, transform_port)
            self.added[transform_id] = (f"Transform saved from {self.name(node_id)} in the run, "
                                        "applied to the service's data.")
        return transform_id

    def keep(self, node_id: str) -> None:
        if node_id in self.nodes:
            return
        self.nodes[node_id] = _copy(self.graph.nodes[node_id])
        for port, edge in sorted(self.graph.incoming(node_id).items()):
            self.edges.append(_edge(*self.source(edge.source, edge.source_port), node_id, port))

    def graph_json(self) -> dict[str, Any]:
        order = {node_id: i for i, node_id in enumerate(self.order)}
        nodes = sorted(self.nodes.values(), key=lambda n: (order.get(n["id"], len(order)), n["id"]))
        return {"nodes": nodes, "edges": self.edges}


def _entry_edges(builder: _Builder, entry: str) -> list[dict[str, str]]:
    return [edge for edge in builder.edges if edge["source"] == entry]


def _insert_input(builder: _Builder, graph: Graph, roots: list[str]) -> str | None:
    """Web service input between the source data and what reads it; the source stays as sample data."""
    existing = next((n for n in builder.nodes.values() if n["module"] == INPUT_MODULE), None)
    if existing is not None:
        return str(existing["id"])
    root = next((r for r in roots if r in builder.nodes and _entry_edges(builder, r)), None)
    if root is None:
        return None
    input_id = builder.new_id(INPUT_MODULE)
    root_node = graph.nodes[root]
    port = _entry_edges(builder, root)[0]["source_port"]
    for edge in _entry_edges(builder, root):
        if edge["source_port"] == port:
            edge["source"], edge["source_port"] = input_id, "dataset"
    builder.nodes[input_id] = _node(input_id, INPUT_MODULE, _offset(root_node, 0, ROW), {"name": "input1"})
    builder.edges.append(_edge(root, port, input_id, "dataset"))
    first = next(e["target"] for e in builder.edges if e["source"] == input_id)
    builder.added[input_id] = (f"Web service input: requests' data enters before {builder.name(first)}; "
                               f"{builder.name(root)} stays as sample data.")
    return input_id


def _add_output(builder: _Builder, after: str, port: str, name: str = "output1") -> str:
    output_id = builder.new_id(OUTPUT_MODULE)
    position = builder.nodes[after]["position"]
    builder.nodes[output_id] = _node(output_id, OUTPUT_MODULE, {"x": position["x"], "y": position["y"] + ROW},
                                     {"name": name})
    builder.edges.append(_edge(after, port, output_id, "dataset"))
    builder.added[output_id] = f"Web service output after {builder.name(after)}: what the service returns."
    return output_id


def _table_port(builder: _Builder, node_id: str) -> str | None:
    module = registry.get(builder.nodes[node_id]["module"])
    return next((p.name for p in module.outputs if p.type == PortType.DATA_TABLE), None)


def _sink(builder: _Builder, start: str) -> str:
    """The last kept node downstream of `start` whose table nothing else reads: where the output goes."""
    below = {start}
    changed = True
    while changed:
        changed = False
        for edge in builder.edges:
            if edge["source"] in below and edge["target"] not in below:
                below.add(edge["target"])
                changed = True
    read = {edge["source"] for edge in builder.edges}
    ends = [n for n in builder.graph_json()["nodes"] if n["id"] in below and n["id"] not in read
            and n["module"] != OUTPUT_MODULE and _table_port(builder, n["id"])]
    return str(ends[-1]["id"]) if ends else start


def _summary(graph: Graph, order: list[str], builder: _Builder) -> list[Change]:
    changes: list[Change] = []
    for node_id in order:
        name = builder.name(node_id)
        if node_id in builder.replaced:
            changes.append(Change(node_id, "replaced", f"{name} is {builder.replaced[node_id]}"))
        elif node_id in builder.removed:
            changes.append(Change(node_id, "removed", f"{name} is {builder.removed[node_id]}"))
        elif node_id in builder.nodes:
            changes.append(Change(node_id, "kept", f"{name} is kept."))
        else:
            role = _module(graph, node_id).web_service
            why = ("evaluation only happens in training." if role == ServiceRole.EVALUATE
                   else "it is not on the path from the input data to the service's output.")
            changes.append(Change(node_id, "removed", f"{name} is removed: {why}"))
    changes += [Change(node_id, "added", message) for node_id, message in builder.added.items()]
    changes += [Change(node_id, "removed", f"Your module {builder.name(node_id)} was {message}")
                for node_id, message in builder.removed.items() if node_id not in graph.nodes]
    return changes


def _keep_after_scoring(builder: _Builder, graph: Graph, order: list[str], scorer: str) -> None:
    """Modules the user put after Score Model in training (e.g. Select Columns) stay, if all they read stays."""
    below = graph_descendants(graph, scorer)
    for node_id in order:
        module = _module(graph, node_id)
        if node_id not in below or module.web_service or module.id in (INPUT_MODULE, OUTPUT_MODULE):
            continue
        if all(edge.source in builder.nodes for edge in graph.incoming(node_id).values()):
            builder.keep(node_id)


def graph_descendants(graph: Graph, node_id: str) -> set[str]:
    found, stack = set(), [node_id]
    while stack:
        current = stack.pop()
        for edge in _consumers(graph, current):
            if edge.target not in found:
                found.add(edge.target)
                stack.append(edge.target)
    return found


def _roots(graph: Graph, order: list[str], prefer_above: str | None) -> list[str]:
    """Source nodes, the one that feeds `prefer_above` (the training data) first."""
    roots = [node_id for node_id in order if not graph.incoming(node_id)
             and _port_type(_module(graph, node_id), "dataset") == PortType.DATA_TABLE]
    if prefer_above is not None:
        feeding = _ancestors(graph, prefer_above)
        roots.sort(key=lambda r: r not in feeding)
    return roots


def _placed(builder: _Builder) -> dict[str, Any]:
    """The built graph with the nodes Set Up added moved off any node they would cover (experiments/placement.py)."""
    added = [n for n in builder.nodes if n not in builder.graph.nodes and n not in builder.restored]
    return spread(builder.graph_json(), added)


def predictive(graph_json: Mapping[str, Any], *, train_node: str | None = None,
               previous: Mapping[str, Any] | None = None, previous_generated: list[str] | None = None,
               captions: Mapping[str, str] | None = None) -> Conversion:
    """Training graph -> predictive graph (or a data service when nothing is trained).

    `previous` / `previous_generated`: the undeployed predictive graph being rebuilt and the nodes the last
    conversion made; the user's own nodes in it are kept where their inputs still exist. `captions`: what
    tells nodes of one module apart in messages (e.g. the saved datasets' names; experiments/node_names.py).
    """
    graph, order = _parse(graph_json)
    if not graph.nodes:
        raise ConversionError("The experiment is empty; add modules, run it, then set up a web service.")
    has_training = any(_module(graph, n).web_service in (ServiceRole.TRAIN, ServiceRole.SCORE) for n in order)
    names = node_names(graph, captions)
    builder = _Builder(graph, order, names)
    if has_training:
        trainer, scorer = _choose_trainer(graph, order, train_node, names)
        builder.keep(scorer)
        _keep_after_scoring(builder, graph, order, scorer)
        training_data = graph.incoming(trainer).get(_table_input(_module(graph, trainer)) or "")
        _insert_input(builder, graph, _roots(graph, order, training_data.source if training_data else None))
        end = scorer
    else:
        trainer = None
        for node_id in order:
            if _module(graph, node_id).web_service != ServiceRole.EVALUATE and node_id not in builder.removed:
                if _module(graph, node_id).id != OUTPUT_MODULE:
                    builder.source(node_id, _table_port_of(graph, node_id) or "")
        _insert_input(builder, graph, _roots(graph, order, None))
        end = next((n for n in reversed(order) if n in builder.nodes), order[-1])
    generated = [n for n in builder.nodes if n not in graph.nodes or n in builder.replaced]
    generated += [n for n in builder.nodes if n in builder.added and n not in generated]
    output_after = _restore_user_nodes(builder, previous, previous_generated or [])
    if output_after is None:
        sink = _sink(builder, end)
        output_after = (sink, _table_port(builder, sink) or "")
    output_id = _add_output(builder, *output_after)
    generated.append(output_id)
    result = _placed(builder)
    kept = [p for p in (previous or {}).get("web_service_parameters", []) if p.get("node") in builder.nodes]
    if kept:  # the user's web service parameters survive a rebuild where their modules do
        result["web_service_parameters"] = kept
    return Conversion(kind=PREDICTIVE.name if has_training else DATA.name, graph=result,
                      summary=_summary(graph, order, builder), artifacts=builder.artifacts,
                      generated=sorted(set(generated)), train_node=trainer)


def _table_port_of(graph: Graph, node_id: str) -> str | None:
    return next((p.name for p in _module(graph, node_id).outputs if p.type == PortType.DATA_TABLE), None)


def _restore_user_nodes(builder: _Builder, previous: Mapping[str, Any] | None,
                        generated: list[str]) -> tuple[str, str] | None:
    """Put back the user's additions to the predictive graph being rebuilt; returns where the output went."""
    if not previous:
        return None
    old_nodes = {n["id"]: n for n in previous.get("nodes", [])}
    builder.previous = {node_id: str(node["module"]) for node_id, node in old_nodes.items()}
    old_edges = previous.get("edges", [])
    user = [n for n in old_nodes if n not in generated and n not in builder.graph.nodes
            and old_nodes[n]["module"] != OUTPUT_MODULE]
    pending = list(user)
    progress = True
    while pending and progress:
        progress = False
        for node_id in list(pending):
            inputs = [e for e in old_edges if e["target"] == node_id]
            if all(e["source"] in builder.nodes for e in inputs):
                builder.nodes[node_id] = dict(old_nodes[node_id])
                builder.edges += [dict(e) for e in inputs]
                builder.added[node_id] = "Your module from the previous predictive experiment, kept."
                builder.taken.add(node_id)
                builder.restored.add(node_id)
                pending.remove(node_id)
                progress = True
    for node_id in pending:
        missing = sorted({e["source"] for e in old_edges if e["target"] == node_id} - set(builder.nodes))
        builder.removed[node_id] = f"dropped: its input {', '.join(map(builder.name, missing))} no longer exists."
    old_output = next((e for e in old_edges if old_nodes.get(e["target"], {}).get("module") == OUTPUT_MODULE), None)
    if old_output is not None and old_output["source"] in builder.nodes:
        return old_output["source"], old_output["source_port"]
    return None


# --- Retraining ------------------------------------------------------------------------------------


def retraining(graph_json: Mapping[str, Any], *, train_node: str | None = None,
               captions: Mapping[str, str] | None = None) -> Conversion:
    """The training graph with a Web service input at the training data and outputs for the trained model
    and the evaluation results (classic "Retraining Web Service"); already-present ones are kept."""
    graph, order = _parse(graph_json)
    names = node_names(graph, captions)
    trainers = [n for n in order if _module(graph, n).web_service == ServiceRole.TRAIN]
    if not trainers:
        raise ConversionError("A retraining web service needs a Train Model; this experiment trains nothing.")
    if train_node is None and len(trainers) > 1:
        raise ConversionError(f"The experiment trains {len(trainers)} models ({listed(names, trainers)}); choose "
                              "the one the retraining service returns (train_node).",
                              [{"node": n, "message": "one of the trained models to choose from"} for n in trainers])
    trainer = train_node or trainers[0]
    if trainer not in trainers:
        raise ConversionError(f"Node {trainer!r} does not train a model; choose one of: "
                              f"{_trainer_choices(names, trainers)}.")
    builder = _Builder(graph, order, names)
    for node_id in order:
        builder.nodes[node_id] = _copy(graph.nodes[node_id])
    builder.edges = [_edge(e.source, e.source_port, e.target, e.target_port) for e in graph.edges]
    outputs = {(e["source"], e["source_port"]) for e in builder.edges
               if builder.nodes[e["target"]]["module"] == OUTPUT_MODULE}
    data = graph.incoming(trainer).get(_table_input(_module(graph, trainer)) or "")
    if not any(n["module"] == INPUT_MODULE for n in builder.nodes.values()):
        _insert_input(builder, graph, _roots(graph, order, data.source if data else None))
    model_port = next(p.name for p in _module(graph, trainer).outputs if p.type == PortType.TRAINED_MODEL)
    wanted = [(trainer, model_port)]
    evaluators = [n for n in order if _module(graph, n).id == EVALUATE_MODULE and trainer in _ancestors(graph, n)]
    wanted += [(n, "evaluation_results") for n in evaluators[:1]]
    for index, (node_id, port) in enumerate(wanted, start=1):
        if (node_id, port) not in outputs:
            _add_output(builder, node_id, port, f"output{index}")
    changes = [Change(n, "kept", f"{builder.name(n)} is kept.") for n in order]
    changes += [Change(n, "added", m) for n, m in builder.added.items()]
    return Conversion(kind=RETRAINING.name, graph=_placed(builder), summary=changes,
                      generated=sorted(builder.added), train_node=trainer)


def bind(graph_json: Mapping[str, Any], saved: Mapping[str, int]) -> dict[str, Any]:
    """Fill the reference parameter of each new Trained Model / Transform node with its saved asset's id."""
    keys = {MODEL_SOURCE: "trained_model", TRANSFORM_SOURCE: "transform"}
    nodes = [{**node, "params": {**node["params"], keys[node["module"]]: saved[node["id"]]}}
             if node["id"] in saved else node for node in graph_json["nodes"]]
    return {"nodes": nodes, "edges": list(graph_json["edges"])}


def nodes_needed(conversion: Conversion) -> set[str]:
    """Training nodes whose outputs the conversion takes (they must have finished in the run)."""
    return {node for node, _ in conversion.artifacts.values()}
