"""Reads for web services, scoped to the user's workspaces (others' are 404)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from studio.selectors import workspaces_of

from .models import WebService


def web_services_of(user: User | AnonymousUser) -> QuerySet[WebService]:
    return (WebService.objects.filter(workspace__in=workspaces_of(user))
            .select_related("current", "workspace", "experiment").prefetch_related("endpoints"))


def service_names(ids: set[int]) -> dict[int, str]:
    """{id: name} of web services, for the storage listing's owners (studio.storage.OWNER_NAMES)."""
    return dict(WebService.objects.filter(pk__in=ids).values_list("pk", "name"))
