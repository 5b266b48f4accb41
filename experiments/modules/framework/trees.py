"""A fitted HistGradientBoosting model's trees as flat arrays, walked for every tree at once.

scikit-learn predicts tree by tree (a Python call, an allocation and a thread pool per tree): for a web
request of a few rows that is ~1 ms for 100 trees. Walking all trees together with numpy takes a few
hundred microseconds and gives the same numbers: the same comparisons as the predictor's traversal
(`_predictor.pyx`: missing values by `missing_go_to_left`, categories by the bitsets, unknown categories as
missing) and leaf values added in tree order from the baseline, as `_raw_predict` adds them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .rows import NotFast


class CompiledBoosting:
    MAX_ROWS = 64  # beyond this scikit-learn's per-tree loop (parallel, in C) is the faster one

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator
        # With categorical features scikit-learn re-encodes them first (its own fitted ColumnTransformer).
        self.preprocessor = getattr(estimator, "_preprocessor", None)
        self.k = int(estimator.n_trees_per_iteration_)
        predictors = [predictor for iteration in estimator._predictors for predictor in iteration]
        sizes = [len(predictor.nodes) for predictor in predictors]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        nodes = np.concatenate([predictor.nodes for predictor in predictors])
        shift = np.repeat(offsets, sizes)
        self.roots = offsets
        self.leaf = nodes["is_leaf"].astype(bool)
        self.feature = nodes["feature_idx"].astype(np.int64)
        self.threshold = nodes["num_threshold"].astype(np.float64)
        self.missing_left = nodes["missing_go_to_left"].astype(bool)
        self.left = np.where(self.leaf, 0, nodes["left"].astype(np.int64) + shift)
        self.right = np.where(self.leaf, 0, nodes["right"].astype(np.int64) + shift)
        self.value = nodes["value"].astype(np.float64)
        self.depth = int(nodes["depth"].max()) + 1 if len(nodes) else 1
        self.categorical = nodes["is_categorical"].astype(bool)
        self.baseline = np.asarray(estimator._baseline_prediction, dtype=np.float64).reshape(-1)
        if self.categorical.any():
            bitsets = [predictor.raw_left_cat_bitsets for predictor in predictors]
            bitset_offsets = np.concatenate([[0], np.cumsum([len(b) for b in bitsets])[:-1]]).astype(np.int64)
            self.bitset = nodes["bitset_idx"].astype(np.int64) + np.repeat(bitset_offsets, sizes)
            self.left_bitsets = np.concatenate(bitsets).astype(np.int64)
            known, f_idx_map = estimator._bin_mapper.make_known_categories_bitsets()
            self.known_bitsets, self.f_idx_map = known.astype(np.int64), f_idx_map.astype(np.int64)

    @classmethod
    def of(cls, estimator: Any) -> CompiledBoosting | None:
        """None unless `estimator` is a fitted HistGradientBoosting model."""
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        if not isinstance(estimator, (HistGradientBoostingClassifier, HistGradientBoostingRegressor)) \
                or not hasattr(estimator, "_predictors"):
            return None
        return cls(estimator)

    def raw(self, X: np.ndarray) -> np.ndarray:
        """(rows, trees per iteration) raw predictions, as `_raw_predict` computes them."""
        X = np.asarray(X, dtype=np.float64)
        if self.preprocessor is not None:
            X = np.asarray(self.preprocessor.transform(X), dtype=np.float64)
        n = len(X)
        at = np.broadcast_to(self.roots, (n, len(self.roots))).copy()
        rows = np.arange(n)[:, None]
        for _ in range(self.depth):
            leaf = self.leaf[at]
            if leaf.all():
                break
            values = X[rows, self.feature[at]]
            missing = np.isnan(values)
            go_left = np.where(missing, self.missing_left[at], values <= self.threshold[at])
            categorical = self.categorical[at] & ~missing
            if categorical.any():
                go_left = np.where(categorical, self._categorical_left(at, values, categorical), go_left)
            at = np.where(leaf, at, np.where(go_left, self.left[at], self.right[at]))
        leaves = self.value[at]
        raw = np.empty((n, self.k))
        for k in range(self.k):
            series = np.concatenate([np.full((n, 1), self.baseline[k]), leaves[:, k::self.k]], axis=1)
            raw[:, k] = np.cumsum(series, axis=1)[:, -1]  # sequential: the order predict adds them in
        return raw

    def _categorical_left(self, at: np.ndarray, values: np.ndarray, categorical: np.ndarray) -> np.ndarray:
        codes = np.where(categorical, values, 0.0)
        if (codes > 255).any() or (codes != np.floor(codes)).any():
            raise NotFast  # outside the predictor's uint8 bins: leave it to scikit-learn
        negative = codes < 0
        bins = np.where(negative, 0, codes).astype(np.int64)
        word, bit = bins // 32, bins % 32
        in_left = (self.left_bitsets[np.where(categorical, self.bitset[at], 0), word] >> bit) & 1
        known = (self.known_bitsets[self.f_idx_map[self.feature[at]], word] >> bit) & 1
        missing_way = self.missing_left[at]
        return np.where(negative, missing_way, np.where(in_left == 1, True, np.where(known == 1, False, missing_way)))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.estimator._loss.predict_proba(self.raw(X)))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The regressor's predictions (the classifiers are scored through predict_proba)."""
        return np.asarray(self.estimator._loss.link.inverse(self.raw(X).ravel()))
