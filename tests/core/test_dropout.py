"""Inverted dropout: fixed masks from a seeded generator, and a backward that matches them.

A fresh ``numpy.random.default_rng(s)`` draws the same masks every time, so the cost under
one fixed mask is an ordinary function of the parameters and finite differences apply.
"""

from __future__ import annotations

import numpy as np
import pytest

from lucidnet import Network

P = 0.5
SEED = 123


def make(hidden: str, output: str = "sigmoid", nL: int = 1):
    rng = np.random.default_rng(0)
    net = Network([3, 5, 4, nL], hidden_activation=hidden, output=output, seed=0)
    for l in range(1, net.L + 1):
        net.b[l] = rng.uniform(-0.5, 0.5, size=net.b[l].shape)
    A0 = rng.normal(size=(3, 6))
    if output == "softmax":
        Y = np.eye(nL)[:, rng.integers(0, nL, size=6)]
    else:
        Y = rng.integers(0, 2, size=(nL, 6)).astype(float)
    return net, A0, Y


def test_same_seed_same_masks():
    net, A0, _ = make("relu")
    c1 = net.forward(A0, dropout=P, rng=np.random.default_rng(SEED))
    c2 = net.forward(A0, dropout=P, rng=np.random.default_rng(SEED))
    c3 = net.forward(A0, dropout=P, rng=np.random.default_rng(SEED + 1))
    assert set(c1.M) == {1, 2}  # hidden layers only, never the output
    for l in (1, 2):
        np.testing.assert_array_equal(c1.M[l], c2.M[l])
    assert any(not np.array_equal(c1.M[l], c3.M[l]) for l in (1, 2))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_mask_entries_are_zero_or_one_over_keep(p):
    net, A0, _ = make("tanh")
    cache = net.forward(A0, dropout=p, rng=np.random.default_rng(SEED))
    for l in (1, 2):
        M = cache.M[l]
        assert M.shape == cache.A[l].shape
        assert set(np.unique(M)) <= {0.0, 1.0 / (1.0 - p)}
        # A[l] = g[l](Z[l]) * M[l]
        np.testing.assert_allclose(cache.A[l], np.tanh(cache.Z[l]) * M, rtol=0, atol=1e-15)


def test_mask_rate_is_about_p():
    net = Network([3, 400, 1], seed=0)
    cache = net.forward(np.ones((3, 100)), dropout=0.3, rng=np.random.default_rng(0))
    dropped = float(np.mean(cache.M[1] == 0))
    assert abs(dropped - 0.3) < 0.02


def test_dropout_per_layer_and_zero_rate():
    net, A0, _ = make("relu")
    cache = net.forward(A0, dropout={2: 0.5}, rng=np.random.default_rng(SEED))
    assert set(cache.M) == {2}
    assert net.forward(A0, dropout=0.0, rng=np.random.default_rng(SEED)).M == {}
    # without dropout the forward pass is the plain one
    np.testing.assert_array_equal(net.forward(A0, dropout=None).A[3], net.forward(A0).A[3])


@pytest.mark.parametrize(
    "hidden,output,nL",
    [("tanh", "sigmoid", 1), ("sigmoid", "softmax", 3), ("relu", "identity", 2)],
)
def test_backward_matches_finite_differences_under_a_fixed_mask(hidden, output, nL):
    net, A0, Y = make(hidden, output, nL)

    def J() -> float:
        cache = net.forward(A0, dropout=P, rng=np.random.default_rng(SEED))
        return net.cost(cache, Y)

    cache = net.forward(A0, dropout=P, rng=np.random.default_rng(SEED))
    assert min(float(np.min(np.abs(cache.Z[l]))) for l in (1, 2)) > 1e-4  # away from kinks
    assert any(np.any(cache.M[l] == 0) for l in (1, 2))  # some units really are dropped
    grads = net.backward(cache, Y)

    eps = 1e-6
    for l in range(1, net.L + 1):
        for theta, analytic in ((net.W[l], grads.dW[l]), (net.b[l], grads.db[l])):
            numeric = np.zeros_like(theta)
            for idx in np.ndindex(*theta.shape):
                saved = theta[idx]
                theta[idx] = saved + eps
                J_plus = J()
                theta[idx] = saved - eps
                J_minus = J()
                theta[idx] = saved
                numeric[idx] = (J_plus - J_minus) / (2 * eps)
            scale = max(np.max(np.abs(analytic)), np.max(np.abs(numeric)), 1e-300)
            assert np.max(np.abs(analytic - numeric)) / scale < 1e-6, (l, analytic, numeric)


def test_backward_without_the_mask_would_be_wrong():
    # Guards the test above: ignoring the mask in backward gives a different gradient.
    net, A0, Y = make("tanh")
    masked = net.forward(A0, dropout=P, rng=np.random.default_rng(SEED))
    g_masked = net.backward(masked, Y)
    masked.M.clear()
    g_ignored = net.backward(masked, Y)
    assert not np.allclose(g_masked.dW[1], g_ignored.dW[1])


def test_dropout_argument_errors():
    net, A0, _ = make("relu")
    with pytest.raises(ValueError, match="rng="):
        net.forward(A0, dropout=0.5)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        net.forward(A0, dropout=1.0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"hidden layers 1\.\.2"):
        net.forward(A0, dropout={3: 0.5}, rng=np.random.default_rng(0))
