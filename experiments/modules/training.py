"""What Train, Score, Tune and Cross-Validate share: features, fitted pipelines and score columns (metrics:
metrics.py).

Its path is frozen (it stays beside the category files, not in framework/): trained-model packages name
`PCAAnomalyDetector` and `first_rows_as_centroids` as `experiments.modules.training.<name>`, and skops
imports them from there when a saved model is loaded.

Rules, in one place so every module applies them the same way:

- **Features** are every column except the label and columns marked Label, Score or Weight; DateTime
  columns are left out (logged). Numeric columns go in as numbers; String, Categorical and Boolean
  columns are categorical and are encoded *inside* the fitted pipeline, so scoring repeats the training
  encoding: tree learners use ordinal codes (missing and unseen categories become NaN, which the trees
  route natively), all other learners one-hot codes (unseen categories ignored) with missing numbers
  replaced by the training mean.
- **The positive class** of a two-class model is the second of its two classes in sorted order: `>50K`
  after `<=50K`, 1 after 0, True after False, "yes" after "no". `Scored Probabilities` is its probability
  and `Scored Labels` the class with the larger probability (scikit-learn's `predict`).
- **One native thread**: fitting and scoring run with OpenMP/BLAS pools limited to one thread. A worker
  shares its cores with the web server and other runs, and OpenMP's spinning threads made a one-second
  boosted-tree fit thirty times slower whenever another process held a core.
- **Anomaly detectors** score `Scored Labels` 1 for an anomaly and `Scored Probabilities` as the logistic
  of the detector's distance past its boundary (0.5 on the boundary).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Protocol, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from scipy.special import expit
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import ThreadpoolController

from .framework.artifacts import TrainedModel, UntrainedModel
from .framework.base import Context, Module, ModuleError, Problem
from .framework.code_forms import CodeForm, NoCodeForm, helper_source, python_source
from .framework.columns import ColumnsNotFound, resolve_columns, selection_is_empty
from .framework.datatable import Column, DataTable, Kind, Role, Schema
from .framework.registry import registry
from .framework.rows import NotFast, Rows
from .framework.trees import CompiledBoosting

SCORED_LABELS = "Scored Labels"
SCORED_PROBABILITIES = "Scored Probabilities"
ASSIGNMENTS = "Assignments"
FOLD_ASSIGNMENTS = "Fold Assignments"
SUPERVISED = ("binary", "multiclass", "regression")
NOT_FEATURES = {Role.LABEL, Role.SCORE, Role.WEIGHT}


def class_probability_column(value: Any) -> str:
    return f'Scored Probabilities for Class "{value}"'


def distance_column(index: int) -> str:
    return f"DistancesToClusterCenter no.{index}"


class Learner(Protocol):
    """What an Initialize Model module offers to training (see learners.Learner)."""

    id: ClassVar[str]
    name: ClassVar[str]
    task: ClassVar[str]
    nonnegative_label: ClassVar[bool]

    @classmethod
    def build_estimator(cls, params: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> Any: ...

    @classmethod
    def feature_encoding(cls, params: Mapping[str, Any]) -> str: ...

    @classmethod
    def sweep_space(cls, params: Mapping[str, Any]) -> dict[str, list[Any]]: ...

    @classmethod
    def sweep_label(cls, params: Mapping[str, Any], key: str) -> str: ...


def learner_for(untrained: UntrainedModel) -> type[Learner]:
    module = registry.get(untrained.learner) if untrained.learner in registry else None
    if module is None or not hasattr(module, "build_estimator"):
        raise ModuleError(f"'{untrained.name or untrained.learner}' is not a learner that can be trained")
    return cast(type[Learner], module)


def untrained_input(inputs: Mapping[str, Any], name: str = "untrained_model") -> UntrainedModel:
    model = inputs.get(name)
    if not isinstance(model, UntrainedModel):
        raise ModuleError(f"The '{name}' input needs an untrained model from an Initialize Model module")
    return model


def trained_input(inputs: Mapping[str, Any], name: str = "trained_model") -> TrainedModel:
    model = inputs.get(name)
    if not isinstance(model, TrainedModel):
        raise ModuleError(f"The '{name}' input needs a trained model")
    return model


# --- Columns ---------------------------------------------------------------------------------------


def label_name(table: DataTable, selection: Mapping[str, Any], parameter: str = "label_column") -> str:
    """The one label column chosen; an empty choice falls back to the column marked Label."""
    try:
        names = resolve_columns(selection, table.schema, table.frame)
    except ColumnsNotFound as missing:
        raise ModuleError(f"Label column: {missing}", parameter=parameter, column=missing.missing[0]) from None
    if not names and selection_is_empty(selection) and table.label_column():
        names = [str(table.label_column())]
    if len(names) != 1:
        found = "none" if not names else ", ".join(f"'{name}'" for name in names)
        raise ModuleError(f"Select exactly one label column; the selection matches {found}", parameter=parameter)
    return names[0]


def label_problems(module: type[Module], params: Mapping[str, Any], schema: Schema | None, node: str | None,
                   parameter: str = "label_column") -> list[Problem]:
    """label_name's rules checked before running, against the input's inferred schema: exactly one label column,
    or none chosen and one marked Label upstream (Edit Metadata). Unknown schema: nothing can be said yet."""
    selection = params[parameter]
    if schema is None:
        return []
    try:
        names = resolve_columns(selection, schema)
    except ColumnsNotFound:
        return []  # the graph's column check names the missing column
    if len(names) == 1 or (not names and selection_is_empty(selection) and any(c.role == Role.LABEL for c in schema)):
        return []
    label, where = module.params[parameter].label, f" (node {node})" if node else ""
    if not names:
        wrong = "none is selected" if selection_is_empty(selection) else "the selection matches no column"
        return [Problem(node, f"The '{label}' parameter of {module.name}{where} must name the column to predict; "
                              f"{wrong}.", parameter=parameter)]
    found = ", ".join(f"'{name}'" for name in names)
    return [Problem(node, f"The '{label}' parameter of {module.name}{where} must select exactly one column; "
                          f"the selection matches {found}.", parameter=parameter)]


def feature_columns(table: DataTable, exclude: Iterable[str] = (), ctx: Context | None = None) -> list[Column]:
    """Every column but labels, scores, weights and `exclude`; DateTime columns can't be features."""
    skip = set(exclude)
    columns = [column for column in table.schema if column.role not in NOT_FEATURES and column.name not in skip]
    dates = [column.name for column in columns if column.kind == Kind.DATETIME]
    if dates and ctx is not None:
        ctx.log("DateTime columns are not used as features: " + ", ".join(dates))
    return [Column(column.name, column.kind) for column in columns if column.kind != Kind.DATETIME]


