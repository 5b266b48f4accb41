from django.contrib import admin

from .models import Membership, Workspace


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
