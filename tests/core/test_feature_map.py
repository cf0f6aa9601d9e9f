"""A network is a learnable feature map plus a linear model on it (docs/MATH.md §7)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lucidnet import Network


@pytest.mark.parametrize("output,nL", [("sigmoid", 1), ("softmax", 3), ("identity", 2)])
@pytest.mark.parametrize("L", [1, 2, 3])
def test_head_on_features_equals_the_forward_pass(output, nL, L):
    rng = np.random.default_rng(L)
    net = Network([3, *[5, 4][: L - 1], nL], hidden_activation="tanh", output=output, seed=L)
    for l in range(1, L + 1):
        net.b[l] = rng.normal(size=net.b[l].shape)
    A0 = rng.normal(size=(3, 6))
    cache = net.forward(A0)

    phi = net.feature_map(A0)
    np.testing.assert_array_equal(phi, cache.A[L - 1])  # φ = A[L-1]
    assert phi.shape == (net.n[L - 1], 6)

    head = net.head
    assert head.L == 1
    assert head.activation_names == [output]
    np.testing.assert_allclose(head.forward(phi).A[1], cache.A[L], rtol=0, atol=1e-12)
    # ŷ = g[L](W[L] φ + b[L])
    np.testing.assert_allclose(
        net.output(net.W[L] @ phi + net.b[L]), cache.A[L], rtol=0, atol=1e-12
    )


def test_head_shares_the_last_layer():
    net = Network([2, 3, 1], hidden_activation="relu", seed=0)
    head = net.head
    assert head.W[1] is net.W[2]
    assert np.shares_memory(head.b[1], net.b[2])
    net.W[2][0, 0] += 1.0  # an in-place change to W[L] is seen by the head
    assert head.W[1][0, 0] == net.W[2][0, 0]


def test_sigmoid_head_is_logistic_regression_on_the_features():
    net = Network([2, 3, 1], hidden_activation="tanh", seed=0)
    A0 = np.array([[0.5], [-1.0]])
    phi = net.feature_map(A0)[:, 0]
    w, b = net.W[2][0], float(net.b[2][0, 0])
    z = sum(w[j] * phi[j] for j in range(3)) + b
    expected = 1 / (1 + math.exp(-z))
    assert abs(float(net.head.predict_output(net.feature_map(A0))[0, 0]) - expected) < 1e-12


def test_feature_map_of_a_one_layer_network_is_the_input():
    net = Network([3, 2], output="softmax", seed=0)
    A0 = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(net.feature_map(A0), A0)
