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
                if any(str(k).startswith("lucidnet-member") for k in keys):
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


def test_a_group_of_members_is_the_in_memory_cross_fit_on_the_hash_folds(client):
    # _fit_fold_members on partitions in this process: members 1 and 2 of 3 are the
    # in-memory cross-fit of a 2-member estimator whose member j leaves out fold
    # (1, 2)[j] (fold 0's rows train both), weight for weight; the metrics are those of
    # folds 1 and 2, each row predicted by its own member.
    import copy

    from sklearn.base import clone

    from lucidnet.dask.recipe import _fit_fold_members, _member_seed, _network_target
    from lucidnet.estimators.refit import fit_cross_fitted
    from lucidnet.tables.embedding import embed
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
    assert np.bincount(fold, minlength=3).min() > 100  # about a third of the rows each
    est, best, metrics = _fit_fold_members([1, 2], 3, [0, 1, 2], model, recipe, kind, 3, 7,
                                           True, *parts)  # fmt: skip
    X = model.preprocessor.transform(frame.drop(columns=["target"]), np.float32)
    y = _network_target(model, target_labels(frame.target, *kind))
    alone = clone(model.estimator).set_params(n_members=2, random_state=_member_seed(3, 1))
    embed(alone, recipe, model.preprocessor, X)
    alone.set_params(batch_size=recipe.batch_for(len(X) * 2 / 3, alone.batch_size))
    local = np.array([-1, 0, 1])[fold]
    with warnings.catch_warnings():  # 6 epochs: it ends unconverged, as the task's does
        warnings.simplefilter("ignore", ConvergenceWarning)
        alone = fit_cross_fitted(alone, X, y, patience_share=recipe.patience_share,
                                 min_patience=recipe.min_patience, folds=local)  # fmt: skip
    assert est.n_members == 2 and best == alone.member_epochs_ and 1 <= min(best) <= 6
    for l in range(1, est.network_.L + 1):
        np.testing.assert_array_equal(est.network_.W[l], alone.network_.W[l])
        np.testing.assert_array_equal(est.network_.b[l], alone.network_.b[l])
    assert np.isnan(alone.oof_output_[fold == 0]).all()  # fold 0 scores neither member
    expected = ExactMetrics(model.with_estimator(alone))
    for j, k in enumerate([1, 2]):
        one = copy.copy(alone)
        one.network_, rows = alone.network_.member(j), fold == k
        part = ExactMetrics(model.with_estimator(one.set_params(n_members=1)))
        part.update(frame.loc[rows].drop(columns=["target"]), frame.target[rows].to_numpy())
        expected.merge(part)
    assert metrics is not None and metrics.result() == expected.result()


def test_the_members_train_in_groups_of_two_or_more_one_task_per_worker():
    from lucidnet.dask.recipe import member_groups

    assert member_groups(4, 2) == [[0, 1], [2, 3]]
    assert member_groups(4, 1) == [[0, 1, 2, 3]]
    assert member_groups(4, 8) == [[0, 1], [2, 3]]  # never a member alone
    assert member_groups(5, 2) == [[0, 1, 2], [3, 4]]
    assert member_groups(3, 4) == [[0, 1, 2]]
    assert member_groups(2, 0) == [[0, 1]]


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
    # Each task is the in-memory cross-fit of its members on the hash folds (weight for
    # weight: test_a_group_of_members_is_the_in_memory_cross_fit_on_the_hash_folds); the
    # two paths' folds differ (by hash, stratified in memory), and on these 1,200 rows so
    # do the epochs at which members stop (a member's patience follows its best epoch,
    # and one may stop near epoch 10): over seeds 2, 3 and 4 both paths' out-of-fold
    # accuracies spread over 0.937-0.975, here 0.946 against 0.967.
    assert accuracy > 0.93 and accuracy > in_memory["validation_accuracy"] - 0.03


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
