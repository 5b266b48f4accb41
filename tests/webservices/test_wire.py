"""The Request-Response wire refuses with typed errors that carry their status and the classic codes
(webservices/scoring/wire.py), types whole-number columns the classic way, and the OpenAPI document states the row
limit the call enforces."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from experiments.modules.framework.rows import Rows
from studio.errors import AtelierError
from webservices.openapi import openapi_document
from webservices.scoring.wire import DETAIL_CODES, BadRequest, TooManyRows, error_json, format_outputs, parse_inputs

SCHEMA = {"input1": [{"name": "age", "kind": "numeric", "integer": True}]}


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
    assert (bad.value.status, bad.value.code, bad.value.detail) == (400, "BadUserArgument", "InputParseError")
    assert isinstance(bad.value, AtelierError)
    assert "'forty' is not a number" in bad.value.message


def test_the_openapi_row_limit_is_the_setting(settings):
    settings.ATELIER_MAX_ROWS_PER_REQUEST = 7
    service = SimpleNamespace(name="S", workspace_id="ws")
    endpoint = SimpleNamespace(service=service, name="default", version=1, description="", endpoint_id="e1")
    document = openapi_document("http://testserver", endpoint, SCHEMA, {"output1": SCHEMA["input1"]})
    values = document["components"]["schemas"]["Request"]["properties"]["Inputs"]["properties"]["input1"]
    assert values["properties"]["Values"]["maxItems"] == 7


def refusal(body, swagger=False):
    with pytest.raises(BadRequest) as refused:
        parse_inputs(body, SCHEMA, swagger=swagger, max_rows=5)
    answer = error_json(refused.value)["error"]
    return answer["code"], answer["details"][0]["code"], answer["message"]


@pytest.mark.parametrize("body, code, detail, fragment", [
    ([1], "BadArgument", "RequestBodyInvalid", "must be a JSON object"),
    ({"GlobalParameters": {}}, "BadArgument", "MissingRequestInput", "no 'Inputs'"),
    ({"Inputs": []}, "BadArgument", "RequestBodyInvalid", "'Inputs' must be an object"),
    ({"Inputs": {"input1": {"ColumnNames": ["age"], "Values": [["1"]]}}, "GlobalParameters": []},
     "BadArgument", "RequestBodyInvalid", "'GlobalParameters' must be an object"),
    ({"Inputs": {"input2": {}}}, "BadArgument", "InvalidInputNames", "Unknown input 'input2'"),
    ({"Inputs": {}}, "BadArgument", "MissingRequestInput", "Input 'input1' is missing"),
    ({"Inputs": {"input1": {"ColumnNames": ["age"], "Values": []}}}, "BadArgument", "MissingRequestInput", "no rows"),
    ({"Inputs": {"input1": {"ColumnNames": ["age"]}}}, "BadArgument", "RequestBodyInvalid", "'Values' lists"),
    ({"Inputs": {"input1": {"ColumnNames": ["x"], "Values": [["1"]]}}}, "BadUserArgument", "InputMismatchError",
     "Column 'age' is missing"),
    ({"Inputs": {"input1": {"ColumnNames": ["Age"], "Values": [["1"]]}}}, "BadUserArgument", "InputMismatchError",
     "Column 'age' is missing; the request has 'Age' (column names are case-sensitive)"),
    ({"Inputs": {"input1": {"ColumnNames": ["age"], "Values": [["1", "2"]]}}}, "BadUserArgument", "InputParseError",
     "row 1 has 2 values"),
    ({"Inputs": {"input1": {"ColumnNames": ["age"], "Values": [["39.5"]]}}}, "BadUserArgument", "InputParseError",
     "Column 'age', row 1: '39.5' is not a whole number"),
], ids=["not an object", "no Inputs", "Inputs not an object", "GlobalParameters a list", "unknown input",
        "input missing", "no rows", "no Values", "missing column", "column in another case",
        "ragged row", "fraction in an integer column"])
def test_each_refusal_carries_the_classic_class_and_specific_code(body, code, detail, fragment):
    got_code, got_detail, message = refusal(body)
    assert (got_code, got_detail) == (code, detail) and fragment in message
    assert DETAIL_CODES[detail] == code


def test_null_global_parameters_and_unknown_top_level_fields_are_accepted_as_the_classic_service_did():
    body = {"Inputs": {"input1": {"ColumnNames": ["age"], "Values": [["39"]]}}, "GlobalParameters": None,
            "Outputs": {"output1": {}}, "Comment": "ignored"}
    assert parse_inputs(body, SCHEMA, swagger=False, max_rows=5)["input1"].columns["age"].tolist() == [39.0]


def test_whole_number_columns_answer_as_int32_or_int64_and_doubles_booleans_strings_keep_their_type():
    import numpy as np

    big = float(2**31)  # past Int32: the classic service widened to Int64
    table = Rows({"age": np.array([39.0, np.nan]), "wide": np.array([big, 1.0]), "rate": np.array([0.5, 2.0]),
                  "ok": np.array([True, False]), "name": np.array(["a", None], dtype=object)})
    schema = {"output1": [{"name": "age", "kind": "numeric", "integer": True},
                          {"name": "wide", "kind": "numeric", "integer": True},
                          {"name": "rate", "kind": "numeric"}, {"name": "ok", "kind": "boolean"},
                          {"name": "name", "kind": "string"}]}
    classic = format_outputs({"output1": table}, swagger=False, details=True, schema=schema)["output1"]["value"]
    assert classic["ColumnTypes"] == ["Int32", "Int64", "Double", "Boolean", "String"]
    assert classic["Values"] == [["39", str(2**31), "0.5", "True", "a"], [None, "1", "2.0", "False", None]]
    swagger = format_outputs({"output1": table}, swagger=True, details=True, schema=schema)["output1"]
    assert swagger[0] == {"age": 39, "wide": 2**31, "rate": 0.5, "ok": True, "name": "a"}
    assert isinstance(swagger[0]["age"], int) and isinstance(swagger[1]["rate"], float)
    without_schema = format_outputs({"output1": table}, swagger=False, details=True)["output1"]["value"]
    assert without_schema["ColumnTypes"][0] == "Double" and without_schema["Values"][0][0] == "39.0"


# --- A column's parsing rules (issue 18, item 2) ------------------------------------------------------

CUSTOM = {"missing": ["", "-"], "decimal": ",", "true": ["ja"], "false": ["nein"]}


def cells(schema, values, names=("x", "flag", "name")):
    body = {"Inputs": {"input1": {"ColumnNames": list(names), "Values": values}}}
    rows = parse_inputs(body, schema, swagger=False, max_rows=10)["input1"]
    return [[None if value != value else value for value in rows.columns[name].tolist()] for name in names]


def schema_of(parsing=None):
    extra = {"parsing": parsing} if parsing else {}
    return {"input1": [{"name": "x", "kind": "numeric", **extra}, {"name": "flag", "kind": "boolean", **extra},
                       {"name": "name", "kind": "string", **extra}]}


def test_the_default_markers_are_missing_at_scoring_as_at_upload():
    """A schema without a record (a service deployed before rules were recorded) reads by the defaults."""
    assert cells(schema_of(), [["?", "NA", "?"], [" 1.5", "true", "NULL"], ["", "no", "Ann"]]) == [
        [None, 1.5, None], [None, True, False], [None, None, "Ann"]]


def test_a_columns_own_rules_are_applied_and_the_defaults_it_replaced_are_not():
    assert cells(schema_of(CUSTOM), [["-", "ja", "-"], ["1,5", "nein", "?"], ["2", "TRUE", ""]]) == [
        [None, 1.5, 2.0], [True, False, True], [None, "?", None]]
    with pytest.raises(BadRequest, match=r"Column 'x', row 1: '\?' is not a number"):
        cells(schema_of(CUSTOM), [["?", "ja", "a"]])
    with pytest.raises(BadRequest, match="'vielleicht' is not true or false"):
        cells(schema_of(CUSTOM), [["1", "vielleicht", "a"]])
