"""The tabular recipe on a real two-process LocalCluster (lucidnet.dask.recipe): one task
per ensemble member, the model their stack, predictions on the workers, and a worker
SIGKILLed in the middle of a fit."""

from __future__ import annotations

import os
import signal
import threading
import time
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.exceptions import ConvergenceWarning

from lucidnet.tables import RECIPE, fit_table
from lucidnet.tables.fit import InMemorySource
from lucidnet.tables.metrics import table_metrics

dd = pytest.importorskip("dask.dataframe")
ldask = pytest.importorskip("lucidnet.dask")

QUICK = {"max_epochs": 15, "patience": 3, "hidden_layer_sizes": (32, 32), "random_state": 0}


@pytest.fixture(scope="module")
def cancer():
    frame = load_breast_cancer(as_frame=True).frame
    frame["target"] = np.where(frame.target == 1, "benign", "malignant")
    frame.loc[::13, "mean area"] = np.nan
    return frame


def test_the_recipe_on_the_cluster_classifies_a_real_table(client, cancer):
    ddf = dd.from_pandas(cancer, npartitions=4)
    X, y = ddf.drop(columns=["target"]), ddf["target"]
    est = ldask.TabularClassifier(**QUICK).fit(X, y)
    network = est.estimator_.network_
    assert network.K == RECIPE.n_members and network.n[1:-1] == [32, 32]
    assert len(est.estimator_.member_epochs_) == RECIPE.n_members
    metrics = est.model_.metrics
    assert metrics["partitions"] == 4 and metrics["validation_accuracy"] > 0.9
    assert metrics["rows_trained"] == len(cancer)  # cross-fitted: every row trains
    assert list(est.classes_) == ["benign", "malignant"]
    features = cancer.drop(columns=["target"])
    on_workers = est.predict(X).compute().to_numpy()  # map_partitions on the workers
    np.testing.assert_array_equal(on_workers, est.predict(features))
    assert np.mean(on_workers == cancer.target.to_numpy()) > 0.95
    proba = est.predict_proba(X).compute()
    assert list(proba.columns) == ["benign", "malignant"]
    np.testing.assert_allclose(proba.to_numpy(), est.predict_proba(features), rtol=1e-6)


def test_a_capped_held_out_set_on_the_cluster(client):
    frame = load_diabetes(as_frame=True).frame
    source = ldask.DaskRecipeSource(
        dd.from_pandas(frame, npartitions=3),
        "target",
        client=client,
        max_validation_rows=40,
        cross_fit_max_rows=None,  # the large-table path at any size
    )
    recipe = replace(RECIPE, max_epochs=15, patience=3, hidden_layer_sizes=(32,), n_members=2)
    model = fit_table(source, recipe=recipe, seed=1).model
    assert len(source.held) == 40  # the 40 candidates of smallest row hash
    assert model.task == "regression" and "refit_epochs" not in model.metrics  # under 10 %
    assert model.metrics["rows_trained"] == len(frame) - 40
    assert table_metrics(model, frame, frame.target.to_numpy())["r2"] > 0.3


def test_a_worker_killed_mid_fit_loses_nothing(client):
    # SIGKILL the worker running a member task while it trains: the scheduler runs that
    # member again on the other worker (the nanny restarts the dead one); with the same
    # seed and rows it ends at the same weights, so the model is the undisturbed one.
    rng = np.random.default_rng(0)
    n = 6000
    frame = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"x{j}" for j in range(6)])
    frame["kind"] = rng.choice(["a", "b", "c"], n)
    frame["y"] = np.where(frame.x0 + frame.x1 * frame.x2 + (frame.kind == "a") > 0, "yes", "no")
    ddf = dd.from_pandas(frame, npartitions=4)
    X, y = ddf.drop(columns=["y"]), ddf["y"]
    params = {**QUICK, "max_epochs": 8, "n_members": 2}
    undisturbed = ldask.TabularClassifier(**params).fit(X, y)
    pids = client.run(os.getpid)
    killed: list[int] = []

    def kill_a_member() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            for address, keys in client.processing().items():
                if any(str(k).startswith("lucidnet-member-") for k in keys):
                    time.sleep(0.5)  # in the middle of its epochs
                    os.kill(pids[address], signal.SIGKILL)
                    killed.append(pids[address])
                    return
            time.sleep(0.05)

    watcher = threading.Thread(target=kill_a_member)
    watcher.start()
    survived = ldask.TabularClassifier(**params).fit(X, y)
    watcher.join()
    assert len(killed) == 1
    features = frame.drop(columns=["y"])
    a, b = undisturbed.score(features, frame.y), survived.score(features, frame.y)
    assert abs(a - b) <= 0.005
    assert survived.estimator_.member_epochs_ == undisturbed.estimator_.member_epochs_
    client.wait_for_workers(2, timeout=60)
    assert killed[0] not in client.run(os.getpid).values()


