"""Streaming training (lucidnet.tables.stream and ``lucidnet train --stream``) on small files
written by the tests: CSV, gzipped CSV and Parquet, many chunks each."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lucidnet
from lucidnet.cli import main
from lucidnet.tables import (
    Moments,
    Reservoir,
    TableError,
    TablePreprocessor,
    TableStats,
    choose_task,
    read_chunks,
    scan,
    train_stream,
    validation_mask,
)

ROOT = Path(__file__).resolve().parents[2]
FAST = {"hidden_layer_sizes": (16,), "learning_rate_init": 0.01, "batch_size": 32}


def _frame(n=1200, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(5, 2, n),
            "x2": rng.integers(0, 50, n).astype(float),
            "city": rng.choice(["Lyon", "Oslo", "Lima"], n),
            "flag": rng.choice(["a", "b"], n),
        }
    )
    frame.loc[rng.random(n) < 0.1, "x1"] = np.nan
    frame.loc[rng.random(n) < 0.05, "city"] = None
    score = frame.x1.fillna(5) - 5 + 2 * (frame.city == "Lyon") - 0.02 * frame.x2
    frame["y"] = np.where(score > 0, "yes", "no")
    return frame


def _write(frame, tmp_path, kind):
    path = tmp_path / {"csv": "d.csv", "gz": "d.csv.gz", "parquet": "d.parquet"}[kind]
    if kind == "parquet":
        frame.to_parquet(path, index=False, row_group_size=150)
    else:
        frame.to_csv(path, index=False)
    return path


@pytest.fixture(params=["csv", "gz", "parquet"])
def data_file(request, tmp_path):
    frame = _frame()
    return _write(frame, tmp_path, request.param), frame


def test_chunks_cover_the_file_in_order(data_file):
    path, frame = data_file
    chunks = list(read_chunks(path, 250))
    assert [len(c) for c in chunks][:4] == [250, 250, 250, 250]
    assert sum(len(c) for c in chunks) == len(frame)
    np.testing.assert_array_equal(pd.concat(chunks).x2.to_numpy(), frame.x2.to_numpy())


def test_the_first_pass_learns_the_in_memory_preprocessing(data_file):
    path, frame = data_file
    stats, text = scan(path, "y", chunk_rows=100, validation=0.0)
    assert text == ["city", "flag", "y"]
    pre = stats.preprocessor()
    ref = TablePreprocessor().fit(frame.drop(columns=["y"]))
    assert (pre.columns, pre.numeric, pre.categorical) == (
        ref.columns,
        ref.numeric,
        ref.categorical,
    )
    # Every value fits the reservoir here, so the median is exact, not estimated.
    assert stats.reservoir.exact
    np.testing.assert_array_equal(pre.median, ref.median)
    np.testing.assert_allclose(pre.mean, ref.mean, rtol=1e-12)
    np.testing.assert_allclose(pre.scale, ref.scale, rtol=1e-12)
    assert pre.categories == ref.categories
    assert list(stats.classes()) == ["no", "yes"] and choose_task(stats) == "classification"


def test_a_small_reservoir_estimates_the_median(tmp_path):
    frame = _frame(n=5000, seed=1)
    path = _write(frame, tmp_path, "csv")
    stats, _ = scan(path, "y", chunk_rows=300, reservoir_size=400)
    assert not stats.reservoir.exact
    pre, ref = stats.preprocessor(), TablePreprocessor().fit(frame.drop(columns=["y"]))
    # Up to the median estimate: the imputed values (10% of x1) move the mean and scale a
    # little; x2 has no missing values, so its mean and scale stay exact.
    # The estimate's rank in the column is 0.5 ± 1/(2√400) = 0.5 ± 0.025: allow 4σ.
    for j, column in enumerate(pre.numeric):
        values = frame[column].dropna().to_numpy()
        assert 0.4 < np.mean(values < pre.median[j]) <= np.mean(values <= pre.median[j]) < 0.6
    np.testing.assert_allclose(pre.mean, ref.mean, rtol=0.01)
    np.testing.assert_allclose(pre.scale, ref.scale, rtol=0.01)
    assert pre.mean[1] == pytest.approx(ref.mean[1], rel=1e-12)


def test_streamed_training_predicts_sensibly(data_file):
    path, frame = data_file
    result = train_stream(path, "y", params=FAST, epochs=4, chunk_rows=200, validation=0.2)
    assert [r["epoch"] for r in result.history] == [1, 2, 3, 4]
    assert result.history[-1]["accuracy"] > 0.9
    assert result.history[-1]["loss"] < result.history[0]["loss"]
    model = result.model
    assert np.mean(model.predict(frame) == frame.y.to_numpy()) > 0.9
    est = model.estimator
    assert est.n_iter_ == 4 and len(est.loss_curve_) == 4 and len(est.validation_scores_) == 4


def test_the_same_rows_are_held_out_in_every_pass():
    a, b = validation_mask(1000, 3, 7, 0.2), validation_mask(1000, 3, 7, 0.2)
    np.testing.assert_array_equal(a, b)
    assert 0.15 < a.mean() < 0.25
    assert not np.array_equal(a, validation_mask(1000, 4, 7, 0.2))  # another chunk
    assert not validation_mask(1000, 3, 7, 0.0).any()


def test_streamed_regression(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(1500, 3)), columns=["a", "b", "c"])
    frame["price"] = 100 + 10 * frame.a - 5 * frame.b**2 + rng.normal(scale=0.5, size=1500)
    path = _write(frame, tmp_path, "csv")
    result = train_stream(path, "price", params=FAST, epochs=6, chunk_rows=256, validation=0.2)
    assert result.model.task == "regression"
    assert result.history[-1]["r2"] > 0.8
    assert result.stats.target_mean == pytest.approx(frame.price.mean(), rel=1e-2)


def test_early_stopping_keeps_the_best_epoch(data_file):
    path, _ = data_file
    params = {**FAST, "learning_rate_init": 0.5, "solver": "sgd"}  # too fast: val_loss jumps
    result = train_stream(
        path, "y", params=params, epochs=8, chunk_rows=300, validation=0.3, patience=1
    )
    losses = [r["val_loss"] for r in result.history]
    if result.stop_reason:
        assert "early stopping" in result.stop_reason
        assert len(losses) < 8


def test_moments_and_stats_merge_like_one_pass():
    rng = np.random.default_rng(0)
    values = rng.normal(3, 2, size=(500, 2))
    values[rng.random((500, 2)) < 0.1] = np.nan
    merged = Moments.of(values[:123]).merge(Moments.of(values[123:]))
    whole = Moments.of(values)
    np.testing.assert_allclose(merged.mean, whole.mean, rtol=1e-13)
    np.testing.assert_allclose(merged.var, np.nanvar(values, axis=0), rtol=1e-12)
    frame = _frame(400)
    one, first, second = (TableStats(target="y") for _ in range(3))
    one.update(frame.drop(columns=["y"]))
    first.update(frame.iloc[:150].drop(columns=["y"]))
    second.update(frame.iloc[150:].drop(columns=["y"]))
    both = first.merge(second).preprocessor()
    np.testing.assert_allclose(both.mean, one.preprocessor().mean, rtol=1e-12)
    np.testing.assert_array_equal(both.median, one.preprocessor().median)
    assert both.categories == one.preprocessor().categories


def test_a_real_valued_target_keeps_a_bounded_set_of_values():
    # A continuous target's distinct values are kept up to MAX_CATEGORIES, then none, in
    # every chunk and in the Dask merge: memory stays flat however long the file.
    from lucidnet.tables.stats import MAX_CATEGORIES

    rng = np.random.default_rng(0)
    parts = [TableStats(target="y") for _ in range(2)]
    for stats in parts:
        for _ in range(4):
            stats.update_target(pd.Series(rng.normal(size=5_000)))
        assert stats.target_many and len(stats.target_values) == 0
        stats.update(pd.DataFrame({"x": [1.0]}))
    merged = parts[0].merge(parts[1])
    assert merged.target_many and len(merged.target_values) == 0
    assert choose_task(merged) == "regression" and merged.labelled_rows == 40_000
    with pytest.raises(TableError, match="not a classification target"):
        merged.classes()
    # Two parts of MAX_CATEGORIES / 2 + 1 integers each: their union is too many as well.
    halves = [TableStats(target="y") for _ in range(2)]
    for i, stats in enumerate(halves):
        stats.update_target(pd.Series(np.arange(MAX_CATEGORIES // 2 + 1) + i * MAX_CATEGORIES))
        stats.update(pd.DataFrame({"x": [1.0]}))
        assert not stats.target_many
    union = halves[0].merge(halves[1])
    assert union.target_many and not union.target_values
    # A few whole numbers are still classes, however many rows.
    few = TableStats(target="y")
    for _ in range(5):
        few.update_target(pd.Series(rng.integers(0, 3, 5_000)))
    assert few.target_values == {0.0, 1.0, 2.0} and choose_task(few) == "classification"


def test_the_reservoir_is_a_uniform_sample():
    values = np.arange(20_000, dtype=float)[:, None]
    means = []
    for seed in range(60):
        r = Reservoir(1, size=300, seed=seed)
        for block in np.array_split(values, 7):
            r.update(block)
        assert len(r.samples[0]) == 300 and r.seen[0] == 20_000
        assert len(np.unique(r.samples[0])) == 300  # without replacement
        means.append(r.samples[0].mean())
    # The mean of a uniform sample of 0..19999 is unbiased: 9999.5 ± 5773/√300/√60.
    assert abs(np.mean(means) - 9999.5) < 4 * 5773 / np.sqrt(300 * 60)


def test_text_further_down_a_numeric_column_is_a_clear_error(tmp_path):
    frame = pd.DataFrame({"x": np.arange(30_000, dtype=float), "y": [0, 1] * 15_000})
    frame["x"] = frame["x"].astype(object)
    frame.loc[25_000, "x"] = "oops"
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(TableError, match=r"\['x'\] held numbers in the first chunk"):
        scan(path, "y", chunk_rows=10_000)


def test_cli_stream_prints_every_epoch_and_saves_a_model(tmp_path, capsys):
    frame = _frame()
    path = _write(frame, tmp_path, "gz")
    out = tmp_path / "m.safetensors"
    argv = ["train", str(path), "--target", "y", "--stream", "--epochs", "3"]
    argv += ["--chunk-rows", "250", "--hidden", "16", "--lr", "0.01", "-o", str(out)]
    argv += ["--numeric-embedding", "none"]  # the recipe's choices hold when streamed too
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "streaming" in printed and "chunks of 250 rows" in printed
    for epoch in (1, 2, 3):
        assert f"epoch {epoch}/3  loss" in printed
    assert "held-out metrics" in printed and "saved:" in printed
    model = lucidnet.load(out)
    assert getattr(model.estimator.network_, "embedding", None) is None
    assert model.metrics["epochs"] == 3 and model.metrics["validation_accuracy"] > 0.85
    assert main(["evaluate", str(out), str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] > 0.85


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--resume", "x.ckpt"], "--resume is not available with --stream"),
        (["--early-stopping", "3", "--validation", "0"], "--early-stopping needs --stream and"),
        (["--optimizer", "sgd", "--dask", "tcp://x:1"], "not allowed with argument"),
    ],
)
def test_cli_stream_refuses_what_it_cannot_do(tmp_path, capsys, extra, message):
    path = _write(_frame(100), tmp_path, "csv")
    argv = ["train", str(path), "--target", "y", "--stream", *extra]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err


def test_cli_stream_missing_target_is_a_clear_error(tmp_path, capsys):
    path = _write(_frame(100), tmp_path, "parquet")
    assert main(["train", str(path), "--target", "nope", "--stream"]) == 2
    assert "has no column 'nope'" in capsys.readouterr().err


def test_memory_benchmark_script_runs_at_a_tiny_size(tmp_path):
    # The real run (0.2 and 2 GB) is `benchmarks/stream_memory.py`; here only that it works.
    script = ROOT / "benchmarks" / "stream_memory.py"
    result = subprocess.run(
        [sys.executable, str(script), "--sizes-gb", "0.002", "--time-limit", "10",
         "--out", str(tmp_path),
         "--tmp", str(tmp_path), "--no-compare", "--targets", "label,number"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "stream_memory.json").read_text())
    label, number = report["results"]
    for row in (label, number):
        assert row["rows"] > 10_000 and row["peak_rss_mib"] > 10
    assert (label["metric"], number["metric"]) == ("accuracy", "r2")
    assert number["held_out_accuracy"] > 0.5  # the real-valued target was learned
    assert not list(tmp_path.glob("lucidnet-stream-*"))  # the CSV was deleted
    assert "peak RSS" in (tmp_path / "stream_memory.md").read_text()
