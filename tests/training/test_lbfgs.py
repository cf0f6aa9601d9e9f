"""Full-batch L-BFGS over row blocks (lucidnet.training.lbfgs).

Three ways, as everything else: the combined block sums equal the core's full-batch J and
backward; the combined gradient agrees with centred finite differences in float64 (and a
deliberately broken block sum is caught); and the optimizer reaches the same weights
whatever the block size, with memory bounded by the block.
"""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest

from lucidnet import Network
from lucidnet.core.parameters import gradients, pack, parameters
from lucidnet.training import lbfgs
from lucidnet.training.lbfgs import (
    block_loss_grad,
    block_rows_for,
    combine,
    fit_lbfgs,
    loss_grad,
    row_block_sums,
    with_parameters,
)

OUTPUTS = ["sigmoid", "softmax", "identity"]


def _problem(output, n=37, seed=0, weights=False):
    """A 4-5-3-k network with small random biases (keeps ReLU away from its kink)."""
    rng = np.random.default_rng(seed)
    k = 3 if output == "softmax" else 2
    net = Network([4, 5, 3, k], hidden_activation="tanh", output=output, seed=seed)
    for l in range(1, net.L + 1):
        net.b[l] = rng.normal(scale=0.1, size=net.b[l].shape)
    X = rng.normal(size=(n, 4))
    if output == "softmax":
        Y = np.eye(k)[rng.integers(0, k, n)]
    elif output == "sigmoid":
        Y = (rng.random((n, k)) < 0.5).astype(float)
    else:
        Y = rng.normal(size=(n, k))
    s = rng.uniform(0.2, 2.0, size=n) if weights else None
    return net, X, Y, s


def theta_of(net):
    """θ as scipy sees it: the core's flat layout, in float64."""
    return pack(parameters(net), dtype=np.float64)


def test_theta_round_trip():
    net = Network([3, 4, 2], seed=0)
    theta = theta_of(net)
    assert theta.dtype == np.float64 and theta.shape == (net.n_parameters,)
    # The order is W[1], b[1], W[2], b[2], each raveled row by row.
    np.testing.assert_array_equal(theta[:12], net.W[1].ravel())
    np.testing.assert_array_equal(theta[12:16], net.b[1].ravel())
    other = with_parameters(Network([3, 4, 2], seed=1), theta)
    for l in (1, 2):
        np.testing.assert_array_equal(other.W[l], net.W[l])
        np.testing.assert_array_equal(other.b[l], net.b[l])
        assert other.b[l].shape == (net.n[l], 1)
    theta[0] += 1.0  # the network holds its own arrays, not views of θ
    assert other.W[1][0, 0] == net.W[1][0, 0]
    with pytest.raises(ValueError, match=r"theta must have shape \(26,\)"):
        with_parameters(other, theta[:-1])


def test_theta_keeps_the_networks_dtype():
    net = Network([3, 4, 2], seed=0, dtype=np.float32)
    other = with_parameters(net, theta_of(net) + 1.0)
    assert all(p.dtype == np.float32 for p in parameters(other))


