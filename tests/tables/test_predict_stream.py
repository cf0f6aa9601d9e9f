"""Chunked prediction: the type plan, the chunk size, the exact metrics, the writer, and
memory that does not grow with the file."""

from __future__ import annotations

import io
import tracemalloc
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from lucidnet.estimators import PREDICT_BLOCK
from lucidnet.tables import InMemorySource, fit_table
from lucidnet.tables.metrics import ExactMetrics
from lucidnet.tables.predict_stream import (
    DEFAULT_PREDICT_CHUNK_ROWS,
    TableChunks,
    chunk_rows_for,
    join_dtypes,
    predict_table,
    write_chunks,
)
from lucidnet.tables.recipe import Recipe

FAST = Recipe(hidden_layer_sizes=(8,), n_members=2, max_epochs=3, patience=2)
TEXT = pd.StringDtype(na_value=np.nan)


def test_join_dtypes_is_the_type_of_the_whole_column():
    i8, f8, b, o = np.dtype("int64"), np.dtype("float64"), np.dtype(bool), np.dtype(object)
    assert join_dtypes(i8, i8) == i8
    assert join_dtypes(i8, f8) == join_dtypes(f8, i8) == f8
    assert join_dtypes(TEXT, f8) == join_dtypes(i8, TEXT) == TEXT
    assert join_dtypes(b, i8) == join_dtypes(b, o) == o
    assert join_dtypes(join_dtypes(i8, f8), b) == join_dtypes(i8, join_dtypes(f8, b)) == o


def test_chunks_are_whole_blocks_of_the_network():
    assert chunk_rows_for() == DEFAULT_PREDICT_CHUNK_ROWS == 16_384 == 4 * PREDICT_BLOCK
    assert chunk_rows_for(1) == chunk_rows_for(PREDICT_BLOCK) == PREDICT_BLOCK
    assert chunk_rows_for(PREDICT_BLOCK + 1) == 2 * PREDICT_BLOCK


def test_a_chunk_that_does_not_fit_widens_the_plan(tmp_path: Path):
    n = 3 * PREDICT_BLOCK
    frame = pd.DataFrame({"i": np.arange(n).astype(object), "t": ["7"] * n, "b": ["True"] * n})
    frame.loc[n - 1, "i"] = None
    frame.loc[n - 1, "t"] = "x7"
    frame.loc[PREDICT_BLOCK, "b"] = None
    frame.to_csv(tmp_path / "f.csv", index=False)
    table = TableChunks(tmp_path / "f.csv", chunk_rows=1)
    assert table.plan == {"i": np.int64, "t": np.int64, "b": np.dtype(bool)}  # chunk 1's
    with pytest.raises(Exception, match="in a chunk"):
        list(table)
    table.widen()
    assert table.plan == {"i": np.float64, "t": TEXT, "b": np.dtype(object)}
    chunks = list(table)
    whole = pd.read_csv(tmp_path / "f.csv")
    assert [len(c) for c in chunks] == [PREDICT_BLOCK] * 3
    pd.testing.assert_frame_equal(pd.concat(chunks), whole)
    assert chunks[0]["t"].iloc[0] == "7"  # the text as written, in every chunk


@pytest.fixture(scope="module")
def models():
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.choice(["u", "v", "w"], n)})
    frame["k"] = np.where(frame["a"] > 0, "p", np.where(frame["b"] == "u", "q", "r"))
    frame["y"] = frame["a"] * 2 + rng.normal(size=n)
    frame["two"] = np.where(frame["a"] + rng.normal(size=n) > 0, 1, 0)
    fitted = {
        target: fit_table(InMemorySource(frame.drop(columns=other), target), recipe=FAST).model
        for target, other in [("k", ["y", "two"]), ("y", ["k", "two"]), ("two", ["k", "y"])]
    }
    return frame, fitted


