"""Data Transformation - Apply Math Operation, Apply SQL Transformation (read-only SQLite) and Summarize Data."""

from __future__ import annotations

import re
import sqlite3
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .framework.base import Context, Module, ModuleError, SchemaContext, table_input
from .framework.datatable import Column, DataTable, Kind, Schema
from .framework.params import Choice, Columns, Float, Int, Text, all_of_type
from .framework.ports import InputPort, OutputPort, PortType
from .framework.registry import registry
from .manipulation import CATEGORY, OUTPUT_MODES, placed, placed_schema, schema_columns, suffixed
from .transform import require_numeric, selected

# --- Apply Math Operation -------------------------------------------------------------------------

Operation = Callable[[pd.Series, Any], pd.Series]  # (values, second argument or None)


def rounded(function: Callable[[Any], Any]) -> Operation:
    """A rounding function at `digits` decimal places (negative digits round to tens, hundreds...)."""
    return lambda x, digits: function(x * 10.0 ** digits) / 10.0 ** digits


def nth_root(x: pd.Series, n: float) -> pd.Series:
    """x ** (1/n), with real roots of negative numbers for odd n (the cube root of -8 is -2)."""
    odd = float(n).is_integer() and int(n) % 2 == 1
    return np.sign(x) * np.abs(x) ** (1 / n) if odd else x ** (1 / n)


def compared(function: Callable[[pd.Series, float], pd.Series]) -> Operation:
    """A comparison as true/false, missing where the value is missing."""
    return lambda x, c: function(x, c).astype("boolean").mask(x.isna())


MATH: dict[str, dict[str, Operation]] = {
    "Basic": {
        "Abs": lambda x, _: np.abs(x), "Cuberoot": lambda x, _: np.cbrt(x), "Exp": lambda x, _: np.exp(x),
        "Exp2": lambda x, _: np.exp2(x), "ExpMinus1": lambda x, _: np.expm1(x), "Ln": lambda x, _: np.log(x),
        "LnPlus1": lambda x, _: np.log1p(x), "Log10": lambda x, _: np.log10(x), "Log2": lambda x, _: np.log2(x),
        "Negate": lambda x, _: -x, "Sign": lambda x, _: np.sign(x), "Sqrt": lambda x, _: np.sqrt(x),
        "Square": lambda x, _: np.square(x), "Pow": lambda x, a: np.power(x, a),
        "Log": lambda x, a: np.log(x) / np.log(a), "NthRoot": lambda x, a: nth_root(x, a),
    },
    "Compare": {
        "EqualTo": compared(lambda x, c: x.eq(c)), "NotEqualTo": compared(lambda x, c: x.ne(c)),
        "GreaterThan": compared(lambda x, c: x.gt(c)), "GreaterThanOrEqualTo": compared(lambda x, c: x.ge(c)),
        "LessThan": compared(lambda x, c: x.lt(c)), "LessThanOrEqualTo": compared(lambda x, c: x.le(c)),
        "PairMax": lambda x, c: x.where(x.isna() | (x >= c), c),
        "PairMin": lambda x, c: x.where(x.isna() | (x <= c), c),
    },
    "Operations": {"Add": lambda x, c: x + c, "Subtract": lambda x, c: x - c, "Multiply": lambda x, c: x * c,
                   "Divide": lambda x, c: x / c},
    "Rounding": {"Ceiling": rounded(np.ceil), "Floor": rounded(np.floor), "Truncate": rounded(np.trunc),
                 "Round": rounded(lambda x: np.sign(x) * np.floor(np.abs(x) + 0.5))},
    "Special": {"Erf": lambda x, _: special.erf(x), "Erfc": lambda x, _: special.erfc(x),
                "Gamma": lambda x, _: special.gamma(x), "GammaLn": lambda x, _: special.gammaln(x)},
    "Trigonometric": {
        "Sin": lambda x, _: np.sin(x), "Cos": lambda x, _: np.cos(x), "Tan": lambda x, _: np.tan(x),
        "Asin": lambda x, _: np.arcsin(x), "Acos": lambda x, _: np.arccos(x), "Atan": lambda x, _: np.arctan(x),
        "Sinh": lambda x, _: np.sinh(x), "Cosh": lambda x, _: np.cosh(x), "Tanh": lambda x, _: np.tanh(x),
        "SinDegrees": lambda x, _: np.sin(np.radians(x)), "CosDegrees": lambda x, _: np.cos(np.radians(x)),
        "TanDegrees": lambda x, _: np.tan(np.radians(x)), "DegreesToRadians": lambda x, _: np.radians(x),
        "RadiansToDegrees": lambda x, _: np.degrees(x),
    },
}
# The parameter choosing the function in each category, and the one holding its second argument (if any).
FUNCTION_PARAMS = {"Basic": "basic_math_function", "Compare": "comparison_function",
                   "Operations": "arithmetic_operation", "Rounding": "rounding_operation",
                   "Special": "special_function", "Trigonometric": "trigonometric_function"}
