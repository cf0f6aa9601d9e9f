"""A real two-process Dask cluster for the tests of this folder (one per test module)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    client.wait_for_workers(2)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def classification():
    X, y = make_classification(800, 6, n_informative=4, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(600, 5, noise=5.0, random_state=0)
    return X, (y - y.mean()) / y.std()


def _same_weights(a, b, atol=1e-6):
    """Two fitted estimators hold the same W[l], b[l] (to atol)."""
    for x, y in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        np.testing.assert_allclose(x, y, atol=atol)


@pytest.fixture
def same_weights():
    return _same_weights
