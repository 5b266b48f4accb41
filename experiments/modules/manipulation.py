"""Data Transformation, continued: join and stack tables, deduplicate, bin, clip, compute, query, summarize.

Naming rules shared by these modules: a column that would repeat a name already in the table gets the
suffix " (2)", " (3)"...; appended result columns are named as the classic studio named them
(`<column>_quantized`, `<Function>(<column>)`, `<Function>(<column>_<argument>)`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .framework.artifacts import OPTIONAL, Transform, label_columns, transform_applier
from .framework.base import Context, Module, ModuleError, Problem, SchemaContext, table_input
from .framework.columns import ColumnsNotFound, resolve_columns
from .framework.datatable import Column, DataTable, Kind, Role, Schema
from .framework.params import Bool, Choice, Columns, Float, Int, Text, all_of_type
from .framework.ports import InputPort, OutputPort, PortType
from .framework.registry import registry
from .transform import labels_among, require_columns, require_numeric, selected

CATEGORY = "Data Transformation"
OUTPUT_MODES = ["Append", "Inplace", "ResultOnly"]
MAX_BINS = 10_000  # bins per column (Group Data into Bins)


# --- Shared by the modules of this file -----------------------------------------------------------


def suffixed(name: str, taken: set[str]) -> str:
    """A column name not yet taken: `name`, else `name (2)`, `name (3)`..."""
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name} ({number})", number + 1
    return candidate


def renamed_right(left: Iterable[str], right: Iterable[str]) -> dict[str, str]:
    """New names for the right table's columns: one the left already has gets a suffix no other column has."""
    left, right = list(left), list(right)
    taken = set(left) | set(right)
    names = {}
    for column in right:
        names[column] = suffixed(column, taken) if column in left else column
        taken.add(names[column])
    return names


def merged_roles(left: Mapping[str, Role], right: Mapping[str, Role], names: Mapping[str, str]) -> dict[str, Role]:
    """Roles of a table made of two: the right side's label is demoted when the left has one (one label a table)."""
    roles = dict(left)
    has_label = Role.LABEL in roles.values()
    for column, role in right.items():
        if column in names and not (role == Role.LABEL and has_label):
            roles[names[column]] = role
    return roles


def schema_columns(selection: Mapping[str, Any], schema: Schema | None) -> list[str] | None:
    """The selected names at edit time, or None when the input or a name is unknown (validation reports that)."""
    if schema is None:
        return None
    try:
        return resolve_columns(selection, schema)
    except ColumnsNotFound:
        return None


def placed(frame: pd.DataFrame, results: Mapping[str, pd.Series], names: Mapping[str, str], mode: str) -> pd.DataFrame:
    """Computed columns appended under new names, written over their sources, or alone (the classic output modes)."""
    if mode == "Inplace":
        return frame.assign(**{column: values for column, values in results.items()})
    renamed = {names[column]: values for column, values in results.items()}
    if mode == "ResultOnly":
        return pd.DataFrame(renamed, index=frame.index)
    return frame.assign(**renamed)


def placed_schema(schema: Schema, kinds: Mapping[str, Kind], names: Mapping[str, str], mode: str) -> Schema:
    """What `placed` returns, from the schema alone."""
    if mode == "Inplace":
        return [Column(c.name, kinds.get(c.name, c.kind), c.role) for c in schema]
    added = {names[column]: kind for column, kind in kinds.items()}
    if mode == "ResultOnly":
        return [Column(name, kind) for name, kind in added.items()]
    return with_columns(schema, added)


def with_columns(schema: Schema, added: Mapping[str, Kind]) -> Schema:
    """The schema after assigning columns: an existing name keeps its place and role, a new one goes last."""
    columns = {c.name: c for c in schema}
    for name, kind in added.items():
        columns[name] = Column(name, kind, columns[name].role if name in columns else Role.FEATURE)
    return list(columns.values())


# --- Join Data ------------------------------------------------------------------------------------

KEY_FAMILIES = {Kind.NUMERIC: "numbers", Kind.BOOLEAN: "numbers", Kind.STRING: "text", Kind.CATEGORICAL: "text",
                Kind.DATETIME: "dates"}


