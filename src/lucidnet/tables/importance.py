"""Which columns matter: permutation importance per input column of a table model.

scikit-learn's :func:`~sklearn.inspection.permutation_importance` with an estimator that
takes the raw table (the model's own preprocessing inside), so that a column is one
input column, text or number, never one of its one-hot or indicator features. A
column's importance is the drop of the task's main metric (:data:`MAIN_METRIC`:
accuracy for classification, R² for regression) when its values are shuffled among
the rows, the others kept: the mean and standard deviation over ``n_repeats`` shuffles.

Scored on rows the model did not train on: held-out rows, or a cross-fitted model's
training rows each predicted by the member that left the row's fold out
(``folds``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from lucidnet.tables.model import TabularModel, as_probabilities

__all__ = ["MAIN_METRIC", "column_importance"]

MAIN_METRIC = {"classification": "accuracy", "regression": "r2"}
"""The metric an importance is the drop of, by task (the benchmark panel's main one)."""


def column_importance(
    model: TabularModel,
    frame: pd.DataFrame,
    y: Any,
    *,
    n_repeats: int = 5,
    seed: int = 0,
    max_rows: int | None = 10_000,
    folds: Any = None,
) -> pd.DataFrame:
    """Permutation importance of every input column of ``model`` on the rows of ``frame``.

    Parameters
    ----------
    model : TabularModel
        Single-output: a label or a number per row.
    frame : DataFrame of n rows
        The model's columns (others ignored).
    y : array-like of shape (n,)
        The true targets.
    n_repeats : int, default=5
        Shuffles per column.
    seed : int, default=0
        Seeds the shuffles and the choice of rows beyond ``max_rows``.
    max_rows : int or None, default=10000
        At most this many rows, chosen at random (None: all of them).
    folds : array-like of shape (n,), optional
        A cross-fitted model's fold of each row (``estimator.fold_``): row i is then
        predicted by member ``folds[i]`` alone, which never trained on it.

    Returns
    -------
    DataFrame
        One row per column: ``column``, ``mean`` and ``std`` of the metric's drop,
        sorted by ``mean`` (most important first); ``attrs`` holds ``metric``, its
        ``score`` on the rows unshuffled, ``rows``, ``repeats`` and ``seed``.
    """
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import get_scorer

    columns = list(model.preprocessor.columns)
    X = frame[columns].reset_index(drop=True)
    y = np.asarray(y)
    if model.task == "classification" and model.classes.dtype.kind in "USO":
        y = y.astype(str)
    fold = None if folds is None else np.asarray(folds)
    if max_rows is not None and len(X) > max_rows:
        keep = np.sort(np.random.default_rng(seed).choice(len(X), max_rows, replace=False))
        X, y = X.iloc[keep].reset_index(drop=True), y[keep]
        fold = None if fold is None else fold[keep]
    metric = MAIN_METRIC[model.task]
    predictor = (_Classifier if model.task == "classification" else _Regressor)(model, fold)
    result = permutation_importance(
        predictor, X, y, scoring=metric, n_repeats=n_repeats, random_state=seed
    )
    table = pd.DataFrame(
        {"column": columns, "mean": result.importances_mean, "std": result.importances_std}
    )
    table = table.sort_values("mean", ascending=False, kind="stable").reset_index(drop=True)
    score = float(get_scorer(metric)(predictor, X, y))
    table.attrs.update(metric=metric, score=score, rows=len(X), repeats=n_repeats, seed=seed)
    return table


class _Predictor(BaseEstimator):
    """A fitted table model under scikit-learn's names, taking the raw table."""

    def __init__(self, model: TabularModel, fold: Any = None) -> None:
        self.model = model
        self.fold = fold

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def fit(self, X: Any, y: Any) -> _Predictor:
        """Nothing to learn (scikit-learn's scorers expect the method): the model is fitted."""
        return self

    def _outputs(self, frame: pd.DataFrame) -> np.ndarray:
        """Row i's output A[L] from member ``fold[i]`` alone (it never trained on row i)."""
        features = self.model.features(frame)
        net = self.model.estimator.network_
        out = np.empty((len(frame), net.n[-1]), dtype=np.float64)
        for k in range(net.K):
            rows = self.fold == k
            if rows.any():
                out[rows] = np.asarray(net.member(k).predict_output(features[rows].T)).T
        return out


class _Classifier(ClassifierMixin, _Predictor):
    @property
    def classes_(self) -> np.ndarray:
        return self.model.classes

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        if self.fold is None:
            return self.model.predict_proba(frame)
        A = self._outputs(frame)
        return as_probabilities(np.hstack([1 - A, A]) if A.shape[1] == 1 else A)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        if self.fold is None:
            return self.model.predict(frame)
        return self.classes_[np.argmax(self.predict_proba(frame), axis=1)]


class _Regressor(RegressorMixin, _Predictor):
    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        if self.fold is None:
            return self.model.predict(frame)
        return self.model.scaling.inverse(self._outputs(frame)[:, 0])
