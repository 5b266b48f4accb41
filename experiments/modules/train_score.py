"""Machine Learning / Train, Score: fit learners, score data, sweep hyperparameters and cross-validate.

The machinery is in training.py (features, encoding, fitting), prediction.py (score columns) and metrics.py;
these modules wire it to ports and parameters. Cross-validation and parameter sweeps seed every split from
`random_seed`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold

from . import learners  # noqa: F401  (the learners must be registered for training to find them)
from .framework.artifacts import TrainedModel, UntrainedModel
from .framework.base import Context, Module, ModuleError, Problem, ServiceRole, table_input
from .framework.code_forms import CodeForm, CodeNode
from .framework.columns import ColumnsNotFound, resolve_columns, selection_is_empty
from .framework.datatable import Column, DataTable, Kind, Role, Schema
from .framework.params import Bool, Choice, Columns, Int, Seed
from .framework.ports import InputPort, OutputPort, PortType
from .framework.registry import registry
from .framework.rows import RowKernel, rows_input
from .metrics import FOLD_METRICS, LOWER_IS_BETTER, fold_metrics
from .prediction import row_scorer, score_frame, scored_table
from .training import (
    FOLD_ASSIGNMENTS,
    SCORED_LABELS,
    SUPERVISED,
    class_probability_column,
    feature_columns,
    fit,
    label_classes,
    label_name,
    label_problems,
    label_values,
    labelled_rows,
    learner_for,
    scoring_code,
    train_supervised,
    trained_input,
    training_code,
    untrained_input,
)

CATEGORY = "Machine Learning"


def label_column_param() -> Columns:
    return Columns("Label column", single=True, help="The column that holds the values to predict.")


def supervised_input(inputs: Mapping[str, Any], module: str) -> UntrainedModel:
    untrained = untrained_input(inputs)
    if untrained.task not in SUPERVISED:
        raise ModuleError(f"{module} works with classification and regression learners; {untrained.name} is a "
                          f"{untrained.task} learner")
    return untrained


@registry.register
class TrainModel(Module):
    id = "train-model"
    name = "Train Model"
    web_service = ServiceRole.TRAIN
    category = CATEGORY
    subcategory = "Train"
    description = "Trains a classification or regression model in a supervised manner."
    inputs = [InputPort("untrained_model", PortType.UNTRAINED_MODEL, label="Untrained model"),
              InputPort("dataset", PortType.DATA_TABLE, label="Dataset")]
    outputs = [OutputPort("trained_model", PortType.TRAINED_MODEL, label="Trained model")]
    caption = ("label: {label_column}",)
    params = {"label_column": label_column_param()}

    @classmethod
    def check_inputs(cls, params: Mapping[str, Any], inputs: Mapping[str, Schema | None],
                     node: str | None) -> list[Problem]:
        return label_problems(cls, params, inputs.get("dataset"), node)

    @classmethod
    def code_form(cls, node: CodeNode) -> CodeForm:
        return training_code(node.facts["outputs"]["trained_model"])

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        untrained, table = untrained_input(inputs), table_input(inputs, "dataset")
        return {"trained_model": train_supervised(untrained, table, label_name(table, params["label_column"]), ctx)}


def unsupervised(inputs: Mapping[str, Any], task: str, module: str) -> UntrainedModel:
    untrained = untrained_input(inputs)
    if untrained.task != task:
        raise ModuleError(f"{module} trains {task} learners; {untrained.name} is a {untrained.task} learner")
    return untrained


@registry.register
class TrainClusteringModel(Module):
    id = "train-clustering-model"
    name = "Train Clustering Model"
    web_service = ServiceRole.TRAIN
    category = CATEGORY
    subcategory = "Train"
    description = "Trains a clustering model and assigns the training data to clusters."
    inputs = [InputPort("untrained_model", PortType.UNTRAINED_MODEL, label="Untrained model"),
              InputPort("dataset", PortType.DATA_TABLE, label="Dataset")]
    outputs = [OutputPort("trained_model", PortType.TRAINED_MODEL, label="Trained model"),
               OutputPort("results_dataset", PortType.DATA_TABLE, label="Results dataset")]
    caption = ("columns: {column_set}",)
    params = {
        "column_set": Columns("Column set", help="The columns to cluster on; none chosen means every feature column."),
        "check_for_append_or_uncheck_for_result_only": Bool(
            "Check for Append or Uncheck for Result Only", True,
            help="Append the assignments to the input's columns, or output the assignments alone."),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        untrained = unsupervised(inputs, "clustering", self.name)
        table = table_input(inputs, "dataset")
        model = fit(untrained, clustering_features(table, params["column_set"], ctx), table.frame, None, ctx)
        append = params["check_for_append_or_uncheck_for_result_only"]
        return {"trained_model": model, "results_dataset": scored_table(model, table, append)}


def clustering_features(table: DataTable, selection: Mapping[str, Any], ctx: Context) -> list[Column]:
    """The chosen columns (DateTime aside), or every feature column when none is chosen."""
    if selection_is_empty(selection):
        return feature_columns(table, ctx=ctx)
    try:
        chosen = set(resolve_columns(selection, table.schema, table.frame))
    except ColumnsNotFound as missing:
        raise ModuleError(f"Column set: {missing}", parameter="column_set", column=missing.missing[0]) from None
    return [Column(c.name, c.kind) for c in table.schema if c.name in chosen and c.kind != Kind.DATETIME]


@registry.register
class TrainAnomalyDetectionModel(Module):
    id = "train-anomaly-detection-model"
    name = "Train Anomaly Detection Model"
    web_service = ServiceRole.TRAIN
    category = CATEGORY
    subcategory = "Train"
    description = "Trains an anomaly detector model on a dataset of mostly normal rows."
    inputs = [InputPort("untrained_model", PortType.UNTRAINED_MODEL, label="Untrained model"),
              InputPort("dataset", PortType.DATA_TABLE, label="Dataset")]
    outputs = [OutputPort("trained_model", PortType.TRAINED_MODEL, label="Trained model")]

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        untrained = unsupervised(inputs, "anomaly", self.name)
        table = table_input(inputs, "dataset")
        return {"trained_model": fit(untrained, feature_columns(table, ctx=ctx), table.frame, None, ctx)}


@registry.register
class ScoreModel(Module):
    id = "score-model"
    name = "Score Model"
    web_service = ServiceRole.SCORE
    category = CATEGORY
    subcategory = "Score"
    description = "Scores predictions for a trained classification, regression, clustering or anomaly model."
    inputs = [InputPort("trained_model", PortType.TRAINED_MODEL, label="Trained model"),
              InputPort("dataset", PortType.DATA_TABLE, label="Dataset")]
    outputs = [OutputPort("scored_dataset", PortType.DATA_TABLE, label="Scored dataset")]
    params = {"append_score_columns_to_output": Bool(
        "Append score columns to output", True, help="Keep the input's columns, or output the scores alone.")}

    @classmethod
    def code_form(cls, node: CodeNode) -> CodeForm:
        return scoring_code(node.facts["inputs"]["trained_model"], node.params["append_score_columns_to_output"])

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        model, table = trained_input(inputs), table_input(inputs, "dataset")
        return {"scored_dataset": scored_table(model, table, params["append_score_columns_to_output"])}

    def row_kernel(self, params: Mapping[str, Any], constants: Mapping[str, Any]) -> RowKernel | None:
        model = constants.get("trained_model")
        score = row_scorer(model, params["append_score_columns_to_output"]) \
            if isinstance(model, TrainedModel) else None
        if score is None:
            return None
        return lambda inputs: {"scored_dataset": score(rows_input(inputs, "dataset"))}


@registry.register
class AssignDataToClusters(Module):
    id = "assign-data-to-clusters"
    name = "Assign Data to Clusters"
    web_service = ServiceRole.SCORE
    category = CATEGORY
    subcategory = "Score"
    description = "Assigns data to clusters using an existing trained clustering model."
    inputs = [InputPort("trained_model", PortType.TRAINED_MODEL, label="Trained model"),
              InputPort("dataset", PortType.DATA_TABLE, label="Dataset")]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE, label="Results dataset")]
    params = {"check_for_append_or_uncheck_for_result_only": Bool("Check for Append or Uncheck for Result Only", True)}

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        model, table = trained_input(inputs), table_input(inputs, "dataset")
        if model.task != "clustering":
            raise ModuleError(f"Assign Data to Clusters needs a trained clustering model; {model.name} is {model.task}")
        append = params["check_for_append_or_uncheck_for_result_only"]
        return {"results_dataset": scored_table(model, table, append)}


# --- Folds shared by Cross-Validate and Tune --------------------------------------------------------


def fold_numbers(y: np.ndarray, task: str, folds: int, seed: int) -> np.ndarray:
    """Seeded folds 0..folds-1, stratified by class when every class has a row for each fold."""
    if len(y) < 2:
        raise ModuleError("Cross-validation needs at least two rows with a label")
    folds = min(folds, len(y))
    counts = np.unique(y, return_counts=True)[1]
    stratify = task != "regression" and counts.min() >= folds
    splitter = (StratifiedKFold if stratify else KFold)(n_splits=folds, shuffle=True, random_state=seed)
    numbers = np.zeros(len(y), dtype=np.int64)
    for number, (_, held_out) in enumerate(splitter.split(np.zeros((len(y), 1)), y)):
        numbers[held_out] = number
    return numbers


def aligned(scores: pd.DataFrame, task: str, classes: list[Any]) -> pd.DataFrame:
    """A fold model's scores with a probability column for every class of the whole dataset."""
    if task != "multiclass":
        return scores
    columns = [class_probability_column(value) for value in classes] + [SCORED_LABELS]
    return scores.reindex(columns=columns, fill_value=0.0)


