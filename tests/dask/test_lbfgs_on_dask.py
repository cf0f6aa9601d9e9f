"""Full-batch L-BFGS across a real two-process LocalCluster (lucidnet.dask)."""

from __future__ import annotations

import os
import signal
import types

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")

import pandas as pd  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402

import lucidnet  # noqa: E402
import lucidnet.dask as ldask  # noqa: E402
from lucidnet.cli import main  # noqa: E402
from lucidnet.tables import TablePreprocessor  # noqa: E402

# Short runs stop at max_iter on purpose; the weights are compared, not the convergence.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

PARAMS = {
    "hidden_layer_sizes": (12,),
    "activation": "tanh",
    "solver": "lbfgs",
    "alpha": 1e-3,
    "max_iter": 40,
    "random_state": 0,
}


def test_distributed_lbfgs_ends_at_the_single_machine_weights(client, classification, same_weights):
    X, y = classification
    single = lucidnet.MLPClassifier(**PARAMS).fit(X, y)
    dX, dy = da.from_array(X, chunks=(100, -1)), da.from_array(y, chunks=100)
    dist = ldask.MLPClassifier(**PARAMS).fit(dX, dy)
    assert dist.n_iter_ == single.n_iter_ == 40
    assert dist.loss_ == pytest.approx(single.loss_, rel=1e-9)
    same_weights(dist, single)
    np.testing.assert_array_equal(dist.classes_, single.classes_)
    # Predictions of Dask input are lazy Dask arrays with X's row chunks.
    proba = dist.predict_proba(dX)
    assert isinstance(proba, da.Array) and proba.chunks[0] == dX.chunks[0]
    np.testing.assert_allclose(proba.compute(), single.predict_proba(X), atol=1e-8)
    np.testing.assert_array_equal(dist.predict(dX).compute(), single.predict(X))
    assert dist.transform(dX).compute().shape == (len(X), 12)


def test_distributed_regression_matches_too(client, regression, same_weights):
    X, y = regression
    single = lucidnet.MLPRegressor(**PARAMS).fit(X, y)
    dist = ldask.fit_lbfgs(lucidnet.MLPRegressor(**PARAMS), da.from_array(X, chunks=(128, -1)), y)
    same_weights(dist, single)
    pred = ldask.predict(dist, da.from_array(X, chunks=(128, -1)))
    np.testing.assert_allclose(pred.compute(), single.predict(X), atol=1e-8)


def test_sample_weights_on_the_workers(client, classification, same_weights):
    X, y = classification
    w = np.random.default_rng(0).uniform(0, 2, len(y))
    single = lucidnet.MLPClassifier(**PARAMS).fit(X, y, sample_weight=w)
    dist = ldask.MLPClassifier(**PARAMS).fit(
        da.from_array(X, chunks=(200, -1)), da.from_array(y, chunks=200), da.from_array(w, 200)
    )
    same_weights(dist, single)


def test_a_dataframe_keeps_its_column_names(client, classification, same_weights):
    X, y = classification
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    ddf = dd.from_pandas(frame, npartitions=3)
    dist = ldask.MLPClassifier(**PARAMS).fit(ddf, dd.from_pandas(pd.Series(y), npartitions=3))
    assert list(dist.feature_names_in_) == list(frame.columns)
    same_weights(dist, lucidnet.MLPClassifier(**PARAMS).fit(frame, y))
    assert dist.predict(ddf).compute().shape == (len(y),)
    with pytest.raises(ValueError, match="fitted with"):
        dist.predict(ddf.rename(columns={"f0": "other"}))


def test_a_column_chunked_array_is_rechunked_with_a_note(client, classification, same_weights):
    X, y = classification
    by_columns = da.from_array(X, chunks=(200, 3))  # 2 column chunks: blocks lack whole rows
    with pytest.warns(UserWarning, match=r"chunked along its columns \(2 column chunks\)"):
        dist = ldask.MLPClassifier(**PARAMS).fit(by_columns, da.from_array(y, chunks=200))
    assert dist.n_features_in_ == X.shape[1]
    same_weights(dist, lucidnet.MLPClassifier(**PARAMS).fit(X, y))


def test_a_worker_killed_mid_training_is_survived_with_the_same_model(
    client, classification, same_weights
):
    # SIGKILL one worker process after the 5th iteration. Its row blocks and θ are task
    # results with lineage, so Dask recomputes them on the other worker; the nanny restarts
    # the dead one. The fit must then end at exactly the uninterrupted weights.
    X, y = classification
    reference = lucidnet.MLPClassifier(**PARAMS).fit(X, y)
    victim = next(iter(client.run(os.getpid).values()))
    killed = []

    def kill(iteration, J):
        if iteration == 5:
            os.kill(victim, signal.SIGKILL)
            killed.append(iteration)

    est = lucidnet.MLPClassifier(**PARAMS)
    dX, dy = da.from_array(X, chunks=(100, -1)), da.from_array(y, chunks=100)
    ldask.fit_lbfgs(est, dX, dy, callback=kill)
    assert killed == [5]
    assert est.n_iter_ == 40
    same_weights(est, reference)
    client.wait_for_workers(2, timeout=60)
    assert victim not in client.run(os.getpid).values()


