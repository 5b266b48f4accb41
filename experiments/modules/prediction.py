"""Predicting with a trained model: the score columns of a table (score_frame, scored_table) or of a few rows
(row_scorer), the fitted encoding as plain lookups (FastEncoding: a category's ordinal code found without the
pipeline's per-call checks) and a large prediction as row blocks on threads of their own (RowBlocks, for batch
jobs on a worker's share of the cores).

Why a module of its own: training.py had grown past 700 lines holding both sides of a model's life. It keeps
what fitting needs (features, the encoding pipeline, labels, the code forms) and the two definitions trained
packages name by path; this module holds what scoring needs, and imports training's rules (features, score
column names, one native thread) rather than repeating them. Nothing here is named by a model package, so
this module may move or be split again without breaking a saved model.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from scipy.special import expit
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from .framework.artifacts import TrainedModel
from .framework.datatable import Column, DataTable, Kind, Role
from .framework.rows import NotFast, Rows
from .framework.trees import CompiledBoosting
from .training import (
    ASSIGNMENTS,
    SCORED_LABELS,
    SCORED_PROBABILITIES,
    SUPERVISED,
    class_probability_column,
    distance_column,
    feature_frame,
    prepared_feature,
    single_threaded,
)


def scoring_threads() -> int:
    """Threads a large prediction may use: 1 in web processes (many share the cores); a worker process sets
    settings.ATELIER_SCORING_THREADS to its share of the cores (webservices/tasks.py), so one batch worker
    alone on a machine predicts on all of them. Read at call time: the worker sets it after start-up."""
    return int(settings.ATELIER_SCORING_THREADS)


def score_frame(model: TrainedModel, frame: pd.DataFrame) -> pd.DataFrame:
    """The score columns Azure's Score Model adds for this kind of model, indexed like `frame`."""
    fast = _fast_encoding(model) if model.task in ("binary", "multiclass", "regression") else None
    threads = scoring_threads() if len(frame) > 10_000 else 1
    if fast is not None:
        features: Any = fast.matrix(frame, model.features)
        estimator = fast.final
    else:
        features, estimator = feature_frame(frame, model.features), model.estimator
    with warnings.catch_warnings(), single_threaded(1 if model.task in SUPERVISED else threads):
        warnings.simplefilter("ignore")
        if threads > 1 and model.task in SUPERVISED:
            estimator = RowBlocks(estimator, threads)  # each block on one OpenMP thread
        if model.task in ("binary", "multiclass"):
            return _class_scores(model, estimator, features, frame.index)
        if model.task == "regression":
            return _regression_scores(estimator, features, frame.index)
        if model.task == "clustering":
            return _cluster_scores(model, features)
        return _anomaly_scores(model, features)


class RowBlocks:
    """A fitted estimator predicting a large matrix as `threads` row blocks at once, each on its own thread and
    one OpenMP thread: the same numbers (rows are predicted independently). Boosted trees in OpenMP predict in
    one parallel region per tree, each waiting for its slowest thread: on cores shared with other work, a thread
    that lost its core held every region up (a 50,000-row chunk took 1.2 s on two OpenMP threads, 0.25 s on one).
    A row block that loses its core delays only itself, once."""

    def __init__(self, estimator: Any, threads: int) -> None:
        self.estimator, self.threads = estimator, threads

    def _blocks(self, method: str, X: Any) -> np.ndarray:
        from concurrent.futures import ThreadPoolExecutor
        from itertools import pairwise

        bounds = np.linspace(0, len(X), self.threads + 1).astype(int)

        def block(span: tuple[int, int]) -> np.ndarray:
            with single_threaded(1):  # OpenMP's thread count is per calling thread
                return np.asarray(getattr(self.estimator, method)(X[span[0]:span[1]]))  # rows (also a frame's)

        with ThreadPoolExecutor(self.threads, thread_name_prefix="scoring") as pool:
            return np.concatenate(list(pool.map(block, pairwise(int(b) for b in bounds))))

    def predict_proba(self, X: Any) -> np.ndarray:
        return self._blocks("predict_proba", X)

    def predict(self, X: Any) -> np.ndarray:
        return self._blocks("predict", X)


