"""One way in for the data: X, y and sample weights checked and placed ONCE per fit.

:func:`fit_input` decides, in this order and each once: whether X is a foreign array
(PyTorch, CuPy, array-api-strict...) or NumPy-like; validates X and y as scikit-learn
would; where training runs (namespace and device: "everything follows X", a kept
network stays where it is, the ``device`` parameter overrides, L-BFGS runs on NumPy);
the float type; and moves X there. The result is handed on as a :class:`FitInput`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
    column_or_1d,
    validate_data,
)

from lucidnet.core.arrays import device_of, move_to, namespace, to_numpy
from lucidnet.estimators._arrays import (
    check_foreign_X,
    float_dtype_for,
    is_foreign,
    resolve_device,
    to_dtype,
)
from lucidnet.training.data import check_sample_weight as check_training_weights

__all__ = ["FitInput", "check_sample_weight", "fit_input"]


@dataclass
class FitInput:
    """The training data, ready: X placed and typed, y and s as NumPy (they follow X later).

    Attributes
    ----------
    X : array of shape (n_samples, n_features)
        In namespace ``xp`` on ``device``, of float type ``dtype``.
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None
    xp, device, dtype
    """

    X: Any
    y: np.ndarray
    sample_weight: np.ndarray | None
    xp: Any
    device: Any
    dtype: Any


def fit_input(
    est: Any, X: Any, y: Any, sample_weight: Any, *, reset: bool, new_network: bool
) -> FitInput:
    """Validate (X, y, sample_weight) for ``est`` and place X where training runs."""
    foreign = is_foreign(X)
    y = to_numpy(y) if is_foreign(y) else y  # labels are found on the host
    if foreign:
        X = check_foreign_X(est, X, reset=reset)
        y = check_array(y, ensure_2d=False, dtype=None, input_name="y", estimator=est)
        if not est._is_classifier and y.dtype.kind == "O":
            y = y.astype(np.float64)
        check_consistent_length(X, y)
    else:
        X, y = validate_data(
            est,
            X,
            y,
            reset=reset,
            dtype=(np.float64, np.float32),
            multi_output=True,
            y_numeric=not est._is_classifier,
        )
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    if est.solver == "lbfgs":
        xp, device = np, None
    elif not new_network:  # a kept network stays where it is; the data move to it
        W = est.network_.W[1]
        xp, device = namespace(W), device_of(W)
    elif est.device is not None:
        xp, device = resolve_device(est.device, type(est).__name__)
    elif foreign:
        xp, device = namespace(X), device_of(X)
    else:
        xp, device = np, None
    dtype = float_dtype_for(X, est.dtype, xp, device) if reset else est.network_.dtype
    s = check_sample_weight(sample_weight, X.shape[0], dtype, getattr(est, "n_members", 1))
    return FitInput(move_to(to_dtype(X, dtype), xp, device), y, s, xp, device, dtype)


def check_sample_weight(
    sample_weight: Any, n_samples: int, dtype: Any, members: int = 1
) -> np.ndarray | None:
    """Sample weights as NumPy of ``dtype`` (they follow X to its device in the Trainer).

    Shape (n_samples,), or (members, n_samples) for an ensemble's per-member weights.
    """
    if sample_weight is None:
        return None
    if is_foreign(sample_weight):
        sample_weight = to_numpy(sample_weight)
    if members > 1 and np.ndim(sample_weight) == 2:  # each member's own weights
        checked = check_training_weights(sample_weight, n_samples, members=members)
        return checked.astype(dtype, copy=False)
    shape_only = np.empty((n_samples, 0), dtype=dtype)  # scikit-learn needs only the size
    s = _check_sample_weight(sample_weight, shape_only, dtype=dtype, ensure_non_negative=True)
    if not np.any(s > 0):
        raise ValueError(
            "Sample weights must contain at least one non-zero number; all "
            f"{s.shape[0]} weights are zero."
        )
    return s
