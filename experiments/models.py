"""Experiments: a graph of modules inside a workspace (DESIGN §3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from studio.models import Workspace


def empty_graph() -> dict[str, list[object]]:
    return {"nodes": [], "edges": []}


class Experiment(models.Model):
    class Kind(models.TextChoices):
        TRAINING = "training", "Training"
        PREDICTIVE = "predictive", "Predictive"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="experiments")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.TRAINING)
    training_experiment = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="predictive_experiments"
    )
    graph = models.JSONField(default=empty_graph)
    conversion = models.JSONField(default=dict, blank=True,
                                  help_text='Set Up Web Service\'s record: {"generated": [...], "train_node", "run"}.')
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="experiments"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated"]
        indexes = [models.Index(fields=["workspace", "-updated"])]

    def __str__(self) -> str:
        return self.name


class Dataset(models.Model):
    """A saved table: a sample shipped with Atelier (no workspace) or one uploaded into a workspace."""

    class Source(models.TextChoices):
        SAMPLE = "sample", "Sample"
        UPLOAD = "upload", "Upload"
        RUN = "run", "Saved from a run"

    workspace = models.ForeignKey(Workspace, null=True, blank=True, on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.UPLOAD)
    slug = models.SlugField(max_length=100, blank=True, help_text="Stable key of a sample dataset.")
    path = models.CharField(max_length=500, help_text="Parquet file in the storage.")
    sha256 = models.CharField(max_length=64)
    origin_sha256 = models.CharField(max_length=64, blank=True, help_text="Hash of the file it was read from.")
    rows = models.PositiveIntegerField(default=0)
    columns = models.JSONField(default=list, help_text='[{"name", "kind", "role"}]')
    size_bytes = models.PositiveBigIntegerField(default=0)
    parsing = models.JSONField(default=dict, blank=True, help_text=(
        'How the file was read: {"missing", "decimal", "true", "false", "lenient", "separator"?, and when lenient '
        '"padded", "skipped", "padded_lines", "skipped_lines"}; empty: the default rules (table_files.ParsingRules).'))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["slug"], condition=models.Q(source="sample"),
                                               name="one_sample_per_slug")]

    def __str__(self) -> str:
        return self.name


class Run(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="runs")
    graph = models.JSONField(help_text="The graph as it was when the run started.")
    selected = models.JSONField(default=list, blank=True, help_text="Nodes asked for; empty means all.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="The task message that may run it (the last "
                               "one sent); a delivery with another id does nothing.")
    dispatched = models.DateTimeField(null=True, blank=True, help_text="When its turn came and its task was sent "
                                      "(empty while it waits behind its workspace's other work).")
    worker = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.experiment}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class NodeRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        CACHED = "cached", "Cached"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="node_runs")
    node_id = models.CharField(max_length=100)
    module = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    cache_key = models.CharField(max_length=64, blank=True, db_index=True)
    error = models.TextField(blank=True)
    error_parameter = models.CharField(max_length=100, blank=True)
    error_column = models.CharField(max_length=200, blank=True)
    traceback = models.TextField(blank=True)
    log = models.TextField(blank=True)
    output = models.JSONField(default=list, blank=True, help_text='The output log: [{"stream": "stdout|stderr|'
                              'warning|log|atelier", "text"}] in the order written (ATELIER_NODE_LOG_MAX_BYTES).')
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "node_id"], name="one_state_per_node_and_run")]

    def __str__(self) -> str:
        return f"{self.node_id} in run {self.run_id}: {self.status}"


class CacheEntry(models.Model):
    """The outputs of one node execution, found again by its cache key (DESIGN §3)."""

    key = models.CharField(primary_key=True, max_length=64)
    module = models.CharField(max_length=100)
    outputs = models.JSONField(help_text='{port: {"path", "type", "bytes", "summary"}}')
    size_bytes = models.PositiveBigIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_used"]
        verbose_name_plural = "cache entries"

    def __str__(self) -> str:
        return f"{self.module} {self.key[:12]}"


class Asset(models.Model):
    """A trained model or transform saved from a run, with its own copy of the bytes (cache pruning never
    breaks it). Set Up Web Service saves the run's artifacts as assets; users save them from any output."""

    class Kind(models.TextChoices):
        TRAINED_MODEL = "trained_model", "Trained model"
        TRANSFORM = "transform", "Transform"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    path = models.CharField(max_length=500, help_text="The artifact file in the storage.")
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True, help_text="Learner, label and features, for listings.")
    source_run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="assets")
    source_node = models.CharField(max_length=100, blank=True)
    source_port = models.CharField(max_length=100, blank=True)
    lineage = models.JSONField(default=dict, blank=True, help_text=(
        'Where it came from, as it was when saved (experiments/lineage.py): {"experiment", "run", "node", '
        '"datasets": [{"id", "name", "sha256"}], "modules", "parameters", "studio_version", "trained"}.'))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["workspace", "kind", "-created"])]

    def __str__(self) -> str:
        return self.name
