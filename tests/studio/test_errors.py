"""The one error base: its four fields reach the studio API's JSON unchanged, through DRF's own handler."""

from typing import Any

from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from studio.errors import AtelierError, RequestRefused, did_you_mean, near_miss


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


def test_a_near_miss_is_the_same_name_but_for_case_or_spaces_else_a_close_spelling():
    names = ["age", "education-num", "income", "Income2"]
    assert near_miss("Income", names) == "income"  # case first, though 'Income2' is a closer spelling
    assert near_miss(" age ", names) == "age"
    assert near_miss("educaton-num", names) == "education-num"
    assert near_miss("salary", names) is None and near_miss("income", names) != "income"
    assert did_you_mean("Age", names) == "; the input has 'age' (column names are case-sensitive)"
    assert did_you_mean("incme", names, "the request") == "; the request has 'income'"
    assert did_you_mean("salary", names) == ""
