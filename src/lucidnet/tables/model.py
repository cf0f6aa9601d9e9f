"""The table model: declarative preprocessing + a fitted estimator + the target's meaning.

What ``lucidnet train`` saves and ``lucidnet predict/evaluate/inspect/export`` load.
:class:`TargetScaling` is the one standardisation of a regression target, used by every
way of training (in memory, streamed, on a cluster) and by prediction.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lucidnet.estimators import MLPClassifier, estimator_from_info, estimator_info
from lucidnet.estimators.modelinfo import ESTIMATOR_INFO
from lucidnet.io.modelfile import LoadedModel
from lucidnet.io.schema import BOOL, NULL, NUMBER, STR, Choice, ListOf, OneOf, Record
from lucidnet.tables.preprocess import TablePreprocessor

__all__ = [
    "ABSENT",
    "TABLE_INFO",
    "TabularModel",
    "TargetScaling",
    "as_probabilities",
    "recorded_metrics",
    "row_exact",
]

ABSENT = "absent"
"""The key of a training summary that lists the metrics which could not be computed."""

TABLE_INFO = ESTIMATOR_INFO.extend(
    {
        "preprocessing": Record(
            {
                "columns": ListOf(STR),
                "numeric": ListOf(STR),
                "categorical": ListOf(STR),
                "categories": Record(rest=ListOf(STR)),
                "imputer_numeric": STR,
                "imputer_categorical": STR,
                "scaling": Choice(("standard", "robust")),
                "indicators": ListOf(STR),
            },
            optional=("imputer_numeric", "imputer_categorical", "scaling", "indicators"),
        ),
        "target": STR,
        "task": Choice(("classification", "regression")),
        "metrics": Record(rest=OneOf(NUMBER, STR, BOOL, NULL, ListOf(STR))),
        "target_mean": NUMBER,
        "target_scale": NUMBER,
    },
    optional=("metrics", "target_mean", "target_scale"),
)
"""The schema of a table model's ``info``: the estimator's and the table's fields."""


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
        A training summary shown by ``inspect`` (held-out metrics, epochs, ...); a
        metric that could not be computed (NaN or infinite) is saved as absent, its
        name listed under ``metrics["absent"]`` (:func:`recorded_metrics`).
    target_mean, target_scale : float, default 0 and 1
        Regression only: the network predicts (y − target_mean) / target_scale, and
        :meth:`predict` returns values in the target's own units.

    Attributes
    ----------
    scaling : TargetScaling
        ``target_mean`` and ``target_scale`` (also readable under those names).
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

    def with_estimator(self, estimator: Any) -> TabularModel:
        """This model's preprocessing, target, task and scaling around ``estimator``.

        No metrics: what another estimator scores is its own.
        """
        return TabularModel(
            self.preprocessor,
            estimator,
            self.target,
            self.task,
            target_mean=self.target_mean,
            target_scale=self.target_scale,
        )

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
        """Predicted labels (classification) or values in the target's units (regression).

        Row by row: a row's prediction never depends on the other rows (:func:`row_exact`).
        """
        est, X = row_exact(self.estimator, self.features(frame))
        if self.task == "regression":
            z = np.asarray(est.predict(X)).astype(self.estimator.network_.dtype)
            return self.scaling.inverse(z)
        return np.asarray(est.predict(X))

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Class probabilities, columns in ``classes`` order (classification only).

        float64 rows that sum to 1 (a float32 network's rows are renormalised in float64,
        so that scikit-learn's metrics accept them as probabilities); row by row, as
        :meth:`predict`.
        """
        est, X = row_exact(self.estimator, self.features(frame))
        P = np.asarray(est.predict_proba(X)).astype(self.estimator.network_.dtype)
        return as_probabilities(P)

    def predict_with_proba(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(:meth:`predict`, :meth:`predict_proba`) of a classification model from one
        pass over the rows: the same arrays, half the work."""
        est, X = row_exact(self.estimator, self.features(frame))
        labels, P = est.predict_with_proba(X)
        return np.asarray(labels), as_probabilities(
            np.asarray(P).astype(self.estimator.network_.dtype)
        )

    @property
    def classes(self) -> np.ndarray:
        return np.asarray(self.estimator.classes_)

    # ------------------------------------------------------------------ files and graphs

    def file_contents(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """What the model file stores beside the network: the JSON ``info`` (the
        estimator's, the preprocessing, the target) and the preprocessor's arrays."""
        info = estimator_info(self.estimator)
        arrays, pre_meta = self.preprocessor.to_state()
        info.update(
            kind="table",
            preprocessing=pre_meta,
            target=self.target,
            task=self.task,
            metrics=recorded_metrics(self.metrics),
            target_mean=self.target_mean,
            target_scale=self.target_scale,
        )
        return info, arrays

    @classmethod
    def from_file(cls, loaded: LoadedModel) -> TabularModel:
        """The table model of a file that :meth:`file_contents` filled, checked.

        Raises
        ------
        ModelFileError
            When ``info`` does not fit :data:`TABLE_INFO` (naming the field), or the
            preprocessing, the task, the target or its scaling disagree with the network.
        """
        loaded.check_info(TABLE_INFO)
        estimator = estimator_from_info(loaded)
        try:
            pre = TablePreprocessor.from_state(loaded.arrays, loaded.info["preprocessing"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise loaded.error(
                f"its header entry info['preprocessing'] is inconsistent ({exc})"
            ) from None
        if len(pre.feature_names_out) != estimator.n_features_in_:
            raise loaded.error(
                f"its preprocessing makes {len(pre.feature_names_out)} inputs but the network "
                f"takes {estimator.n_features_in_}"
            )
        task, target = loaded.info["task"], loaded.info["target"]
        kind = "classification" if isinstance(estimator, MLPClassifier) else "regression"
        if task != kind:
            raise loaded.error(
                f"its header entry info['task'] is {task!r}, but its network is an "
                f"{type(estimator).__name__} ({kind})"
            )
        try:
            mean = float(loaded.info.get("target_mean", 0.0))
            scale = float(loaded.info.get("target_scale", 1.0))
        except (TypeError, ValueError):
            raise loaded.error("its target scaling is not a pair of numbers") from None
        if not (np.isfinite(mean) and np.isfinite(scale) and scale > 0):
            raise loaded.error("its target scaling is not finite and positive")
        metrics = loaded.info.get("metrics") or {}
        return cls(pre, estimator, target, task, metrics, mean, scale)


def recorded_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """A training summary as it is kept: every number finite, the others absent.

    A metric that cannot be computed on the rows at hand (R² of one row, say) comes as
    NaN or ±inf; it is left out and its name added to the list ``metrics["absent"]``,
    so that the summary says so instead of holding a number that is none.
    """
    absent = list(metrics.get(ABSENT, []))
    kept: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, (float, np.floating)) and not np.isfinite(value):
            absent.append(key)
        elif key != ABSENT:
            kept[key] = value
    if absent:
        kept[ABSENT] = absent
    return kept


def row_exact(estimator: Any, X: np.ndarray) -> tuple[Any, np.ndarray]:
    """An estimator (and its inputs) whose prediction of a row does not depend on the
    other rows of the call: a float32 network predicts in float64, to be rounded back.

    BLAS computes a matrix product's column with kernels chosen by the product's shape
    and the column's place in it, so that in float32 one row's outputs change in their
    last bits with the rows around it (measured: 54 of the 60 probabilities of 20 rows,
    reordered). In float64 the same differences are ~1e-16 relative, below half a
    float32 ulp (6e-8): rounded to float32, the outputs are the same bits.

    Returns
    -------
    estimator
        ``estimator`` itself for a float64 network, else a shallow copy holding
        ``network_.astype(float64)``.
    X : ndarray of shape (n_samples, n_features)
        In float64 (float32 inputs are widened exactly).
    """
    net = estimator.network_
    if np.dtype(net.dtype) == np.float64:
        return estimator, np.asarray(X, dtype=np.float64)
    twin = copy.copy(estimator)
    twin.network_ = net.astype(np.float64)
    return twin, np.asarray(X, dtype=np.float64)


def as_probabilities(P: Any) -> np.ndarray:
    """Rows of class probabilities as float64, each renormalised to sum to 1."""
    P = np.asarray(P, dtype=np.float64)
    return P / P.sum(axis=1, keepdims=True)
