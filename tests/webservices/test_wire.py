"""The Request-Response wire refuses with typed errors that carry their status (webservices/scoring/wire.py),
and the OpenAPI document states the row limit the call enforces."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from studio.errors import AtelierError
from webservices.openapi import openapi_document
from webservices.scoring.wire import BadRequest, TooManyRows, error_json, parse_inputs

SCHEMA = {"input1": [{"name": "age", "kind": "numeric"}]}


def body(rows):
    return {"Inputs": {"input1": {"ColumnNames": ["age"], "Values": [["39"]] * rows}}}


def test_too_many_rows_is_a_413_and_a_bad_value_a_400():
    with pytest.raises(TooManyRows) as many:
        parse_inputs(body(3), SCHEMA, swagger=False, max_rows=2)
    assert (many.value.status, many.value.code, many.value.target) == (413, "RequestEntityTooLarge", "input1")
    assert error_json(many.value)["error"]["details"][0]["target"] == "input1"
    with pytest.raises(BadRequest) as bad:
        parse_inputs({"Inputs": {"input1": {"ColumnNames": ["age"], "Values": [["forty"]]}}}, SCHEMA, swagger=False,
                     max_rows=2)
    assert (bad.value.status, bad.value.code) == (400, "BadArgument") and isinstance(bad.value, AtelierError)
    assert "'forty' is not a number" in bad.value.message


def test_the_openapi_row_limit_is_the_setting(settings):
    settings.ATELIER_MAX_ROWS_PER_REQUEST = 7
    service = SimpleNamespace(name="S", workspace_id="ws")
    endpoint = SimpleNamespace(service=service, name="default", version=1, description="", endpoint_id="e1")
    document = openapi_document("http://testserver", endpoint, SCHEMA, {"output1": SCHEMA["input1"]})
    values = document["components"]["schemas"]["Request"]["properties"]["Inputs"]["properties"]["input1"]
    assert values["properties"]["Values"]["maxItems"] == 7
