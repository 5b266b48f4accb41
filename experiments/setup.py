"""Set Up Web Service on an experiment: the conversion (experiments/conversion.py) plus what it needs from
the database — the last run, the artifacts saved as assets, and the linked predictive experiment."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction

from .assets import asset_from_bytes, run_output_record
from .conversion import (
    Change,
    Conversion,
    ConversionError,
    RunFacts,
    bind,
    nodes_needed,
    predictive,
    require_fresh_run,
    retraining,
)
from .engine import store
from .models import Asset, Experiment, NodeRun, Run
from .modules.framework.ports import PortType
from .modules.framework.registry import registry
from .selectors import saved_names_in
from .service_kinds import SERVICE_KINDS, SET_UP_CHOICES, SetUpOffer

PREDICTIVE_SUFFIX = " [predictive exp.]"


@dataclass
class SetUp:
    experiment: Experiment
    summary: list[Change]
    created: bool


def last_run_facts(experiment: Experiment) -> tuple[Run | None, RunFacts | None]:
    run = experiment.runs.order_by("-created").first()
    if run is None:
        return None, None
    finished = frozenset(run.node_runs.filter(status__in=[NodeRun.Status.FINISHED, NodeRun.Status.CACHED])
                         .values_list("node_id", flat=True))
    return run, RunFacts(run.pk, run.status, run.graph, finished)


def _saved_artifacts(experiment: Experiment, run: Run, conversion: Conversion,
                     user: User | None) -> dict[str, int]:
    """One asset per artifact the new graph references; the same run output is saved only once."""
    saved: dict[str, int] = {}
    graph = {node["id"]: node for node in run.graph["nodes"]}
    for new_node, (node, port) in conversion.artifacts.items():
        record = run_output_record(run, node, port)
        kind = Asset.Kind.TRAINED_MODEL if record["type"] == str(PortType.TRAINED_MODEL) else Asset.Kind.TRANSFORM
        existing = Asset.objects.filter(workspace=experiment.workspace, source_run=run, source_node=node,
                                        source_port=port).first()
        if existing is None:
            module = registry.get(graph[node]["module"]).name
            name = (f"{experiment.name} [trained model]" if kind == Asset.Kind.TRAINED_MODEL
                    else f"{experiment.name} [{module} transform]")
            store.load_output(record)  # the run's bytes are checked before they are kept
            existing = asset_from_bytes(workspace=experiment.workspace, kind=kind, name=name,
                                        data=store.read_bytes(record["path"]), run=run, node=node, port=port,
                                        description=f"Saved by Set Up Web Service from run {run.pk}, node {node}.",
                                        created_by=user)
        saved[new_node] = existing.pk
    return saved


def predictive_of(experiment: Experiment) -> Experiment | None:
    """The predictive experiment the training experiment's second tab shows: the newest one linked."""
    return experiment.predictive_experiments.order_by("-created", "-pk").first()


def is_deployed(experiment: Experiment) -> bool:
    return experiment.web_services.exists()  # type: ignore[attr-defined]


def setup_web_service(*, experiment: Experiment, kind: str, train_node: str | None = None,
                      user: User | None = None) -> SetUp:
    """Predictive: create the linked predictive experiment, or rebuild it in place while it is undeployed
    (once deployed, a new one is made so a live service never changes). Retraining: this experiment gets
    its web service input and outputs. Raises ConversionError with a message for the user."""
    if experiment.kind != Experiment.Kind.TRAINING:
        raise ConversionError("Set Up Web Service starts from a training experiment; this one is predictive. "
                              "Edit it and Deploy, or set up again from its training experiment.")
    run, facts = last_run_facts(experiment)
    captions = saved_names_in(experiment.workspace, experiment.graph)
    offered = SERVICE_KINDS[kind].set_up if kind in SET_UP_CHOICES else SetUpOffer.NOT_OFFERED
    if offered == SetUpOffer.IN_PLACE:
        conversion = retraining(experiment.graph, train_node=train_node, captions=captions)
        with transaction.atomic():
            experiment.graph = conversion.graph
            experiment.save(update_fields=["graph", "updated"])
        return SetUp(experiment, conversion.summary, created=False)
    if offered != SetUpOffer.NEW_EXPERIMENT:
        raise ConversionError(f"Unknown kind {kind!r}: choose {' or '.join(SET_UP_CHOICES)}.")
    current = predictive_of(experiment)
    rebuild = current if current is not None and not is_deployed(current) else None
    conversion = predictive(experiment.graph, train_node=train_node,
                            previous=rebuild.graph if rebuild else None,
                            previous_generated=rebuild.conversion.get("generated", []) if rebuild else None,
                            captions=captions)
    needed = nodes_needed(conversion)
    require_fresh_run(experiment.graph, facts, needed)
    assert run is not None  # require_fresh_run refused otherwise
    with transaction.atomic():
        graph = bind(conversion.graph, _saved_artifacts(experiment, run, conversion, user))
        record = {"generated": conversion.generated, "train_node": conversion.train_node, "run": run.pk,
                  "kind": conversion.kind}
        if rebuild is not None:
            rebuild.graph, rebuild.conversion = graph, record
            rebuild.name = f"{experiment.name}{PREDICTIVE_SUFFIX}"
            rebuild.save(update_fields=["graph", "conversion", "name", "updated"])
            return SetUp(rebuild, conversion.summary, created=False)
        made = Experiment.objects.create(workspace=experiment.workspace, kind=Experiment.Kind.PREDICTIVE,
                                         name=f"{experiment.name}{PREDICTIVE_SUFFIX}", training_experiment=experiment,
                                         graph=graph, conversion=record, created_by=user)
    return SetUp(made, conversion.summary, created=True)
