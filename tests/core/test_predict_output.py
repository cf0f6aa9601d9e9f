"""predict_output, the cache-free forward pass, equals forward's A[L] bit for bit."""

from __future__ import annotations

import array_api_strict as xps
import numpy as np
import pytest

from lucidnet import Network


@pytest.mark.parametrize("activation", ["identity", "sigmoid", "tanh", "relu", "leaky_relu"])
@pytest.mark.parametrize("output", ["sigmoid", "softmax", "identity"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predict_output_equals_forward(activation, output, dtype):
    net = Network([5, 8, 6, 3], activation, output, seed=0, dtype=dtype)
    A0 = np.random.default_rng(1).normal(size=(5, 40)).astype(dtype)
    expected = net.forward(A0).A[net.L]
    A0_before = A0.copy()
    np.testing.assert_array_equal(net.predict_output(A0), expected)
    np.testing.assert_array_equal(net.predict_logits(A0), net.forward(A0).Z[net.L])
    np.testing.assert_array_equal(A0, A0_before)  # the input is never overwritten
    strict = net.to(xps)
    np.testing.assert_array_equal(np.asarray(strict.predict_output(xps.asarray(A0))), expected)


def test_a_one_layer_network_predicts_without_hidden_layers():
    net = Network([3, 2], output="softmax", seed=0)
    A0 = np.ones((3, 4))
    np.testing.assert_array_equal(net.predict_output(A0), net.forward(A0).A[1])


def test_networks_pickle_with_every_builtin_activation():
    import pickle

    for activation in ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]:
        net = Network([3, 4, 1], activation, seed=0)
        back = pickle.loads(pickle.dumps(net))
        A0 = np.ones((3, 2))
        np.testing.assert_array_equal(back.predict_output(A0), net.predict_output(A0))
