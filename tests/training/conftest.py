"""Tiny data sets shared by the training tests."""

import numpy as np
import pytest

from lucidnet.core.parameters import parameters


@pytest.fixture
def binary():
    """60 rows, 3 features, a noisy linear boundary; Y of shape (60, 1)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.normal(size=60) > 0).astype(float)
    return X, y[:, None]


@pytest.fixture
def multiclass():
    """90 rows, 2 features, three classes; Y one-hot of shape (90, 3)."""
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1, 2], 30)
    centers = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    X = centers[labels] + rng.normal(size=(90, 2))
    return X, np.eye(3)[labels], labels


def weights_of(net):
    """Copies of [W[1], b[1], ..., W[L], b[L]]."""
    return [a.copy() for a in parameters(net)]


def assert_same_weights(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.fixture
def snapshot():
    return weights_of


@pytest.fixture
def same_weights():
    return assert_same_weights
