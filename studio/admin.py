from django.contrib import admin

from .login import AdminLoginForm
from .models import Membership, WorkerBeat, Workspace

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
