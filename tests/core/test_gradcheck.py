"""Backward vs centred finite differences, for every activation × output × depth × alpha.

ReLU and leaky ReLU have a kink at z = 0. With zero initial biases an example whose
hidden units are all dead gives a next-layer Z of exactly b = 0, right on the kink, so
every test here first gives the biases small non-zero random values and then asserts,
as a precondition, that no hidden Z[l] lies within 1e-4 of 0.
"""

from __future__ import annotations

import numpy as np
import pytest

import lucidnet
from lucidnet import GradientCheck, Network, check_gradients

HIDDEN = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]
# (output name, n[L])
OUTPUTS = [("sigmoid", 1), ("sigmoid", 2), ("softmax", 3), ("identity", 2)]
B = 5
N0 = 3
WIDTH = 4
KINK_MARGIN = 1e-4


def targets(output: str, nL: int, rng: np.random.Generator) -> np.ndarray:
    """Y of shape (n[L], B): 0/1 labels, one-hot classes, or real values."""
    if output == "sigmoid":
        return rng.integers(0, 2, size=(nL, B)).astype(np.float64)
    if output == "softmax":
        return np.eye(nL)[:, rng.integers(0, nL, size=B)]
    return rng.normal(size=(nL, B))


def make_case(hidden: str, output: str, nL: int, L: int, seed: int):
    """A small float64 network with non-zero biases, inputs and targets."""
    rng = np.random.default_rng(seed)
    sizes = [N0] + [WIDTH] * (L - 1) + [nL]
    net = Network(sizes, hidden_activation=hidden, output=output, seed=seed)
    for l in range(1, L + 1):
        net.b[l] = rng.uniform(-0.5, 0.5, size=net.b[l].shape)
    A0 = rng.normal(size=(N0, B))
    Y = targets(output, nL, rng)
    return net, A0, Y


def min_hidden_abs_z(net: Network, A0: np.ndarray) -> float:
    cache = net.forward(A0)
    return min((float(np.min(np.abs(cache.Z[l]))) for l in range(1, net.L)), default=np.inf)


def cases():
    # L = 1 has no hidden layer, so the hidden activation is irrelevant there: one case each.
    for output, nL in OUTPUTS:
        for alpha in (0.0, 0.1):
            yield pytest.param(None, output, nL, 1, alpha, id=f"L1-{output}{nL}-alpha{alpha}")
            for L in (2, 3):
                for hidden in HIDDEN:
                    yield pytest.param(
                        hidden, output, nL, L, alpha, id=f"L{L}-{hidden}-{output}{nL}-alpha{alpha}"
                    )


@pytest.mark.parametrize(("hidden", "output", "nL", "L", "alpha"), list(cases()))
def test_backward_matches_finite_differences(hidden, output, nL, L, alpha):
    net, A0, Y = make_case(hidden or "tanh", output, nL, L, seed=L * 100 + nL)
    assert min_hidden_abs_z(net, A0) > KINK_MARGIN, "test data sits on a ReLU kink"
    result = check_gradients(net, A0, Y, alpha)
    assert result.max_error < 1e-6, str(result)
    assert result.passed
    assert set(result) == {f"{d}[{l}]" for l in range(1, L + 1) for d in ("dW", "db")}


