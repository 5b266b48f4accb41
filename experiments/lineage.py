"""Lineage (issue 20): where a trained model came from, recorded once when it is saved, as a JSON snapshot
(later edits to the experiment, a refreshed sample or a newer module never rewrite it). The web services app
adds what happens after Deploy (webservices/lineage.py)."""

from __future__ import annotations

from typing import Any

from studio.version import STUDIO_VERSION

from .engine.graph import parse_graph
from .models import Asset, CacheEntry, Dataset, NodeRun, Run
from .modules.framework.ports import PortType
from .modules.framework.registry import registry

DATASET_MODULE = "dataset"


def _table_source(module_id: str) -> bool:
    """A module that makes a table from nothing upstream (Enter Data Manually, Import Data), not a saved one."""
    if module_id == DATASET_MODULE or module_id not in registry:
        return False
    module = registry.get(module_id)
    return not module.inputs and any(port.type == PortType.DATA_TABLE for port in module.outputs)


def _source_datasets(run: Run, nodes: set[str], graph: dict[str, Any]) -> list[dict[str, Any]]:
    """The data the nodes were computed from: each saved dataset with its content hash (Dataset.sha256, taken at
    upload), and each other source module (Enter Data Manually, Import Data) with the hash of the table the run
    stored for it."""
    by_id = {node["id"]: node for node in graph.get("nodes", [])}
    sourced = sorted(node_id for node_id in nodes if by_id[node_id]["module"] == DATASET_MODULE)
    ids = [by_id[node_id].get("params", {}).get("dataset") for node_id in sourced]
    saved = {d.pk: d for d in Dataset.objects.filter(pk__in=[i for i in ids if isinstance(i, int)])}
    found = [{"id": i, "name": saved[i].name, "sha256": saved[i].sha256, "node": node_id}
             for node_id, i in zip(sourced, ids, strict=True) if i in saved]
    fed = {edge["target"] for edge in graph.get("edges", [])}
    others = sorted(node_id for node_id in nodes if node_id not in fed and _table_source(by_id[node_id]["module"]))
    keys = dict(NodeRun.objects.filter(run=run, node_id__in=others).values_list("node_id", "cache_key"))
    entries = {e.pk: e.outputs for e in CacheEntry.objects.filter(pk__in=[k for k in keys.values() if k])}
    for node_id in others:
        outputs = entries.get(keys.get(node_id, ""), {})
        digest = next((record.get("sha256", "") for record in outputs.values()), "")
        found.append({"id": None, "name": f"{registry.get(by_id[node_id]['module']).name} ({node_id})",
                      "sha256": digest, "node": node_id})
    return found


def graph_facts(graph: dict[str, Any], nodes: set[str] | None = None) -> dict[str, Any]:
    """The version of every module of the graph (or of `nodes`), their parameters, and this studio's version."""
    chosen = [n for n in graph.get("nodes", []) if nodes is None or n["id"] in nodes]
    return {"modules": {n["module"]: registry.get(n["module"]).version for n in chosen if n["module"] in registry},
            "parameters": {n["id"]: n.get("params", {}) for n in chosen}, "studio_version": STUDIO_VERSION}


def run_lineage(run: Run, node: str | None) -> dict[str, Any]:
    """Where the output of `node` in `run` came from (None: the whole graph): the experiment, the run, the node,
    the datasets it was computed from (with their sha256), the version and parameters of every module upstream,
    the studio version and when the run finished."""
    graph = run.graph
    known = {n["id"] for n in graph.get("nodes", [])}
    upstream = known if node is None else parse_graph(graph).ancestors_and_self([node]) if node in known else set()
    return {
        "experiment": run.experiment_id, "experiment_name": run.experiment.name, "run": run.pk, "node": node,
        "datasets": _source_datasets(run, upstream, graph), **graph_facts(graph, upstream),
        "trained": (run.finished or run.created).isoformat(),
    }


def asset_lineage(asset: Asset) -> dict[str, Any]:
    """The asset's recorded lineage; for one saved before lineage was recorded, rebuilt from its run as it is
    now (marked `reconstructed`: the hashes are today's); {} when its run is gone too."""
    if asset.lineage:
        return dict(asset.lineage)
    if asset.source_run is None:
        return {}
    return {**run_lineage(asset.source_run, asset.source_node), "reconstructed": True}


def lineage_text(lineage: dict[str, Any], verb: str = "trained by") -> str:
    """'trained by run N of experiment E on dataset D (sha 1234abcd…) on 2026-12-06': one line for pages."""
    if not lineage:
        return "where it came from was not recorded"
    if lineage.get("job"):
        who = f"retrained by batch job {lineage['job']}"
        if lineage.get("service_name"):
            who += f" of the retraining service '{lineage['service_name']}'"
    elif lineage.get("run"):
        name = lineage.get("experiment_name") or lineage.get("experiment")
        who = f"{verb} run {lineage['run']} of experiment '{name}'"
    else:  # e.g. a model patched from a file no retraining job of this studio recorded
        return "its training was not recorded"
    data = " and ".join(f"{'input file' if lineage.get('job') else 'dataset'} '{d['name']}' "
                        f"(sha {str(d['sha256'])[:12] or '?'}…)" for d in lineage.get("datasets", []))
    when = str(lineage.get("trained") or "")[:10]
    return " ".join(part for part in (who, f"on {data}" if data else "", f"on {when}" if when else "") if part)
