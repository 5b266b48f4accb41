from django.contrib import admin

from .models import Asset, CacheEntry, Dataset, Experiment, NodeRun, Run


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "workspace", "created_by", "updated"]
    search_fields = ["name", "workspace__name", "created_by__username"]
    list_filter = ["kind", "updated"]
    raw_id_fields = ["training_experiment"]
    readonly_fields = ["created", "updated"]


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "source", "workspace", "rows", "size_bytes", "created"]
    search_fields = ["name", "slug", "workspace__name"]
    list_filter = ["source", "created"]
    readonly_fields = ["sha256", "path", "created"]


class NodeRunInline(admin.TabularInline):
    model = NodeRun
    extra = 0
    fields = ["node_id", "module", "status", "progress", "duration_ms", "error"]
    readonly_fields = ("node_id", "module", "status", "progress", "duration_ms", "error")
    can_delete = False


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["id", "experiment", "status", "created_by", "created", "dispatched", "finished"]
    search_fields = ["experiment__name", "error", "worker", "task_id"]
    list_filter = ["status", "created"]
    readonly_fields = ["created", "dispatched", "started", "finished", "heartbeat"]
    inlines = [NodeRunInline]


@admin.register(NodeRun)
class NodeRunAdmin(admin.ModelAdmin):
    list_display = ["node_id", "module", "run", "status", "duration_ms"]
    search_fields = ["node_id", "module", "error"]
    list_filter = ["status", "module"]
    raw_id_fields = ["run"]


@admin.register(CacheEntry)
class CacheEntryAdmin(admin.ModelAdmin):
    list_display = ["key", "module", "size_bytes", "created", "last_used"]
    search_fields = ["key", "module"]
    list_filter = ["module", "created"]


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "workspace", "size_bytes", "created"]
    search_fields = ["name", "workspace__name"]
    list_filter = ["kind", "created"]
    raw_id_fields = ["source_run"]
    readonly_fields = ["sha256", "path", "summary", "created"]
