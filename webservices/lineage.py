"""Lineage after Deploy (issue 20): what a deployment, a retrained model and an endpoint serve came from, each
recorded as a JSON snapshot when it is made (experiments/lineage.py records a saved model's). Reading an
endpoint's lineage joins these records; it never recomputes a hash, and scoring never reads any of it."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from experiments.lineage import asset_lineage, graph_facts, lineage_text, run_lineage
from experiments.models import Asset, Experiment, Run
from experiments.modules.framework.artifacts import TrainedModel

from .models import BatchJob, Deployment, Endpoint, ResourceVersion, WebService
from .retraining import trained_by

#: How a model became the one an endpoint serves, as the API names it ("source").
SOURCES = {"deploy": "deploy", "patch": "patch", "schedule": "patch", "rollback": "rollback"}
#: Every endpoint's Lineage has these keys (null or empty when not known), in this order.
FIELDS = ("experiment", "experiment_name", "run", "node", "datasets", "modules", "parameters", "studio_version",
          "trained", "source", "job", "input", "service", "service_name", "resource", "model", "model_sha256")


def deployment_lineage(experiment: Experiment, run: Run, resources: list[dict[str, Any]]) -> dict[str, Any]:
    """At deploy: the deployed experiment's run (its whole graph), and for each saved model or transform it
    serves, that asset's own lineage (the training run that made it)."""
    ids = [resource["Asset"] for resource in resources if resource.get("Asset") is not None]
    assets = {a.pk: a for a in Asset.objects.filter(pk__in=ids).select_related("source_run__experiment")}
    per_resource = {}
    for resource in resources:
        asset = assets.get(resource["Asset"]) if resource.get("Asset") is not None else None
        if asset is not None:
            per_resource[resource["Name"]] = {**asset_lineage(asset), "asset": asset.pk, "model": asset.name,
                                              "model_sha256": resource["Sha256"]}
    return {**run_lineage(run, None), "experiment": experiment.pk, "experiment_name": experiment.name,
            "deployed": timezone.now().isoformat(), "resources": per_resource}


def retraining_note(service: WebService, job: BatchJob) -> dict[str, Any]:
    """What a retraining job writes into the model it trains (signed with it): the retraining service, its
    experiment and Train Model node, module versions and parameters, the job's global parameters and when.
    The job adds each input file with its sha256 (retraining.retrain)."""
    deployment = service.current
    graph = deployment.graph if deployment is not None else {"nodes": [], "edges": []}
    experiment = service.experiment
    return {"experiment": service.experiment_id, "experiment_name": experiment.name if experiment else service.name,
            "run": None, "deployed_run": deployment.run_id if deployment is not None else None,
            "node": trained_by(graph), **graph_facts(graph), "global_parameters": job.global_parameters,
            "service": service.pk, "service_name": service.name, "trained": timezone.now().isoformat()}


def patch_lineage(*, name: str, model: TrainedModel, sha256: str, location: str) -> dict[str, Any]:
    """A retrained model's lineage, read from its signed metadata (what the job recorded: forged metadata fails
    the signature), with the file it was patched from."""
    info = model.info
    recorded = dict(info.get("lineage") or {})
    job = info.get("job")
    inputs = info.get("inputs") or []
    if not inputs and job:  # a model retrained before inputs were hashed: the job's files, hash unknown
        found = BatchJob.objects.filter(job_id=job).first()
        inputs = [{"input": k, "location": v, "sha256": ""} for k, v in (found.inputs if found else {}).items()]
    return {**recorded, "datasets": [{"id": None, "name": i["location"], "sha256": i["sha256"]} for i in inputs],
            "job": job, "input": inputs[0]["location"] if inputs else None, "model": name, "model_sha256": sha256,
            "file": location, "trained": recorded.get("trained") or info.get("trained")}


def deployed_resource_lineage(deployment: Deployment, resource: dict[str, Any]) -> dict[str, Any]:
    """The recorded lineage of a resource of the deployment; for a deployment made before lineage was recorded,
    its asset's (rebuilt from the run when need be: marked `reconstructed`)."""
    recorded = (deployment.lineage or {}).get("resources", {}).get(resource["Name"])
    if recorded:
        return dict(recorded)
    asset = Asset.objects.filter(pk=resource.get("Asset") or 0).select_related("source_run__experiment").first()
    if asset is None or asset.sha256 != resource.get("Sha256"):
        return {"model": resource["Name"], "model_sha256": resource.get("Sha256", "")}
    return {**asset_lineage(asset), "asset": asset.pk, "model": asset.name, "model_sha256": asset.sha256}


def _shaped(lineage: dict[str, Any], *, source: str, resource: str | None) -> dict[str, Any]:
    """The API's Lineage object: every FIELDS key present, datasets as {"id", "name", "sha256"}."""
    shaped = {field: lineage.get(field) for field in FIELDS}
    shaped["datasets"] = [{"id": d.get("id"), "name": d.get("name", ""), "sha256": d.get("sha256", "")}
                          for d in lineage.get("datasets") or []]
    shaped["modules"], shaped["parameters"] = lineage.get("modules") or {}, lineage.get("parameters") or {}
    shaped.update(source=source, resource=resource)
    if lineage.get("reconstructed"):
        shaped["reconstructed"] = True
    return shaped


def endpoint_lineage(endpoint: Endpoint) -> dict[str, Any] | None:
    """Where the model the endpoint serves now came from (its service's first trained model; a service without
    one: the deployed run), and how it came to serve it: deploy, patch (with the batch job and its input file)
    or rollback. None before the service is deployed."""
    deployment = endpoint.service.current
    if deployment is None:
        return None
    models = [r for r in deployment.resources if r["Kind"] == "TrainedModel"]
    if not models:
        recorded = {k: v for k, v in (deployment.lineage or {}).items() if k != "resources"}
        return _shaped(recorded or {"experiment": endpoint.service.experiment_id, "run": deployment.run_id},
                       source="deploy", resource=None)
    resource = models[0]
    version = None
    if not endpoint.is_default:
        version = endpoint.resource_versions.filter(name=resource["Name"], active=True).first()
    if version is None:
        return _shaped(deployed_resource_lineage(deployment, resource), source="deploy", resource=resource["Name"])
    lineage = version.lineage or _version_fallback(deployment, resource, version)
    return _shaped(lineage, source=SOURCES.get(version.activated_by or version.how, "patch"),
                   resource=resource["Name"])


def _version_fallback(deployment: Deployment, resource: dict[str, Any], version: ResourceVersion) -> dict[str, Any]:
    """A history entry written before lineage was recorded: the deployment's record when it is that model."""
    if version.how == "deploy" and version.sha256 == resource["Sha256"]:
        return deployed_resource_lineage(deployment, resource)
    return {"model": version.name, "model_sha256": version.sha256}


def lineage_line(lineage: dict[str, Any] | None) -> str:
    """The dashboard's sentence: "serving model X, trained by run N of experiment E on dataset D (sha …) on
    date", with how it came to be served when that was not a deploy."""
    if not lineage:
        return "not deployed yet"
    how = {"patch": " (patched onto this endpoint)", "rollback": " (rolled back to)"}.get(lineage["source"], "")
    if not lineage.get("model"):  # a service that serves no trained model: the deployed run itself
        return f"serving {lineage_text(lineage, verb='the deployed')}"
    return f"serving model '{lineage['model']}'{how}, {lineage_text(lineage)}"
