"""Data Transformation: select, describe, clean, scale, split and encode columns and rows.

Modules that learn statistics (Clean Missing Data, Normalize Data, Convert to Indicator Values) also
output a Transform, and register how it is applied, so scoring uses the numbers learned in training.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import norm

from .artifacts import ArtifactError, Transform, transform_applier
from .base import Context, Module, ModuleError, Problem, SchemaContext, table_input
from .columns import ColumnsNotFound, resolve_columns, selection_is_empty
from .datatable import Column, DataTable, Kind, Role, Schema, infer_kind
from .params import Bool, Choice, Columns, Float, Int, Text, all_of_type
from .ports import InputPort, OutputPort, PortType
from .registry import registry

CATEGORY = "Data Transformation"
ALL_COLUMNS = {"begin_with": "all", "rules": []}
KIND_WORDS = {Kind.NUMERIC: "numbers", Kind.CATEGORICAL: "categories", Kind.STRING: "text",
              Kind.DATETIME: "dates and times", Kind.BOOLEAN: "true/false values"}


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


def require_columns(table: DataTable, columns: Iterable[str], module: str) -> None:
    """A fitted transform applies only to data that still has the columns it learned."""
    missing = [column for column in columns if column not in table.frame.columns]
    if missing:
        names = ", ".join(f"'{column}'" for column in missing)
        noun = "column" if len(missing) == 1 else "columns"
        raise ModuleError(f"The dataset lacks {noun} {names}, which {module} learned from its training data",
                          column=missing[0])


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
    name = "Select Columns in Dataset"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Chooses a subset of columns to keep, by name, type or kind, with include and exclude rules."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]
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


# --- Edit Metadata --------------------------------------------------------------------------------

DATA_TYPES = ["String", "Integer", "Floating point", "Boolean", "DateTime", "TimeSpan"]
# An empty column of each type, to know its kind without converting anything (schema inference).
TYPE_DTYPES = {"String": "str", "Integer": "int64", "Floating point": "float64", "Boolean": "bool",
               "DateTime": "datetime64[ns]", "TimeSpan": "timedelta64[ns]"}
TRUTH = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
FIELD_ROLES = {"Label": Role.LABEL, "Weight": Role.WEIGHT}
CLEARED = {"Clear feature": Role.FEATURE, "Clear label": Role.LABEL, "Clear score": Role.SCORE,
           "Clear weight": Role.WEIGHT}
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class BadValue(ValueError):
    """The first value of a column that does not convert to the wanted type."""

    def __init__(self, value: Any) -> None:
        super().__init__(repr(value))
        self.value = value


def fail_on_lost_values(original: pd.Series, converted: pd.Series) -> None:
    """A value present before and missing after a conversion did not convert: name the first one."""
    lost = original.notna().to_numpy() & converted.isna().to_numpy()
    if lost.any():
        raise BadValue(original[lost].iloc[0])


def as_text(series: pd.Series) -> pd.Series:
    return series.astype("str").str.strip()


def coerced_numbers(series: pd.Series) -> pd.Series:
    """The values as numbers, NaN where a value is not one (the caller names the first such value)."""
    kind = infer_kind(series)
    if kind in (Kind.NUMERIC, Kind.BOOLEAN):
        return series.astype("float64")
    if kind == Kind.DATETIME:
        return pd.Series(np.nan, index=series.index)
    return pd.to_numeric(as_text(series), errors="coerce").astype("float64")


def to_number(series: pd.Series) -> pd.Series:
    numbers = coerced_numbers(series)
    fail_on_lost_values(series, numbers)
    return numbers


def to_integer(series: pd.Series) -> pd.Series:
    if pd.api.types.is_integer_dtype(series.dtype):
        return series
    numbers = coerced_numbers(series)
    whole = numbers.where(numbers % 1 == 0)  # the first value that is not a whole number fails
    fail_on_lost_values(series, whole)
    return whole.astype("int64" if whole.notna().all() else "Int64")


def to_boolean(series: pd.Series) -> pd.Series:
    kind = infer_kind(series)
    if kind == Kind.BOOLEAN:
        return series
    if kind == Kind.NUMERIC:
        truth = series.astype("float64").map({1.0: True, 0.0: False})
    else:
        truth = as_text(series).str.lower().map(TRUTH)
    fail_on_lost_values(series, truth)
    return truth.astype("bool" if truth.notna().all() else "boolean")


def to_datetime(series: pd.Series) -> pd.Series:
    if infer_kind(series) == Kind.DATETIME:
        return series
    text = as_text(series)
    try:
        moments = pd.to_datetime(text, errors="coerce", format="mixed")
    except (ValueError, TypeError, OverflowError):
        raise BadValue(text.dropna().iloc[0]) from None
    if not pd.api.types.is_datetime64_any_dtype(moments.dtype):  # e.g. mixed time zones
        raise BadValue(text.dropna().iloc[0])
    fail_on_lost_values(text, moments)
    return moments


def to_timespan(series: pd.Series) -> pd.Series:
    """Text such as '1 days 02:00:00'; a bare number counts days, as .NET's TimeSpan.Parse read it."""
    if pd.api.types.is_timedelta64_dtype(series.dtype):
        return series
    text = as_text(series)
    days = text.where(text.str.match(NUMBER.pattern).fillna(False).astype(bool))
    spans = pd.to_timedelta(text.where(days.isna()), errors="coerce")
    spans = spans.fillna(pd.to_timedelta(pd.to_numeric(days, errors="coerce"), unit="D"))
    fail_on_lost_values(text, spans)
    return spans


