"""Workspace authorization tokens (issue 17): the classic workspace's primary and secondary tokens, which classic
management clients (the R AzureML package, the PowerShell module) send as `Authorization: Bearer <token>`.
Stored like endpoint keys: a SHA-256 to check a presented token, a sealed copy to show it on the workspace's
settings page. `workspace_for_token` is the one check; everything that accepts a workspace token calls it."""

from __future__ import annotations

import hmac
import secrets

from django.db.models import Q

from .models import Workspace, token_digest
from .sealing import seal, unseal

WHICH = ("primary", "secondary")


def new_workspace_token() -> str:
    """32 hex characters (128 random bits), the form of the classic studio's workspace tokens."""
    return secrets.token_hex(16)


def workspace_for_token(raw: str) -> str | None:
    """The id of the workspace whose primary or secondary token `raw` is, else None (also for ''). Looked up by
    the token's hash (a hash of a guess tells nothing about real tokens), then both of the row's digests are
    compared in constant time, as endpoint keys are."""
    if not raw:
        return None
    digest = token_digest(raw)
    row = Workspace.objects.filter(Q(primary_token_digest=digest) | Q(secondary_token_digest=digest)).values_list(
        "pk", "primary_token_digest", "secondary_token_digest").first()
    if row is None:
        return None
    workspace_id, primary, secondary = row
    return workspace_id if hmac.compare_digest(digest, primary) | hmac.compare_digest(digest, secondary) else None


def workspace_token_regenerate(*, workspace: Workspace, which: str) -> str:
    """A new `which` ('primary' or 'secondary') token; the old one stops working at once. Returns the token."""
    if which not in WHICH:
        raise ValueError(f"'which' must be primary or secondary; got {which!r}.")
    token = new_workspace_token()
    setattr(workspace, f"{which}_token_digest", token_digest(token))
    setattr(workspace, f"{which}_token_sealed", seal(token))
    workspace.save(update_fields=[f"{which}_token_digest", f"{which}_token_sealed"])
    return token


def workspace_tokens_ensure(workspace: Workspace) -> None:
    """Give a workspace that has none its two tokens (new workspaces; the migration did the existing ones)."""
    for which in WHICH:
        if not getattr(workspace, f"{which}_token_digest"):
            workspace_token_regenerate(workspace=workspace, which=which)


def workspace_tokens_of(workspace: Workspace) -> dict[str, str | None]:
    """Both tokens in full, for the settings page (None: sealed under a secret no longer configured)."""
    return {which: unseal(getattr(workspace, f"{which}_token_sealed")) for which in WHICH}
