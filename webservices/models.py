"""Web services (DESIGN §4): a service, its immutable deployment snapshots, and its endpoints with keys."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from experiments.models import Experiment, Run
from studio.models import Workspace


class WebService(models.Model):
    """One published service. Its `current` deployment is what the default endpoint serves; redeploying
    adds a deployment and moves `current` in one transaction, so requests in flight finish on the old one."""

    class Kind(models.TextChoices):
        PREDICTIVE = "predictive", "Predictive"
        RETRAINING = "retraining", "Retraining"
        DATA = "data", "Data transformation"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="web_services")
    name = models.CharField(max_length=250)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    experiment = models.ForeignKey(Experiment, null=True, on_delete=models.SET_NULL, related_name="web_services",
                                   help_text="The experiment deployed (predictive, or training for retraining).")
    current = models.ForeignKey("Deployment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created = models.DateTimeField(auto_now_add=True)
    deployed_at = models.DateTimeField(null=True, blank=True)
    traffic = models.JSONField(default=dict, blank=True, help_text=(
        '{"split": {endpoint name: whole percent}, "shadow": [endpoint names]}: how the default endpoint\'s calls '
        'are shared between the service\'s endpoints, and which get copies (webservices/traffic.py); empty: all '
        'to the default endpoint.'))

    class Meta:
        ordering = ["-deployed_at", "-created"]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name with what tells two services of the same name apart (issue 15): its id and deploy time."""
        when = f", deployed {self.deployed_at:%Y-%m-%d %H:%M} UTC" if self.deployed_at else ""
        return f"'{self.name}' (#{self.pk}{when})"


class Deployment(models.Model):
    """The frozen snapshot of a deploy: graph, artifact references with their hashes, and the schemas.
    Never edited: scoring caches compiled scorers by (endpoint, version) and trusts it not to change."""

    service = models.ForeignKey(WebService, on_delete=models.CASCADE, related_name="deployments")
    version = models.PositiveIntegerField()
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    graph = models.JSONField()
    input_schema = models.JSONField(default=dict, help_text='{input name: [{"name", "kind", "optional"}]}')
    output_schema = models.JSONField(default=dict, help_text='{output name: [{"name", "kind"}]}')
    resources = models.JSONField(default=list, help_text='[{"Name", "Kind", "Node", "Asset", "Path", "Sha256"}]')
    sample = models.JSONField(default=dict, blank=True,
                              help_text='{input: {"ColumnNames", "Values"}}: sample rows for help pages')
    input_profile = models.JSONField(default=dict, blank=True, help_text='{input: {column: {"kind", "edges" or '
                                     '"categories", "expected", "buckets"}}}: the training data, for drift')
    lineage = models.JSONField(default=dict, blank=True, help_text=(
        'Where it came from, as it was when deployed (webservices/lineage.py): the deployed experiment and run, and '
        '{"resources": {name: the lineage of each saved model it serves}}.'))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["service", "-version"]
        constraints = [models.UniqueConstraint(fields=["service", "version"], name="one_version_per_service")]

    def __str__(self) -> str:
        return f"{self.service} v{self.version}"


class Endpoint(models.Model):
    """A named way in to a service, with two keys: SHA-256 hashes for checking a presented key (the hot path), and
    sealed copies (studio/sealing.py) so that managers can read them again (issue 17; empty for keys made before)."""

    class TraceLevel(models.TextChoices):
        NONE = "None", "None"
        ERROR = "Error", "Error"
        ALL = "All", "All"

    class Throttle(models.TextChoices):
        LOW = "Low", "Low"
        HIGH = "High", "High"

    service = models.ForeignKey(WebService, on_delete=models.CASCADE, related_name="endpoints")
    name = models.CharField(max_length=64)
    endpoint_id = models.CharField(max_length=32, unique=True)
    is_default = models.BooleanField(default=False)
    description = models.TextField(blank=True)
    primary_key_hash = models.CharField(max_length=64, db_index=True)
    secondary_key_hash = models.CharField(max_length=64, db_index=True)
    primary_key_hint = models.CharField(max_length=8)
    secondary_key_hint = models.CharField(max_length=8)
    primary_key_sealed = models.TextField(blank=True, editable=False)
    secondary_key_sealed = models.TextField(blank=True, editable=False)
    max_concurrent_calls = models.PositiveSmallIntegerField(default=20)
    diagnostics_trace_level = models.CharField(max_length=5, choices=TraceLevel.choices, default=TraceLevel.NONE)
    throttle_level = models.CharField(max_length=4, choices=Throttle.choices, default=Throttle.LOW)
    resources = models.JSONField(default=list, blank=True,
                                 help_text="Resources patched onto this endpoint (retraining), over the snapshot's.")
    version = models.PositiveIntegerField(default=1, help_text="Bumped by every redeploy or patch.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["service", "-is_default", "name"]
        constraints = [models.UniqueConstraint(fields=["service", "name"], name="endpoint_names_unique_per_service")]

    def __str__(self) -> str:
        return f"{self.service} / {self.name}"


class ShadowComparison(models.Model):
    """How a shadow endpoint's answers compared with the answers the callers got, since the traffic split was
    last set (webservices/shadow.py). Counts are added by every web process."""

    endpoint = models.OneToOneField(Endpoint, on_delete=models.CASCADE, related_name="shadow_comparison")
    calls = models.PositiveBigIntegerField(default=0, help_text="Copies scored and compared.")
    identical = models.PositiveBigIntegerField(default=0, help_text="Of them, answers identical to the caller's.")
    failed = models.PositiveBigIntegerField(default=0, help_text="Copies the shadow answered with an error.")
    skipped = models.PositiveBigIntegerField(default=0, help_text="Copies dropped: shadow work was behind.")
    numbers = models.PositiveBigIntegerField(default=0, help_text="Numeric output values compared.")
    abs_diff = models.FloatField(default=0.0, help_text="Sum of |shadow - primary| over those values.")
    since = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.endpoint} shadow: {self.identical}/{self.calls} identical"