class FastEncoding:
    """A fitted ordinal-encoding pipeline (numbers passed through, text through OrdinalEncoder) as plain
    lookups: exactly the numbers Pipeline.predict_proba computes, without pandas' and the ColumnTransformer's
    per-call validation, which dominate the cost of scoring a few rows (the web service's hot path)."""

    FEW_ROWS = 64  # up to this many rows a dict lookup per value beats building hash tables

    def __init__(self, blocks: list[tuple[list[str], list[dict[str, int]] | None]], final: Any) -> None:
        self.blocks, self.final = blocks, final
        self._indexes: dict[int, tuple[pd.Index, np.ndarray]] = {}
        self._arrow: dict[tuple[str, int], tuple[pa.Array, np.ndarray]] = {}

    def _codes(self, lookup: dict[str, int], values: np.ndarray) -> np.ndarray:
        """The per-value lookup, vectorised: the category's code for str(value), NaN when missing or unseen."""
        if id(lookup) not in self._indexes:
            self._indexes[id(lookup)] = (pd.Index(list(lookup), dtype=object),
                                         np.array(list(lookup.values()), dtype=float))
        index, codes = self._indexes[id(lookup)]
        missing = pd.isna(values)
        keys = values if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty") \
            else np.array([None if gone else str(value) for value, gone in zip(values, missing, strict=True)],
                          dtype=object)
        wanted = np.array(keys, dtype=object)
        wanted[missing] = None
        found = index.get_indexer(wanted)
        return np.where(missing | (found < 0), np.nan, codes[np.maximum(found, 0)])

    def _arrow_codes(self, lookup: dict[str, int], values: pa.ChunkedArray) -> np.ndarray:
        """_codes for a column of text held by Arrow (a batch chunk): matched in Arrow's C++ hash table, without
        a Python string per value."""
        key = ("arrow", id(lookup))
        if key not in self._arrow:
            self._arrow[key] = (pa.array(list(lookup), pa.string()), np.array(list(lookup.values()), dtype=float))
        keys, codes = self._arrow[key]
        found = pc.index_in(values, value_set=keys if keys.type == values.type else keys.cast(values.type))
        positions = found.to_numpy(zero_copy_only=False)  # float, NaN where missing or unseen
        return np.where(np.isnan(positions), np.nan, codes[np.nan_to_num(positions).astype(np.intp)])

    @classmethod
    def of(cls, estimator: Any) -> FastEncoding | None:
        """None unless the pipeline is exactly the shape `preprocessor(..., "ordinal")` builds."""
        if not isinstance(estimator, Pipeline) or len(estimator.steps) != 2:
            return None
        columns = estimator.steps[0][1]
        if not isinstance(columns, ColumnTransformer) or columns.remainder != "drop":
            return None
        blocks: list[tuple[list[str], list[dict[str, int]] | None]] = []
        for _, transformer, names in columns.transformers_:
            if transformer == "drop":
                continue
            if type(transformer).__name__ == "FunctionTransformer" and transformer.func is None:
                blocks.append((list(names), None))
            elif isinstance(transformer, OrdinalEncoder) and transformer.handle_unknown == "use_encoded_value" \
                    and np.isnan(transformer.unknown_value) and np.isnan(transformer.encoded_missing_value):
                lookups = [{value: index for index, value in enumerate(categories) if isinstance(value, str)}
                           for categories in transformer.categories_]
                blocks.append((list(names), lookups))
            else:
                return None
        return cls(blocks, estimator.steps[-1][1])

    def matrix(self, frame: pd.DataFrame, features: list[Column]) -> np.ndarray:
        """The encoded feature matrix, with feature_frame's checks and conversions."""
        missing = [column.name for column in features if column.name not in frame.columns]
        if missing:
            feature_frame(frame, features)  # raises the usual message naming the columns
        kinds = {column.name: column for column in features}

        def numbers(name: str, values: np.ndarray) -> np.ndarray:
            try:
                return np.asarray(values, dtype=float)
            except (TypeError, ValueError):
                return np.asarray(prepared_feature(frame[name], kinds[name]), dtype=float)  # raises the message

        return self.encode({column.name: _values(frame[column.name], column) for column in features}, len(frame),
                           numbers)

    def encode(self, columns: Mapping[str, np.ndarray], length: int,
               numbers: Any = lambda name, values: np.asarray(values, dtype=float)) -> np.ndarray:
        """The matrix from one array per feature column; `numbers` converts a numeric feature's values."""
        parts = []
        for names, lookups in self.blocks:
            block = np.empty((length, len(names)))
            for j, name in enumerate(names):
                values = columns[name]
                if lookups is None:
                    converted = values if values.dtype == np.float64 else numbers(name, values)
                    block[:, j] = np.where(np.isinf(converted), np.nan, converted)
                elif isinstance(values, pa.ChunkedArray):
                    block[:, j] = self._arrow_codes(lookups[j], values)
                elif length <= self.FEW_ROWS:
                    lookup = lookups[j]
                    block[:, j] = [np.nan if _missing(value) else lookup.get(str(value), np.nan) for value in values]
                else:
                    block[:, j] = self._codes(lookups[j], values)
            parts.append(block)
        return np.hstack(parts) if parts else np.empty((length, 0))


def _values(series: pd.Series, column: Column) -> Any:
    """A feature column for FastEncoding.encode: a text feature pandas holds in Arrow as its Arrow array (no
    Python string per value), anything else as a NumPy array."""
    values = series.array
    if column.kind != Kind.NUMERIC and isinstance(values, pd.arrays.ArrowStringArray):
        return values._pa_array  # the array's own buffers; pandas keeps no public accessor for them
    return series.to_numpy()


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _fast_encoding(model: TrainedModel) -> FastEncoding | None:
    """Built once per loaded model (kept on it), or None when the pipeline has another shape."""
    if "_fast" not in model.__dict__:
        model.__dict__["_fast"] = FastEncoding.of(model.estimator)
    fast: FastEncoding | None = model.__dict__["_fast"]
    return fast


