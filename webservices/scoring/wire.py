"""The Request-Response wire (SPEC §3), parse and format only: a request body into typed tables, results into
the classic (or swagger) response, and refusals as typed errors that carry their HTTP status and code.

Errors are worded as the classic service worded them (its "REST API error codes" page): `error.code` is the
class (BadArgument, BadUserArgument, ...) and `details[].code` the specific cause (`DETAIL_CODES`), which is
what classic clients print and branch on. docs/CLASSIC.md lists which refusal gets which pair."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from pandas import NA as _NA

from experiments.modules.framework.datatable import DataTable
from experiments.modules.framework.rows import Rows
from experiments.modules.framework.table_files import ParsingRules
from studio.errors import AtelierError, did_you_mean

API_VERSION = "2.0"  # the only api-version the classic calls take
INT32 = (-(2**31), 2**31 - 1)

# The classic specific codes the RRS call answers with, and the class each belongs to (its `error.code`).
DETAIL_CODES = {
    "BadVersionCall": "BadArgument",        # api-version missing or not 2.0
    "RequestBodyInvalid": "BadArgument",    # not JSON, not an object, a table not in the classic/swagger shape
    "MissingRequestInput": "BadArgument",   # no 'Inputs', an input left out, an input with no rows
    "InvalidInputNames": "BadArgument",     # an input the service doesn't have
    "InputMismatchError": "BadUserArgument",  # a required column is missing
    "InputParseError": "BadUserArgument",   # a row of the wrong length, a value not of its column's type
    "UnexpectedParameter": "BadUserArgument",  # a global parameter the service doesn't take
    "UserParameterInvalid": "BadUserArgument",  # a global parameter's value its rule refuses
}


class BadRequest(AtelierError):
    """A scoring request that does not fit the service: `target` names the input, the message the column/row,
    `detail` the classic specific code (its class, from DETAIL_CODES, becomes `code`)."""

    code = "BadArgument"
    status = 400
    detail = "RequestBodyInvalid"

    def __init__(self, message: str, target: str = "", detail: str | None = None) -> None:
        super().__init__(message, target=target)
        if detail is not None:
            self.detail = detail
        self.code = DETAIL_CODES.get(self.detail, self.code)


class TooManyRows(BadRequest):
    """More rows than one call may score: the batch service takes those."""

    code = "RequestEntityTooLarge"
    status = 413
    detail = ""


class BodyTooLarge(BadRequest):
    """A body larger than ATELIER_MAX_REQUEST_BYTES, refused before it is parsed (or, under ASGI, read)."""

    code = "RequestEntityTooLarge"
    status = 413
    detail = ""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The body is larger than {limit} bytes; use the batch service.")


def error_body(code: str, message: str, target: str | None = "", detail: str = "") -> dict[str, Any]:
    """The classic wire's error JSON; `details` carries the specific code (`detail`, else `code`) and the target
    when there is either (azmlclient reads `error.details`, so the list is always there)."""
    details = [{"code": detail or code, "target": target or "", "message": message}] if target or detail else []
    return {"error": {"code": code, "message": message, "details": details}}


def error_json(error: AtelierError) -> dict[str, Any]:
    """Any AtelierError as the classic wire's error JSON (its status goes on the response)."""
    return error_body(error.code, error.message, error.target, getattr(error, "detail", ""))


class CellRules:
    """A schema column's parsing rules (its "parsing", recorded at deploy from the dataset it was trained on;
    none: the defaults every upload was read by), ready for per-cell use: a text cell that is one of the
    missing markers is missing, numbers may use the dataset's decimal comma, booleans its true/false words."""

    __slots__ = ("decimal", "false", "missing", "true")

    def __init__(self, rules: ParsingRules) -> None:
        self.missing = frozenset(rules.missing) | {""}
        self.decimal = rules.decimal
        self.true = frozenset(word.lower() for word in rules.true_words) | {"true", "1", "yes"}
        self.false = frozenset(word.lower() for word in rules.false_words) | {"false", "0", "no"}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CellRules) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[Any, ...]:
        return self.missing, self.decimal, self.true, self.false

    @classmethod
    def of(cls, column: Mapping[str, Any] | None) -> CellRules:
        record = (column or {}).get("parsing")
        return cls(ParsingRules.from_json(record)) if record else DEFAULT_RULES