def feature_frame(frame: pd.DataFrame, features: list[Column]) -> pd.DataFrame:
    """The feature columns as the pipeline expects them: floats, or text with NaN for missing."""
    missing = [column.name for column in features if column.name not in frame.columns]
    if missing:
        names = ", ".join(f"'{name}'" for name in missing)
        raise ModuleError(f"The dataset lacks the column(s) {names} that the model was trained on",
                          column=missing[0])
    data = {column.name: _prepared(frame[column.name], column) for column in features}
    return pd.DataFrame(data, index=frame.index)


def _prepared(series: pd.Series, column: Column) -> pd.Series:
    if column.kind != Kind.NUMERIC:
        return series.astype(str).astype(object).where(series.notna(), np.nan)
    try:
        numbers = pd.to_numeric(series, errors="raise").astype(float)
    except (ValueError, TypeError):
        raise ModuleError(f"Column '{column.name}' is not numeric, but the model was trained on numbers in it",
                          column=column.name) from None
    return numbers.replace([np.inf, -np.inf], np.nan)


def script_features(frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> pd.DataFrame:
    """feature_frame in an exported script (framework/code_forms.py): numbers as floats (infinities missing),
    text with NaN for missing."""
    data = {name: pd.to_numeric(frame[name]).astype(float).replace([np.inf, -np.inf], np.nan) for name in numeric}
    for name in categorical:
        data[name] = frame[name].astype(str).astype(object).where(frame[name].notna(), np.nan)
    return pd.DataFrame(data, index=frame.index)[[*numeric, *categorical]]


def training_code(model: TrainedModel) -> CodeForm:
    """Train Model's code form (train_score.py): the run's label and feature columns inline, rows with a missing
    label left out, the encoding pipeline around the learner, fitted on one native thread as the worker does."""
    if model.task not in SUPERVISED or model.label is None:
        raise NoCodeForm(f"{model.name} is a {model.task} model; only classification and regression export yet")
    learner = learner_for(UntrainedModel(model.learner, model.task, model.params, model.name))
    numeric = [column.name for column in model.features if column.kind == Kind.NUMERIC]
    categorical = [column.name for column in model.features if column.kind != Kind.NUMERIC]
    imports = {"from sklearn.pipeline import Pipeline", "from threadpoolctl import threadpool_limits"}
    columns = python_source(preprocessor(model.features, learner.feature_encoding(model.params)), imports)
    target = ".astype(float)" if model.task == "regression" else ""
    body = (f"    label = {model.label!r}\n    numeric = {numeric!r}\n    categorical = {categorical!r}\n"
            "    rows = dataset[dataset[label].notna()]\n"
            f"    y = np.asarray(rows[label].tolist()){target}\n"
            f"    model = Pipeline([(\"features\", {columns}),\n"
            "                      (\"learner\", untrained_model)])\n"
            "    with threadpool_limits(1):\n"
            "        model.fit(script_features(rows, numeric, categorical), y)\n"
            "    return model\n")
    return CodeForm(body, ("trained_model",), doc=f"{model.name} trained to predict '{model.label}' from "
                    f"{len(model.features)} feature columns.", imports=tuple(sorted(imports)),
                    helpers=(helper_source(script_features),))


def scoring_code(model: TrainedModel, append: bool) -> CodeForm:
    """Score Model's code form: score_frame and scored_table for a classifier or a regression model."""
    if model.task not in SUPERVISED:
        raise NoCodeForm(f"Scoring a {model.task} model has no code form yet")
    numeric = [column.name for column in model.features if column.kind == Kind.NUMERIC]
    categorical = [column.name for column in model.features if column.kind != Kind.NUMERIC]
    body = (f"    features = script_features(dataset, {numeric!r},\n"
            f"                               {categorical!r})\n")
    if model.task == "regression":
        body += "    with threadpool_limits(1):\n        predicted = trained_model.predict(features).astype(float)\n" \
                f"    scores = pd.DataFrame({{{SCORED_LABELS!r}: predicted}}, index=dataset.index)\n"
    else:
        body += ("    with threadpool_limits(1):\n        proba = trained_model.predict_proba(features)\n"
                 "    labels = trained_model.classes_[proba.argmax(axis=1)]\n")
        if model.task == "binary":
            body += (f"    scores = pd.DataFrame({{{SCORED_LABELS!r}: labels, {SCORED_PROBABILITIES!r}: proba[:, 1]}},"
                     "\n                          index=dataset.index)\n")
        else:
            body += ("    columns = {f'Scored Probabilities for Class \"{value}\"': proba[:, i]\n"
                     "               for i, value in enumerate(trained_model.classes_)}\n"
                     f"    scores = pd.DataFrame({{**columns, {SCORED_LABELS!r}: labels}}, index=dataset.index)\n")
    if append:
        body += ("    kept = dataset.drop(columns=[name for name in scores.columns if name in dataset.columns])\n"
                 "    return pd.concat([kept, scores], axis=1)\n")
    else:
        body += "    return scores\n"
    return CodeForm(body, ("scored_dataset",), doc=f"Scores from the trained {model.name}.",
                    imports=("from threadpoolctl import threadpool_limits",),
                    helpers=(helper_source(script_features),))


def preprocessor(features: list[Column], encoding: str) -> ColumnTransformer:
    numeric = [column.name for column in features if column.kind == Kind.NUMERIC]
    categorical = [column.name for column in features if column.kind != Kind.NUMERIC]
    if encoding == "ordinal":
        steps: list[tuple[str, Any, list[str]]] = [
            ("numeric", "passthrough", numeric),
            ("categorical", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan), categorical)]
    else:
        steps = [("numeric", SimpleImputer(strategy="mean", keep_empty_features=True), numeric),
                 ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)]
    return ColumnTransformer([step for step in steps if step[2]], remainder="drop", sparse_threshold=0.0)