def to_string(series: pd.Series) -> pd.Series:
    return series.astype("str")


CONVERTERS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "String": to_string, "Integer": to_integer, "Floating point": to_number,
    "Boolean": to_boolean, "DateTime": to_datetime, "TimeSpan": to_timespan}


def uncategorized(series: pd.Series) -> pd.Series:
    """A categorical column back as plain values of its categories' type."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        return series
    categories = series.cat.categories
    if pd.api.types.is_integer_dtype(categories.dtype) and series.isna().any():
        return series.astype("float64")
    return series.astype(categories.dtype)


def new_roles(roles: Mapping[str, Role], columns: list[str], fields: str) -> dict[str, Role]:
    """Roles after Edit Metadata's Fields: a table has at most one label and one weight column."""
    updated = {name: Role(role) for name, role in roles.items() if Role(role) != Role.FEATURE}
    if fields in FIELD_ROLES:
        role = FIELD_ROLES[fields]
        if len(columns) > 1:
            raise ModuleError(f"Only one column can be the {role}; {len(columns)} are selected",
                              parameter="fields")
        updated = {name: old for name, old in updated.items() if old != role}
        updated[columns[0]] = role
    elif fields == "Features":
        for column in columns:
            updated.pop(column, None)
    elif fields in CLEARED:
        for column in columns:
            if updated.get(column) == CLEARED[fields]:
                updated.pop(column)
    return updated


def new_names(columns: list[str], text: str) -> dict[str, str]:
    """Comma-separated new names, one per selected column in the table's order."""
    if not text.strip():
        return {}
    names = [name.strip() for name in text.split(",")]
    if len(names) != len(columns):
        noun = "name" if len(names) == 1 else "names"
        raise ModuleError(f"'New column names' lists {len(names)} {noun} for {len(columns)} selected columns "
                          f"({', '.join(columns)})", parameter="new_column_names")
    if not all(names):
        raise ModuleError("'New column names' has an empty name", parameter="new_column_names")
    return dict(zip(columns, names, strict=True))


