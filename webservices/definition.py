"""The new-style web service definition (`Microsoft.MachineLearning/webServices`): exported as JSON, and an
edited one applied back (title, description, concurrency, diagnostics, module parameters, a retrained model's
location). Above both the deploy service and endpoint management, whose checks it reuses."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from experiments.assets import SaveError, run_output_record
from experiments.conversion import INPUT_MODULE, OUTPUT_MODULE
from experiments.engine import store
from experiments.engine.graph import infer_schemas, parse_graph, validate_graph
from experiments.modules.framework.datatable import DataTable
from experiments.modules.framework.params import Reference
from experiments.modules.framework.registry import registry
from experiments.selectors import schema_context

from .endpoints import EndpointError, dry_run, location_of_uri, verified_model
from .lineage import patch_lineage
from .models import Deployment, Endpoint, WebService
from .resource_history import deployment_recorded
from .services import DeployError, nodes_of, signal_changes

SWAGGER_TYPES = {"numeric": ("number", "double"), "boolean": ("boolean", None), "datetime": ("string", "date-time")}


def swagger_table(columns: list[dict[str, Any]]) -> dict[str, Any]:
    """A table as Swagger 2.0 (the new-style definition's input/output): an array of row objects."""
    properties: dict[str, Any] = {}
    for column in columns:
        kind, form = ("integer", "int32") if column.get("integer") else SWAGGER_TYPES.get(column["kind"],
                                                                                            ("string", None))
        properties[column["name"]] = {"type": kind, **({"format": form} if form else {})}
    required = [column["name"] for column in columns if not column.get("optional", False)]
    return {"type": "array", "items": {"type": "object", "properties": properties, "required": required}}


def definition_json(base: str, service: WebService) -> dict[str, Any]:
    """The service as Azure's new-style web service definition (`Microsoft.MachineLearning/webServices`):
    assets (the saved model and transforms), the package graph, Swagger input/output, configuration.
    Graph nodes are the snapshot's, by id; module parameters travel in `parameters`."""
    deployment = service.current
    graph = deployment.graph if deployment else {"nodes": [], "edges": []}
    by_node = {r["Node"]: r for r in (deployment.resources if deployment else [])}
    default = next((e for e in service.endpoints.all() if e.is_default), None)
    inputs = deployment.input_schema if deployment else {}
    outputs = deployment.output_schema if deployment else {}
    assets: dict[str, Any] = {}
    nodes: dict[str, Any] = {}
    for node in graph["nodes"]:
        params = dict(node.get("params", {}))
        if node["module"] == INPUT_MODULE:
            nodes[node["id"]] = {"inputId": params.get("name", "input1")}
        elif node["module"] == OUTPUT_MODULE:
            nodes[node["id"]] = {"outputId": params.get("name", "output1")}
        else:
            asset_id = f"{node['id']}-asset"
            resource = by_node.get(node["id"])
            assets[asset_id] = {
                "name": resource["Name"] if resource else node["module"],
                "type": "Resource" if resource and resource["Kind"] != "Dataset" else "Module",
                "locationInfo": {"uri": f"{base}/api/assets/{resource['Asset']}/" if resource and "Asset" in resource
                                 else f"atelier://module/{node['module']}"},
            }
            nodes[node["id"]] = {"assetId": asset_id, "parameters": params}
    edges = {f"edge{i}": {"sourceNodeId": e["source"], "sourcePortId": e["source_port"],
                          "targetNodeId": e["target"], "targetPortId": e["target_port"]}
             for i, e in enumerate(graph["edges"], start=1)}
    return {
        "name": service.name,
        "id": f"/workspaces/{service.workspace_id}/webservices/{service.pk}",
        "type": "Microsoft.MachineLearning/webServices",
        "properties": {
            "title": service.name, "description": service.description, "packageType": "Graph",
            "readOnly": False, "createdOn": service.created.isoformat(),
            "modifiedOn": service.deployed_at.isoformat() if service.deployed_at else None,
            "realtimeConfiguration": {"maxConcurrentCalls": default.max_concurrent_calls if default else 20},
            "diagnostics": {"level": default.diagnostics_trace_level if default else "None"},
            "input": {"type": "object", "title": "input",
                      "properties": {name: swagger_table(columns) for name, columns in inputs.items()}},
            "output": {"type": "object", "title": "output",
                       "properties": {name: swagger_table(columns) for name, columns in outputs.items()}},
            "assets": assets,
            "package": {"nodes": nodes, "edges": edges, "graphParameters": {}},
            "parameters": {},
        },
    }


# --- Import: an edited definition applied -------------------------------------------------------------


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


def _definition_resources(service: WebService, assets: dict[str, Any]) -> tuple[list[dict[str, Any]],
                                                                              dict[str, Any]]:
    """The deployment's resources, with a trained model whose asset now points at a storage location (a
    retraining job's .ilearner with its token) replaced after the same checks as Update Resource; and the
    lineage of each model so replaced, by resource name."""
    deployment = service.current
    assert deployment is not None
    resources = [dict(resource) for resource in deployment.resources]
    by_node = {resource["Node"]: resource for resource in resources}
    lineages: dict[str, Any] = {}
    for asset_id, asset in assets.items():
        asset = _mapping(asset, f"properties.assets.{asset_id}")
        uri = _mapping(asset.get("locationInfo", {}), f"properties.assets.{asset_id}.locationInfo").get("uri", "")
        resource = by_node.get(asset_id.removesuffix("-asset"))
        if resource is None or "/api/assets/" in str(uri) or str(uri).startswith("atelier://"):
            continue
        if resource["Kind"] != "TrainedModel":
            raise DeployError(f"Asset {asset_id}: only a trained model's location can be changed here.")
        try:
            location = location_of_uri(uri)
            path, digest, model = verified_model(service, resource["Name"], location)
        except EndpointError as error:
            raise DeployError(f"Asset {asset_id}: {error.message}") from None
        resource.update({"Path": path, "Sha256": digest})
        lineages[resource["Name"]] = patch_lineage(name=resource["Name"], model=model, sha256=digest,
                                                   location=location["RelativeLocation"])
    if lineages:
        try:
            dry_run(deployment, resources)
        except EndpointError as error:
            raise DeployError(error.message) from None
    return resources, lineages


def definition_apply(*, service: WebService, definition: Any, user: User | None = None) -> WebService:
    """PUT of an edited definition: title, description, the default endpoint's concurrency and diagnostics,
    and module parameters (a new version, schemas re-inferred). Refuses anything else with a message."""
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
    resources, lineages = _definition_resources(service, _mapping(properties.get("assets", {}), "properties.assets"))
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
            for node in nodes_of(graph, OUTPUT_MODULE):
                name = node["params"].get("name", "output1")
                edge = next(e for e in graph["edges"] if e["target"] == node["id"])
                inferred = schemas.get((edge["source"], edge["source_port"]))
                outputs[name] = ([{"name": c.name, "kind": str(c.kind)} for c in inferred] if inferred is not None
                                 else deployment.output_schema.get(name, []))
            version = deployment.version + 1
            service.current = Deployment.objects.create(
                service=service, version=version, run=deployment.run, graph=graph,
                input_schema=deployment.input_schema, output_schema=outputs, resources=resources,
                sample=deployment.sample, input_profile=deployment.input_profile, created_by=user,
                lineage={**deployment.lineage, "resources": {**deployment.lineage.get("resources", {}), **lineages}})
            service.deployed_at = timezone.now()
            service.save(update_fields=["current", "deployed_at"])
            Endpoint.objects.filter(service=service).update(version=F("version") + 1)
            deployment_recorded(service)
            signal_changes(service)
    return service
