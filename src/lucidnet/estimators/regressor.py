"""MLPRegressor: scikit-learn's regressor interface on the lecture's network."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from lucidnet.estimators._base import BaseMLP

__all__ = ["MLPRegressor"]


class MLPRegressor(RegressorMixin, BaseMLP):
    """A fully-connected network regressor — a drop-in for scikit-learn's MLPRegressor.

    Identity output with the squared error ½ Σ_k (a_k − y_k)² per example; one or several
    outputs. Parameters and attributes are those of :class:`lucidnet.MLPClassifier`
    (without ``class_weight``); ``score`` is R².

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
        return tags

    def _encode_targets(self, y: Any, *, first: bool, classes: Any = None) -> np.ndarray:
        Y = np.asarray(y, dtype=np.float64)
        Y = Y.reshape(-1, 1) if Y.ndim == 1 else Y
        if first:
            self._y_1d = np.ndim(y) == 1
        elif "network_" in self.__dict__ and Y.shape[1] != self.network_.n[-1]:
            raise ValueError(
                f"y has {Y.shape[1]} output(s), but the model was fitted with "
                f"{self.network_.n[-1]}."
            )
        return Y

    def _output_name(self) -> str:
        return "identity"

    def _stratify_labels(self, Y: np.ndarray) -> None:
        return None

    def _validation_score(self, Y_true: np.ndarray, A_out: np.ndarray) -> float:
        """R² of the rows A_out against Y_true (averaged over outputs)."""
        return float(r2_score(Y_true, A_out))

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One epoch over (X, y), continuing from the current state."""
        self._validate_params()
        if self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True.")
        return self._fit(X, y, sample_weight, None, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        """Predictions, shape (n_samples,) for a 1-D target, else (n_samples, n_outputs)."""
        A = self._forward_blocks(self._validate_x(X), "A")
        return A[:, 0] if self._y_1d else A
