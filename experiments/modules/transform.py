"""Data Transformation: select, describe, clean, scale, split and encode columns and rows.

Modules that learn statistics (Clean Missing Data, Normalize Data, Convert to Indicator Values) also
output a Transform, and register how it is applied, so scoring uses the numbers learned in training.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from .artifacts import Transform, transform_applier
from .base import Context, Module, ModuleError, Problem, SchemaContext, table_input
from .columns import ColumnsNotFound, resolve_columns
from .datatable import DataTable, Kind, Role, Schema
from .params import Bool, Choice, Columns, Float, Int, Text, all_of_type
from .ports import InputPort, OutputPort, PortType
from .registry import registry

CATEGORY = "Data Transformation"
ALL_COLUMNS = {"begin_with": "all", "rules": []}


def selected(table: DataTable, selection: Mapping[str, Any], parameter: str = "columns") -> list[str]:
    try:
        return resolve_columns(selection, table.schema, table.frame)
    except ColumnsNotFound as missing:
        raise ModuleError(str(missing), parameter=parameter, column=missing.missing[0]) from None


def plain(value: Any) -> Any:
    """A learned statistic as a JSON value (numpy scalars become Python numbers, NaN becomes None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def require_numeric(table: DataTable, columns: list[str], module: str, parameter: str = "columns") -> None:
    for column in columns:
        if table.kind(column) != Kind.NUMERIC:
            raise ModuleError(f"Column '{column}' is not numeric; {module} works on numbers", parameter=parameter,
                              column=column)


def one_column(table: DataTable, selection: Mapping[str, Any], parameter: str, module: str) -> str:
    columns = selected(table, selection, parameter)
    if len(columns) != 1:
        raise ModuleError(f"{module} needs exactly one column in '{parameter}'; got {len(columns)}",
                          parameter=parameter)
    return columns[0]


# --- Select Columns in Dataset, Edit Metadata -----------------------------------------------------


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
            raise ModuleError("No columns are selected", parameter="columns")
        return {"results_dataset": table.with_frame(table.frame[columns])}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        schema = inputs.get("dataset")
        if schema is None:
            return {}
        names = resolve_columns(params["columns"], schema)
        return {"results_dataset": [column for column in schema if column.name in names]}


DATA_TYPES = {"String": "string", "Integer": "Int64", "Floating point": "float64", "Boolean": "boolean",
              "DateTime": "datetime", "TimeSpan": "timedelta"}
FIELD_ROLES = {"Features": Role.FEATURE, "Label": Role.LABEL, "Weight": Role.WEIGHT}
CLEARED = {"Clear feature": Role.FEATURE, "Clear label": Role.LABEL, "Clear score": Role.SCORE,
           "Clear weight": Role.WEIGHT}


def convert_column(series: pd.Series, data_type: str) -> pd.Series:
    target = DATA_TYPES[data_type]
    if target == "datetime":
        return pd.to_datetime(series, errors="raise")
    if target == "timedelta":
        return pd.to_timedelta(series, errors="raise")
    if target == "Int64":
        numbers = pd.to_numeric(series, errors="raise")
        if ((numbers.dropna() % 1) != 0).any():
            raise ValueError(f"{numbers[(numbers % 1) != 0].iloc[0]!r} is not a whole number")
        return numbers.astype("Int64")
    if target == "float64":
        return pd.to_numeric(series, errors="raise").astype("float64")
    if target == "boolean":
        mapping = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
        as_text = series.map(lambda v: None if pd.isna(v) else str(v).strip().lower())
        unknown = as_text.dropna()[~as_text.dropna().isin(mapping)]
        if len(unknown):
            raise ValueError(f"{unknown.iloc[0]!r} is not a boolean")
        return as_text.map(mapping).astype("boolean")
    return series.map(lambda v: None if pd.isna(v) else str(v)).astype(object)


def first_bad_value(series: pd.Series, data_type: str) -> str:
    for value in series.dropna():
        try:
            convert_column(pd.Series([value]), data_type)
        except (ValueError, TypeError):
            return repr(value)
    return "a value"


@registry.register
class EditMetadata(Module):
    name = "Edit Metadata"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Changes the type, categorical flag, role (feature, label, weight) or names of columns."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]
    params = {
        "columns": Columns("Column"),
        "data_type": Choice("Data type", "Unchanged", choices=["Unchanged", *DATA_TYPES]),
        "categorical": Choice("Categorical", "Unchanged",
                              choices=["Unchanged", "Make categorical", "Make non-categorical"]),
        "fields": Choice("Fields", "Unchanged", choices=["Unchanged", *FIELD_ROLES, *CLEARED]),
        "new_column_names": Text("New column names", "", help="Comma-separated, one per selected column."),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        columns = selected(table, params["columns"])
        frame = table.frame.copy()
        for column in columns:
            frame[column] = self.retyped(frame[column], column, params)
        roles = self.new_roles(table, columns, params["fields"])
        names = [name.strip() for name in params["new_column_names"].split(",") if name.strip()]
        if names:
            if len(names) != len(columns):
                raise ModuleError(f"{len(names)} new names for {len(columns)} selected columns",
                                  parameter="new_column_names")
            renames = dict(zip(columns, names, strict=True))
            frame = frame.rename(columns=renames)
            roles = {renames.get(name, name): role for name, role in roles.items()}
        try:
            return {"results_dataset": DataTable(frame, roles)}
        except ValueError as error:
            raise ModuleError(str(error), parameter="new_column_names") from None

    @staticmethod
    def retyped(series: pd.Series, column: str, params: Mapping[str, Any]) -> pd.Series:
        if params["data_type"] != "Unchanged":
            try:
                series = convert_column(series, params["data_type"])
            except (ValueError, TypeError):
                bad = first_bad_value(series, params["data_type"])
                raise ModuleError(f"Column '{column}' can't be converted to {params['data_type']}: {bad}",
                                  parameter="data_type", column=column) from None
        if params["categorical"] == "Make categorical":
            series = series.astype("category")
        elif params["categorical"] == "Make non-categorical" and isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(series.cat.categories.dtype)
        return series

    @staticmethod
    def new_roles(table: DataTable, columns: list[str], fields: str) -> dict[str, Role]:
        roles = dict(table.roles)
        if fields in FIELD_ROLES:
            if FIELD_ROLES[fields] == Role.LABEL:
                roles = {name: role for name, role in roles.items() if role != Role.LABEL}
            roles.update(dict.fromkeys(columns, FIELD_ROLES[fields]))
        elif fields in CLEARED:
            for column in columns:
                if roles.get(column) == CLEARED[fields]:
                    roles.pop(column)
        return {name: role for name, role in roles.items() if role != Role.FEATURE}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        schema = inputs.get("dataset")
        if schema is None or params["data_type"] != "Unchanged" or params["categorical"] != "Unchanged" \
                or params["new_column_names"].strip() or params["fields"] != "Unchanged":
            return {}
        return {"results_dataset": schema}


# --- Clean Missing Data ---------------------------------------------------------------------------

CLEANING_MODES = ["Custom substitution value", "Replace with mean", "Replace with median", "Replace with mode",
                  "Remove entire row", "Remove entire column"]


@transform_applier("clean-missing-data")
def apply_cleaning(table: DataTable, state: dict[str, Any]) -> DataTable:
    frame = table.frame.copy()
    for column in state.get("indicators", []):
        if column in frame.columns:
            frame[f"{column}_isMissing"] = frame[column].isna()
    for column, value in state.get("replacements", {}).items():
        if column in frame.columns and value is not None:
            frame[column] = frame[column].fillna(pd.Series(value, index=frame.index, dtype=frame[column].dtype)
                                                 if pd.api.types.is_numeric_dtype(frame[column].dtype) else value)
    rows = [column for column in state.get("drop_rows_with_missing", []) if column in frame.columns]
    if rows:
        frame = frame.dropna(subset=rows).reset_index(drop=True)
    frame = frame.drop(columns=[c for c in state.get("drop_columns", []) if c in frame.columns])
    return table.with_frame(frame)


def custom_value(series: pd.Series, raw: str, column: str) -> Any:
    if pd.api.types.is_bool_dtype(series.dtype):
        return raw.strip().lower() in ("true", "1", "yes")
    if pd.api.types.is_numeric_dtype(series.dtype):
        try:
            number = float(raw)
        except ValueError:
            raise ModuleError(f"The replacement value '{raw}' is not a number, but column '{column}' is numeric",
                              parameter="replacement_value", column=column) from None
        return int(number) if pd.api.types.is_integer_dtype(series.dtype) and number.is_integer() else number
    return raw


def learned_value(series: pd.Series, mode: str, column: str, raw: str) -> Any:
    if mode == "Custom substitution value":
        return custom_value(series, raw, column)
    if mode == "Replace with mode":
        modes = series.mode(dropna=True)
        return plain(modes.iloc[0]) if len(modes) else None
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        raise ModuleError(f"Column '{column}' is not numeric, so it can't be replaced with its "
                          f"{'mean' if mode == 'Replace with mean' else 'median'}; choose Replace with mode",
                          parameter="cleaning_mode", column=column)
    value = series.mean() if mode == "Replace with mean" else series.median()
    if pd.api.types.is_integer_dtype(series.dtype) and not pd.isna(value):
        value = float(value)
    return plain(value)


@registry.register
class CleanMissingData(Module):
    name = "Clean Missing Data"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Removes, replaces or infers missing values, and outputs the cleaning to apply to new data."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("cleaned_dataset", PortType.DATA_TABLE),
               OutputPort("cleaning_transformation", PortType.TRANSFORM)]
    params = {
        "columns": Columns("Columns to be cleaned", dict(ALL_COLUMNS)),
        "minimum_missing_value_ratio": Float("Minimum missing value ratio", 0.0, ge=0, le=1),
        "maximum_missing_value_ratio": Float("Maximum missing value ratio", 1.0, ge=0, le=1),
        "cleaning_mode": Choice("Cleaning mode", "Custom substitution value", choices=CLEANING_MODES),
        "replacement_value": Text("Replacement value", "0", when={"cleaning_mode": ["Custom substitution value"]}),
        "generate_missing_value_indicator_column": Bool("Generate missing value indicator column", False),
    }

    @classmethod
    def check_params(cls, params: Mapping[str, Any], node: str | None) -> list[Problem]:
        if params["minimum_missing_value_ratio"] > params["maximum_missing_value_ratio"]:
            return [Problem(node, f"The minimum missing value ratio of {cls.name} (node {node}) is above the maximum.",
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
        ratio = table.frame[column].isna().mean() if len(table.frame) else 0.0
        return bool(params["minimum_missing_value_ratio"] <= ratio <= params["maximum_missing_value_ratio"])

    @staticmethod
    def learn(table: DataTable, columns: list[str], params: Mapping[str, Any]) -> dict[str, Any]:
        mode = params["cleaning_mode"]
        state: dict[str, Any] = {"mode": mode, "replacements": {}, "drop_columns": [], "drop_rows_with_missing": [],
                                 "indicators": columns if params["generate_missing_value_indicator_column"] else []}
        if mode == "Remove entire row":
            state["drop_rows_with_missing"] = columns
        elif mode == "Remove entire column":
            state["drop_columns"] = [column for column in columns if table.frame[column].isna().any()]
        else:
            state["replacements"] = {column: learned_value(table.frame[column], mode, column,
                                                           params["replacement_value"]) for column in columns}
        return state

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        schema = inputs.get("dataset")
        keeps_columns = params["cleaning_mode"] != "Remove entire column"
        if schema is None or not keeps_columns or params["generate_missing_value_indicator_column"]:
            return {}
        return {"cleaned_dataset": schema}


# --- Normalize Data -------------------------------------------------------------------------------

NORMALIZERS = ["ZScore", "MinMax", "Logistic", "LogNormal", "TanH"]


def normalize(values: pd.Series, method: str, stats: Mapping[str, Any]) -> pd.Series:
    x = values.astype("float64")
    if stats.get("constant"):
        return x.where(x.isna(), 0.0)
    if method == "ZScore":
        return (x - stats["mean"]) / stats["std"]
    if method == "MinMax":
        return (x - stats["min"]) / (stats["max"] - stats["min"])
    if method == "Logistic":
        return 1.0 / (1.0 + np.exp(-x))
    if method == "TanH":
        return np.tanh(x)
    positive = x.where(x > 0)
    return pd.Series(norm.cdf((np.log(positive) - stats["mu"]) / stats["sigma"]), index=x.index).where(x > 0, 0.0)


def normalization_stats(values: pd.Series, method: str, zero_for_constant: bool) -> dict[str, Any]:
    x = values.astype("float64").dropna()
    if method == "LogNormal":
        logs = np.log(x[x > 0])
        stats = {"mu": plain(logs.mean()), "sigma": plain(logs.std(ddof=0))}
        spread = stats["sigma"]
    else:
        stats = {"mean": plain(x.mean()), "std": plain(x.std(ddof=0)), "min": plain(x.min()), "max": plain(x.max())}
        spread = stats["std"] if method == "ZScore" else (None if x.empty else stats["max"] - stats["min"])
    stats["constant"] = bool(zero_for_constant and method in ("ZScore", "MinMax", "LogNormal") and not spread)
    return stats


@transform_applier("normalize-data")
def apply_normalization(table: DataTable, state: dict[str, Any]) -> DataTable:
    missing = [column for column in state["columns"] if column not in table.frame.columns]
    if missing:
        raise ModuleError(f"Column '{missing[0]}' that Normalize Data learned is not in the dataset",
                          column=missing[0])
    frame = table.frame.copy()
    for column, stats in state["columns"].items():
        frame[column] = normalize(frame[column], state["method"], stats)
    return table.with_frame(frame)


@registry.register
class NormalizeData(Module):
    name = "Normalize Data"
    category = CATEGORY
    subcategory = "Scale and Reduce"
    description = "Rescales numeric columns (ZScore, MinMax, Logistic, LogNormal, TanH) and outputs the scaling."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("transformed_dataset", PortType.DATA_TABLE),
               OutputPort("transformation_function", PortType.TRANSFORM)]
    params = {
        "transformation_method": Choice("Transformation method", "ZScore", choices=NORMALIZERS),
        "use_0_for_constant_columns_when_checked": Bool("Use 0 for constant columns when checked", True),
        "columns": Columns("Columns to transform", all_of_type("Numeric")),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        columns = [c for c in selected(table, params["columns"]) if table.role(c) != Role.LABEL]
        require_numeric(table, columns, self.name)
        method = params["transformation_method"]
        state = {"method": method, "columns": {
            column: normalization_stats(table.frame[column], method, params["use_0_for_constant_columns_when_checked"])
            for column in columns}}
        transform = Transform("normalize-data", state, name=f"Normalize Data ({method})")
        return {"transformed_dataset": apply_normalization(table, state), "transformation_function": transform}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        return {"transformed_dataset": inputs.get("dataset")}


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
        return {"transformed_dataset": transform.apply(table_input(inputs, "dataset"))}


# --- Split Data -----------------------------------------------------------------------------------

EXPRESSION = re.compile(r'^\s*\\"(?P<column>[^"]+)"\s*(?P<rest>.*)$', re.DOTALL)
COMPARISON = re.compile(r'^\s*\\"(?P<column>[^"]+)"\s*(?P<op>>=|<=|==|!=|>|<)\s*(?P<value>.+?)\s*$')


def seeded_order(rows: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).permutation(rows)


def split_rows(table: DataTable, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    n = len(table.frame)
    fraction, seed = params["fraction_of_rows_in_the_first_output_dataset"], params["random_seed"]
    if not params["stratified_split"]:
        order = seeded_order(n, seed) if params["randomized_split"] else np.arange(n)
        cut = round(fraction * n)
        return order[:cut], order[cut:]
    key = one_column(table, params["stratification_key_column"], "stratification_key_column", "Split Data")
    first: list[int] = []
    second: list[int] = []
    for offset, (_, rows) in enumerate(table.frame.groupby(key, dropna=False, sort=True).indices.items()):
        rows = np.asarray(rows)
        if params["randomized_split"]:
            rows = rows[seeded_order(len(rows), seed + offset)]
        cut = round(fraction * len(rows))
        first.extend(rows[:cut])
        second.extend(rows[cut:])
    return np.sort(np.array(first, dtype=int)), np.sort(np.array(second, dtype=int))


def expression_mask(table: DataTable, expression: str, relative: bool) -> pd.Series:
    if not relative:
        match = EXPRESSION.match(expression)
        if match is None:
            raise ModuleError('Write the expression as \\"column" pattern, e.g. \\"Text" ^a',
                              parameter="regular_expression")
        column = match["column"]
        series = column_of(table, column, "regular_expression")
        try:
            return series.astype(str).str.contains(match["rest"].strip(), regex=True, na=False)
        except re.error as error:
            raise ModuleError(f"The regular expression is not valid: {error}", parameter="regular_expression") from None
    return relational_mask(table, expression)


def column_of(table: DataTable, column: str, parameter: str) -> pd.Series:
    if column not in table.frame.columns:
        raise ModuleError(f"Column '{column}' not found in the input", parameter=parameter, column=column)
    return table.frame[column]


def relational_mask(table: DataTable, expression: str) -> pd.Series:
    """\\"age" > 40 & \\"age" < 60 | ...: comparisons joined by & and | (evaluated left to right)."""
    parts = re.split(r"\s*([&|])\s*", expression.strip())
    mask: pd.Series | None = None
    for index in range(0, len(parts), 2):
        match = COMPARISON.match(parts[index])
        if match is None:
            raise ModuleError(f"'{parts[index]}' is not a comparison like \\\"age\\\" > 40",
                              parameter="relative_expression")
        series = column_of(table, match["column"], "relative_expression")
        raw = match["value"].strip().strip("'\"")
        value: Any = float(raw) if re.fullmatch(r"-?\d+(\.\d+)?", raw) else raw
        current = {">": series > value, "<": series < value, ">=": series >= value, "<=": series <= value,
                   "==": series == value, "!=": series != value}[match["op"]].fillna(False).astype(bool)
        mask = current if mask is None else (mask & current if parts[index - 1] == "&" else mask | current)
    assert mask is not None
    return mask


@registry.register
class SplitData(Module):
    name = "Split Data"
    category = CATEGORY
    subcategory = "Sample and Split"
    description = "Partitions the rows of a dataset into two distinct sets."
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
        "regular_expression": Text("Regular expression", "", when={"splitting_mode": ["Regular Expression"]}),
        "relative_expression": Text("Relational expression", "", when={"splitting_mode": ["Relative Expression"]}),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        if params["splitting_mode"] == "Split Rows":
            first, second = split_rows(table, params)
            parts = (table.frame.iloc[first], table.frame.iloc[second])
        else:
            relative = params["splitting_mode"] == "Relative Expression"
            mask = expression_mask(table, params["relative_expression" if relative else "regular_expression"],
                                   relative)
            parts = (table.frame[mask], table.frame[~mask])
        return {"results1": table.with_frame(parts[0].reset_index(drop=True)),
                "results2": table.with_frame(parts[1].reset_index(drop=True))}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        return {"results1": inputs.get("dataset"), "results2": inputs.get("dataset")}


# --- Partition and Sample -------------------------------------------------------------------------

FOLD_COLUMN = "Fold Assignments"


@registry.register
class PartitionAndSample(Module):
    name = "Partition and Sample"
    category = CATEGORY
    subcategory = "Sample and Split"
    description = "Samples rows, takes the first rows, or assigns rows to folds for cross-validation."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("output_dataset", PortType.DATA_TABLE)]
    params = {
        "partition_or_sample_mode": Choice("Partition or sample mode", "Sampling",
                                           choices=["Assign to Folds", "Pick Fold", "Sampling", "Head"]),
        "rate_of_sampling": Float("Rate of sampling", 0.01, ge=0, le=1,
                                  when={"partition_or_sample_mode": ["Sampling"]}),
        "random_seed_for_sampling": Int("Random seed for sampling", 0, minimum=0),
        "stratified_split_for_sampling": Bool("Stratified split for sampling", False),
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

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        mode = params["partition_or_sample_mode"]
        frame = table.frame
        if mode == "Head":
            result = frame.head(params["number_of_rows_to_select"])
        elif mode == "Sampling":
            result = frame.iloc[np.sort(self.sample(table, params))]
        elif mode == "Assign to Folds":
            result = frame.assign(**{FOLD_COLUMN: self.folds(table, params)})
        else:
            result = self.pick_fold(table, params)
        return {"output_dataset": table.with_frame(result.reset_index(drop=True))}

    @staticmethod
    def sample(table: DataTable, params: Mapping[str, Any]) -> np.ndarray:
        split = {"fraction_of_rows_in_the_first_output_dataset": params["rate_of_sampling"],
                 "random_seed": params["random_seed_for_sampling"], "randomized_split": True,
                 "stratified_split": params["stratified_split_for_sampling"],
                 "stratification_key_column": params["stratification_key_column"]}
        return split_rows(table, split)[0]

    @staticmethod
    def folds(table: DataTable, params: Mapping[str, Any]) -> np.ndarray:
        count = params["specify_number_of_folds_to_split_evenly_into"]
        order = seeded_order(len(table.frame), params["random_seed_for_sampling"])
        assignment = np.empty(len(order), dtype=int)
        assignment[order] = np.arange(len(order)) % count
        return assignment

    @staticmethod
    def pick_fold(table: DataTable, params: Mapping[str, Any]) -> pd.DataFrame:
        if FOLD_COLUMN not in table.frame.columns:
            raise ModuleError(f"Pick Fold needs a '{FOLD_COLUMN}' column: put Partition and Sample in Assign to "
                              "Folds mode before it", parameter="partition_or_sample_mode")
        chosen = table.frame[FOLD_COLUMN] == params["specify_which_fold_to_be_sampled_from"] - 1
        return table.frame[~chosen if params["pick_complement_of_the_selected_fold"] else chosen]


# --- Convert to Indicator Values ------------------------------------------------------------------


@transform_applier("convert-to-indicator-values")
def apply_indicators(table: DataTable, state: dict[str, Any]) -> DataTable:
    frame = table.frame.copy()
    for column, categories in state["categories"].items():
        if column not in frame.columns:
            raise ModuleError(f"Column '{column}' that Convert to Indicator Values learned is not in the dataset",
                              column=column)
        values = frame[column].astype(object).map(lambda v: None if pd.isna(v) else str(v))
        indicators = pd.DataFrame({f"{column}-{category}": (values == category).astype("int64")
                                   for category in categories}, index=frame.index)
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
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE),
               OutputPort("indicator_transformation", PortType.TRANSFORM)]
    params = {
        "categorical_columns_to_convert": Columns("Categorical columns to convert", all_of_type("Categorical",
                                                                                               "String")),
        "overwrite_categorical_columns": Bool("Overwrite categorical columns", False),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        columns = [c for c in selected(table, params["categorical_columns_to_convert"],
                                       "categorical_columns_to_convert") if table.role(c) != Role.LABEL]
        for column in columns:
            if table.kind(column) == Kind.NUMERIC:
                raise ModuleError(f"Column '{column}' is numeric; make it categorical with Edit Metadata first",
                                  parameter="categorical_columns_to_convert", column=column)
        state = {"overwrite": params["overwrite_categorical_columns"], "categories": {
            column: sorted(str(v) for v in table.frame[column].dropna().unique()) for column in columns}}
        transform = Transform("convert-to-indicator-values", state, name="Convert to Indicator Values")
        return {"results_dataset": apply_indicators(table, state), "indicator_transformation": transform}