@registry.register
class EditMetadata(Module):
    name = "Edit Metadata"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Changes the type, categorical flag, role (feature, label, weight) or names of columns."
    version = 2
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]
    params = {
        "columns": Columns("Column"),
        "data_type": Choice("Data type", "Unchanged", choices=["Unchanged", *DATA_TYPES]),
        "categorical": Choice("Categorical", "Unchanged",
                              choices=["Unchanged", "Make categorical", "Make non-categorical"]),
        "fields": Choice("Fields", "Unchanged",
                         choices=["Unchanged", "Features", "Label", "Weight", *CLEARED]),
        "new_column_names": Text("New column names", "", help="Comma-separated, one per selected column."),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        columns = selected(table, params["columns"])
        if not columns:
            raise ModuleError("No columns are selected: choose the columns to edit", parameter="columns")
        frame = table.frame.copy()
        for column in columns:
            frame[column] = self.retyped(frame[column], column, params)
        roles = new_roles(table.roles, columns, params["fields"])
        renames = new_names(columns, params["new_column_names"])
        frame = frame.rename(columns=renames)
        try:
            return {"results_dataset": DataTable(frame, {renames.get(name, name): role
                                                         for name, role in roles.items()})}
        except ValueError as error:
            raise ModuleError(str(error), parameter="new_column_names") from None

    @staticmethod
    def retyped(series: pd.Series, column: str, params: Mapping[str, Any]) -> pd.Series:
        data_type = params["data_type"]
        if data_type != "Unchanged":
            try:
                series = CONVERTERS[data_type](uncategorized(series))
            except BadValue as bad:
                raise ModuleError(f"Column '{column}' can't be converted to {data_type}: {bad.value!r} is not "
                                  f"a valid {data_type} value", parameter="data_type", column=column) from None
        if params["categorical"] == "Make categorical":
            series = series.astype("category")
        elif params["categorical"] == "Make non-categorical":
            series = uncategorized(series)
        return series

    @staticmethod
    def new_kind(column: Column, params: Mapping[str, Any]) -> Kind | None:
        """The column's kind after editing, or None when only its values can tell."""
        if params["categorical"] == "Make categorical":
            return Kind.CATEGORICAL
        if params["data_type"] != "Unchanged":
            return infer_kind(pd.Series([], dtype=TYPE_DTYPES[params["data_type"]]))
        if params["categorical"] == "Make non-categorical" and column.kind == Kind.CATEGORICAL:
            return None
        return column.kind

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        schema = inputs.get("dataset")
        columns = resolve_columns(params["columns"], schema) if schema is not None else []
        kinds = {column.name: self.new_kind(column, params) for column in schema or [] if column.name in columns}
        if schema is None or not columns or None in kinds.values():
            return {"results_dataset": None}
        roles = new_roles({column.name: column.role for column in schema}, columns, params["fields"])
        renames = new_names(columns, params["new_column_names"])
        return {"results_dataset": [Column(renames.get(column.name, column.name),
                                           kinds.get(column.name) or column.kind,
                                           roles.get(column.name, Role.FEATURE)) for column in schema]}


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
    optional = set(state.get("optional", []))
    require_columns(table, [column for column in state["columns"] if column not in optional], "Clean Missing Data")
    present = [column for column in state["columns"] if column in table.frame.columns]
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
    if state["drop_rows"] and present:
        frame = frame.dropna(subset=present).reset_index(drop=True)
    frame = frame.drop(columns=[column for column in state["drop_columns"] if column in frame.columns])
    return table.with_frame(frame)


@registry.register
class CleanMissingData(Module):
    name = "Clean Missing Data"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Removes, replaces or infers missing values, and outputs the cleaning to apply to new data."
    version = 2
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("cleaned_dataset", PortType.DATA_TABLE),
               OutputPort("cleaning_transformation", PortType.TRANSFORM)]
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
                "optional": [column for column in columns if table.role(column) == Role.LABEL]}

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
    require_columns(table, state["columns"], "Normalize Data")
    frame = table.frame.copy()
    for column, stats in state["columns"].items():
        if table.kind(column) != Kind.NUMERIC and frame[column].notna().any():
            raise ModuleError(f"Column '{column}' is not numeric here, but Normalize Data learned it as numbers",
                              column=column)
        frame[column] = normalized(frame[column], state["method"], stats, state["zero_for_constant"])
    return table.with_frame(frame)


@registry.register
class NormalizeData(Module):
    name = "Normalize Data"
    category = CATEGORY
    subcategory = "Scale and Reduce"
    description = "Rescales numeric columns (ZScore, MinMax, Logistic, LogNormal, TanH) and outputs the scaling."
    version = 2
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("transformed_dataset", PortType.DATA_TABLE),
               OutputPort("transformation_function", PortType.TRANSFORM)]
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


# --- Split Data -----------------------------------------------------------------------------------

REGULAR = re.compile(r'^\s*\\?"(?P<column>[^"]+)"\s*(?P<pattern>.*?)\s*$', re.DOTALL)
COMPARISON = re.compile(r'^\s*\\?"(?P<column>[^"]+)"\s*(?P<op>>=|<=|==|!=|>|<)\s*(?P<value>.+?)\s*$')
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {">": operator.gt, "<": operator.lt, ">=": operator.ge,
                                                   "<=": operator.le, "==": operator.eq, "!=": operator.ne}


def seeded_order(rows: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).permutation(rows)


