"""Minibatch gradient descent (docs/MATH.md §6): W[l] := W[l] − α dW[l], shuffled minibatches."""

from __future__ import annotations

import numpy as np
import pytest

from lucidnet import Network, minibatch_gd
from lucidnet.training import minibatches, targets_as_columns


def blobs(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two well separated Gaussian blobs, one example per row."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.normal(scale=0.5, size=(n, 2)) + np.where(y[:, None] == 1, 2.0, -2.0)
    return X, y


def test_decreases_the_cost_on_a_separable_problem():
    X, y = blobs()
    net = Network([2, 4, 1], hidden_activation="tanh", seed=0)
    J_before = net.cost(net.forward(X.T), y.reshape(1, -1).astype(float))
    costs = minibatch_gd(net, X, y, batch_size=8, learning_rate=0.5, epochs=30, seed=0)
    assert len(costs) == 30
    assert all(np.isfinite(costs))
    assert costs[-1] < costs[0]
    J_after = net.cost(net.forward(X.T), y.reshape(1, -1).astype(float))
    assert J_after < 0.2 * J_before
    assert np.all((net.predict_output(X.T)[0] > 0.5) == (y == 1))


@pytest.mark.parametrize("epochs", [0, 1, 7])
def test_one_cost_per_epoch(epochs):
    X, y = blobs(12)
    net = Network([2, 3, 1], seed=0)
    W_before = net.W[1].copy()
    costs = minibatch_gd(net, X, y, batch_size=5, epochs=epochs, seed=0)
    assert len(costs) == epochs
    assert np.array_equal(net.W[1], W_before) == (epochs == 0)


def test_same_seed_gives_bit_identical_weights():
    X, y = blobs()
    nets = [Network([2, 5, 1], seed=1) for _ in range(3)]
    c0 = minibatch_gd(nets[0], X, y, batch_size=7, learning_rate=0.3, epochs=5, seed=9)
    c1 = minibatch_gd(nets[1], X, y, batch_size=7, learning_rate=0.3, epochs=5, seed=9)
    minibatch_gd(nets[2], X, y, batch_size=7, learning_rate=0.3, epochs=5, seed=10)
    assert c0 == c1
    for l in (1, 2):
        np.testing.assert_array_equal(nets[0].W[l], nets[1].W[l])
        np.testing.assert_array_equal(nets[0].b[l], nets[1].b[l])
    assert not np.array_equal(nets[0].W[1], nets[2].W[1])  # the shuffle depends on the seed


def test_minibatches_cover_every_example_once_with_a_smaller_last_batch():
    batches = list(minibatches(10, 4, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    in_order = list(minibatches(5, 2, None))
    assert [b.tolist() for b in in_order] == [[0, 1], [2, 3], [4]]


def test_the_last_partial_batch_is_a_step_of_its_own():
    # n = 10, B = 4: minibatches of 4, 4 and 2. Redo the epoch by hand and compare.
    X, y = blobs(10, seed=3)
    lr, alpha = 0.1, 0.01
    net = Network([2, 3, 1], hidden_activation="tanh", seed=2)
    by_hand = net.copy()
    costs = minibatch_gd(net, X, y, batch_size=4, learning_rate=lr, epochs=1, alpha=alpha, seed=5)

    order = np.random.default_rng(5).permutation(10)
    Y = y.reshape(1, -1).astype(float)
    weighted_costs = 0.0
    sizes = []
    for start in range(0, 10, 4):
        idx = order[start : start + 4]
        sizes.append(len(idx))
        cache = by_hand.forward(X[idx].T)
        weighted_costs += by_hand.cost(cache, Y[:, idx], alpha) * len(idx)
        grads = by_hand.backward(cache, Y[:, idx], alpha)
        for l in (1, 2):
            by_hand.W[l] = by_hand.W[l] - lr * grads.dW[l]
            by_hand.b[l] = by_hand.b[l] - lr * grads.db[l]
    assert sizes == [4, 4, 2]
    for l in (1, 2):
        np.testing.assert_allclose(net.W[l], by_hand.W[l], rtol=0, atol=1e-15)
        np.testing.assert_allclose(net.b[l], by_hand.b[l], rtol=0, atol=1e-15)
    assert abs(costs[0] - weighted_costs / 10) < 1e-15


def test_a_batch_larger_than_the_data_is_full_batch_gradient_descent():
    # One epoch, one minibatch of everything: W := W − α ∂J/∂W with J over all n examples.
    X, y = blobs(9)
    net = Network([2, 3, 1], seed=4)
    start = net.copy()
    minibatch_gd(net, X, y, batch_size=100, learning_rate=0.2, epochs=1, seed=0)
    grads = start.backward(start.forward(X.T), y.reshape(1, -1))
    for l in (1, 2):
        np.testing.assert_allclose(net.W[l], start.W[l] - 0.2 * grads.dW[l], rtol=0, atol=1e-14)
        np.testing.assert_allclose(net.b[l], start.b[l] - 0.2 * grads.db[l], rtol=0, atol=1e-14)


def test_softmax_targets_from_class_indices():
    X, _ = blobs(20)
    y3 = np.arange(20) % 3
    net = Network([2, 4, 3], output="softmax", seed=0)
    Y = targets_as_columns(net, y3)
    assert Y.shape == (3, 20)
    np.testing.assert_array_equal(Y.argmax(axis=0), y3)
    np.testing.assert_array_equal(Y.sum(axis=0), np.ones(20))
    costs = minibatch_gd(net, X, y3, batch_size=6, learning_rate=0.1, epochs=3, seed=0)
    assert len(costs) == 3


def test_two_dimensional_targets_are_transposed():
    net = Network([2, 3, 2], output="identity", seed=0)
    y = np.arange(10.0).reshape(5, 2)
    np.testing.assert_array_equal(targets_as_columns(net, y), y.T)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"epochs": -1}, "epochs"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": -0.1}, "learning_rate"),
    ],
)
def test_bad_hyperparameters_are_value_errors(kwargs, match):
    X, y = blobs(8)
    net = Network([2, 3, 1], seed=0)
    with pytest.raises(ValueError, match=match):
        minibatch_gd(net, X, y, **kwargs)


def test_bad_data_shapes_are_value_errors():
    X, y = blobs(8)
    net = Network([2, 3, 1], seed=0)
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\)"):
        minibatch_gd(net, X.T, y)  # features as rows
    with pytest.raises(ValueError, match="n_samples rows"):
        minibatch_gd(net, X, y[:-1])
    with pytest.raises(ValueError, match="y must have shape"):
        minibatch_gd(net, X, np.zeros((8, 3)))


def test_out_of_range_class_indices_are_refused():
    net = Network([2, 3, 3], output="softmax", seed=0)
    with pytest.raises(ValueError):
        targets_as_columns(net, np.array([0, 1, 3]))  # class 3 does not exist
