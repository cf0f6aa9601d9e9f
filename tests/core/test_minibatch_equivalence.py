"""The vectorised minibatch gradient equals the average of per-example gradients (docs/MATH.md §6).

An independent check of the 1/B bookkeeping: one backward call on all B columns must give
the mean of B backward calls on one column each (the weighted mean with sample weights).
And with L = 1 and a sigmoid output the network is logistic regression (docs/MATH.md §1), whose
gradient has a closed form.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lucidnet import Network

B = 6
OUTPUTS = [("sigmoid", 1), ("sigmoid", 2), ("softmax", 3), ("identity", 2)]


def make(output: str, nL: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    net = Network([3, 4, 5, nL], hidden_activation="tanh", output=output, seed=seed)
    for l in range(1, net.L + 1):
        net.b[l] = rng.uniform(-0.5, 0.5, size=net.b[l].shape)
    A0 = rng.normal(size=(3, B))
    if output == "sigmoid":
        Y = rng.integers(0, 2, size=(nL, B)).astype(float)
    elif output == "softmax":
        Y = np.eye(nL)[:, rng.integers(0, nL, size=B)]
    else:
        Y = rng.normal(size=(nL, B))
    return net, A0, Y


def per_example_grads(net: Network, A0: np.ndarray, Y: np.ndarray):
    """backward on each column alone (B = 1): the lecture's per-example ∂L/∂W, ∂L/∂b."""
    out = []
    for i in range(A0.shape[1]):
        col = slice(i, i + 1)
        out.append(net.backward(net.forward(A0[:, col]), Y[:, col]))
    return out


@pytest.mark.parametrize("output,nL", OUTPUTS)
def test_minibatch_gradient_is_the_mean_of_per_example_gradients(output, nL):
    net, A0, Y = make(output, nL)
    together = net.backward(net.forward(A0), Y)
    singles = per_example_grads(net, A0, Y)
    for l in range(1, net.L + 1):
        mean_dW = sum(g.dW[l] for g in singles) / B
        mean_db = sum(g.db[l] for g in singles) / B
        np.testing.assert_allclose(together.dW[l], mean_dW, rtol=0, atol=1e-12)
        np.testing.assert_allclose(together.db[l], mean_db, rtol=0, atol=1e-12)
        # and dZ[l] column i is the single example's dZ[l] divided by B
        single_dZ = np.hstack([g.dZ[l] for g in singles])
        np.testing.assert_allclose(together.dZ[l], single_dZ / B, rtol=0, atol=1e-12)


@pytest.mark.parametrize("output,nL", OUTPUTS)
def test_weighted_minibatch_gradient_is_the_weighted_mean(output, nL):
    net, A0, Y = make(output, nL, seed=1)
    s = np.array([0.5, 2.0, 1.0, 3.0, 0.25, 1.5])
    together = net.backward(net.forward(A0), Y, sample_weight=s)
    singles = per_example_grads(net, A0, Y)
    for l in range(1, net.L + 1):
        wmean_dW = sum(si * g.dW[l] for si, g in zip(s, singles, strict=True)) / s.sum()
        wmean_db = sum(si * g.db[l] for si, g in zip(s, singles, strict=True)) / s.sum()
        np.testing.assert_allclose(together.dW[l], wmean_dW, rtol=0, atol=1e-12)
        np.testing.assert_allclose(together.db[l], wmean_db, rtol=0, atol=1e-12)


@pytest.mark.parametrize("output,nL", OUTPUTS)
def test_unit_sample_weights_change_nothing(output, nL):
    net, A0, Y = make(output, nL, seed=2)
    cache = net.forward(A0)
    plain = net.backward(cache, Y, 0.3)
    weighted = net.backward(cache, Y, 0.3, sample_weight=np.ones(B))
    for l in range(1, net.L + 1):
        np.testing.assert_allclose(weighted.dW[l], plain.dW[l], rtol=0, atol=1e-14)
    assert (
        abs(
            net.cost(net.forward(A0), Y, 0.3, sample_weight=np.ones(B))
            - net.cost(net.forward(A0), Y, 0.3)
        )
        < 1e-14
    )


def test_integer_sample_weights_repeat_examples():
    # Weight 2 on an example = the example twice in the minibatch.
    net, A0, Y = make("softmax", 3, seed=3)
    s = np.array([2.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    A0_rep, Y_rep = np.hstack([A0, A0[:, :1]]), np.hstack([Y, Y[:, :1]])
    weighted = net.backward(net.forward(A0), Y, 0.1, sample_weight=s)
    repeated = net.backward(net.forward(A0_rep), Y_rep, 0.1)
    for l in range(1, net.L + 1):
        np.testing.assert_allclose(weighted.dW[l], repeated.dW[l], rtol=0, atol=1e-12)
    assert (
        abs(
            net.cost(net.forward(A0), Y, 0.1, sample_weight=s)
            - net.cost(net.forward(A0_rep), Y_rep, 0.1)
        )
        < 1e-12
    )


# ---------------------------------------------------------------- logistic regression


def test_one_layer_sigmoid_network_is_logistic_regression():
    rng = np.random.default_rng(5)
    n, B_ = 4, 7
    w = rng.normal(size=(1, n))
    b = 0.3
    X = rng.normal(size=(n, B_))  # examples as columns
    y = rng.integers(0, 2, size=(1, B_)).astype(float)
    net = Network.from_parameters([w], [np.array([[b]])], activations=["sigmoid"])

    # closed form, written with math.exp one example at a time
    sig = np.array([[1.0 / (1.0 + math.exp(-(float(w[0] @ X[:, i]) + b))) for i in range(B_)]])
    dW_closed = (sig - y) @ X.T / B_  # (1/B)·(σ(w·X + b) − y)·Xᵀ
    db_closed = np.mean(sig - y)  # mean(σ − y)

    cache = net.forward(X)
    np.testing.assert_allclose(cache.A[1], sig, rtol=0, atol=1e-12)
    grads = net.backward(cache, y)
    np.testing.assert_allclose(grads.dW[1], dW_closed, rtol=0, atol=1e-12)
    assert grads.db[1].shape == (1, 1)
    assert abs(float(grads.db[1][0, 0]) - db_closed) < 1e-12

    # and the cost is the mean binary cross-entropy
    J = (
        sum(
            -(yi * math.log(si) + (1 - yi) * math.log(1 - si))
            for yi, si in zip(y[0], sig[0], strict=True)
        )
        / B_
    )
    assert abs(net.cost(net.forward(X), y) - J) < 1e-12
