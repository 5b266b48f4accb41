"""Deploy Web Service: freeze an experiment's run into a deployment snapshot and publish it (DESIGN §4)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from experiments.assets import run_output_record
from experiments.conversion import INPUT_MODULE, MODEL_SOURCE, OUTPUT_MODULE, ConversionError, require_fresh_run
from experiments.engine import store
from experiments.models import Asset, Dataset, Experiment, Run
from experiments.modules.framework.base import ServiceRole
from experiments.modules.framework.datatable import DataTable
from experiments.modules.framework.params import Reference
from experiments.modules.framework.registry import registry
from experiments.setup import last_run_facts

from .keys import key_hash
from .models import Deployment, Endpoint, WebService

DEFAULT_ENDPOINT = "default"


class DeployError(ValueError):
    """Deploy can't proceed; the message says what to do."""


@dataclass
class Keys:
    primary: str
    secondary: str


@dataclass
class Deployed:
    service: WebService
    endpoint: Endpoint
    keys: Keys | None  # only when the endpoint was created by this deploy
    created: bool


# --- Keys ------------------------------------------------------------------------------------------


def new_key() -> str:
    """88 characters of base64, like the classic studio's keys (64 random bytes)."""
    return base64.b64encode(secrets.token_bytes(64)).decode()


def key_hint(key: str) -> str:
    return key[:4]


def _set_key(endpoint: Endpoint, which: str) -> str:
    key = new_key()
    setattr(endpoint, f"{which}_key_hash", key_hash(key))
    setattr(endpoint, f"{which}_key_hint", key_hint(key))
    return key


def endpoint_create(*, service: WebService, name: str, is_default: bool = False, description: str = "",
                    max_concurrent_calls: int = 20, diagnostics_trace_level: str = Endpoint.TraceLevel.NONE,
                    throttle_level: str = Endpoint.Throttle.LOW) -> tuple[Endpoint, Keys]:
    endpoint = Endpoint(service=service, name=name, endpoint_id=secrets.token_hex(16), is_default=is_default,
                        description=description, max_concurrent_calls=max_concurrent_calls,
                        diagnostics_trace_level=diagnostics_trace_level, throttle_level=throttle_level)
    keys = Keys(_set_key(endpoint, "primary"), _set_key(endpoint, "secondary"))
    endpoint.save()
    return endpoint, keys


def key_regenerate(*, endpoint: Endpoint, which: str) -> str:
    if which not in ("primary", "secondary"):
        raise DeployError(f"'key' must be primary or secondary; got {which!r}.")
    key = _set_key(endpoint, which)
    endpoint.save(update_fields=[f"{which}_key_hash", f"{which}_key_hint"])
    signal_on_commit([endpoint.endpoint_id])  # the old key stops working at once in every process
    return key


# --- The snapshot ----------------------------------------------------------------------------------


def _nodes_of(graph: dict[str, Any], module: str) -> list[dict[str, Any]]:
    return [node for node in graph["nodes"] if node["module"] == module]


SAMPLE_ROWS = 2
MAX_LEVELS = 100  # more distinct values than this: a free-text field, not a list to scroll


def _sample_rows(run: Run, node: str, labels: set[str]) -> dict[str, Any]:
    """The first rows that reached a Web service input in the run (without the label), for help pages."""
    from webservices.wire import format_outputs

    value = store.load_output(run_output_record(run, node, "dataset"))
    if not isinstance(value, DataTable):
        return {}
    head = DataTable(value.frame.drop(columns=[c for c in value.frame.columns if c in labels]).head(SAMPLE_ROWS))
    table: dict[str, Any] = format_outputs({"sample": head}, swagger=False, details=False)["sample"]["value"]
    return table


def _table_schema(run: Run, node: str, port: str, levels: bool = False) -> list[dict[str, Any]]:
    """The columns that reached a node's port in the run; with `levels`, each text or categorical column of at
    most MAX_LEVELS distinct values lists them (the Test form's choices, in the data's own spelling)."""
    value = store.load_output(run_output_record(run, node, port))
    if not isinstance(value, DataTable):
        return []
    columns: list[dict[str, Any]] = [{"name": column.name, "kind": str(column.kind)} for column in value.schema]
    for column in columns if levels else []:
        if column["kind"] in ("string", "categorical"):
            seen = value.frame[column["name"]].dropna().astype(str).unique()
            if 0 < len(seen) <= MAX_LEVELS:
                column["levels"] = sorted(seen)
    return columns


