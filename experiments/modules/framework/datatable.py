"""DataTable: a pandas DataFrame plus per-column metadata (kind and role), as Edit Metadata sets them.

Stored between modules as Parquet; the metadata travels inside the Parquet schema's key-value metadata,
so a table read back is the table that was written.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

METADATA_KEY = b"atelier.columns"


class Kind(StrEnum):
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    STRING = "string"
    DATETIME = "datetime"
    BOOLEAN = "boolean"


class Role(StrEnum):
    FEATURE = "feature"
    LABEL = "label"
    SCORE = "score"
    WEIGHT = "weight"


@dataclass(frozen=True)
class Column:
    """What the engine knows about a column without looking at its values."""

    name: str
    kind: Kind
    role: Role = Role.FEATURE

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "kind": str(self.kind), "role": str(self.role)}

    @classmethod
    def from_json(cls, data: Mapping[str, str]) -> Column:
        return cls(data["name"], Kind(data["kind"]), Role(data.get("role", Role.FEATURE)))


Schema = list[Column]


def infer_kind(series: pd.Series) -> Kind:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return Kind.CATEGORICAL
    if pd.api.types.is_bool_dtype(series.dtype):
        return Kind.BOOLEAN
    if pd.api.types.is_numeric_dtype(series.dtype):
        return Kind.NUMERIC
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return Kind.DATETIME
    return Kind.STRING


@dataclass
class DataTable:
    frame: pd.DataFrame
    roles: dict[str, Role] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(set(self.frame.columns)) != len(self.frame.columns):
            duplicated = sorted({c for c in self.frame.columns if list(self.frame.columns).count(c) > 1})
            raise ValueError(f"Column names must be unique; repeated: {', '.join(map(str, duplicated))}")
        self.frame.columns = [str(c) for c in self.frame.columns]
        self.roles = {name: role for name, role in self.roles.items() if name in self.frame.columns}

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns)

    def role(self, column: str) -> Role:
        return self.roles.get(column, Role.FEATURE)

    def kind(self, column: str) -> Kind:
        return infer_kind(self.frame[column])

    @property
    def schema(self) -> Schema:
        return [Column(name, self.kind(name), self.role(name)) for name in self.columns]

    def label_column(self) -> str | None:
        return next((name for name in self.columns if self.role(name) == Role.LABEL), None)

    def with_frame(self, frame: pd.DataFrame, roles: Mapping[str, Role] | None = None) -> DataTable:
        """A new table on `frame`, keeping the roles of the columns that survive."""
        return DataTable(frame, dict(self.roles if roles is None else roles))

    def with_roles(self, updates: Mapping[str, Role | None]) -> DataTable:
        roles = dict(self.roles)
        for name, role in updates.items():
            if role is None or role == Role.FEATURE:
                roles.pop(name, None)
            else:
                roles[name] = role
        return DataTable(self.frame, roles)

    # --- Parquet -------------------------------------------------------------------------------

    def to_parquet(self) -> bytes:
        table = pa.Table.from_pandas(self.frame, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[METADATA_KEY] = json.dumps({name: str(role) for name, role in self.roles.items()}).encode()
        buffer = io.BytesIO()
        pq.write_table(table.replace_schema_metadata(meta), buffer, compression="zstd")
        return buffer.getvalue()

    @classmethod
    def from_parquet(cls, data: bytes) -> DataTable:
        return cls.from_arrow(pq.read_table(io.BytesIO(data)))

    @classmethod
    def from_arrow(cls, table: pa.Table) -> DataTable:
        """A table read from Parquet, with the roles its schema metadata keeps."""
        raw = (table.schema.metadata or {}).get(METADATA_KEY, b"{}")
        roles = {name: Role(role) for name, role in json.loads(raw).items()}
        return cls(table.to_pandas(), roles)


def schema_names(schema: Iterable[Column]) -> list[str]:
    return [column.name for column in schema]


def schema_with_roles(schema: Schema, updates: Mapping[str, Role]) -> Schema:
    return [replace(column, role=updates.get(column.name, column.role)) for column in schema]
