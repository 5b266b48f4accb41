from django.contrib import admin

from .models import (
    BatchJob,
    BatchTask,
    Deployment,
    Endpoint,
    InputSummary,
    RequestLog,
    ResourceVersion,
    RetrainingAttempt,
    RetrainingSchedule,
    ShadowComparison,
    UsageBucket,
    WebService,
)


class EndpointInline(admin.TabularInline):
    model = Endpoint
    extra = 0
    fields = ["name", "endpoint_id", "is_default", "primary_key_hint", "max_concurrent_calls", "version"]
    readonly_fields = ("name", "endpoint_id", "is_default", "primary_key_hint", "max_concurrent_calls", "version")
    can_delete = False


@admin.register(WebService)
class WebServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "workspace", "deployed_at"]
    search_fields = ["name", "workspace__name"]
    list_filter = ["kind", "deployed_at"]
    raw_id_fields = ["experiment", "current"]
    inlines = [EndpointInline]


@admin.register(Deployment)
class DeploymentAdmin(admin.ModelAdmin):
    list_display = ["service", "version", "created"]
    search_fields = ["service__name"]
    list_filter = ["created"]
    raw_id_fields = ["service", "run"]
    readonly_fields = ["graph", "input_schema", "output_schema", "resources", "created"]


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "service", "is_default", "primary_key_hint", "version"]
    search_fields = ["name", "service__name", "endpoint_id"]
    list_filter = ["is_default", "throttle_level"]
    raw_id_fields = ["service"]
    readonly_fields = ["endpoint_id", "primary_key_hash", "secondary_key_hash", "created"]


@admin.register(InputSummary)
class InputSummaryAdmin(admin.ModelAdmin):
    list_display = ["endpoint", "deployment", "rows", "updated"]
    search_fields = ["endpoint__name", "endpoint__service__name"]
    list_filter = ["updated"]
    raw_id_fields = ["endpoint", "deployment"]
    readonly_fields = ["counts", "updated"]


@admin.register(ShadowComparison)
class ShadowComparisonAdmin(admin.ModelAdmin):
    list_display = ["endpoint", "calls", "identical", "failed", "skipped", "updated"]
    search_fields = ["endpoint__name", "endpoint__service__name"]
    list_filter = ["since", "updated"]
    raw_id_fields = ["endpoint"]


@admin.register(UsageBucket)
class UsageBucketAdmin(admin.ModelAdmin):
    list_display = ["endpoint", "minute", "calls", "errors"]
    search_fields = ["endpoint__name", "endpoint__service__name"]
    list_filter = ["minute"]
    raw_id_fields = ["endpoint"]


@admin.register(RequestLog)
class RequestLogAdmin(admin.ModelAdmin):
    list_display = ["endpoint", "time", "status", "duration_ms", "repeats", "size"]
    search_fields = ["endpoint__name", "endpoint__service__name"]
    list_filter = ["status", "time"]
    raw_id_fields = ["endpoint"]


@admin.register(BatchJob)
class BatchJobAdmin(admin.ModelAdmin):
    list_display = ["job_id", "endpoint", "status", "rows", "created"]
    search_fields = ["job_id", "endpoint__service__name"]
    list_filter = ["status", "created"]
    raw_id_fields = ["endpoint"]


@admin.register(BatchTask)
class BatchTaskAdmin(admin.ModelAdmin):
    """A job's tasks sent and not finished: those a worker received name it (what a killed worker took with it);
    those none received are sent again if the broker lost them."""

    list_display = ["job", "task", "task_id", "sent", "worker", "started"]
    search_fields = ["job__job_id", "worker", "task_id"]
    list_filter = ["task", "started"]
    raw_id_fields = ["job"]


@admin.register(ResourceVersion)
class ResourceVersionAdmin(admin.ModelAdmin):
    list_display = ["endpoint", "name", "how", "active", "created"]
    search_fields = ["name", "sha256", "endpoint__name", "endpoint__service__name"]
    list_filter = ["how", "active"]
    raw_id_fields = ["endpoint"]


@admin.register(RetrainingSchedule)
class RetrainingScheduleAdmin(admin.ModelAdmin):
    list_display = ["endpoint", "retraining", "cron", "metric", "margin", "enabled", "last_fired"]
    search_fields = ["endpoint__name", "endpoint__service__name", "input_location"]
    list_filter = ["enabled", "metric"]
    raw_id_fields = ["endpoint", "retraining"]


@admin.register(RetrainingAttempt)
class RetrainingAttemptAdmin(admin.ModelAdmin):
    list_display = ["schedule", "outcome", "new_metric", "current_metric", "started"]
    search_fields = ["message", "schedule__endpoint__name"]
    list_filter = ["outcome", "started"]
    raw_id_fields = ["schedule", "job"]
