"""The table model: declarative preprocessing + a fitted estimator + the target's meaning.

What ``lucidnet train`` saves and ``lucidnet predict/evaluate/inspect/export`` load.
:class:`TargetScaling` is the one standardisation of a regression target, used by every
way of training (in memory, streamed, on a cluster) and by prediction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lucidnet.tables.preprocess import TablePreprocessor

__all__ = ["TabularModel", "TargetScaling", "as_probabilities"]


@dataclass(frozen=True)
class TargetScaling:
    """A regression target standardised: the network learns z = (y − mean) / scale.

    ``mean`` and ``scale`` are the mean and the population standard deviation of the
    training rows' targets (``TableStats.target_scaling``); scale = 1 for a constant
    target. A classification target keeps mean = 0 and scale = 1.
    """

    mean: float = 0.0
    scale: float = 1.0

    def forward(self, y: Any) -> np.ndarray:
        """z = (y − mean) / scale, in float64."""
        return (np.asarray(y, dtype=np.float64) - self.mean) / self.scale

    def inverse(self, z: Any) -> Any:
        """y = z · scale + mean (in z's dtype: float32 predictions stay float32)."""
        return z * self.scale + self.mean


class TabularModel:
    """A table model: declarative preprocessing + a fitted lucidnet estimator.

    What ``lucidnet train`` saves and ``lucidnet predict/evaluate/inspect/export`` load.

    Parameters
    ----------
    preprocessor : TablePreprocessor
    estimator : MLPClassifier or MLPRegressor (fitted)
    target : str
        The name of the target column.
    task : {"classification", "regression"}
    metrics : dict, optional
        A training summary shown by ``inspect`` (held-out metrics, epochs, ...).
    target_mean, target_scale : float, default 0 and 1
        Regression only: the network predicts (y − target_mean) / target_scale, and
        :meth:`predict` returns values in the target's own units.
    """

    def __init__(
        self,
        preprocessor: TablePreprocessor,
        estimator: Any,
        target: str,
        task: str,
        metrics: dict[str, Any] | None = None,
        target_mean: float = 0.0,
        target_scale: float = 1.0,
    ) -> None:
        self.preprocessor = preprocessor
        self.estimator = estimator
        self.target = target
        self.task = task
        self.metrics = dict(metrics or {})
        self.scaling = TargetScaling(float(target_mean), float(target_scale))

    @property
    def target_mean(self) -> float:
        return self.scaling.mean

    @property
    def target_scale(self) -> float:
        return self.scaling.scale

    def features(self, frame: pd.DataFrame) -> np.ndarray:
        """The network's input matrix for the rows of ``frame`` (extra columns ignored)."""
        return self.preprocessor.transform(frame, dtype=self.estimator.network_.dtype)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted labels (classification) or values in the target's units (regression)."""
        prediction = self.estimator.predict(self.features(frame))
        if self.task == "regression":
            return self.scaling.inverse(prediction)
        return prediction

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Class probabilities, columns in ``classes`` order (classification only).

        float64 rows that sum to 1 (a float32 network's rows are renormalised in float64,
        so that scikit-learn's metrics accept them as probabilities).
        """
        return as_probabilities(self.estimator.predict_proba(self.features(frame)))

    @property
    def classes(self) -> np.ndarray:
        return np.asarray(self.estimator.classes_)


def as_probabilities(P: Any) -> np.ndarray:
    """Rows of class probabilities as float64, each renormalised to sum to 1."""
    P = np.asarray(P, dtype=np.float64)
    return P / P.sum(axis=1, keepdims=True)
