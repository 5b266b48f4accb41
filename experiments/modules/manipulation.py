"""Data Transformation, continued: join and stack tables, deduplicate, bin, clip, compute, query, summarize."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .artifacts import Transform, transform_applier
from .base import Context, Module, ModuleError, table_input
from .datatable import DataTable, Kind
from .params import Bool, Choice, Columns, Float, Int, Text, all_of_type
from .ports import InputPort, OutputPort, PortType
from .registry import registry
from .transform import require_numeric, selected

CATEGORY = "Data Transformation"
SQL_SECONDS = 60


def suffixed(name: str, taken: set[str]) -> str:
    """A column name not yet taken: `name`, else `name (2)`, `name (3)`..."""
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name} ({number})", number + 1
    return candidate


@registry.register
class JoinData(Module):
    name = "Join Data"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Joins two datasets on key columns: inner, left outer, full outer or left semi-join."
    inputs = [InputPort("dataset1", PortType.DATA_TABLE), InputPort("dataset2", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]
    params = {
        "join_key_columns_for_l": Columns("Join key columns for L"),
        "join_key_columns_for_r": Columns("Join key columns for R"),
        "match_case": Bool("Match case", True),
        "join_type": Choice("Join type", "Inner Join",
                            choices=["Inner Join", "Left Outer Join", "Full Outer Join", "Left Semi-Join"]),
        "keep_right_key_columns_in_joined_table": Bool("Keep right key columns in joined table", True),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        left, right = table_input(inputs, "dataset1"), table_input(inputs, "dataset2")
        left_keys = selected(left, params["join_key_columns_for_l"], "join_key_columns_for_l")
        right_keys = selected(right, params["join_key_columns_for_r"], "join_key_columns_for_r")
        if not left_keys or len(left_keys) != len(right_keys):
            raise ModuleError(f"Join Data needs the same number of key columns on both sides; got {len(left_keys)} "
                              f"and {len(right_keys)}", parameter="join_key_columns_for_r")
        keys = [f"\x00key{i}" for i in range(len(left_keys))]
        lhs = left.frame.assign(**self.keyed(left.frame, left_keys, keys, params["match_case"]))
        rhs = right.frame.assign(**self.keyed(right.frame, right_keys, keys, params["match_case"]))
        if params["join_type"] == "Left Semi-Join":
            matched = lhs.merge(rhs[keys].drop_duplicates(), on=keys, how="inner")
            return {"results_dataset": left.with_frame(matched.drop(columns=keys))}
        if not params["keep_right_key_columns_in_joined_table"]:
            rhs = rhs.drop(columns=right_keys)
        taken = set(lhs.columns)
        renames = {c: suffixed(c, taken) for c in rhs.columns if c not in keys and c in taken}
        how = {"Inner Join": "inner", "Left Outer Join": "left", "Full Outer Join": "outer"}[params["join_type"]]
        joined = lhs.merge(rhs.rename(columns=renames), on=keys, how=how).drop(columns=keys)
        return {"results_dataset": left.with_frame(joined.reset_index(drop=True))}

    @staticmethod
    def keyed(frame: pd.DataFrame, columns: list[str], keys: list[str], match_case: bool) -> dict[str, pd.Series]:
        def key(series: pd.Series) -> pd.Series:
            return series if match_case or series.dtype.kind in "biufc" else series.astype(str).str.lower()

        return {name: key(frame[column]) for name, column in zip(keys, columns, strict=True)}


@registry.register
class AddRows(Module):
    name = "Add Rows"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Appends the rows of the second dataset to the first; the columns must match by name."
    inputs = [InputPort("dataset1", PortType.DATA_TABLE), InputPort("dataset2", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        first, second = table_input(inputs, "dataset1"), table_input(inputs, "dataset2")
        if set(first.columns) != set(second.columns):
            only_first = sorted(set(first.columns) - set(second.columns))
            only_second = sorted(set(second.columns) - set(first.columns))
            raise ModuleError(f"The datasets' columns differ: only in the first {only_first}, only in the second "
                              f"{only_second}")
        stacked = pd.concat([first.frame, second.frame[first.columns]], ignore_index=True)
        return {"results_dataset": first.with_frame(stacked)}


@registry.register
class AddColumns(Module):
    name = "Add Columns"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Puts the columns of two datasets with the same number of rows side by side."
    inputs = [InputPort("left_dataset", PortType.DATA_TABLE), InputPort("right_dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("combined_dataset", PortType.DATA_TABLE)]

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        left, right = table_input(inputs, "left_dataset"), table_input(inputs, "right_dataset")
        if len(left.frame) != len(right.frame):
            raise ModuleError(f"Add Columns needs datasets with the same number of rows; got {len(left.frame)} and "
                              f"{len(right.frame)}")
        taken = set(left.columns)
        renamed = {}
        for column in right.columns:
            renamed[column] = suffixed(column, taken)
            taken.add(renamed[column])
        combined = pd.concat([left.frame.reset_index(drop=True),
                              right.frame.rename(columns=renamed).reset_index(drop=True)], axis=1)
        roles = dict(left.roles) | {renamed[c]: r for c, r in right.roles.items() if renamed[c] not in left.roles}
        return {"combined_dataset": DataTable(combined, roles)}


@registry.register
class RemoveDuplicateRows(Module):
    name = "Remove Duplicate Rows"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Removes rows that repeat the values of the key columns."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]
    params = {"key_column_selection_filter_expression": Columns("Key column selection filter expression",
                                                                {"begin_with": "all", "rules": []}),
              "retain_first_duplicate_row": Bool("Retain first duplicate row", True)}

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        keys = selected(table, params["key_column_selection_filter_expression"],
                        "key_column_selection_filter_expression")
        if not keys:
            raise ModuleError("Choose the key columns", parameter="key_column_selection_filter_expression")
        keep = "first" if params["retain_first_duplicate_row"] else "last"
        return {"results_dataset": table.with_frame(table.frame.drop_duplicates(keys, keep=keep)
                                                    .reset_index(drop=True))}


# --- Group Data into Bins -------------------------------------------------------------------------


@transform_applier("group-data-into-bins")
def apply_bins(table: DataTable, state: dict[str, Any]) -> DataTable:
    frame = table.frame.copy()
    binned = {}
    for column, edges in state["edges"].items():
        if column not in frame.columns:
            raise ModuleError(f"Column '{column}' that Group Data into Bins learned is not in the dataset",
                              column=column)
        cut = pd.cut(frame[column].astype("float64"), bins=np.array(edges, dtype=float), labels=False,
                     include_lowest=True)
        values = cut.astype("Int64") + 1
        binned[column] = values.astype("category") if state["categorical"] else values
    mode = state["output_mode"]
    if mode == "Inplace":
        frame = frame.assign(**binned)
    elif mode == "Append":
        frame = frame.assign(**{f"{column}_quantized": values for column, values in binned.items()})
    else:
        frame = pd.DataFrame({f"{column}_quantized": values for column, values in binned.items()})
    return table.with_frame(frame)


def bin_edges(values: pd.Series, mode: str, count: int, custom: str) -> list[float]:
    x = values.astype("float64").dropna()
    if mode == "Custom Edges":
        try:
            inner = sorted(float(edge) for edge in custom.split(",") if edge.strip())
        except ValueError:
            raise ModuleError(f"Bin edges must be numbers separated by commas; got {custom!r}",
                              parameter="comma_separated_list_of_bin_edges") from None
        return [-np.inf, *inner, np.inf]
    if x.empty:
        return [-np.inf, np.inf]
    if mode == "Quantiles":
        inner = list(np.unique(np.quantile(x, np.linspace(0, 1, count + 1))[1:-1]))
    else:
        inner = list(np.linspace(x.min(), x.max(), count + 1)[1:-1])
    return [-np.inf, *[float(edge) for edge in inner], np.inf]


@registry.register
class GroupDataIntoBins(Module):
    name = "Group Data into Bins"
    category = CATEGORY
    subcategory = "Scale and Reduce"
    description = "Puts numeric values into bins (quantiles, equal width or custom edges)."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("quantized_dataset", PortType.DATA_TABLE),
               OutputPort("binning_transformation", PortType.TRANSFORM)]
    params = {
        "binning_mode": Choice("Binning mode", "Quantiles", choices=["Quantiles", "Equal Width", "Custom Edges"]),
        "number_of_bins": Int("Number of bins", 10, minimum=1, when={"binning_mode": ["Quantiles", "Equal Width"]}),
        "comma_separated_list_of_bin_edges": Text("Comma-separated list of bin edges", "",
                                                  when={"binning_mode": ["Custom Edges"]}),
        "columns_to_bin": Columns("Columns to bin", all_of_type("Numeric")),
        "output_mode": Choice("Output mode", "Append", choices=["Append", "Inplace", "ResultOnly"]),
        "tag_columns_as_categorical": Bool("Tag columns as categorical", True),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        columns = selected(table, params["columns_to_bin"], "columns_to_bin")
        require_numeric(table, columns, self.name, "columns_to_bin")
        state = {"output_mode": params["output_mode"], "categorical": params["tag_columns_as_categorical"],
                 "edges": {c: bin_edges(table.frame[c], params["binning_mode"], params["number_of_bins"],
                                        params["comma_separated_list_of_bin_edges"]) for c in columns}}
        transform = Transform("group-data-into-bins", state, name="Group Data into Bins")
        return {"quantized_dataset": apply_bins(table, state), "binning_transformation": transform}


# --- Clip Values ----------------------------------------------------------------------------------

SUBSTITUTES = ["Threshold", "Mean", "Median", "Missing"]


@registry.register
class ClipValues(Module):
    name = "Clip Values"
    category = CATEGORY
    subcategory = "Scale and Reduce"
    description = "Replaces values above or below a threshold (a constant or a percentile) to tame outliers."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]
    params = {
        "set_of_thresholds": Choice("Set of thresholds", "ClipPeaks",
                                    choices=["ClipPeaks", "ClipSubpeaks", "ClipPeaksAndSubpeaks"]),
        "threshold": Choice("Threshold", "Constant", choices=["Constant", "Percentile"]),
        "constant_value_for_upper_threshold": Float("Constant value for upper threshold", 99.0),
        "constant_value_for_lower_threshold": Float("Constant value for lower threshold", 1.0),
        "percentile_value_for_upper_threshold": Int("Percentile value for upper threshold", 99, minimum=0,
                                                    maximum=100),
        "percentile_value_for_lower_threshold": Int("Percentile value for lower threshold", 1, minimum=0, maximum=100),
        "substitute_value_for_peaks": Choice("Substitute value for peaks", "Threshold", choices=SUBSTITUTES),
        "substitute_value_for_subpeaks": Choice("Substitute value for subpeaks", "Threshold", choices=SUBSTITUTES),
        "list_of_columns": Columns("List of columns", all_of_type("Numeric")),
        "overwrite_flag": Bool("Overwrite flag", True),
        "add_indicator_columns": Bool("Add indicator columns", False),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        columns = selected(table, params["list_of_columns"], "list_of_columns")
        require_numeric(table, columns, self.name, "list_of_columns")
        frame = table.frame.copy()
        for column in columns:
            clipped, flags = self.clip(frame[column].astype("float64"), params)
            target = column if params["overwrite_flag"] else f"{column}_clipped"
            frame[target] = clipped
            if params["add_indicator_columns"]:
                frame[f"{column}_clipped_flag"] = flags
        return {"results_dataset": table.with_frame(frame)}

    @staticmethod
    def clip(x: pd.Series, params: Mapping[str, Any]) -> tuple[pd.Series, pd.Series]:
        constant = params["threshold"] == "Constant"
        upper = params["constant_value_for_upper_threshold"] if constant \
            else x.quantile(params["percentile_value_for_upper_threshold"] / 100)
        lower = params["constant_value_for_lower_threshold"] if constant \
            else x.quantile(params["percentile_value_for_lower_threshold"] / 100)
        which = params["set_of_thresholds"]
        peaks = (x > upper) if which != "ClipSubpeaks" else pd.Series(False, index=x.index)
        subpeaks = (x < lower) if which != "ClipPeaks" else pd.Series(False, index=x.index)
        substitutes = {"Mean": x.mean(), "Median": x.median(), "Missing": np.nan}
        result = x.mask(peaks, substitutes.get(params["substitute_value_for_peaks"], upper))
        result = result.mask(subpeaks, substitutes.get(params["substitute_value_for_subpeaks"], lower))
        return result, (peaks | subpeaks)


# --- Apply Math Operation -------------------------------------------------------------------------

UNARY: dict[str, dict[str, Callable[[pd.Series], pd.Series]]] = {
    "Basic": {"Abs": np.abs, "Exp": np.exp, "Ln": np.log, "Log10": np.log10, "Sqrt": np.sqrt,
              "Square": np.square, "Sign": np.sign, "Negate": np.negative},
    "Rounding": {"Ceiling": np.ceil, "Floor": np.floor, "Round": np.round},
    "Trigonometric": {"Sin": np.sin, "Cos": np.cos, "Tan": np.tan, "Asin": np.arcsin, "Acos": np.arccos,
                      "Atan": np.arctan},
}
BINARY: dict[str, Callable[[pd.Series, float], pd.Series]] = {
    "Add": lambda x, c: x + c, "Subtract": lambda x, c: x - c, "Multiply": lambda x, c: x * c,
    "Divide": lambda x, c: x / c, "Pow": lambda x, c: x ** c,
}
FUNCTIONS = [name for group in UNARY.values() for name in group] + list(BINARY)


@registry.register
class ApplyMathOperation(Module):
    name = "Apply Math Operation"
    category = CATEGORY
    subcategory = "Statistical Functions"
    description = "Applies a mathematical function (basic, rounding, trigonometric, or with a constant) to columns."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]
    params = {
        "function": Choice("Function", "Abs", choices=FUNCTIONS),
        "constant": Float("Constant", 1.0, help="The second operand of Add, Subtract, Multiply, Divide and Pow.",
                          when={"function": list(BINARY)}),
        "column_set": Columns("Column set", all_of_type("Numeric")),
        "output_mode": Choice("Output mode", "Append", choices=["Append", "Inplace", "ResultOnly"]),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        columns = selected(table, params["column_set"], "column_set")
        require_numeric(table, columns, self.name, "column_set")
        name, constant = params["function"], params["constant"]
        results = {}
        with np.errstate(all="ignore"):
            for column in columns:
                x = table.frame[column].astype("float64")
                value = BINARY[name](x, constant) if name in BINARY else self.unary(name)(x)
                label = f"{name}({column}_{constant:g})" if name in BINARY else f"{name}({column})"
                results[column if params["output_mode"] == "Inplace" else label] = value
        if params["output_mode"] == "ResultOnly":
            return {"results_dataset": DataTable(pd.DataFrame(results))}
        return {"results_dataset": table.with_frame(table.frame.assign(**results))}

    @staticmethod
    def unary(name: str) -> Callable[[pd.Series], pd.Series]:
        return next(group[name] for group in UNARY.values() if name in group)


# --- Apply SQL Transformation ---------------------------------------------------------------------

READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION}
ACTION_NAMES = {value: name.removeprefix("SQLITE_") for name, value in vars(sqlite3).items()
                if name.startswith("SQLITE_") and isinstance(value, int) and name not in ("SQLITE_OK", "SQLITE_DENY",
                                                                                           "SQLITE_IGNORE")}


@registry.register
class ApplySqlTransformation(Module):
    name = "Apply SQL Transformation"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Runs a read-only SQLite query over the inputs, available as tables t1, t2 and t3."
    inputs = [InputPort("t1", PortType.DATA_TABLE), InputPort("t2", PortType.DATA_TABLE, optional=True),
              InputPort("t3", PortType.DATA_TABLE, optional=True)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]
    params = {"sql_query_script": Text("SQL query script", "select * from t1;", language="sql", allow_empty=False)}

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        with sqlite3.connect(":memory:") as connection:
            for name in ("t1", "t2", "t3"):
                if isinstance(inputs.get(name), DataTable):
                    inputs[name].frame.to_sql(name, connection, index=False)
            denied: list[str] = []
            connection.set_authorizer(lambda action, *args: self.authorize(action, denied))
            deadline = time.monotonic() + SQL_SECONDS
            connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
            frame = self.query(connection, params["sql_query_script"], denied, deadline)
        return {"results_dataset": DataTable(frame)}

    @staticmethod
    def authorize(action: int, denied: list[str]) -> int:
        if action in READ_ACTIONS:
            return sqlite3.SQLITE_OK
        denied.append(ACTION_NAMES.get(action, str(action)))
        return sqlite3.SQLITE_DENY

    @staticmethod
    def query(connection: sqlite3.Connection, script: str, denied: list[str], deadline: float) -> pd.DataFrame:
        statements = [s for s in script.split(";") if s.strip()]
        if not statements:
            raise ModuleError("The SQL query script is empty", parameter="sql_query_script")
        try:
            return pd.read_sql_query(statements[-1], connection)
        except (sqlite3.DatabaseError, pd.errors.DatabaseError) as error:
            if denied:
                raise ModuleError(f"Apply SQL Transformation only reads: '{denied[0]}' is not allowed",
                                  parameter="sql_query_script") from None
            if time.monotonic() > deadline:
                raise ModuleError(f"The SQL query ran for more than {SQL_SECONDS} s and was stopped",
                                  parameter="sql_query_script") from None
            raise ModuleError(f"The SQL query failed: {error}", parameter="sql_query_script") from None


# --- Summarize Data -------------------------------------------------------------------------------

PERCENTILES = {"P0.5": 0.005, "P1": 0.01, "P5": 0.05, "P95": 0.95, "P99": 0.99, "P99.5": 0.995}


def summary_row(name: str, series: pd.Series, kind: Kind) -> dict[str, Any]:
    modes = series.mode(dropna=True)
    row: dict[str, Any] = {"Feature": name, "Count": int(series.notna().sum()),
                           "Unique Value Count": int(series.nunique(dropna=True)),
                           "Missing Value Count": int(series.isna().sum()),
                           "Mode": str(modes.iloc[0]) if len(modes) else None}
    if kind == Kind.NUMERIC and series.notna().any():
        x = series.astype("float64").dropna()
        row.update({"Min": x.min(), "Max": x.max(), "Mean": x.mean(), "Mean Deviation": (x - x.mean()).abs().mean(),
                    "1st Quartile": x.quantile(0.25), "Median": x.median(), "3rd Quartile": x.quantile(0.75),
                    "Range": x.max() - x.min(), "Sample Variance": x.var(), "Sample Standard Deviation": x.std(),
                    "Sample Skewness": x.skew(), "Sample Kurtosis": x.kurt()})
        row.update({key: x.quantile(q) for key, q in PERCENTILES.items()})
    return row


@registry.register
class SummarizeData(Module):
    name = "Summarize Data"
    category = CATEGORY
    subcategory = "Statistical Functions"
    description = "Computes basic statistics for each column: counts, missing values, quartiles, moments."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("result_dataset", PortType.DATA_TABLE)]

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        columns = ["Feature", "Count", "Unique Value Count", "Missing Value Count", "Min", "Max", "Mean",
                   "Mean Deviation", "1st Quartile", "Median", "3rd Quartile", "Mode", "Range", "Sample Variance",
                   "Sample Standard Deviation", "Sample Skewness", "Sample Kurtosis", *PERCENTILES]
        rows = [summary_row(name, table.frame[name], table.kind(name)) for name in table.columns]
        frame = pd.DataFrame(rows, columns=columns)
        numeric = [c for c in columns if c not in ("Feature", "Mode")]
        frame[numeric] = frame[numeric].astype("float64")
        return {"result_dataset": DataTable(frame)}

