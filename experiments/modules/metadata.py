"""Data Transformation - Edit Metadata: change columns' types, categorical flags, roles and names."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from studio.errors import AtelierError

from .framework.base import Context, Module, ModuleError, SchemaContext, table_input
from .framework.columns import resolve_columns
from .framework.datatable import Column, DataTable, Kind, Role, Schema, infer_kind
from .framework.params import Choice, Columns, Text
from .framework.ports import InputPort, OutputPort, PortType
from .framework.registry import registry
from .transform import CATEGORY, NUMBER, TRUTH, selected

# --- Edit Metadata --------------------------------------------------------------------------------

DATA_TYPES = ["String", "Integer", "Floating point", "Boolean", "DateTime", "TimeSpan"]
# An empty column of each type, to know its kind without converting anything (schema inference).
TYPE_DTYPES = {"String": "str", "Integer": "int64", "Floating point": "float64", "Boolean": "bool",
               "DateTime": "datetime64[ns]", "TimeSpan": "timedelta64[ns]"}
FIELD_ROLES = {"Label": Role.LABEL, "Weight": Role.WEIGHT}
CLEARED = {"Clear feature": Role.FEATURE, "Clear label": Role.LABEL, "Clear score": Role.SCORE,
           "Clear weight": Role.WEIGHT}


class BadValue(AtelierError, ValueError):
    """The first value of a column that does not convert to the wanted type."""

    code = "invalid-value"

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
    id = "edit-metadata"
    name = "Edit Metadata"
    category = CATEGORY
    subcategory = "Manipulation"
    description = "Changes the type, categorical flag, role (feature, label, weight) or names of columns."
    version = 2
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]
    caption = ("{columns}", "{data_type}", "{categorical}", "{fields}", "renamed {new_column_names}")
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
