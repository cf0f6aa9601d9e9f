"""The streamed recipe (lucidnet.tables.streamed, ``lucidnet train --stream``): held-out
rows by row hash, the shuffle buffer, the recipe's preprocessing from streamed statistics,
and the recipe trained over passes on small real files (scikit-learn's bundled tables)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes

import lucidnet
from lucidnet.cli import main
from lucidnet.tables import RECIPE, scan, train_stream
from lucidnet.tables.fit import InMemorySource, fit_table
from lucidnet.tables.streamed import HeldOutRows, row_hash

# The recipe with a short budget: the tests check the path, not the last digit; the
# large-table path even on these small files (the recipe would cross-fit them in memory).
QUICK = replace(RECIPE, max_epochs=12, patience=3, hidden_layer_sizes=(32, 32), cross_fit=False)


def bundled(which):
    """scikit-learn's breast cancer table (text labels, a text column, missing values) or
    its diabetes table, the target named "y"."""
    data = (load_breast_cancer if which == "cancer" else load_diabetes)(as_frame=True)
    frame = data.frame.rename(columns={"target": "y"})
    if which == "cancer":
        frame["y"] = np.where(frame.y == 1, "benign", "malignant")
        frame["size"] = pd.cut(frame["mean radius"], 5, labels=list("abcde")).astype(str)
        frame.loc[::17, "mean texture"] = np.nan
    return frame


def _real(tmp_path, which):
    frame = bundled(which)
    path = tmp_path / f"{which}.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_the_row_hash_is_stable_and_never_repeats():
    rows = np.arange(200_000)
    h = row_hash(rows, 3)
    assert h.dtype == np.uint64 and len(np.unique(h)) == len(rows)
    np.testing.assert_array_equal(h[1000:2000], row_hash(rows[1000:2000], 3))
    assert not np.array_equal(h[:100], row_hash(rows[:100], 4))
    share = np.mean(h < np.uint64(int(0.2 * 2**64)))  # uniform: 0.2 ± 0.0009 (1σ)
    assert abs(share - 0.2) < 0.005


@pytest.mark.parametrize("cap", [None, 40])
def test_the_held_out_rows_do_not_depend_on_the_chunks(tmp_path, cap):
    frame = pd.DataFrame({"x": np.arange(1000.0), "y": np.arange(1000) % 3})
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    chosen = []
    for chunk_rows in (64, 333, 1000):
        held = HeldOutRows(0.2, cap, seed=5)
        stats, _ = scan(path, "y", chunk_rows=chunk_rows, held_out=held)
        chosen.append(held.frame.index.to_numpy())
        assert stats.rows == 1000 - len(held)  # the statistics saw the training rows only
        np.testing.assert_array_equal(np.flatnonzero(held.mask(np.arange(1000))), chosen[-1])
    for other in chosen[1:]:
        np.testing.assert_array_equal(chosen[0], other)
    keys = row_hash(np.arange(1000), 5)
    candidates = np.flatnonzero(keys < np.uint64(int(0.2 * 2**64)))
    if cap is None:
        np.testing.assert_array_equal(chosen[0], candidates)
    else:  # the cap candidates of smallest hash
        expected = np.sort(candidates[np.argsort(keys[candidates])[:cap]])
        np.testing.assert_array_equal(chosen[0], expected)


# (max_categories, min_frequency, max_levels): the top levels; as many as there are
# levels (one is dropped, as OneHotEncoder drops it); rare levels seen often enough; capped
@pytest.mark.parametrize("levels", [(5, None, None), (9, None, None), (3, 30, None), (2, 30, 5)])
def test_the_recipe_preprocessing_from_the_streamed_statistics(tmp_path, levels):
    rng = np.random.default_rng(0)
    n = 3000
    frame = pd.DataFrame({"a": rng.lognormal(size=n), "b": rng.integers(0, 4, n).astype(float)})
    frame.loc[rng.random(n) < 0.1, "a"] = np.nan
    p = np.r_[[0.3] * 3, [0.1 / 6] * 6]  # three frequent words, six rare ones
    frame["word"] = rng.choice([f"w{i}" for i in range(9)], n, p=p / p.sum())
    frame["y"] = rng.integers(0, 2, n)
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    held = HeldOutRows(0.2, None, seed=0)
    stats, _ = scan(path, "y", chunk_rows=250, held_out=held)
    assert stats.reservoir.exact  # every value in the sample: the statistics are exact
    pre = stats.recipe_preprocessor(*levels)
    train = frame.drop(index=held.frame.index).drop(columns=["y"])
    limits = dict(zip(("max_categories", "min_frequency", "max_levels"), levels, strict=True))
    ref = replace(RECIPE, **limits).preprocessor().fit(train)
    np.testing.assert_array_equal(pre.median, ref.median)
    np.testing.assert_allclose(pre.mean, ref.mean, rtol=1e-12)
    np.testing.assert_allclose(pre.scale, ref.scale, rtol=1e-12)
    assert (pre.scaling, pre.indicators, pre.categories) == (
        ref.scaling,
        ref.indicators,
        ref.categories,
    )
    np.testing.assert_allclose(pre.transform(train), ref.transform(train), rtol=1e-12)


def test_the_streamed_recipe_classifies_a_real_table(tmp_path):
    path, frame = _real(tmp_path, "cancer")
    result = train_stream(path, "y", chunk_rows=100, seed=0, recipe=QUICK)
    model = result.model
    est = model.estimator
    assert est.network_.K == QUICK.n_members and est.beta_2 == RECIPE.beta_2
    # 20 % held out is over min_refit_share: the epochs were chosen, then a refit on all
    assert model.metrics["refit_epochs"] == est.n_iter_ >= 1
    assert model.metrics["rows_trained"] == len(frame)
    assert model.metrics["validation_accuracy"] > 0.9
    assert model.metrics["validation_roc_auc"] > 0.97
    selected = [r for r in result.history if r["phase"] == "select"]
    assert "val_loss" in selected[0] and len(selected) <= QUICK.max_epochs
    assert np.mean(model.predict(frame) == frame.y.to_numpy()) > 0.9


def test_a_capped_held_out_set_below_the_refit_share_keeps_the_chosen_model(tmp_path):
    path, frame = _real(tmp_path, "diabetes")
    recipe = replace(QUICK, max_validation_rows=40)  # 40 of 442 rows: under 10 %, no refit
    result = train_stream(path, "y", chunk_rows=64, seed=1, recipe=recipe)
    model = result.model
    assert model.task == "regression" and "refit_epochs" not in model.metrics
    assert model.metrics["rows_trained"] == len(frame) - 40
    losses = [r["val_loss"] for r in result.history]
    best = int(np.argmin(losses)) + 1
    assert model.estimator.n_iter_ == len(losses) and best <= len(losses)
    r2 = lucidnet.tables.metrics.table_metrics(model, frame, frame.y.to_numpy())["r2"]
    assert r2 > 0.3  # diabetes: a linear model's R² is about 0.5


def test_cli_streams_the_recipe_and_chooses_to_stream_a_large_file(tmp_path, capsys, monkeypatch):
    path, _ = _real(tmp_path, "cancer")
    out = tmp_path / "m.safetensors"
    monkeypatch.setattr("lucidnet.cli.budget.memory_budget", lambda: 1000)  # bytes
    argv = ["train", str(path), "--target", "y", "--chunk-rows", "150", "--hidden", "32"]
    argv += ["--early-stopping", "2", "-o", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "--stream is chosen automatically" in printed
    assert "the epochs chosen on at most 20,000 held-out rows" in printed
    assert "then the model was refit on all 569 rows" in printed and "refit epoch 1" in printed
    model = lucidnet.load(out)
    assert model.metrics["validation_accuracy"] > 0.9


@pytest.mark.parametrize("which", ["cancer", "diabetes"])
def test_a_small_streamed_table_is_cross_fitted_as_in_memory(tmp_path, which):
    path, frame = _real(tmp_path, which)
    recipe = replace(QUICK, cross_fit=None)  # the recipe's rule: ≤ 20,000 rows cross-fit
    result = train_stream(path, "y", chunk_rows=100, seed=2, recipe=recipe)
    source = InMemorySource(pd.read_csv(path), "y", seed=2)
    memory = fit_table(source, recipe=recipe, seed=2).model
    model = result.model
    assert model.metrics["cross_fit_epochs"] == memory.metrics["cross_fit_epochs"] >= 1
    assert model.estimator.member_epochs_ == memory.estimator.member_epochs_
    assert model.metrics["rows_trained"] == len(frame)  # every row trained K − 1 members
    np.testing.assert_array_equal(model.predict(frame), memory.predict(frame))
    oof = {k: v for k, v in memory.metrics.items() if k.startswith("validation_")}
    assert oof and all(model.metrics[k] == v for k, v in oof.items())  # out of fold
    assert [r["phase"] for r in result.history] == ["cross-fit"] * model.estimator.n_iter_


@pytest.mark.parametrize("limit", ["cross_fit_max_rows", "max_validation_rows"])
def test_a_table_over_the_cross_fit_rows_streams_the_large_table_path(tmp_path, limit):
    """Over cross_fit_max_rows: the large-table path. Over max_validation_rows (what is
    read into memory) only: cross-fitted while streaming (test_streamed_crossfit.py)."""
    path, _ = _real(tmp_path, "diabetes")
    recipe = replace(QUICK, cross_fit=None, **{limit: 400})  # 442 rows: over it
    result = train_stream(path, "y", chunk_rows=100, seed=0, recipe=recipe)
    if limit == "cross_fit_max_rows":
        assert "cross_fit_epochs" not in result.model.metrics
        assert {r["phase"] for r in result.history} == {"select", "refit"}
    else:
        assert result.model.metrics["out_of_fold_rows"] < 400
        assert {r["phase"] for r in result.history} == {"cross-fit"}


def test_the_streamed_recipe_needs_held_out_rows_to_choose_its_epochs(tmp_path):
    path, _ = _real(tmp_path, "diabetes")
    with pytest.raises(ValueError, match="chooses its epochs on held-out rows"):
        train_stream(path, "y", validation=0.0, recipe=QUICK)
    fixed = replace(QUICK, choose_epochs=False, max_epochs=2)  # a fixed number: no rows needed
    result = train_stream(
        path, "y", validation=0.0, chunk_rows=200, recipe=fixed, params={"max_iter": 2}
    )
    assert result.model.metrics["epochs"] == 2 and "refit_epochs" not in result.model.metrics
