"""The scoring call as a bare ASGI app, in front of Django: the hot path skips the middleware stack
(sessions, CSRF, messages...) that a key-authenticated JSON call never uses."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from django.conf import settings

from studio.throttle import client_address

from .views import score_call
from .wire import error_body

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
EXECUTE = re.compile(r"^/workspaces/(?P<workspace>[^/]+)/services/(?P<endpoint>[^/]+)/execute/?$")


def with_scoring(django_app: ASGIApp) -> ASGIApp:
    """Route RRS calls to `score_call`; everything else to Django."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        match = EXECUTE.match(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None:
            await django_app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        body = await _body(receive, settings.ATELIER_MAX_REQUEST_BYTES)
        if body is None:
            status, answer, extra = 413, error_body("RequestEntityTooLarge", "The body is larger than "
                                                    f"{settings.ATELIER_MAX_REQUEST_BYTES} bytes; use the batch "
                                                    "service."), {}
        else:
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            client = client_address((scope.get("client") or ("", 0))[0], headers.get("x-forwarded-for", ""))
            status, answer, extra = await score_call(scope["method"], query, headers.get("authorization", ""), body,
                                                     match["workspace"], match["endpoint"], client)
        await _send_json(send, status, answer, extra)

    return app


async def _send_json(send: Any, status: int, answer: dict[str, Any], extra: dict[str, str]) -> None:
    payload = orjson.dumps(answer)
    response_headers = [(b"content-type", b"application/json; charset=utf-8"),
                        (b"content-length", str(len(payload)).encode())]
    response_headers += [(name.lower().encode(), value.encode()) for name, value in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": response_headers})
    await send({"type": "http.response.body", "body": payload})


async def _body(receive: Any, limit: int) -> bytes | None:
    """The request body, or None as soon as it passes `limit` (the rest is not read into memory)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)
