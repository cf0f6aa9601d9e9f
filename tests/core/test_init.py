"""Initialisation: reproducible, He for the ReLU family, Glorot otherwise, zero biases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lucidnet import Network
from lucidnet.core.init import initial_weights


def test_same_seed_gives_bit_identical_weights():
    a = Network([5, 7, 3, 2], hidden_activation="relu", output="softmax", seed=42)
    b = Network([5, 7, 3, 2], hidden_activation="relu", output="softmax", seed=42)
    c = Network([5, 7, 3, 2], hidden_activation="relu", output="softmax", seed=43)
    for l in (1, 2, 3):
        np.testing.assert_array_equal(a.W[l], b.W[l])
        np.testing.assert_array_equal(a.b[l], b.b[l])
    assert not np.array_equal(a.W[1], c.W[1])


def test_a_generator_seed_is_accepted_and_advanced():
    rng = np.random.default_rng(0)
    a = Network([3, 3], seed=rng)
    b = Network([3, 3], seed=rng)  # the same generator, further along
    assert not np.array_equal(a.W[1], b.W[1])
    np.testing.assert_array_equal(a.W[1], Network([3, 3], seed=np.random.default_rng(0)).W[1])


def test_float32_initialisation_is_the_float64_one_rounded():
    a = Network([4, 6, 1], seed=3)
    b = Network([4, 6, 1], seed=3, dtype=np.float32)
    assert b.W[1].dtype == np.float32
    np.testing.assert_array_equal(b.W[1], a.W[1].astype(np.float32))


@pytest.mark.parametrize("hidden", ["relu", "leaky_relu"])
def test_he_scale_for_the_relu_family(hidden):
    n_in, n_out = 400, 300
    net = Network([n_in, n_out, 1], hidden_activation=hidden, seed=0)
    std = float(np.std(net.W[1]))
    target = math.sqrt(2 / n_in)  # He: W ~ N(0, 2 / n[l-1])
    assert abs(std - target) < 0.1 * target
    assert abs(float(np.mean(net.W[1]))) < 0.05 * target
    # a normal sample of 120 000 values goes well past the Glorot bound √(6/(n_in+n_out))
    assert np.max(np.abs(net.W[1])) > math.sqrt(6 / (n_in + n_out))


@pytest.mark.parametrize("hidden", ["identity", "sigmoid", "tanh"])
def test_glorot_bound_for_the_others(hidden):
    n_in, n_out = 400, 300
    net = Network([n_in, n_out, 2], hidden_activation=hidden, seed=0)
    r = math.sqrt(6 / (n_in + n_out))  # Glorot: W ~ U(−r, r)
    assert np.max(np.abs(net.W[1])) <= r
    # uniform on (−r, r): std r/√3, and the sample fills the interval
    assert abs(float(np.std(net.W[1])) - r / math.sqrt(3)) < 0.1 * r / math.sqrt(3)
    assert np.max(np.abs(net.W[1])) > 0.99 * r


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "identity"])
def test_output_layer_uses_glorot(output):
    n_in, n_out = 300, 3
    net = Network([2, n_in, n_out], hidden_activation="relu", output=output, seed=0)
    assert np.max(np.abs(net.W[2])) <= math.sqrt(6 / (n_in + n_out))


@pytest.mark.parametrize("hidden", ["relu", "tanh"])
def test_biases_start_at_zero(hidden):
    net = Network([3, 5, 4, 2], hidden_activation=hidden, seed=1)
    for l in (1, 2, 3):
        assert net.b[l].shape == (net.n[l], 1)
        assert np.all(net.b[l] == 0)


def test_initial_weights_shapes_and_unknown_scheme():
    W, b = initial_weights(3, 5, "he", np.random.default_rng(0))
    assert W.shape == (3, 5) and b.shape == (3, 1)
    with pytest.raises(ValueError, match="'he' or 'glorot'"):
        initial_weights(3, 5, "xavier", np.random.default_rng(0))


def test_init_option_overrides_the_per_activation_rule():
    he = Network([50, 400, 1], "relu", seed=0)
    glorot = Network([50, 400, 1], "relu", seed=0, init="glorot")
    bound = np.sqrt(6.0 / (50 + 400))
    assert np.max(np.abs(glorot.W[1])) <= bound
    assert np.max(np.abs(he.W[1])) > bound  # He-normal reaches further
    forced = Network([50, 400, 1], "tanh", seed=0, init="he")
    assert abs(forced.W[1].std() - np.sqrt(2.0 / 50)) < 0.1 * np.sqrt(2.0 / 50)
    with pytest.raises(ValueError, match="init must be"):
        Network([2, 1], init="xavier")