BASIC_WITH_ARGUMENT = ["Pow", "Log", "NthRoot"]
BOOLEAN_RESULTS = {"EqualTo", "NotEqualTo", "GreaterThan", "GreaterThanOrEqualTo", "LessThan", "LessThanOrEqualTo"}


def math_function_params() -> dict[str, Choice]:
    labels = {"Basic": "Basic math function", "Compare": "Comparison function", "Operations": "Arithmetic operation",
              "Rounding": "Rounding operation", "Special": "Special function",
              "Trigonometric": "Trigonometric function"}
    return {FUNCTION_PARAMS[category]: Choice(labels[category], next(iter(functions)), choices=list(functions),
                                              when={"category": [category]})
            for category, functions in MATH.items()}


def math_argument(params: Mapping[str, Any]) -> float | None:
    """The second operand of the chosen function, or None for a function of one value."""
    category = params["category"]
    if category == "Basic":
        return float(params["second_argument"]) if params["basic_math_function"] in BASIC_WITH_ARGUMENT else None
    if category in ("Compare", "Operations"):
        return float(params["constant_operand"])
    return float(params["constant_precision"]) if category == "Rounding" else None


@registry.register
class ApplyMathOperation(Module):
    id = "apply-math-operation"
    name = "Apply Math Operation"
    category = CATEGORY
    subcategory = "Statistical Functions"
    description = "Applies a mathematical operation to column values."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]
    caption = ("{category}", "columns: {column_set}")
    params = {
        "category": Choice("Category", "Basic", choices=list(MATH)),
        **math_function_params(),
        "second_argument": Float("Second argument", 2.0, help="The exponent of Pow, base of Log, N of NthRoot.",
                                 when={"category": ["Basic"], "basic_math_function": BASIC_WITH_ARGUMENT}),
        "constant_operand": Float("Constant operand", 1.0, when={"category": ["Compare", "Operations"]}),
        "constant_precision": Int("Constant precision", 0, minimum=-15, maximum=15,
                                  help="Decimal places to round to.", when={"category": ["Rounding"]}),
        "column_set": Columns("Column set", all_of_type("Numeric")),
        "output_mode": Choice("Output mode", "Append", choices=OUTPUT_MODES),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        columns = selected(table, params["column_set"], "column_set")
        require_numeric(table, columns, self.name, "column_set")
        function = self.function(params)
        operation, argument = MATH[params["category"]][function], math_argument(params)
        with np.errstate(all="ignore"):
            results = {c: operation(table.frame[c].astype("float64"), argument) for c in columns}
        frame = placed(table.frame, results, self.result_names(columns, params), params["output_mode"])
        return {"results_dataset": table.with_frame(frame)}

    @staticmethod
    def function(params: Mapping[str, Any]) -> str:
        return str(params[FUNCTION_PARAMS[params["category"]]])

    def result_names(self, columns: list[str], params: Mapping[str, Any]) -> dict[str, str]:
        function, argument = self.function(params), math_argument(params)
        suffix = "" if argument is None else f"_{argument:g}"
        return {column: f"{function}({column}{suffix})" for column in columns}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        schema = inputs.get("dataset")
        columns = schema_columns(params["column_set"], schema)
        if schema is None or columns is None:
            return {"results_dataset": None}
        kind = Kind.BOOLEAN if self.function(params) in BOOLEAN_RESULTS else Kind.NUMERIC
        return {"results_dataset": placed_schema(schema, dict.fromkeys(columns, kind),
                                                 self.result_names(columns, params), params["output_mode"])}


# --- Apply SQL Transformation ---------------------------------------------------------------------

SQL_SECONDS = 60  # wall-clock limit of one run's queries
SQL_MAX_LENGTH = 100_000_000  # longest text or blob a query may build (stops randomblob/zeroblob memory bombs)
SQL_PROGRESS_STEPS = 10_000  # virtual-machine steps between wall-clock checks
SQL_MAX_ROWS = 2_000_000  # rows a result may have; ATELIER_SQL_MAX_ROWS overrides it
SQL_MAX_BYTES = 1024**3  # memory a result's values may hold while it is fetched; ATELIER_SQL_MAX_BYTES overrides it
SQL_FETCH_ROWS = 10_000  # most rows fetched at a time (fewer as a result nears its byte limit)
READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
# SQLite functions a query may not call: they load native code, hand out or take native pointers, decode raw
# internal structures (debugging aids) or, in builds that have them, touch files.
DENIED_FUNCTIONS = {
    "load_extension",  # loads a shared library
    "fts3_tokenizer",  # one argument: returns a tokenizer's address; two: installs one from an address
    "fts5",  # hands out the fts5_api pointer
    "rtreenode", "rtreedepth", "rtreecheck",  # r-tree debugging: decode raw node blobs
    "readfile", "writefile", "edit", "sqlite_offset",  # shell/optional builds: files and file offsets
}
WRITE_KEYWORDS = {"ALTER", "ANALYZE", "ATTACH", "BEGIN", "COMMIT", "CREATE", "DELETE", "DETACH", "DROP", "END",
                  "INSERT", "PRAGMA", "REINDEX", "RELEASE", "REPLACE", "ROLLBACK", "SAVEPOINT", "UPDATE", "VACUUM"}
LEADING_WORD = re.compile(r"\s*(?:(?:--[^\n]*(?:\n|$)|/\*.*?\*/)\s*)*(\w+)", re.DOTALL)
ACTION_NAMES = {value: name.removeprefix("SQLITE_") for name, value in vars(sqlite3).items()
                if name.startswith("SQLITE_") and isinstance(value, int) and not name.startswith("SQLITE_LIMIT")
                and name not in ("SQLITE_OK", "SQLITE_DENY", "SQLITE_IGNORE")}


def sql_statements(script: str) -> list[str]:
    """The script's statements, cut where sqlite says a statement is complete (so ';' in quotes stays put)."""
    statements, current = [], ""
    for piece in script.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" \t\r\n;"):
                statements.append(current)
            current = ""
    if current.strip(" \t\r\n;"):
        statements.append(current.removesuffix(";"))  # unfinished: sqlite names the syntax error
    return statements


