"""Reads for experiments, datasets and runs, always scoped to the user's workspaces (others' are 404)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import OuterRef, Q, QuerySet, Subquery

from studio.models import Workspace
from studio.selectors import workspaces_of

from .models import Asset, Dataset, Experiment, NodeRun, Run
from .modules.base import SchemaContext
from .modules.datatable import Column, Schema


def experiments_of(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Experiment]:
    return Experiment.objects.filter(workspace__in=workspaces_of(user)).select_related("workspace")


def experiments_with_last_run(user: AbstractBaseUser | AnonymousUser, query: str = "") -> QuerySet[Experiment]:
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


def experiment_visible_to(user: AbstractBaseUser | AnonymousUser, experiment_id: int) -> bool:
    return experiments_of(user).filter(pk=experiment_id).exists()


def datasets_of(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Dataset]:
    """The user's workspaces' datasets and the samples everyone has."""
    return Dataset.objects.filter(Q(workspace__in=workspaces_of(user)) | Q(source=Dataset.Source.SAMPLE))


def datasets_in(workspace: Workspace) -> QuerySet[Dataset]:
    return Dataset.objects.filter(Q(workspace=workspace) | Q(source=Dataset.Source.SAMPLE))


def assets_of(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Asset]:
    return Asset.objects.filter(workspace__in=workspaces_of(user)).select_related("source_run")


def runs_of(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Run]:
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