LATENCY_BOUNDS_MS = (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


class InputSummary(models.Model):
    """What an endpoint has scored since its service's deployment, binned as the deployment's input profile:
    the live side of input drift (webservices/drift.py). Counts are added by every web process."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="input_summaries")
    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="+")
    rows = models.PositiveBigIntegerField(default=0)
    counts = models.JSONField(default=dict, help_text='{"input/column": [count per bucket, missing last]}')
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["endpoint", "deployment"], name="one_summary_per_deployment")]

    def __str__(self) -> str:
        return f"{self.endpoint}: {self.rows} rows seen"


class UsageBucket(models.Model):
    """Calls to one endpoint in one minute: counts and a latency histogram (bins of LATENCY_BOUNDS_MS, the
    last open-ended), from which p50/p95 are read. Written in batches, off the request path."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="usage")
    minute = models.DateTimeField()
    calls = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    studio_calls = models.PositiveIntegerField(default=0, help_text="Of the calls, those from the endpoint page's "
                                               "Test form (counted like any other).")
    total_ms = models.FloatField(default=0.0)
    histogram = models.JSONField(default=list)

    class Meta:
        ordering = ["endpoint", "minute"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "minute"], name="one_bucket_per_minute")]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.minute:%Y-%m-%d %H:%M}: {self.calls} calls"


