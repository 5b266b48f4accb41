from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from .login import AdminLoginForm
from .models import ApiToken, Membership, StorageFile, WorkerBeat, Workspace

admin.site.login_form = AdminLoginForm  # the same sign-in lockout as /login/


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "id", "owner", "created"]
    search_fields = ["name", "id", "owner__username"]
    list_filter = ["created"]
    readonly_fields = ["id", "created"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "joined"]
    search_fields = ["user__username", "workspace__name"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "workspace"]


@admin.register(WorkerBeat)
class WorkerBeatAdmin(admin.ModelAdmin):
    """Which Celery workers are alive (seen in the last 20 s), which stopped cleanly, which went quiet."""

    list_display = ["name", "started", "seen", "stopped"]
    search_fields = ["name"]
    list_filter = ["stopped", "started"]
    readonly_fields = ["name", "started", "seen", "stopped"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Studio API tokens: only a hash is stored, so a new token's key is shown once, in the message after saving."""

    list_display = ["prefix", "user", "created"]
    search_fields = ["prefix", "user__username"]
    list_filter = ["created"]
    autocomplete_fields = ["user"]
    readonly_fields = ["prefix", "created"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> Any:
        return ["user", *self.readonly_fields] if obj is not None else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        key = None if change else obj.set_key()
        super().save_model(request, obj, form, change)
        if key is not None:
            messages.warning(request, f"The new token's key is {key} — copy it now: it is not stored and won't be "
                                      "shown again.")


@admin.register(StorageFile)
class StorageFileAdmin(admin.ModelAdmin):
    """Workspace storage files and their owners (a web service's id, or the studio when empty)."""

    list_display = ["location", "workspace", "service_id", "size", "updated"]
    search_fields = ["location", "sha256", "workspace__name"]
    list_filter = ["updated"]
    raw_id_fields = ["workspace"]
    readonly_fields = ["sha256", "size", "modified", "created", "updated"]
