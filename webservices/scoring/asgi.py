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
from webservices import storage

from .call import score_call
from .wire import error_body

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
EXECUTE = re.compile(r"^/workspaces/(?P<workspace>[^/]+)/services/(?P<endpoint>[^/]+)/execute/?$")
STORAGE = re.compile(r"^/workspaces/[^/]+/storage/")


def with_scoring(django_app: ASGIApp) -> ASGIApp:
    """Route RRS calls to `score_call`, storage uploads through their size limit; everything else to Django."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "PUT" and STORAGE.match(scope["path"]):
            await bounded_upload(django_app, scope, receive, send)
            return
        match = EXECUTE.match(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None:
            await django_app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        body = await _body(receive, settings.ATELIER_MAX_REQUEST_BYTES)
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        client = client_address((scope.get("client") or ("", 0))[0], headers.get("x-forwarded-for", ""))
        after: list[Callable[[], None]] = []
        status, answer, extra = await score_call(scope["method"], query, headers.get("authorization", ""), body,
                                                 match["workspace"], match["endpoint"], client, after)
        await _send_json(send, status, answer, extra)
        for follow_up in after:  # shadow copies: only once the caller has the answer
            follow_up()

    return app


async def _send_json(send: Any, status: int, answer: dict[str, Any], extra: dict[str, str]) -> None:
    payload = orjson.dumps(answer)
    response_headers = [(b"content-type", b"application/json; charset=utf-8"),
                        (b"content-length", str(len(payload)).encode())]
    response_headers += [(name.lower().encode(), value.encode()) for name, value in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": response_headers})
    await send({"type": "http.response.body", "body": payload})


async def bounded_upload(django_app: ASGIApp, scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A storage upload past ATELIER_STORAGE_MAX_FILE_BYTES is refused (413) as soon as that is known: from its
    Content-Length before a byte is read, else once that many bytes have arrived. Django spools a whole body
    to disk before its view runs; here it never receives the rest (the view enforces the limit too, for WSGI)."""
    limit = settings.ATELIER_STORAGE_MAX_FILE_BYTES
    refusal = error_body("RequestEntityTooLarge", storage.too_large(limit).message)
    declared = dict(scope["headers"]).get(b"content-length", b"")
    if declared.isdigit() and int(declared) > limit:
        await _send_json(send, 413, refusal, {"connection": "close"})
        return
    received, over = 0, False

    async def counted() -> Any:
        nonlocal received, over
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                over = True
                return {"type": "http.disconnect"}  # Django drops the request without answering
        return message

    await django_app(scope, counted, send)
    if over:
        await _send_json(send, 413, refusal, {"connection": "close"})


async def _body(receive: Any, limit: int) -> bytes:
    """The request body, or as soon as it passes `limit` what came so far (the rest is not read into memory;
    `score_call` refuses a body past the limit, 413, before looking at anything else)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
        if size > limit or not message.get("more_body"):
            return b"".join(chunks)
