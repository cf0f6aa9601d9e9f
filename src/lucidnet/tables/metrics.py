"""Held-out metrics of a table model: on a DataFrame at once, or accumulated chunk by chunk
(exactly, keeping the per-row scores, or by sums in constant memory)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from lucidnet.tables.model import TabularModel
from lucidnet.tables.stats import Moments

__all__ = ["ExactMetrics", "StreamMetrics", "table_metrics"]


def table_metrics(model: TabularModel, frame: pd.DataFrame, y: Any) -> dict[str, Any]:
    """Held-out metrics of ``model`` on the rows of ``frame`` with true targets ``y``.

    Classification: accuracy, log_loss and roc_auc (when every class is present; macro
    one-vs-rest beyond two) and the confusion matrix; regression: r2, mae, rmse in the
    target's units. A metric these rows cannot give is NaN (R² of one row; ROC-AUC when
    a class is missing; log-loss and ROC-AUC with labels the model never saw), which
    :func:`~lucidnet.tables.model.recorded_metrics` lists as absent; no rows give ``{}``.
    """
    metrics = ExactMetrics(model)
    metrics.update(frame, y)
    return metrics.result()


class ExactMetrics:
    """The metrics of :func:`table_metrics`, accumulated chunk by chunk, exactly.

    Keeps per row what the metrics need, no more: regression, the target and the
    prediction (8 + 4 bytes a row with a float32 network); classification, the target's
    code and the predicted class's (int32: the model's classes are 0 … K−1, labels it
    never saw come after) and the K class probabilities (float64). ``result`` computes
    every metric from all the rows at once with scikit-learn, ROC-AUC included (from the
    kept scores: exact, not binned), so that it equals :func:`table_metrics` of the
    concatenated chunks whenever the predictions of a chunk equal those of the rows
    predicted whole (``lucidnet.tables.predict_stream`` makes sure they do).
    """

    def __init__(self, model: TabularModel) -> None:
        self.model = model
        self._y: list[np.ndarray] = []
        self._pred: list[np.ndarray] = []
        self._proba: list[np.ndarray] = []
        self._unseen: dict[Any, int] = {}  # a label the model never saw → its order of arrival

    def update(self, frame: pd.DataFrame, y: Any) -> None:
        """Add the rows of ``frame`` with true targets ``y`` (shape (n,))."""
        if len(frame) == 0:
            return
        model = self.model
        if model.task == "regression":
            self._y.append(np.asarray(y, dtype=float))
            self._pred.append(np.asarray(model.predict(frame)))
            return
        classes = model.classes
        y = np.asarray(y)
        if classes.dtype.kind in "US" or classes.dtype == object:
            y = y.astype(str)
        labels, proba = model.predict_with_proba(frame)
        pred = classes[np.argmax(proba, axis=1)] if proba.shape[1] > 1 else labels
        self._y.append(self._codes(y))
        self._pred.append(self._codes(np.asarray(pred)))
        self._proba.append(proba)

    def merge(self, other: ExactMetrics) -> None:
        """Add the rows ``other`` kept (a model with the same classes, e.g. another member's).

        Its labels unseen by the model keep their order of arrival after this one's.
        """
        self._y.extend(self._recoded(other, y) for y in other._y)
        self._pred.extend(self._recoded(other, p) for p in other._pred)
        self._proba.extend(other._proba)

    def _recoded(self, other: ExactMetrics, codes: np.ndarray) -> np.ndarray:
        """``other``'s codes as this accumulator's (they differ only for unseen labels)."""
        if not other._unseen or self.model.task == "regression":
            return codes
        K = len(self.model.classes)
        label = {K + j: v for v, j in other._unseen.items()}
        out = codes.copy()
        for code in np.unique(codes[codes >= K]).tolist():
            out[codes == code] = K + self._unseen.setdefault(label[code], len(self._unseen))
        return out

    def _codes(self, labels: np.ndarray) -> np.ndarray:
        """k for the model's k-th class; K + j for the j-th unseen label to arrive."""
        classes = self.model.classes
        known = np.isin(labels, classes)
        codes = np.empty(len(labels), dtype=np.int32)
        order = np.argsort(classes, kind="stable")
        codes[known] = order[np.searchsorted(classes, labels[known], sorter=order)]
        if not known.all():
            K = len(classes)
            codes[~known] = [
                K + self._unseen.setdefault(v, len(self._unseen)) for v in labels[~known].tolist()
            ]
        return codes

    def result(self) -> dict[str, Any]:
        """The metrics of every row added (``{}`` for none)."""
        from sklearn import metrics as skm

        if not self._y:
            return {}
        y = np.concatenate(self._y)
        pred = np.concatenate(self._pred)
        if self.model.task == "regression":
            return {  # R² compares with the rows' own variance: one row has none
                "r2": float(skm.r2_score(y, pred)) if len(y) >= 2 else math.nan,
                "mae": float(skm.mean_absolute_error(y, pred)),
                "rmse": float(np.sqrt(skm.mean_squared_error(y, pred))),
            }
        proba = np.concatenate(self._proba)
        classes = self.model.classes
        K = len(classes)
        unseen = sorted(self._unseen)  # the unseen labels come in their sorted order
        if unseen:
            rank = np.empty(len(unseen), dtype=np.int32)
            for r, v in enumerate(unseen):
                rank[self._unseen[v]] = K + r
            y = np.where(y >= K, rank[np.maximum(y - K, 0)], y)
        codes = np.arange(K)
        out: dict[str, Any] = {"accuracy": float(skm.accuracy_score(y, pred))}
        out["log_loss"] = out["roc_auc"] = math.nan
        if not unseen:
            out["log_loss"] = float(skm.log_loss(y, proba, labels=codes))
            if len(np.unique(y)) == K:
                if K == 2:
                    out["roc_auc"] = float(skm.roc_auc_score(y == 1, proba[:, 1]))
                else:
                    out["roc_auc"] = float(
                        skm.roc_auc_score(y, proba, multi_class="ovr", labels=codes)
                    )
        labels = [str(v) for v in classes] + [str(v) for v in unseen]
        out["confusion_matrix"] = {
            "labels": labels,
            "matrix": skm.confusion_matrix(y, pred, labels=np.arange(len(labels))).tolist(),
        }
        return out


class StreamMetrics:
    """Held-out metrics accumulated chunk by chunk (nothing grows with the rows).

    Classification: val_loss (the network's mean cross-entropy, i.e. log-loss) and
    accuracy. Regression: val_loss (the network's cost on the standardised target), and
    r2 (NaN when the targets do not vary), mae, rmse in the target's units.
    """

    def __init__(self, task: str) -> None:
        self.task = task
        self.n = 0
        self.loss = 0.0
        self.correct = 0
        self.abs_error = 0.0
        self.sq_error = 0.0
        self.y = Moments.empty(1)

    def update(self, model: TabularModel, frame: pd.DataFrame, y: np.ndarray) -> None:
        if len(frame) == 0:
            return
        est = model.estimator
        X = model.features(frame)
        net = est.network_
        cache = net.forward(X.T)
        if self.task == "classification":
            Y = est.encode_targets(y).astype(net.dtype)
            A = cache.A[net.L].T
            pred = (A[:, 0] > 0.5).astype(int) if A.shape[1] == 1 else np.argmax(A, axis=1)
            true = Y[:, 0].astype(int) if Y.shape[1] == 1 else np.argmax(Y, axis=1)
            self.correct += int(np.sum(pred == true))
        else:
            y = np.asarray(y, dtype=np.float64)
            Y = model.scaling.forward(y)[:, None].astype(net.dtype)
            prediction = model.scaling.inverse(cache.A[net.L][0])
            error = prediction - y
            self.abs_error += float(np.sum(np.abs(error)))
            self.sq_error += float(np.sum(error**2))
            self.y = self.y.merge(Moments.of(y[:, None]))
        self.loss += float(net.cost(cache, Y.T)) * len(frame)
        self.n += len(frame)

    def merge(self, other: StreamMetrics) -> StreamMetrics:
        """Metrics of both parts' rows."""
        out = StreamMetrics(self.task)
        out.n, out.loss, out.correct = (
            self.n + other.n,
            self.loss + other.loss,
            self.correct + other.correct,
        )
        out.abs_error = self.abs_error + other.abs_error
        out.sq_error = self.sq_error + other.sq_error
        out.y = self.y.merge(other.y)
        return out

    def result(self) -> dict[str, float]:
        if self.n == 0:
            return {}
        out = {"val_loss": self.loss / self.n}
        if self.task == "classification":
            out["accuracy"] = self.correct / self.n
        else:
            total = float(self.y.M2[0])
            out["r2"] = 1 - self.sq_error / total if total > 0 else math.nan
            out["mae"] = self.abs_error / self.n
            out["rmse"] = math.sqrt(self.sq_error / self.n)
        return out