def stratified_first(order: np.ndarray, keys: pd.Series, fraction: float) -> np.ndarray:
    """Over `order`: True for the first round(fraction * class size) rows of each class (missing is a class)."""
    codes, _ = pd.factorize(keys.iloc[order], use_na_sentinel=False)
    ranks = pd.Series(codes).groupby(codes).cumcount().to_numpy()
    quotas = np.round(fraction * np.bincount(codes, minlength=1))  # halves to even, like Python's round
    return np.asarray(ranks < quotas[codes], dtype=bool)


def split_rows(table: DataTable, fraction: float, randomized: bool, seed: int,
               key: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of the two parts. Randomized parts keep the seeded shuffle's order, as the classic did."""
    rows = len(table.frame)
    order = seeded_order(rows, seed) if randomized else np.arange(rows)
    if key is None:
        cut = round(fraction * rows)
        return order[:cut], order[cut:]
    first = stratified_first(order, table.frame[key], fraction)
    return order[first], order[~first]


def column_of(table: DataTable, column: str, parameter: str) -> pd.Series:
    if column not in table.frame.columns:
        raise ModuleError(f"Column '{column}' not found in the input", parameter=parameter, column=column)
    return table.frame[column]


def regular_expression_mask(table: DataTable, expression: str) -> pd.Series:
    r"""\"column" pattern: rows whose value contains a match of the pattern go to the first output."""
    match = REGULAR.match(expression)
    if match is None or not match["pattern"]:
        raise ModuleError('Write the regular expression as \\"column" pattern, e.g. \\"Text" ^a',
                          parameter="regular_expression")
    series = column_of(table, match["column"], "regular_expression")
    try:
        pattern = re.compile(match["pattern"])
    except re.error as error:
        raise ModuleError(f"The regular expression is not valid: {error}", parameter="regular_expression") from None
    text = series.astype("str")  # Python's re throughout, whatever storage the strings have
    return pd.Series([isinstance(value, str) and pattern.search(value) is not None for value in text],
                     index=series.index, dtype=bool)


def comparison_value(series: pd.Series, column: str, raw: str) -> Any:
    """The right-hand side in the column's terms: relative expressions compare numbers or dates."""
    kind, text = infer_kind(series), raw.strip().strip("'\"")
    if kind == Kind.NUMERIC and NUMBER.match(text):
        return float(text)
    if kind == Kind.DATETIME:
        try:
            return pd.Timestamp(text)
        except ValueError:
            pass
    needed = "a number" if kind == Kind.NUMERIC else "a date" if kind == Kind.DATETIME else None
    if needed is None:
        raise ModuleError(f"Column '{column}' holds {KIND_WORDS[kind]}; relative expressions compare numbers or "
                          "dates (use Regular Expression for text)", parameter="relative_expression", column=column)
    raise ModuleError(f"'{raw}' is not {needed}, which column '{column}' holds", parameter="relative_expression",
                      column=column)


def comparison_mask(table: DataTable, comparison: str) -> pd.Series:
    match = COMPARISON.match(comparison)
    if match is None:
        raise ModuleError(f"'{comparison.strip()}' is not a comparison like \\\"age\\\" > 40",
                          parameter="relative_expression")
    series = column_of(table, match["column"], "relative_expression")
    value = comparison_value(series, match["column"], match["value"])
    result = OPERATORS[match["op"]](series, value)
    return (series.notna() & result.fillna(False)).astype(bool)  # a missing value satisfies nothing


def relational_mask(table: DataTable, expression: str) -> pd.Series:
    r"""\"age" > 40 & \"age" <= 60 | \"age" == 18: & binds tighter than |; no parentheses, as in the classic."""
    if not expression.strip():
        raise ModuleError('Write a relational expression, e.g. \\"age" > 40', parameter="relative_expression")
    mask = pd.Series(False, index=table.frame.index)
    for alternative in expression.split("|"):
        both = pd.Series(True, index=table.frame.index)
        for comparison in alternative.split("&"):
            both &= comparison_mask(table, comparison)
        mask |= both
    return mask


def stratification_problem(cls: type[Module], params: Mapping[str, Any], node: str | None, flag: str) -> list[Problem]:
    if params[flag] and selection_is_empty(params["stratification_key_column"]):
        where = f" (node {node})" if node else ""
        return [Problem(node, f"Choose the stratification key column of {cls.name}{where}.",
                        parameter="stratification_key_column")]
    return []


@registry.register
class SplitData(Module):
    """Split Rows keeps the seeded shuffle's order in each output when randomized (as the classic did), and
    the original order otherwise; the expression modes keep the original order."""

    name = "Split Data"
    category = CATEGORY
    subcategory = "Sample and Split"
    description = "Partitions the rows of a dataset into two distinct sets."
    version = 2
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("results1", PortType.DATA_TABLE), OutputPort("results2", PortType.DATA_TABLE)]
    params = {
        "splitting_mode": Choice("Splitting mode", "Split Rows",
                                 choices=["Split Rows", "Regular Expression", "Relative Expression"]),
        "fraction_of_rows_in_the_first_output_dataset": Float(
            "Fraction of rows in the first output dataset", 0.5, ge=0, le=1, when={"splitting_mode": ["Split Rows"]}),
        "randomized_split": Bool("Randomized split", True, when={"splitting_mode": ["Split Rows"]}),
        "random_seed": Int("Random seed", 0, minimum=0, when={"splitting_mode": ["Split Rows"]}),
        "stratified_split": Bool("Stratified split", False, when={"splitting_mode": ["Split Rows"]}),
        "stratification_key_column": Columns("Stratification key column", single=True,
                                             when={"stratified_split": [True]}),
        "regular_expression": Text("Regular expression", "", when={"splitting_mode": ["Regular Expression"]},
                                   help='\\"column" pattern: matching rows go to the first output.'),
        "relative_expression": Text("Relational expression", "", when={"splitting_mode": ["Relative Expression"]},
                                    help='e.g. \\"age" > 40 & \\"age" <= 60: matching rows go to the first output.'),
    }

    @classmethod
    def check_params(cls, params: Mapping[str, Any], node: str | None) -> list[Problem]:
        if params["splitting_mode"] != "Split Rows":
            return []
        return stratification_problem(cls, params, node, "stratified_split")

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        if params["splitting_mode"] == "Split Rows":
            key = one_column(table, params["stratification_key_column"], "stratification_key_column",
                             self.name) if params["stratified_split"] else None
            first, second = split_rows(table, params["fraction_of_rows_in_the_first_output_dataset"],
                                       params["randomized_split"], params["random_seed"], key)
            parts = (table.frame.iloc[first], table.frame.iloc[second])
        else:
            mask = regular_expression_mask(table, params["regular_expression"]) \
                if params["splitting_mode"] == "Regular Expression" \
                else relational_mask(table, params["relative_expression"])
            parts = (table.frame[mask.to_numpy()], table.frame[~mask.to_numpy()])
        return {"results1": table.with_frame(parts[0].reset_index(drop=True)),
                "results2": table.with_frame(parts[1].reset_index(drop=True))}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        return {"results1": inputs.get("dataset"), "results2": inputs.get("dataset")}


