"""The exact types a trained-model package may name (ilearner.py refuses any other before skops loads it).

Derived from the registry, not listed by hand: every Initialize Model module's estimator is built (unfitted)
for each variant of its parameters, inside the pipeline Train Model wraps around it, and every class and
function in it is collected. Fitting adds objects scikit-learn creates inside an estimator (its trees, its
loss); those are FITTED, per estimator class. With plain data (DATA_TYPES) and what a module declares in
`model_types` (One-vs-All, whose estimator wraps another learner's), that is the whole list. A learner whose
fitted estimator holds anything else fails tests/experiments/modules/framework/test_model_types.py.

The learners contribute their own part (`Module.package_types`, which Initialize Model modules extend with
`built_types`), and an estimator of the studio's own names what fitting puts inside it (`fitted_types`), so
this module, part of the package format, does not import the learners that import the format.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any

import numpy as np
from sklearn import ensemble, linear_model, neural_network
from sklearn._loss import _loss, link, loss
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV, _CalibratedClassifier, _SigmoidCalibration
from sklearn.compose import ColumnTransformer
from sklearn.ensemble._hist_gradient_boosting.binning import _BinMapper
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
from sklearn.linear_model._sgd_fast import Hinge
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neural_network._stochastic_optimizers import SGDOptimizer
from sklearn.preprocessing import FunctionTransformer, LabelBinarizer, LabelEncoder
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.tree._tree import Tree

from .base import Module
from .datatable import Column, Kind
from .params import Bool, Choice, Float, Int
from .registry import registry

# Plain data a fitted estimator holds, whatever the learner: containers, numbers, text and numpy arrays.
DATA_TYPES: tuple[type, ...] = (
    dict, list, tuple, set, str, int, float, bool, slice, np.ndarray, np.dtype,
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.float16, np.float32, np.float64, np.longdouble, np.complex64, np.complex128, np.str_, np.bytes_)

# What fitting creates inside scikit-learn's estimators, beyond clones of their parameters (an estimator class
# of the studio's own declares its part as `fitted_types`).
FITTED: dict[Any, tuple[Any, ...]] = {
    ensemble.HistGradientBoostingClassifier: (
        TreePredictor, _BinMapper, LabelEncoder, np.random.Generator, link.Interval, link.LogitLink,
        link.MultinomialLogit, loss.HalfBinomialLoss, loss.HalfMultinomialLoss, _loss.CyHalfBinomialLoss,
        _loss.CyHalfMultinomialLoss),
    ensemble.HistGradientBoostingRegressor: (
        TreePredictor, _BinMapper, np.random.Generator, link.Interval, link.IdentityLink, loss.HalfSquaredError,
        _loss.CyHalfSquaredError),
    ensemble.RandomForestClassifier: (DecisionTreeClassifier, Tree),
    ensemble.RandomForestRegressor: (DecisionTreeRegressor, Tree),
    linear_model.SGDClassifier: (Hinge,),
    linear_model.PoissonRegressor: (loss.HalfPoissonLoss, _loss.CyHalfPoissonLoss, link.LogLink, link.Interval),
    CalibratedClassifierCV: (_CalibratedClassifier, _SigmoidCalibration),
    neural_network.MLPClassifier: (SGDOptimizer, LabelBinarizer, np.random.RandomState),
    neural_network.MLPRegressor: (SGDOptimizer, np.random.RandomState),
    OneVsRestClassifier: (LabelBinarizer,),
    ColumnTransformer: (FunctionTransformer,),  # the "passthrough" of numeric columns
}
# Train Model's encoding sees numbers and text, so both encoders are in the pipelines collected.
EXAMPLE_FEATURES = [Column("number", Kind.NUMERIC), Column("text", Kind.STRING)]


def type_name(item: Any) -> str:
    """A class's or function's name as skops records it: `module.Name`."""
    return f"{item.__module__}.{item.__name__}"


def trusted_types() -> frozenset[str]:
    """The names a package may contain, for the registry as it is now (cached per set of modules)."""
    return _trusted(tuple(registry.all()))


@cache
def _trusted(modules: tuple[type[Module], ...]) -> frozenset[str]:
    found: set[Any] = set(DATA_TYPES)
    for module in modules:
        found.update(module.package_types())
    while added := {extra for item in found for extra in fitted(item)} - found:
        found |= added
    return frozenset(type_name(item) for item in found)


def fitted(item: Any) -> tuple[Any, ...]:
    """What fitting puts inside an estimator of this class."""
    return FITTED.get(item, ()) or tuple(getattr(item, "fitted_types", ()))


def built_types(module: type[Module], build: Callable[[Mapping[str, Any]], Any]) -> Iterator[Any]:
    """Every type in the estimators `build` makes from each variant of the module's parameters (an Initialize
    Model module passes its pipeline, built for numbers and text as Train Model would)."""
    for params in variants(module):
        yield from estimator_types(build(params))


def variants(module: type[Module]) -> Iterator[dict[str, Any]]:
    """The defaults, then one change at a time: every choice, every flag flipped, every number at its lower
    bound (where a learner switches estimator, e.g. Linear Regression's L2 weight 0 is plain least squares)."""
    defaults, _ = module.clean_params({})
    yield defaults
    for key, param in module.params.items():
        changes: list[Any] = []
        if isinstance(param, Choice):
            changes = list(param.choices)
        elif isinstance(param, Bool):
            changes = [not defaults[key]]
        elif isinstance(param, Float) and param.ge is not None:
            changes = [param.ge]
        elif isinstance(param, Int) and param.minimum is not None:
            changes = [param.minimum]
        for value in changes:
            cleaned, problems = module.clean_params({**defaults, key: value})
            if not problems:
                yield cleaned


def estimator_types(estimator: Any) -> Iterator[Any]:
    """Every estimator class in an unfitted estimator, and every class or function among its parameters."""
    stack = [estimator]
    while stack:
        item = stack.pop()
        if isinstance(item, BaseEstimator):
            yield type(item)
            stack.extend(item.get_params(deep=False).values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif callable(item):
            yield item