DEFAULT_RULES = CellRules(ParsingRules())


def _convert(kind: str, value: Any, column: str, row: int, integer: bool = False,
             rules: CellRules = DEFAULT_RULES) -> Any:
    """One cell to the schema's kind; refuses with the column and the (1-based) row named. A column the service
    learned as whole numbers takes only whole numbers (the classic Int32 column refused 39.5 the same way).
    A text cell that is one of the column's missing markers ('?' by default, as uploads read it) is missing."""
    if value is None or (isinstance(value, str) and (value in rules.missing or value.strip() in rules.missing)):
        return None
    if kind == "numeric":
        if isinstance(value, bool):
            raise BadRequest(f"Column '{column}', row {row}: {value!r} is not a number", detail="InputParseError")
        try:
            number = float(value.replace(",", ".") if rules.decimal == "," and isinstance(value, str) else value)
        except (TypeError, ValueError):
            raise BadRequest(f"Column '{column}', row {row}: {value!r} is not a number",
                             detail="InputParseError") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise BadRequest(f"Column '{column}', row {row}: {value!r} is not a finite number",
                             detail="InputParseError")
        if integer and not number.is_integer():
            raise BadRequest(f"Column '{column}', row {row}: {value!r} is not a whole number (the column holds "
                             "integers)", detail="InputParseError")
        return number
    if kind == "boolean":
        text = str(value).strip().lower()
        if text in rules.true:
            return True
        if text in rules.false:
            return False
        raise BadRequest(f"Column '{column}', row {row}: {value!r} is not true or false", detail="InputParseError")
    if isinstance(value, (dict, list)):
        raise BadRequest(f"Column '{column}', row {row}: expected a single value, got {type(value).__name__}",
                         detail="InputParseError")
    return value if isinstance(value, str) else str(value)


def parse_inputs(body: Any, schema: dict[str, list[dict[str, Any]]], *, swagger: bool,
                 max_rows: int) -> dict[str, Rows]:
    """The request's tables, typed by the input schema. Classic: {"Inputs": {name: {"ColumnNames", "Values"}}};
    swagger: {"Inputs": {name: [{column: value}]}}. Columns the schema does not know pass through as text;
    optional columns (the label) may be left out. As the classic service did, other top-level fields are
    ignored and `"GlobalParameters": null` means none. As Rows (the small-request path); `.table()` for pandas."""
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object with 'Inputs' (and optionally 'GlobalParameters').")
    inputs = body.get("Inputs")
    if inputs is None:
        raise BadRequest("The body has no 'Inputs'; name each input, e.g. {\"Inputs\": {\"input1\": ...}}.",
                         detail="MissingRequestInput")
    if not isinstance(inputs, dict):
        raise BadRequest("'Inputs' must be an object naming each input, e.g. {\"input1\": ...}.")
    if not isinstance(body.get("GlobalParameters", {}), dict | None):
        raise BadRequest("'GlobalParameters' must be an object (or null).")
    for name in inputs:
        if name not in schema:
            raise BadRequest(f"Unknown input '{name}'; this service takes {', '.join(sorted(schema))}.", name,
                             detail="InvalidInputNames")
    return {name: _table(inputs, name, columns, swagger, max_rows) for name, columns in schema.items()}