def held_out_scores(untrained: UntrainedModel, rows: DataTable, label: str, held_out: np.ndarray, ctx: Context,
                    overrides: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Train on the rows not held out, score the held-out rows."""
    model = train_supervised(untrained, rows.with_frame(rows.frame.loc[~held_out]), label, ctx, overrides,
                             exclude=[FOLD_ASSIGNMENTS])
    return score_frame(model, rows.frame.loc[held_out])


def forward_messages(source: Context, target: Context) -> None:
    for message in dict.fromkeys(source.messages):
        target.log(message)


@registry.register
class CrossValidateModel(Module):
    id = "cross-validate-model"
    name = "Cross Validate Model"
    web_service = ServiceRole.EVALUATE
    category = CATEGORY
    subcategory = "Evaluate"
    description = "Cross-validates a classification or regression model: trains and scores it on each fold."
    inputs = [InputPort("untrained_model", PortType.UNTRAINED_MODEL, label="Untrained model"),
              InputPort("dataset", PortType.DATA_TABLE, label="Dataset")]
    outputs = [OutputPort("scored_results", PortType.DATA_TABLE, label="Scored results"),
               OutputPort("evaluation_results_by_fold", PortType.DATA_TABLE, label="Evaluation results by fold")]
    caption = ("label: {label_column}", "random seed {random_seed}")
    params = {"label_column": label_column_param(),
              "random_seed": Seed(help="Seeds the split into 10 folds.")}

    @classmethod
    def check_inputs(cls, params: Mapping[str, Any], inputs: Mapping[str, Schema | None],
                     node: str | None) -> list[Problem]:
        return label_problems(cls, params, inputs.get("dataset"), node)

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        untrained = supervised_input(inputs, self.name)
        table = table_input(inputs, "dataset")
        label = label_name(table, params["label_column"])
        rows = labelled_rows(table, label, ctx)
        rows = rows.with_frame(rows.frame.reset_index(drop=True))
        y = label_values(rows.frame[label])
        classes = label_classes(learner_for(untrained), label, y) or []
        folds = self.folds(rows, y, untrained.task, params["random_seed"])
        quiet, parts, results = Context(), [], []
        numbers = list(dict.fromkeys(sorted(folds.tolist())))
        for index, number in enumerate(numbers):
            held_out = folds == number
            scores = aligned(held_out_scores(untrained, rows, label, held_out, quiet), untrained.task, classes)
            parts.append(scores)
            results.append({"Fold Number": str(number), "Number of examples in fold": int(held_out.sum()),
                            "Model": untrained.name, **fold_metrics(untrained.task, y[held_out], scores, classes)})
            ctx.progress((index + 1) / len(numbers))
        forward_messages(quiet, ctx)
        return {"scored_results": self.scored(rows, folds, pd.concat(parts).sort_index(), label),
                "evaluation_results_by_fold": DataTable(by_fold_table(results, untrained))}

    @staticmethod
    def folds(rows: DataTable, y: np.ndarray, task: str, seed: int) -> np.ndarray:
        """Partition and Sample's fold assignments when present, else 10 seeded folds."""
        if FOLD_ASSIGNMENTS not in rows.frame.columns:
            return fold_numbers(y, task, 10, seed)
        given = rows.frame[FOLD_ASSIGNMENTS]
        if given.isna().any() or given.nunique() < 2:
            raise ModuleError(f"The '{FOLD_ASSIGNMENTS}' column needs a fold for every row and at least two folds",
                              column=FOLD_ASSIGNMENTS)
        return np.asarray(given.to_numpy())

    @staticmethod
    def scored(rows: DataTable, folds: np.ndarray, scores: pd.DataFrame, label: str) -> DataTable:
        frame = rows.frame.drop(columns=[name for name in scores.columns if name in rows.frame.columns])
        if FOLD_ASSIGNMENTS not in frame.columns:
            frame = frame.assign(**{FOLD_ASSIGNMENTS: folds})
        roles = {**rows.roles, label: Role.LABEL, **{name: Role.SCORE for name in scores.columns}}
        return DataTable(pd.concat([frame, scores], axis=1), roles)


def by_fold_table(results: list[dict[str, Any]], untrained: UntrainedModel) -> pd.DataFrame:
    """One row per fold, then the Mean and Standard Deviation rows, as the classic studio showed them."""
    metrics = FOLD_METRICS[untrained.task]
    frame = pd.DataFrame(results, columns=["Fold Number", "Number of examples in fold", "Model", *metrics])
    numbers = frame[["Number of examples in fold", *metrics]].astype(float)
    summary = pd.DataFrame([{"Fold Number": "Mean", "Model": untrained.name, **numbers.mean().to_dict()},
                            {"Fold Number": "Standard Deviation", "Model": untrained.name, **numbers.std().to_dict()}])
    return pd.concat([frame.assign(**numbers), summary], ignore_index=True)


# --- Tune Model Hyperparameters ---------------------------------------------------------------------

MAX_SWEEP_RUNS = 200  # models a sweep trains (each on 3 folds): random sweep runs, and the entire grid
CLASSIFICATION_CHOICES = ["Accuracy", "Precision", "Recall", "F-score", "AUC", "Average Log Loss"]
REGRESSION_CHOICES = {"Mean absolute error": "Mean Absolute Error", "Root of mean squared error":
                      "Root Mean Squared Error", "Relative absolute error": "Relative Absolute Error",
                      "Relative squared error": "Relative Squared Error",
                      "Coefficient of determination": "Coefficient of Determination"}
BINARY_METRICS = {"Accuracy": "Accuracy", "Precision": "Precision", "Recall": "Recall", "F-score": "F1 Score",
                  "AUC": "AUC", "Average Log Loss": "Average Log Loss"}
MULTICLASS_METRICS = {"Accuracy": "Overall accuracy", "Precision": "Macro-averaged precision",
                      "Recall": "Macro-averaged recall", "F-score": "Macro-averaged F1 Score",
                      "Average Log Loss": "Average Log Loss"}


def chosen_metric(params: Mapping[str, Any], task: str) -> str:
    if task == "regression":
        return REGRESSION_CHOICES[params["metric_for_measuring_performance_for_regression"]]
    choice = params["metric_for_measuring_performance_for_classification"]
    names = BINARY_METRICS if task == "binary" else MULTICLASS_METRICS
    if choice not in names:
        raise ModuleError(f"{choice} is measured for two-class models only; choose another metric for a multiclass "
                          "learner", parameter="metric_for_measuring_performance_for_classification")
    return names[choice]


def sweep_points(space: Mapping[str, list[Any]], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every combination of the ranges (Entire grid), or a seeded sample of them (Random sweep)."""
    keys = list(space)
    if not keys:
        return [{}]
    sizes = [len(space[key]) for key in keys]
    total = math.prod(sizes)
    picks: Any = range(total)
    runs = params["maximum_number_of_runs_on_random_sweep"]
    if params["specify_parameter_sweeping_mode"] == "Entire grid" and total > MAX_SWEEP_RUNS:
        raise ModuleError(f"The entire grid of the learner's ranges has {total} points; at most {MAX_SWEEP_RUNS} are "
                          "swept. Give fewer values in its ranges, or choose Random sweep",
                          parameter="specify_parameter_sweeping_mode")
    if params["specify_parameter_sweeping_mode"] == "Random sweep" and total > runs:
        picks = sorted(np.random.default_rng(params["random_seed"]).choice(total, size=runs, replace=False))
    return [{key: space[key][int(i)] for key, i in zip(keys, np.unravel_index(int(pick), sizes), strict=True)}
            for pick in picks]


@registry.register
class TuneModelHyperparameters(Module):
    id = "tune-model-hyperparameters"
    name = "Tune Model Hyperparameters"
    web_service = ServiceRole.TRAIN
    category = CATEGORY
    subcategory = "Train"
    description = "Performs a parameter sweep on a model to determine the optimum parameter settings."
    inputs = [InputPort("untrained_model", PortType.UNTRAINED_MODEL, label="Untrained model"),
              InputPort("training_dataset", PortType.DATA_TABLE, label="Training dataset"),
              InputPort("optional_validation_dataset", PortType.DATA_TABLE, optional=True,
                        label="Optional validation dataset")]
    outputs = [OutputPort("sweep_results", PortType.DATA_TABLE, label="Sweep results"),
               OutputPort("trained_best_model", PortType.TRAINED_MODEL, label="Trained best model")]
    caption = ("label: {label_column}", "{specify_parameter_sweeping_mode}")
    params = {
        "specify_parameter_sweeping_mode": Choice("Specify parameter sweeping mode", "Random sweep",
                                                  choices=["Entire grid", "Random sweep"]),
        "maximum_number_of_runs_on_random_sweep": Int("Maximum number of runs on random sweep", 5, minimum=1,
                                                      maximum=MAX_SWEEP_RUNS,
                                                      when={"specify_parameter_sweeping_mode": ["Random sweep"]}),
        "random_seed": Seed(help="Seeds the random sweep and the 3-fold split."),
        "label_column": label_column_param(),
        "metric_for_measuring_performance_for_classification": Choice(
            "Metric for measuring performance for classification", "Accuracy", choices=CLASSIFICATION_CHOICES),
        "metric_for_measuring_performance_for_regression": Choice(
            "Metric for measuring performance for regression", "Mean absolute error", choices=list(REGRESSION_CHOICES)),
    }

    @classmethod
    def check_inputs(cls, params: Mapping[str, Any], inputs: Mapping[str, Schema | None],
                     node: str | None) -> list[Problem]:
        return label_problems(cls, params, inputs.get("training_dataset"), node)

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        untrained = supervised_input(inputs, self.name)
        learner = learner_for(untrained)
        training = table_input(inputs, "training_dataset")
        label = label_name(training, params["label_column"])
        metric = chosen_metric(params, untrained.task)
        rows = labelled_rows(training, label, ctx)
        rows = rows.with_frame(rows.frame.reset_index(drop=True))
        validation = self.validation_rows(inputs.get("optional_validation_dataset"), label)
        points = sweep_points(learner.sweep_space(untrained.params), params)
        quiet, results = Context(), []
        for index, point in enumerate(points):
            results.append(point_metrics(untrained, rows, validation, label, point, params["random_seed"], quiet))
            ctx.progress((index + 1) / (len(points) + 1))
        forward_messages(quiet, ctx)
        table = sweep_table(untrained, points, results, metric)
        best = points[int(table.index[0])]
        model = train_supervised(untrained, rows, label, ctx, overrides=best)
        model.info["sweep"] = {"metric": metric, "best": best, "runs": len(points)}
        return {"sweep_results": DataTable(table.reset_index(drop=True)), "trained_best_model": model}

    @staticmethod
    def validation_rows(table: Any, label: str) -> DataTable | None:
        if table is None:
            return None
        if not isinstance(table, DataTable) or label not in table.frame.columns:
            raise ModuleError(f"The validation dataset needs the label column '{label}'", column=label)
        return labelled_rows(table, label, Context())


def point_metrics(untrained: UntrainedModel, rows: DataTable, validation: DataTable | None, label: str,
                  point: Mapping[str, Any], seed: int, ctx: Context) -> dict[str, Any]:
    """One sweep point's metrics: on the validation set, or averaged over 3 seeded folds."""
    y = label_values(rows.frame[label])
    if validation is not None:
        model = train_supervised(untrained, rows, label, ctx, overrides=point)
        return fold_metrics(untrained.task, label_values(validation.frame[label]),
                            score_frame(model, validation.frame), model.classes or [])
    classes = np.unique(y).tolist() if untrained.task != "regression" else []
    folds = fold_numbers(y, untrained.task, 3, seed)
    per_fold = [fold_metrics(untrained.task, y[folds == number],
                             aligned(held_out_scores(untrained, rows, label, folds == number, ctx, point),
                                     untrained.task, classes), classes)
                for number in range(folds.max() + 1)]
    return dict(pd.DataFrame(per_fold).astype(float).mean())


def sweep_table(untrained: UntrainedModel, points: list[dict[str, Any]], results: list[dict[str, Any]],
                metric: str) -> pd.DataFrame:
    """The swept values by their labels and every metric, best point first (ties keep sweep order)."""
    learner = learner_for(untrained)
    labels = {key: learner.sweep_label(untrained.params, key) for key in points[0]}
    metrics = FOLD_METRICS[untrained.task]
    frame = pd.DataFrame([{labels[key]: value for key, value in point.items()} for point in points],
                         columns=list(labels.values()))
    frame = pd.concat([frame, pd.DataFrame(results, columns=metrics).astype(float)], axis=1)
    return frame.sort_values(metric, ascending=metric in LOWER_IS_BETTER, na_position="last", kind="stable")
