"""Data Transformation - Sample and Split: Split Data and Partition and Sample (seeded numpy permutations)."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from studio.errors import did_you_mean

from .framework.base import Context, Module, ModuleError, Problem, SchemaContext, ServiceRole, table_input
from .framework.code_forms import CodeForm, CodeNode, NoCodeForm, helper_source, plain_names
from .framework.columns import selection_is_empty
from .framework.datatable import Column, DataTable, Kind, Schema, infer_kind
from .framework.params import Bool, Choice, Columns, Float, Int, Seed, Text
from .framework.ports import InputPort, OutputPort, PortType
from .framework.registry import registry
from .transform import CATEGORY, KIND_WORDS, NUMBER, one_column

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
        hint = did_you_mean(column, [str(name) for name in table.frame.columns])
        raise ModuleError(f"Column '{column}' not found in the input{hint}", parameter=parameter, column=column)
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

    id = "split-data"
    name = "Split Data"
    web_service = ServiceRole.SAMPLE
    category = CATEGORY
    subcategory = "Sample and Split"
    description = "Partitions the rows of a dataset into two distinct sets."
    version = 2
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("results1", PortType.DATA_TABLE, label="Results dataset1"),
               OutputPort("results2", PortType.DATA_TABLE, label="Results dataset2")]
    caption = ("{fraction_of_rows_in_the_first_output_dataset}", "random seed {random_seed}",
               "stratified by {stratification_key_column}", "{regular_expression}", "{relative_expression}")
    params = {
        "splitting_mode": Choice("Splitting mode", "Split Rows",
                                 choices=["Split Rows", "Regular Expression", "Relative Expression"]),
        "fraction_of_rows_in_the_first_output_dataset": Float(
            "Fraction of rows in the first output dataset", 0.5, ge=0, le=1, when={"splitting_mode": ["Split Rows"]}),
        "randomized_split": Bool("Randomized split", True, when={"splitting_mode": ["Split Rows"]}),
        "random_seed": Seed(when={"splitting_mode": ["Split Rows"]}),
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

    @classmethod
    def code_form(cls, node: CodeNode) -> CodeForm:
        """Split Rows with the module's own seeded shuffle and stratification (their source is copied)."""
        p = node.params
        if p["splitting_mode"] != "Split Rows":
            raise NoCodeForm(f"Split Data's '{p['splitting_mode']}' mode has no code form yet; use Split Rows")
        fraction, seed = p["fraction_of_rows_in_the_first_output_dataset"], p["random_seed"]
        order = f"seeded_order(len(dataset), {seed!r})" if p["randomized_split"] else "np.arange(len(dataset))"
        body = f"    order = {order}\n"
        if p["stratified_split"]:
            key = plain_names(p["stratification_key_column"], "The stratification key column")
            body += (f"    first = stratified_first(order, dataset[{key[0]!r}], {fraction!r})\n"
                     "    first, second = order[first], order[~first]\n")
        else:
            body += f"    cut = round({fraction!r} * len(dataset))\n    first, second = order[:cut], order[cut:]\n"
        body += ("    return (dataset.iloc[first].reset_index(drop=True),\n"
                 "            dataset.iloc[second].reset_index(drop=True))\n")
        stratified = f", stratified by {p['stratification_key_column']['rules'][0]['names'][0]!r}" \
            if p["stratified_split"] else ""
        return CodeForm(body, ("results1", "results2"),
                        doc=f"{fraction:g} of the rows to the first output, random seed {seed}{stratified}.",
                        helpers=(helper_source(seeded_order), helper_source(stratified_first)))

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        return {"results1": inputs.get("dataset"), "results2": inputs.get("dataset")}


# --- Partition and Sample -------------------------------------------------------------------------

FOLD_COLUMN = "Fold Assignments"
SAMPLING_MODES = ["Assign to Folds", "Pick Fold", "Sampling", "Head"]
MAX_FOLDS = 100  # each fold is a model trained by Cross Validate Model
MAX_ROWS = 1_000_000_000  # Head: more rows than a table can hold


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

    id = "partition-and-sample"
    name = "Partition and Sample"
    web_service = ServiceRole.SAMPLE
    category = CATEGORY
    subcategory = "Sample and Split"
    description = "Samples rows, takes the first rows, or assigns rows to folds for cross-validation."
    version = 2
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("output_dataset", PortType.DATA_TABLE)]
    caption = ("{partition_or_sample_mode}", "rate {rate_of_sampling}", "random seed {random_seed_for_sampling}",
               "{number_of_rows_to_select} rows", "{specify_number_of_folds_to_split_evenly_into} folds",
               "fold {specify_which_fold_to_be_sampled_from}")
    params = {
        "partition_or_sample_mode": Choice("Partition or sample mode", "Sampling", choices=SAMPLING_MODES),
        "rate_of_sampling": Float("Rate of sampling", 0.01, ge=0, le=1,
                                  when={"partition_or_sample_mode": ["Sampling"]}),
        "random_seed_for_sampling": Seed("Random seed for sampling",
                                        when={"partition_or_sample_mode": ["Sampling", "Assign to Folds"]}),
        "stratified_split_for_sampling": Bool("Stratified split for sampling", False,
                                              when={"partition_or_sample_mode": ["Sampling", "Assign to Folds"]}),
        "stratification_key_column": Columns("Stratification key column", single=True,
                                             when={"stratified_split_for_sampling": [True]}),
        "number_of_rows_to_select": Int("Number of rows to select", 10, minimum=0, maximum=MAX_ROWS,
                                        when={"partition_or_sample_mode": ["Head"]}),
        "specify_number_of_folds_to_split_evenly_into": Int(
            "Specify number of folds to split evenly into", 5, minimum=2, maximum=MAX_FOLDS,
            when={"partition_or_sample_mode": ["Assign to Folds"]}),
        "specify_which_fold_to_be_sampled_from": Int("Specify which fold to be sampled from", 1, minimum=1,
                                                     maximum=MAX_FOLDS,
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
