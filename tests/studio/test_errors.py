"""The one error base: its four fields reach the studio API's JSON unchanged, through DRF's own handler."""

from typing import Any

from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from studio.errors import AtelierError, RequestRefused


class Gone(AtelierError):
    code = "gone"
    status = 410


class Raising(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    error: AtelierError = Gone("")

    def get(self, request: Request) -> Response:
        raise self.error


def answer(error: AtelierError) -> Response:
    return Raising.as_view(error=error)(APIRequestFactory().get("/"))


def test_an_atelier_error_answers_its_status_with_message_code_and_target() -> None:
    response = answer(Gone("The dataset 'Adult' was deleted.", target="dataset"))
    assert response.status_code == 410
    assert response.data == {"detail": "The dataset 'Adult' was deleted.",
                             "errors": [{"message": "The dataset 'Adult' was deleted.", "code": "gone",
                                         "target": "dataset"}]}


def test_raising_sites_may_override_the_class_defaults() -> None:
    error = Gone("Too many rows.", code="too_large", status=413)
    assert (error.code, error.status, error.target, str(error)) == ("too_large", 413, None, "Too many rows.")
    response = answer(error)
    assert response.status_code == 413
    assert response.data["errors"] == [{"message": "Too many rows.", "code": "too_large"}]


def test_a_refused_request_lists_the_field_it_is_about_as_a_parameter() -> None:
    """Deploy, endpoint and job refusals keep the studio API's problem shape without a view translating them."""
    response = answer(RequestRefused("No endpoint 'blue'.", 404, "endpoint"))
    assert (response.status_code, response.data) == (404, {
        "detail": "No endpoint 'blue'.", "errors": [{"parameter": "endpoint", "message": "No endpoint 'blue'."}]})
    assert answer(RequestRefused("Deploy needs a finished run.")).data == {
        "detail": "Deploy needs a finished run.", "errors": []}
    assert isinstance(RequestRefused("x"), ValueError)