@pytest.mark.parametrize("output,nL", OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_backward_matches_finite_differences_with_sample_weight(hidden, output, nL, alpha):
    net, A0, Y = make_case(hidden, output, nL, L=3, seed=7 + nL)
    assert min_hidden_abs_z(net, A0) > KINK_MARGIN, "test data sits on a ReLU kink"
    s = np.random.default_rng(3).uniform(0.2, 3.0, size=B)
    result = check_gradients(net, A0, Y, alpha, sample_weight=s)
    assert result.max_error < 1e-6, str(result)


def test_check_gradients_leaves_the_network_unchanged():
    net, A0, Y = make_case("tanh", "sigmoid", 1, L=2, seed=0)
    before = {l: net.W[l].copy() for l in net.W}
    check_gradients(net, A0, Y)
    for l in net.W:
        np.testing.assert_array_equal(net.W[l], before[l])


def test_check_gradients_of_a_float32_network_runs_in_float64():
    net, A0, Y = make_case("tanh", "softmax", 3, L=2, seed=1)
    result = check_gradients(net.astype(np.float32), A0, Y)
    # float32 parameters, but the check itself is made in float64, so it is precise.
    assert result.max_error < 1e-6, str(result)


# ---------------------------------------------------------------- a broken backward is caught


class ForgetsGPrime(Network):
    """Backprop that drops the g′(Z[l-1]) factor: dZ[l-1] = W[l].T @ dZ[l]."""

    def backward(self, cache, Y, alpha=0.0, *, sample_weight=None):
        grads = lucidnet.Grads()
        A, L, W = cache.A, self.L, self.W
        grads.dZ[L] = (A[L] - Y) / A[L].shape[1]
        for l in reversed(range(1, L + 1)):
            grads.dW[l] = grads.dZ[l] @ A[l - 1].T + (alpha / A[L].shape[1]) * W[l]
            grads.db[l] = np.sum(grads.dZ[l], axis=1, keepdims=True)
            if l > 1:
                grads.dZ[l - 1] = W[l].T @ grads.dZ[l]  # BUG on purpose: no g′
        return grads


class DoublesDW1(Network):
    """The right backward, with dW[1] scaled by 2."""

    def backward(self, cache, Y, alpha=0.0, *, sample_weight=None):
        grads = super().backward(cache, Y, alpha, sample_weight=sample_weight)
        grads.dW[1] = 2 * grads.dW[1]
        return grads


def as_subclass(cls, net: Network) -> Network:
    return cls.from_parameters(
        [net.W[l] for l in range(1, net.L + 1)],
        [net.b[l] for l in range(1, net.L + 1)],
        activations=net.activation_names,
    )


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
def test_a_backward_that_forgets_g_prime_is_caught(hidden):
    net, A0, Y = make_case(hidden, "sigmoid", 1, L=3, seed=11)
    broken = as_subclass(ForgetsGPrime, net)
    assert isinstance(broken, ForgetsGPrime)
    result = check_gradients(broken, A0, Y)
    assert not result.passed
    assert result.max_error > 1e-2
    # The output layer has no g′ in its gradient, so it still agrees; earlier layers do not.
    assert result["dW[3]"] < 1e-6
    assert result["dW[1]"] > 1e-2
    assert "MISMATCH" in str(result)
    assert "FAILED" in str(result)
    # The correct network on the same data passes.
    assert check_gradients(net, A0, Y).passed


def test_a_scaled_gradient_is_caught():
    net, A0, Y = make_case("tanh", "softmax", 3, L=2, seed=12)
    result = check_gradients(as_subclass(DoublesDW1, net), A0, Y)
    assert not result.passed
    assert result["dW[1]"] > 0.1
    assert result["db[1]"] < 1e-6
    assert result["dW[2]"] < 1e-6


def test_the_table_names_every_gradient():
    net, A0, Y = make_case("relu", "identity", 2, L=3, seed=13)
    result = check_gradients(net, A0, Y)
    text = str(result)
    for l in (1, 2, 3):
        assert f"dW[{l}]" in text
        assert f"db[{l}]" in text
    assert len(result) == 6
    assert "passed" in text
    assert repr(result) == text


def test_gradient_check_passed_uses_its_tolerance():
    check = GradientCheck({"dW[1]": 1e-7, "db[1]": 5e-7}, tolerance=1e-6)
    assert check.passed and check.max_error == 5e-7
    assert not GradientCheck({"dW[1]": 1e-7, "db[1]": 5e-7}, tolerance=1e-7).passed


def test_sample_weights_are_checked_where_they_enter():
    net = Network([2, 1], seed=0)
    A0, Y = np.ones((2, 3)), np.ones((1, 3))
    with pytest.raises(ValueError, match="non-negative"):
        check_gradients(net, A0, Y, sample_weight=np.zeros(3))
