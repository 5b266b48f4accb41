"""Reads for the studio app. Everything a user may see is scoped through `workspaces_of`."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from .models import Workspace


def workspaces_of(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Workspace]:
    if not user.is_authenticated:
        return Workspace.objects.none()
    return Workspace.objects.filter(memberships__user=user).distinct()


def default_workspace_of(user: AbstractBaseUser) -> Workspace | None:
    return workspaces_of(user).order_by("created").first()
