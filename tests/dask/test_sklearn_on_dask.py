"""lucidnet's ordinary estimators on a Dask cluster: dask-ml's Incremental (minibatch
training over a Dask array through partial_fit) and scikit-learn's searches under joblib's
dask backend."""

from __future__ import annotations

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
wrappers = pytest.importorskip("dask_ml.wrappers")

import joblib  # noqa: E402
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV  # noqa: E402

import lucidnet  # noqa: E402

get_task_stream = distributed.get_task_stream


def test_incremental_trains_by_partial_fit_block_by_block(client, classification, same_weights):
    X, y = classification
    dX, dy = da.from_array(X, chunks=(200, -1)), da.from_array(y, chunks=200)
    params = {"hidden_layer_sizes": (16,), "learning_rate_init": 0.01, "random_state": 0}
    inc = wrappers.Incremental(
        lucidnet.MLPClassifier(**params), scoring="accuracy", shuffle_blocks=False
    )
    for _ in range(3):  # each call is one pass over the blocks
        inc.partial_fit(dX, dy, classes=[0, 1])
    # The same as calling partial_fit on the four blocks in order, three times.
    ref = lucidnet.MLPClassifier(**params)
    for _ in range(3):
        for start in range(0, len(X), 200):
            ref.partial_fit(X[start : start + 200], y[start : start + 200], classes=[0, 1])
    same_weights(inc.estimator_, ref, atol=1e-12)
    prediction = inc.predict(dX)
    assert isinstance(prediction, da.Array)
    assert inc.predict_proba(dX).shape == (len(X), 2)
    assert inc.score(dX, dy) == pytest.approx(ref.score(X, y))
    assert inc.score(dX, dy) > 0.7  # three passes of a small network


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_grid_search_runs_on_the_cluster_with_the_same_results(client, classification):
    X, y = classification
    grid = {"hidden_layer_sizes": [(4,), (16,)], "alpha": [1e-4, 1.0]}
    est = lucidnet.MLPClassifier(solver="lbfgs", max_iter=60, random_state=0)
    local = GridSearchCV(est, grid, cv=3).fit(X, y)
    with joblib.parallel_backend("dask"), get_task_stream(client) as tasks:
        assert type(joblib.parallel.get_active_backend()[0]).__name__ == "DaskDistributedBackend"
        on_cluster = GridSearchCV(est, grid, cv=3, n_jobs=-1).fit(X, y)
    workers = {t["worker"] for t in tasks.data}
    assert len(workers) == 2, "the 12 fits should run on both workers"
    assert on_cluster.best_params_ == local.best_params_
    np.testing.assert_allclose(
        on_cluster.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert on_cluster.score(X, y) == local.score(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_randomized_search_on_the_cluster(client, regression):
    X, y = regression
    search = RandomizedSearchCV(
        lucidnet.MLPRegressor(solver="lbfgs", max_iter=40, random_state=0),
        {"hidden_layer_sizes": [(4,), (8,), (16,)], "alpha": [1e-4, 1e-2, 1.0]},
        n_iter=4,
        cv=2,
        random_state=0,
        n_jobs=-1,
    )
    with joblib.parallel_backend("dask"):
        search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_score_ > 0.8
