"""Predictions over Dask collections, and the estimators whose ``fit`` takes them."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import is_classifier

import lucidnet.estimators as estimators
from lucidnet.dask.cluster import is_dask, is_frame, require_distributed
from lucidnet.dask.lbfgs import as_rows, fit_lbfgs

__all__ = ["MLPClassifier", "MLPRegressor", "predict"]


def _call_block(X: np.ndarray, est: Any, method: str) -> np.ndarray:
    # The plain lucidnet class's method (the Dask subclasses would dispatch back here).
    # Blocks carry no column names; predict() compared the names once, on the client.
    base = estimators.MLPClassifier if is_classifier(est) else estimators.MLPRegressor
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        return getattr(base, method)(est, X)


def predict(estimator: Any, X: Any, method: str = "predict") -> Any:
    """A fitted lucidnet estimator's ``method`` over a Dask array or DataFrame, lazily.

    Returns a Dask array with X's row chunks; compute it (or write it out) when needed.
    """
    import dask.array as da

    require_distributed()
    est = estimator
    if method not in (
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "transform",
    ):
        raise ValueError(f"method must be a prediction method of the estimator; got {method!r}.")
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est)
    names = getattr(est, "feature_names_in_", None)
    if is_frame(X) and names is not None and [str(c) for c in X.columns] != list(names):
        raise ValueError(
            f"X has columns {[str(c) for c in X.columns]}, but the model was fitted with "
            f"{list(names)}; pass the same columns in the same order."
        )
    X = as_rows(X, "X")
    if X.shape[1] != est.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(est).__name__} is expecting "
            f"{est.n_features_in_} features as input."
        )
    net = est.network_
    n = X.chunks[0]
    kind = est.target_type_
    multilabel = kind == "multilabel-indicator"
    width: int | None
    dtype = np.dtype(net.dtype)
    if method == "transform":
        width = net.n[net.L - 1]
    elif method == "predict":
        if is_classifier(est):
            width = net.n[-1] if multilabel else None
            dtype = np.dtype(int) if multilabel else np.asarray(est.classes_).dtype
        else:
            width = None if kind == "continuous" else net.n[-1]
    elif method == "decision_function":
        width = None if kind == "binary" else net.n[-1]
    else:
        width = net.n[-1] if multilabel else max(2, net.n[-1])
    if width is None:
        return X.map_blocks(_call_block, est, method, drop_axis=1, chunks=(n,), dtype=dtype)
    out: da.Array = X.map_blocks(_call_block, est, method, chunks=(n, (width,)), dtype=dtype)
    return out


class _DaskFit:
    """``fit`` and the predictions accept Dask collections (lazy results for Dask input)."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None, *args: Any, **kwargs: Any) -> Any:
        """Dask input: :func:`fit_lbfgs` on the current client; otherwise the usual ``fit``."""
        if is_dask(X):
            if args or kwargs:
                raise TypeError("With Dask input, fit takes only X, y and sample_weight.")
            return fit_lbfgs(self, X, y, sample_weight)
        return super().fit(X, y, sample_weight, *args, **kwargs)  # type: ignore[misc]

    def predict(self, X: Any) -> Any:
        if is_dask(X):
            return predict(self, X, "predict")
        return super().predict(X)  # type: ignore[misc]

    def transform(self, X: Any) -> Any:
        if is_dask(X):
            return predict(self, X, "transform")
        return super().transform(X)  # type: ignore[misc]


class MLPClassifier(_DaskFit, estimators.MLPClassifier):
    """lucidnet's MLPClassifier whose ``fit`` also takes Dask arrays and DataFrames.

    Dask input is fitted by :func:`fit_lbfgs` (pass ``solver="lbfgs"``); ``predict``,
    ``predict_proba``, ``predict_log_proba``, ``decision_function`` and ``transform`` of
    Dask input return lazy Dask arrays. NumPy input behaves exactly as the plain class.
    It saves (``lucidnet.save``) as a plain MLPClassifier.

    Examples
    --------
    >>> from lucidnet.dask import MLPClassifier
    >>> MLPClassifier((32,), solver="lbfgs").solver
    'lbfgs'
    """

    def predict_proba(self, X: Any) -> Any:
        if is_dask(X):
            return predict(self, X, "predict_proba")
        return super().predict_proba(X)

    def predict_log_proba(self, X: Any) -> Any:
        if is_dask(X):
            return predict(self, X, "predict_log_proba")
        return super().predict_log_proba(X)

    def decision_function(self, X: Any) -> Any:
        if is_dask(X):
            return predict(self, X, "decision_function")
        return super().decision_function(X)


class MLPRegressor(_DaskFit, estimators.MLPRegressor):
    """lucidnet's MLPRegressor whose ``fit`` also takes Dask arrays and DataFrames.

    See :class:`MLPClassifier`.
    """
