"""Numerical stability and dtypes: finite at huge |z|, no warnings, float32 stays float32.

pytest runs with ``-W error``: any overflow / invalid-value RuntimeWarning fails a test.
"""

from __future__ import annotations

import numpy as np
import pytest

from lucidnet import Network, get_activation, get_output
from lucidnet.core.losses import log_softmax, softmax

HIDDEN = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]
OUTPUTS = [("sigmoid", 1), ("sigmoid", 2), ("softmax", 3), ("identity", 2)]
DTYPES = [np.float32, np.float64]


def extreme_z(dtype) -> np.ndarray:
    return np.array([[-1e4, -1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0, 1e4]], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", HIDDEN)
def test_activation_and_derivative_finite_up_to_1e4(name, dtype):
    g = get_activation(name)
    Z = extreme_z(dtype)
    A = g(Z)
    G = g.prime(Z, A)
    assert A.dtype == dtype and G.dtype == dtype
    assert np.all(np.isfinite(A)) and np.all(np.isfinite(G))


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_saturates_cleanly(dtype):
    A = get_activation("sigmoid")(extreme_z(dtype))[0]
    assert A[0] == 0.0 and A[-1] == 1.0
    assert np.all((A >= 0) & (A <= 1))
    assert A[4] == 0.5


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("output,nL", OUTPUTS)
def test_output_and_loss_finite_up_to_1e4(output, nL, dtype):
    out = get_output(output)
    z = extreme_z(dtype)[0]
    # n[L] rows, every pattern of huge positive / negative logits
    Z = np.stack([np.roll(z, k) for k in range(nL)]).astype(dtype)
    if output == "softmax":
        Y = np.eye(nL, dtype=dtype)[:, np.arange(Z.shape[1]) % nL]
    else:
        Y = (np.arange(nL * Z.shape[1]).reshape(Z.shape) % 2).astype(dtype)
    A = out(Z)
    losses = out.loss(Z, Y)
    assert A.dtype == dtype and losses.dtype == dtype
    assert np.all(np.isfinite(A)) and np.all(np.isfinite(losses))
    assert np.all(losses >= 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_softmax_and_softmax_at_huge_logits(dtype):
    Z = np.array([[1e4, -1e4], [0.0, 1e4], [-1e4, -1e4]], dtype=dtype)
    assert np.all(np.isfinite(log_softmax(Z)))
    np.testing.assert_allclose(softmax(Z).sum(axis=0), 1.0, rtol=1e-6)
    assert log_softmax(Z)[0, 0] == 0.0  # the winning class has log-probability 0
    assert log_softmax(Z)[1, 0] == -1e4


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_at_1000_is_exact(dtype):
    out = get_output("sigmoid")
    Z = np.array([[1000.0, 1000.0, -1000.0, -1000.0]], dtype=dtype)
    Y = np.array([[1.0, 0.0, 1.0, 0.0]], dtype=dtype)
    # right with confidence: loss 0; wrong with confidence: loss |z| = 1000
    np.testing.assert_allclose(out.loss(Z, Y), [0.0, 1000.0, 1000.0, 0.0], atol=1e-6)


def network_at(z: float, hidden: str, output: str, nL: int, dtype) -> tuple[Network, np.ndarray]:
    """A 1-2-n[L] network whose hidden and output Z are ±|z| on the two examples."""
    W1 = np.array([[z], [-z]], dtype=dtype)
    b1 = np.zeros((2, 1), dtype=dtype)
    W2 = np.full((nL, 2), 1.0, dtype=dtype)
    W2[:, 1] = -1.0
    W2 = W2 * (z / max(abs(z), 1.0))  # keeps Z[2] of order |z| for every hidden g
    b2 = np.linspace(-1, 1, nL, dtype=dtype).reshape(nL, 1) * z
    net = Network.from_parameters([W1, W2], [b1, b2], activations=[hidden, output])
    return net, np.array([[1.0, -1.0]], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("z", [1000.0, -1000.0])
@pytest.mark.parametrize("output,nL", OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_cost_and_gradients_finite_at_z_1000(hidden, output, nL, z, dtype):
    net, A0 = network_at(z, hidden, output, nL, dtype)
    cache = net.forward(A0)
    assert np.max(np.abs(cache.Z[1])) == 1000.0
    if output == "softmax":
        Y = np.eye(nL, dtype=dtype)[:, [0, 2]]
    else:
        Y = np.array([[1.0, 0.0]] * nL, dtype=dtype)
    J = net.cost(cache, Y, alpha=0.1)
    assert np.isfinite(J)
    grads = net.backward(cache, Y, alpha=0.1)
    for l in (1, 2):
        assert np.all(np.isfinite(grads.dW[l])), (l, grads.dW[l])
        assert np.all(np.isfinite(grads.db[l]))
        assert grads.dW[l].dtype == dtype


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output,nL", OUTPUTS)
def test_float32_in_float32_out(hidden, output, nL):
    rng = np.random.default_rng(0)
    net = Network([3, 4, nL], hidden_activation=hidden, output=output, seed=0, dtype=np.float32)
    assert net.W[1].dtype == np.float32 and net.b[2].dtype == np.float32
    A0 = rng.normal(size=(3, 5)).astype(np.float32)
    Y = (rng.random((nL, 5)) > 0.5).astype(np.float32)
    cache = net.forward(A0)
    for l in (1, 2):
        assert cache.Z[l].dtype == np.float32
        assert cache.A[l].dtype == np.float32
    for s in (None, np.ones(5, dtype=np.float32), np.ones(5)):
        grads = net.backward(cache, Y, 0.1, sample_weight=s)
        for l in (1, 2):
            assert grads.dW[l].dtype == np.float32
            assert grads.db[l].dtype == np.float32
            assert grads.dZ[l].dtype == np.float32
    J = net.cost(net.forward(A0), Y, 0.1)
    assert J.shape == () and J.dtype == np.float32


def test_float64_input_to_a_float32_network_is_computed_in_float32():
    net = Network([2, 3, 1], seed=0, dtype=np.float32)
    cache = net.forward(np.ones((2, 4)))
    assert cache.A[0].dtype == np.float32
    assert cache.A[2].dtype == np.float32
    grads = net.backward(cache, np.ones((1, 4)))  # float64 Y is cast too
    assert grads.dW[1].dtype == np.float32


def test_astype_converts_and_copies():
    net = Network([2, 3, 1], seed=0)
    net32 = net.astype(np.float32)
    assert net32.W[1].dtype == np.float32
    assert net.W[1].dtype == np.float64
    np.testing.assert_allclose(net32.W[1], net.W[1], rtol=1e-7)
    with pytest.raises(ValueError, match="float32 or float64"):
        Network([2, 1], dtype=np.int64)