def test_with_parameters_leaves_the_template_alone():
    net = Network([3, 4, 2], seed=0)
    before = theta_of(net)
    copy = with_parameters(net, before + 1.0)
    np.testing.assert_array_equal(theta_of(net), before)
    np.testing.assert_array_equal(theta_of(copy), before + 1.0)


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("weights", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize("block_rows", [1, 7, 37, 1000])
def test_blocks_combine_to_the_full_batch_cost_and_backward(output, weights, alpha, block_rows):
    net, X, Y, s = _problem(output, weights=weights)
    J, grad = loss_grad(net, X, Y, s, alpha, block_rows)
    cache = net.forward(X.T)
    grads = net.backward(cache, Y.T, alpha, sample_weight=s)
    expected = np.concatenate(
        [a.ravel() for l in range(1, net.L + 1) for a in (grads.dW[l], grads.db[l])]
    )
    assert J == pytest.approx(net.cost(cache, Y.T, alpha, sample_weight=s), rel=1e-13)
    np.testing.assert_allclose(grad, expected, rtol=1e-11, atol=1e-14)


def test_block_sums_are_the_block_means_times_the_block_weight():
    net, X, Y, s = _problem("sigmoid", n=10, weights=True)
    loss_sum, grad_sum, weight = block_loss_grad(net, X, Y, s)
    assert weight == pytest.approx(s.sum())
    assert loss_sum / weight == pytest.approx(net.cost(net.forward(X.T), Y.T, sample_weight=s))
    grads = net.backward(net.forward(X.T), Y.T, sample_weight=s)
    np.testing.assert_allclose(grad_sum[: net.W[1].size] / weight, grads.dW[1].ravel())
    # A block whose rows all weigh 0 adds nothing (the core would refuse it).
    zero = block_loss_grad(net, X, Y, np.zeros(10))
    assert zero[0] == 0 and zero[2] == 0 and not zero[1].any()


def _numeric_gradient(f, theta, eps=1e-6):
    g = np.zeros_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = eps
        g[i] = (f(theta + step) - f(theta - step)) / (2 * eps)
    return g


def _relative_error(g, g_hat):
    scale = max(np.max(np.abs(g)), np.max(np.abs(g_hat)), np.finfo(float).tiny)
    return float(np.max(np.abs(g - g_hat)) / scale)


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("weights", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_the_combined_gradient_passes_finite_differences(output, weights, alpha):
    net, X, Y, s = _problem(output, n=23, weights=weights)

    def J(theta):
        return loss_grad(with_parameters(net, theta), X, Y, s, alpha, block_rows=5)[0]

    theta = theta_of(net)
    _, grad = loss_grad(net, X, Y, s, alpha, block_rows=5)
    assert _relative_error(grad, _numeric_gradient(J, theta)) < 1e-6


def test_the_finite_difference_check_catches_a_broken_block_sum(monkeypatch):
    # Forget to multiply a block's mean gradient by its weight: blocks of unequal size
    # are then averaged wrongly, and the check must notice.
    net, X, Y, _ = _problem("softmax", n=23)

    def broken(net, X_block, Y_block, s_block=None):
        cache = net.forward(X_block.T)
        grads = net.backward(cache, Y_block.T)
        J = net.cost(cache, Y_block.T)
        w = X_block.shape[0]
        return J * w, pack(gradients(grads), dtype=np.float64), w

    monkeypatch.setattr(lbfgs, "block_loss_grad", broken)

    def J(theta):
        return loss_grad(with_parameters(net, theta), X, Y, None, 0.0, block_rows=5)[0]

    _, grad = loss_grad(net, X, Y, None, 0.0, block_rows=5)
    assert _relative_error(grad, _numeric_gradient(J, theta_of(net))) > 1e-3


def test_combine_refuses_a_zero_total_weight():
    net, X, Y, _ = _problem("sigmoid", n=6)
    with pytest.raises(ValueError, match="total weight is 0"):
        combine(row_block_sums(net, X, Y, np.zeros(6), 2), net)


def test_fit_lbfgs_converges_and_ends_at_its_reported_cost():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    Y = (X[:, :1] * X[:, 1:] > 0) * 1.0  # XOR-like: needs the hidden layer
    net = Network([2, 8, 1], hidden_activation="tanh", seed=0)
    curve = []
    result = fit_lbfgs(
        net, X, Y, alpha=0.1, max_iter=1000, tol=1e-6, callback=lambda k, J: curve.append(J)
    )
    assert result.success, result.message
    assert result.fun == pytest.approx(net.cost(net.forward(X.T), Y.T, 0.1), rel=1e-12)
    assert result.fun < 0.15
    assert np.mean((net.predict_output(X.T)[0] > 0.5) == Y[:, 0]) > 0.95
    assert curve == result.loss_curve and len(curve) == result.nit
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(curve))  # monotone
    _, grad = loss_grad(net, X, Y, alpha=0.1)
    assert np.max(np.abs(grad)) < 1e-4  # a stationary point


def test_the_block_size_does_not_change_the_weights():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    Y = np.eye(3)[rng.integers(0, 3, 300)]
    ends = []
    for block_rows in (1000, 64, 7):
        net = Network([3, 6, 3], hidden_activation="tanh", output="softmax", seed=0)
        fit_lbfgs(net, X, Y, alpha=0.01, max_iter=40, block_rows=block_rows)
        ends.append(theta_of(net))
    np.testing.assert_allclose(ends[1], ends[0], atol=1e-8)
    np.testing.assert_allclose(ends[2], ends[0], atol=1e-8)


def test_memory_is_bounded_by_the_block_not_the_data():
    # 30 000 rows × 20 features; one block of 1 000 rows holds 30× less than the full
    # batch. X itself (4.8 MB) exists before the measurement starts.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30_000, 20))
    Y = (X[:, :1] > 0) * 1.0
    net = Network([20, 64, 64, 1], seed=0)
    full_batch = 8 * X.shape[0] * (20 + 3 * (64 + 64 + 1))  # A[0], Z, A, dZ per layer
    tracemalloc.start()
    try:
        loss_grad(net, X, Y, block_rows=1000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < full_batch / 10, f"peak {peak / 2**20:.1f} MB"


def test_the_default_block_keeps_activations_near_32_mb():
    net = Network([50, 100, 1], seed=0)
    rows = block_rows_for(net)
    assert rows * 8 * (50 + 3 * 101) == pytest.approx(32 * 2**20, rel=1e-3)
    assert block_rows_for(net, target_bytes=1) == 1  # at least one row, however wide


@pytest.mark.parametrize("bad", [0, -3, True])
def test_fit_lbfgs_refuses_a_bad_block_size(bad):
    net, X, Y, _ = _problem("sigmoid", n=6)
    with pytest.raises(
        ValueError, match=r"'block_rows' parameter of fit_lbfgs must be an int in \[1, inf\)"
    ):
        fit_lbfgs(net, X, Y, block_rows=bad)


def test_divergence_keeps_the_starting_weights():
    net = Network([1, 1], output="identity", seed=0)
    X = np.array([[1e200], [-1e200]])
    Y = np.array([[1.0], [2.0]])
    start = theta_of(net)
    with pytest.raises(ValueError, match="L-BFGS diverged"):
        fit_lbfgs(net, X, Y, max_iter=5)
    np.testing.assert_array_equal(theta_of(net), start)


def test_sample_weights_are_checked_where_they_enter():
    X = np.random.default_rng(0).normal(size=(10, 2))
    Y = (X[:, :1] > 0) * 1.0
    with pytest.raises(ValueError, match="non-negative"):
        fit_lbfgs(Network([2, 1], seed=0), X, Y, sample_weight=-np.ones(10))