# --- Training --------------------------------------------------------------------------------------


def labelled_rows(table: DataTable, label: str, ctx: Context) -> DataTable:
    present = table.frame[label].notna()
    if dropped := int((~present).sum()):
        ctx.log(f"{dropped} rows with a missing value in the label column '{label}' were left out")
    return table.with_frame(table.frame.loc[present])


def label_values(series: pd.Series) -> np.ndarray:
    return np.asarray(series.tolist())


def label_classes(learner: type[Learner], label: str, y: np.ndarray) -> list[Any] | None:
    """The classes a classifier learns (sorted), after the checks users need named."""
    if len(y) == 0:
        raise ModuleError(f"The label column '{label}' has no values to learn from", column=label)
    if learner.task == "regression":
        if y.dtype.kind not in "biuf":
            raise ModuleError(f"The label column '{label}' is not numeric; {learner.name} needs a numeric label",
                              column=label)
        if learner.nonnegative_label and (y < 0).any():
            raise ModuleError(f"The label column '{label}' has negative values; {learner.name} needs counts",
                              column=label)
        return None
    classes: list[Any] = np.unique(y).tolist()
    if len(classes) < 2:
        needs = "a two-class learner needs two" if learner.task == "binary" else f"{learner.name} needs two or more"
        raise ModuleError(f"The label column '{label}' has only one value ({classes[0]!r}); {needs}", column=label)
    if learner.task == "binary" and len(classes) > 2:
        raise ModuleError(f"The label column '{label}' has {len(classes)} values; a two-class learner needs exactly "
                          "two (use a multiclass learner or One-vs-All Multiclass)", column=label)
    return classes