class RequestLog(models.Model):
    """A scoring call kept as the endpoint's DiagnosticsTraceLevel says (All: every call with its bodies;
    Error: failures only). Identical failures of an endpoint (same status and error) within
    ATELIER_REQUEST_LOG_REPEAT_SECONDS share one row that counts them (`repeats`, `last_time`); the log is
    pruned by age and total size (webservices/usage.py)."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="requests")
    time = models.DateTimeField(db_index=True)
    status = models.PositiveSmallIntegerField()
    duration_ms = models.FloatField()
    size = models.PositiveIntegerField(default=0, help_text="Bytes of the two bodies kept (for the size limit).")
    repeats = models.PositiveIntegerField(default=1, help_text="Calls this row stands for (identical failures).")
    last_time = models.DateTimeField(null=True, blank=True, help_text="The last of the repeated calls.")
    fingerprint = models.CharField(max_length=32, blank=True, help_text="A failure's status and error, hashed.")
    request = models.TextField(blank=True)
    response = models.TextField(blank=True)
    source = models.CharField(max_length=6, default="api", help_text="api: a client's call; studio: the Test form.")

    class Meta:
        ordering = ["-time"]
        indexes = [models.Index(fields=["endpoint", "fingerprint", "last_time"], name="request_log_repeats")]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.time:%Y-%m-%d %H:%M:%S} {self.status}"


class BatchJob(models.Model):
    """A Batch Execution Service job: inputs and outputs name files in the workspace storage or blobs of an Azure
    storage account (`blob_accounts`)."""

    class Status(models.TextChoices):
        NOT_STARTED = "NotStarted", "Not started"
        RUNNING = "Running", "Running"
        FAILED = "Failed", "Failed"
        CANCELLED = "Cancelled", "Cancelled"
        FINISHED = "Finished", "Finished"

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="jobs")
    job_id = models.CharField(max_length=32, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NOT_STARTED)
    inputs = models.JSONField(help_text='{input name: "container/path.csv"}')
    outputs = models.JSONField(help_text='{output name: "container/path.csv"}')
    global_parameters = models.JSONField(default=dict, blank=True)
    blob_accounts = models.JSONField(default=dict, blank=True, help_text='{"Inputs"|"Outputs": {name: sealed Azure '
                                     'account}} for the places on a caller\'s Azure Blob storage (webservices/blob.py)')
    details = models.TextField(blank=True)
    chunks = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    split_done = models.BooleanField(default=False, help_text="The inputs are all read; `chunks` is final.")
    joining = models.BooleanField(default=False, help_text="Claimed by the task writing the outputs.")
    rows = models.PositiveBigIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    dispatched = models.DateTimeField(null=True, blank=True, help_text="When its turn came and its first task was "
                                      "sent (empty while a started job waits behind its workspace's other work).")

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"job {self.job_id} ({self.status})"


class BatchTask(models.Model):
    """A task of a job, from when it is sent until it ends (deleted then, however it ends). `worker` is set when
    a worker receives it: a row left by a worker that stopped beating is a task lost with it (the job can't
    finish); a row no worker received for a while, whose message the broker no longer holds, was lost with the
    broker and is sent again under a new `task_id` (a delivery of the old id then does nothing)."""

    job = models.ForeignKey(BatchJob, on_delete=models.CASCADE, related_name="tasks_in_progress")
    worker = models.CharField(max_length=200, blank=True)
    task = models.CharField(max_length=50, help_text="split, chunk N or join")
    task_id = models.CharField(max_length=64, blank=True, db_index=True)
    sent = models.DateTimeField(null=True, blank=True)
    started = models.DateTimeField(null=True, blank=True, help_text="When a worker received it.")

    def __str__(self) -> str:
        return f"{self.task} of {self.job} on {self.worker}"


class ResourceVersion(models.Model):
    """One model an endpoint has served for a resource: the deployed one or a patch (retraining). The
    endpoint's `resources` points at the active one; Roll back makes an older one active again."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="resource_versions")
    name = models.CharField(max_length=250, help_text="The resource's name, e.g. 'Income [trained model]'.")
    path = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=500, blank=True, help_text="Where it came from (storage location).")
    metrics = models.JSONField(default=dict, blank=True, help_text="Evaluation recorded in the .ilearner.")
    how = models.CharField(max_length=20, default="patch", help_text="deploy | patch | rollback | schedule")
    active = models.BooleanField(default=False)
    activated_by = models.CharField(max_length=20, blank=True, help_text="How it last became the active one: "
                                    "deploy | patch | schedule | rollback (empty: as `how`).")
    lineage = models.JSONField(default=dict, blank=True, help_text=(
        'Where this model came from, as it was when recorded (webservices/lineage.py); a patch\'s names its batch '
        'job and input file.'))
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["endpoint", "-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.name} {self.sha256[:8]}"


class RetrainingSchedule(models.Model):
    """Scheduled retraining (beyond the classic studio): on a cron schedule, run the retraining service on a
    storage file and patch the endpoint only if the new model's metric passes the promotion gate."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="schedules",
                                 help_text="The predictive endpoint to patch (not a default endpoint).")
    retraining = models.ForeignKey(WebService, on_delete=models.CASCADE, related_name="+",
                                   help_text="The retraining web service that trains the new model.")
    cron = models.CharField(max_length=100, help_text="minute hour day-of-month month day-of-week (UTC)")
    input_location = models.CharField(max_length=500, help_text="The training data in the workspace storage.")
    metric = models.CharField(max_length=100, default="AUC")
    margin = models.FloatField(default=0.0, help_text="How much better (in the metric's direction) it must be.")
    enabled = models.BooleanField(default=True)
    last_fired = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["endpoint", "pk"]

    def __str__(self) -> str:
        return f"{self.endpoint} every '{self.cron}'"


class RetrainingAttempt(models.Model):
    """One scheduled (or run-now) retraining: its job, both metrics and whether the endpoint was patched."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        PROMOTED = "promoted", "Promoted"
        KEPT = "kept", "Kept the current model"
        FAILED = "failed", "Failed"

    schedule = models.ForeignKey(RetrainingSchedule, on_delete=models.CASCADE, related_name="attempts")
    job = models.ForeignKey(BatchJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="attempts")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    new_metric = models.FloatField(null=True, blank=True)
    current_metric = models.FloatField(null=True, blank=True)
    message = models.TextField(blank=True)
    started = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started", "-pk"]

    def __str__(self) -> str:
        return f"{self.schedule} at {self.started:%Y-%m-%d %H:%M}: {self.outcome}"
