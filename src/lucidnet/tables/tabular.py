"""Strong by default on tables: ``TabularClassifier`` and ``TabularRegressor``.

scikit-learn estimators that take a DataFrame (or an array) with numeric and text
columns, own their preprocessing (stored declaratively in the model file) and train
with a recipe measured on a panel of real tables (``benchmarks/tables``):

- numbers: median imputation with missing-value indicators, robust scaling (median,
  interquartile range) and the smooth clip x / √(1 + (x/3)²); text: one-hot encoding of
  the most frequent categories;
- an ensemble of K networks trained at once (``n_members``; ``lucidnet.core.ensemble``),
  Adam with β₂ = 0.95;
- the best epoch chosen on a held-out split, then a refit on ALL the rows for that
  many epochs, so no row is wasted (``refit=True``);
- ``time_limit``: a hard budget in seconds; the best model so far is kept.

:func:`fit_recipe` is the training step shared with ``lucidnet train``
(:class:`~lucidnet.tables.fit.InMemorySource`).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from lucidnet.estimators import MLPClassifier, MLPRegressor
from lucidnet.tables.model import TabularModel, as_probabilities
from lucidnet.tables.preprocess import TablePreprocessor
from lucidnet.training import Callback

__all__ = ["TabularClassifier", "TabularRegressor", "fit_batch", "fit_recipe", "recipe_estimator"]


class TimeLimit(Callback):
    """Stop training once ``seconds`` have passed since ``start`` (a ``time.monotonic``)."""

    def __init__(self, seconds: float, start: float) -> None:
        self.seconds, self.start = float(seconds), float(start)
        self.hit = False

    def on_batch_end(self, trainer: Any, batch: int, logs: dict[str, Any]) -> None:
        if time.monotonic() - self.start > self.seconds:
            self.hit = trainer.stop_training = True


def recipe_preprocessor(max_categories: int | None = 64) -> TablePreprocessor:
    """The recipe's preprocessing: robust scaling + smooth clip, indicators, one-hot."""
    return TablePreprocessor(
        scaling="robust", missing_indicators=True, max_categories=max_categories
    )


def recipe_estimator(task: str, params: dict[str, Any] | None = None) -> Any:
    """The recipe's MLPClassifier / MLPRegressor (``params`` override the defaults)."""
    defaults: dict[str, Any] = {
        "hidden_layer_sizes": (128, 128),
        "n_members": 4,
        "learning_rate_init": 2e-3,
        "beta_2": 0.95,
        "batch_size": 256,
        "max_iter": 200,
        "early_stopping": True,
        "validation_fraction": 0.2,
        "n_iter_no_change": 16,
        "tol": 0.0,
        "dtype": "float32",
    }
    if task == "classification":
        return MLPClassifier(**{**defaults, **(params or {})})
    return MLPRegressor(**{**defaults, **(params or {})})


def fit_recipe(
    est: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    validation_data: tuple[Any, ...] | None = None,
    refit: bool = True,
    time_limit: float | None = None,
    on_selected: Callable[[Any], None] | None = None,
) -> Any:
    """Fit ``est`` choosing the best epoch on held-out rows, then refit on all rows.

    Parameters
    ----------
    est : MLPClassifier or MLPRegressor
        With ``early_stopping=True`` its ``validation_fraction`` of the rows picks the
        epoch (or ``validation_data``, rows apart from X, when given).
    X, y : arrays
    refit : bool
        Train a fresh estimator (same parameters and seed) on all of X for the chosen
        number of epochs. Skipped when the time limit ran out in the first phase.
    time_limit : float, optional
        Seconds for both phases together; training stops when they are spent and the
        best model so far is kept.
    on_selected : callable, optional
        Called with the first phase's estimator (best epoch restored) before the refit:
        the moment to score rows it never trained on.

    Returns
    -------
    The fitted estimator: the refitted one, or ``est``.
    """
    start = time.monotonic()
    fit_batch(est, len(X) * (1 - est.validation_fraction) if est.early_stopping else len(X))
    limit = TimeLimit(time_limit, start) if time_limit else None
    est.set_params(callbacks=[*(est.callbacks or []), *([limit] if limit else [])] or None)
    est.fit(X, y, validation_data=validation_data)
    best = est.trainer_.best_epoch or est.n_iter_
    if on_selected is not None:
        on_selected(est)
    if not refit or (limit is not None and limit.hit) or not est.early_stopping:
        return est
    final = clone(est).set_params(early_stopping=False, max_iter=int(best))
    final.set_params(n_iter_no_change=np.inf)
    if limit is not None:
        left = time_limit - (time.monotonic() - start)  # type: ignore[operator]
        if left <= 0:
            return est
        final.set_params(callbacks=[TimeLimit(left, time.monotonic())])
    X_all, y_all = X, y
    if validation_data is not None:  # rows apart from X also train the final model
        X_all = np.concatenate([X, validation_data[0]])
        y_all = np.concatenate([np.asarray(y), np.asarray(validation_data[1])])
    with warnings.catch_warnings():  # the refit stops at the chosen epoch by design
        warnings.simplefilter("ignore", ConvergenceWarning)
        final.fit(X_all, y_all)
    final.selected_epochs_ = int(best)
    return final


def fit_batch(est: Any, n_rows: float) -> None:
    """The recipe's batch size, at most the rows trained on (small tables)."""
    if isinstance(est.batch_size, Integral) and int(est.batch_size) > n_rows:
        est.set_params(batch_size=max(1, int(n_rows)))


