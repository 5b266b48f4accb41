"""Writes for the studio app: workspaces and users."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from .models import Membership, Workspace


@transaction.atomic
def workspace_create(*, owner: AbstractBaseUser, name: str) -> Workspace:
    """A workspace with its owner as the first member."""
    workspace = Workspace.objects.create(name=name, owner=owner)
    Membership.objects.create(workspace=workspace, user=owner, role=Membership.Role.OWNER)
    return workspace


def workspace_ensure_default(*, user: AbstractBaseUser) -> Workspace:
    """Every user has at least one workspace, created with the account."""
    existing = Workspace.objects.filter(memberships__user=user).order_by("created").first()
    return existing or workspace_create(owner=user, name=f"{user.get_username()}'s workspace")
