"""Deploy Web Service: freeze an experiment's run into a deployment snapshot and publish it (DESIGN §4)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
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
from experiments.modules.framework.table_files import ParsingRules
from experiments.service_kinds import kind_of_graph
from experiments.setup import last_run_facts
from studio.errors import RequestRefused
from studio.sealing import seal

from .drift import profile
from .lineage import deployment_lineage
from .models import Deployment, Endpoint, WebService
from .resource_history import deployment_recorded
from .scoring.keys import Keys, key_hash
from .scoring.served import signal_change
from .scoring.wire import format_outputs

DEFAULT_ENDPOINT = "default"


class DeployError(RequestRefused):
    """Deploy can't proceed; the message says what to do."""


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
    setattr(endpoint, f"{which}_key_sealed", seal(key))
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
    endpoint.save(update_fields=[f"{which}_key_hash", f"{which}_key_hint", f"{which}_key_sealed"])
    signal_on_commit([endpoint.endpoint_id])  # the old key stops working at once in every process
    return key


# --- The snapshot ----------------------------------------------------------------------------------


def nodes_of(graph: dict[str, Any], module: str) -> list[dict[str, Any]]:
    return [node for node in graph["nodes"] if node["module"] == module]


SAMPLE_ROWS = 2
MAX_LEVELS = 100  # more distinct values than this: a free-text field, not a list to scroll


def _sample_rows(run: Run, node: str, labels: set[str]) -> dict[str, Any]:
    """The first rows that reached a Web service input in the run (without the label), for help pages."""
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
    for column in columns:  # whole-number columns answer as integers on the classic wire ("39" / Int32)
        if column["kind"] == "numeric" and value.frame[column["name"]].dtype.kind in "iu":
            column["integer"] = True
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


def _datasets_read(experiment: Experiment, resources: list[dict[str, Any]]) -> list[tuple[set[str], dict[str, Any]]]:
    """The datasets the service's rows stand for, with how each was read (Dataset.parsing): those the graph
    reads, else (a predictive graph fed only by its web service input) those its training experiment read."""
    ids = [resource["Dataset"] for resource in resources if resource["Kind"] == "Dataset"]
    training = experiment.training_experiment
    if not ids and training is not None:
        ids = [int(node["params"]["dataset"]) for node in training.graph.get("nodes", [])
               if node.get("module") == "dataset" and str(node.get("params", {}).get("dataset")).isdigit()]
    return [({column["name"] for column in dataset.columns}, dataset.parsing)
            for dataset in Dataset.objects.filter(pk__in=ids).order_by("pk")]


def input_rules(names: list[str], recorded: list[tuple[set[str], dict[str, Any]]]) -> dict[str, Any] | None:
    """The parsing rules of the dataset that shares most columns with a web service input (the first such, when
    several do), as the input's columns record them ("parsing"); None when they are the defaults, which a
    column without a record reads by (a service deployed before rules were recorded reads the same way)."""
    overlap = [(len(columns & set(names)), index) for index, (columns, _) in enumerate(recorded)]
    best = max(overlap, key=lambda pair: (pair[0], -pair[1]), default=(0, 0))
    if best[0] == 0:
        return None
    rules = ParsingRules.from_json(recorded[best[1]][1])
    return None if rules == ParsingRules() else rules.as_json()


def _kind_of(experiment: Experiment, graph: dict[str, Any]) -> str:
    trains = any(registry.get(n["module"]).web_service == ServiceRole.TRAIN for n in graph["nodes"])
    return kind_of_graph(training=experiment.kind == Experiment.Kind.TRAINING, trains=trains,
                         serves_model=bool(nodes_of(graph, MODEL_SOURCE))).name


def snapshot(experiment: Experiment) -> dict[str, Any]:
    """The frozen deployment: graph, resources and schemas, from a finished run of the current graph."""
    graph = experiment.graph
    inputs, outputs = nodes_of(graph, INPUT_MODULE), nodes_of(graph, OUTPUT_MODULE)
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
    recorded = _datasets_read(experiment, resources)
    for columns in input_schema.values():
        rules = input_rules([column["name"] for column in columns], recorded)
        for column in columns if rules else []:
            column["parsing"] = rules
    output_schema = {node["params"].get("name", "output1"): _table_schema(run, node["id"], "dataset")
                     for node in outputs}
    names = list(input_schema) + list(output_schema)
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise DeployError(f"Two web service inputs or outputs are named '{duplicated[0]}'; give each its own name.")
    sample = {node["params"].get("name", "input1"): _sample_rows(run, node["id"], labels) for node in inputs}
    return {"run": run, "graph": graph, "input_schema": input_schema, "output_schema": output_schema,
            "resources": resources, "kind": _kind_of(experiment, graph), "sample": sample,
            "input_profile": {node["params"].get("name", "input1"): _input_profile(
                run, node["id"], input_schema[node["params"].get("name", "input1")]) for node in inputs}}


def _input_profile(run: Run, node: str, columns: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary of the rows that reached a web service input in the run (the training data), which what
    the endpoint scores is compared with (input drift)."""
    value = store.load_output(run_output_record(run, node, "dataset"))
    return profile(value, columns) if isinstance(value, DataTable) else {}


def signal_changes(service: WebService) -> None:
    """Once committed, every process serves the service's new version on its next request."""
    signal_on_commit(list(service.endpoints.values_list("endpoint_id", flat=True)))


def signal_on_commit(endpoint_ids: list[str]) -> None:
    """Once committed, every process reloads these endpoints on its next request (new keys, a new version, or
    none: an endpoint deleted answers 401 at once, not after the per-process cache's once-a-second check)."""
    def signal() -> None:
        for endpoint_id in endpoint_ids:
            signal_change(endpoint_id)

    transaction.on_commit(signal)


def service_name(experiment: Experiment) -> str:
    return experiment.name


def deploy(*, experiment: Experiment, web_service: WebService | None = None,
           user: User | None = None) -> Deployed:
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
            resources=frozen["resources"], sample=frozen["sample"],
            input_profile=frozen["input_profile"], created_by=user,
            lineage=deployment_lineage(experiment, frozen["run"], frozen["resources"]))
        web_service.current, web_service.kind = deployment, frozen["kind"]
        web_service.name, web_service.deployed_at = service_name(experiment), timezone.now()
        web_service.save()
        keys = None
        endpoint = web_service.endpoints.filter(is_default=True).first()
        if endpoint is None:
            endpoint, keys = endpoint_create(service=web_service, name=DEFAULT_ENDPOINT, is_default=True)
        else:
            Endpoint.objects.filter(service=web_service).update(version=F("version") + 1)
            endpoint.refresh_from_db()
            deployment_recorded(web_service)
            signal_changes(web_service)
    return Deployed(web_service, endpoint, keys, created)
