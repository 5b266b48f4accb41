"""Machine Learning / Initialize Model - Clustering and Anomaly Detection: learners trained without a label
(Train Clustering Model, Train Anomaly Detection Model), on the base and parameter helpers of learners.py.

- K-Means with the Cosine metric clusters the rows scaled to unit length; "First N" takes the first rows as
  centroids.
- One-Class SVM: η is nu, ε the tolerance; features are standardised first.
- PCA-Based Anomaly Detection is training.PCAAnomalyDetector.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sklearn.cluster import KMeans
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Normalizer, StandardScaler
from sklearn.svm import OneClassSVM

from .framework.params import Bool, Choice, Float, Int
from .framework.registry import registry
from .learners import MAX_ITERATIONS, Learner, seed, trainer_mode, tuned
from .training import PCAAnomalyDetector, first_rows_as_centroids

MAX_CENTROIDS = 1_000
MAX_COMPONENTS = 1_000
MAX_OVERSAMPLING = 100


@registry.register
class KMeansClustering(Learner):
    id = "k-means-clustering"
    name = "K-Means Clustering"
    subcategory = "Initialize Model - Clustering"
    description = "Configures and initializes a K-means clustering model."
    task = "clustering"
    params = {
        **trainer_mode(),
        **tuned("number_of_centroids", Int("Number of centroids", 2, minimum=2, maximum=MAX_CENTROIDS), "2, 3, 4, 5"),
        "initialization": Choice("Initialization", "K-Means++", choices=["First N", "Random", "K-Means++"]),
        **seed(),
        "metric": Choice("Metric", "Euclidean", choices=["Euclidean", "Cosine"]),
        **tuned("iterations", Int("Iterations", 100, minimum=1, maximum=MAX_ITERATIONS), "10, 100"),
    }

    @classmethod
    def estimator(cls, p: Mapping[str, Any]) -> Any:
        init = {"First N": first_rows_as_centroids, "Random": "random", "K-Means++": "k-means++"}[p["initialization"]]
        kmeans = KMeans(n_clusters=p["number_of_centroids"], init=init, n_init=1, max_iter=p["iterations"],
                        random_state=p["random_number_seed"])
        return Pipeline([("normalize", Normalizer()), ("kmeans", kmeans)]) if p["metric"] == "Cosine" else kmeans


@registry.register
class OneClassSupportVectorMachine(Learner):
    # η and ε are the classic labels; their ids are spelled out.
    id = "one-class-support-vector-machine"
    name = "One-Class Support Vector Machine"
    subcategory = "Initialize Model - Anomaly Detection"
    description = "Creates a one class Support Vector Machine model for anomaly detection."
    task = "anomaly"
    params = {
        **trainer_mode(),
        **tuned("eta", Float("η", 0.1, gt=0, le=1, help="Upper bound on the fraction of outliers (nu)."),
                "0.01, 0.1, 0.5"),
        **tuned("epsilon", Float("ε", 0.001, gt=0, help="Stopping tolerance of the optimizer."), "0.001, 0.01, 0.1"),
    }

    @classmethod
    def estimator(cls, p: Mapping[str, Any]) -> Any:
        return Pipeline([("normalize", StandardScaler()),
                         ("svm", OneClassSVM(kernel="rbf", gamma="scale", nu=p["eta"], tol=p["epsilon"]))])


@registry.register
class PCABasedAnomalyDetection(Learner):
    id = "pca-based-anomaly-detection"
    name = "PCA-Based Anomaly Detection"
    subcategory = "Initialize Model - Anomaly Detection"
    description = "Creates an anomaly detection model using Principal Component Analysis."
    task = "anomaly"
    params = {
        **trainer_mode(),
        **tuned("number_of_components_to_use_in_pca",
                Int("Number of components to use in PCA", 2, minimum=1, maximum=MAX_COMPONENTS), "2, 4, 6, 8, 10"),
        **tuned("oversampling_parameter_for_randomized_pca",
                Int("Oversampling parameter for randomized PCA", 2, minimum=1, maximum=MAX_OVERSAMPLING), "2, 4, 8"),
        "enable_input_feature_mean_normalization": Bool(
            "Enable input feature mean normalization", False, help="Also scale each feature to unit variance."),
        **seed(),
    }

    @classmethod
    def estimator(cls, p: Mapping[str, Any]) -> Any:
        return PCAAnomalyDetector(n_components=p["number_of_components_to_use_in_pca"],
                                  n_oversamples=p["oversampling_parameter_for_randomized_pca"],
                                  normalize=p["enable_input_feature_mean_normalization"],
                                  random_state=p["random_number_seed"])
