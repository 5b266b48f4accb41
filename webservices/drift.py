"""Input drift (issue 20, item 4): do the rows an endpoint scores still look like the data it was trained on?

At deploy, `profile` summarises each input column of the data that reached the Web service input in the
predictive experiment's run (the training rows): a number column by its deciles (ten bins), a text, category or
boolean column by its TOP_CATEGORIES commonest values and "other"; both with a missing bucket. The summary is
part of the frozen Deployment.

On the scoring path `observe` only appends a reference to the parsed request tables (bounded: past
MAX_PENDING_ROWS waiting, calls are not sampled until the next flush). A daemon thread bins them every
FLUSH_SECONDS and adds the counts to one InputSummary row per (endpoint, deployment) in the database, so
every web process contributes and the memory held is a few integers per column. `report` compares the counts
with the training summary by the population stability index, PSI = sum((a - e) * ln(a / e)) over buckets;
by the usual reading, under 0.1 is stable, 0.1-0.25 a moderate shift and over 0.25 a large one. A column is
flagged past ATELIER_DRIFT_PSI (0.2) once MIN_ROWS rows have been seen.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Mapping
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from django.conf import settings

from .flushing import Flusher

if TYPE_CHECKING:
    from experiments.modules.framework.datatable import DataTable
    from experiments.modules.framework.rows import Rows

    from .models import Endpoint

logger = logging.getLogger(__name__)
BINS = 10
TOP_CATEGORIES = 20
MIN_ROWS = 100  # fewer rows than this: a PSI is shown but nothing is flagged (too few to tell)
EPSILON = 1e-4  # a bucket's share is at least this in the PSI (an empty bucket would make it infinite)
MAX_PENDING_ROWS = 50_000
FLUSH_SECONDS = 1.0
OTHER, MISSING = "(other)", "(missing)"


def profile(table: DataTable, columns: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The training summary of each schema column present in the table: its buckets and their shares."""
    summary: dict[str, dict[str, Any]] = {}
    for column in columns:
        name = column["name"]
        if name not in table.frame.columns:
            continue
        values = table.frame[name].to_numpy()
        if column["kind"] == "numeric":
            numbers = _numbers(values)
            present = numbers[~np.isnan(numbers)]
            cuts: Any = np.unique(np.quantile(present, np.linspace(0, 1, BINS + 1)[1:-1])) if len(present) else []
            spec: dict[str, Any] = {"kind": "numeric", "edges": [float(cut) for cut in cuts]}
        else:
            text = pd.Series(values, dtype=object).dropna().astype(str)
            spec = {"kind": "categorical", "categories": text.value_counts().index[:TOP_CATEGORIES].tolist()}
        counts = bucket_counts(values, spec)
        spec["expected"] = [float(count) / max(len(values), 1) for count in counts]
        spec["buckets"] = bucket_labels(spec)
        summary[name] = spec
    return summary


def bucket_labels(spec: Mapping[str, Any]) -> list[str]:
    """What each bucket holds, for the dashboard's chart: number ranges, or categories, then missing."""
    if spec["kind"] == "numeric":
        edges = [f"{edge:.4g}" for edge in spec["edges"]]
        if not edges:
            return ["all", MISSING]
        return [f"< {edges[0]}", *(f"{low} to {high}" for low, high in pairwise(edges)), f">= {edges[-1]}",
                MISSING]
    return [*spec["categories"], OTHER, MISSING]


def bucket_counts(values: Any, spec: Mapping[str, Any]) -> np.ndarray:
    """How many values fall in each of the spec's buckets (the last one: missing)."""
    if spec["kind"] == "numeric":
        numbers = _numbers(values)
        missing = np.isnan(numbers)
        edges = np.asarray(spec["edges"], dtype=float)
        counts = np.bincount(np.searchsorted(edges, numbers[~missing], side="right"), minlength=len(edges) + 1)
        return np.append(counts, int(missing.sum()))
    categories = spec["categories"]
    text = pd.Series(values, dtype=object)
    missing = text.isna().to_numpy()
    index = {category: position for position, category in enumerate(categories)}
    positions = text[~missing].astype(str).map(index).fillna(len(categories)).to_numpy(dtype=np.int64)
    return np.append(np.bincount(positions, minlength=len(categories) + 1), int(missing.sum()))


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    if len(parts) == 1:
        return parts[0]
    if all(part.dtype.kind == "f" for part in parts):
        return np.concatenate(parts)
    return np.concatenate([part.astype(object) for part in parts])


def _numbers(values: Any) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        return values
    numbers: np.ndarray = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)
    return numbers


def psi(expected: list[float], counts: list[int]) -> float:
    """The population stability index of the observed counts against the expected shares."""
    total = sum(counts)
    if not total:
        return 0.0
    shown = np.maximum(np.asarray(counts, dtype=float) / total, EPSILON)
    wanted = np.maximum(np.asarray(expected, dtype=float), EPSILON)
    return float(np.sum((shown - wanted) * np.log(shown / wanted)))


