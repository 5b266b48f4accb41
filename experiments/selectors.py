"""Reads for experiments, datasets and runs, always scoped to the user's workspaces (others' are 404)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import OuterRef, Q, QuerySet, Subquery

from studio import storage
from studio.models import Workspace
from studio.selectors import workspaces_of

from .models import Asset, Dataset, Experiment, NodeRun, Run
from .modules.framework.base import SchemaContext
from .modules.framework.datatable import Column, Schema
from .modules.framework.params import Reference
from .modules.framework.registry import registry


def experiments_of(user: User | AnonymousUser) -> QuerySet[Experiment]:
    return Experiment.objects.filter(workspace__in=workspaces_of(user)).select_related("workspace")


def experiments_with_last_run(user: User | AnonymousUser, query: str = "") -> QuerySet[Experiment]:
    """The experiments list: each with its last run's status and time, filtered by name."""
    last = Run.objects.filter(experiment=OuterRef("pk")).order_by("-created")
    experiments = experiments_of(user).select_related("created_by").annotate(
        last_run_status=Subquery(last.values("status")[:1]), last_run_time=Subquery(last.values("created")[:1]),
    ).prefetch_related("web_services", "predictive_experiments__web_services").order_by("-updated")
    return experiments.filter(name__icontains=query) if query else experiments


def services_deployed_from(experiment: Experiment) -> list[tuple[Experiment, Any]]:
    """(experiment, web service) for each service deployed from the experiment or from a predictive experiment
    made from it (what deleting it would leave without its source). Reads prefetched relations when there."""
    sources = [experiment, *experiment.predictive_experiments.all()]
    return [(source, service) for source in sources for service in source.web_services.all()]  # type: ignore[attr-defined]


def experiment_visible_to(user: User | AnonymousUser, experiment_id: int) -> bool:
    return experiments_of(user).filter(pk=experiment_id).exists()


def datasets_of(user: User | AnonymousUser) -> QuerySet[Dataset]:
    """The user's workspaces' datasets and the samples everyone has."""
    return Dataset.objects.filter(Q(workspace__in=workspaces_of(user)) | Q(source=Dataset.Source.SAMPLE))


def datasets_in(workspace: Workspace) -> QuerySet[Dataset]:
    return Dataset.objects.filter(Q(workspace=workspace) | Q(source=Dataset.Source.SAMPLE))


def assets_of(user: User | AnonymousUser) -> QuerySet[Asset]:
    return Asset.objects.filter(workspace__in=workspaces_of(user)).select_related("source_run")


def _reference(node: Mapping[str, Any]) -> tuple[str, int] | None:
    """(kind, id) of the saved object a node reads through its reference parameter, if it has one set."""
    module = registry.get(node["module"]) if node.get("module") in registry else None
    for key, param in (module.params if module else {}).items():
        value = (node.get("params") or {}).get(key)
        if isinstance(param, Reference) and isinstance(value, int):
            return param.to, value
    return None


def saved_names_in(workspace: Workspace, graph: Mapping[str, Any]) -> dict[str, str]:
    """Node id -> the name of the saved dataset, trained model or transform the node reads (what the canvas
    shows on it), for messages that must tell nodes of one module apart. One query per such node: few."""
    names: dict[str, str] = {}
    for node in graph.get("nodes", []):
        reference = _reference(node)
        if reference is None:
            continue
        kind, pk = reference
        saved = datasets_in(workspace) if kind == "dataset" else Asset.objects.filter(workspace=workspace, kind=kind)
        name = saved.filter(pk=pk).values_list("name", flat=True).first()
        if name:
            names[node["id"]] = name
    return names


def runs_of(user: User | AnonymousUser) -> QuerySet[Run]:
    return Run.objects.filter(experiment__workspace__in=workspaces_of(user)).select_related("experiment")


def node_run_origin(node_run: NodeRun) -> NodeRun | None:
    """For a node taken from the cache, the run where those outputs were computed (its output log is that one's).
    The cache key includes the workspace, so the origin is always in the same workspace."""
    if node_run.status != NodeRun.Status.CACHED or not node_run.cache_key:
        return None
    return (NodeRun.objects.filter(cache_key=node_run.cache_key, status=NodeRun.Status.FINISHED)
            .select_related("run").order_by("-finished").first())


def dataset_schema(dataset: Dataset) -> Schema:
    return [Column.from_json(column) for column in dataset.columns]


def schema_context(workspace: Workspace) -> SchemaContext:
    """Edit-time schema knowledge for validating a workspace's graphs."""

    def lookup(dataset_id: int) -> Schema | None:
        dataset = datasets_in(workspace).filter(pk=dataset_id).first()
        return dataset_schema(dataset) if dataset else None

    return SchemaContext(dataset_schema=lookup)


def storage_files_of(user: User | AnonymousUser) -> list[tuple[Workspace, list[storage.Listed]]]:
    """Each of the user's workspaces with the files of its storage (the Datasets page lists them)."""
    return [(workspace, storage.files_listed(workspace.pk)) for workspace in workspaces_of(user)]
