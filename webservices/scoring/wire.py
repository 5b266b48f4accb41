"""The Request-Response wire (SPEC §3), parse and format only: a request body into typed tables, results into
the classic (or swagger) response, and refusals as typed errors that carry their HTTP status and code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from pandas import NA as _NA

from experiments.modules.framework.datatable import DataTable
from experiments.modules.framework.rows import Rows
from studio.errors import AtelierError

API_VERSION = "2.0"  # the only api-version the classic calls take


class BadRequest(AtelierError):
    """A scoring request that does not fit the service: `target` names the input, the message the column/row."""

    code = "BadArgument"
    status = 400

    def __init__(self, message: str, target: str = "") -> None:
        super().__init__(message, target=target)


class TooManyRows(BadRequest):
    """More rows than one call may score: the batch service takes those."""

    code = "RequestEntityTooLarge"
    status = 413


class BodyTooLarge(BadRequest):
    """A body larger than ATELIER_MAX_REQUEST_BYTES, refused before it is parsed (or, under ASGI, read)."""

    code = "RequestEntityTooLarge"
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"The body is larger than {limit} bytes; use the batch service.")


def error_body(code: str, message: str, target: str | None = "") -> dict[str, Any]:
    """The classic wire's error JSON; `details` names the target when there is one."""
    details = [{"code": code, "target": target, "message": message}] if target else []
    return {"error": {"code": code, "message": message, "details": details}}


def error_json(error: AtelierError) -> dict[str, Any]:
    """Any AtelierError as the classic wire's error JSON (its status goes on the response)."""
    return error_body(error.code, error.message, error.target)