# --- Partition and Sample -------------------------------------------------------------------------

FOLD_COLUMN = "Fold Assignments"
SAMPLING_MODES = ["Assign to Folds", "Pick Fold", "Sampling", "Head"]


def fold_numbers(rows: int, folds: int, seed: int, keys: pd.Series | None) -> np.ndarray:
    """0-based folds dealt round-robin over a seeded shuffle (grouped by class when stratified)."""
    order = seeded_order(rows, seed)
    if keys is not None:
        codes, _ = pd.factorize(keys.iloc[order], use_na_sentinel=False)
        order = order[np.argsort(codes, kind="stable")]
    assignment = np.empty(rows, dtype="int64")
    assignment[order] = np.arange(rows) % folds
    return assignment


@registry.register
class PartitionAndSample(Module):
    """Assign to Folds adds a 0-based integer column "Fold Assignments" (what Cross Validate Model and Pick
    Fold read); Pick Fold takes the rows of one fold (numbered from 1, as in the classic) or the others,
    and drops that column so it is not mistaken for a feature. Sampling keeps the original row order."""

    name = "Partition and Sample"
    category = CATEGORY
    subcategory = "Sample and Split"
    description = "Samples rows, takes the first rows, or assigns rows to folds for cross-validation."
    version = 2
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("output_dataset", PortType.DATA_TABLE)]
    params = {
        "partition_or_sample_mode": Choice("Partition or sample mode", "Sampling", choices=SAMPLING_MODES),
        "rate_of_sampling": Float("Rate of sampling", 0.01, ge=0, le=1,
                                  when={"partition_or_sample_mode": ["Sampling"]}),
        "random_seed_for_sampling": Int("Random seed for sampling", 0, minimum=0,
                                        when={"partition_or_sample_mode": ["Sampling", "Assign to Folds"]}),
        "stratified_split_for_sampling": Bool("Stratified split for sampling", False,
                                              when={"partition_or_sample_mode": ["Sampling", "Assign to Folds"]}),
        "stratification_key_column": Columns("Stratification key column", single=True,
                                             when={"stratified_split_for_sampling": [True]}),
        "number_of_rows_to_select": Int("Number of rows to select", 10, minimum=0,
                                        when={"partition_or_sample_mode": ["Head"]}),
        "specify_number_of_folds_to_split_evenly_into": Int(
            "Specify number of folds to split evenly into", 5, minimum=2,
            when={"partition_or_sample_mode": ["Assign to Folds"]}),
        "specify_which_fold_to_be_sampled_from": Int("Specify which fold to be sampled from", 1, minimum=1,
                                                     when={"partition_or_sample_mode": ["Pick Fold"]}),
        "pick_complement_of_the_selected_fold": Bool("Pick complement of the selected fold", False,
                                                     when={"partition_or_sample_mode": ["Pick Fold"]}),
    }

    @classmethod
    def check_params(cls, params: Mapping[str, Any], node: str | None) -> list[Problem]:
        if params["partition_or_sample_mode"] not in ("Sampling", "Assign to Folds"):
            return []
        return stratification_problem(cls, params, node, "stratified_split_for_sampling")

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        mode = params["partition_or_sample_mode"]
        if mode == "Head":
            result = table.frame.head(params["number_of_rows_to_select"])
        elif mode == "Sampling":
            first, _ = split_rows(table, params["rate_of_sampling"], True, params["random_seed_for_sampling"],
                                  self.key(table, params))
            result = table.frame.iloc[np.sort(first)]
        elif mode == "Assign to Folds":
            folds = fold_numbers(len(table.frame), params["specify_number_of_folds_to_split_evenly_into"],
                                 params["random_seed_for_sampling"], self.keys(table, params))
            result = table.frame.assign(**{FOLD_COLUMN: folds})
        else:
            result = self.pick_fold(table, params)
        return {"output_dataset": table.with_frame(result.reset_index(drop=True))}

    def key(self, table: DataTable, params: Mapping[str, Any]) -> str | None:
        if not params["stratified_split_for_sampling"]:
            return None
        return one_column(table, params["stratification_key_column"], "stratification_key_column", self.name)

    def keys(self, table: DataTable, params: Mapping[str, Any]) -> pd.Series | None:
        key = self.key(table, params)
        return None if key is None else table.frame[key]

    @staticmethod
    def pick_fold(table: DataTable, params: Mapping[str, Any]) -> pd.DataFrame:
        if FOLD_COLUMN not in table.frame.columns:
            raise ModuleError(f"Pick Fold needs a '{FOLD_COLUMN}' column: put Partition and Sample in Assign to "
                              "Folds mode before it", parameter="partition_or_sample_mode")
        folds = table.frame[FOLD_COLUMN]
        fold = params["specify_which_fold_to_be_sampled_from"]
        count = int(folds.max()) + 1 if len(folds) else 0
        if fold > count:
            raise ModuleError(f"There is no fold {fold}: the input has {count} folds",
                              parameter="specify_which_fold_to_be_sampled_from")
        chosen = (folds == fold - 1).to_numpy()
        rows = table.frame[~chosen if params["pick_complement_of_the_selected_fold"] else chosen]
        return rows.drop(columns=[FOLD_COLUMN])

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        schema = inputs.get("dataset")
        mode = params["partition_or_sample_mode"]
        if schema is None or mode in ("Head", "Sampling"):
            return {"output_dataset": schema}
        others = [column for column in schema if column.name != FOLD_COLUMN]
        return {"output_dataset": [*others, Column(FOLD_COLUMN, Kind.NUMERIC)] if mode == "Assign to Folds"
                else others}


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
    require_columns(table, state["categories"], "Convert to Indicator Values")
    frame = table.frame
    for column, categories in state["categories"].items():
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
    name = "Convert to Indicator Values"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Turns each value of categorical columns into its own 0/1 indicator column."
    version = 2
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE),
               OutputPort("indicator_transformation", PortType.TRANSFORM)]
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