def train_supervised(untrained: UntrainedModel, table: DataTable, label: str, ctx: Context,
                     overrides: Mapping[str, Any] | None = None, exclude: Iterable[str] = ()) -> TrainedModel:
    learner = learner_for(untrained)
    if untrained.task not in SUPERVISED:
        trainer = "Train Clustering Model" if untrained.task == "clustering" else "Train Anomaly Detection Model"
        raise ModuleError(f"{untrained.name} is trained with {trainer}")
    rows = labelled_rows(table, label, ctx)
    y = label_values(rows.frame[label])
    classes = label_classes(learner, label, y)
    features = feature_columns(rows, exclude=(label, *exclude), ctx=ctx)
    names = ", ".join(c.name for c in features[:12]) + (", …" if len(features) > 12 else "")
    ctx.log(f"Training {untrained.name} on {len(rows.frame)} rows to predict '{label}'"
            f"{f' ({len(classes)} classes)' if classes else ''} from {len(features)} feature columns: {names}")
    target = y.astype(float) if classes is None else y
    return fit(untrained, features, rows.frame, target, ctx, overrides, label=label, classes=classes)


def fit(untrained: UntrainedModel, features: list[Column], frame: pd.DataFrame, y: np.ndarray | None, ctx: Context,
        overrides: Mapping[str, Any] | None = None, *, label: str | None = None,
        classes: list[Any] | None = None) -> TrainedModel:
    """Fit the learner behind its feature encoding; the TrainedModel records what scoring needs."""
    if not features:
        raise ModuleError("The dataset has no feature columns to learn from")
    learner = learner_for(untrained)
    params = {**untrained.params, **(overrides or {})}
    estimator = learner_pipeline(learner, untrained.params, features, overrides)
    started = time.perf_counter()
    _fit_quietly(estimator, feature_frame(frame, features), y, untrained.name, ctx)
    info: dict[str, Any] = {"training_rows": len(frame), "training_seconds": round(time.perf_counter() - started, 3)}
    if importances := feature_importances(estimator, features):
        info["feature_importances"] = importances
    return TrainedModel(learner=untrained.learner, task=untrained.task, estimator=estimator, features=features,
                        label=label, classes=classes, params=params, name=untrained.name, info=info)


def learner_pipeline(learner: type[Learner], params: Mapping[str, Any], features: list[Column],
                     overrides: Mapping[str, Any] | None = None) -> Pipeline:
    """The unfitted estimator Train Model fits: the feature encoding, then the learner's estimator."""
    encoding = learner.feature_encoding({**params, **(overrides or {})})
    return Pipeline([("features", preprocessor(features, encoding)),
                     ("learner", learner.build_estimator(params, overrides))])


