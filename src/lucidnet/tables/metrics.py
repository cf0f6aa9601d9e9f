"""Held-out metrics of a table model: on a DataFrame at once, or accumulated chunk by chunk."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from lucidnet.tables.model import TabularModel
from lucidnet.tables.stats import Moments

__all__ = ["StreamMetrics", "table_metrics"]


def table_metrics(model: TabularModel, frame: pd.DataFrame, y: Any) -> dict[str, Any]:
    """Held-out metrics of ``model`` on the rows of ``frame`` with true targets ``y``.

    Classification: accuracy, log_loss and roc_auc (when every class is present; macro
    one-vs-rest beyond two) and the confusion matrix; regression: r2, mae, rmse in the
    target's units. A metric these rows cannot give is NaN (R² of one row; ROC-AUC when
    a class is missing; log-loss and ROC-AUC with labels the model never saw), which
    :func:`~lucidnet.tables.model.recorded_metrics` lists as absent; no rows give ``{}``.
    """
    from sklearn import metrics as skm

    if len(frame) == 0:
        return {}
    if model.task == "regression":
        pred = model.predict(frame)
        y = np.asarray(y, dtype=float)
        return {  # R² compares with the rows' own variance: one row has none
            "r2": float(skm.r2_score(y, pred)) if len(y) >= 2 else math.nan,
            "mae": float(skm.mean_absolute_error(y, pred)),
            "rmse": float(np.sqrt(skm.mean_squared_error(y, pred))),
        }
    classes = model.classes
    y = np.asarray(y)
    if classes.dtype.kind in "US" or classes.dtype == object:
        y = y.astype(str)
    proba = model.predict_proba(frame)
    pred = classes[np.argmax(proba, axis=1)] if proba.shape[1] > 1 else model.predict(frame)
    out: dict[str, Any] = {"accuracy": float(skm.accuracy_score(y, pred))}
    known = np.isin(y, classes)
    out["log_loss"] = out["roc_auc"] = math.nan
    if known.all():
        out["log_loss"] = float(skm.log_loss(y, proba, labels=classes))
        present = np.unique(y)
        if len(present) == len(classes):
            if len(classes) == 2:
                out["roc_auc"] = float(skm.roc_auc_score(y == classes[1], proba[:, 1]))
            else:
                out["roc_auc"] = float(
                    skm.roc_auc_score(y, proba, multi_class="ovr", labels=classes)
                )
    labels = list(classes) + sorted(set(y[~known].tolist()))
    out["confusion_matrix"] = {
        "labels": [str(v) for v in labels],
        "matrix": skm.confusion_matrix(y, pred, labels=labels).tolist(),
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