# -- on the scoring path: hand the request's tables over, nothing else ----------------------------------------------

_pending: list[tuple[int, int, dict[str, dict[str, Any]], Mapping[str, Rows]]] = []
_pending_rows = 0
_lock = threading.Lock()


def observe(endpoint_pk: int, deployment_pk: int, input_profile: dict[str, dict[str, dict[str, Any]]],
            tables: Mapping[str, Rows]) -> None:
    """Keep a scored request's tables for the next flush (references only; dropped when too many wait)."""
    global _pending_rows
    if not input_profile:
        return
    rows = sum(len(table) for table in tables.values())
    with _lock:
        if _pending_rows + rows > MAX_PENDING_ROWS:
            return
        _pending_rows += rows
        _pending.append((endpoint_pk, deployment_pk, input_profile, tables))
    _flusher.ensure()


def flush() -> int:
    """Bin what waits and add it to the endpoints' summaries; returns the rows written."""
    from django.db import IntegrityError, close_old_connections, transaction

    from .models import InputSummary

    global _pending_rows
    with _lock:
        waiting = _pending[:]
        _pending.clear()
        _pending_rows = 0
    if not waiting:
        return 0
    # one binning per column of each endpoint, over every call waiting (a call of one row costs no more than its
    # share of a concatenation)
    gathered: dict[tuple[int, int], tuple[int, dict[str, tuple[dict[str, Any], list[Any]]]]] = {}
    for endpoint_pk, deployment_pk, input_profile, tables in waiting:
        rows, columns = gathered.get((endpoint_pk, deployment_pk), (0, {}))
        for input_name, table in tables.items():
            for name, spec in input_profile.get(input_name, {}).items():
                if name in table.columns:
                    columns.setdefault(f"{input_name}/{name}", (spec, []))[1].append(table.columns[name])
        gathered[(endpoint_pk, deployment_pk)] = (rows + sum(len(table) for table in tables.values()), columns)
    added = {key: (rows, {column: bucket_counts(_joined(parts), spec) for column, (spec, parts) in columns.items()})
             for key, (rows, columns) in gathered.items()}
    close_old_connections()
    written = 0
    for (endpoint_pk, deployment_pk), (rows, counts) in added.items():
        try:
            with transaction.atomic():
                summary = InputSummary.objects.select_for_update().filter(
                    endpoint_id=endpoint_pk, deployment_id=deployment_pk).first()
                if summary is None:
                    summary = InputSummary(endpoint_id=endpoint_pk, deployment_id=deployment_pk, counts={})
                for key, fresh in counts.items():
                    known = summary.counts.get(key)
                    summary.counts[key] = (np.asarray(known) + fresh).tolist() if known else fresh.tolist()
                summary.rows += rows
                summary.save()
        except IntegrityError:  # the endpoint or its deployment was deleted meanwhile
            logger.info("Input summary of endpoint %s not kept (gone)", endpoint_pk)
            continue
        written += rows
    close_old_connections()
    return written


_flusher = Flusher("drift-flusher", lambda: flush(), FLUSH_SECONDS, "Could not write input drift counts")
atexit.register(lambda: flush() if _pending else None)


# -- what the dashboard and the API show -----------------------------------------------------------------------------

def report(endpoint: Endpoint) -> dict[str, Any]:
    """Per input column: the PSI of what the endpoint has scored against its training data, flagged past the
    threshold, with both distributions (the dashboard's chart); the rows seen since the service was deployed."""
    from .models import InputSummary

    deployment = endpoint.service.current
    input_profile = deployment.input_profile if deployment is not None else {}
    summary = InputSummary.objects.filter(endpoint=endpoint, deployment=deployment).first()
    rows = summary.rows if summary is not None else 0
    seen = summary.counts if summary is not None else {}
    threshold = settings.ATELIER_DRIFT_PSI
    single = len(input_profile) == 1
    columns = []
    for input_name, specs in input_profile.items():
        for name, spec in specs.items():
            counts = seen.get(f"{input_name}/{name}") or [0] * len(spec["expected"])
            total = sum(counts)
            index = psi(spec["expected"], counts)
            columns.append({
                "name": name if single else f"{input_name}.{name}", "psi": round(index, 4),
                "flagged": rows >= MIN_ROWS and index > threshold, "kind": spec["kind"],
                "buckets": spec["buckets"], "expected": [round(share, 4) for share in spec["expected"]],
                "observed": [round(count / total, 4) if total else 0.0 for count in counts],
                "missing_rate": round(counts[-1] / total, 4) if total else None,
                "training_missing_rate": round(spec["expected"][-1], 4)})
    columns.sort(key=lambda column: -column["psi"])
    return {"rows_seen": rows, "threshold": threshold, "min_rows": MIN_ROWS, "columns": columns}
