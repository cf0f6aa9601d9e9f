"""Without a non-linear g, depth buys nothing: one (W, b) is the network (docs/MATH.md §3)."""

from __future__ import annotations

import numpy as np
import pytest

from lucidnet import Network


@pytest.mark.parametrize("L", [1, 2, 3])
@pytest.mark.parametrize("output,nL", [("sigmoid", 1), ("softmax", 3), ("identity", 2)])
def test_all_identity_network_is_one_linear_layer(L, output, nL):
    rng = np.random.default_rng(L)
    sizes = [4, *[5, 3][: L - 1], nL]
    net = Network(sizes, hidden_activation="identity", output=output, seed=L)
    for l in range(1, L + 1):
        net.b[l] = rng.normal(size=net.b[l].shape)
    A0 = rng.normal(size=(4, 6))

    W, b = net.collapse_linear()
    assert W.shape == (nL, 4)
    assert b.shape == (nL, 1)
    expected = net.output(W @ A0 + b)  # g[L](W A0 + b)
    np.testing.assert_allclose(net.predict_output(A0), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(net.forward(A0).Z[L], W @ A0 + b, rtol=0, atol=1e-12)


def test_collapse_is_the_product_of_the_weights():
    rng = np.random.default_rng(0)
    W1, W2, W3 = rng.normal(size=(3, 2)), rng.normal(size=(4, 3)), rng.normal(size=(1, 4))
    b1, b2, b3 = rng.normal(size=(3, 1)), rng.normal(size=(4, 1)), rng.normal(size=(1, 1))
    net = Network.from_parameters(
        [W1, W2, W3], [b1, b2, b3], activations=["identity", "identity", "sigmoid"]
    )
    W, b = net.collapse_linear()
    # W = W[3] W[2] W[1];  b = W[3] W[2] b[1] + W[3] b[2] + b[3]
    np.testing.assert_allclose(W, W3 @ W2 @ W1, rtol=0, atol=1e-12)
    np.testing.assert_allclose(b, W3 @ W2 @ b1 + W3 @ b2 + b3, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "activations,bad_layer,bad_name",
    [
        (["relu", "identity", "sigmoid"], 1, "relu"),
        (["identity", "tanh", "softmax"], 2, "tanh"),
        (["identity", "identity", "sigmoid", "identity"], 3, "sigmoid"),
    ],
)
def test_collapse_refuses_a_non_linear_hidden_layer(activations, bad_layer, bad_name):
    sizes = [2] + [3] * (len(activations) - 1) + [2]
    net = Network(sizes, activations=activations, seed=0)
    with pytest.raises(ValueError, match=rf"layer {bad_layer} uses '{bad_name}'"):
        net.collapse_linear()


def test_a_non_linear_output_is_allowed():
    # Only hidden layers must be the identity: g[L] is applied after the collapse.
    net = Network([2, 3, 2], activations=["identity", "softmax"], seed=0)
    W, _ = net.collapse_linear()
    assert W.shape == (2, 2)
