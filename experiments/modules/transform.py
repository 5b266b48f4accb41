"""Data Transformation: select, describe, clean, scale, split and encode columns and rows.

Modules that learn statistics (Clean Missing Data, Normalize Data, Convert to Indicator Values) also
output a Transform, and register how it is applied, so scoring uses the numbers learned in training.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import norm

from .framework.artifacts import (
    OPTIONAL,
    ROW_APPLIERS,
    SERVICE_LABELS,
    ArtifactError,
    Transform,
    label_columns,
    row_applier,
    transform_applier,
)
from .framework.base import Context, Module, ModuleError, Problem, SchemaContext, table_input
from .framework.code_forms import CodeForm, CodeNode, python_source
from .framework.columns import ColumnsNotFound, resolve_columns
from .framework.datatable import Column, DataTable, Kind, Role, Schema, infer_kind
from .framework.params import Bool, Choice, Columns, Float, Text, all_of_type
from .framework.ports import InputPort, OutputPort, PortType
from .framework.registry import registry
from .framework.rows import NotFast, RowKernel, Rows, rows_input

CATEGORY = "Data Transformation"
ALL_COLUMNS = {"begin_with": "all", "rules": []}
KIND_WORDS = {Kind.NUMERIC: "numbers", Kind.CATEGORICAL: "categories", Kind.STRING: "text",
              Kind.DATETIME: "dates and times", Kind.BOOLEAN: "true/false values"}


# Text forms of numbers and truth values, as typed into parameters and CSV cells.
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
TRUTH = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


# --- Shared by the modules of this file (and manipulation.py, feature_selection.py) --------------


def selected(table: DataTable, selection: Mapping[str, Any], parameter: str = "columns") -> list[str]:
    """The selected columns in the table's order; an unknown name becomes a ModuleError naming it."""
    try:
        return resolve_columns(selection, table.schema, table.frame)
    except ColumnsNotFound as missing:
        raise ModuleError(str(missing), parameter=parameter, column=missing.missing[0]) from None


def one_column(table: DataTable, selection: Mapping[str, Any], parameter: str, module: str) -> str:
    columns = selected(table, selection, parameter)
    if len(columns) != 1:
        raise ModuleError(f"{module} needs exactly one column in '{parameter}'; got {len(columns)}",
                          parameter=parameter)
    return columns[0]


def require_numeric(table: DataTable, columns: list[str], module: str, parameter: str = "columns") -> None:
    for column in columns:
        if table.kind(column) != Kind.NUMERIC:
            raise ModuleError(f"Column '{column}' is not numeric; {module} works on numbers", parameter=parameter,
                              column=column)


def require_columns(table: DataTable, columns: Iterable[str], module: str,
                    optional: Collection[str] = ()) -> list[str]:
    """The learned columns the data has, in order. A fitted transform applies only to data that still has the
    columns it learned, except `optional` ones (the label: artifacts.label_columns), which it skips when absent."""
    learned = list(columns)
    missing = [column for column in learned if column not in table.frame.columns and column not in optional]
    if missing:
        names = ", ".join(f"'{column}'" for column in missing)
        noun = "column" if len(missing) == 1 else "columns"
        raise ModuleError(f"The dataset lacks {noun} {names}, which {module} learned from its training data",
                          column=missing[0])
    return [column for column in learned if column in table.frame.columns]


def labels_among(table: DataTable, columns: Iterable[str]) -> list[str]:
    """The columns marked as the label: a transform learns them, and skips them when new data lacks them."""
    return [column for column in columns if table.role(column) == Role.LABEL]