def test_cli_dask_trains_the_recipe(client, cancer, tmp_path, capsys):
    from lucidnet import load
    from lucidnet.cli import main

    path = tmp_path / "cancer.csv"
    cancer.to_csv(path, index=False)
    out = tmp_path / "m.safetensors"
    argv = ["train", str(path), "--target", "target", "--dask", client.scheduler.address]
    assert main([*argv, "--hidden", "32", "--members", "2", "--epochs", "40", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "the recipe's 2 members trained as 2 tasks" in printed
    assert "members' epochs: 40, 40" in printed and "saved:" in printed
    model = load(out)
    assert model.estimator.network_.K == 2 and model.metrics["validation_accuracy"] > 0.9
    out = tmp_path / "x.safetensors"  # the recipe's own epochs: cross-fitted on the cluster
    assert main([*argv, "--hidden", "16", "--members", "2", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "cross-fitted: the 569 rows in 2 folds" in printed
    assert "held-out metrics (out of fold: every row" in printed and "saved:" in printed
    assert load(out).metrics["rows_trained"] == 569


def test_the_cluster_keeps_the_text_levels_the_recipe_keeps_in_memory(client):
    """Beyond the 63 most frequent levels, every level seen at least min_frequency times."""
    rng = np.random.default_rng(0)
    n = 3000
    frame = pd.DataFrame({"x": rng.normal(size=n), "city": [f"c{i % 100}" for i in range(n)]})
    frame["target"] = frame.x + rng.normal(size=n)
    recipe = replace(RECIPE, max_epochs=2, patience=1, hidden_layer_sizes=(8,), n_members=2)
    assert (recipe.min_frequency, recipe.max_levels) == (10, 256)
    source = ldask.DaskRecipeSource(dd.from_pandas(frame, npartitions=3), "target", client=client)
    model = fit_table(source, recipe=recipe, seed=0).model
    pre = model.preprocessor
    assert (pre.min_frequency, pre.max_levels) == (10, 256)
    assert len(pre.categories["city"]) == 100  # each level in about 24 training rows


def _hash_folds(frame: pd.DataFrame, sizes: list[int], seed: int, K: int) -> np.ndarray:
    """Row j of partition i is in fold row_hash(j + 2³² i) mod K (the docstring's rule)."""
    from lucidnet.tables.streamed import row_hash

    rows = np.concatenate([np.arange(n, dtype=np.uint64) + (np.uint64(i) << np.uint64(32))
                           for i, n in enumerate(sizes)])  # fmt: skip
    assert len(rows) == len(frame)
    return (row_hash(rows, seed) % np.uint64(K)).astype(np.int64)


def test_a_cross_fitted_member_never_trains_on_its_fold(client):
    # _fit_fold_member on partitions in this process: member k's weights are those of the
    # recipe fitted on the other folds' rows alone, and its metrics are fold k's.
    from sklearn.base import clone

    from lucidnet.dask.recipe import _fit_fold_member, _member_seed, _network_target
    from lucidnet.tables.metrics import ExactMetrics
    from lucidnet.tables.stats import target_labels

    frame = load_diabetes(as_frame=True).frame
    parts = [frame.iloc[:150], frame.iloc[150:300], frame.iloc[300:]]
    recipe = replace(RECIPE, max_epochs=6, patience=2, hidden_layer_sizes=(8,), n_members=3)
    source = ldask.DaskRecipeSource(dd.from_pandas(frame, npartitions=3), "target", client=client)
    fitted = fit_table(source, recipe=recipe, seed=3)  # the preprocessing and shell
    model = fitted.model
    model.estimator = clone(model.estimator).set_params(n_members=3, random_state=3)
    kind = (True, fitted.stats.target_integral)
    fold = _hash_folds(frame, [150, 150, len(frame) - 300], seed=7, K=3)
    sizes = np.bincount(fold, minlength=3)
    assert sizes.min() > 100  # every fold holds about a third of the rows
    member_recipe = replace(recipe, n_members=1)
    est, best, metrics = _fit_fold_member(
        1, 3, [0, 1, 2], model, member_recipe, kind, 3, 7, True, *parts
    )
    X = model.preprocessor.transform(frame.drop(columns=["target"]), np.float32)
    y = _network_target(model, target_labels(frame.target, *kind))
    alone = clone(model.estimator).set_params(n_members=1, random_state=_member_seed(3, 1))
    out = fold == 1
    with warnings.catch_warnings():  # 6 epochs: it ends unconverged, as the member does
        warnings.simplefilter("ignore", ConvergenceWarning)
        alone = replace(member_recipe, cross_fit=False, refit=False).fit(
            alone, X[~out], y[~out], validation_data=(X[out], y[out])
        )
    for a, b in zip(est.coefs_ + est.intercepts_, alone.coefs_ + alone.intercepts_, strict=True):
        np.testing.assert_array_equal(a, b)
    assert 1 <= best <= 6
    expected = ExactMetrics(model.with_estimator(alone))
    expected.update(frame.loc[out].drop(columns=["target"]), frame.target[out].to_numpy())
    assert metrics is not None and metrics.result() == expected.result()


def test_the_cluster_cross_fits_as_memory_does(client):
    """No rows held out; every row trains; the metrics are every row's, out of fold."""
    rng = np.random.default_rng(1)
    n = 1200
    frame = pd.DataFrame(rng.normal(size=(n, 4)), columns=list("abcd"))
    frame["kind"] = rng.choice(["u", "v"], n)
    frame["y"] = np.where(frame.a + frame.b * frame.c > 0, "yes", "no")
    frame.loc[7, "y"] = "rare"  # one row: in one fold, a class every member must know
    source = ldask.DaskRecipeSource(
        dd.from_pandas(frame, npartitions=3), "y", client=client, seed=5
    )
    recipe = replace(RECIPE, hidden_layer_sizes=(32,))  # to convergence, as in memory
    model = fit_table(source, recipe=recipe, seed=2).model
    net = model.estimator.network_
    assert len(source.held) == 0 and model.metrics["rows_trained"] == n
    assert net.K == 4 and list(model.classes) == ["no", "rare", "yes"]
    assert model.metrics["cross_fit_epochs"] == max(model.estimator.member_epochs_)
    # every row predicted by the member of its fold: the reported metrics, recomputed
    fold = _hash_folds(frame, [400, 400, 400], seed=5, K=4)
    features = frame.drop(columns=["y"])
    proba = np.empty((n, 3))
    for k in range(4):
        member = model.with_estimator(model.estimator)
        member.estimator = _one_member(model.estimator, k)
        proba[fold == k] = member.predict_proba(features[fold == k])
    accuracy = np.mean(model.classes[proba.argmax(axis=1)] == frame.y.to_numpy())
    assert model.metrics["validation_accuracy"] == pytest.approx(accuracy, abs=1e-12)
    in_memory = fit_table(InMemorySource(frame, "y"), recipe=recipe, seed=2).model.metrics
    # no worse than in memory (the folds differ: 1,200 rows give these out-of-fold
    # accuracies a standard error near 0.005, and the cluster's came out 0.012 above)
    assert accuracy > 0.95 and accuracy > in_memory["validation_accuracy"] - 0.01


def _one_member(est, k):
    import copy

    one = copy.copy(est)
    one.network_ = est.network_.member(k)
    one.set_params(n_members=1)
    return one


def test_without_held_out_metrics_the_cluster_still_cross_fits(client):
    frame = load_diabetes(as_frame=True).frame
    source = ldask.DaskRecipeSource(
        dd.from_pandas(frame, npartitions=2), "target", client=client, validation=0.0
    )
    recipe = replace(RECIPE, max_epochs=4, hidden_layer_sizes=(8,), n_members=2)
    model = fit_table(source, recipe=recipe, seed=0).model
    assert model.metrics["rows_trained"] == len(frame) and "cross_fit_epochs" in model.metrics
    assert not any(k.startswith("validation_") for k in model.metrics)


def test_the_cluster_trains_the_recipes_numerical_embedding(client):
    from lucidnet.core.embedded import EmbeddedEnsemble

    frame = load_diabetes(as_frame=True).frame
    ddf = dd.from_pandas(frame, npartitions=2)
    recipe = replace(RECIPE, max_epochs=3, n_members=2)
    assert recipe.numeric_embedding == "periodic"  # the recipe's default
    model = fit_table(ldask.DaskRecipeSource(ddf, "target", client=client), recipe=recipe).model
    net = model.estimator.network_
    assert isinstance(net, EmbeddedEnsemble) and net.K == 2
    assert net.embedding.n_frequencies == recipe.embedding_frequencies
    assert not np.array_equal(net.E["c"][0], net.E["c"][1])  # each member its own E
    piecewise = replace(recipe, numeric_embedding="piecewise")
    with pytest.raises(ValueError, match=r"piecewise.*use 'periodic'"):
        fit_table(ldask.DaskRecipeSource(ddf, "target", client=client), recipe=piecewise)
