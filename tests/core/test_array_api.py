"""The same lecture code runs on array-api-strict arrays and agrees with NumPy.

array-api-strict implements only the standard, so any NumPy-only call in the core
(``np.exp``, ``.astype``, ``np.maximum`` on foreign arrays...) fails here.
"""

from __future__ import annotations

import array_api_strict as xps
import numpy as np
import pytest

from lucidnet import Network

HIDDEN = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]
OUTPUTS = [("sigmoid", 1), ("sigmoid", 2), ("softmax", 3), ("identity", 2)]
B = 5
TOL = 1e-12
StrictArray = type(xps.asarray(0.0))  # the array class (not exported under a public name)


def to_numpy(a) -> np.ndarray:
    return np.asarray(a)


def make(hidden: str, output: str, nL: int):
    rng = np.random.default_rng(0)
    net = Network([3, 4, 3, nL], hidden_activation=hidden, output=output, seed=1)
    for l in range(1, net.L + 1):
        net.b[l] = rng.uniform(-0.5, 0.5, size=net.b[l].shape)
    A0 = rng.normal(size=(3, B))
    if output == "sigmoid":
        Y = rng.integers(0, 2, size=(nL, B)).astype(np.float64)
    elif output == "softmax":
        Y = np.eye(nL)[:, rng.integers(0, nL, size=B)]
    else:
        Y = rng.normal(size=(nL, B))
    return net, A0, Y


def test_to_moves_parameters_into_the_namespace():
    net = Network([2, 3, 1], seed=0).to(xps)
    for l in (1, 2):
        assert isinstance(net.W[l], StrictArray)
        assert isinstance(net.b[l], StrictArray)
        assert net.W[l].dtype == xps.float64


@pytest.mark.parametrize("output,nL", OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_forward_cost_backward_match_numpy(hidden, output, nL):
    net, A0, Y = make(hidden, output, nL)
    strict = net.to(xps)
    A0x, Yx = xps.asarray(A0), xps.asarray(Y)

    cache, cache_x = net.forward(A0), strict.forward(A0x)
    for l in range(1, net.L + 1):
        assert isinstance(cache_x.Z[l], StrictArray)
        assert isinstance(cache_x.A[l], StrictArray)
        np.testing.assert_allclose(to_numpy(cache_x.Z[l]), cache.Z[l], rtol=0, atol=TOL)
        np.testing.assert_allclose(to_numpy(cache_x.A[l]), cache.A[l], rtol=0, atol=TOL)

    for alpha, s in ((0.0, None), (0.2, np.linspace(0.5, 2.0, B))):
        sx = None if s is None else xps.asarray(s)
        J = net.cost(net.forward(A0), Y, alpha, sample_weight=s)
        J_x = strict.cost(strict.forward(A0x), Yx, alpha, sample_weight=sx)
        assert isinstance(J_x, StrictArray) and J_x.shape == ()  # J: a 0-d array of its library
        assert abs(float(J_x) - float(J)) < TOL

        grads = net.backward(cache, Y, alpha, sample_weight=s)
        grads_x = strict.backward(cache_x, Yx, alpha, sample_weight=sx)
        for l in range(1, net.L + 1):
            assert isinstance(grads_x.dW[l], StrictArray)
            np.testing.assert_allclose(to_numpy(grads_x.dW[l]), grads.dW[l], rtol=0, atol=TOL)
            np.testing.assert_allclose(to_numpy(grads_x.db[l]), grads.db[l], rtol=0, atol=TOL)
            np.testing.assert_allclose(to_numpy(grads_x.dZ[l]), grads.dZ[l], rtol=0, atol=TOL)


def test_float32_on_array_api_strict():
    net, A0, Y = make("tanh", "softmax", 3)
    strict = net.astype(np.float32).to(xps)
    assert strict.W[1].dtype == xps.float32
    cache = strict.forward(xps.asarray(A0))  # float64 input, computed in float32
    assert cache.A[strict.L].dtype == xps.float32
    grads = strict.backward(cache, xps.asarray(Y))
    assert all(grads.dW[l].dtype == xps.float32 for l in grads.dW)


def test_collapse_and_feature_map_on_array_api_strict():
    net, A0, _ = make("identity", "identity", 2)
    strict = net.to(xps)
    W, _ = strict.collapse_linear()
    np.testing.assert_allclose(to_numpy(W), net.collapse_linear()[0], rtol=0, atol=TOL)
    phi = strict.feature_map(xps.asarray(A0))
    np.testing.assert_allclose(to_numpy(phi), net.feature_map(A0), rtol=0, atol=TOL)


def test_dropout_masks_on_array_api_strict_match_numpy():
    net, A0, _ = make("relu", "sigmoid", 1)
    strict = net.to(xps)
    cache = net.forward(A0, dropout=0.5, rng=np.random.default_rng(4))
    cache_x = strict.forward(xps.asarray(A0), dropout=0.5, rng=np.random.default_rng(4))
    for l in (1, 2):
        np.testing.assert_array_equal(to_numpy(cache_x.M[l]), cache.M[l])
        np.testing.assert_allclose(to_numpy(cache_x.A[l]), cache.A[l], rtol=0, atol=TOL)