def _fit_quietly(estimator: Pipeline, features: pd.DataFrame, y: np.ndarray | None, name: str, ctx: Context) -> None:
    """Fit, turning scikit-learn's complaints about the data into a user error and its warnings into log lines."""
    with warnings.catch_warnings(record=True) as caught, single_threaded():
        warnings.simplefilter("always")
        try:
            estimator.fit(features, y)
        except ValueError as error:
            raise ModuleError(f"{name} could not be trained on this data: {error}") from None
    for message in dict.fromkeys(str(warning.message) for warning in caught):
        ctx.log(message)


def feature_importances(estimator: Pipeline, features: list[Column]) -> dict[str, float] | None:
    """Importances by input column, for learners that have them (the forests), largest first."""
    values = getattr(estimator.named_steps["learner"], "feature_importances_", None)
    if values is None or len(values) != len(features):
        return None
    ordered = [c.name for c in features if c.kind == Kind.NUMERIC] + [c.name for c in features
                                                                         if c.kind != Kind.NUMERIC]
    pairs = sorted(zip(ordered, (float(value) for value in values), strict=True), key=lambda pair: -pair[1])
    return dict(pairs)


# --- Scoring ---------------------------------------------------------------------------------------


_controller: ThreadpoolController | None = None


def single_threaded(threads: int = 1) -> Any:
    """Native thread pools limited to one thread (or `threads`), for the duration of a fit or a prediction.
    The controller (which inspects the loaded libraries, ~2 ms) is made once; limiting through it costs
    microseconds."""
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=max(1, threads))


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


SUPERVISED = ("binary", "multiclass", "regression")


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
                return np.asarray(_prepared(frame[name], kinds[name]), dtype=float)  # raises the message

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


# --- Estimators that scikit-learn lacks -------------------------------------------------------------


def first_rows_as_centroids(X: np.ndarray, n_clusters: int, random_state: Any) -> np.ndarray:
    """K-Means 'First N' initialization: the first N rows start as the centroids."""
    return np.asarray(X[:n_clusters], dtype=float)


class PCAAnomalyDetector(OutlierMixin, BaseEstimator):  # type: ignore[misc]
    """Anomaly score = how badly a low-rank PCA of the training rows reconstructs a row.

    The boundary is the training errors' mean plus three standard deviations; `decision_function` is the
    distance inside it in standard deviations (negative = anomaly), as scikit-learn's detectors report.
    With one feature (no lower rank to project on) the error is the distance from the training mean.
    """

    fitted_types: ClassVar[tuple[type, ...]] = (StandardScaler, PCA)  # in a model package (model_types)

    def __init__(self, n_components: int = 2, n_oversamples: int = 2, normalize: bool = False,
                 random_state: int | None = 0) -> None:
        self.n_components = n_components
        self.n_oversamples = n_oversamples
        self.normalize = normalize
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None) -> PCAAnomalyDetector:
        X = validate_data(self, X, dtype=np.float64)
        self.scaler_ = StandardScaler(with_std=self.normalize).fit(X)
        rank = min(self.n_components, X.shape[1] - 1, X.shape[0] - 1)
        self.pca_ = None
        if rank >= 1:
            self.pca_ = PCA(n_components=rank, svd_solver="randomized", n_oversamples=self.n_oversamples,
                            random_state=self.random_state).fit(self.scaler_.transform(X))
        errors = self._errors(X)
        spread = float(errors.std())
        self.threshold_ = float(errors.mean()) + 3 * spread
        self.scale_ = spread if spread > 1e-12 else 1.0
        return self

    def _errors(self, X: np.ndarray) -> np.ndarray:
        centred = self.scaler_.transform(X)
        rebuilt = self.pca_.inverse_transform(self.pca_.transform(centred)) if self.pca_ is not None else 0.0
        return np.asarray(np.sqrt(np.square(centred - rebuilt).sum(axis=1)))

    def score_samples(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return -self._errors(validate_data(self, X, dtype=np.float64, reset=False))

    def decision_function(self, X: Any) -> np.ndarray:
        return np.asarray((self.threshold_ + self.score_samples(X)) / self.scale_)

    def predict(self, X: Any) -> np.ndarray:
        return np.where(self.decision_function(X) < 0, -1, 1)