def _apply(method: Any, features: Any, empty_shape: tuple[int, ...]) -> np.ndarray:
    """A prediction method, or an empty result for an empty table (scikit-learn refuses zero rows)."""
    return np.asarray(method(features)) if len(features) else np.zeros(empty_shape)


def _class_scores(model: TrainedModel, estimator: Any, features: Any, index: pd.Index) -> pd.DataFrame:
    classes = list(model.classes or [])
    proba = _apply(estimator.predict_proba, features, (0, len(classes)))
    labels = pd.Series([classes[i] for i in proba.argmax(axis=1)], index=index)
    if model.task == "binary":
        return pd.DataFrame({SCORED_LABELS: labels, SCORED_PROBABILITIES: proba[:, 1]}, index=index)
    columns = {class_probability_column(value): proba[:, i] for i, value in enumerate(classes)}
    return pd.DataFrame({**columns, SCORED_LABELS: labels}, index=index)


def _regression_scores(estimator: Any, features: Any, index: pd.Index) -> pd.DataFrame:
    predicted = _apply(estimator.predict, features, (0,)).astype(float)
    return pd.DataFrame({SCORED_LABELS: predicted}, index=index)


def _cluster_scores(model: TrainedModel, features: pd.DataFrame) -> pd.DataFrame:
    centres = int(model.params.get("number_of_centroids", 1))
    distances = _apply(model.estimator.transform, features, (0, centres))
    columns = {distance_column(i): distances[:, i] for i in range(distances.shape[1])}
    assigned = _apply(model.estimator.predict, features, (0,)).astype(np.int64)
    return pd.DataFrame({ASSIGNMENTS: assigned, **columns}, index=features.index)


def _anomaly_scores(model: TrainedModel, features: pd.DataFrame) -> pd.DataFrame:
    decision = _apply(model.estimator.decision_function, features, (0,)).astype(float)
    return pd.DataFrame({SCORED_LABELS: (decision < 0).astype(np.int64), SCORED_PROBABILITIES: expit(-decision)},
                        index=features.index)


def row_scorer(model: TrainedModel, append: bool) -> Callable[[Rows], Rows] | None:
    """scored_table for a few rows without pandas: the same columns, values and types. None for models whose
    pipeline has no fast encoding (or tasks other than classification and regression)."""
    fast = _fast_encoding(model) if model.task in ("binary", "multiclass", "regression") else None
    if fast is None:
        return None
    trees = CompiledBoosting.of(fast.final)
    classes = pd.Series(list(model.classes or []), dtype=object if not model.classes else None).to_numpy()
    names = [column.name for column in model.features]

    def predicted(X: np.ndarray, method: str) -> np.ndarray:
        if trees is not None and len(X) <= CompiledBoosting.MAX_ROWS:
            return getattr(trees, method)(X)  # type: ignore[no-any-return]
        with warnings.catch_warnings(), single_threaded():
            warnings.simplefilter("ignore")
            return np.asarray(getattr(fast.final, method)(X))

    def score(rows: Rows) -> Rows:
        rows.require(names)

        def numbers(name: str, values: np.ndarray) -> np.ndarray:
            if values.dtype.kind in "biuf":
                return values.astype(float)
            raise NotFast  # a numeric feature that arrived as text: the DataFrame path converts or words it

        X = fast.encode(rows.columns, len(rows), numbers)
        if model.task == "regression":
            scores = {SCORED_LABELS: predicted(X, "predict").astype(float)}
        else:
            proba = predicted(X, "predict_proba")
            labels = classes[proba.argmax(axis=1)]
            if model.task == "binary":
                scores = {SCORED_LABELS: labels, SCORED_PROBABILITIES: proba[:, 1]}
            else:
                each = {class_probability_column(value): proba[:, i] for i, value in enumerate(model.classes or [])}
                scores = {**each, SCORED_LABELS: labels}
        base = {name: values for name, values in rows.columns.items() if name not in scores} if append else {}
        columns = {**base, **scores}
        roles = {**(rows.roles if append else {}), **{name: Role.SCORE for name in scores}}
        if model.label and model.label in columns:
            roles[model.label] = Role.LABEL
        return Rows(columns, {name: role for name, role in roles.items() if name in columns})

    return score


def scored_table(model: TrainedModel, table: DataTable, append: bool = True) -> DataTable:
    """The input with the score columns appended (replacing older ones of the same name), or the scores alone."""
    scores = score_frame(model, table.frame)
    base = table.frame.drop(columns=[c for c in scores.columns if c in table.frame.columns]) if append else None
    frame = scores if base is None else pd.concat([base, scores], axis=1)
    roles = {**(table.roles if append else {}), **{name: Role.SCORE for name in scores.columns}}
    if model.label and model.label in frame.columns:
        roles[model.label] = Role.LABEL
    return DataTable(frame, roles)
