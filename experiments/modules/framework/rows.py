"""Small tables without pandas: the web service's fast path for requests of a few rows (DESIGN §5).

A `Rows` is the table a DataTable holds (ordered columns, roles) kept as one numpy array per column: float64
for numbers, object for text. Modules common on a scoring path offer a row kernel (`Module.row_kernel`) that
computes exactly what `execute` computes on such tables. A kernel raises `NotFast` for anything it does not
handle identically (an unusual type, an error to word); the caller then runs the DataFrame path, which is the
reference and words every error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .datatable import DataTable, Role

RowKernel = Callable[[Mapping[str, Any]], dict[str, Any]]


class NotFast(Exception):
    """This request (or this graph) needs the DataFrame path."""


@dataclass
class Rows:
    columns: dict[str, np.ndarray]
    roles: dict[str, Role] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def table(self) -> DataTable:
        """The same table for the DataFrame path."""
        frame = pd.DataFrame({name: (values if values.dtype != object else pd.array(values, dtype="object"))
                              for name, values in self.columns.items()}, columns=list(self.columns))
        return DataTable(frame, dict(self.roles))

    def require(self, names: list[str]) -> None:
        """NotFast when a column is missing: the DataFrame path words that error."""
        if any(name not in self.columns for name in names):
            raise NotFast


def rows_input(inputs: Mapping[str, Any], port: str) -> Rows:
    value = inputs.get(port)
    if not isinstance(value, Rows) or len(value) == 0:
        raise NotFast
    return value
