"""The recipe cross-fitted while streaming (lucidnet.tables.streamed.cross_fit_passes): a
file of more rows than the held-out rows' cap (``max_validation_rows``, small here so that
scikit-learn's bundled tables take the path) and at most ``cross_fit_max_rows``."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split

import lucidnet
from lucidnet.cli import main
from lucidnet.estimators import MLPClassifier
from lucidnet.tables import RECIPE, Recipe, StreamSource
from lucidnet.tables.fit import InMemorySource, fit_table, out_of_fold
from lucidnet.tables.metrics import table_metrics
from lucidnet.tables.preprocess import TablePreprocessor
from lucidnet.tables.streamed import _two_folds, row_folds, row_hash
from lucidnet.training.engines import NumpyEngine

from .test_streamed import bundled

# A short budget; at most 120 rows kept in memory to score the members, so that these
# files of 442 and 569 rows are cross-fitted pass by pass.
QUICK = replace(
    RECIPE, max_epochs=12, patience=3, hidden_layer_sizes=(32, 32), max_validation_rows=120
)


def _file(tmp_path, which, frame=None, suffix="csv"):
    frame = bundled(which) if frame is None else frame
    path = tmp_path / f"{which}.{suffix}"
    if suffix == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path, frame


def _fit(path, recipe=QUICK, chunk_rows=64, seed=0, scoring="file"):
    source = StreamSource(
        path, "y", chunk_rows=chunk_rows, seed=seed, recipe=recipe, fold_scoring=scoring
    )
    fit = fit_table(source, recipe=recipe, seed=seed)
    return fit.model, source


def test_the_folds_are_the_row_hash_mod_k_whatever_the_chunks(tmp_path):
    path, frame = _file(tmp_path, "cancer")
    seen = []
    for chunk_rows in (50, 333, 1000):
        source = StreamSource(path, "y", chunk_rows=chunk_rows, seed=3, recipe=QUICK)
        source.describe()
        parts = list(source._fold_chunks(4))
        assert max(len(features) for features, _, _ in parts) <= chunk_rows
        rows = np.concatenate([features.index.to_numpy() for features, _, _ in parts])
        folds = np.concatenate([f for _, _, f in parts])
        np.testing.assert_array_equal(rows, np.arange(len(frame)))  # every row, once
        seen.append(folds)
    for other in seen[1:]:
        np.testing.assert_array_equal(seen[0], other)
    expected = (row_hash(np.arange(len(frame)), 3) % np.uint64(4)).astype(np.int64)
    np.testing.assert_array_equal(seen[0], expected)
    np.testing.assert_array_equal(row_folds(np.arange(len(frame)), 3, 4), expected)
    assert np.bincount(seen[0]).min() > len(frame) / 4 - 3 * np.sqrt(len(frame) * 3 / 16)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_file_over_the_sample_is_cross_fitted_pass_by_pass(tmp_path, suffix):
    path, frame = _file(tmp_path, "cancer", suffix=suffix)
    model, source = _fit(path)
    est, metrics = model.estimator, model.metrics
    assert source.in_memory is None and source.folds == QUICK.n_members  # streamed
    sample = len(source.held)
    assert 0 < sample <= QUICK.max_validation_rows < len(frame)
    assert metrics["rows_trained"] == len(frame)  # the sample rows train too
    assert metrics["out_of_fold_rows"] == sample and "refit_epochs" not in metrics
    assert len(est.member_epochs_) == QUICK.n_members
    assert metrics["cross_fit_epochs"] == est.selected_epochs_ == max(est.member_epochs_)
    assert [r["phase"] for r in source.history] == ["cross-fit"] * est.n_iter_
    assert source.history[0]["members"] == QUICK.n_members
    assert all(r["rows"] == len(frame) for r in source.history)  # each pass: every row
    assert metrics["validation_accuracy"] > 0.9 and metrics["validation_roc_auc"] > 0.97
    assert np.mean(model.predict(frame) == frame.y.to_numpy()) > 0.9


def test_a_member_never_trains_on_its_fold(tmp_path):
    """Flipping the labels of fold 0's training rows (not the sample's, which score member
    0) leaves member 0's weights as they were, bit for bit, and changes member 1's."""
    path, frame = _file(tmp_path, "cancer")
    model, source = _fit(path, scoring="sample")  # fold 0's other rows never score member 0
    sampled = source.held.frame.index.to_numpy()
    fold = row_folds(np.arange(len(frame)), 0, QUICK.n_members)
    flip = (fold == 0) & ~np.isin(np.arange(len(frame)), sampled)
    other = frame.copy()
    other.loc[flip, "y"] = np.where(frame.y[flip] == "benign", "malignant", "benign")
    path_2, _ = _file(tmp_path / "..", "cancer", other)
    flipped, _ = _fit(path_2, scoring="sample")
    a, b = model.estimator, flipped.estimator
    assert a.member_epochs_[0] == b.member_epochs_[0]
    for l in range(1, a.network_.L + 1):
        np.testing.assert_array_equal(a.network_.W[l][0], b.network_.W[l][0])
        np.testing.assert_array_equal(a.network_.b[l][0], b.network_.b[l][0])
    assert not np.array_equal(a.network_.W[1][1], b.network_.W[1][1])


@pytest.mark.parametrize("scoring", ["file", "sample"])
def test_each_member_is_scored_on_the_rows_of_its_fold(tmp_path, scoring):
    """The last pass's out-of-fold loss is the kept members' on their folds' rows,
    Σ_k Σ_(i in fold k) L(member k, row i) / n: every row of the file ("file"), or the
    rows kept in memory ("sample")."""
    path, frame = _file(tmp_path, "diabetes")
    model, source = _fit(path, replace(QUICK, max_epochs=6), seed=2, scoring=scoring)
    est = model.estimator
    X, Y = model.features(frame.drop(columns=["y"])), model.scaling.forward(frame.y.to_numpy())
    folds = row_folds(np.arange(len(frame)), 2, QUICK.n_members)
    losses = np.empty(len(frame))
    for k in range(QUICK.n_members):
        member, rows = est.network_.member(k), folds == k
        out = member.predict_output(X[rows].T.astype(np.float64))[0]
        losses[rows] = 0.5 * (out - Y[rows]) ** 2  # the squared error's ½ (a − y)²
    kept = np.isin(np.arange(len(frame)), source.held.frame.index.to_numpy())
    scored = losses if scoring == "file" else losses[kept]
    assert source.history[-1]["val_loss"] == pytest.approx(scored.mean(), rel=1e-4)
    other = losses[kept] if scoring == "file" else losses
    assert source.history[-1]["val_loss"] != pytest.approx(other.mean(), rel=1e-3)


@pytest.mark.parametrize("epochs", [4, 40])
def test_the_file_is_read_once_a_pass(tmp_path, monkeypatch, epochs):
    """Pass p's weights are scored while pass p + 1 reads the file: one read a pass, and
    one more, only predicting, when training ends by the epoch cap (not when every member
    is done)."""
    path, _ = _file(tmp_path, "diabetes")
    reads = []
    fold_chunks = StreamSource._fold_chunks

    def spy(self, K):
        reads.append(K)
        return fold_chunks(self, K)

    monkeypatch.setattr(StreamSource, "_fold_chunks", spy)
    model, source = _fit(path, replace(QUICK, max_epochs=epochs), seed=1)
    passes = len(source.history)
    assert passes == model.estimator.n_iter_
    if epochs == 4:  # the cap: the last pass's weights are scored by a pass of their own
        assert passes == 4 and len(reads) == passes + 1
        assert source.history[-1]["scored_epoch"] == 4
    else:  # every member done: the pass that found it also scored the pass before it
        assert passes < 40 and len(reads) == passes
        assert source.history[-1]["scored_epoch"] == passes - 1
    assert "val_loss" not in source.history[0]  # nothing scored yet after the first pass
    assert [r.get("scored_epoch") for r in source.history[1:-1]] == list(range(1, passes - 1))
    assert max(model.estimator.member_epochs_) <= source.history[-1]["scored_epoch"]


def test_a_draw_of_one_fold_waits_for_rows_of_another():
    """Member k learns from a draw's rows outside fold k: a draw all in one fold joins the
    next (the pass's last joins the one before), and no row is lost or repeated."""
    draws = [
        (np.arange(0, 3), np.zeros(3), np.array([2, 2, 2])),
        (np.arange(3, 7), np.zeros(4), np.array([0, 1, 0, 1])),
        (np.arange(7, 9), np.zeros(2), np.array([3, 1])),
        (np.arange(9, 10), np.zeros(1), np.array([0])),
    ]
    out = list(_two_folds(iter(draws)))
    assert [d[0].tolist() for d in out] == [[0, 1, 2, 3, 4, 5, 6], [7, 8, 9]]
    assert all(len(np.unique(d[2])) >= 2 for d in out)


def test_a_done_member_no_longer_steps(tmp_path, monkeypatch):
    path, _ = _file(tmp_path, "diabetes")
    recipe = replace(QUICK, max_epochs=30)
    stepping = []
    epoch = NumpyEngine.epoch

    def spy(self, run, state, members=None):
        stepping.append(run.step.net.K if members is None else len(members))
        return epoch(self, run, state, members)

    monkeypatch.setattr(NumpyEngine, "epoch", spy)
    _model, source = _fit(path, recipe)
    counts = [r["members"] for r in source.history]
    assert counts[0] == recipe.n_members and counts == sorted(counts, reverse=True)
    assert min(counts) < recipe.n_members  # some member was done before the last pass
    assert stepping == sorted(stepping, reverse=True) and stepping[-1] == counts[-1]
    assert len(stepping) > len(counts)  # several draws (partial_fit calls) per pass


def test_the_out_of_fold_metrics_are_those_of_the_member_that_left_each_row_out(tmp_path):
    path, _ = _file(tmp_path, "cancer")
    model, source = _fit(path, seed=1)
    est = model.estimator
    sample = source.held.frame
    features, y = sample.drop(columns=["y"]), sample.y.to_numpy()
    X = model.features(features)
    folds = row_folds(sample.index.to_numpy(), 1, QUICK.n_members)
    p = np.empty(len(sample))
    for k in range(QUICK.n_members):
        rows = folds == k
        p[rows] = est.network_.member(k).predict_output(X[rows].T)[0]  # P(class 1)
    np.testing.assert_allclose(est.oof_output_[:, 0], p, rtol=1e-6)
    predicted = np.where(p > 0.5, est.classes_[1], est.classes_[0])
    assert model.metrics["validation_accuracy"] == pytest.approx(np.mean(predicted == y))
    oof = table_metrics(out_of_fold(model), features, y)
    numbers = {k: v for k, v in oof.items() if not isinstance(v, (list, dict))}
    assert numbers and all(model.metrics[f"validation_{k}"] == v for k, v in numbers.items())
    ensemble = table_metrics(model, features, y)  # the members' mean trained on every row
    assert ensemble["log_loss"] < oof["log_loss"]


def test_memory_holds_a_chunk_the_buffer_and_the_sample(tmp_path, monkeypatch):
    path, frame = _file(tmp_path, "cancer")
    transformed, stepped = [], []
    transform, partial_fit = TablePreprocessor.transform, MLPClassifier.partial_fit

    def spy_transform(self, features, *args, **kwargs):
        transformed.append(len(features))
        return transform(self, features, *args, **kwargs)

    def spy_partial_fit(self, X, *args, **kwargs):
        stepped.append(len(X))
        return partial_fit(self, X, *args, **kwargs)

    monkeypatch.setattr(TablePreprocessor, "transform", spy_transform)
    monkeypatch.setattr(MLPClassifier, "partial_fit", spy_partial_fit)
    monkeypatch.setattr(pd, "concat", partial(_no_whole_file, pd.concat, len(frame)))
    model, source = _fit(path, chunk_rows=50)
    assert source.in_memory is None and model.metrics["out_of_fold_rows"] == len(source.held)
    # a chunk (50 rows) at a time, and the sample once; a draw of 50 (two when one fold)
    assert max(transformed) <= max(50, len(source.held)) < len(frame)
    assert max(stepped) <= 100 and sum(stepped) == len(frame) * model.estimator.n_iter_


def _no_whole_file(concat, n_rows, frames, *args, **kwargs):
    out = concat(frames, *args, **kwargs)
    assert len(out) < n_rows, "a whole-file frame in memory"
    return out


@pytest.mark.parametrize("which", ["cancer", "diabetes"])
def test_the_streamed_cross_fit_scores_as_the_in_memory_cross_fit(tmp_path, which):
    frame = bundled(which)
    train, test = train_test_split(frame, test_size=0.3, random_state=0)
    recipe = replace(QUICK, max_epochs=60, patience=RECIPE.patience)
    path, _ = _file(tmp_path, which, train.reset_index(drop=True))
    streamed, source = _fit(path, recipe, chunk_rows=100)
    assert source.folds is not None  # cross-fitted while streaming
    memory = fit_table(InMemorySource(train, "y", seed=0), recipe=recipe, seed=0).model
    assert "cross_fit_epochs" in memory.metrics
    if which == "cancer":
        scores = [accuracy_score(test.y, m.predict(test)) for m in (streamed, memory)]
        assert scores[0] >= scores[1] - 0.03
    else:
        scores = [r2_score(test.y, m.predict(test)) for m in (streamed, memory)]
        assert scores[0] >= scores[1] - 0.05


def test_cli_cross_fits_a_streamed_file_and_says_so(tmp_path, capsys, monkeypatch):
    path, _ = _file(tmp_path, "cancer")
    out = tmp_path / "m.safetensors"
    monkeypatch.setattr(
        "lucidnet.cli.train.Recipe", partial(Recipe, max_validation_rows=120, max_epochs=8)
    )
    argv = ["train", str(path), "--target", "y", "--stream", "--chunk-rows", "100"]
    assert main([*argv, "--hidden", "32", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "cross-fitted up to 1,000,000 rows" in printed
    assert "cross-fitted: the 569 rows in 4 folds" in printed
    assert "kept its best epoch on fold k" in printed
    assert "out-of-fold loss" in printed and "member(s) training" in printed
    model = lucidnet.load(out)
    sampled = model.metrics["out_of_fold_rows"]
    assert f"held-out metrics (out of fold: the {sampled:,} rows kept in memory" in printed
    assert model.metrics["validation_accuracy"] > 0.9


@pytest.mark.parametrize("cross_fit", [None, False])
@pytest.mark.parametrize("kind", ["periodic", "piecewise"])
def test_the_streamed_paths_train_the_recipes_numerical_embedding(tmp_path, cross_fit, kind):
    from lucidnet.core.embedded import EmbeddedEnsemble

    path, frame = _file(tmp_path, "diabetes")
    recipe = replace(QUICK, max_epochs=2, cross_fit=cross_fit, numeric_embedding=kind)
    model, source = _fit(path, recipe)
    assert (source.folds is not None) == (cross_fit is None)  # which path it took
    net = model.estimator.network_
    assert isinstance(net, EmbeddedEnsemble) and net.n[0] == len(model.preprocessor.numeric)
    assert type(net.embedding).__name__ == {
        "periodic": "PeriodicEmbedding", "piecewise": "PiecewiseLinearEncoding"
    }[kind]  # fmt: skip
    assert np.isfinite(model.predict(frame)).all()
