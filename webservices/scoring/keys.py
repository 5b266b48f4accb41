"""Endpoint keys: how they are stored, the one comparison every key-taking call uses (`endpoint_key_matches`),
and the throttle on failed checks (issue 14, finding 10).

`check` is the check: a caller locked out for failing too often is answered 429 without its key being
looked at; otherwise the key is compared in constant time with both keys of every endpoint the call accepts,
and a miss is counted. A missing endpoint accepts no hash, so a call without the right key gets the same 401 whether the
endpoint (service, job) exists or not. The scoring hot path uses `check_async`, which for a caller this
process has not seen locked out is a few microseconds of memory work: the shared counts are touched only
by failures and by callers already locked out.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import orjson
from asgiref.sync import sync_to_async
from django.http import HttpResponse

from studio.models import Membership
from studio.sealing import unseal
from studio.selectors import api_token_of
from studio.throttle import FailureLimit
from studio.workspace_tokens import workspace_for_token

from .wire import error_body

UNAUTHORIZED = "Missing or wrong API key: send 'Authorization: Bearer <key>' with a key of this endpoint."
key_failures = FailureLimit("key", limit="ATELIER_KEY_MAX_FAILURES", window="ATELIER_KEY_WINDOW_SECONDS",
                            lockout="ATELIER_KEY_LOCKOUT_SECONDS")


class KeyHolder(Protocol):
    """Anything that holds an endpoint's two key hashes: the Endpoint row, or a process's `Served` copy of it."""

    @property
    def primary_key_hash(self) -> str: ...

    @property
    def secondary_key_hash(self) -> str: ...


H = TypeVar("H", bound=KeyHolder)


class SealedKeys(Protocol):
    """An Endpoint row's sealed copies of its keys (issue 17), kept so managers can read the keys again."""

    @property
    def primary_key_sealed(self) -> str: ...

    @property
    def secondary_key_sealed(self) -> str: ...


@dataclass(frozen=True)
class Keys:
    """An endpoint's two keys in full, as the call that made them has them."""

    primary: str
    secondary: str


def stored_keys(endpoint: SealedKeys) -> dict[str, str | None]:
    """`PrimaryKey`/`SecondaryKey` read back from the sealed copies, for management answers (never the hot path):
    None for a key made before keys were sealed (issue 17) until it is regenerated."""
    return {"PrimaryKey": unseal(endpoint.primary_key_sealed), "SecondaryKey": unseal(endpoint.secondary_key_sealed)}


def key_hash(key: str) -> str:
    """Keys are long random strings, so one SHA-256 is enough to store them safely."""
    return hashlib.sha256(key.encode()).hexdigest()


def presented_key(authorization: str) -> str:
    """The key of an `Authorization: Bearer <key>` header ('' for anything else)."""
    scheme, _, key = authorization.partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


def endpoint_key_matches(endpoint: KeyHolder, presented_key: str) -> bool:
    """Whether `presented_key` is the endpoint's primary or secondary key. Both hashes are always compared, in
    constant time, so the answer takes as long whichever key (or none) it is; an empty key matches nothing."""
    digest = key_hash(presented_key)
    primary = hmac.compare_digest(digest, endpoint.primary_key_hash)
    secondary = hmac.compare_digest(digest, endpoint.secondary_key_hash)
    return bool(presented_key) and (primary | secondary)


def key_owner(authorization: str, endpoints: Iterable[H]) -> H | None:
    """Which of `endpoints` the header's key belongs to; every one is compared (no early exit)."""
    key = presented_key(authorization)
    found = None
    for endpoint in endpoints:
        if endpoint_key_matches(endpoint, key):
            found = endpoint
    return found


def workspace_manager(authorization: str, workspace_id: str) -> bool:
    """Whether the header may manage the workspace: a studio token of a member (`Token <key>`) or one of the
    workspace's authorization tokens (`Bearer <token>`, as classic management clients send it)."""
    if token_member(authorization, workspace_id):
        return True
    return workspace_for_token(presented_key(authorization)) == workspace_id


def token_member(authorization: str, workspace_id: str) -> bool:
    """Whether the header is `Authorization: Token <studio token>` of a member of the workspace."""
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "token" or not key.strip():
        return False
    token = api_token_of(key.strip())
    return token is not None and Membership.objects.filter(workspace_id=workspace_id, user_id=token.user_id).exists()


@dataclass(frozen=True)
class Refusal:
    """The answer to a call whose credentials failed: 401, or 429 with Retry-After once locked out."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def as_response(refusal: Refusal) -> HttpResponse:
    """The refusal as a Django response (the Azure-style JSON error, with its headers)."""
    response = HttpResponse(orjson.dumps(refusal.body), status=refusal.status,
                            content_type="application/json; charset=utf-8")
    for name, value in refusal.headers.items():
        response[name] = value
    return response


def throttled(seconds: int) -> Refusal:
    # 429, not 503: classic clients retry 503 by themselves, and a caller failing its key must not be retried.
    return Refusal(429, error_body("TooManyRequests", f"Too many calls with a wrong key or token from this address; "
                                   f"retry after {seconds} seconds."), {"Retry-After": str(seconds)})


# Addresses this process has seen locked out, with when that lockout ends (by the throttle's clock): only
# these pay a look at the shared store before their key is checked.
_suspects: dict[str, float] = {}
_suspects_lock = threading.Lock()
MAX_SUSPECTS = 10_000


def _suspect(client: str, seconds: int) -> None:
    with _suspects_lock:
        if len(_suspects) >= MAX_SUSPECTS:
            now = key_failures.timer()
            for address in [a for a, until in _suspects.items() if until <= now] or list(_suspects):
                del _suspects[address]
        _suspects[client] = key_failures.timer() + seconds


def locked_for(client: str) -> int:
    """Seconds left of the address's lockout, asking the shared store only about addresses seen locked out."""
    if client not in _suspects:
        return 0
    wait = key_failures.locked_for(client)
    if not wait:
        _suspects.pop(client, None)
    return wait


def failed(client: str, message: str = UNAUTHORIZED, status: int = 401) -> Refusal:
    """Count a failed credential (a key, a studio token, a SasBlobToken) and say how to refuse it: `status`
    (401, or 403 for a bad token), or 429 once the address has failed too often."""
    wait = key_failures.failed(client)
    if wait:
        _suspect(client, wait)
        return throttled(wait)
    return Refusal(status, error_body("Unauthorized" if status == 401 else "Forbidden", message))


def check(client: str, authorization: str, endpoints: Iterable[KeyHolder], message: str = UNAUTHORIZED, *,
          members_of: str | None = None) -> Refusal | None:
    """None when the header carries a key of one of `endpoints` (or, with `members_of`, a credential that may manage
    that workspace: `workspace_manager`); else how to refuse the call."""
    wait = locked_for(client)
    if wait:
        return throttled(wait)
    if key_owner(authorization, endpoints) is not None:
        return None
    if members_of is not None and workspace_manager(authorization, members_of):
        return None
    return failed(client, message)


async def check_async(client: str, authorization: str, endpoints: tuple[KeyHolder, ...],
                      message: str = UNAUTHORIZED) -> Refusal | None:
    """`check` for the event loop: a right key from an address not seen locked out costs no store access and
    no thread hop; anything else goes to the store off the loop."""
    if client not in _suspects and key_owner(authorization, endpoints) is not None:
        return None
    return await sync_to_async(check, thread_sensitive=False)(client, authorization, endpoints, message)


def forget_suspects() -> None:
    """Forget the locally known lockouts (tests, with studio.throttle.forget_all)."""
    with _suspects_lock:
        _suspects.clear()
