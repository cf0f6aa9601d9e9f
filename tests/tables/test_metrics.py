"""Held-out metrics: a metric that cannot be computed is recorded as absent, never NaN."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

import lucidnet
from lucidnet.tables import InMemorySource, fit_table
from lucidnet.tables.metrics import ExactMetrics, StreamMetrics, table_metrics
from lucidnet.tables.model import recorded_metrics
from lucidnet.tables.recipe import Recipe

FAST = Recipe(hidden_layer_sizes=(8,), n_members=2, max_epochs=4, patience=2)


def _finite(metrics: dict) -> bool:
    return all(math.isfinite(v) for v in metrics.values() if isinstance(v, float))


def test_a_small_regression_table_trains_and_saves(tmp_path):
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 3, 5, 1], "y": [3.5, 5.1, 8.2, 2.7]})
    source = InMemorySource(frame, "y", validation=0.2)
    held_out = replace(FAST, cross_fit=False)  # one row held out (cross-fitted: none)
    model = fit_table(source, task="regression", recipe=held_out).model
    assert len(source.y_val) == 1  # R² of one row is undefined
    assert "validation_r2" not in model.metrics
    assert model.metrics["absent"] == ["validation_r2"]
    assert {"validation_mae", "validation_rmse"} <= set(model.metrics)
    assert _finite(model.metrics)
    lucidnet.save(model, tmp_path / "m.safetensors")  # the training is kept
    assert lucidnet.load(tmp_path / "m.safetensors").metrics == model.metrics


def test_table_metrics_leave_out_what_the_rows_cannot_give():
    frame = pd.DataFrame({"a": np.linspace(0, 1, 40), "y": np.tile(["p", "q", "r", "s"], 10)})
    model = fit_table(InMemorySource(frame, "y", validation=0.2), recipe=FAST).model
    one_class = recorded_metrics(table_metrics(model, frame.iloc[:1], frame["y"].to_numpy()[:1]))
    assert one_class["absent"] == ["roc_auc"] and _finite(one_class)
    unseen = recorded_metrics(table_metrics(model, frame.iloc[:2], np.array(["p", "new"])))
    assert unseen["absent"] == ["log_loss", "roc_auc"] and "accuracy" in unseen
    assert table_metrics(model, frame.iloc[:0], frame["y"].to_numpy()[:0]) == {}


def test_stream_metrics_of_a_constant_target_have_no_r2():
    frame = pd.DataFrame({"a": np.linspace(0, 1, 20), "y": np.linspace(0, 1, 20)})
    model = fit_table(InMemorySource(frame, "y", validation=0.2), task="regression", recipe=FAST)
    metrics = StreamMetrics("regression")
    metrics.update(model.model, frame.iloc[:3], np.ones(3))
    result = recorded_metrics(metrics.result())
    assert result["absent"] == ["r2"] and _finite(result)


def test_merged_accumulators_give_the_metrics_of_all_their_rows():
    frame = pd.DataFrame({"a": np.linspace(0, 1, 40), "y": np.tile(["p", "q", "r", "s"], 10)})
    model = fit_table(InMemorySource(frame, "y", validation=0.2), recipe=FAST).model
    y = frame["y"].to_numpy().astype(object)
    y[[3, 30]] = ["new", "other"]  # labels the model never saw, one in each part
    whole, first, second = ExactMetrics(model), ExactMetrics(model), ExactMetrics(model)
    whole.update(frame, y)
    second.update(frame.iloc[20:], y[20:])  # "other" arrives first here
    first.update(frame.iloc[:20], y[:20])
    first.merge(second)
    assert first.result() == whole.result()
    assert first.result()["confusion_matrix"]["labels"][-2:] == ["new", "other"]
    numbers = pd.DataFrame({"a": np.linspace(0, 1, 30), "y": np.linspace(0, 2, 30) ** 2})
    model = fit_table(InMemorySource(numbers, "y"), task="regression", recipe=FAST).model
    whole, first, second = ExactMetrics(model), ExactMetrics(model), ExactMetrics(model)
    whole.update(numbers, numbers.y)
    first.update(numbers.iloc[:11], numbers.y[:11])
    second.update(numbers.iloc[11:], numbers.y[11:])
    first.merge(second)
    assert first.result() == whole.result()
