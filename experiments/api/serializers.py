from __future__ import annotations

from typing import Any

from rest_framework import serializers

from experiments.engine.output import as_text
from experiments.lineage import asset_lineage
from experiments.models import Asset, Dataset, Experiment, NodeRun, Run
from experiments.selectors import node_run_origin
from experiments.service_kinds import PREDICTIVE, SET_UP_CHOICES


class ExperimentSerializer(serializers.ModelSerializer):
    workspace = serializers.CharField(required=False, write_only=False)
    graph = serializers.JSONField(required=False)
    predictive_experiment = serializers.SerializerMethodField()
    validation = serializers.SerializerMethodField()
    last_run = serializers.SerializerMethodField()

    class Meta:
        model = Experiment
        fields = ["id", "name", "kind", "workspace", "training_experiment", "predictive_experiment", "graph",
                  "validation", "last_run", "created", "updated"]
        read_only_fields = ["kind", "training_experiment", "created", "updated"]

    def to_representation(self, instance: Experiment) -> dict[str, Any]:
        body = super().to_representation(instance)
        body["workspace"] = instance.workspace_id
        return body

    def get_predictive_experiment(self, experiment: Experiment) -> int | None:
        linked = experiment.predictive_experiments.order_by("-created").values_list("pk", flat=True).first()
        return linked

    def get_validation(self, experiment: Experiment) -> list[dict[str, str]]:
        from experiments.services import experiment_problems

        return [problem.as_json() for problem in experiment_problems(experiment)]

    def get_last_run(self, experiment: Experiment) -> int | None:
        return experiment.runs.order_by("-created").values_list("pk", flat=True).first()


class SaveAsSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True)


class RunRequestSerializer(serializers.Serializer):
    nodes = serializers.ListField(child=serializers.CharField(max_length=100), required=False, allow_empty=True)


class DatasetSerializer(serializers.ModelSerializer):
    workspace = serializers.CharField(source="workspace_id", read_only=True)

    class Meta:
        model = Dataset
        fields = ["id", "name", "description", "source", "workspace", "rows", "columns", "size_bytes", "parsing",
                  "created"]
        read_only_fields = ["parsing"]


class AssetSerializer(serializers.ModelSerializer):
    workspace = serializers.CharField(source="workspace_id", read_only=True)
    experiment = serializers.IntegerField(source="source_run.experiment_id", read_only=True, default=None)
    lineage = serializers.SerializerMethodField(help_text=(
        'Where it came from, recorded when it was saved: {"experiment", "experiment_name", "run", "node", '
        '"datasets": [{"id", "name", "sha256", "node"}], "modules": {module: version}, "parameters", '
        '"studio_version", "trained"} ("reconstructed": true when rebuilt from its run for an older asset).'))

    class Meta:
        model = Asset
        fields = ["id", "kind", "name", "description", "workspace", "summary", "size_bytes", "source_run",
                  "source_node", "source_port", "experiment", "lineage", "created"]
        read_only_fields = ["kind", "summary", "size_bytes", "source_run", "source_node", "source_port", "created"]


    def get_lineage(self, asset: Asset) -> dict[str, Any]:
        return asset_lineage(asset)


class SetupSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SET_UP_CHOICES, default=PREDICTIVE.name)
    train_node = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=100)


class SaveOutputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class DatasetUploadSerializer(serializers.Serializer):
    """An upload and how to read it; every option left out reads the file as uploads always were read."""

    file = serializers.FileField()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    workspace = serializers.CharField(max_length=32, required=False)
    missing = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, trim_whitespace=False,
        help_text="Cells read as missing, separated by commas (an empty cell always is); default "
                  "'?, NA, N/A, NaN, nan, null, NULL'.")
    decimal = serializers.ChoiceField(choices=[".", ","], required=False, help_text="Decimal separator; default '.'.")
    true = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                 help_text="Extra words read as true, separated by commas (true/True/TRUE always are).")
    false = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                  help_text="Extra words read as false, separated by commas.")
    separator = serializers.ChoiceField(choices=["", ",", ";", "tab"], required=False, allow_blank=True,
                                        help_text="Field separator of a text file; default: tab for .tsv, else ','.")
    lenient = serializers.BooleanField(required=False, default=False, help_text=(
        "Pad lines with too few fields with missing values and skip lines with too many, reporting how many; "
        "without it such a line is refused with a 400 naming it."))


# A run is one task: every module it computes runs on the worker that claimed it (Run.worker, its Celery
# hostname). A node taken from the cache was computed by an earlier run: its output log names that run's worker.
COMPUTED_HERE = (NodeRun.Status.RUNNING, NodeRun.Status.FINISHED, NodeRun.Status.FAILED)


def node_run_json(node_run: NodeRun, outputs: list[str], worker: str = "") -> dict[str, Any]:
    """A node's state in its run; `worker` is the run's, named only for a node this run computed."""
    return {"status": node_run.status, "progress": node_run.progress, "duration_ms": node_run.duration_ms,
            "worker": (worker or None) if node_run.status in COMPUTED_HERE else None,
            "error": node_run.error or None, "parameter": node_run.error_parameter or None,
            "column": node_run.error_column or None, "traceback": node_run.traceback or None,
            "log": node_run.log or None, "module": node_run.module, "started": node_run.started,
            "finished": node_run.finished,
            "outputs": outputs if node_run.status in (NodeRun.Status.FINISHED, NodeRun.Status.CACHED) else []}


def node_log_json(node_run: NodeRun) -> dict[str, Any]:
    """A node's output log (classic "View output log"): timings, its error and traceback, and what it printed,
    warned and logged, in order; `text` is the same as one plain text."""
    run, origin = node_run.run, node_run_origin(node_run)
    entries = origin.output if origin is not None else node_run.output
    return {"run": run.pk, "node": node_run.node_id, "module": node_run.module, "status": node_run.status,
            "queued": run.created, "started": node_run.started, "finished": node_run.finished,
            "duration_ms": node_run.duration_ms, "error": node_run.error or None,
            "parameter": node_run.error_parameter or None, "column": node_run.error_column or None,
            "traceback": node_run.traceback or None, "entries": entries, "text": as_text(entries),
            "worker": (origin.run.worker if origin is not None
                       else run.worker if node_run.status in COMPUTED_HERE else "") or None,
            "reused_from": {"run": origin.run_id, "node": origin.node_id, "finished": origin.finished}
            if origin is not None else None}


def run_json(run: Run, ports: dict[str, list[str]]) -> dict[str, Any]:
    """A run's state; `worker` is the Celery worker (its hostname) that claimed and executed it."""
    return {"id": run.pk, "experiment": run.experiment_id, "status": run.status, "error": run.error or None,
            "worker": run.worker or None, "selected": run.selected, "created": run.created, "started": run.started,
            "finished": run.finished,
            "nodes": {nr.node_id: node_run_json(nr, ports.get(nr.node_id, []), run.worker)
                      for nr in run.node_runs.all()}}
