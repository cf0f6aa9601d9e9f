"""MLPRegressor: scikit-learn's regressor interface on the lecture's network."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if

from lucidnet.core.arrays import to_numpy
from lucidnet.estimators._arrays import score_on_host
from lucidnet.estimators._base import BaseMLP
from lucidnet.estimators.solvers import has_partial_fit

__all__ = ["MLPRegressor"]


class MLPRegressor(RegressorMixin, BaseMLP):
    """A fully-connected network regressor — a drop-in for scikit-learn's MLPRegressor.

    Identity output with the squared error ½ Σ_k (a_k − y_k)² per example; one or several
    outputs. Parameters and attributes are those of :class:`lucidnet.MLPClassifier`
    (without ``class_weight``); ``score`` is R². ``loss`` is "squared_error" (an identity
    output) or "poisson" (an exp output, A[L] = e^Z[L], for counts: docs/MATH.md §4b).

    Examples
    --------
    >>> import numpy as np
    >>> from lucidnet import MLPRegressor
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> reg = MLPRegressor((32,), activation="tanh", batch_size=32, learning_rate_init=0.01,
    ...                    tol=1e-5, random_state=0).fit(X, X[:, 0] ** 2)
    >>> reg.score(X, X[:, 0] ** 2) > 0.9
    True
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = False
        # PyTorch, CuPy, array-api-strict... arrays in, results out in their namespace;
        # scikit-learn's check_array_api_input passes (tests/arrayapi). L-BFGS is SciPy's.
        tags.array_api_support = self.solver != "lbfgs"
        return tags

    def _encode_targets(self, y: Any, *, first: bool, classes: Any = None) -> np.ndarray:
        Y = np.asarray(y, dtype=np.float64)
        Y = Y.reshape(-1, 1) if Y.ndim == 1 else Y
        if self.loss == "poisson" and np.any(Y < 0):
            raise ValueError(
                f"loss='poisson' needs non-negative targets (counts, rates); y holds "
                f"{float(np.min(Y))}. Use loss='squared_error' for a target that can be negative."
            )
        if first:
            self._y_1d = np.ndim(y) == 1
        elif "network_" in self.__dict__ and Y.shape[1] != self.network_.n[-1]:
            raise ValueError(
                f"y has {Y.shape[1]} output(s), but the model was fitted with "
                f"{self.network_.n[-1]}."
            )
        return Y

    def _output_name(self) -> str:
        return "exp" if self.loss == "poisson" else "identity"

    def _stratify_labels(self, Y: np.ndarray) -> None:
        return None

    def _validation_score(self, Y_true: Any, A_out: Any) -> float:
        """R² of the rows A_out against Y_true (averaged over outputs); NaN for one row,
        whose R² is undefined (it has no variance to compare with)."""
        A_out = to_numpy(A_out)  # once per epoch, any device
        if A_out.ndim == 3:  # an ensemble's rows (B, n[L], K): the members' mean
            A_out = A_out.mean(axis=-1)
        if len(A_out) < 2:
            return float("nan")
        return float(r2_score(to_numpy(Y_true), A_out))

    @available_if(has_partial_fit)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One epoch over (X, y), continuing from the current state."""
        self._validate_params()
        if self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True.")
        return self._fit(X, y, sample_weight, None, incremental=True)

    def predict(self, X: Any) -> Any:
        """Predictions, shape (n_samples,) for a 1-D target, else (n_samples, n_outputs).

        In X's namespace and on X's device.
        """
        X, back = self._input(X, "predict")
        A = self._forward_blocks(X, "A")
        return back(A[:, 0] if self._y_1d else A)

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """R² of ``predict(X)`` against y, as scikit-learn's; tensors on any device work."""
        return score_on_host(r2_score, y, self.predict(X), sample_weight)
