"""Visualisations of output ports (SPEC §2): what a user sees on "Visualize" for any output."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .modules.framework.artifacts import Evaluation, TrainedModel, Transform, UntrainedModel
from .modules.framework.columns import selector_types
from .modules.framework.datatable import Column, DataTable, Kind

HISTOGRAM_BINS = 20
TOP_CATEGORIES = 10
MAX_PAGE = 1000


def visualize(value: Any, *, offset: int = 0, limit: int = 100) -> dict[str, Any]:
    if isinstance(value, DataTable):
        return table_view(value, offset=offset, limit=limit)
    if isinstance(value, Evaluation):
        return {"type": "Evaluation", **value.to_json()}
    if isinstance(value, TrainedModel):
        return trained_model_view(value)
    if isinstance(value, UntrainedModel):
        return {"type": "UntrainedModel", **value.to_json()}
    if isinstance(value, Transform):
        return {"type": "Transform", "kind": value.kind, "name": value.name, "state": value.state}
    raise TypeError(f"Nothing to show for {type(value).__name__}")


def json_value(value: Any) -> Any:
    """A cell as JSON: NaN and NaT become null, numpy scalars plain Python, timestamps ISO text."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        return json_value(value.item())
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if isinstance(value, float) and math.isinf(value):
        return str(value)
    return value


def table_view(table: DataTable, *, offset: int, limit: int) -> dict[str, Any]:
    limit = max(0, min(limit, MAX_PAGE))
    page = table.frame.iloc[offset:offset + limit]
    return {
        "type": "DataTable", "rows": len(table.frame), "offset": offset, "limit": limit,
        "columns": [column_stats(table, name) for name in table.columns],
        "preview": {"ColumnNames": table.columns,
                    "Values": [[json_value(cell) for cell in row] for row in page.itertuples(index=False)]},
    }


def column_stats(table: DataTable, name: str) -> dict[str, Any]:
    series = table.frame[name]
    kind = table.kind(name)
    stats: dict[str, Any] = {"name": name, "kind": str(kind), "role": str(table.role(name)),
                             "types": selector_types(Column(name, kind, table.role(name)), table.frame),
                             "missing": int(series.isna().sum()), "unique": int(series.nunique(dropna=True))}
    if kind == Kind.NUMERIC and series.notna().any():
        values = series.dropna().astype(float)
        stats.update({key: json_value(v) for key, v in
                      {"mean": values.mean(), "std": values.std(), "min": values.min(), "max": values.max(),
                       "median": values.median()}.items()})
        counts, edges = np.histogram(values[np.isfinite(values)], bins=HISTOGRAM_BINS)
        stats["histogram"] = {"bins": [float(edge) for edge in edges], "counts": [int(c) for c in counts]}
    else:
        top = series.dropna().astype(str).value_counts().head(TOP_CATEGORIES)
        stats["top"] = [[value, int(count)] for value, count in top.items()]
    return stats


def trained_model_view(model: TrainedModel) -> dict[str, Any]:
    return {"type": "TrainedModel", "learner": model.learner, "name": model.name, "task": model.task,
            "parameters": model.params, "features": [column.as_json() for column in model.features],
            "label": model.label, "classes": model.classes,
            "feature_importances": model.info.get("feature_importances"), "info": model.info}
