"""One exception handler for the studio API: every error is JSON {"detail", "errors"} (SPEC §2)."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data:
        body = {"detail": str(data["detail"]), "errors": data.get("errors", [])}
    else:
        body = {"detail": "The request is not valid.", "errors": field_errors(data)}
    response.data = body
    return response


def field_errors(data: Any, prefix: str = "") -> list[dict[str, str]]:
    """Flatten DRF's nested validation errors into [{"parameter": "a.b", "message": "..."}]."""
    if isinstance(data, dict):
        return [e for key, value in data.items() for e in field_errors(value, f"{prefix}{key}.")]
    if isinstance(data, list):
        if all(not isinstance(item, (dict, list)) for item in data):
            return [{"parameter": prefix.rstrip("."), "message": str(item)} for item in data]
        return [e for index, item in enumerate(data) for e in field_errors(item, f"{prefix}{index}.")]
    return [{"parameter": prefix.rstrip("."), "message": str(data)}]
