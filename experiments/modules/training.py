"""What Train, Score, Tune and Cross-Validate share: features, fitted pipelines and the score columns' names
(predicting with a fitted model: prediction.py; metrics: metrics.py).

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
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Protocol, cast

import numpy as np
import pandas as pd
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
    data = {column.name: prepared_feature(frame[column.name], column) for column in features}
    return pd.DataFrame(data, index=frame.index)


def prepared_feature(series: pd.Series, column: Column) -> pd.Series:
    """One feature column as feature_frame prepares it (prediction.FastEncoding converts a text column of
    numbers with it, and words the same error)."""
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


# --- Native threads ----------------------------------------------------------------------------------


_controller: ThreadpoolController | None = None


def single_threaded(threads: int = 1) -> Any:
    """Native thread pools limited to one thread (or `threads`), for the duration of a fit or a prediction.
    The controller (which inspects the loaded libraries, ~2 ms) is made once; limiting through it costs
    microseconds."""
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=max(1, threads))


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
