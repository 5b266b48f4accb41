"""Machine Learning / Initialize Model: the classic learners, each mapped onto a scikit-learn estimator.

A learner outputs an UntrainedModel (its id and parameter values); Train Model calls `build_estimator`.
"Create trainer mode" is Single Parameter (one value per hyperparameter) or Parameter Range (the "(range)"
parameters: values separated by commas, swept by Tune Model Hyperparameters). Defaults are the classic
studio's, except "Random number seed", empty (random) there and 0 here so that runs repeat.

How classic parameters map, where it is not one-to-one:
- Logistic regression minimises sum(log loss) + L1*|w|_1 + L2/2*|w|^2, which is scikit-learn's elastic net
  with C = 1/(L1 + L2) and l1_ratio = L1/(L1 + L2) (saga, at most 100 passes); with L1 = 0, L2 alone (lbfgs);
  both 0, no penalty.
  Features are standardised first. "Memory size for L-BFGS" has no scikit-learn counterpart.
- Boosted trees: "Number of trees constructed" is the number of boosting rounds (one tree per class per
  round for multiclass). Decision forests ignore "Number of random splits per node" (scikit-learn searches
  every threshold); "Replicate" resampling trains every tree on all rows.
- Two-Class Support Vector Machine is Pegasos-style SGD on the hinge loss with alpha = Lambda;
  the averaged perceptron is SGD on the perceptron loss with averaging. Both get probabilities by Platt
  scaling fitted on 3-fold out-of-fold scores (so they need 3 rows of each class).
- Neural networks: one hidden layer of sigmoid units, SGD in mini-batches of 32 rows (the classic trainer
  used single rows; 32 keeps most of its behaviour at a fraction of the time); the regression variant
  standardises the label while training. "Initial learning weights diameter" is not offered (scikit-learn
  initialises weights by Glorot's rule).
- Linear Regression: Ordinary Least Squares with an L2 weight is ridge regression (alpha = weight); Online
  Gradient Descent is SGD on standardised features and label. Poisson Regression uses scikit-learn's
  per-row scaling of the L2 penalty (alpha = weight) and has no L1 term. Bayesian Linear Regression starts
  the weight precision at "Regularization weight" and refines it from the data.
- Clustering and anomaly detection learners are in unsupervised.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np
from sklearn import ensemble, linear_model
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import TransformedTargetRegressor
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, Normalizer, QuantileTransformer, StandardScaler

from .framework.artifacts import UntrainedModel
from .framework.base import Context, Module, ModuleError, Problem
from .framework.code_forms import CodeForm, CodeNode, NoCodeForm, python_source
from .framework.model_types import EXAMPLE_FEATURES, built_types
from .framework.params import Bool, Choice, Float, Int, Param, ParamInvalid, Seed, Text
from .framework.ports import InputPort, OutputPort, PortType
from .framework.registry import registry
from .training import learner_pipeline

SINGLE, RANGE = "Single Parameter", "Parameter Range"
# Maxima of the parameters that scale a fit's time or memory (docs/RELIABILITY.md lists them): generous for real
# use, small enough that no single value asks a worker for hours or gigabytes.
MAX_BOOSTING_ROUNDS = 10_000
MAX_FOREST_TREES = 1_000
MAX_DEPTH = 128
MAX_LEAVES = 4_096
MAX_LEAF_SAMPLES = 1_000_000
MAX_RANDOM_SPLITS = 65_536
MAX_ITERATIONS = 10_000
MAX_HIDDEN_NODES = 2_000
MAX_LBFGS_MEMORY = 1_000
MAX_RANGE_VALUES = 100  # values in one "(range)" list (Tune Model Hyperparameters caps the grid too)
OLS, OGD = "Ordinary Least Squares", "Online Gradient Descent"


def trainer_mode() -> dict[str, Param]:
    return {"create_trainer_mode": Choice(
        "Create trainer mode", SINGLE, choices=[SINGLE, RANGE],
        help="Single Parameter trains with one value of each setting; Parameter Range lists values for "
             "Tune Model Hyperparameters to sweep.")}


def tuned(key: str, single: Float | Int, values: str, **when: list[str]) -> dict[str, Param]:
    """A hyperparameter: its single value, and the list Tune Model Hyperparameters sweeps."""
    single.when = {"create_trainer_mode": [SINGLE], **when}
    ranged = Text(f"{single.label} (range)", values, when={"create_trainer_mode": [RANGE], **when},
                  help=f"Values of '{single.label}' to try, separated by commas.")
    return {key: single, f"{key}_range": ranged}


def seed() -> dict[str, Param]:
    return {"random_number_seed": Seed("Random number seed",
                                       help="Seeds every random choice of the learner, so runs repeat.")}


def parse_range(param: Float | Int, text: str) -> list[Any]:
    """The distinct values of a range parameter, each checked like the single parameter."""
    items = [item.strip() for item in re.split(r"[,;]", text) if item.strip()]
    if len(items) > MAX_RANGE_VALUES:
        raise ParamInvalid(f"at most {MAX_RANGE_VALUES} values separated by commas, each {param.expectation()}")
    try:
        values = [param.clean(item) for item in items]
    except ParamInvalid:
        values = []
    if not values:
        raise ParamInvalid(f"values separated by commas, each {param.expectation()}")
    return list(dict.fromkeys(values))


def visible(param: Param, params: Mapping[str, Any]) -> bool:
    return all(params.get(key) in values for key, values in (param.when or {}).items())


def calibrated(model: Any) -> CalibratedClassifierCV:
    """Platt-scaled probabilities for a margin classifier, fitted on 3-fold out-of-fold scores."""
    return CalibratedClassifierCV(model, method="sigmoid", cv=3, ensemble=False)


class Learner(Module):
    """An Initialize Model module (the base is not registered): no inputs, one untrained model out."""

    category = "Machine Learning"
    subcategory = "Initialize Model - Classification"
    task: ClassVar[str] = "binary"
    # "ordinal" for tree learners (they split on codes and route NaN), "onehot" (with mean imputation) otherwise.
    encoding: ClassVar[str] = "onehot"
    nonnegative_label: ClassVar[bool] = False
    outputs = [OutputPort("untrained_model", PortType.UNTRAINED_MODEL, label="Untrained model")]

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        return {"untrained_model": UntrainedModel(learner=self.id, task=self.task, params=dict(params),
                                                  name=self.name)}

    @classmethod
    def estimator(cls, p: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    @classmethod
    def code_form(cls, node: CodeNode) -> CodeForm:
        """The unfitted estimator Train Model fits, written from the object `build_estimator` makes."""
        if cls.swept(cls.settings(node.params)):
            raise NoCodeForm(f"{cls.name} is in Parameter Range mode, which only Tune Model Hyperparameters uses")
        imports: set[str] = set()
        estimator = python_source(cls.build_estimator(node.params), imports)
        settings = cls.settings(node.params)
        shown = "; ".join(f"{param.label} {settings[key]}" for key, param in cls.params.items()
                          if visible(param, settings) and key != "create_trainer_mode")
        return CodeForm(f"    return {estimator}\n", ("untrained_model",), doc=f"untrained; {shown}.",
                        imports=tuple(sorted(imports)))

    @classmethod
    def build_estimator(cls, params: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> Any:
        """An unfitted estimator; `overrides` is one point of a parameter sweep."""
        return cls.estimator({**cls.settings(params), **(overrides or {})})

    @classmethod
    def package_types(cls) -> Iterable[Any]:
        """What Train Model's pipeline around this learner's estimator is made of, for every variant of its
        parameters (a learner with an input, One-vs-All, wraps another's and declares the wrapper only)."""
        if cls.inputs:
            return cls.model_types
        return (*cls.model_types, *built_types(cls, lambda params: learner_pipeline(cls, params, EXAMPLE_FEATURES)))

    @classmethod
    def settings(cls, params: Mapping[str, Any]) -> dict[str, Any]:
        """Saved parameters cleaned again, so a model saved before a parameter existed still builds."""
        cleaned, problems = cls.clean_params({key: value for key, value in params.items() if key in cls.params})
        if problems:
            raise ModuleError(problems[0].message, parameter=problems[0].parameter)
        return cleaned

    @classmethod
    def feature_encoding(cls, params: Mapping[str, Any]) -> str:
        return cls.encoding

    @classmethod
    def swept(cls, params: Mapping[str, Any]) -> list[str]:
        """The hyperparameters whose range applies with these settings (none in Single Parameter mode)."""
        if params.get("create_trainer_mode") != RANGE:
            return []
        return [key for key in cls.params if f"{key}_range" in cls.params
                and visible(cls.params[f"{key}_range"], params)]

    @classmethod
    def sweep_space(cls, params: Mapping[str, Any]) -> dict[str, list[Any]]:
        settings = cls.settings(params)
        return {key: parse_range(cls.params[key], settings[f"{key}_range"])  # type: ignore[arg-type]
                for key in cls.swept(settings)}

    @classmethod
    def sweep_label(cls, params: Mapping[str, Any], key: str) -> str:
        return cls.params[key].label

    @classmethod
    def check_params(cls, params: Mapping[str, Any], node: str | None) -> list[Problem]:
        problems = []
        for key in cls.swept(params):
            text = params[f"{key}_range"]
            try:
                parse_range(cls.params[key], text)  # type: ignore[arg-type]
            except ParamInvalid as invalid:
                problems.append(Problem(node, cls.param_message(f"{key}_range", node, str(invalid), text),
                                        parameter=f"{key}_range"))
        return problems


# --- Boosted trees and forests ---------------------------------------------------------------------


class BoostedTrees(Learner):
    encoding = "ordinal"
    params = {
        **trainer_mode(),
        **tuned("maximum_number_of_leaves_per_tree",
                Int("Maximum number of leaves per tree", 20, minimum=2, maximum=MAX_LEAVES), "2, 8, 32, 128"),
        **tuned("minimum_number_of_samples_per_leaf_node",
                Int("Minimum number of samples per leaf node", 10, minimum=1, maximum=MAX_LEAF_SAMPLES), "1, 10, 50"),
        **tuned("learning_rate", Float("Learning rate", 0.2, gt=0, le=1), "0.025, 0.05, 0.1, 0.2, 0.4"),
        **tuned("number_of_trees_constructed",
                Int("Number of trees constructed", 100, minimum=1, maximum=MAX_BOOSTING_ROUNDS), "20, 100, 500"),
        **seed(),
    }

    @classmethod
    def estimator(cls, p: Mapping[str, Any]) -> Any:
        regression = cls.task == "regression"
        kind = ensemble.HistGradientBoostingRegressor if regression else ensemble.HistGradientBoostingClassifier
        return kind(max_leaf_nodes=p["maximum_number_of_leaves_per_tree"],
                    min_samples_leaf=p["minimum_number_of_samples_per_leaf_node"], learning_rate=p["learning_rate"],
                    max_iter=p["number_of_trees_constructed"], early_stopping=False,
                    random_state=p["random_number_seed"])


class DecisionForest(Learner):
    encoding = "ordinal"
    params = {
        **trainer_mode(),
        "resampling_method": Choice("Resampling method", "Bagging", choices=["Bagging", "Replicate"],
                                    help="Bagging trains each tree on a bootstrap sample; Replicate on all rows."),
        **tuned("number_of_decision_trees",
                Int("Number of decision trees", 8, minimum=1, maximum=MAX_FOREST_TREES), "1, 8, 32"),
        **tuned("maximum_depth_of_the_decision_trees",
                Int("Maximum depth of the decision trees", 32, minimum=1, maximum=MAX_DEPTH), "1, 16, 64"),
        "number_of_random_splits_per_node": Int(
            "Number of random splits per node", 128, minimum=1, maximum=MAX_RANDOM_SPLITS,
            help="Accepted for compatibility; scikit-learn's trees try every threshold."),
        **tuned("minimum_number_of_samples_per_leaf_node",
                Int("Minimum number of samples per leaf node", 1, minimum=1, maximum=MAX_LEAF_SAMPLES), "1, 4, 16"),
        **seed(),
    }

    @classmethod
    def estimator(cls, p: Mapping[str, Any]) -> Any:
        kind = ensemble.RandomForestRegressor if cls.task == "regression" else ensemble.RandomForestClassifier
        return kind(n_estimators=p["number_of_decision_trees"], max_depth=p["maximum_depth_of_the_decision_trees"],
                    min_samples_leaf=p["minimum_number_of_samples_per_leaf_node"],
                    bootstrap=p["resampling_method"] == "Bagging", random_state=p["random_number_seed"])


@registry.register
class TwoClassBoostedDecisionTree(BoostedTrees):
    id = "two-class-boosted-decision-tree"
    name = "Two-Class Boosted Decision Tree"
    description = "Creates a binary classifier using a boosted decision tree algorithm."


@registry.register
class MulticlassBoostedDecisionTree(BoostedTrees):
    id = "multiclass-boosted-decision-tree"
    name = "Multiclass Boosted Decision Tree"
    description = "Creates a multiclass classifier using a boosted decision tree algorithm."
    task = "multiclass"


@registry.register
class BoostedDecisionTreeRegression(BoostedTrees):
    id = "boosted-decision-tree-regression"
    name = "Boosted Decision Tree Regression"
    subcategory = "Initialize Model - Regression"
    description = "Creates a regression model using the boosted decision tree algorithm."
    task = "regression"


@registry.register
class TwoClassDecisionForest(DecisionForest):
    id = "two-class-decision-forest"
    name = "Two-Class Decision Forest"
    description = "Creates a two-class classification model using the decision forest algorithm."


@registry.register
class MulticlassDecisionForest(DecisionForest):
    id = "multiclass-decision-forest"
    name = "Multiclass Decision Forest"
    description = "Creates a multiclass classification model using the decision forest algorithm."
    task = "multiclass"


@registry.register
class DecisionForestRegression(DecisionForest):
    id = "decision-forest-regression"
    name = "Decision Forest Regression"
    subcategory = "Initialize Model - Regression"
    description = "Creates a regression model using the decision forest algorithm."
    task = "regression"


# --- Linear classifiers ----------------------------------------------------------------------------


class LogisticRegressions(Learner):
    params = {
        **trainer_mode(),
        **tuned("optimization_tolerance", Float("Optimization tolerance", 1e-7, gt=0), "0.0001, 0.0000001"),
        **tuned("l1_regularization_weight", Float("L1 regularization weight", 1.0, ge=0), "0.0, 0.01, 0.1, 1.0"),
        **tuned("l2_regularization_weight", Float("L2 regularization weight", 1.0, ge=0), "0.01, 0.1, 1.0"),
        "memory_size_for_l_bfgs": Int("Memory size for L-BFGS", 20, minimum=1, maximum=MAX_LBFGS_MEMORY,
                                      help="Accepted for compatibility; scikit-learn's solvers size their own memory."),
        **seed(),
    }

    @classmethod
    def estimator(cls, p: Mapping[str, Any]) -> Any:
        l1, l2 = p["l1_regularization_weight"], p["l2_regularization_weight"]
        common = {"tol": p["optimization_tolerance"], "max_iter": 1000, "random_state": p["random_number_seed"]}
        if l1 + l2 == 0:
            model = linear_model.LogisticRegression(C=np.inf, **common)
        elif l1 == 0:
            model = linear_model.LogisticRegression(C=1.0 / l2, l1_ratio=0.0, **common)
        else:
            # saga needs hundreds of passes to reach 1e-7; 100 passes land within ~1e-6 of that solution.
            saga = common | {"solver": "saga", "max_iter": 100}
            model = linear_model.LogisticRegression(C=1.0 / (l1 + l2), l1_ratio=l1 / (l1 + l2), **saga)
        return Pipeline([("normalize", StandardScaler()), ("model", model)])


@registry.register
class TwoClassLogisticRegression(LogisticRegressions):
    id = "two-class-logistic-regression"
    name = "Two-Class Logistic Regression"
    description = "Creates a two-class logistic regression model."


@registry.register
class MulticlassLogisticRegression(LogisticRegressions):
    id = "multiclass-logistic-regression"
    name = "Multiclass Logistic Regression"
    description = "Creates a multiclass logistic regression classification model."
    task = "multiclass"


@registry.register
class TwoClassSupportVectorMachine(Learner):
    id = "two-class-support-vector-machine"
    name = "Two-Class Support Vector Machine"
    description = "Creates a binary classification model using the Support Vector Machine algorithm."
    params = {
        **trainer_mode(),
        **tuned("number_of_iterations", Int("Number of iterations", 1, minimum=1, maximum=MAX_ITERATIONS),
                "1, 10, 100"),
        **tuned("lambda", Float("Lambda", 0.001, gt=0), "0.00001, 0.0001, 0.001, 0.01, 0.1"),
        "normalize_features": Bool("Normalize features", True, help="Scale each feature to [0, 1] first."),
        "project_to_the_unit_sphere": Bool("Project to the unit-sphere", False,
                                           help="Scale each row to length 1 before training."),
        **seed(),
    }

    @classmethod
    def estimator(cls, p: Mapping[str, Any]) -> Any:
        steps: list[tuple[str, Any]] = [("normalize", MinMaxScaler())] if p["normalize_features"] else []
        if p["project_to_the_unit_sphere"]:
            steps.append(("project", Normalizer()))
        svm = linear_model.SGDClassifier(loss="hinge", alpha=p["lambda"], learning_rate="optimal",
                                         max_iter=p["number_of_iterations"], tol=None,
                                         random_state=p["random_number_seed"])
        return calibrated(Pipeline([*steps, ("svm", svm)]))


@registry.register
class TwoClassAveragedPerceptron(Learner):
    id = "two-class-averaged-perceptron"
    name = "Two-Class Averaged Perceptron"
    description = "Creates an averaged perceptron binary classification model."
    params = {
        **trainer_mode(),
        **tuned("learning_rate", Float("Learning rate", 1.0, gt=0), "0.1, 0.5, 1.0"),
        **tuned("maximum_number_of_iterations",
                Int("Maximum number of iterations", 10, minimum=1, maximum=MAX_ITERATIONS), "1, 10"),
        **seed(),
    }

    @classmethod
    def estimator(cls, p: Mapping[str, Any]) -> Any:
        perceptron = linear_model.SGDClassifier(
            loss="perceptron", penalty=None, learning_rate="constant", eta0=p["learning_rate"],
            max_iter=p["maximum_number_of_iterations"], tol=None, average=True, random_state=p["random_number_seed"])
        return calibrated(Pipeline([("normalize", StandardScaler()), ("perceptron", perceptron)]))


# --- Neural networks -------------------------------------------------------------------------------

NORMALIZERS = ["Binning normalizer", "Gaussian normalizer", "Min-Max normalizer", "Do not normalize"]


def normalizer(choice: str, random_state: int) -> list[tuple[str, Any]]:
    scalers = {"Binning normalizer": QuantileTransformer(n_quantiles=100, random_state=random_state),
               "Gaussian normalizer": StandardScaler(), "Min-Max normalizer": MinMaxScaler()}
    return [("normalize", scalers[choice])] if choice in scalers else []


class NeuralNetworks(Learner):
    params = {
        **trainer_mode(),
        "number_of_hidden_nodes": Int("Number of hidden nodes", 100, minimum=1, maximum=MAX_HIDDEN_NODES,
                                      help="Nodes in the one fully connected hidden layer."),
        **tuned("the_learning_rate", Float("The learning rate", 0.1, gt=0), "0.01, 0.02, 0.04"),
        **tuned("number_of_learning_iterations",
                Int("Number of learning iterations", 100, minimum=1, maximum=MAX_ITERATIONS), "20, 40, 80, 160"),
        "the_momentum": Float("The momentum", 0.0, ge=0, lt=1),
        "the_type_of_normalizer": Choice("The type of normalizer", "Min-Max normalizer", choices=NORMALIZERS),
        "shuffle_examples": Bool("Shuffle examples", True, help="Shuffle the rows between iterations."),
        **seed(),
    }

    @classmethod
    def estimator(cls, p: Mapping[str, Any]) -> Any:
        kind = MLPRegressor if cls.task == "regression" else MLPClassifier
        network = kind(hidden_layer_sizes=(p["number_of_hidden_nodes"],), activation="logistic", solver="sgd",
                       learning_rate_init=p["the_learning_rate"], momentum=p["the_momentum"],
                       nesterovs_momentum=False, batch_size=32, max_iter=p["number_of_learning_iterations"],
                       n_iter_no_change=p["number_of_learning_iterations"], shuffle=p["shuffle_examples"],
                       random_state=p["random_number_seed"])
        model = Pipeline([*normalizer(p["the_type_of_normalizer"], p["random_number_seed"]), ("network", network)])
        return TransformedTargetRegressor(model, transformer=StandardScaler()) if cls.task == "regression" else model


@registry.register
class TwoClassNeuralNetwork(NeuralNetworks):
    id = "two-class-neural-network"
    name = "Two-Class Neural Network"
    description = "Creates a binary classifier using a neural network algorithm."


@registry.register
class MulticlassNeuralNetwork(NeuralNetworks):
    id = "multiclass-neural-network"
    name = "Multiclass Neural Network"
    description = "Creates a multiclass classification model using a neural network algorithm."
    task = "multiclass"


@registry.register
class NeuralNetworkRegression(NeuralNetworks):
    id = "neural-network-regression"
    name = "Neural Network Regression"
    subcategory = "Initialize Model - Regression"
    description = "Creates a regression model using a neural network algorithm."
    task = "regression"


# --- One-vs-All ------------------------------------------------------------------------------------


@registry.register
class OneVsAllMulticlass(Learner):
    id = "one-vs-all-multiclass"
    name = "One-vs-All Multiclass"
    description = "Creates a multiclass classification model from an ensemble of binary classification models."
    task = "multiclass"
    inputs = [InputPort("untrained_model", PortType.UNTRAINED_MODEL, label="Untrained binary classification model")]
    model_types = (OneVsRestClassifier,)  # around the binary learner's estimator (built only with an input)
    params = {}

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        binary = inputs.get("untrained_model")
        if not isinstance(binary, UntrainedModel) or binary.task != "binary":
            raise ModuleError("One-vs-All Multiclass needs an untrained two-class classification model on its input")
        return {"untrained_model": UntrainedModel(learner=self.id, task=self.task,
                                                  params={"binary_model": binary.to_json()},
                                                  name=f"One-vs-All Multiclass ({binary.name})")}

    @classmethod
    def binary(cls, params: Mapping[str, Any]) -> tuple[type[Learner], dict[str, Any]]:
        inner = UntrainedModel.from_json(params["binary_model"])
        learner = registry.get(inner.learner)
        if not issubclass(learner, Learner):
            raise ModuleError(f"'{inner.name}' is not a two-class learner")
        return learner, inner.params

    @classmethod
    def build_estimator(cls, params: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> Any:
        learner, inner = cls.binary(params)
        return OneVsRestClassifier(learner.build_estimator(inner, overrides))

    @classmethod
    def feature_encoding(cls, params: Mapping[str, Any]) -> str:
        learner, inner = cls.binary(params)
        return learner.feature_encoding(inner)

    @classmethod
    def sweep_space(cls, params: Mapping[str, Any]) -> dict[str, list[Any]]:
        learner, inner = cls.binary(params)
        return learner.sweep_space(inner)

    @classmethod
    def sweep_label(cls, params: Mapping[str, Any], key: str) -> str:
        learner, inner = cls.binary(params)
        return learner.sweep_label(inner, key)


# --- Regression ------------------------------------------------------------------------------------


@registry.register
class LinearRegression(Learner):
    id = "linear-regression"
    name = "Linear Regression"
    subcategory = "Initialize Model - Regression"
    description = "Creates a linear regression model."
    task = "regression"
    params = {
        **trainer_mode(),
        "solution_method": Choice("Solution method", OLS, choices=[OGD, OLS]),
        **tuned("learning_rate", Float("Learning rate", 0.1, gt=0), "0.025, 0.05, 0.1, 0.2", solution_method=[OGD]),
        **tuned("number_of_training_epochs",
                Int("Number of training epochs", 10, minimum=1, maximum=MAX_ITERATIONS), "1, 10, 100",
                solution_method=[OGD]),
        **tuned("l2_regularization_weight", Float("L2 regularization weight", 0.001, ge=0), "0.001, 0.01, 0.1"),
        "normalize_features": Bool("Normalize features", True, when={"solution_method": [OGD]}),
        "average_final_hypothesis": Bool("Average final hypothesis", True, when={"solution_method": [OGD]}),
        "decrease_learning_rate": Bool("Decrease learning rate", True, when={"solution_method": [OGD]}),
        "include_intercept_term": Bool("Include intercept term", True),
        **seed(),
    }

    @classmethod
    def estimator(cls, p: Mapping[str, Any]) -> Any:
        intercept, l2 = p["include_intercept_term"], p["l2_regularization_weight"]
        if p["solution_method"] == OLS:
            if l2 == 0:
                return linear_model.LinearRegression(fit_intercept=intercept)
            return linear_model.Ridge(alpha=l2, fit_intercept=intercept)
        sgd = linear_model.SGDRegressor(
            alpha=l2, eta0=p["learning_rate"], max_iter=p["number_of_training_epochs"], tol=None,
            learning_rate="invscaling" if p["decrease_learning_rate"] else "constant",
            average=p["average_final_hypothesis"], fit_intercept=intercept, random_state=p["random_number_seed"])
        steps = [("normalize", StandardScaler())] if p["normalize_features"] else []
        return TransformedTargetRegressor(Pipeline([*steps, ("sgd", sgd)]), transformer=StandardScaler())


@registry.register
class PoissonRegression(Learner):
    id = "poisson-regression"
    name = "Poisson Regression"
    subcategory = "Initialize Model - Regression"
    description = "Creates a regression model that assumes data has a Poisson distribution."
    task = "regression"
    nonnegative_label = True
    params = {
        **trainer_mode(),
        **tuned("optimization_tolerance", Float("Optimization tolerance", 1e-7, gt=0), "0.0001, 0.0000001"),
        **tuned("l2_regularization_weight", Float("L2 regularization weight", 1.0, ge=0), "0.01, 0.1, 1.0"),
    }

    @classmethod
    def estimator(cls, p: Mapping[str, Any]) -> Any:
        poisson = linear_model.PoissonRegressor(alpha=p["l2_regularization_weight"], tol=p["optimization_tolerance"],
                                                max_iter=1000)
        return Pipeline([("normalize", StandardScaler()), ("poisson", poisson)])


@registry.register
class BayesianLinearRegression(Learner):
    id = "bayesian-linear-regression"
    name = "Bayesian Linear Regression"
    subcategory = "Initialize Model - Regression"
    description = "Creates a Bayesian linear regression model."
    task = "regression"
    params = {**trainer_mode(),
              **tuned("regularization_weight", Float("Regularization weight", 1.0, gt=0), "0.1, 1.0, 10.0")}

    @classmethod
    def estimator(cls, p: Mapping[str, Any]) -> Any:
        return linear_model.BayesianRidge(lambda_init=p["regularization_weight"])
