"""Failed-credential throttling (issue 14, finding 10): N failures from one caller within a window lock it
out for a while. Used for sign-ins (per username and per address) and for endpoint keys (per address).

The counts live in Redis, not in the process: gunicorn runs several web processes and a caller's attempts
land on all of them. Redis rather than the database because every failed attempt is a write (an attacker
sends thousands a second: INCR is cheap there, a SQLite write is not), entries expire by themselves, and
Redis is already a required part of every deployment (broker, channels). A successful call never reads
it. Should Redis be unreachable, throttling is off (fails open, logged) rather than locking everyone out.

Time comes from `FailureLimit.timer` (injectable, as in DRF's throttles): windows are numbered from it and a
lockout stores the time it ends, so tests move the clock instead of sleeping.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings

logger = logging.getLogger(__name__)
PREFIX = "atelier:throttle:"
_client: Any = None  # a redis.Redis (its stubs type every command as maybe-awaitable)
_client_lock = threading.Lock()


def _redis() -> Any:
    global _client
    with _client_lock:
        if _client is None:
            _client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
        return _client


class FailureLimit:
    """`limit` failures of one caller within a window of `window` seconds lock it out for `lockout` seconds.
    The three numbers are setting names, read at call time."""

    timer: Callable[[], float] = time.time

    def __init__(self, scope: str, *, limit: str, window: str, lockout: str) -> None:
        self.scope, self._limit, self._window, self._lockout = scope, limit, window, lockout

    def _key(self, who: str, suffix: str) -> str:
        # Hashed: usernames and addresses are not kept in Redis in clear, and any text makes a safe key.
        return f"{PREFIX}{self.scope}:{hashlib.sha256(who.encode()).hexdigest()[:32]}:{suffix}"

    def locked_for(self, who: str) -> int:
        """Seconds left of the caller's lockout; 0 when it may try."""
        try:
            until = _redis().get(self._key(who, "lock"))
        except redis.RedisError as error:
            logger.warning("Throttle store unreachable (%s): not throttling", error)
            return 0
        left = float(until) - self.timer() if until is not None else 0.0
        return max(0, int(left + 0.999))

    def failed(self, who: str) -> int:
        """Count one failure; returns the seconds of lockout it started or that already holds (0: none)."""
        now, window, lockout = self.timer(), self.setting(self._window), self.setting(self._lockout)
        counter = self._key(who, f"n{int(now // window)}")
        try:
            held = self.locked_for(who)
            if held:
                return held
            with _redis().pipeline() as pipe:
                count, _ = pipe.incr(counter).expire(counter, window * 2).execute()
            if int(count) < self.setting(self._limit):
                return 0
            _redis().set(self._key(who, "lock"), repr(now + lockout), ex=lockout + window)
        except redis.RedisError as error:
            logger.warning("Throttle store unreachable (%s): not throttling", error)
            return 0
        return lockout

    def succeeded(self, who: str) -> None:
        """Forget the caller's failures in the current window (a user who mistyped, then got it right)."""
        counter = self._key(who, f"n{int(self.timer() // self.setting(self._window))}")
        try:
            _redis().delete(counter)
        except redis.RedisError as error:
            logger.warning("Throttle store unreachable (%s)", error)

    @staticmethod
    def setting(name: str) -> int:
        return int(getattr(settings, name))


def forget_all() -> None:
    """Drop every count and lockout (tests start clean; an operator can lift all lockouts)."""
    try:
        client = _redis()
        for key in client.scan_iter(match=f"{PREFIX}*", count=500):
            client.delete(key)
    except redis.RedisError as error:
        logger.warning("Throttle store unreachable (%s)", error)


def client_address(remote: str, forwarded_for: str) -> str:
    """The caller's address: the connection's peer, or behind ATELIER_PROXY_HOPS trusted reverse proxies the
    address the outermost of them saw (X-Forwarded-For, counted from the right: a client can't forge the
    entries its proxies appended)."""
    hops = settings.ATELIER_PROXY_HOPS
    if hops <= 0:
        return remote
    entries = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
    return entries[-hops] if len(entries) >= hops else remote


def request_address(request: Any) -> str:
    """client_address for a Django request."""
    return client_address(request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", ""))