def test_a_lost_cluster_is_reported_and_leaves_no_model(client, classification, monkeypatch):
    # When Dask gives up (KilledWorker after its retries), the fit stops with a clear
    # error and the estimator is left unfitted: never a model built from partial sums.
    X, y = classification
    calls = []
    gather = client.gather

    def failing_gather(futures, *args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            worker = types.SimpleNamespace(address="tcp://127.0.0.1:1")
            raise distributed.KilledWorker("block-key", worker, 3)
        return gather(futures, *args, **kwargs)

    monkeypatch.setattr(client, "gather", failing_gather)
    est = lucidnet.MLPClassifier(**PARAMS)
    with pytest.raises(RuntimeError, match="Training stopped: Dask workers died"):
        ldask.fit_lbfgs(est, da.from_array(X, chunks=(200, -1)), y, client=client)
    assert not hasattr(est, "network_") and not hasattr(est, "classes_")
    with pytest.raises(NotFittedError):
        est.predict(X)


def test_a_failure_leaves_a_warm_start_model_as_it_was(client, classification, monkeypatch):
    # A failure leaves a fitted model as it was (with warm_start=True, too).
    X, y = classification
    X_dask = da.from_array(X, chunks=(200, -1))
    est = lucidnet.MLPClassifier(**{**PARAMS, "max_iter": 5, "warm_start": True})
    ldask.fit_lbfgs(est, X_dask, y, client=client)
    weights = [a.copy() for a in (*est.coefs_, *est.intercepts_)]
    before = (est.n_iter_, list(est.loss_curve_), est.predict_proba(X))
    calls = []
    gather = client.gather

    def failing_gather(futures, *args, **kwargs):
        calls.append(1)
        if len(calls) == 4:  # mid-run: the warm start has already moved the weights
            raise OSError("the network went down")
        return gather(futures, *args, **kwargs)

    monkeypatch.setattr(client, "gather", failing_gather)
    with pytest.raises(RuntimeError, match=r"the network went down.*as it was before this fit"):
        ldask.fit_lbfgs(est, X_dask, y, client=client)
    assert len(calls) == 4
    for a, b in zip((*est.coefs_, *est.intercepts_), weights, strict=True):
        np.testing.assert_array_equal(a, b)
    assert (est.n_iter_, est.loss_curve_) == before[:2]
    np.testing.assert_array_equal(est.predict_proba(X), before[2])


def test_errors_on_the_workers_reach_the_caller(client):
    X = np.ones((50, 2))
    X[7, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        ldask.MLPClassifier(**PARAMS).fit(da.from_array(X, chunks=10), np.arange(50) % 2)


def test_minibatch_solvers_are_pointed_to_incremental(client, classification):
    X, y = classification
    with pytest.raises(ValueError, match=r"solver='adam'.*dask_ml.wrappers.Incremental"):
        ldask.MLPClassifier(solver="adam").fit(da.from_array(X, chunks=100), y)
    # NumPy input is the plain estimator's business.
    assert ldask.MLPClassifier(max_iter=5, solver="sgd").fit(X, y).n_iter_ == 5


def test_cli_trains_on_the_cluster_like_in_memory(client, tmp_path, capsys):
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame(
        {
            "x1": rng.normal(5, 2, n),
            "x2": rng.integers(0, 9, n).astype(float),
            "city": rng.choice(["a", "b", "c"], n),
        }
    )
    frame.loc[rng.random(n) < 0.1, "x1"] = np.nan
    frame["y"] = np.where(frame.x1.fillna(5) + 2 * (frame.city == "a") > 6, "yes", "no")
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "model.safetensors"
    rc = main(
        [
            "train",
            str(path),
            "--target",
            "y",
            "--dask",
            client.scheduler.address,
            "--optimizer",
            "lbfgs",
            "--hidden",
            "8",
            "--epochs",
            "30",
            "-o",
            str(out),
            "--validation",
            "0",
        ]
    )
    assert rc == 0
    printed = capsys.readouterr().out
    assert "full-batch L-BFGS" in printed and "saved:" in printed
    model = lucidnet.load(out)
    # The statistics computed on the workers are the in-memory preprocessing's.
    ref = TablePreprocessor().fit(frame.drop(columns=["y"]))
    np.testing.assert_allclose(model.preprocessor.median, ref.median)
    np.testing.assert_allclose(model.preprocessor.mean, ref.mean, rtol=1e-12)
    np.testing.assert_allclose(model.preprocessor.scale, ref.scale, rtol=1e-12)
    assert model.preprocessor.categories == ref.categories
    assert np.mean(model.predict(frame) == frame["y"].to_numpy()) > 0.95


def test_cli_dask_local_starts_and_stops_its_own_cluster(tmp_path, capsys):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    frame["y"] = 2 * frame.a - frame.b + 0.1 * rng.normal(size=300)
    path = tmp_path / "d.parquet"
    frame.to_parquet(path)
    out = tmp_path / "m.safetensors"
    argv = ["train", str(path), "--target", "y", "--task", "regression", "--dask", "local"]
    argv += ["--optimizer", "lbfgs"]
    assert main([*argv, "--hidden", "4", "--epochs", "50", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "2 worker(s)" in printed and "held-out metrics" in printed
    model = lucidnet.load(out)
    assert model.metrics["validation_r2"] > 0.95
    assert model.metrics["solver"] == "lbfgs (dask)"


def test_an_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(ValueError, match="Could not connect to a Dask scheduler"):
        ldask.connect("tcp://127.0.0.1:9", timeout="1s")
