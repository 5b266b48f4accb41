"""The engine's results equal the same steps written by hand with pandas and scikit-learn (to 1e-9).

Each case runs an experiment through the engine (run_execute, as the worker does) on a shipped sample,
then repeats its steps directly: same split (numpy's seeded permutation), same encoding (ordinal codes
for trees, one-hot for linear models), same estimator and seed, metrics from sklearn.metrics.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from experiments.datasets import dataset_table, samples_load
from experiments.engine import store
from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import CacheEntry, Dataset, Experiment, NodeRun, Run
from experiments.services import run_execute

pytestmark = pytest.mark.django_db(transaction=True)
SEED = 42






def pipeline_graph(dataset_id, learner, label, first_steps=()):
    nodes = [node("data", "dataset", dataset=dataset_id), *[node(i, m, **p) for i, m, p in first_steps],
             node("split", "split-data", fraction_of_rows_in_the_first_output_dataset=0.7, random_seed=SEED),
             node("learner", learner), node("train", "train-model", label_column=[label]),
             node("score", "score-model"), node("evaluate", "evaluate-model")]
    chain = ["data", *[i for i, _, _ in first_steps], "split"]
    ports = {"data": "dataset", "clean": "cleaned_dataset"}
    edges = [edge(a, ports[a], b, "dataset") for a, b in itertools.pairwise(chain)]
    edges += [edge("learner", "untrained_model", "train", "untrained_model"),
              edge("split", "results1", "train", "dataset"), edge("train", "trained_model", "score", "trained_model"),
              edge("split", "results2", "score", "dataset"), edge("score", "scored_dataset", "evaluate",
                                                                  "scored_dataset")]
    return {"nodes": nodes, "edges": edges}


def run_through_engine(owner, graph):
    experiment = Experiment.objects.create(workspace=owner.workspace, name="correctness", graph=graph)
    run = Run.objects.create(experiment=experiment, graph=graph)
    NodeRun.objects.bulk_create([NodeRun(run=run, node_id=n["id"], module=n["module"]) for n in graph["nodes"]])
    status = run_execute(run_id=run.pk, worker="test")
    errors = dict(run.node_runs.exclude(error="").values_list("node_id", "error"))
    assert status == "finished", errors
    key = run.node_runs.get(node_id="evaluate").cache_key
    return store.load_output(CacheEntry.objects.get(pk=key).outputs["evaluation_results"]).metrics


def sample(name):
    samples_load([name])
    dataset = Dataset.objects.get(name=name)
    return dataset, dataset_table(dataset).frame


def split(frame):
    order = np.random.default_rng(SEED).permutation(len(frame))
    cut = round(0.7 * len(frame))
    return frame.iloc[order[:cut]], frame.iloc[order[cut:]]


def features(frame, label, encoder):
    x = frame.drop(columns=[label])
    numeric = [c for c in x.columns if pd.api.types.is_numeric_dtype(x[c])]
    text = [c for c in x.columns if c not in numeric]
    prepared = x.assign(**{c: x[c].astype(str).astype(object).where(x[c].notna(), np.nan) for c in text},
                        **{c: x[c].astype(float) for c in numeric})
    return prepared, ColumnTransformer([step for step in (("numeric", encoder[0], numeric),
                                                           ("categorical", encoder[1], text)) if step[2]])


TREE_ENCODING = ("passthrough", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan))
ONE_HOT = (SimpleImputer(strategy="mean", keep_empty_features=True),
           OneHotEncoder(handle_unknown="ignore", sparse_output=False))


def fit_by_hand(train, test, label, encoder, estimator):
    x_train, columns = features(train, label, encoder)
    x_test, _ = features(test, label, encoder)
    model = Pipeline([("features", columns), ("learner", estimator)]).fit(x_train, train[label].to_numpy())
    return model, x_test


def assert_metrics_match(engine, by_hand):
    for name, value in by_hand.items():
        assert engine[name] == pytest.approx(value, abs=1e-9), name


def test_binary_income_pipeline_matches_scikit_learn(owner):
    dataset, frame = sample("Adult Census Income Binary Classification dataset")
    graph = pipeline_graph(dataset.pk, "two-class-boosted-decision-tree", "income",
                           [("clean", "clean-missing-data", {"cleaning_mode": "Replace with mode"})])
    engine = run_through_engine(owner, graph)

    cleaned = frame.fillna({c: frame[c].mode().iloc[0] for c in frame.columns})
    train, test = split(cleaned)
    estimator = HistGradientBoostingClassifier(max_leaf_nodes=20, min_samples_leaf=10, learning_rate=0.2, max_iter=100,
                                               early_stopping=False, random_state=0)
    model, x_test = fit_by_hand(train, test, "income", TREE_ENCODING, estimator)
    probability = model.predict_proba(x_test)[:, 1]
    truth, predicted = (test["income"] == ">50K").to_numpy(), model.predict(x_test) == ">50K"
    assert_metrics_match(engine, {
        "AUC": metrics.roc_auc_score(truth, probability), "Accuracy": metrics.accuracy_score(truth, predicted),
        "Precision": metrics.precision_score(truth, predicted), "Recall": metrics.recall_score(truth, predicted),
        "F1 Score": metrics.f1_score(truth, predicted), "Average Log Loss": metrics.log_loss(truth, probability)})
    assert engine["AUC"] >= 0.90


def test_regression_mpg_pipeline_matches_scikit_learn(owner):
    dataset, frame = sample("Automobile MPG dataset")
    engine = run_through_engine(owner, pipeline_graph(dataset.pk, "boosted-decision-tree-regression", "mpg"))

    train, test = split(frame)
    estimator = HistGradientBoostingRegressor(max_leaf_nodes=20, min_samples_leaf=10, learning_rate=0.2,
                                              max_iter=100, early_stopping=False, random_state=0)
    model, x_test = fit_by_hand(train, test, "mpg", TREE_ENCODING, estimator)
    truth, predicted = test["mpg"].to_numpy(), model.predict(x_test)
    errors, spread = truth - predicted, truth - truth.mean()
    assert_metrics_match(engine, {
        "Mean Absolute Error": metrics.mean_absolute_error(truth, predicted),
        "Root Mean Squared Error": metrics.root_mean_squared_error(truth, predicted),
        "Relative Absolute Error": np.abs(errors).sum() / np.abs(spread).sum(),
        "Relative Squared Error": (errors ** 2).sum() / (spread ** 2).sum(),
        "Coefficient of Determination": metrics.r2_score(truth, predicted)})


def test_multiclass_iris_pipeline_matches_scikit_learn(owner):
    dataset, frame = sample("Iris Multiclass Data")
    engine = run_through_engine(owner, pipeline_graph(dataset.pk, "multiclass-logistic-regression", "Class"))

    train, test = split(frame)
    # The classic defaults: L1 and L2 weights of 1 -> elastic net with C = 1 / (1 + 1), on standardised features.
    estimator = Pipeline([("normalize", StandardScaler()), ("model", LogisticRegression(
        C=0.5, l1_ratio=0.5, solver="saga", tol=1e-7, max_iter=100, random_state=0))])
    model, x_test = fit_by_hand(train, test, "Class", ONE_HOT, estimator)
    truth, predicted = test["Class"].to_numpy(), model.predict(x_test)
    assert_metrics_match(engine, {
        "Overall accuracy": metrics.accuracy_score(truth, predicted),
        "Macro-averaged precision": metrics.precision_score(truth, predicted, average="macro"),
        "Micro-averaged recall": metrics.recall_score(truth, predicted, average="micro"),
        "Macro-averaged recall": metrics.recall_score(truth, predicted, average="macro")})