def _table(inputs: dict[str, Any], name: str, columns: list[dict[str, Any]], swagger: bool, max_rows: int) -> Rows:
    """One input's rows, each column converted to its schema kind (unknown columns pass through as text)."""
    if name not in inputs:
        raise BadRequest(f"Input '{name}' is missing.", name, detail="MissingRequestInput")
    names, rows = _rows(inputs[name], name, swagger)
    if not rows:
        raise BadRequest(f"Input '{name}' has no rows.", name, detail="MissingRequestInput")
    if len(rows) > max_rows:
        raise TooManyRows(f"Input '{name}' has {len(rows)} rows; at most {max_rows} per request "
                          "(use the batch service for more).", name)
    known = {column["name"]: column for column in columns}
    missing = [c["name"] for c in columns if c["name"] not in names and not c.get("optional")]
    if missing:
        unknown = [given for given in names if given not in known]
        raise BadRequest(f"Column '{missing[0]}' is missing{did_you_mean(missing[0], unknown, 'the request')}", name,
                         detail="InputMismatchError")
    data: dict[str, Any] = {}
    for index, column in enumerate(names):
        kind = known.get(column, {}).get("kind", "string")
        integer = bool(known.get(column, {}).get("integer"))
        rules = CellRules.of(known.get(column))
        try:
            cells = [_convert(kind, row[index], column, number, integer, rules)
                     for number, row in enumerate(rows, start=1)]
        except BadRequest as error:
            raise BadRequest(error.message, name, detail=error.detail) from None
        if kind == "numeric":
            data[column] = np.array([np.nan if c is None else c for c in cells], dtype=float)
        else:
            data[column] = np.empty(len(cells), dtype=object)
            data[column][:] = cells
    ordered = [c["name"] for c in columns if c["name"] in data] + [c for c in names if c not in known]
    return Rows({column: data[column] for column in ordered})


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
                             name, detail="InputParseError")
    return names, value["Values"]


def _column_type(values: list[Any], dtype: Any, integer: bool) -> str:
    """The classic ColumnTypes name: whole-number columns Int32 (Int64 past its range), as the classic service
    typed a dataset's integer columns; Double, Boolean, DateTime, else String."""
    if pd.api.types.is_bool_dtype(dtype):
        return "Boolean"
    whole = [v for v in values if v is not None]
    if (integer or pd.api.types.is_integer_dtype(dtype)) and all(isinstance(v, int) for v in whole):
        low, high = INT32
        return "Int32" if all(low <= v <= high for v in whole) else "Int64"
    if pd.api.types.is_float_dtype(dtype):
        return "Double"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "DateTime"
    return "String"


def schema_column_type(column: Mapping[str, Any]) -> str:
    """A schema column's classic type name (what its ColumnTypes entry says for whole values)."""
    if column.get("integer"):
        return "Int32"
    return {"numeric": "Double", "boolean": "Boolean", "datetime": "DateTime"}.get(column["kind"], "String")


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


def _column(values: list[Any], integer: bool) -> list[Any]:
    """A column's cells as JSON values; a column the schema knows as whole numbers gives ints (39, not 39.0)."""
    cells = [_cell(value) for value in values]
    if integer:
        cells = [int(c) if isinstance(c, float) and c.is_integer() else c for c in cells]
    return cells


def format_outputs(tables: Mapping[str, DataTable | Rows], *, swagger: bool, details: bool,
                   schema: Mapping[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """Results as the classic service wrote them: Values as strings (ColumnTypes with details=true), or for
    format=swagger a list of row objects with JSON types. The same bytes from a DataTable or from Rows.
    `schema` (the deployment's output schema) says which columns hold whole numbers: scoring computes in
    floats, the classic service echoed an Int32 column as "39" / Int32."""
    results: dict[str, Any] = {}
    for name, table in tables.items():
        if isinstance(table, Rows):
            raw = [values.tolist() for values in table.columns.values()]
            dtypes = [values.dtype for values in table.columns.values()]
            columns = list(table.columns)
        else:
            frame = table.frame
            raw = [frame[column].tolist() for column in frame.columns]
            dtypes = [frame[column].dtype for column in frame.columns]
            columns = [str(column) for column in frame.columns]
        integers = {c["name"] for c in (schema or {}).get(name, []) if c.get("integer")}
        flags = [column in integers and not pd.api.types.is_bool_dtype(dtype) for column, dtype in zip(columns, dtypes,
                                                                                                        strict=True)]
        cells = [_column(values, integer) for values, integer in zip(raw, flags, strict=True)]
        rows = [list(row) for row in zip(*cells, strict=True)] if cells else []
        if swagger:
            results[name] = [dict(zip(columns, row, strict=True)) for row in rows]
            continue
        value: dict[str, Any] = {"ColumnNames": columns}
        if details:
            value["ColumnTypes"] = [_column_type(column, dtype, integer)
                                    for column, dtype, integer in zip(cells, dtypes, flags, strict=True)]
        value["Values"] = [[None if cell is None else str(cell) for cell in row] for row in rows]
        results[name] = {"type": "table", "value": value}
    return results
