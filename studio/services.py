"""Writes for the studio app: workspaces, users and their API tokens."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from .models import ApiToken, Membership, Workspace


@transaction.atomic
def workspace_create(*, owner: User, name: str) -> Workspace:
    """A workspace with its owner as the first member."""
    workspace = Workspace.objects.create(name=name, owner=owner)
    Membership.objects.create(workspace=workspace, user=owner, role=Membership.Role.OWNER)
    return workspace


def workspace_ensure_default(*, user: User) -> Workspace:
    """Every user has at least one workspace, created with the account."""
    existing = Workspace.objects.filter(memberships__user=user).order_by("created").first()
    return existing or workspace_create(owner=user, name=f"{user.get_username()}'s workspace")


@transaction.atomic
def api_token_create(*, user: User, replace: bool = False) -> tuple[ApiToken, str]:
    """A new API token for the user and its key, which nothing keeps: show it now. `replace` revokes the user's
    other tokens."""
    if replace:
        ApiToken.objects.filter(user=user).delete()
    token = ApiToken(user=user)
    key = token.set_key()
    token.save()
    return token, key