class ReadOnly:
    """A sqlite authorizer that allows reading and safe functions only, and remembers the first action (or
    function) it refused."""

    def __init__(self) -> None:
        self.refused: str | None = None
        self.function: str | None = None

    def __call__(self, action: int, arg1: str | None, arg2: str | None, database: str | None,
                 source: str | None) -> int:
        denied = action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in DENIED_FUNCTIONS
        if action in READ_ACTIONS and not denied:
            return sqlite3.SQLITE_OK
        if self.refused is None:
            self.refused = ACTION_NAMES.get(action, str(action)).split("_")[0]
            self.function = (arg2 or "").lower() if denied else None
        return sqlite3.SQLITE_DENY


def refused_word(statement: str, action: str) -> str:
    """What to call a refused statement: its leading keyword (DROP, CREATE...), since sqlite first reports the
    write to its schema table that a DROP or CREATE implies; else the refused action."""
    match = LEADING_WORD.match(statement)
    word = match.group(1).upper() if match else ""
    return word if word in WRITE_KEYWORDS else action


def sql_column(values: list[Any]) -> pd.Series:
    """One result column with a single type: numbers, or text when sqlite handed back a mix."""
    types = {type(value) for value in values if value is not None}
    if types and types <= {int, float}:
        return pd.Series(values, dtype="int64" if types == {int} and None not in values else "float64")
    if types - {str}:
        values = [value if value is None or isinstance(value, str) else str(value) for value in values]
    return pd.Series(values, dtype="str" if types else object)


