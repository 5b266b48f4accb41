"""Reads for the studio app. Everything a user may see is scoped through `workspaces_of`."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import ApiToken, Workspace, token_digest


def workspaces_of(user: User | AnonymousUser) -> QuerySet[Workspace]:
    if not user.is_authenticated:
        return Workspace.objects.none()
    return Workspace.objects.filter(memberships__user=user).distinct()


def default_workspace_of(user: User) -> Workspace | None:
    return workspaces_of(user).order_by("created").first()


def api_token_of(key: str) -> ApiToken | None:
    """The token whose key this is (looked up by the key's hash), with its user."""
    return ApiToken.objects.select_related("user").filter(digest=token_digest(key)).first()


def signed_in(request: HttpRequest) -> User:
    """The user of a page behind login_required, typed as one (Django types request.user as possibly anonymous)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("Sign in first.")
    return user