def key_values(table: DataTable, column: str, match_case: bool) -> pd.Series:
    """A key column as comparable values: numbers as floats (1 matches 1.0), text lower-cased unless matching case."""
    series = table.frame[column].reset_index(drop=True)
    family = KEY_FAMILIES[table.kind(column)]
    if family == "numbers":
        return series.astype("float64")
    if family == "text":
        text = series.astype(str)
        return text if match_case else text.str.lower()
    return series


def key_frames(left: DataTable, right: DataTable, left_keys: list[str], right_keys: list[str],
               match_case: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    lhs, rhs = {}, {}
    for index, (lkey, rkey) in enumerate(zip(left_keys, right_keys, strict=True)):
        lfamily, rfamily = KEY_FAMILIES[left.kind(lkey)], KEY_FAMILIES[right.kind(rkey)]
        if lfamily != rfamily:
            raise ModuleError(f"Join key columns '{lkey}' ({lfamily}) and '{rkey}' ({rfamily}) hold different kinds "
                              f"of values; convert one with Edit Metadata", parameter="join_key_columns_for_r",
                              column=rkey)
        lhs[f"k{index}"], rhs[f"k{index}"] = key_values(left, lkey, match_case), key_values(right, rkey, match_case)
    return pd.DataFrame(lhs), pd.DataFrame(rhs)


def matched_pairs(lhs: pd.DataFrame, rhs: pd.DataFrame) -> pd.DataFrame:
    """(left row, right row) positions of every pair with equal keys; a missing key matches nothing, as in SQL."""
    keys = list(lhs.columns)
    left = lhs.assign(left=np.arange(len(lhs))).dropna(subset=keys)
    right = rhs.assign(right=np.arange(len(rhs))).dropna(subset=keys)
    pairs = left.merge(right, on=keys, how="inner", sort=False)[["left", "right"]]
    return pairs.sort_values(["left", "right"], kind="stable").reset_index(drop=True)


def joined_positions(pairs: pd.DataFrame, rows: tuple[int, int], join_type: str) -> pd.DataFrame:
    """Row positions of the joined table; -1 stands for the missing side of an outer join."""
    if join_type == "Inner Join":
        return pairs
    unmatched_left = np.setdiff1d(np.arange(rows[0]), pairs["left"])
    result = pd.concat([pairs, pd.DataFrame({"left": unmatched_left, "right": -1})], ignore_index=True)
    result = result.sort_values("left", kind="stable")
    if join_type == "Full Outer Join":
        unmatched_right = np.setdiff1d(np.arange(rows[1]), pairs["right"])
        result = pd.concat([result, pd.DataFrame({"left": -1, "right": unmatched_right})], ignore_index=True)
    return result.reset_index(drop=True)


def rows_at(frame: pd.DataFrame, positions: pd.Series) -> pd.DataFrame:
    """Rows by position, -1 giving a row of missing values (true/false columns stay true/false)."""
    taken = frame.reset_index(drop=True).reindex(positions.to_numpy()).reset_index(drop=True)
    flags = [c for c in frame.columns if pd.api.types.is_bool_dtype(frame[c].dtype) and taken[c].dtype == object]
    return taken.astype({column: "boolean" for column in flags})


@registry.register
class JoinData(Module):
    id = "join-data"
    name = "Join Data"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Joins two datasets on key columns: inner, left outer, full outer or left semi-join."
    inputs = [InputPort("dataset1", PortType.DATA_TABLE), InputPort("dataset2", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]
    caption = ("{join_type}", "keys {join_key_columns_for_l} = {join_key_columns_for_r}")
    params = {
        "join_key_columns_for_l": Columns("Join key columns for L"),
        "join_key_columns_for_r": Columns("Join key columns for R", input="dataset2"),
        "match_case": Bool("Match case", True),
        "join_type": Choice("Join type", "Inner Join",
                            choices=["Inner Join", "Left Outer Join", "Full Outer Join", "Left Semi-Join"]),
        "keep_right_key_columns_in_joined_table": Bool("Keep right key columns in joined table", True),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        left, right = table_input(inputs, "dataset1"), table_input(inputs, "dataset2")
        left_keys = selected(left, params["join_key_columns_for_l"], "join_key_columns_for_l")
        right_keys = selected(right, params["join_key_columns_for_r"], "join_key_columns_for_r")
        self.check_keys(left_keys, right_keys)
        pairs = matched_pairs(*key_frames(left, right, left_keys, right_keys, params["match_case"]))
        if params["join_type"] == "Left Semi-Join":
            kept = left.frame.iloc[np.unique(pairs["left"].to_numpy())].reset_index(drop=True)
            return {"results_dataset": left.with_frame(kept)}
        positions = joined_positions(pairs, (len(left.frame), len(right.frame)), params["join_type"])
        right_columns = self.right_columns(right.columns, right_keys, params)
        names = renamed_right(left.columns, right_columns)
        joined = pd.concat([rows_at(left.frame, positions["left"]),
                            rows_at(right.frame[right_columns], positions["right"]).rename(columns=names)], axis=1)
        return {"results_dataset": DataTable(joined, merged_roles(left.roles, right.roles, names))}

    @staticmethod
    def check_keys(left_keys: list[str], right_keys: list[str]) -> None:
        if not left_keys:
            raise ModuleError("Choose the join key columns of the left dataset", parameter="join_key_columns_for_l")
        if len(left_keys) != len(right_keys):
            raise ModuleError(f"Join Data needs as many key columns for R as for L; got {len(left_keys)} for L and "
                              f"{len(right_keys)} for R", parameter="join_key_columns_for_r")

    @staticmethod
    def right_columns(columns: list[str], keys: list[str], params: Mapping[str, Any]) -> list[str]:
        keep_keys = params["keep_right_key_columns_in_joined_table"]
        return [column for column in columns if keep_keys or column not in keys]

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        left, right = inputs.get("dataset1"), inputs.get("dataset2")
        if left is None or params["join_type"] == "Left Semi-Join":
            return {"results_dataset": left}
        keys = schema_columns(params["join_key_columns_for_r"], right)
        if right is None or keys is None:
            return {"results_dataset": None}
        kept = self.right_columns([c.name for c in right], keys, params)
        names = renamed_right([c.name for c in left], kept)
        has_label = any(c.role == Role.LABEL for c in left)
        added = [Column(names[c.name], c.kind, Role.FEATURE if c.role == Role.LABEL and has_label else c.role)
                 for c in right if c.name in names]
        return {"results_dataset": list(left) + added}


# --- Add Rows, Add Columns, Remove Duplicate Rows ---------------------------------------------------


def stackable(first: DataTable, second: DataTable) -> dict[str, str]:
    """Columns that must become text to stack (category + text); raises for columns whose kinds can't mix."""
    as_text = {}
    for column in first.columns:
        kinds = {first.kind(column), second.kind(column)}
        if len(kinds) == 1 or first.frame[column].isna().all() or second.frame[column].isna().all():
            continue
        if kinds <= {Kind.STRING, Kind.CATEGORICAL}:
            as_text[column] = "str"
            continue
        raise ModuleError(f"Column '{column}' holds {first.kind(column)} values in the first dataset but "
                          f"{second.kind(column)} values in the second", column=column)
    return as_text


@registry.register
class AddRows(Module):
    id = "add-rows"
    name = "Add Rows"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Appends a set of rows from an input dataset to the end of another dataset."
    inputs = [InputPort("dataset1", PortType.DATA_TABLE), InputPort("dataset2", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        first, second = table_input(inputs, "dataset1"), table_input(inputs, "dataset2")
        if set(first.columns) != set(second.columns):
            only_first = ", ".join(f"'{c}'" for c in first.columns if c not in second.columns) or "none"
            only_second = ", ".join(f"'{c}'" for c in second.columns if c not in first.columns) or "none"
            raise ModuleError(f"Add Rows needs datasets with the same column names; only in the first: {only_first}; "
                              f"only in the second: {only_second}")
        as_text = stackable(first, second)
        stacked = pd.concat([first.frame.astype(as_text), second.frame[first.columns].astype(as_text)],
                            ignore_index=True)
        return {"results_dataset": first.with_frame(stacked)}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        return {"results_dataset": inputs.get("dataset1")}


@registry.register
class AddColumns(Module):
    id = "add-columns"
    name = "Add Columns"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Adds a set of columns from one dataset to another."
    inputs = [InputPort("left_dataset", PortType.DATA_TABLE), InputPort("right_dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("combined_dataset", PortType.DATA_TABLE)]

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        left, right = table_input(inputs, "left_dataset"), table_input(inputs, "right_dataset")
        if len(left.frame) != len(right.frame):
            raise ModuleError(f"Add Columns needs datasets with the same number of rows; the left has "
                              f"{len(left.frame)} and the right {len(right.frame)}")
        names = renamed_right(left.columns, right.columns)
        combined = pd.concat([left.frame.reset_index(drop=True),
                              right.frame.rename(columns=names).reset_index(drop=True)], axis=1)
        return {"combined_dataset": DataTable(combined, merged_roles(left.roles, right.roles, names))}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        left, right = inputs.get("left_dataset"), inputs.get("right_dataset")
        if left is None or right is None:
            return {"combined_dataset": None}
        names = renamed_right([c.name for c in left], [c.name for c in right])
        return {"combined_dataset": list(left) + [Column(names[c.name], c.kind) for c in right]}


@registry.register
class RemoveDuplicateRows(Module):
    id = "remove-duplicate-rows"
    name = "Remove Duplicate Rows"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Removes the duplicate rows from a dataset: rows with the same values in the key columns."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]
    caption = ("keys: {key_column_selection_filter_expression}",)
    params = {"key_column_selection_filter_expression": Columns("Key column selection filter expression",
                                                                {"begin_with": "all", "rules": []}),
              "retain_first_duplicate_row": Bool("Retain first duplicate row", True)}

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        keys = selected(table, params["key_column_selection_filter_expression"],
                        "key_column_selection_filter_expression")
        if not keys:
            raise ModuleError("Choose the key columns that identify duplicates",
                              parameter="key_column_selection_filter_expression")
        keep = "first" if params["retain_first_duplicate_row"] else "last"
        unique = table.frame.drop_duplicates(keys, keep=keep).reset_index(drop=True)
        return {"results_dataset": table.with_frame(unique)}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        return {"results_dataset": inputs.get("dataset")}


# --- Group Data into Bins -------------------------------------------------------------------------


def bin_numbers(values: pd.Series, inner_edges: list[float], categorical: bool) -> pd.Series:
    """Bin 1..k of each value, bins closed on the right (a, b]; missing values stay missing."""
    x = values.astype("float64")
    numbers = np.searchsorted(np.asarray(inner_edges, dtype=float), x.to_numpy(), side="left") + 1
    binned = pd.Series(pd.array(numbers, dtype="Int64"), index=values.index).mask(x.isna())
    return binned.astype("category") if categorical else binned


@transform_applier("group-data-into-bins")
def apply_bins(table: DataTable, state: dict[str, Any]) -> DataTable:
    present = require_columns(table, state["edges"], "Group Data into Bins", label_columns(state))
    require_numeric(table, present, "Group Data into Bins")
    binned = {column: bin_numbers(table.frame[column], state["edges"][column], state["categorical"])
              for column in present}
    names = {column: f"{column}_quantized" for column in binned}
    return table.with_frame(placed(table.frame, binned, names, state["output_mode"]))


def custom_edges(text: str) -> list[float]:
    try:
        edges = sorted({float(edge) for edge in text.split(",") if edge.strip()})
    except ValueError:
        raise ModuleError(f"Bin edges must be numbers separated by commas; got {text!r}",
                          parameter="comma_separated_list_of_bin_edges") from None
    if not edges or not all(np.isfinite(edges)):
        raise ModuleError("Enter at least one finite bin edge, e.g. 0, 10, 100",
                          parameter="comma_separated_list_of_bin_edges")
    return edges


def learned_edges(values: pd.Series, mode: str, count: int) -> list[float]:
    """Inner bin edges (the outer bins are open-ended), learned from the training data."""
    x = values.astype("float64").dropna()
    if x.empty or count == 1:
        return []
    if mode == "Quantiles":
        inner = np.quantile(x, np.linspace(0, 1, count + 1)[1:-1])
    else:
        inner = np.linspace(x.min(), x.max(), count + 1)[1:-1]
    return [float(edge) for edge in np.unique(inner)]


@registry.register
class GroupDataIntoBins(Module):
    id = "group-data-into-bins"
    name = "Group Data into Bins"
    category = CATEGORY
    subcategory = "Scale and Reduce"
    description = "Puts numerical data into bins: quantiles, equal-width bins or bins with custom edges."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("quantized_dataset", PortType.DATA_TABLE),
               OutputPort("binning_transformation", PortType.TRANSFORM)]
    caption = ("{binning_mode}", "{number_of_bins} bins", "columns: {columns_to_bin}")
    params = {
        "binning_mode": Choice("Binning mode", "Quantiles", choices=["Quantiles", "Equal Width", "Custom Edges"]),
        "number_of_bins": Int("Number of bins", 10, minimum=1, maximum=MAX_BINS,
                              when={"binning_mode": ["Quantiles", "Equal Width"]}),
        "comma_separated_list_of_bin_edges": Text("Comma-separated list of bin edges", "",
                                                  when={"binning_mode": ["Custom Edges"]}),
        "columns_to_bin": Columns("Columns to bin", all_of_type("Numeric")),
        "output_mode": Choice("Output mode", "Append", choices=OUTPUT_MODES),
        "tag_columns_as_categorical": Bool("Tag columns as categorical", True),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        columns = selected(table, params["columns_to_bin"], "columns_to_bin")
        if not columns:
            raise ModuleError("Choose the columns to bin", parameter="columns_to_bin")
        require_numeric(table, columns, self.name, "columns_to_bin")
        if params["binning_mode"] == "Custom Edges":
            edges = custom_edges(params["comma_separated_list_of_bin_edges"])
            learned = {column: edges for column in columns}
        else:
            learned = {column: learned_edges(table.frame[column], params["binning_mode"], params["number_of_bins"])
                       for column in columns}
        state = {"edges": learned, "output_mode": params["output_mode"],
                 "categorical": params["tag_columns_as_categorical"], OPTIONAL: labels_among(table, columns)}
        return {"quantized_dataset": apply_bins(table, state),
                "binning_transformation": Transform("group-data-into-bins", state, name=self.name)}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        schema = inputs.get("dataset")
        columns = schema_columns(params["columns_to_bin"], schema)
        if schema is None or not columns:
            return {"quantized_dataset": None}
        kind = Kind.CATEGORICAL if params["tag_columns_as_categorical"] else Kind.NUMERIC
        names = {column: f"{column}_quantized" for column in columns}
        return {"quantized_dataset": placed_schema(schema, dict.fromkeys(columns, kind), names,
                                                   params["output_mode"])}


# --- Clip Values ----------------------------------------------------------------------------------

SUBSTITUTES = ["Threshold", "Mean", "Median", "Missing"]


def thresholds(x: pd.Series, params: Mapping[str, Any]) -> tuple[float, float]:
    """(lower, upper): the constants, or the column's percentiles."""
    if params["threshold"] == "Constant":
        return params["constant_value_for_lower_threshold"], params["constant_value_for_upper_threshold"]
    lower, upper = x.quantile([params["percentile_value_for_lower_threshold"] / 100,
                               params["percentile_value_for_upper_threshold"] / 100])
    return float(lower), float(upper)


def clipped(x: pd.Series, params: Mapping[str, Any]) -> tuple[pd.Series, pd.Series]:
    """The column with peaks (above upper) and subpeaks (below lower) replaced, and which rows changed."""
    lower, upper = thresholds(x, params)
    which = params["set_of_thresholds"]
    peaks = x.gt(upper) if which != "ClipSubpeaks" else pd.Series(False, index=x.index)
    subpeaks = x.lt(lower) if which != "ClipPeaks" else pd.Series(False, index=x.index)
    statistics = {"Mean": x.mean(), "Median": x.median(), "Missing": np.nan}
    result = x.mask(peaks, statistics.get(params["substitute_value_for_peaks"], upper))
    result = result.mask(subpeaks, statistics.get(params["substitute_value_for_subpeaks"], lower))
    return result, peaks | subpeaks


@registry.register
class ClipValues(Module):
    id = "clip-values"
    name = "Clip Values"
    category = CATEGORY
    subcategory = "Scale and Reduce"
    description = "Detects outliers and clips or replaces their values."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]
    caption = ("{set_of_thresholds}", "columns: {list_of_columns}")
    params = {
        "set_of_thresholds": Choice("Set of thresholds", "ClipPeaks",
                                    choices=["ClipPeaks", "ClipSubpeaks", "ClipPeaksAndSubpeaks"]),
        "threshold": Choice("Threshold", "Constant", choices=["Constant", "Percentile"]),
        "constant_value_for_upper_threshold": Float(
            "Constant value for upper threshold", 99.0,
            when={"threshold": ["Constant"], "set_of_thresholds": ["ClipPeaks", "ClipPeaksAndSubpeaks"]}),
        "constant_value_for_lower_threshold": Float(
            "Constant value for lower threshold", 1.0,
            when={"threshold": ["Constant"], "set_of_thresholds": ["ClipSubpeaks", "ClipPeaksAndSubpeaks"]}),
        "percentile_value_for_upper_threshold": Int(
            "Percentile value for upper threshold", 99, minimum=0, maximum=100,
            when={"threshold": ["Percentile"], "set_of_thresholds": ["ClipPeaks", "ClipPeaksAndSubpeaks"]}),
        "percentile_value_for_lower_threshold": Int(
            "Percentile value for lower threshold", 1, minimum=0, maximum=100,
            when={"threshold": ["Percentile"], "set_of_thresholds": ["ClipSubpeaks", "ClipPeaksAndSubpeaks"]}),
        "substitute_value_for_peaks": Choice("Substitute value for peaks", "Threshold", choices=SUBSTITUTES,
                                             when={"set_of_thresholds": ["ClipPeaks", "ClipPeaksAndSubpeaks"]}),
        "substitute_value_for_subpeaks": Choice("Substitute value for subpeaks", "Threshold", choices=SUBSTITUTES,
                                                when={"set_of_thresholds": ["ClipSubpeaks", "ClipPeaksAndSubpeaks"]}),
        "list_of_columns": Columns("List of columns", all_of_type("Numeric")),
        "overwrite_flag": Bool("Overwrite flag", True),
        "add_indicator_columns": Bool("Add indicator columns", False),
    }

    @classmethod
    def check_params(cls, params: Mapping[str, Any], node: str | None) -> list[Problem]:
        if params["set_of_thresholds"] != "ClipPeaksAndSubpeaks":
            return []
        kind = "constant_value" if params["threshold"] == "Constant" else "percentile_value"
        lower, upper = params[f"{kind}_for_lower_threshold"], params[f"{kind}_for_upper_threshold"]
        if lower <= upper:
            return []
        key = f"{kind}_for_lower_threshold"
        return [Problem(node, cls.param_message(key, node, f"at most the upper threshold ({upper:g})", lower),
                        parameter=key)]

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        columns = selected(table, params["list_of_columns"], "list_of_columns")
        require_numeric(table, columns, self.name, "list_of_columns")
        frame = table.frame.copy()
        for column in columns:
            values, changed = clipped(table.frame[column].astype("float64"), params)
            frame[column if params["overwrite_flag"] else f"{column}_clipped"] = values
            if params["add_indicator_columns"]:
                frame[f"{column}_clipped_indicator"] = changed
        return {"results_dataset": table.with_frame(frame)}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        schema = inputs.get("dataset")
        columns = schema_columns(params["list_of_columns"], schema)
        if schema is None or columns is None:
            return {"results_dataset": None}
        added: dict[str, Kind] = {}
        for column in columns:
            if not params["overwrite_flag"]:
                added[f"{column}_clipped"] = Kind.NUMERIC
            if params["add_indicator_columns"]:
                added[f"{column}_clipped_indicator"] = Kind.BOOLEAN
        return {"results_dataset": with_columns(schema, added)}