@dataclass(frozen=True)
class ResultLimits:
    """How large a query's result may grow before the module stops it: rows, and bytes held by its values."""

    rows: int = SQL_MAX_ROWS
    bytes: int = SQL_MAX_BYTES

    @classmethod
    def of(cls, ctx: Context) -> ResultLimits:
        return cls(int(ctx.settings.get("ATELIER_SQL_MAX_ROWS", SQL_MAX_ROWS)),
                   int(ctx.settings.get("ATELIER_SQL_MAX_BYTES", SQL_MAX_BYTES)))

    def batch(self, rows: int, held: int) -> int:
        """How many rows to fetch next: one first, then at most what half the byte budget left holds at the size
        of the rows so far, and one past the row limit, so a batch overshoots neither limit by much."""
        if rows == 0:
            return 1
        room = (self.bytes - held) / 2 / max(held / rows, 1)
        return int(max(1, min(SQL_FETCH_ROWS, room, self.rows - rows + 1)))

    def check(self, rows: int, held: int) -> None:
        advice = "; narrow it with WHERE, LIMIT or an aggregate"
        if rows > self.rows:
            raise ModuleError(f"Apply SQL Transformation stopped the query: its result has more than {self.rows:,} "
                              f"rows (the ATELIER_SQL_MAX_ROWS limit){advice}", parameter="sql_query_script")
        if held > self.bytes:
            raise ModuleError(f"Apply SQL Transformation stopped the query: after {rows:,} rows its result holds "
                              f"more than {self.bytes / 2**20:,.0f} MiB (the ATELIER_SQL_MAX_BYTES limit){advice}",
                              parameter="sql_query_script")


def held_bytes(rows: list[Any]) -> int:
    """What a batch's values hold in memory as Python objects (plus a list slot each) once fetched."""
    return sum(8 + sys.getsizeof(value) for row in rows for value in row)


def result_frame(cursor: sqlite3.Cursor, limits: ResultLimits) -> pd.DataFrame:
    """The cursor's rows, fetched in batches and column by column, stopped once they pass the limits."""
    names = [str(description[0]) for description in cursor.description]
    values: list[list[Any]] = [[] for _ in names]
    rows = held = 0
    while batch := cursor.fetchmany(limits.batch(rows, held)):
        rows, held = rows + len(batch), held + held_bytes(batch)
        limits.check(rows, held)
        for i, column in enumerate(values):
            column.extend(row[i] for row in batch)
    taken: set[str] = set()
    unique = []
    for name in names:
        unique.append(suffixed(name, taken))
        taken.add(unique[-1])
    return pd.DataFrame({name: sql_column(values[i]) for i, name in enumerate(unique)})


def sql_database(inputs: Mapping[str, Any]) -> sqlite3.Connection:
    """An in-memory database holding the connected inputs as t1, t2, t3, locked to reading from here on."""
    connection = sqlite3.connect(":memory:")
    for name in ("t1", "t2", "t3"):
        table = inputs.get(name)
        if isinstance(table, DataTable) and len(table.columns):
            try:
                table.frame.to_sql(name, connection, index=False)
            except (ValueError, TypeError, sqlite3.Error) as error:
                connection.close()
                raise ModuleError(f"Input {name} can't be loaded into SQLite: {error}") from None
    connection.commit()
    connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, SQL_MAX_LENGTH)
    return connection


@registry.register
class ApplySqlTransformation(Module):
    id = "apply-sql-transformation"
    name = "Apply SQL Transformation"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Runs a SQLite query on input datasets to transform the data."
    inputs = [InputPort("t1", PortType.DATA_TABLE, label="Table1"),
              InputPort("t2", PortType.DATA_TABLE, optional=True, label="Table2"),
              InputPort("t3", PortType.DATA_TABLE, optional=True, label="Table3")]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]
    caption = ("{sql_query_script}",)
    params = {"sql_query_script": Text("SQL query script", "select * from t1;", language="sql", allow_empty=False)}

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table_input(inputs, "t1")
        statements = sql_statements(params["sql_query_script"])
        if not statements:
            raise ModuleError("The SQL query script has no statement", parameter="sql_query_script")
        connection = sql_database(inputs)
        try:
            guard = ReadOnly()
            connection.set_authorizer(guard)
            deadline = time.monotonic() + SQL_SECONDS
            connection.set_progress_handler(lambda: int(time.monotonic() > deadline), SQL_PROGRESS_STEPS)
            frame = self.run(connection, statements, guard, deadline, ResultLimits.of(ctx))
        finally:
            connection.close()
        return {"results_dataset": DataTable(frame)}

    @staticmethod
    def run(connection: sqlite3.Connection, statements: list[str], guard: ReadOnly, deadline: float,
            limits: ResultLimits) -> pd.DataFrame:
        """Every statement in turn; the result is that of the last one that returns rows."""
        result = None
        for statement in statements:
            try:
                cursor = connection.execute(statement)
                if cursor.description is not None:
                    result = None  # the previous result is let go before the next is fetched
                    result = result_frame(cursor, limits)
            except sqlite3.Error as error:
                raise sql_error(error, statement, guard, deadline) from None
        if result is None:
            raise ModuleError("The SQL query script returns no rows; end it with a SELECT statement",
                              parameter="sql_query_script")
        return result