def _resources(experiment: Experiment, graph: dict[str, Any]) -> list[dict[str, Any]]:
    """Every saved object the graph references, with the file and hash the scorer will load."""
    found: list[dict[str, Any]] = []
    for node in graph["nodes"]:
        module = registry.get(node["module"])
        for key, param in module.params.items():
            object_id = node.get("params", {}).get(key)
            if not isinstance(param, Reference) or object_id is None:
                continue
            if param.to == "dataset":
                dataset = Dataset.objects.filter(pk=object_id).first()
                if dataset is None:
                    raise DeployError(f"Node {node['id']} uses dataset {object_id}, which no longer exists.")
                found.append({"Name": dataset.name, "Kind": "Dataset", "Node": node["id"], "Dataset": dataset.pk,
                              "Path": dataset.path, "Sha256": dataset.sha256})
                continue
            asset = Asset.objects.filter(workspace=experiment.workspace, kind=param.to, pk=object_id).first()
            if asset is None:
                raise DeployError(f"Node {node['id']} uses a saved {param.to.replace('_', ' ')} ({object_id}) that no "
                                  "longer exists; run Set Up Web Service again.")
            found.append({"Name": asset.name, "Kind": "TrainedModel" if param.to == "trained_model" else "Transform",
                          "Node": node["id"], "Asset": asset.pk, "Path": asset.path, "Sha256": asset.sha256,
                          "Label": asset.summary.get("label")})
    return found


def _kind_of(experiment: Experiment, graph: dict[str, Any]) -> str:
    if experiment.kind == Experiment.Kind.TRAINING:
        return WebService.Kind.RETRAINING if any(registry.get(n["module"]).web_service == ServiceRole.TRAIN
                                                 for n in graph["nodes"]) else WebService.Kind.DATA
    return WebService.Kind.PREDICTIVE if _nodes_of(graph, MODEL_SOURCE) else WebService.Kind.DATA


def snapshot(experiment: Experiment) -> dict[str, Any]:
    """The frozen deployment: graph, resources and schemas, from a finished run of the current graph."""
    graph = experiment.graph
    inputs, outputs = _nodes_of(graph, INPUT_MODULE), _nodes_of(graph, OUTPUT_MODULE)
    if not inputs or not outputs:
        raise DeployError("The experiment has no Web service input and output; use Set Up Web Service first "
                          "(or add them from the Web Service category).")
    run, facts = last_run_facts(experiment)
    try:
        require_fresh_run(graph, facts, {node["id"] for node in inputs + outputs})
    except ConversionError as error:
        raise DeployError(error.message.replace("Set Up Web Service", "Deploy Web Service")) from None
    assert run is not None
    resources = _resources(experiment, graph)
    labels = {resource["Label"] for resource in resources if resource.get("Label")}
    input_schema = {
        node["params"].get("name", "input1"): [
            {**column, "optional": column["name"] in labels}
            for column in _table_schema(run, node["id"], "dataset", levels=True)]
        for node in inputs}
    output_schema = {node["params"].get("name", "output1"): _table_schema(run, node["id"], "dataset")
                     for node in outputs}
    names = list(input_schema) + list(output_schema)
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise DeployError(f"Two web service inputs or outputs are named '{duplicated[0]}'; give each its own name.")
    sample = {node["params"].get("name", "input1"): _sample_rows(run, node["id"], labels) for node in inputs}
    return {"run": run, "graph": graph, "input_schema": input_schema, "output_schema": output_schema,
            "resources": resources, "kind": _kind_of(experiment, graph), "sample": sample}


def signal_changes(service: WebService) -> None:
    """Once committed, every process serves the service's new version on its next request."""
    signal_on_commit(list(service.endpoints.values_list("endpoint_id", flat=True)))


def signal_on_commit(endpoint_ids: list[str]) -> None:
    """Once committed, every process reloads these endpoints on its next request (new keys, a new version, or
    none: an endpoint deleted answers 401 at once, not after the per-process cache's once-a-second check)."""
    from .scoring import signal_change

    transaction.on_commit(lambda: [signal_change(endpoint_id) for endpoint_id in endpoint_ids])


def service_name(experiment: Experiment) -> str:
    return experiment.name


