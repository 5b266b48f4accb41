"""Writes for experiments and runs: create, update with validation, start, cancel, reap dead runs."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from studio.models import Workspace
from studio.workqueue import work_dispatch

from .engine.graph import GraphFormatError, graph_to_json, infer_schemas, parse_graph, validate_graph
from .models import Asset, Experiment, NodeRun, Run
from .modules.framework.base import Problem
from .modules.framework.columns import selector_types
from .run_queue import run_terminate
from .runner import run_graph
from .selectors import schema_context, services_deployed_from

logger = logging.getLogger(__name__)
STALE_AFTER = timedelta(seconds=20)
STRUCTURAL = {"unknown-module", "edge", "cycle"}


class InvalidGraph(Exception):
    """The graph can't be saved or run; `problems` say where."""

    def __init__(self, detail: str, problems: list[Problem]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems


def experiment_create(*, workspace: Workspace, name: str, created_by: User | None,
                      graph: Mapping[str, Any] | None = None) -> Experiment:
    experiment = Experiment(workspace=workspace, name=name.strip() or "Untitled experiment", created_by=created_by)
    if graph is not None:
        experiment.graph = graph_to_json(_checked(graph))
    experiment.save()
    return experiment


def experiment_update(*, experiment: Experiment, name: str | None = None,
                      graph: Mapping[str, Any] | None = None) -> Experiment:
    """Save edits. A malformed graph, an unknown module or an impossible edge is refused (the canvas can't
    draw them); an unfinished graph (missing inputs, bad parameter values) is saved with its problems
    listed, as the classic canvas let you save a half-built experiment, but can't be run."""
    if name is not None:
        experiment.name = name.strip() or experiment.name
    if graph is not None:
        experiment.graph = graph_to_json(_checked(graph))
    experiment.save()
    return experiment


def experiment_save_as(*, experiment: Experiment, name: str, created_by: User | None) -> Experiment:
    return Experiment.objects.create(workspace=experiment.workspace, name=name.strip() or f"{experiment.name} (copy)",
                                     kind=experiment.kind, graph=experiment.graph, created_by=created_by)


class ExperimentDeployed(Exception):
    """Deleting the experiment needs a confirmation: web services were deployed from it or from its predictive
    experiment (the classic studio warned too). `detail` names them; `services` are they."""

    def __init__(self, detail: str, services: list[Any]) -> None:
        super().__init__(detail)
        self.detail, self.services = detail, services


def experiment_delete_warning(experiment: Experiment) -> str:
    """What deleting the experiment does to web services: each one that depends on it, named with what tells it
    from a twin, and what becomes of it ('' when none does)."""
    said = []
    for source, service in services_deployed_from(experiment):
        if source.pk == experiment.pk:
            said.append(f"It is deployed as the web service {service.label}: the service keeps running with its "
                        "keys, but this experiment can no longer update it (delete the service on its page to stop "
                        "it).")
        else:
            said.append(f"Its predictive experiment '{source.name}' is deployed as the web service {service.label}: "
                        "both are kept and keep working.")
    return " ".join(said)


def experiment_delete(*, experiment: Experiment, force: bool = False) -> None:
    """Delete the experiment and its runs; refused with ExperimentDeployed unless `force` when web services
    depend on it. The services keep running (their deployments are frozen snapshots); so do saved models."""
    services = [service for _, service in services_deployed_from(experiment)]
    if services and not force:
        raise ExperimentDeployed(f"The experiment '{experiment.name}' has web services. "
                                 f"{experiment_delete_warning(experiment)}", services)
    experiment.delete()


def _checked(graph: Mapping[str, Any]) -> Any:
    try:
        parsed = parse_graph(graph)
    except GraphFormatError as error:
        raise InvalidGraph("The graph is malformed.", error.graph_problems) from None
    structural = [problem for problem in validate_graph(parsed) if problem.code in STRUCTURAL]
    if structural:
        raise InvalidGraph(structural[0].message, structural)
    return parsed


def experiment_problems(experiment: Experiment) -> list[Problem]:
    return validate_graph(parse_graph(experiment.graph), schema_context(experiment.workspace))


def experiment_schemas(experiment: Experiment) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """{node: {output port: [{"name", "kind", "role", "types"}]}} for every output knowable before running."""
    schemas = infer_schemas(parse_graph(experiment.graph), schema_context(experiment.workspace))
    result: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for (node, port), schema in schemas.items():
        result.setdefault(node, {})[port] = [column.as_json() | {"types": selector_types(column)}
                                        for column in schema]
    return result


@transaction.atomic
def run_start(*, experiment: Experiment, nodes: list[str] | None = None,
              created_by: User | None = None) -> Run:
    """Validate, snapshot the graph, and record the run as queued; when the transaction commits, the fair queue
    sends its task if its workspace has a free place (studio/workqueue.py), otherwise it waits its turn."""
    graph = parse_graph(experiment.graph)
    if not graph.nodes:
        raise InvalidGraph("The experiment has no modules to run.", [])
    unknown = [node for node in nodes or [] if node not in graph.nodes]
    if unknown:
        raise InvalidGraph(f"Node {unknown[0]} is not in the experiment.", [Problem(unknown[0], "No such node.")])
    wanted = graph.ancestors_and_self(nodes) if nodes else set(graph.nodes)
    problems = [p for p in experiment_problems(experiment) if p.node is None or p.node in wanted]
    if problems:
        raise InvalidGraph("The experiment is not valid; fix the problems listed and run again.", problems)
    run = Run.objects.create(experiment=experiment, graph=experiment.graph, selected=list(nodes or []),
                             created_by=created_by)
    NodeRun.objects.bulk_create([NodeRun(run=run, node_id=node_id, module=graph.nodes[node_id].module)
                                 for node_id in graph.order() if node_id in wanted])
    transaction.on_commit(partial(work_dispatch, experiment.workspace_id))
    return run


def run_cancel(*, run: Run) -> Run:
    """A queued run stops at once. A running one is stopped by killing the worker process executing it (so a
    long fit stops within seconds), then marked cancelled; if the task queue can't be reached to do that, the
    executor stops at its next module boundary or progress report and marks it then."""
    if not run.is_active:
        return run
    Run.objects.filter(pk=run.pk).update(cancel_requested=True)  # from now on no worker can claim it
    run.refresh_from_db()
    if run.status == Run.Status.QUEUED:
        run_finish(run_id=run.pk, status=Run.Status.CANCELLED, error="Cancelled before it started")
    elif run.status == Run.Status.RUNNING and run_terminate(run):
        if run_finish(run_id=run.pk, status=Run.Status.CANCELLED, error="Cancelled"):
            _send_run_event(run, Run.Status.CANCELLED)
    work_dispatch(run.experiment.workspace_id)
    run.refresh_from_db()
    return run


def run_finish(*, run_id: int, status: str, error: str = "") -> bool:
    """Write a run's final state, once: False (nothing written) if it had already ended, so a cancelled run's
    dying executor, or a reaper racing the executor, never overwrites the first outcome."""
    now = timezone.now()
    active = [Run.Status.QUEUED, Run.Status.RUNNING]
    if not Run.objects.filter(pk=run_id, status__in=active).update(status=status, finished=now, error=error):
        return False
    nodes = NodeRun.objects.filter(run_id=run_id)
    if status == Run.Status.CANCELLED:
        nodes.filter(status=NodeRun.Status.RUNNING).update(status=NodeRun.Status.SKIPPED, finished=now,
                                                            error="Cancelled while running")
    node_status = NodeRun.Status.FAILED if status == Run.Status.FAILED else NodeRun.Status.SKIPPED
    nodes.filter(status__in=[NodeRun.Status.QUEUED, NodeRun.Status.RUNNING]).update(
        status=node_status, finished=now, error=error or "Not run")
    return True


def run_reap_if_stale(run: Run) -> Run:
    """A run whose worker stopped beating is failed, never left 'running' forever."""
    if run.status == Run.Status.RUNNING and run.heartbeat and timezone.now() - run.heartbeat > STALE_AFTER:
        run_finish(run_id=run.pk, status=Run.Status.FAILED,
                   error=f"The worker running this experiment ({run.worker or 'unknown'}) stopped responding.")
        run.refresh_from_db()
    return run


def runs_reap_stale() -> int:
    """Fail every stale running run (called when a worker starts, and when a run is read)."""
    stale = Run.objects.filter(status=Run.Status.RUNNING, heartbeat__lt=timezone.now() - STALE_AFTER)
    return sum(1 for run in stale if run_reap_if_stale(run).status == Run.Status.FAILED)


# --- Executing a run (on the worker) ------------------------------------------------------------


def run_execute(*, run_id: int, worker: str, task_id: str = "") -> str:
    """Claim the run and execute it. Only a delivery of the run's current task id claims it: a duplicate or a
    superseded message (sent again after a loss) does nothing. The current message delivered again while the run
    is 'running' means its worker was lost mid-run: the run is failed with that reason, not executed twice.
    (No task id: a run created and executed in-process, never sent, as tests and benchmarks do.)"""
    now = timezone.now()
    claimed = Run.objects.filter(pk=run_id, status=Run.Status.QUEUED, cancel_requested=False,
                                 task_id=task_id).update(status=Run.Status.RUNNING, started=now, heartbeat=now,
                                                         worker=worker)
    run = Run.objects.select_related("experiment").filter(pk=run_id).first()
    if run is None:
        return "deleted"  # with its experiment, while its message waited: nothing to do
    if not claimed:
        if run.status == Run.Status.RUNNING and run.task_id == task_id and run_finish(
                run_id=run_id, status=Run.Status.FAILED,
                error=f"The worker running this experiment ({run.worker}) was lost mid-run."):
            _send_run_event(run, Run.Status.FAILED)
        return Run.objects.get(pk=run_id).status
    _send_run_event(run, Run.Status.RUNNING)
    workspace = run.experiment.workspace
    status = run_graph(run, loaders_for(workspace), fingerprint_for(workspace))
    failed = run.node_runs.filter(status=NodeRun.Status.FAILED).values_list("node_id", flat=True)
    error = f"Failed at node {', '.join(failed)}" if status == Run.Status.FAILED else ""
    if run_finish(run_id=run_id, status=status, error=error):
        _send_run_event(run, status)
    return Run.objects.get(pk=run_id).status


def _send_run_event(run: Run, status: str) -> None:
    from .events import experiment_event_send

    try:
        experiment_event_send(run.experiment_id, {"type": "run", "run": run.pk, "status": status})
    except Exception:  # live events are best effort; the database is the record
        logger.warning("Could not send the live status of run %s", run.pk, exc_info=True)


def loaders_for(workspace: Workspace) -> dict[str, Any]:
    """What modules may load by id while running in this workspace (nothing from other workspaces)."""
    from .datasets import dataset_table
    from .modules.framework.base import ModuleError
    from .selectors import datasets_in

    def dataset(dataset_id: int) -> Any:
        found = datasets_in(workspace).filter(pk=dataset_id).first()
        if found is None:
            raise ModuleError(f"Dataset {dataset_id} does not exist in this workspace", parameter="dataset")
        return dataset_table(found)

    def asset(kind: str) -> Any:
        from .assets import asset_load

        def load(asset_id: int) -> Any:
            found = Asset.objects.filter(workspace=workspace, kind=kind, pk=asset_id).first()
            if found is None:
                raise ModuleError(f"Saved {kind.replace('_', ' ')} {asset_id} does not exist in this workspace",
                                  parameter=kind)
            return asset_load(found)

        return load

    return {"dataset": dataset, "trained_model": asset("trained_model"), "transform": asset("transform")}


def fingerprint_for(workspace: Workspace) -> Any:
    """Content hashes of the saved objects a node's parameters reference, for its cache key."""
    from .modules.framework.params import Reference
    from .modules.framework.registry import registry
    from .selectors import datasets_in

    def fingerprint(module_id: str, params: Mapping[str, Any]) -> str | None:
        module = registry.get(module_id)
        hashes = []
        for key, param in module.params.items():
            if not isinstance(param, Reference) or params.get(key) is None:
                continue
            if param.to == "dataset":
                found = datasets_in(workspace).filter(pk=params[key]).values_list("sha256", flat=True).first()
            else:
                found = Asset.objects.filter(workspace=workspace, kind=param.to, pk=params[key]).values_list(
                    "sha256", flat=True).first()
            hashes.append(found or "missing")
        return ",".join(hashes) or None

    return fingerprint


# --- Cache housekeeping ---------------------------------------------------------------------------


def cache_prune(*, dry_run: bool = False) -> tuple[int, int, int]:
    """Delete cache entries no run references, then files under cache/ that no entry owns.

    Returns (entries, orphaned files, bytes). Trained models deployed later keep their own copies, so
    pruning never breaks a web service.
    """
    from django.core.files.storage import default_storage

    from .engine import store
    from .models import CacheEntry

    referenced = set(NodeRun.objects.exclude(cache_key="").values_list("cache_key", flat=True))
    unused = CacheEntry.objects.exclude(pk__in=referenced)
    entries, size = unused.count(), sum(unused.values_list("size_bytes", flat=True))
    kept_paths = {record["path"] for outputs in CacheEntry.objects.filter(pk__in=referenced)
                  .values_list("outputs", flat=True) for record in outputs.values()}
    orphans = [path for path in _storage_files(default_storage, "cache") if path not in kept_paths]
    if not dry_run:
        for entry in unused:
            for record in entry.outputs.values():
                store.delete_output(record)
        unused.delete()
        for path in orphans:
            if default_storage.exists(path):
                default_storage.delete(path)
    return entries, len(orphans), size


def _storage_files(storage: Any, folder: str) -> list[str]:
    if not storage.exists(folder):
        return []
    folders, files = storage.listdir(folder)
    return [f"{folder}/{name}" for name in files] + [path for sub in folders
                                                     for path in _storage_files(storage, f"{folder}/{sub}")]
