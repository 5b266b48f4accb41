"""Initialize Model modules: their untrained models, the scikit-learn estimators they map to, their ranges."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, SGDClassifier
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Normalizer

from experiments.modules import learners, train_score  # noqa: F401  (registers the modules)
from experiments.modules.framework.artifacts import TrainedModel, UntrainedModel
from experiments.modules.framework.base import Context, ModuleError
from experiments.modules.framework.datatable import DataTable
from experiments.modules.framework.registry import registry
from experiments.modules.training import PCAAnomalyDetector

LEARNERS = [cls for cls in registry.all() if isinstance(cls, type) and issubclass(cls, learners.Learner)
            and cls.id != "one-vs-all-multiclass"]


def run(module_id: str, inputs: dict[str, Any] | None = None, **params: Any) -> dict[str, Any]:
    cls = registry.get(module_id)
    cleaned, problems = cls.clean_params(params, "n1")
    assert not problems, problems
    return cls().execute(inputs or {}, cleaned, Context())


def untrained(module_id: str, **params: Any) -> UntrainedModel:
    return run(module_id, **params)["untrained_model"]


def estimator(module_id: str, **params: Any) -> Any:
    model = untrained(module_id, **params)
    return registry.get(module_id).build_estimator(model.params)


def test_there_are_the_classic_learners():
    assert {cls.id for cls in LEARNERS} == {
        "two-class-boosted-decision-tree", "multiclass-boosted-decision-tree", "boosted-decision-tree-regression",
        "two-class-decision-forest", "multiclass-decision-forest", "decision-forest-regression",
        "two-class-logistic-regression", "multiclass-logistic-regression", "two-class-support-vector-machine",
        "two-class-averaged-perceptron", "two-class-neural-network", "multiclass-neural-network",
        "neural-network-regression", "linear-regression", "poisson-regression", "bayesian-linear-regression",
        "k-means-clustering", "one-class-support-vector-machine", "pca-based-anomaly-detection"}


@pytest.mark.parametrize("cls", LEARNERS, ids=lambda cls: cls.id)
def test_each_learner_outputs_an_untrained_model_of_its_task(cls):
    model = untrained(cls.id)
    assert model == UntrainedModel(learner=cls.id, task=cls.task, params=cls.clean_params({})[0], name=cls.name)
    assert model.task in {"binary", "multiclass", "regression", "clustering", "anomaly"}
    assert cls.category == "Machine Learning" and cls.subcategory.startswith("Initialize Model - ")
    assert cls.params["create_trainer_mode"].default == "Single Parameter"
    assert cls.build_estimator(model.params).get_params() is not None


def test_logistic_regression_maps_l1_and_l2_weights_onto_an_elastic_net():
    default = estimator("two-class-logistic-regression", random_number_seed=3)
    assert isinstance(default, Pipeline)
    model = default.named_steps["model"]
    assert (model.C, model.l1_ratio, model.solver, model.tol, model.random_state, model.max_iter) == (
        0.5, 0.5, "saga", 1e-7, 3, 100)
    only_l2 = estimator("two-class-logistic-regression", l1_regularization_weight=0, l2_regularization_weight=4)
    assert (only_l2.named_steps["model"].C, only_l2.named_steps["model"].solver) == (0.25, "lbfgs")
    none = estimator("multiclass-logistic-regression", l1_regularization_weight=0, l2_regularization_weight=0)
    assert isinstance(none.named_steps["model"], LogisticRegression) and none.named_steps["model"].C == np.inf


def test_boosted_tree_and_forest_parameters_reach_scikit_learn():
    boosted = estimator("two-class-boosted-decision-tree", maximum_number_of_leaves_per_tree=7, learning_rate=0.05,
                        random_number_seed=9)
    assert isinstance(boosted, HistGradientBoostingClassifier)
    assert (boosted.max_leaf_nodes, boosted.min_samples_leaf, boosted.learning_rate, boosted.max_iter,
            boosted.early_stopping, boosted.random_state) == (7, 10, 0.05, 100, False, 9)
    forest = estimator("decision-forest-regression", resampling_method="Replicate", number_of_decision_trees=3)
    assert isinstance(forest, RandomForestRegressor)
    assert (forest.n_estimators, forest.max_depth, forest.min_samples_leaf, forest.bootstrap) == (3, 32, 1, False)


def test_margin_classifiers_get_platt_scaled_probabilities():
    svm = estimator("two-class-support-vector-machine", number_of_iterations=5, **{"lambda": 0.01})
    assert isinstance(svm, CalibratedClassifierCV) and svm.method == "sigmoid"
    inner = svm.estimator.named_steps["svm"]
    assert isinstance(inner, SGDClassifier) and (inner.loss, inner.alpha, inner.max_iter) == ("hinge", 0.01, 5)
    perceptron = estimator("two-class-averaged-perceptron").estimator.named_steps["perceptron"]
    assert (perceptron.loss, perceptron.average, perceptron.eta0, perceptron.max_iter) == ("perceptron", True, 1.0, 10)


def test_linear_regression_is_ridge_least_squares_or_online_gradient_descent():
    assert isinstance(estimator("linear-regression"), Ridge) and estimator("linear-regression").alpha == 0.001
    assert isinstance(estimator("linear-regression", l2_regularization_weight=0), LinearRegression)
    online = estimator("linear-regression", solution_method="Online Gradient Descent", number_of_training_epochs=4)
    sgd = online.regressor.named_steps["sgd"]
    assert (sgd.max_iter, sgd.eta0, sgd.alpha, sgd.average, sgd.learning_rate) == (4, 0.1, 0.001, True, "invscaling")


def test_k_means_cosine_clusters_rows_scaled_to_unit_length():
    model = estimator("k-means-clustering", metric="Cosine", number_of_centroids=3, iterations=7)
    assert isinstance(model, Pipeline) and isinstance(model.named_steps["normalize"], Normalizer)
    assert (model.named_steps["kmeans"].n_clusters, model.named_steps["kmeans"].max_iter) == (3, 7)
    assert isinstance(estimator("k-means-clustering"), KMeans)


def test_k_means_first_n_starts_from_the_first_rows():
    frame = pd.DataFrame({"x": [0.0, 10.0, 0.5, 9.5, 0.2, 10.2]})
    model = run("train-clustering-model", {"untrained_model": untrained("k-means-clustering", initialization="First N",
                                                                         iterations=1),
                                           "dataset": DataTable(frame)})["trained_model"]
    kmeans = KMeans(n_clusters=2, init=np.array([[0.0], [10.0]]), n_init=1, max_iter=1).fit(frame.to_numpy())
    assert np.allclose(model.estimator.named_steps["learner"].cluster_centers_, kmeans.cluster_centers_)
    assert TrainedModel.from_bytes(model.to_bytes()).estimator is not None


def test_overrides_are_one_point_of_a_sweep():
    cls = registry.get("two-class-boosted-decision-tree")
    model = cls.build_estimator(untrained(cls.id).params, {"learning_rate": 0.4, "number_of_trees_constructed": 20})
    assert (model.learning_rate, model.max_iter, model.max_leaf_nodes) == (0.4, 20, 20)


def test_parameter_range_lists_are_parsed_in_order_without_repeats():
    cls = registry.get("two-class-boosted-decision-tree")
    params = untrained(cls.id, create_trainer_mode="Parameter Range", maximum_number_of_leaves_per_tree_range="8; 2,8",
                       learning_rate_range="0.1").params
    assert cls.sweep_space(params) == {"maximum_number_of_leaves_per_tree": [8, 2],
                                       "minimum_number_of_samples_per_leaf_node": [1, 10, 50],
                                       "learning_rate": [0.1], "number_of_trees_constructed": [20, 100, 500]}
    assert cls.sweep_space(untrained(cls.id).params) == {}


def test_ranges_of_hidden_parameters_are_not_swept():
    cls = registry.get("linear-regression")
    params = untrained(cls.id, create_trainer_mode="Parameter Range").params
    assert cls.sweep_space(params) == {"l2_regularization_weight": [0.001, 0.01, 0.1]}
    online = untrained(cls.id, create_trainer_mode="Parameter Range", solution_method="Online Gradient Descent")
    assert list(cls.sweep_space(online.params)) == ["learning_rate", "number_of_training_epochs",
                                                    "l2_regularization_weight"]


def test_a_bad_range_gets_the_one_message_form():
    cls = registry.get("two-class-boosted-decision-tree")
    _, problems = cls.clean_params({"create_trainer_mode": "Parameter Range",
                                    "maximum_number_of_leaves_per_tree_range": "2, many"}, "n4")
    assert [(p.message, p.parameter) for p in problems] == [(
        "The 'Maximum number of leaves per tree (range)' parameter of Two-Class Boosted Decision Tree (node n4) must "
        "be values separated by commas, each an integer in [2, 4096]; got '2, many'.",
        "maximum_number_of_leaves_per_tree_range")]
    _, problems = cls.clean_params({"maximum_number_of_leaves_per_tree_range": "2, many"}, "n4")
    assert problems == []  # ranges are not used in Single Parameter mode


def test_a_bad_single_value_gets_the_one_message_form():
    _, problems = registry.get("two-class-boosted-decision-tree").clean_params({"learning_rate": 1.5}, "n2")
    assert [p.message for p in problems] == ["The 'Learning rate' parameter of Two-Class Boosted Decision Tree "
                                             "(node n2) must be a float in (0, 1]; got 1.5."]


def test_one_vs_all_wraps_a_two_class_learner():
    binary = untrained("two-class-boosted-decision-tree", create_trainer_mode="Parameter Range",
                       learning_rate_range="0.1, 0.2")
    multi = run("one-vs-all-multiclass", {"untrained_model": binary})["untrained_model"]
    assert (multi.learner, multi.task) == ("one-vs-all-multiclass", "multiclass")
    cls = registry.get("one-vs-all-multiclass")
    model = cls.build_estimator(multi.params, {"learning_rate": 0.1})
    assert isinstance(model, OneVsRestClassifier) and model.estimator.learning_rate == 0.1
    assert cls.sweep_space(multi.params)["learning_rate"] == [0.1, 0.2]
    assert cls.sweep_label(multi.params, "learning_rate") == "Learning rate"
    assert cls.feature_encoding(multi.params) == "ordinal"


def test_one_vs_all_refuses_a_learner_that_is_not_two_class():
    with pytest.raises(ModuleError, match="needs an untrained two-class classification model"):
        run("one-vs-all-multiclass", {"untrained_model": untrained("linear-regression")})


def test_pca_anomaly_detector_flags_rows_far_from_the_training_plane():
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(200, 1))
    rows = np.hstack([latent, 2 * latent, -latent]) + rng.normal(scale=0.01, size=(200, 3))
    detector = PCAAnomalyDetector(n_components=1).fit(rows)
    probes = np.array([[1.0, 2.0, -1.0], [1.0, -2.0, 1.0]])
    assert detector.predict(probes).tolist() == [1, -1]
    pca = PCA(n_components=1).fit(rows - rows.mean(axis=0))
    centred = probes[1:] - rows.mean(axis=0)
    error = np.linalg.norm(centred - pca.inverse_transform(pca.transform(centred)))
    assert detector.score_samples(probes[1:])[0] == pytest.approx(-error, rel=1e-6)


def test_pca_anomaly_detector_with_one_feature_measures_the_distance_from_the_mean():
    detector = PCAAnomalyDetector(n_components=2).fit(np.array([[1.0], [2.0], [3.0]]))
    assert detector.pca_ is None
    assert detector.score_samples(np.array([[5.0]])).tolist() == [-3.0]