def deploy(*, experiment: Experiment, web_service: WebService | None = None,
           user: AbstractBaseUser | None = None) -> Deployed:
    """Publish (or republish) the experiment. Redeploying adds a deployment and switches the service to it
    atomically; endpoints keep their keys and bump their version so scorers reload."""
    frozen = snapshot(experiment)
    if web_service is None:
        web_service = WebService.objects.filter(experiment=experiment).order_by("-created").first()
    elif web_service.experiment_id != experiment.pk:
        raise DeployError(f"Web service {web_service.pk} publishes another experiment; deploy that one, or "
                          "deploy this experiment as a new service.")
    with transaction.atomic():
        created = web_service is None
        if web_service is None:
            web_service = WebService.objects.create(workspace=experiment.workspace, name=service_name(experiment),
                                                    kind=frozen["kind"], experiment=experiment, created_by=user)
        else:
            web_service = WebService.objects.select_for_update().get(pk=web_service.pk)
        version = (web_service.deployments.order_by("-version").values_list("version", flat=True).first() or 0) + 1
        deployment = Deployment.objects.create(
            service=web_service, version=version, run=frozen["run"], graph=frozen["graph"],
            input_schema=frozen["input_schema"], output_schema=frozen["output_schema"],
            resources=frozen["resources"], sample=frozen["sample"], created_by=user)
        web_service.current, web_service.kind = deployment, frozen["kind"]
        web_service.name, web_service.deployed_at = service_name(experiment), timezone.now()
        web_service.save()
        keys = None
        endpoint = web_service.endpoints.filter(is_default=True).first()
        if endpoint is None:
            endpoint, keys = endpoint_create(service=web_service, name=DEFAULT_ENDPOINT, is_default=True)
        else:
            from .endpoints import deployment_recorded

            Endpoint.objects.filter(service=web_service).update(version=F("version") + 1)
            endpoint.refresh_from_db()
            deployment_recorded(web_service)
            signal_changes(web_service)
    return Deployed(web_service, endpoint, keys, created)


# --- The new-style definition: import ---------------------------------------------------------------


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DeployError(f"'{where}' must be a JSON object.")
    return value


def _definition_graph(current: dict[str, Any], package: dict[str, Any]) -> dict[str, Any]:
    """The snapshot's graph with the definition's module parameters; anything else that differs is refused."""
    nodes = _mapping(package.get("nodes"), "properties.package.nodes")
    known = {node["id"]: node for node in current["nodes"]}
    if set(nodes) != set(known):
        extra, missing = sorted(set(nodes) - set(known)), sorted(set(known) - set(nodes))
        detail = f"unknown node {extra[0]}" if extra else f"node {missing[0]} is missing"
        raise DeployError(f"The definition's graph does not match the service ({detail}); a definition can change "
                          "parameters, not modules or connections: edit the predictive experiment and deploy.")
    edges = _mapping(package.get("edges", {}), "properties.package.edges")
    given = sorted((e.get("sourceNodeId"), e.get("sourcePortId"), e.get("targetNodeId"), e.get("targetPortId"))
                   for e in (_mapping(edge, "properties.package.edges.*") for edge in edges.values()))
    if given != sorted((e["source"], e["source_port"], e["target"], e["target_port"]) for e in current["edges"]):
        raise DeployError("The definition's edges do not match the service; a definition can change parameters, "
                          "not connections: edit the predictive experiment and deploy.")
    updated = []
    for node in current["nodes"]:
        entry = _mapping(nodes[node["id"]], f"properties.package.nodes.{node['id']}")
        if "parameters" not in entry:
            updated.append(node)
            continue
        params = _mapping(entry["parameters"], f"properties.package.nodes.{node['id']}.parameters")
        module = registry.get(node["module"])
        for key, param in module.params.items():
            if isinstance(param, Reference) and params.get(key) != node["params"].get(key):
                raise DeployError(f"Node {node['id']}: '{key}' refers to a saved {param.to.replace('_', ' ')} and "
                                  "can't be changed here; retrain and update the endpoint's resource instead.")
        _, problems = module.clean_params(params, node["id"])
        if problems:
            raise DeployError(problems[0].message)
        updated.append({**node, "params": params})
    return {"nodes": updated, "edges": current["edges"]}