@pytest.mark.parametrize("target", ["k", "two", "y"])
def test_exact_metrics_over_chunks_are_the_formulas_on_all_rows(models, target):
    frame, fitted = models
    model = fitted[target]
    y = frame[target].to_numpy()
    metrics = ExactMetrics(model)
    for start in range(0, len(frame), 37):
        metrics.update(frame.iloc[start : start + 37], y[start : start + 37])
    got = metrics.result()
    if model.task == "regression":
        pred = model.predict(frame)
        assert got == {
            "r2": float(skm.r2_score(y, pred)),
            "mae": float(skm.mean_absolute_error(y, pred)),
            "rmse": float(np.sqrt(skm.mean_squared_error(y, pred))),
        }
        return
    proba = model.predict_proba(frame)
    pred = model.classes[np.argmax(proba, axis=1)]
    auc = (
        skm.roc_auc_score(y == model.classes[1], proba[:, 1])
        if len(model.classes) == 2
        else skm.roc_auc_score(y, proba, multi_class="ovr", labels=model.classes)
    )
    assert got == {
        "accuracy": float(skm.accuracy_score(y, pred)),
        "log_loss": float(skm.log_loss(y, proba, labels=model.classes)),
        "roc_auc": float(auc),
        "confusion_matrix": {
            "labels": [str(c) for c in model.classes],
            "matrix": skm.confusion_matrix(y, pred, labels=model.classes).tolist(),
        },
    }


def test_exact_metrics_put_unseen_labels_after_the_classes_in_sorted_order(models):
    frame, fitted = models
    model = fitted["k"]
    y = frame["k"].to_numpy().copy()
    y[[3, 50]], y[[10, 199]] = "zz", "new"
    metrics = ExactMetrics(model)
    metrics.update(frame.iloc[:100], y[:100])  # "zz" arrives first
    metrics.update(frame.iloc[100:], y[100:])
    got = metrics.result()
    pred = model.classes[np.argmax(model.predict_proba(frame), axis=1)]
    labels = ["p", "q", "r", "new", "zz"]
    assert got["confusion_matrix"] == {
        "labels": labels,
        "matrix": skm.confusion_matrix(y, pred, labels=labels).tolist(),
    }
    assert np.isnan(got["log_loss"]) and np.isnan(got["roc_auc"])
    assert got["accuracy"] == float(skm.accuracy_score(y, pred))


def test_a_failed_write_leaves_nothing(tmp_path: Path):
    frame = pd.DataFrame({"a": [1, 2]})
    for name in ("out.csv", "out.csv.gz", "out.parquet", "out.csv.zip"):
        with pytest.raises(RuntimeError), write_chunks(str(tmp_path / name)) as write:
            write(frame)
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    stdout = io.StringIO()
    with redirect_stdout(stdout), pytest.raises(RuntimeError), write_chunks(None) as write:
        write(frame)
        raise RuntimeError("interrupted")
    assert stdout.getvalue() == ""


def test_the_memory_of_predicting_does_not_grow_with_the_file(models, tmp_path: Path):
    """tracemalloc's peak (NumPy's and Python's allocations) while predicting files of
    three and of nine chunks: the chunk bounds it, not the file."""
    frame, fitted = models
    model = fitted["y"]
    peaks = []
    for chunks in (3, 9):
        rows = np.arange(chunks * PREDICT_BLOCK) % len(frame)
        data = tmp_path / f"{chunks}.csv"
        frame.iloc[rows].to_csv(data, index=False)
        table = TableChunks(data, chunk_rows=1)
        tracemalloc.start()
        try:
            assert predict_table(model, table, str(tmp_path / "out.csv")) == len(rows)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert peaks[1] < 1.5 * peaks[0]


def test_short_parquet_batches_are_regrouped_into_whole_chunks(tmp_path: Path):
    n = 3 * PREDICT_BLOCK + 5
    frame = pd.DataFrame({"a": np.arange(n, dtype=float)})
    frame.to_parquet(tmp_path / "f.parquet", row_group_size=3000)
    chunks = list(TableChunks(tmp_path / "f.parquet", chunk_rows=1))
    assert [len(c) for c in chunks] == [PREDICT_BLOCK] * 3 + [5]
    pd.testing.assert_frame_equal(pd.concat(chunks), frame)