def plain(value: Any) -> Any:
    """A learned statistic as a JSON value (numpy scalars become Python numbers, NaN becomes None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is pd.NaT or value is pd.NA:
        return None
    return value


# --- Select Columns in Dataset --------------------------------------------------------------------


@registry.register
class SelectColumnsInDataset(Module):
    id = "select-columns-in-dataset"
    name = "Select Columns in Dataset"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Chooses a subset of columns to keep, by name, type or kind, with include and exclude rules."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]
    caption = ("{columns}",)
    params = {"columns": Columns("Select columns", help="Begin with all or no columns, then include or exclude.")}

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        columns = selected(table, params["columns"])
        if not columns:
            raise ModuleError("No columns are selected: include at least one column", parameter="columns")
        return {"results_dataset": table.with_frame(table.frame[columns])}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        schema = inputs.get("dataset")
        if schema is None:
            return {"results_dataset": None}
        names = resolve_columns(params["columns"], schema)
        return {"results_dataset": [column for column in schema if column.name in names] or None}


# --- Clean Missing Data ---------------------------------------------------------------------------

CUSTOM = "Custom substitution value"
CLEANING_MODES = [CUSTOM, "Replace with mean", "Replace with median", "Replace with mode", "Remove entire row",
                  "Remove entire column"]
INDICATOR_SUFFIX = "_isMissing"


def parsed_number(text: str) -> int | float | None:
    if not NUMBER.match(text.strip()):
        return None
    number = float(text)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def custom_value(series: pd.Series, raw: str, column: str) -> Any:
    """The replacement value in the column's own type; an error names the column it doesn't fit."""
    kind = infer_kind(series)
    text = raw.strip()
    if series.notna().sum() == 0 and kind in (Kind.NUMERIC, Kind.STRING):  # no values: no type to respect
        number = parsed_number(text)
        return raw if number is None else number
    if kind == Kind.CATEGORICAL and not pd.api.types.is_numeric_dtype(series.cat.categories.dtype):
        return raw
    value: Any = raw
    if kind in (Kind.NUMERIC, Kind.CATEGORICAL):
        value = parsed_number(text)
        if value is not None and not pd.api.types.is_integer_dtype(
                series.cat.categories.dtype if kind == Kind.CATEGORICAL else series.dtype):
            value = float(value)
    elif kind == Kind.BOOLEAN:
        value = TRUTH.get(text.lower())
    elif kind == Kind.DATETIME:
        try:
            value = pd.Timestamp(text).isoformat()
        except ValueError:
            value = None
    if value is None:
        raise ModuleError(f"The replacement value {raw!r} doesn't fit column '{column}', which holds "
                          f"{KIND_WORDS[kind]}", parameter="replacement_value", column=column)
    return value


def learned_value(series: pd.Series, column: str, mode: str, raw: str) -> Any:
    if mode == CUSTOM:
        return custom_value(series, raw, column)
    if mode == "Replace with mode":
        modes = series.mode(dropna=True)
        return plain(modes.iloc[0]) if len(modes) else None
    if infer_kind(series) != Kind.NUMERIC:
        statistic = "mean" if mode == "Replace with mean" else "median"
        raise ModuleError(f"Column '{column}' is not numeric, so its missing values can't be replaced with the "
                          f"{statistic}; choose Replace with mode or a custom value", parameter="cleaning_mode",
                          column=column)
    values = series.astype("float64")
    return plain(values.mean() if mode == "Replace with mean" else values.median())


def value_fits(kind: Kind, value: Any) -> bool:
    """Whether filling a column of this kind with the value keeps it one type (a category is added)."""
    if kind == Kind.NUMERIC:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == Kind.BOOLEAN:
        return isinstance(value, bool)
    if kind == Kind.DATETIME:
        return isinstance(value, pd.Timestamp)
    return kind == Kind.CATEGORICAL or isinstance(value, str)


def filled(series: pd.Series, value: Any, learned: Kind, column: str) -> pd.Series:
    """Missing values replaced by the learned value, in the type the column had at training time."""
    if value is None or not series.isna().any():
        return series
    if learned == Kind.DATETIME:
        value = pd.Timestamp(value)
    if series.notna().sum() == 0:
        replaced = pd.Series([value] * len(series), index=series.index)
        return replaced.astype("category") if learned == Kind.CATEGORICAL else replaced
    now = infer_kind(series)
    if not value_fits(now, value):
        raise ModuleError(f"Column '{column}' holds {KIND_WORDS[now]} here; the replacement value {value!r} "
                          "that Clean Missing Data learned doesn't fit it", column=column)
    if isinstance(series.dtype, pd.CategoricalDtype) and value not in series.cat.categories:
        series = series.cat.add_categories([value])
    if pd.api.types.is_integer_dtype(series.dtype) and isinstance(value, float) and not value.is_integer():
        series = series.astype("float64")  # e.g. the mean of a nullable integer column
    return series.fillna(value)


@transform_applier("clean-missing-data")
def apply_cleaning(table: DataTable, state: dict[str, Any]) -> DataTable:
    """Indicators first (they describe the data as it came), then replace, drop rows, drop columns."""
    present = require_columns(table, state["columns"], "Clean Missing Data", label_columns(state))
    frame = table.frame.copy()
    if state["indicators"]:
        indicators = {f"{column}{INDICATOR_SUFFIX}": frame[column].isna() for column in present}
        clashes = [name for name in indicators if name in frame.columns]
        if clashes:
            raise ModuleError(f"The dataset already has a column '{clashes[0]}'; rename it before generating "
                              "missing value indicators", parameter="generate_missing_value_indicator_column")
        frame = frame.assign(**indicators)
    for column in present:
        if column in state["replacements"]:
            frame[column] = filled(frame[column], state["replacements"][column], Kind(state["kinds"][column]),
                                   column)
    if state["drop_rows"] and row_keys(state, present):
        frame = frame.dropna(subset=row_keys(state, present)).reset_index(drop=True)
    frame = frame.drop(columns=[column for column in state["drop_columns"] if column in frame.columns])
    return table.with_frame(frame)


@row_applier("clean-missing-data")
def apply_cleaning_rows(rows: Rows, state: dict[str, Any]) -> Rows:
    """apply_cleaning on a few rows; NotFast for types whose fill pandas would widen or refuse."""
    optional = label_columns(state)
    rows.require([column for column in state["columns"] if column not in optional])
    present = [column for column in state["columns"] if column in rows.columns]
    columns = dict(rows.columns)
    missing = {column: pd.isna(columns[column]) for column in present}
    if state["indicators"]:
        for column in present:
            if f"{column}{INDICATOR_SUFFIX}" in rows.columns:
                raise NotFast
            columns[f"{column}{INDICATOR_SUFFIX}"] = missing[column]
    for column in present:
        value = state["replacements"].get(column)
        if value is not None and missing[column].any():
            columns[column] = _filled_rows(columns[column], missing[column], value, Kind(state["kinds"][column]))
    if state["drop_rows"] and row_keys(state, present):
        keep = ~np.logical_or.reduce([missing[column] for column in row_keys(state, present)])
        columns = {name: values[keep] for name, values in columns.items()}
    for column in state["drop_columns"]:
        columns.pop(column, None)
    return Rows(columns, {name: role for name, role in rows.roles.items() if name in columns})


def row_keys(state: Mapping[str, Any], present: list[str]) -> list[str]:
    """The columns whose missing values remove a row ("Remove entire row"): in a web service, not its label,
    so a request scores the same rows with the label left out, empty or given."""
    labels = set(state.get(SERVICE_LABELS, []))
    return [column for column in present if column not in labels]


def _filled_rows(values: np.ndarray, missing: np.ndarray, value: Any, learned: Kind) -> np.ndarray:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if missing.all():  # filled() builds a new column whose type comes from the value
        if isinstance(value, str):
            return np.array([value] * len(values), dtype=object)
        if learned != Kind.CATEGORICAL and number:
            return np.full(len(values), value, dtype=np.float64 if isinstance(value, float) else np.int64)
        raise NotFast
    if values.dtype == np.float64 and number:
        return np.where(missing, float(value), values)
    if values.dtype == object and isinstance(value, str):
        filled_values = values.copy()
        filled_values[missing] = value
        return filled_values
    raise NotFast


@registry.register
class CleanMissingData(Module):
    id = "clean-missing-data"
    name = "Clean Missing Data"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Removes, replaces or infers missing values, and outputs the cleaning to apply to new data."
    version = 2
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("cleaned_dataset", PortType.DATA_TABLE),
               OutputPort("cleaning_transformation", PortType.TRANSFORM)]
    caption = ("{cleaning_mode}", "columns: {columns}")
    params = {
        "columns": Columns("Columns to be cleaned", dict(ALL_COLUMNS)),
        "minimum_missing_value_ratio": Float("Minimum missing value ratio", 0.0, ge=0, le=1,
                                             help="Clean only columns with at least this fraction missing."),
        "maximum_missing_value_ratio": Float("Maximum missing value ratio", 1.0, ge=0, le=1,
                                             help="Clean only columns with at most this fraction missing."),
        "cleaning_mode": Choice("Cleaning mode", CUSTOM, choices=CLEANING_MODES),
        "replacement_value": Text("Replacement value", "0", when={"cleaning_mode": [CUSTOM]}),
        "generate_missing_value_indicator_column": Bool("Generate missing value indicator column", False),
    }

    @classmethod
    def check_params(cls, params: Mapping[str, Any], node: str | None) -> list[Problem]:
        if params["minimum_missing_value_ratio"] > params["maximum_missing_value_ratio"]:
            where = f" (node {node})" if node else ""
            return [Problem(node, f"The minimum missing value ratio of {cls.name}{where} is above the maximum.",
                            parameter="minimum_missing_value_ratio")]
        return []

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        columns = [column for column in selected(table, params["columns"]) if self.in_range(table, column, params)]
        state = self.learn(table, columns, params)
        transform = Transform("clean-missing-data", state, name="Clean Missing Data")
        return {"cleaned_dataset": apply_cleaning(table, state), "cleaning_transformation": transform}

    @classmethod
    def code_form(cls, node: CodeNode) -> CodeForm:
        """The cleaning as the run did it: the columns it chose (by the selection and the missing-value ratios,
        read off the run's learned transformation), indicators first, then the mode, mean or median of the
        data, or the custom value, or rows or columns dropped."""
        state = node.facts["outputs"]["cleaning_transformation"].state
        columns, mode = list(state["columns"]), state["mode"]
        body = f"    frame = dataset.copy()\n    columns = {columns!r}\n"
        if state["indicators"]:
            body += f"    for column in columns:\n        frame[column + {INDICATOR_SUFFIX!r}] = frame[column].isna()\n"
        if mode == "Remove entire row":
            body += "    frame = frame.dropna(subset=columns).reset_index(drop=True)\n"
        elif mode == "Remove entire column":
            body += "    frame = frame.drop(columns=[column for column in columns if frame[column].isna().any()])\n"
        else:
            values = {"Replace with mode": "modes.iloc[0] if len(modes) else None",
                      "Replace with mean": "series.astype('float64').mean()",
                      "Replace with median": "series.astype('float64').median()"}
            imports: set[str] = set()
            value = values.get(mode) or f"{python_source(state['replacements'], imports)}[column]"
            body += ("    for column in columns:\n        series = frame[column]\n"
                     + ("        modes = series.mode(dropna=True)\n" if mode == "Replace with mode" else "")
                     + f"        value = {value}\n"
                     "        if value is not None and series.isna().any():\n"
                     "            frame[column] = series.fillna(value)\n")
        return CodeForm(body + "    return frame\n", ("cleaned_dataset",),
                        doc=f"{mode}, in {len(columns)} column(s).")

    @staticmethod
    def in_range(table: DataTable, column: str, params: Mapping[str, Any]) -> bool:
        ratio = float(table.frame[column].isna().mean()) if len(table.frame) else 0.0
        return bool(params["minimum_missing_value_ratio"] <= ratio <= params["maximum_missing_value_ratio"])

    @staticmethod
    def learn(table: DataTable, columns: list[str], params: Mapping[str, Any]) -> dict[str, Any]:
        """What scoring must repeat: the columns, their replacement values, what to drop."""
        mode, frame = params["cleaning_mode"], table.frame
        replaces = mode not in ("Remove entire row", "Remove entire column")
        replacements = {column: learned_value(frame[column], column, mode, params["replacement_value"])
                        for column in columns} if replaces else {}
        return {"mode": mode, "columns": columns, "replacements": replacements,
                "kinds": {column: str(table.kind(column)) for column in columns},
                "drop_rows": mode == "Remove entire row",
                "drop_columns": [c for c in columns if frame[c].isna().any()] if mode == "Remove entire column" else [],
                "indicators": params["generate_missing_value_indicator_column"],
                OPTIONAL: labels_among(table, columns)}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        schema = inputs.get("dataset")
        if schema is None or params["cleaning_mode"] == "Remove entire column":
            return {"cleaned_dataset": None}
        if not params["generate_missing_value_indicator_column"]:
            return {"cleaned_dataset": schema}
        if (params["minimum_missing_value_ratio"], params["maximum_missing_value_ratio"]) != (0.0, 1.0):
            return {"cleaned_dataset": None}  # which columns qualify depends on the values
        columns = resolve_columns(params["columns"], schema)
        return {"cleaned_dataset": schema + [Column(f"{name}{INDICATOR_SUFFIX}", Kind.BOOLEAN) for name in columns]}


# --- Normalize Data -------------------------------------------------------------------------------

NORMALIZERS = ["ZScore", "MinMax", "Logistic", "LogNormal", "TanH"]


def normalization_stats(values: pd.Series, method: str) -> dict[str, Any]:
    """What a method needs to know about a column. ZScore uses the population standard deviation
    (ddof=0), as scikit-learn's StandardScaler does; the classic reference says only 'stdev'."""
    x = values.astype("float64").dropna()
    stats: dict[str, Any] = {"constant": bool(x.nunique() <= 1)}
    if method == "ZScore":
        stats |= {"mean": plain(x.mean()), "std": plain(x.std(ddof=0))}
    elif method == "MinMax":
        stats |= {"min": plain(x.min()), "max": plain(x.max())}
    elif method == "LogNormal":
        logs = np.log(x[x > 0])  # maximum-likelihood lognormal fit: mean and population std of log(x)
        stats |= {"mu": plain(logs.mean()), "sigma": plain(logs.std(ddof=0))}
        stats["constant"] = stats["constant"] or not stats["sigma"]
    return stats


def normalized(values: pd.Series, method: str, stats: Mapping[str, Any], zero_for_constant: bool) -> pd.Series:
    x = values.astype("float64")
    if stats["constant"] and zero_for_constant:
        return x.where(x.isna(), 0.0)
    if method == "Logistic":
        return pd.Series(expit(x), index=x.index)
    if method == "TanH":
        return pd.Series(np.tanh(x), index=x.index)
    if stats["constant"]:  # no spread to divide by
        return pd.Series(np.nan, index=x.index)
    if method == "ZScore":
        return (x - stats["mean"]) / stats["std"]
    if method == "MinMax":
        return (x - stats["min"]) / (stats["max"] - stats["min"])
    logs = np.log(x.where(x > 0))  # LogNormal: the fitted distribution's CDF, 0 at and below zero
    return pd.Series(norm.cdf((logs - stats["mu"]) / stats["sigma"]), index=x.index).where(~(x <= 0), 0.0)


@transform_applier("normalize-data")
def apply_normalization(table: DataTable, state: dict[str, Any]) -> DataTable:
    present = require_columns(table, state["columns"], "Normalize Data", label_columns(state))
    frame = table.frame.copy()
    for column in present:
        stats = state["columns"][column]
        if table.kind(column) != Kind.NUMERIC and frame[column].notna().any():
            raise ModuleError(f"Column '{column}' is not numeric here, but Normalize Data learned it as numbers",
                              column=column)
        frame[column] = normalized(frame[column], state["method"], stats, state["zero_for_constant"])
    return table.with_frame(frame)


@registry.register
class NormalizeData(Module):
    id = "normalize-data"
    name = "Normalize Data"
    category = CATEGORY
    subcategory = "Scale and Reduce"
    description = "Rescales numeric columns (ZScore, MinMax, Logistic, LogNormal, TanH) and outputs the scaling."
    version = 2
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("transformed_dataset", PortType.DATA_TABLE),
               OutputPort("transformation_function", PortType.TRANSFORM)]
    caption = ("{transformation_method}", "columns: {columns}")
    params = {
        "transformation_method": Choice("Transformation method", "ZScore", choices=NORMALIZERS),
        "use_0_for_constant_columns_when_checked": Bool(
            "Use 0 for constant columns when checked", True,
            help="Columns with a single value become 0 instead of undefined."),
        "columns": Columns("Columns to transform", all_of_type("Numeric")),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        columns = [column for column in selected(table, params["columns"]) if table.role(column) != Role.LABEL]
        if not columns:
            raise ModuleError("No columns to normalize: select numeric columns that are not the label",
                              parameter="columns")
        require_numeric(table, columns, self.name)
        method = params["transformation_method"]
        state = {"method": method, "zero_for_constant": params["use_0_for_constant_columns_when_checked"],
                 "columns": {column: normalization_stats(table.frame[column], method) for column in columns}}
        transform = Transform("normalize-data", state, name=f"Normalize Data ({method})")
        return {"transformed_dataset": apply_normalization(table, state), "transformation_function": transform}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        return {"transformed_dataset": inputs.get("dataset")}


# --- Apply Transformation -------------------------------------------------------------------------


@registry.register
class ApplyTransformation(Module):
    id = "apply-transformation"
    name = "Apply Transformation"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Applies a transformation learned earlier (cleaning, scaling, encoding) to a new dataset."
    inputs = [InputPort("transformation", PortType.TRANSFORM), InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("transformed_dataset", PortType.DATA_TABLE)]

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        transform = inputs.get("transformation")
        if not isinstance(transform, Transform):
            raise ModuleError("Apply Transformation needs a transformation on its first input")
        try:
            return {"transformed_dataset": transform.apply(table_input(inputs, "dataset"))}
        except ArtifactError as error:
            raise ModuleError(str(error)) from None

    def row_kernel(self, params: Mapping[str, Any], constants: Mapping[str, Any]) -> RowKernel | None:
        transform = constants.get("transformation")
        if not isinstance(transform, Transform) or transform.kind not in ROW_APPLIERS:
            return None
        apply, state = ROW_APPLIERS[transform.kind], transform.state
        return lambda inputs: {"transformed_dataset": apply(rows_input(inputs, "dataset"), state)}


# --- Convert to Indicator Values ------------------------------------------------------------------

MAX_CATEGORIES = 1000


def category_names(series: pd.Series) -> list[str]:
    """The values seen, as text, in the categories' own order (or sorted), for stable column order."""
    present = series.dropna()
    if isinstance(series.dtype, pd.CategoricalDtype):
        seen = set(present.astype(object))
        return [str(category) for category in series.cat.categories if category in seen]
    values = list(present.unique())
    try:
        values.sort()
    except TypeError:
        values.sort(key=str)
    return list(dict.fromkeys(str(value) for value in values))


@transform_applier("convert-to-indicator-values")
def apply_indicators(table: DataTable, state: dict[str, Any]) -> DataTable:
    """One 0/1 column '<column>-<value>' per category learned; unseen and missing values are all zeros."""
    present = require_columns(table, state["categories"], "Convert to Indicator Values", label_columns(state))
    frame = table.frame
    for column in present:
        categories = state["categories"][column]
        text = frame[column].astype("str")
        indicators = pd.DataFrame({f"{column}-{category}": (text == category).fillna(False).astype("int64")
                                   for category in categories}, index=frame.index)
        clashes = [name for name in indicators.columns if name in frame.columns]
        if clashes:
            raise ModuleError(f"The dataset already has a column '{clashes[0]}'; rename it before converting "
                              f"'{column}' to indicator values", column=column)
        position = frame.columns.get_loc(column) + 1
        frame = pd.concat([frame.iloc[:, :position], indicators, frame.iloc[:, position:]], axis=1)
        if state["overwrite"]:
            frame = frame.drop(columns=[column])
    return table.with_frame(frame)


@registry.register
class ConvertToIndicatorValues(Module):
    id = "convert-to-indicator-values"
    name = "Convert to Indicator Values"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Turns each value of categorical columns into its own 0/1 indicator column."
    version = 2
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE),
               OutputPort("indicator_transformation", PortType.TRANSFORM)]
    caption = ("{categorical_columns_to_convert}",)
    params = {
        "categorical_columns_to_convert": Columns("Categorical columns to convert",
                                                  all_of_type("Categorical", "String")),
        "overwrite_categorical_columns": Bool("Overwrite categorical columns", False,
                                              help="Replace each converted column by its indicators."),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        parameter = "categorical_columns_to_convert"
        columns = [column for column in selected(table, params[parameter], parameter)
                   if table.role(column) != Role.LABEL]
        categories = {column: self.categories(table, column) for column in columns}
        state = {"overwrite": params["overwrite_categorical_columns"], "categories": categories}
        transform = Transform("convert-to-indicator-values", state, name="Convert to Indicator Values")
        return {"results_dataset": apply_indicators(table, state), "indicator_transformation": transform}

    @staticmethod
    def categories(table: DataTable, column: str) -> list[str]:
        parameter = "categorical_columns_to_convert"
        if table.kind(column) == Kind.NUMERIC:
            raise ModuleError(f"Column '{column}' is numeric; make it categorical with Edit Metadata first",
                              parameter=parameter, column=column)
        names = category_names(table.frame[column])
        if len(names) > MAX_CATEGORIES:
            raise ModuleError(f"Column '{column}' has {len(names)} distinct values, more than the "
                              f"{MAX_CATEGORIES} indicator columns allowed per column", parameter=parameter,
                              column=column)
        return names

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        return {"results_dataset": None}  # the new columns depend on the values