def _convert(kind: str, value: Any, column: str, row: int) -> Any:
    """One cell to the schema's kind; refuses with the column and the (1-based) row named."""
    if value is None or value == "":
        return None
    if kind == "numeric":
        if isinstance(value, bool):
            raise BadRequest(f"Column '{column}', row {row}: {value!r} is not a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise BadRequest(f"Column '{column}', row {row}: {value!r} is not a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise BadRequest(f"Column '{column}', row {row}: {value!r} is not a finite number")
        return number
    if kind == "boolean":
        text = str(value).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        raise BadRequest(f"Column '{column}', row {row}: {value!r} is not true or false")
    if isinstance(value, (dict, list)):
        raise BadRequest(f"Column '{column}', row {row}: expected a single value, got {type(value).__name__}")
    return value if isinstance(value, str) else str(value)


def parse_inputs(body: Any, schema: dict[str, list[dict[str, Any]]], *, swagger: bool,
                 max_rows: int) -> dict[str, Rows]:
    """The request's tables, typed by the input schema. Classic: {"Inputs": {name: {"ColumnNames", "Values"}}};
    swagger: {"Inputs": {name: [{column: value}]}}. Columns the schema does not know pass through as text;
    optional columns (the label) may be left out. As Rows (the small-request path); `.table()` for pandas."""
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object with 'Inputs' (and optionally 'GlobalParameters').")
    unknown = sorted(set(body) - {"Inputs", "GlobalParameters"})
    if unknown:
        raise BadRequest(f"Unknown top-level key '{unknown[0]}'; the body has 'Inputs' and 'GlobalParameters'.")
    inputs = body.get("Inputs")
    if not isinstance(inputs, dict):
        raise BadRequest("'Inputs' must be an object naming each input, e.g. {\"input1\": ...}.")
    if not isinstance(body.get("GlobalParameters", {}), dict):
        raise BadRequest("'GlobalParameters' must be an object.")
    for name in inputs:
        if name not in schema:
            raise BadRequest(f"Unknown input '{name}'; this service takes {', '.join(sorted(schema))}.", name)
    tables = {}
    for name, columns in schema.items():
        if name not in inputs:
            raise BadRequest(f"Input '{name}' is missing.", name)
        names, rows = _rows(inputs[name], name, swagger)
        if not rows:
            raise BadRequest(f"Input '{name}' has no rows.", name)
        if len(rows) > max_rows:
            raise TooManyRows(f"Input '{name}' has {len(rows)} rows; at most {max_rows} per request "
                              "(use the batch service for more).", name)
        kinds = {column["name"]: column["kind"] for column in columns}
        missing = [c["name"] for c in columns if c["name"] not in names and not c.get("optional")]
        if missing:
            raise BadRequest(f"Column '{missing[0]}' is missing", name)
        data: dict[str, Any] = {}
        for index, column in enumerate(names):
            kind = kinds.get(column, "string")
            try:
                cells = [_convert(kind, row[index], column, number) for number, row in enumerate(rows, start=1)]
            except BadRequest as error:
                raise BadRequest(error.message, name) from None
            if kind == "numeric":
                data[column] = np.array([np.nan if c is None else c for c in cells], dtype=float)
            else:
                data[column] = np.empty(len(cells), dtype=object)
                data[column][:] = cells
        ordered = [c["name"] for c in columns if c["name"] in data] + [c for c in names if c not in kinds]
        tables[name] = Rows({column: data[column] for column in ordered})
    return tables


def _rows(value: Any, name: str, swagger: bool) -> tuple[list[str], list[list[Any]]]:
    if swagger:
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            raise BadRequest(f"Input '{name}' must be a list of row objects (format=swagger).", name)
        names = list(dict.fromkeys(key for row in value for key in row))
        return names, [[row.get(column) for column in names] for row in value]
    if not isinstance(value, dict) or not isinstance(value.get("ColumnNames"), list) \
            or not isinstance(value.get("Values"), list):
        raise BadRequest(f"Input '{name}' must have 'ColumnNames' and 'Values' lists.", name)
    names = value["ColumnNames"]
    if not all(isinstance(column, str) for column in names) or len(set(names)) != len(names):
        raise BadRequest(f"Input '{name}': 'ColumnNames' must be distinct strings.", name)
    for number, row in enumerate(value["Values"], start=1):
        if not isinstance(row, list) or len(row) != len(names):
            size = len(row) if isinstance(row, list) else "not a list of"
            raise BadRequest(f"Input '{name}', row {number} has {size} values; 'ColumnNames' has {len(names)}.",
                             name)
    return names, value["Values"]


def _column_type(series: Any) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "Boolean"
    if pd.api.types.is_integer_dtype(series):
        return "Int64"
    if pd.api.types.is_float_dtype(series):
        return "Double"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "DateTime"
    return "String"


def _cell(value: Any) -> Any:
    """A cell as JSON: numpy scalars to Python, NaN/NaT to null."""
    if value is None or value is _NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def format_outputs(tables: Mapping[str, DataTable | Rows], *, swagger: bool, details: bool) -> dict[str, Any]:
    """Results as the classic service wrote them: Values as strings (ColumnTypes with details=true), or for
    format=swagger a list of row objects with JSON types. The same bytes from a DataTable or from Rows."""
    results: dict[str, Any] = {}
    for name, table in tables.items():
        if isinstance(table, Rows):
            cells = [values.tolist() for values in table.columns.values()]
            types = [values.dtype for values in table.columns.values()]
            columns = list(table.columns)
        else:
            frame = table.frame
            cells = [frame[column].tolist() for column in frame.columns]
            types = [frame[column] for column in frame.columns]
            columns = [str(column) for column in frame.columns]
        rows = [[_cell(cell) for cell in row] for row in zip(*cells, strict=True)] if cells else []
        if swagger:
            results[name] = [dict(zip(columns, row, strict=True)) for row in rows]
            continue
        value: dict[str, Any] = {"ColumnNames": columns}
        if details:
            value["ColumnTypes"] = [_column_type(kind) for kind in types]
        value["Values"] = [[None if cell is None else str(cell) for cell in row] for row in rows]
        results[name] = {"type": "table", "value": value}
    return results
