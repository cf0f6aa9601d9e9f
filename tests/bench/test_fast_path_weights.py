"""Speed work must not change what training computes: the fast paths give the same weights.

Issue 7 makes the training loop faster (float32, one gather per minibatch, fewer passes
over memory, less Python per step). These tests pin what a run computes, independently
of how: a plain NumPy float64 transcription of the lecture's minibatch step (written here,
sharing no code with lucidnet) must give the weights that ``Trainer`` and
``minibatch_gd`` give, and the NumPy fast path must agree with the generic Array-API path.

The reference follows the shuffle documented by the trainer: a Generator from the seed,
one draw for the validation-split seed, then one ``permutation(n)`` per epoch.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lucidnet import Network, minibatch_gd
from lucidnet.training import Trainer

SIZES = [5, 7, 6, 1]
N, B, EPOCHS = 53, 8, 3  # 53 rows: the last minibatch is smaller


def data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, SIZES[0]))
    Y = (X[:, :1] * X[:, 1:2] + 0.3 * X[:, 2:3] > 0).astype(np.float64)
    return X, Y


def reference(
    W: dict[int, np.ndarray],
    b: dict[int, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    orders: list[np.ndarray],
    optimizer: str,
    lr: float,
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """ReLU hidden layers, sigmoid output, mean binary cross-entropy; SGD or Adam."""
    W = {l: w.astype(np.float64) for l, w in W.items()}
    b = {l: v.astype(np.float64) for l, v in b.items()}
    L = len(W)
    m = {("W", l): np.zeros_like(W[l]) for l in W} | {("b", l): np.zeros_like(b[l]) for l in b}
    v = {k: np.zeros_like(p) for k, p in m.items()}
    t = 0
    for order in orders:
        for start in range(0, len(order), B):
            idx = order[start : start + B]
            A = {0: X[idx].T}
            Z = {}
            for l in range(1, L + 1):
                Z[l] = W[l] @ A[l - 1] + b[l]
                A[l] = np.maximum(Z[l], 0) if l < L else 1 / (1 + np.exp(-Z[l]))
            dZ = (A[L] - Y[idx].T) / len(idx)
            grads = {}
            for l in range(L, 0, -1):
                grads["W", l] = dZ @ A[l - 1].T
                grads["b", l] = dZ.sum(axis=1, keepdims=True)
                if l > 1:
                    dZ = (W[l].T @ dZ) * (Z[l - 1] > 0)
            t += 1
            for key, g in grads.items():
                params = W if key[0] == "W" else b
                l = key[1]
                if optimizer == "sgd":
                    params[l] = params[l] - lr * g
                else:
                    m[key] = 0.9 * m[key] + 0.1 * g
                    v[key] = 0.999 * v[key] + 0.001 * g * g
                    lr_t = lr * math.sqrt(1 - 0.999**t) / (1 - 0.9**t)
                    params[l] = params[l] - lr_t * m[key] / (np.sqrt(v[key]) + 1e-8)
    return W, b


def trainer_orders(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    rng.integers(2**63)  # the trainer's validation-split seed
    return [rng.permutation(N) for _ in range(EPOCHS)]


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.3), ("adam", 0.01)])
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 2e-4)])
def test_trainer_matches_the_lecture_reference(optimizer, lr, dtype, rtol):
    X, Y = data()
    net = Network(SIZES, hidden_activation="relu", output="sigmoid", seed=3, dtype=dtype)
    W0, b0 = net.copy().W, net.copy().b
    trainer = Trainer(net, optimizer=optimizer, learning_rate=lr, batch_size=B, seed=11)
    trainer.fit(X.astype(dtype), Y.astype(dtype), epochs=EPOCHS)
    W, b = reference(W0, b0, X.astype(dtype), Y, trainer_orders(11), optimizer, lr)
    for l in range(1, len(SIZES)):
        assert net.W[l].dtype == dtype
        np.testing.assert_allclose(net.W[l], W[l], rtol=rtol, atol=rtol)
        np.testing.assert_allclose(net.b[l], b[l], rtol=rtol, atol=rtol)


def test_one_epoch_per_fit_call_equals_one_fit():
    """The benchmark's lucidnet runner trains one epoch per fit call (as partial_fit)."""
    X, Y = data()
    nets = [Network(SIZES, seed=3) for _ in range(2)]
    whole = Trainer(nets[0], optimizer="adam", learning_rate=0.01, batch_size=B, seed=5)
    whole.fit(X, Y, epochs=EPOCHS)
    stepwise = Trainer(nets[1], optimizer="adam", learning_rate=0.01, batch_size=B, seed=5)
    for _ in range(EPOCHS):
        stepwise.fit(X, Y, epochs=stepwise.epoch + 1)
    for l in range(1, len(SIZES)):
        np.testing.assert_array_equal(nets[0].W[l], nets[1].W[l])


def test_minibatch_gd_matches_the_lecture_reference():
    X, Y = data()
    net = Network(SIZES, seed=4)
    W0, b0 = net.copy().W, net.copy().b
    minibatch_gd(net, X, Y[:, 0], batch_size=B, learning_rate=0.3, epochs=EPOCHS, seed=2)
    rng = np.random.default_rng(2)
    orders = [rng.permutation(N) for _ in range(EPOCHS)]
    W, b = reference(W0, b0, X, Y, orders, "sgd", 0.3)
    for l in range(1, len(SIZES)):
        np.testing.assert_allclose(net.W[l], W[l], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(net.b[l], b[l], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_numpy_fast_path_equals_the_array_api_path(optimizer):
    xps = pytest.importorskip("array_api_strict")
    X, Y = data()
    net_np = Network(SIZES, seed=6)
    net_xp = net_np.to(xps)
    for net, Xa, Ya in ((net_np, X, Y), (net_xp, xps.asarray(X), xps.asarray(Y))):
        Trainer(net, optimizer=optimizer, learning_rate=0.05, batch_size=B, seed=1).fit(
            Xa, Ya, epochs=EPOCHS
        )
    for l in range(1, len(SIZES)):
        np.testing.assert_allclose(net_np.W[l], np.asarray(net_xp.W[l]), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(net_np.b[l], np.asarray(net_xp.b[l]), rtol=1e-12, atol=1e-14)
