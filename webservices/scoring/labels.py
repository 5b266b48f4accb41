"""The label a request may leave out (issue 18): what a service's caller doesn't send, scoring supplies empty.

A deployment's input schema marks its optional columns: the labels of the models it serves (webservices/services.py
`snapshot`). Training needed them; scoring does not. A request that leaves one out is scored as if it had sent the
column with every value empty, so each module on the scoring path sees the columns it was built with (Select
Columns, Edit Metadata and SQL naming the label, transforms that learned it) and the answers are those of a request
with an empty label. The supplied column is not answered back: a column the caller didn't send is not in the
response. The deployed transforms are told the labels too (artifacts.Transform.served), so that Clean Missing Data
never removes a request's row for lacking its label.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from experiments.modules.framework.datatable import DataTable
from experiments.modules.framework.rows import Rows

Table = DataTable | Rows


@dataclass(frozen=True)
class OptionalColumn:
    name: str
    numeric: bool
    after: tuple[str, ...]  # the schema's columns before it, nearest first: where it goes back in


def optional_columns(input_schema: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, list[OptionalColumn]]:
    """{input name: its optional columns}, from a deployment's input schema."""
    found: dict[str, list[OptionalColumn]] = {}
    for name, columns in input_schema.items():
        names = [str(column["name"]) for column in columns]
        found[name] = [OptionalColumn(names[i], column.get("kind") == "numeric", tuple(reversed(names[:i])))
                       for i, column in enumerate(columns) if column.get("optional")]
    return {name: columns for name, columns in found.items() if columns}


def _position(present: list[str], column: OptionalColumn) -> int:
    """Where the schema has the column: after the nearest of its predecessors the table has (first if none)."""
    before = next((name for name in column.after if name in present), None)
    return 0 if before is None else present.index(before) + 1


def _empty(column: OptionalColumn, rows: int) -> np.ndarray:
    """The column as the wire parses one whose every cell is empty: NaN numbers, or None in an object array."""
    if column.numeric:
        return np.full(rows, np.nan)
    values = np.empty(rows, dtype=object)
    values[:] = None
    return values


def supplied(table: Table, columns: Sequence[OptionalColumn]) -> tuple[Table, list[str]]:
    """The table with its absent optional columns added empty, in the schema's place, and their names."""
    names = list(table.frame.columns) if isinstance(table, DataTable) else list(table.columns)
    absent = [column for column in columns if column.name not in names]
    if not absent:
        return table, []
    rows = len(table.frame) if isinstance(table, DataTable) else len(table)
    values = {column.name: _empty(column, rows) for column in absent}
    for column in absent:
        names.insert(_position(names, column), column.name)
    if isinstance(table, DataTable):
        index = table.frame.index
        frame = table.frame.assign(**{name: pd.Series(array, index=index) for name, array in values.items()})
        return table.with_frame(frame[names]), list(values)
    return Rows({name: values[name] if name in values else table.columns[name] for name in names},
                dict(table.roles)), list(values)


def without(table: Any, names: Sequence[str]) -> Any:
    """An output table without the columns scoring supplied (anything else, e.g. a trained model, as it is)."""
    if not names:
        return table
    if isinstance(table, DataTable):
        return table.with_frame(table.frame.drop(columns=[name for name in names if name in table.frame.columns]))
    if isinstance(table, Rows):
        kept = {name: values for name, values in table.columns.items() if name not in names}
        return Rows(kept, {name: role for name, role in table.roles.items() if name in kept})
    return table
