"""Train, Score, Tune and Cross-Validate: checked against scikit-learn run by hand on the same data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_absolute_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from experiments.modules import evaluate, learners, train_score  # noqa: F401  (registers the modules)
from experiments.modules.framework.artifacts import TrainedModel, UntrainedModel
from experiments.modules.framework.base import Context, ModuleError
from experiments.modules.framework.datatable import Column, DataTable, Kind, Role
from experiments.modules.framework.registry import registry

TOLERANCE = 1e-9


@pytest.fixture(autouse=True)
def one_thread():
    """The hand-written references run single-threaded too, like training.py (OpenMP crawls on a busy core)."""
    with threadpool_limits(limits=1):
        yield


def run(module_id: str, inputs: dict[str, Any] | None = None, ctx: Context | None = None,
        **params: Any) -> dict[str, Any]:
    cls = registry.get(module_id)
    cleaned, problems = cls.clean_params(params, "n1")
    assert not problems, problems
    return cls().execute(inputs or {}, cleaned, ctx or Context())


def untrained(module_id: str, **params: Any) -> UntrainedModel:
    return run(module_id, **params)["untrained_model"]


def train(learner: UntrainedModel, frame: pd.DataFrame, label: str, ctx: Context | None = None) -> TrainedModel:
    return run("train-model", {"untrained_model": learner, "dataset": DataTable(frame)}, ctx,
               label_column=[label])["trained_model"]


def score(model: TrainedModel, frame: pd.DataFrame, **params: Any) -> DataTable:
    return run("score-model", {"trained_model": model, "dataset": DataTable(frame)}, **params)["scored_dataset"]


def evaluated(scored: DataTable) -> dict[str, Any]:
    return run("evaluate-model", {"scored_dataset": scored})["evaluation_results"].metrics


def split(frame: pd.DataFrame, label: str, stratify: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    return train_test_split(frame, test_size=0.3, random_state=11, stratify=frame[label] if stratify else None)


# --- Correctness against plain scikit-learn ---------------------------------------------------------


def test_two_class_boosted_tree_on_breast_cancer_matches_scikit_learn():
    data = load_breast_cancer(as_frame=True)
    frame = data.data.assign(diagnosis=np.where(data.target == 1, "benign", "malignant"))
    training, test = split(frame, "diagnosis")
    model = train(untrained("two-class-boosted-decision-tree", random_number_seed=5), training, "diagnosis")
    scored = score(model, test)
    metrics = evaluated(scored)

    features = list(data.data.columns)
    reference = HistGradientBoostingClassifier(max_leaf_nodes=20, min_samples_leaf=10, learning_rate=0.2,
                                               max_iter=100, early_stopping=False, random_state=5)
    reference.fit(training[features].to_numpy(), training["diagnosis"].to_numpy())
    proba = reference.predict_proba(test[features].to_numpy())
    predicted, truth = reference.predict(test[features].to_numpy()), test["diagnosis"].to_numpy()
    positive = "malignant"  # the second class in sorted order
    assert list(reference.classes_) == ["benign", "malignant"] and model.classes == ["benign", "malignant"]
    assert np.abs(scored.frame["Scored Probabilities"].to_numpy() - proba[:, 1]).max() < TOLERANCE
    assert scored.frame["Scored Labels"].tolist() == predicted.tolist()
    expected = {
        "Accuracy": accuracy_score(truth, predicted),
        "Precision": precision_score(truth, predicted, pos_label=positive),
        "Recall": recall_score(truth, predicted, pos_label=positive),
        "F1 Score": f1_score(truth, predicted, pos_label=positive),
        "AUC": roc_auc_score(truth == positive, proba[:, 1]),
        "Average Log Loss": log_loss(truth, proba),
    }
    for name, value in expected.items():
        assert abs(metrics[name] - value) < TOLERANCE, name
    tn, fp, fn, tp = confusion_matrix(truth, predicted, labels=["benign", "malignant"]).ravel()
    assert [metrics[k] for k in ("True Positive", "False Negative", "False Positive", "True Negative")] == \
        [tp, fn, fp, tn]
    assert (metrics["Positive Label"], metrics["Negative Label"], metrics["Threshold"]) == ("malignant", "benign", 0.5)


@pytest.mark.parametrize("learner, params, reference", [
    ("linear-regression", {}, Ridge(alpha=0.001)),
    ("boosted-decision-tree-regression", {"random_number_seed": 2, "number_of_trees_constructed": 30},
     HistGradientBoostingRegressor(max_leaf_nodes=20, min_samples_leaf=10, learning_rate=0.2, max_iter=30,
                                   early_stopping=False, random_state=2)),
])
def test_regression_on_diabetes_matches_scikit_learn(learner, params, reference):
    data = load_diabetes(as_frame=True)
    frame = data.data.assign(progression=data.target)
    training, test = split(frame, "progression", stratify=False)
    scored = score(train(untrained(learner, **params), training, "progression"), test)
    metrics = evaluated(scored)

    features = list(data.data.columns)
    predicted = reference.fit(training[features].to_numpy(), training["progression"]).predict(test[features].to_numpy())
    truth = test["progression"].to_numpy()
    assert np.abs(scored.frame["Scored Labels"].to_numpy() - predicted).max() < TOLERANCE
    expected = {
        "Mean Absolute Error": mean_absolute_error(truth, predicted),
        "Root Mean Squared Error": root_mean_squared_error(truth, predicted),
        "Relative Absolute Error": np.abs(truth - predicted).sum() / np.abs(truth - truth.mean()).sum(),
        "Relative Squared Error": ((truth - predicted) ** 2).sum() / ((truth - truth.mean()) ** 2).sum(),
        "Coefficient of Determination": r2_score(truth, predicted),
    }
    for name, value in expected.items():
        assert abs(metrics[name] - value) < TOLERANCE, name


@pytest.mark.parametrize("learner, params, reference", [
    ("multiclass-decision-forest", {"random_number_seed": 4},
     RandomForestClassifier(n_estimators=8, max_depth=32, min_samples_leaf=1, random_state=4)),
    ("multiclass-logistic-regression", {"l1_regularization_weight": 0.0, "l2_regularization_weight": 0.5},
     make_pipeline(StandardScaler(), LogisticRegression(C=2.0, tol=1e-7, max_iter=1000, random_state=0))),
])
def test_multiclass_on_iris_matches_scikit_learn(learner, params, reference):
    data = load_iris(as_frame=True)
    frame = data.data.assign(species=np.asarray(data.target_names)[data.target])
    training, test = split(frame, "species")
    scored = score(train(untrained(learner, **params), training, "species"), test)
    metrics = evaluated(scored)

    features = list(data.data.columns)
    reference.fit(training[features].to_numpy(), training["species"].to_numpy())
    predicted, truth = reference.predict(test[features].to_numpy()), test["species"].to_numpy()
    proba = reference.predict_proba(test[features].to_numpy())
    for index, name in enumerate(data.target_names):
        column = scored.frame[f'Scored Probabilities for Class "{name}"'].to_numpy()
        assert np.abs(column - proba[:, index]).max() < TOLERANCE
    labels = sorted(data.target_names)
    matrix = confusion_matrix(truth, predicted, labels=labels)
    per_class = [(matrix.sum() - matrix[i].sum() - matrix[:, i].sum() + 2 * matrix[i, i]) / matrix.sum()
                 for i in range(len(labels))]
    expected = {
        "Overall accuracy": accuracy_score(truth, predicted), "Average accuracy": np.mean(per_class),
        "Micro-averaged precision": precision_score(truth, predicted, average="micro"),
        "Macro-averaged precision": precision_score(truth, predicted, average="macro"),
        "Micro-averaged recall": recall_score(truth, predicted, average="micro"),
        "Macro-averaged recall": recall_score(truth, predicted, average="macro"),
    }
    for name, value in expected.items():
        assert abs(metrics[name] - value) < TOLERANCE, name


# --- Train Model ------------------------------------------------------------------------------------


def census(rows: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, size=rows)
    work = rng.choice(["Private", "State-gov", "Self-emp"], size=rows)
    income = np.where(age + rng.normal(scale=10, size=rows) > 45, ">50K", "<=50K")
    return pd.DataFrame({"age": age, "workclass": work, "hours": rng.normal(40, 5, size=rows), "income": income})


def test_train_model_records_features_label_classes_and_info():
    frame = census()
    frame.loc[[3, 7], "income"] = None
    ctx = Context()
    model = train(untrained("two-class-decision-forest"), frame, "income", ctx)
    assert model.features == [Column("age", Kind.NUMERIC), Column("workclass", Kind.STRING),
                              Column("hours", Kind.NUMERIC)]
    assert (model.label, model.classes, model.task, model.learner) == ("income", ["<=50K", ">50K"], "binary",
                                                                       "two-class-decision-forest")
    assert all(type(value) is str for value in model.classes)
    assert model.info["training_rows"] == 118
    assert set(model.info["feature_importances"]) == {"age", "workclass", "hours"}
    assert "2 rows with a missing value in the label column 'income' were left out" in ctx.messages
    back = TrainedModel.from_bytes(model.to_bytes())
    pd.testing.assert_frame_equal(score(back, frame).frame, score(model, frame).frame)


def test_label_role_columns_scores_and_weights_are_not_features():
    frame = census().assign(weight=1.0, **{"Scored Labels": "x"})
    table = DataTable(frame, {"weight": Role.WEIGHT, "Scored Labels": Role.SCORE})
    model = run("train-model", {"untrained_model": untrained("two-class-logistic-regression"), "dataset": table},
                label_column=["income"])["trained_model"]
    assert [column.name for column in model.features] == ["age", "workclass", "hours"]


@pytest.mark.parametrize("learner, label, change, message", [
    ("two-class-logistic-regression", [], None, "Select exactly one label column; the selection matches none"),
    ("two-class-logistic-regression", ["salary"], None,
     "Label column: Column 'salary' not found in the input (it has 4 columns)"),
    ("two-class-logistic-regression", ["income"], {"income": "<=50K"},
     "The label column 'income' has only one value ('<=50K'); a two-class learner needs two"),
    ("two-class-boosted-decision-tree", ["workclass"], None,
     "The label column 'workclass' has 3 values; a two-class learner needs exactly two (use a multiclass learner "
     "or One-vs-All Multiclass)"),
    ("linear-regression", ["income"], None,
     "The label column 'income' is not numeric; Linear Regression needs a numeric label"),
    ("poisson-regression", ["hours"], {"hours": -1.0},
     "The label column 'hours' has negative values; Poisson Regression needs counts"),
    ("two-class-logistic-regression", ["income"], {"income": None},
     "The label column 'income' has no values to learn from"),
    ("k-means-clustering", ["income"], None, "K-Means Clustering is trained with Train Clustering Model"),
])
def test_train_model_names_what_is_wrong(learner, label, change, message):
    frame = census().assign(**(change or {}))
    with pytest.raises(ModuleError) as raised:
        run("train-model", {"untrained_model": untrained(learner), "dataset": DataTable(frame)}, label_column=label)
    assert str(raised.value) == message


@pytest.mark.parametrize("chosen", [{}, {"label_column": []}])  # [] is what an emptied column list saves
def test_the_label_role_is_the_default_label_column(chosen):
    table = DataTable(census(), {"income": Role.LABEL})
    model = run("train-model", {"untrained_model": untrained("two-class-logistic-regression"), "dataset": table},
                **chosen)
    assert model["trained_model"].label == "income"


# --- Score Model ------------------------------------------------------------------------------------


def test_score_model_appends_scores_with_roles_and_handles_unseen_categories_and_missing_values():
    model = train(untrained("two-class-logistic-regression"), census(), "income")
    fresh = census(rows=6, seed=1)
    fresh.loc[0, "workclass"], fresh.loc[1, "age"], fresh.loc[2, "workclass"] = "Never-worked", None, None
    scored = score(model, fresh)
    assert scored.columns == ["age", "workclass", "hours", "income", "Scored Labels", "Scored Probabilities"]
    assert scored.roles == {"income": Role.LABEL, "Scored Labels": Role.SCORE, "Scored Probabilities": Role.SCORE}
    probabilities = scored.frame["Scored Probabilities"]
    assert probabilities.between(0, 1).all()
    assert (scored.frame["Scored Labels"] == np.where(probabilities > 0.5, ">50K", "<=50K")).all()


def test_score_model_can_output_the_scores_alone_and_replaces_older_scores():
    model = train(untrained("linear-regression"), census(), "hours")
    scored = score(model, census(rows=5), append_score_columns_to_output=False)
    assert scored.columns == ["Scored Labels"] and scored.roles == {"Scored Labels": Role.SCORE}
    again = run("score-model", {"trained_model": model, "dataset": score(model, census(rows=5))})["scored_dataset"]
    assert again.columns == ["age", "workclass", "hours", "income", "Scored Labels"]


def test_score_model_names_missing_feature_columns():
    model = train(untrained("two-class-logistic-regression"), census(), "income")
    with pytest.raises(ModuleError) as raised:
        score(model, census().drop(columns=["age", "hours"]))
    assert str(raised.value) == "The dataset lacks the column(s) 'age', 'hours' that the model was trained on"
    assert raised.value.column == "age"


def test_score_model_on_an_empty_table_gives_empty_score_columns():
    model = train(untrained("multiclass-decision-forest"), census(), "workclass")
    scored = score(model, census().iloc[:0])
    assert len(scored.frame) == 0
    assert scored.columns[-4:] == ['Scored Probabilities for Class "Private"', 'Scored Probabilities for Class '
                                   '"Self-emp"', 'Scored Probabilities for Class "State-gov"', "Scored Labels"]


# --- Clustering and anomaly detection ---------------------------------------------------------------


def blobs() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    points = np.vstack([rng.normal(0, 0.3, size=(30, 2)), rng.normal(5, 0.3, size=(30, 2))])
    return pd.DataFrame({"x": points[:, 0], "y": points[:, 1], "name": [f"p{i}" for i in range(60)]})


def test_train_clustering_model_assigns_rows_as_k_means_does():
    outputs = run("train-clustering-model", {"untrained_model": untrained("k-means-clustering", random_number_seed=1),
                                             "dataset": DataTable(blobs())}, column_set=["x", "y"])
    results = outputs["results_dataset"]
    assert results.columns == ["x", "y", "name", "Assignments", "DistancesToClusterCenter no.0",
                               "DistancesToClusterCenter no.1"]
    reference = KMeans(n_clusters=2, n_init=1, max_iter=100, random_state=1).fit(blobs()[["x", "y"]].to_numpy())
    assert results.frame["Assignments"].tolist() == reference.labels_.tolist()
    assert np.allclose(results.frame.iloc[:, -2:].to_numpy(), reference.transform(blobs()[["x", "y"]].to_numpy()))
    only = run("assign-data-to-clusters", {"trained_model": outputs["trained_model"], "dataset": DataTable(blobs())},
               check_for_append_or_uncheck_for_result_only=False)["results_dataset"]
    pd.testing.assert_frame_equal(only.frame, results.frame.iloc[:, 3:])


def test_assign_data_to_clusters_refuses_a_classifier():
    model = train(untrained("two-class-logistic-regression"), census(), "income")
    with pytest.raises(ModuleError, match="needs a trained clustering model"):
        run("assign-data-to-clusters", {"trained_model": model, "dataset": DataTable(census())})


@pytest.mark.parametrize("learner", ["pca-based-anomaly-detection", "one-class-support-vector-machine"])
def test_anomaly_detectors_mark_far_rows_as_anomalies(learner):
    normal = pd.DataFrame(np.random.default_rng(3).normal(size=(200, 2)), columns=["x", "y"])
    model = run("train-anomaly-detection-model", {"untrained_model": untrained(learner),
                                                  "dataset": DataTable(normal)})["trained_model"]
    scored = score(model, pd.DataFrame({"x": [0.5, 40.0], "y": [0.3, -40.0]}))
    assert scored.frame["Scored Labels"].tolist() == [0, 1]
    assert scored.frame["Scored Probabilities"].iloc[1] > 0.5 > scored.frame["Scored Probabilities"].iloc[0]
    assert TrainedModel.from_bytes(model.to_bytes()).task == "anomaly"


# --- Cross-Validate Model ---------------------------------------------------------------------------


def test_cross_validate_scores_every_row_out_of_fold_and_summarises_folds():
    frame = census(rows=100)
    outputs = run("cross-validate-model", {"untrained_model": untrained("two-class-decision-forest"),
                                           "dataset": DataTable(frame)}, label_column=["income"], random_seed=3)
    scored, by_fold = outputs["scored_results"], outputs["evaluation_results_by_fold"].frame
    assert scored.columns == ["age", "workclass", "hours", "income", "Fold Assignments", "Scored Labels",
                              "Scored Probabilities"]
    assert sorted(set(scored.frame["Fold Assignments"])) == list(range(10))
    assert by_fold["Fold Number"].tolist() == [str(i) for i in range(10)] + ["Mean", "Standard Deviation"]
    assert by_fold.columns.tolist() == ["Fold Number", "Number of examples in fold", "Model", "Accuracy",
                                        "Precision", "Recall", "F1 Score", "AUC", "Average Log Loss"]
    folds = by_fold.iloc[:10]
    assert folds["Number of examples in fold"].sum() == 100
    assert by_fold.iloc[10]["Accuracy"] == pytest.approx(folds["Accuracy"].mean())
    assert by_fold.iloc[11]["Accuracy"] == pytest.approx(folds["Accuracy"].std())
    held_out = scored.frame["Fold Assignments"] == 4
    model = train(untrained("two-class-decision-forest"), frame[~held_out.to_numpy()], "income")
    expected = score(model, frame[held_out.to_numpy()]).frame["Scored Probabilities"].to_numpy()
    assert np.allclose(scored.frame.loc[held_out, "Scored Probabilities"].to_numpy(), expected)
    assert folds.iloc[4]["Accuracy"] == pytest.approx(
        accuracy_score(frame["income"][held_out], scored.frame.loc[held_out, "Scored Labels"]))


def test_cross_validate_uses_partition_and_sample_folds():
    frame = census(rows=60).assign(**{"Fold Assignments": np.arange(60) % 3})
    outputs = run("cross-validate-model", {"untrained_model": untrained("linear-regression"),
                                           "dataset": DataTable(frame)}, label_column=["hours"])
    by_fold = outputs["evaluation_results_by_fold"].frame
    assert by_fold["Fold Number"].tolist() == ["0", "1", "2", "Mean", "Standard Deviation"]
    assert by_fold["Number of examples in fold"].tolist()[:3] == [20, 20, 20]
    assert "Coefficient of Determination" in by_fold.columns
    assert outputs["scored_results"].columns.count("Fold Assignments") == 1


def test_cross_validate_multiclass_keeps_a_probability_column_per_class():
    outputs = run("cross-validate-model", {"untrained_model": untrained("multiclass-decision-forest"),
                                           "dataset": DataTable(census())}, label_column=["workclass"])
    columns = outputs["scored_results"].columns
    assert [c for c in columns if c.startswith("Scored")] == [
        'Scored Probabilities for Class "Private"', 'Scored Probabilities for Class "Self-emp"',
        'Scored Probabilities for Class "State-gov"', "Scored Labels"]


def test_cross_validate_refuses_clustering_learners():
    with pytest.raises(ModuleError, match="works with classification and regression learners"):
        run("cross-validate-model", {"untrained_model": untrained("k-means-clustering"),
                                     "dataset": DataTable(census())}, label_column=["income"])


# --- Tune Model Hyperparameters ---------------------------------------------------------------------


def ranged_tree(**ranges: str) -> UntrainedModel:
    defaults = {"maximum_number_of_leaves_per_tree_range": "4, 8", "minimum_number_of_samples_per_leaf_node_range":
                "5", "learning_rate_range": "0.1, 0.3", "number_of_trees_constructed_range": "10"}
    return untrained("two-class-boosted-decision-tree", create_trainer_mode="Parameter Range", **(defaults | ranges))


def test_tune_sweeps_the_entire_grid_and_refits_the_best_point():
    outputs = run("tune-model-hyperparameters", {"untrained_model": ranged_tree(), "training_dataset":
                                                 DataTable(census())},
                  specify_parameter_sweeping_mode="Entire grid", label_column=["income"], random_seed=2)
    sweep = outputs["sweep_results"].frame
    assert sweep.columns.tolist() == ["Maximum number of leaves per tree", "Minimum number of samples per leaf node",
                                      "Learning rate", "Number of trees constructed", "Accuracy", "Precision",
                                      "Recall", "F1 Score", "AUC", "Average Log Loss"]
    assert sorted(zip(sweep["Maximum number of leaves per tree"], sweep["Learning rate"], strict=True)) == [
        (4, 0.1), (4, 0.3), (8, 0.1), (8, 0.3)]
    assert sweep["Accuracy"].is_monotonic_decreasing
    best = outputs["trained_best_model"]
    assert best.params["maximum_number_of_leaves_per_tree"] == sweep.iloc[0]["Maximum number of leaves per tree"]
    assert best.params["learning_rate"] == sweep.iloc[0]["Learning rate"]
    assert best.estimator.named_steps["learner"].max_leaf_nodes == sweep.iloc[0]["Maximum number of leaves per tree"]


def test_tune_random_sweep_is_seeded_and_limited():
    def sweep(seed: int) -> pd.DataFrame:
        outputs = run("tune-model-hyperparameters", {"untrained_model": ranged_tree(learning_rate_range="0.05, 0.1, "
                                                                                    "0.2, 0.3, 0.4, 0.5"),
                                                     "training_dataset": DataTable(census())},
                      maximum_number_of_runs_on_random_sweep=3, random_seed=seed, label_column=["income"],
                      metric_for_measuring_performance_for_classification="Average Log Loss")
        return outputs["sweep_results"].frame

    first = sweep(1)
    assert len(first) == 3 and first["Average Log Loss"].is_monotonic_increasing
    pd.testing.assert_frame_equal(first, sweep(1))


def test_an_entire_grid_over_the_sweep_maximum_is_refused_before_any_fit():
    values = ", ".join(str(n) for n in range(2, 17))  # 15 x 15 = 225 points, over the 200 a sweep may train
    learner = ranged_tree(maximum_number_of_leaves_per_tree_range=values,
                          minimum_number_of_samples_per_leaf_node_range=values, learning_rate_range="0.1")
    with pytest.raises(ModuleError, match="The entire grid of the learner's ranges has 225 points; at most 200") as e:
        run("tune-model-hyperparameters", {"untrained_model": learner, "training_dataset": DataTable(census())},
            specify_parameter_sweeping_mode="Entire grid", label_column=["income"])
    assert e.value.parameter == "specify_parameter_sweeping_mode"
    _, problems = registry.get("two-class-boosted-decision-tree").clean_params(
        {"create_trainer_mode": "Parameter Range", "learning_rate_range": ", ".join(["0.1"] * 101)}, "n4")
    assert [p.parameter for p in problems] == ["learning_rate_range"]
    assert "must be at most 100 values separated by commas" in problems[0].message


def test_tune_measures_on_the_validation_set_when_given():
    training, validation = split(census(rows=150), "income")
    learner = untrained("linear-regression", create_trainer_mode="Parameter Range",
                        l2_regularization_weight_range="0.001, 1000")
    outputs = run("tune-model-hyperparameters", {"untrained_model": learner, "training_dataset": DataTable(training),
                                                 "optional_validation_dataset": DataTable(validation)},
                  label_column=["hours"], metric_for_measuring_performance_for_regression="Mean absolute error")
    sweep = outputs["sweep_results"].frame
    for _, row in sweep.iterrows():
        point = untrained("linear-regression", l2_regularization_weight=row["L2 regularization weight"])
        scored = score(train(point, training, "hours"), validation)
        assert row["Mean Absolute Error"] == pytest.approx(evaluated(scored)["Mean Absolute Error"], abs=TOLERANCE)
    assert outputs["trained_best_model"].params["l2_regularization_weight"] == sweep.iloc[0]["L2 regularization weight"]


def test_tune_in_single_parameter_mode_runs_one_point():
    outputs = run("tune-model-hyperparameters", {"untrained_model": untrained("multiclass-logistic-regression"),
                                                 "training_dataset": DataTable(census())}, label_column=["workclass"])
    sweep = outputs["sweep_results"].frame
    assert len(sweep) == 1 and sweep.columns[0] == "Overall accuracy"


def test_tune_refuses_auc_for_multiclass_learners():
    with pytest.raises(ModuleError, match="AUC is measured for two-class models only"):
        run("tune-model-hyperparameters", {"untrained_model": untrained("multiclass-decision-forest"),
                                           "training_dataset": DataTable(census())}, label_column=["workclass"],
            metric_for_measuring_performance_for_classification="AUC")


def test_tune_with_a_validation_class_the_model_never_saw_does_not_fail():
    training = census()
    validation = census(rows=30, seed=4).assign(workclass="Without-pay")
    outputs = run("tune-model-hyperparameters", {"untrained_model": untrained("multiclass-decision-forest"),
                                                 "training_dataset": DataTable(training),
                                                 "optional_validation_dataset": DataTable(validation)},
                  label_column=["workclass"])
    row = outputs["sweep_results"].frame.iloc[0]
    assert row["Overall accuracy"] == 0.0 and np.isnan(row["Average Log Loss"])
