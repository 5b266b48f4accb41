"""Resolving Azure's column selector against a table's schema, naming any column that isn't there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from studio.errors import AtelierError, did_you_mean

from .datatable import Column, Kind, Role, Schema

TYPE_KINDS = {
    "String": {Kind.STRING}, "Boolean": {Kind.BOOLEAN}, "DateTime": {Kind.DATETIME}, "TimeSpan": set(),
    "Categorical": {Kind.CATEGORICAL}, "Numeric": {Kind.NUMERIC}, "Integer": {Kind.NUMERIC},
    "Double": {Kind.NUMERIC}, "All": set(Kind),
}
KIND_ROLES = {"Feature": {Role.FEATURE}, "Label": {Role.LABEL}, "Score": {Role.SCORE}, "Weight": {Role.WEIGHT},
              "All": set(Role)}


class ColumnsNotFound(AtelierError, LookupError):
    """A column selection names columns the table does not have."""

    code = "columns-not-found"

    def __init__(self, missing: list[str], available: list[str]) -> None:
        self.missing = missing
        self.available = available
        names = ", ".join(f"'{name}'" for name in missing)
        noun = "Column" if len(missing) == 1 else "Columns"
        hints = "".join(did_you_mean(name, available) for name in missing[:3])
        super().__init__(f"{noun} {names} not found in the input (it has {len(available)} columns){hints}")


def _type_matches(column: Column, type_name: str, frame: pd.DataFrame | None) -> bool:
    if column.kind not in TYPE_KINDS[type_name]:
        return False
    if frame is None or type_name not in ("Integer", "Double"):
        return True
    is_int = pd.api.types.is_integer_dtype(frame[column.name].dtype)
    return is_int if type_name == "Integer" else not is_int


def selector_types(column: Column, frame: pd.DataFrame | None = None) -> list[str]:
    """The column selector's type names this column matches, so the canvas can preview rules without
    knowing the mapping (served with every column list)."""
    return [name for name in TYPE_KINDS if name != "All" and _type_matches(column, name, frame)]


def _rule_matches(rule: Mapping[str, Any], column: Column, frame: pd.DataFrame | None) -> bool:
    if rule["by"] == "names":
        return column.name in rule["names"]
    if rule["by"] == "type":
        return any(_type_matches(column, name, frame) for name in rule["types"])
    return any(column.role in KIND_ROLES[name] for name in rule["kinds"])


def resolve_columns(selection: Mapping[str, Any], schema: Schema, frame: pd.DataFrame | None = None) -> list[str]:
    """The selected column names, in the table's order. Raises ColumnsNotFound for unknown names."""
    available = [column.name for column in schema]
    missing = [name for rule in selection["rules"] if rule["by"] == "names" for name in rule["names"]
               if name not in available]
    if missing:
        raise ColumnsNotFound(list(dict.fromkeys(missing)), available)
    chosen = set(available) if selection["begin_with"] == "all" else set()
    for rule in selection["rules"]:
        matched = {column.name for column in schema if _rule_matches(rule, column, frame)}
        chosen = chosen | matched if rule["action"] == "include" else chosen - matched
    return [name for name in available if name in chosen]


def selection_is_empty(selection: Mapping[str, Any]) -> bool:
    """Nothing chosen: no columns to begin with and no rule that includes any (an emptied list of names, [],
    is an include rule naming nothing)."""
    return selection["begin_with"] == "none" and not any(
        rule["action"] == "include" and any(rule.get(key) for key in ("names", "types", "kinds"))
        for rule in selection["rules"])
