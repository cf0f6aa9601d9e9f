"""Strong by default on tables: ``TabularClassifier`` and ``TabularRegressor``.

scikit-learn estimators that take a DataFrame (or an array) with numeric and text
columns, own their preprocessing (stored declaratively in the model file) and train
with the tabular recipe (:class:`~lucidnet.tables.recipe.Recipe`, measured on a panel
of real tables in ``benchmarks/tables``): robust preprocessing, an ensemble of networks
trained at once, cross-fitted on tables of up to 1,000,000 rows (each member leaves its own
fold out and keeps its own best epoch), on larger ones the best epoch chosen on a
held-out split, then a refit on ALL the rows for that many epochs where the held-out
rows are at least a tenth of them. Their parameters'
defaults are the recipe's, and ``fit`` is :func:`~lucidnet.tables.fit.fit_table` over
the rows in memory.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import Tags
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from lucidnet.tables.fit import InMemorySource, fit_table
from lucidnet.tables.inputs import check_names, has_names, table_frame, target_vector
from lucidnet.tables.model import TabularModel, as_probabilities, row_exact
from lucidnet.tables.recipe import RECIPE, Recipe

__all__ = ["TabularClassifier", "TabularRegressor"]


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
        "min_frequency": [None, Interval(Integral, 1, None, closed="left")],
        "max_levels": [None, Interval(Integral, 1, None, closed="left")],
        "refit": ["boolean"],
        "cross_fit": ["boolean", None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "engine": [StrOptions({"numpy", "jax"})],
        "hidden_layer_sizes": "no_validation",  # checked by the inner estimator
        "dropout": "no_validation",
        "numeric_embedding": [None, StrOptions({"periodic", "piecewise"})],
        "embedding_frequencies": [Interval(Integral, 1, None, closed="left")],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "embedding_sigma": [Interval(Real, 0, None, closed="neither"), tuple],
        "embedding_bins": [Interval(Integral, 1, None, closed="left")],
        "count_loss": [None, StrOptions({"poisson"})],
    }

    def __init__(
        self,
        *,
        hidden_layer_sizes: Any = RECIPE.hidden_layer_sizes,
        n_members: int = RECIPE.n_members,
        learning_rate: float = RECIPE.learning_rate,
        max_epochs: int = RECIPE.max_epochs,
        patience: int = RECIPE.patience,
        dropout: Any = None,
        validation_fraction: float = RECIPE.validation_fraction,
        refit: bool = RECIPE.refit,
        cross_fit: bool | None = RECIPE.cross_fit,
        time_limit: float | None = RECIPE.time_limit,
        max_categories: int | None = RECIPE.max_categories,
        min_frequency: int | None = RECIPE.min_frequency,
        max_levels: int | None = RECIPE.max_levels,
        random_state: Any = None,
        verbose: Any = 0,
        engine: str = "numpy",
        numeric_embedding: str | None = RECIPE.numeric_embedding,
        embedding_frequencies: int = RECIPE.embedding_frequencies,
        embedding_dim: int = RECIPE.embedding_dim,
        embedding_sigma: float | tuple[float, ...] = RECIPE.embedding_sigma,
        embedding_bins: int = RECIPE.embedding_bins,
        count_loss: str | None = RECIPE.count_loss,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_members = n_members
        self.learning_rate = learning_rate
        self.max_epochs = max_epochs
        self.patience = patience
        self.dropout = dropout
        self.validation_fraction = validation_fraction
        self.refit = refit
        self.cross_fit = cross_fit
        self.time_limit = time_limit
        self.max_categories = max_categories
        self.min_frequency = min_frequency
        self.max_levels = max_levels
        self.random_state = random_state
        self.verbose = verbose
        self.engine = engine
        self.numeric_embedding = numeric_embedding
        self.embedding_frequencies = embedding_frequencies
        self.embedding_dim = embedding_dim
        self.embedding_sigma = embedding_sigma
        self.embedding_bins = embedding_bins
        self.count_loss = count_loss

    def _recipe(self) -> Recipe:
        """The recipe with this estimator's parameters."""
        return Recipe(
            hidden_layer_sizes=self.hidden_layer_sizes,
            n_members=self.n_members,
            learning_rate=self.learning_rate,
            max_epochs=self.max_epochs,
            patience=self.patience,
            validation_fraction=self.validation_fraction,
            max_categories=self.max_categories,
            min_frequency=self.min_frequency,
            max_levels=self.max_levels,
            refit=self.refit,
            cross_fit=self.cross_fit,
            time_limit=self.time_limit,
            numeric_embedding=self.numeric_embedding,
            embedding_frequencies=self.embedding_frequencies,
            embedding_dim=self.embedding_dim,
            embedding_sigma=self.embedding_sigma,
            embedding_bins=self.embedding_bins,
            count_loss=self.count_loss,
        )

    def __sklearn_tags__(self) -> Tags:
        """Tables: missing cells (NaN, None, ±inf) and text columns are input; sparse
        matrices are refused (:func:`~lucidnet.tables.inputs.table_frame`)."""
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.input_tags.sparse = False
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = False
        return tags

    def _frame(self, X: Any, *, reset: bool) -> pd.DataFrame:
        """X as a table; after fit, its columns named as the preprocessing's (by position
        once the names agree, as scikit-learn's ``feature_names_in_`` rules say)."""
        who = type(self).__name__
        frame = table_frame(X, who)
        if reset:
            self.n_features_in_ = frame.shape[1]
            if has_names(X):
                self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            return frame
        check_names(getattr(self, "feature_names_in_", None), X, who)
        if frame.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {frame.shape[1]} features, but {who} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return frame.set_axis(self.preprocessor_.columns, axis=1)

    def fit(self, X: Any, y: Any = None) -> Any:
        """Fit on a table X (DataFrame or array, n_samples rows) and targets y.

        :func:`~lucidnet.tables.fit.fit_table` over the rows (every row trains; the
        recipe holds out its own ``validation_fraction`` to choose the epochs).
        """
        self._validate_params()
        frame = self._frame(X, reset=True)
        who = type(self).__name__
        y = target_vector(y, len(frame), who, numeric=self._task == "regression")
        if len(frame) < 2:
            raise ValueError(
                f"{who} needs at least 2 rows to train (its recipe holds rows out to choose "
                f"the epochs); got n_samples={len(frame)}."
            )
        source = InMemorySource.from_arrays(frame, y, target="y")
        return self._fit_source(source, y)

    def _fit_source(self, source: Any, y: Any) -> Any:
        """:func:`~lucidnet.tables.fit.fit_table` over ``source`` with this estimator's
        recipe; ``y`` holds every class (classification)."""
        params = {
            "dropout": self.dropout,
            "random_state": self.random_state,
            "verbose": self.verbose,
            "engine": self.engine,
        }
        fit = fit_table(source, task=self._task, recipe=self._recipe(), params=params, warn=True)
        self.model_ = fit.model
        self.preprocessor_ = fit.model.preprocessor
        self.estimator_ = fit.model.estimator
        self.n_iter_ = self.estimator_.n_iter_
        self.selected_epochs_ = _selected_epochs(self.estimator_)
        self._fitted(y)
        return self

    def _fitted(self, y: np.ndarray) -> None:
        """The task's own fitted attributes."""

    def _predictor(self, X: Any) -> tuple[Any, np.ndarray]:
        """The network's inputs for X's rows, and the estimator that predicts each row
        on its own (:func:`~lucidnet.tables.model.row_exact`)."""
        check_is_fitted(self)
        F = self.preprocessor_.transform(self._frame(X, reset=False), dtype=np.float32)
        return row_exact(self.estimator_, F)

    def _rounded(self, values: Any) -> np.ndarray:
        """Outputs computed in float64 rounded to the network's own dtype."""
        return np.asarray(values).astype(self.estimator_.network_.dtype)

    def table_model(self, target: str, metrics: dict[str, Any] | None = None) -> TabularModel:
        """This fitted estimator as a table model (what ``lucidnet train`` saves)."""
        check_is_fitted(self)
        scaling = self.model_.scaling
        return TabularModel(
            self.preprocessor_,
            self.estimator_,
            target,
            self._task,
            metrics,
            scaling.mean,
            scaling.scale,
        )