class _TabularBase(BaseEstimator):
    """What the tabular classifier and regressor share."""

    _task = "classification"
    _parameter_constraints: dict[str, Any] = {
        "n_members": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "time_limit": [None, Interval(Real, 0, None, closed="neither")],
        "max_categories": [None, Interval(Integral, 2, None, closed="left")],
        "refit": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "engine": [StrOptions({"numpy", "jax"})],
        "hidden_layer_sizes": "no_validation",  # checked by the inner estimator
        "dropout": "no_validation",
    }

    def __init__(
        self,
        *,
        hidden_layer_sizes: Any = (128, 128),
        n_members: int = 4,
        learning_rate: float = 2e-3,
        max_epochs: int = 200,
        patience: int = 16,
        dropout: Any = None,
        validation_fraction: float = 0.2,
        refit: bool = True,
        time_limit: float | None = None,
        max_categories: int | None = 64,
        random_state: Any = None,
        verbose: Any = 0,
        engine: str = "numpy",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_members = n_members
        self.learning_rate = learning_rate
        self.max_epochs = max_epochs
        self.patience = patience
        self.dropout = dropout
        self.validation_fraction = validation_fraction
        self.refit = refit
        self.time_limit = time_limit
        self.max_categories = max_categories
        self.random_state = random_state
        self.verbose = verbose
        self.engine = engine

    def _inner_params(self) -> dict[str, Any]:
        return {
            "hidden_layer_sizes": self.hidden_layer_sizes,
            "n_members": self.n_members,
            "learning_rate_init": self.learning_rate,
            "max_iter": self.max_epochs,
            "n_iter_no_change": self.patience,
            "dropout": self.dropout,
            "validation_fraction": self.validation_fraction,
            "random_state": self.random_state,
            "verbose": self.verbose,
            "engine": self.engine,
        }

    def _frame(self, X: Any, *, reset: bool) -> pd.DataFrame:
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
        frame = frame.rename(columns=str)
        if reset:
            self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
            self.n_features_in_ = frame.shape[1]
        elif frame.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {frame.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return frame

    def fit(self, X: Any, y: Any) -> Any:
        """Fit on a table X (DataFrame or array, n_samples rows) and targets y."""
        self._validate_params()
        frame = self._frame(X, reset=True)
        y = self._check_y(y, len(frame))
        self.preprocessor_ = recipe_preprocessor(self.max_categories).fit(frame)
        features = self.preprocessor_.transform(frame, dtype=np.float32)
        est = recipe_estimator(self._task, self._inner_params())
        self.estimator_ = fit_recipe(
            est, features, self._fit_target(y), refit=self.refit, time_limit=self.time_limit
        )
        self.n_iter_ = self.estimator_.n_iter_
        return self

    def _check_y(self, y: Any, n: int) -> np.ndarray:
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != n:
            raise ValueError(f"y must be 1-D with one value per row of X ({n}); got {y.shape}.")
        return y

    def _fit_target(self, y: np.ndarray) -> np.ndarray:
        return y

    def _features(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return self.preprocessor_.transform(self._frame(X, reset=False), dtype=np.float32)

    def table_model(self, target: str, metrics: dict[str, Any] | None = None) -> TabularModel:
        """This fitted estimator as a table model (what ``lucidnet train`` saves)."""
        check_is_fitted(self)
        mean, scale = getattr(self, "target_mean_", 0.0), getattr(self, "target_scale_", 1.0)
        return TabularModel(
            self.preprocessor_, self.estimator_, target, self._task, metrics, mean, scale
        )


class TabularClassifier(ClassifierMixin, _TabularBase):
    """A classifier for tables, strong by default (see the module docstring).

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(128, 128)
    n_members : int, default=4
        K networks trained at once; predictions are their mean.
    learning_rate : float, default=2e-3
        Adam's step size (β₂ = 0.95).
    max_epochs : int, default=200
    patience : int, default=16
        Epochs without improvement of the held-out loss before the first phase stops.
    dropout : float, optional
    validation_fraction : float, default=0.2
        Rows held out to choose the epoch (then trained on, with ``refit=True``).
    refit : bool, default=True
    time_limit : float, optional
        Seconds; the best model so far is kept when they run out.
    max_categories : int or None, default=64
        One-hot columns per text column (the rarest categories share all-zero rows).
    random_state : int, RandomState or None
    verbose : int, default=0
    engine : {"numpy", "jax"}, default="numpy"
        "jax" compiles each epoch with JAX (``pip install "lucidnet[jax]"``); see
        :class:`lucidnet.MLPClassifier`.

    Attributes
    ----------
    preprocessor_ : TablePreprocessor
    estimator_ : MLPClassifier
        The network behind it (an ensemble of ``n_members``).
    classes_ : ndarray
    """

    _task = "classification"

    def _fit_target(self, y: np.ndarray) -> np.ndarray:
        self.classes_ = np.unique(y)
        return y

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in ``classes_`` order (float64 rows summing to 1)."""
        return as_probabilities(self.estimator_.predict_proba(self._features(X)))

    def predict_log_proba(self, X: Any) -> np.ndarray:
        return np.asarray(self.estimator_.predict_log_proba(self._features(X)))

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.estimator_.predict(self._features(X)))

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))


class TabularRegressor(RegressorMixin, _TabularBase):
    """A regressor for tables, strong by default; parameters as :class:`TabularClassifier`.

    The network learns the standardised target (y − mean) / std; predictions come back
    in the target's units.
    """

    _task = "regression"

    def _fit_target(self, y: np.ndarray) -> np.ndarray:
        y = y.astype(np.float64)
        self.target_mean_ = float(np.mean(y))
        self.target_scale_ = float(np.std(y)) or 1.0
        return (y - self.target_mean_) / self.target_scale_

    def predict(self, X: Any) -> np.ndarray:
        z = np.asarray(self.estimator_.predict(self._features(X)), dtype=np.float64)
        return z * self.target_scale_ + self.target_mean_

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        return float(r2_score(y, self.predict(X), sample_weight=sample_weight))
