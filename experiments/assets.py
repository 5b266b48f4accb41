"""Saving a run's outputs: trained models and transforms as assets, tables as datasets (classic "Save as")."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from .datasets import dataset_store
from .engine import store
from .lineage import run_lineage
from .models import Asset, CacheEntry, Dataset, NodeRun, Run
from .modules.framework.artifacts import ArtifactError, TrainedModel, Transform
from .modules.framework.datatable import DataTable
from .modules.framework.ports import PortType
from .modules.framework.registry import registry

ASSET_KINDS = {PortType.TRAINED_MODEL: Asset.Kind.TRAINED_MODEL, PortType.TRANSFORM: Asset.Kind.TRANSFORM}


class SaveError(ValueError):
    """An output that can't be saved, with the reason a user can act on."""


def run_output_record(run: Run, node: str, port: str) -> dict[str, Any]:
    """The stored record of one output of a finished node, or SaveError naming what is missing."""
    node_run = NodeRun.objects.filter(run=run, node_id=node).first()
    if node_run is None:
        raise SaveError(f"Node {node} is not part of run {run.pk}.")
    if node_run.status not in (NodeRun.Status.FINISHED, NodeRun.Status.CACHED):
        raise SaveError(f"Node {node} has no outputs in run {run.pk} (status: {node_run.status}).")
    entry = CacheEntry.objects.filter(pk=node_run.cache_key).first()
    if entry is None or port not in entry.outputs:
        raise SaveError(f"Node {node} has no output port '{port}' in run {run.pk}.")
    record: dict[str, Any] = entry.outputs[port]
    return record


def asset_summary(value: Any) -> dict[str, Any]:
    if isinstance(value, TrainedModel):
        learner = registry.get(value.learner).name if value.learner in registry else value.learner
        return {"learner": learner, "task": value.task, "label": value.label,
                "features": [column.name for column in value.features]}
    if isinstance(value, Transform):
        return {"transform": value.kind}
    return {}


def asset_from_bytes(*, workspace: Any, kind: str, name: str, data: bytes, description: str = "",
                     run: Run | None = None, node: str = "", port: str = "",
                     created_by: User | None = None) -> Asset:
    """Record an artifact with its own file: it outlives the run cache and the experiment that made it, with
    its lineage as it is now (the run's experiment, node, datasets and module versions)."""
    port_type = PortType.TRAINED_MODEL if kind == Asset.Kind.TRAINED_MODEL else PortType.TRANSFORM
    value = store.load(port_type, data)  # refuses damaged or untrusted bytes before anything is kept
    digest = hashlib.sha256(data).hexdigest()
    path = default_storage.save(f"assets/{workspace.pk}/{uuid.uuid4().hex}.{store.EXTENSIONS[port_type]}",
                                ContentFile(data))
    return Asset.objects.create(workspace=workspace, kind=kind, name=name, description=description, path=path,
                                sha256=digest, size_bytes=len(data), summary=asset_summary(value), source_run=run,
                                source_node=node, source_port=port, created_by=created_by,
                                lineage={**run_lineage(run, node), "port": port} if run is not None else {})


def output_save(*, run: Run, node: str, port: str, name: str, description: str = "",
                created_by: User | None = None) -> Asset | Dataset:
    """Save one output of a run under a name: a DataTable becomes a dataset, a trained model or transform
    an asset. Other kinds (evaluations, untrained models) have nothing to reuse and are refused."""
    record = run_output_record(run, node, port)
    port_type = PortType(record["type"])
    name = name.strip()
    if not name:
        raise SaveError("Give the saved output a name.")
    workspace = run.experiment.workspace
    if port_type == PortType.DATA_TABLE:
        table: DataTable = store.load_output(record)
        return dataset_store(table=table, name=name, workspace=workspace, source=Dataset.Source.RUN,
                             description=description, created_by=created_by)
    if port_type not in ASSET_KINDS:
        raise SaveError(f"Only datasets, trained models and transforms can be saved; '{port}' is of type {port_type}.")
    store.load_output(record)  # checks the sha256 recorded when the run wrote it
    return asset_from_bytes(workspace=workspace, kind=ASSET_KINDS[port_type], name=name, description=description,
                            data=store.read_bytes(record["path"]), run=run, node=node, port=port,
                            created_by=created_by)


def asset_load(asset: Asset) -> Any:
    data = store.read_bytes(asset.path)
    if hashlib.sha256(data).hexdigest() != asset.sha256:
        raise ArtifactError(f"The saved {asset.get_kind_display().lower()} '{asset.name}' was altered or damaged")
    return store.load(PortType.TRAINED_MODEL if asset.kind == Asset.Kind.TRAINED_MODEL else PortType.TRANSFORM, data)


class AssetInUse(ValueError):
    """A saved object still used by experiments or web services: deleting it would break them."""


class SharedSample(AssetInUse):
    """A sample dataset: every workspace may use it, so no workspace may delete it."""


#: Who else may load a saved object: functions (workspace, kind, pk) -> the labels of what loads it, added by
#: the apps above this one in their AppConfig.ready (webservices adds its deployments). Experiments never
#: import those apps; they ask through this list (docs/ARCHITECTURE.md, the import rule).
SAVED_OBJECT_USERS: list[Callable[[Any, str, int], list[str]]] = []


def saved_object_users(workspace: Any, to: str, pk: int) -> list[str]:
    """What refers to a saved dataset / trained model / transform (`to` is the Reference kind): experiments
    whose graph loads it, then whatever the apps registered in SAVED_OBJECT_USERS names (web services)."""
    from experiments.modules.framework.params import Reference

    users = []
    for experiment in workspace.experiments.all():
        for node in experiment.graph.get("nodes", []):
            module = registry.get(node.get("module", "")) if node.get("module") in registry else None
            if module is None:
                continue
            if any(isinstance(param, Reference) and param.to == to and node.get("params", {}).get(key) == pk
                   for key, param in module.params.items()):
                users.append(f"experiment '{experiment.name}'")
                break
    for more in SAVED_OBJECT_USERS:
        users += more(workspace, to, pk)
    return users


def asset_users(asset: Asset) -> list[str]:
    """What uses the saved trained model / transform (see saved_object_users)."""
    return saved_object_users(asset.workspace, asset.kind, asset.pk)


def _refuse_if_used(name: str, users: list[str]) -> None:
    if users:
        raise AssetInUse(f"'{name}' can't be deleted: it is used by {', '.join(users)}. Remove it from "
                         "those first (delete the web service, or the node that loads it).")


def dataset_delete(dataset: Dataset) -> None:
    """Delete an uploaded or saved dataset nothing uses any more; its Parquet file goes when no other dataset
    shares it (files are content-addressed). Samples belong to every workspace and are never deleted."""
    if dataset.workspace is None:
        raise SharedSample(f"'{dataset.name}' is a sample dataset shared by every workspace; it can't be deleted.")
    _refuse_if_used(dataset.name, saved_object_users(dataset.workspace, "dataset", dataset.pk))
    path = dataset.path
    dataset.delete()
    if not Dataset.objects.filter(path=path).exists() and default_storage.exists(path):
        default_storage.delete(path)


def asset_delete(asset: Asset) -> None:
    """Delete a saved object nothing uses any more (AssetInUse names its users otherwise)."""
    _refuse_if_used(asset.name, asset_users(asset))
    path = asset.path
    asset.delete()
    if not Asset.objects.filter(path=path).exists() and default_storage.exists(path):
        default_storage.delete(path)