def _selected_epochs(est: Any) -> int:
    """The epochs chosen in the first phase: the refit's count, else the best epoch kept."""
    if hasattr(est, "selected_epochs_"):
        return int(est.selected_epochs_)
    trainer = getattr(est, "trainer_", None)
    best = trainer.best_epoch if trainer is not None else None
    return int(best or est.n_iter_)


class TabularClassifier(ClassifierMixin, _TabularBase):
    """A classifier for tables, strong by default (see the module docstring).

    Parameters
    ----------
    hidden_layer_sizes, n_members, learning_rate, max_epochs, patience : see Recipe
    validation_fraction, refit, cross_fit, time_limit, max_categories : see Recipe
    min_frequency, max_levels : see Recipe
        The fields of :class:`~lucidnet.tables.recipe.Recipe` of the same names; their
        defaults are the recipe's (:data:`~lucidnet.tables.recipe.RECIPE`).
    numeric_embedding : {None, "periodic", "piecewise"}
    embedding_frequencies, embedding_dim, embedding_sigma, embedding_bins : see Recipe
    count_loss : {None, "poisson"}
        See Recipe (:data:`~lucidnet.tables.recipe.RECIPE`'s default).
    dropout : float, optional
        Dropout rate of the hidden layers.
    random_state : int, RandomState or None
    verbose : int, default=0
    engine : {"numpy", "jax"}, default="numpy"
        "jax" compiles each epoch with JAX (``pip install "lucidnet[jax]"``); see
        :class:`lucidnet.MLPClassifier`.

    Attributes
    ----------
    model_ : TabularModel
        The fitted table model (what :meth:`table_model` saves).
    preprocessor_ : TablePreprocessor
    estimator_ : MLPClassifier
        The network behind it (an ensemble of ``n_members``).
    selected_epochs_ : int
        Cross-fitted (the default up to ``Recipe.cross_fit_max_rows`` rows with 2 members
        or more: :meth:`Recipe.cross_fits`), the latest of the members' own best epochs
        (each member's: ``estimator_.member_epochs_``). Otherwise the number of epochs
        chosen in the first phase, on the held-out rows (the best held-out loss); the
        refit trains that many epochs on every row. Without the refit (``refit=False``,
        or the ``time_limit`` reached), the epoch whose weights the model kept.
    n_iter_ : int
        The epochs the final model trained.
    classes_ : ndarray
    """

    _task = "classification"

    def _fitted(self, y: np.ndarray) -> None:
        self.classes_ = np.unique(y)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in ``classes_`` order (float64 rows summing to 1).

        A row's probabilities do not depend on the other rows of X.
        """
        est, F = self._predictor(X)
        return as_probabilities(self._rounded(est.predict_proba(F)))

    def predict_log_proba(self, X: Any) -> np.ndarray:
        est, F = self._predictor(X)
        return self._rounded(est.predict_log_proba(F))

    def predict(self, X: Any) -> np.ndarray:
        est, F = self._predictor(X)
        return np.asarray(est.predict(F))

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))


class TabularRegressor(RegressorMixin, _TabularBase):
    """A regressor for tables, strong by default; parameters as :class:`TabularClassifier`.

    The network learns the standardised target (y − mean) / std; predictions come back
    in the target's units.

    Attributes
    ----------
    model_, preprocessor_, selected_epochs_, n_iter_ : see TabularClassifier
    estimator_ : MLPRegressor
    target_mean_, target_scale_ : float
        The target's standardisation, learned on the training rows.
    """

    _task = "regression"

    def _fitted(self, y: np.ndarray) -> None:
        self.target_mean_ = self.model_.scaling.mean
        self.target_scale_ = self.model_.scaling.scale

    def predict(self, X: Any) -> np.ndarray:
        """Predictions in the target's units; a row's does not depend on the other rows."""
        est, F = self._predictor(X)
        z = self._rounded(est.predict(F)).astype(np.float64)
        return self.model_.scaling.inverse(z)

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        return float(r2_score(y, self.predict(X), sample_weight=sample_weight))
