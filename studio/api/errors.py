"""The studio API's one exception handler: every error is JSON {"detail", "errors"} (SPEC §2), an
AtelierError with its own status, code and target."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.metadata import SimpleMetadata
from rest_framework.response import Response
from rest_framework.views import exception_handler

from studio.errors import AtelierError
from studio.workqueue import QueueUnavailable


class ProblemsError(APIException):
    """A request refused with a list of precise problems (node, parameter, column, message)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, detail: str, errors: list[dict[str, Any]], status_code: int | None = None) -> None:
        super().__init__(detail)
        self.errors = errors
        if status_code is not None:
            self.status_code = status_code


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, QueueUnavailable):  # the task queue (Redis) is down: a 503 to retry, not a 500
        return Response({"detail": exc.message, "errors": []}, status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, AtelierError):
        return Response({"detail": exc.message, "errors": exc.problems()}, status=exc.status)
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, ProblemsError):
        body = {"detail": str(exc.detail), "errors": exc.errors}
    elif isinstance(data, dict) and "detail" in data:
        body = {"detail": str(data["detail"]), "errors": data.get("errors", [])}
    else:
        errors = field_errors(data)
        body = {"detail": errors[0]["message"] if len(errors) == 1 else "The request is not valid.", "errors": errors}
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


class OptionsMetadata(SimpleMetadata):
    """OPTIONS answers name, description, renders and parses, without DRF's form description of the
    actions, which needs a serializer class that most of our views (plain JSON shapes, SPEC §2) don't
    declare: it crashed with a 500 (found by tests/studio/test_fuzz.py)."""

    def determine_actions(self, request: Any, view: Any) -> dict[str, Any]:
        return {}
