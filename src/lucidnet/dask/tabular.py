"""``TabularClassifier`` / ``TabularRegressor`` whose ``fit`` also takes Dask DataFrames.

Dask input trains the tabular recipe on the cluster (:class:`DaskRecipeSource`: one task
per ensemble member, the model their stack); ``predict`` and ``predict_proba`` of a Dask
DataFrame run on the workers, partition by partition (``map_partitions``), lazily. Pandas
or NumPy input behaves exactly as the plain classes, and the fitted estimators save and
load as they do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucidnet.dask.cluster import is_dask, is_frame
from lucidnet.dask.recipe import DaskRecipeSource, cross_fit_rows, predict_partitions
from lucidnet.tables import tabular

__all__ = ["TabularClassifier", "TabularRegressor"]

TARGET = "__target__"  # the target's column while the features and y travel together


class _DaskTabular:
    """``fit`` and the predictions accept Dask DataFrames (lazy results for Dask input)."""

    def fit(self, X: Any, y: Any = None) -> Any:
        """A Dask DataFrame X and a Dask Series y of its partitions: the recipe on the
        cluster (the current Client); otherwise the in-memory ``fit``."""
        if not is_dask(X):
            return super().fit(X, y)  # type: ignore[misc]
        if not is_frame(X) or not (is_dask(y) and hasattr(y, "name")):
            raise TypeError(
                "With Dask input, fit takes a Dask DataFrame X and a Dask Series y cut from "
                "the same frame: X = df.drop(columns='y'), y = df['y']."
            )
        self._validate_params()  # type: ignore[attr-defined]
        columns = [str(c) for c in X.columns]
        if TARGET in columns:
            raise ValueError(f"X has a column named {TARGET!r}; rename it.")
        self.feature_names_in_ = np.asarray(columns, dtype=object)
        self.n_features_in_ = len(columns)
        recipe = self._recipe()  # type: ignore[attr-defined]
        source = DaskRecipeSource(
            X.assign(**{TARGET: y}),
            TARGET,
            validation=recipe.validation_fraction,
            seed=self.random_state if isinstance(self.random_state, int) else 0,  # type: ignore[attr-defined]
            max_validation_rows=recipe.max_validation_rows,
            cross_fit_max_rows=cross_fit_rows(recipe),
        )
        self._fit_source(source, None)  # type: ignore[attr-defined]
        return self

    def _fitted(self, y: Any) -> None:
        if getattr(self, "_task", None) == "classification":
            self.classes_ = np.asarray(self.model_.estimator.classes_)  # type: ignore[attr-defined]
        else:
            super()._fitted(y)  # type: ignore[misc]

    def predict(self, X: Any) -> Any:
        if is_frame(X):
            return predict_partitions(self.model_, X)  # type: ignore[attr-defined]
        return super().predict(X)  # type: ignore[misc]


class TabularClassifier(_DaskTabular, tabular.TabularClassifier):
    """lucidnet's TabularClassifier whose ``fit`` also takes a Dask DataFrame.

    Examples
    --------
    >>> from lucidnet.dask import TabularClassifier
    >>> TabularClassifier().n_members
    4
    """

    def predict_proba(self, X: Any) -> Any:
        if is_frame(X):
            return predict_partitions(self.model_, X, "predict_proba")
        return super().predict_proba(X)


class TabularRegressor(_DaskTabular, tabular.TabularRegressor):
    """lucidnet's TabularRegressor whose ``fit`` also takes a Dask DataFrame; see
    :class:`TabularClassifier`."""