def _unchanged_outputs(deployment: Deployment, graph: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """Table schemas the deployment's run produced at nodes that feed a changed node and did not change
    themselves: inference continues from real columns (a frozen model's scores can't be inferred)."""
    from experiments.assets import SaveError
    from experiments.engine.graph import parse_graph

    before = {node["id"]: node for node in deployment.graph["nodes"]}
    changed = {node["id"] for node in graph["nodes"] if before[node["id"]]["params"] != node["params"]}
    parsed = parse_graph(graph)
    upstream = parsed.ancestors_and_self(changed) - changed
    known: dict[tuple[str, str], Any] = {}
    if deployment.run is None:
        return known
    for edge in graph["edges"]:
        if edge["target"] in changed and edge["source"] in upstream:
            try:
                value = store.load_output(run_output_record(deployment.run, edge["source"], edge["source_port"]))
            except SaveError:
                continue
            if isinstance(value, DataTable):
                known[(edge["source"], edge["source_port"])] = value.schema
    return known


def _definition_resources(service: WebService, assets: dict[str, Any]) -> list[dict[str, Any]]:
    """The deployment's resources, with a trained model whose asset now points at a storage location (a
    retraining job's .ilearner with its token) replaced after the same checks as Update Resource."""
    from .endpoints import EndpointError, dry_run, location_of_uri, verified_model

    deployment = service.current
    assert deployment is not None
    resources = [dict(resource) for resource in deployment.resources]
    by_node = {resource["Node"]: resource for resource in resources}
    changed = False
    for asset_id, asset in assets.items():
        asset = _mapping(asset, f"properties.assets.{asset_id}")
        uri = _mapping(asset.get("locationInfo", {}), f"properties.assets.{asset_id}.locationInfo").get("uri", "")
        resource = by_node.get(asset_id.removesuffix("-asset"))
        if resource is None or "/api/assets/" in str(uri) or str(uri).startswith("atelier://"):
            continue
        if resource["Kind"] != "TrainedModel":
            raise DeployError(f"Asset {asset_id}: only a trained model's location can be changed here.")
        try:
            path, digest, _ = verified_model(service, resource["Name"], location_of_uri(uri))
        except EndpointError as error:
            raise DeployError(f"Asset {asset_id}: {error.message}") from None
        resource.update({"Path": path, "Sha256": digest})
        changed = True
    if changed:
        try:
            dry_run(deployment, resources)
        except EndpointError as error:
            raise DeployError(error.message) from None
    return resources


def definition_apply(*, service: WebService, definition: Any, user: AbstractBaseUser | None = None) -> WebService:
    """PUT of an edited definition: title, description, the default endpoint's concurrency and diagnostics,
    and module parameters (a new version, schemas re-inferred). Refuses anything else with a message."""
    from experiments.engine.graph import infer_schemas, parse_graph, validate_graph
    from experiments.selectors import schema_context

    properties = _mapping(_mapping(definition, "definition").get("properties"), "properties")
    deployment = service.current
    if deployment is None:
        raise DeployError("The service has no deployment yet; deploy its experiment first.")
    title = properties.get("title", service.name)
    if not isinstance(title, str) or not title.strip():
        raise DeployError("'properties.title' must be a non-empty string.")
    description = properties.get("description", service.description)
    if not isinstance(description, str):
        raise DeployError("'properties.description' must be a string.")
    calls = _mapping(properties.get("realtimeConfiguration", {}), "properties.realtimeConfiguration").get(
        "maxConcurrentCalls")
    if calls is not None and (isinstance(calls, bool) or not isinstance(calls, int) or not 1 <= calls <= 200):
        raise DeployError("'properties.realtimeConfiguration.maxConcurrentCalls' must be an integer from 1 to 200.")
    level = _mapping(properties.get("diagnostics", {}), "properties.diagnostics").get("level")
    if level is not None and level not in Endpoint.TraceLevel.values:
        raise DeployError("'properties.diagnostics.level' must be None, Error or All.")
    resources = _definition_resources(service, _mapping(properties.get("assets", {}), "properties.assets"))
    graph, known = deployment.graph, {}
    if "package" in properties:
        graph = _definition_graph(deployment.graph, _mapping(properties["package"], "properties.package"))
        known = _unchanged_outputs(deployment, graph)
        problems = validate_graph(parse_graph(graph), schema_context(service.workspace), known)
        if problems:
            raise DeployError(problems[0].message)
    with transaction.atomic():
        service.name, service.description = title.strip(), description
        service.save(update_fields=["name", "description"])
        default = service.endpoints.filter(is_default=True).first()
        if default is not None:
            default.max_concurrent_calls = calls if calls is not None else default.max_concurrent_calls
            default.diagnostics_trace_level = level if level is not None else default.diagnostics_trace_level
            default.save(update_fields=["max_concurrent_calls", "diagnostics_trace_level"])
        if graph != deployment.graph or resources != deployment.resources:
            schemas = infer_schemas(parse_graph(graph), schema_context(service.workspace), known)
            outputs = {}
            for node in _nodes_of(graph, OUTPUT_MODULE):
                name = node["params"].get("name", "output1")
                edge = next(e for e in graph["edges"] if e["target"] == node["id"])
                inferred = schemas.get((edge["source"], edge["source_port"]))
                outputs[name] = ([{"name": c.name, "kind": str(c.kind)} for c in inferred] if inferred is not None
                                 else deployment.output_schema.get(name, []))
            version = deployment.version + 1
            service.current = Deployment.objects.create(
                service=service, version=version, run=deployment.run, graph=graph,
                input_schema=deployment.input_schema, output_schema=outputs, resources=resources,
                sample=deployment.sample, created_by=user)
            service.deployed_at = timezone.now()
            service.save(update_fields=["current", "deployed_at"])
            from .endpoints import deployment_recorded

            Endpoint.objects.filter(service=service).update(version=F("version") + 1)
            deployment_recorded(service)
            signal_changes(service)
    return service