def sql_error(error: sqlite3.Error, statement: str, guard: ReadOnly, deadline: float) -> ModuleError:
    if guard.function is not None:
        return ModuleError(f"Apply SQL Transformation does not allow the SQLite function {guard.function}(): it "
                           "exposes the engine's internals (native pointers, extensions or files)",
                           parameter="sql_query_script")
    if guard.refused is not None:
        word = refused_word(statement, guard.refused)
        return ModuleError(f"Apply SQL Transformation only reads: '{word}' is not allowed",
                           parameter="sql_query_script")
    if time.monotonic() > deadline:
        return ModuleError(f"The SQL query ran for more than {SQL_SECONDS} s and was stopped",
                           parameter="sql_query_script")
    return ModuleError(f"The SQL query failed: {error}", parameter="sql_query_script")


# --- Summarize Data -------------------------------------------------------------------------------

PERCENTILES = {"P0.5": 0.005, "P1": 0.01, "P5": 0.05, "P95": 0.95, "P99": 0.99, "P99.5": 0.995}
SUMMARY_COLUMNS = ["Feature", "Count", "Unique Value Count", "Missing Value Count", "Min", "Max", "Mean",
                   "Mean Deviation", "1st Quartile", "Median", "3rd Quartile", "Mode", "Range", "Sample Variance",
                   "Sample Standard Deviation", "Sample Skewness", "Sample Kurtosis", *PERCENTILES]
TEXT_SUMMARIES = {"Feature", "Mode"}
COUNTS = {"Count", "Unique Value Count", "Missing Value Count"}


def mode_text(series: pd.Series) -> str | None:
    modes = series.mode(dropna=True)
    if not len(modes):
        return None
    value = modes.iloc[0]
    return format(value, ".15g") if isinstance(value, (float, np.floating)) else str(value)


def summary_row(name: str, series: pd.Series, kind: Kind) -> dict[str, Any]:
    """One input column's statistics; the numeric ones only for numeric columns with values."""
    row: dict[str, Any] = {"Feature": name, "Count": int(series.notna().sum()),
                           "Unique Value Count": int(series.nunique(dropna=True)),
                           "Missing Value Count": int(series.isna().sum()), "Mode": mode_text(series)}
    x = series.astype("float64").dropna() if kind == Kind.NUMERIC else pd.Series(dtype="float64")
    if x.empty:
        return row
    row.update({"Min": x.min(), "Max": x.max(), "Mean": x.mean(), "Mean Deviation": (x - x.mean()).abs().mean(),
                "1st Quartile": x.quantile(0.25), "Median": x.median(), "3rd Quartile": x.quantile(0.75),
                "Range": x.max() - x.min(), "Sample Variance": x.var(), "Sample Standard Deviation": x.std(),
                "Sample Skewness": x.skew(), "Sample Kurtosis": x.kurt()})
    row.update({key: x.quantile(q) for key, q in PERCENTILES.items()})
    return row


@registry.register
class SummarizeData(Module):
    id = "summarize-data"
    name = "Summarize Data"
    category = CATEGORY
    subcategory = "Statistical Functions"
    description = "Generates a basic descriptive statistics report for the columns in a dataset."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("result_dataset", PortType.DATA_TABLE)]

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        rows = [summary_row(name, table.frame[name], table.kind(name)) for name in table.columns]
        frame = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
        types = {c: "str" if c in TEXT_SUMMARIES else "int64" if c in COUNTS else "float64" for c in SUMMARY_COLUMNS}
        return {"result_dataset": DataTable(frame.astype(types))}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        return {"result_dataset": [Column(c, Kind.STRING if c in TEXT_SUMMARIES else Kind.NUMERIC)
                                   for c in SUMMARY_COLUMNS]}
