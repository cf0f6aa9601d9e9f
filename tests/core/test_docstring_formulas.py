"""Every formula written in a core docstring (or docs/MATH.md) is checked here against a naive
transcription of that formula.

Each test names the docstring it stands behind. Naive forms are only compared where they
are themselves accurate (moderate z); the stable forms' behaviour at huge z is in
``test_stability.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import logsumexp

from lucidnet import Network, get_activation, get_output
from lucidnet.core.activations import LEAKY_SLOPE, sigmoid
from lucidnet.core.gradcheck import _relative_error
from lucidnet.core.init import initial_weights
from lucidnet.core.losses import log_softmax, softmax

Z_MODERATE = np.linspace(-30.0, 30.0, 241).reshape(1, -1)  # includes z = 0 exactly
Z_SMALL = np.linspace(-3.0, 3.0, 7 * 5).reshape(5, 7)


# ---------------------------------------------------------------- activations.py


def test_sigmoid_is_one_over_one_plus_exp_minus_z():
    # sigmoid: σ(Z) = 1 / (1 + e^(−Z))
    naive = 1.0 / (1.0 + np.exp(-Z_MODERATE))
    np.testing.assert_allclose(sigmoid(Z_MODERATE), naive, rtol=1e-14, atol=0)


def test_sigmoid_stable_branches():
    # sigmoid Notes: e = exp(−|Z|); σ = 1/(1 + e) for Z ≥ 0 and e/(1 + e) for Z < 0
    for z in (-30.0, -2.5, -1e-3, 0.0, 1e-3, 2.5, 30.0):
        e = math.exp(-abs(z))
        expected = 1 / (1 + e) if z >= 0 else e / (1 + e)
        assert sigmoid(np.array([[z]]))[0, 0] == expected


def sigma(z: float) -> float:
    return 1 / (1 + math.exp(-z))  # σ(z) = 1 / (1 + e^{-z})


def tanh(z: float) -> float:
    return (math.exp(z) - math.exp(-z)) / (math.exp(z) + math.exp(-z))


@pytest.mark.parametrize(
    "name,g,g_prime",
    [
        ("identity", lambda z: z, lambda z: 1.0),
        ("sigmoid", sigma, lambda z: sigma(z) * (1 - sigma(z))),
        ("tanh", tanh, lambda z: 1 - tanh(z) ** 2),
        ("relu", lambda z: max(z, 0.0), lambda z: 1.0 if z > 0 else 0.0),
        ("leaky_relu", lambda z: z if z > 0 else 0.01 * z, lambda z: 1.0 if z > 0 else 0.01),
    ],
)
def test_activation_table(name, g, g_prime):
    # docs/MATH.md §3 table (and the comments in activations.py), one scalar at a time
    act = get_activation(name)
    Z = Z_SMALL
    A = act(Z)
    G = act.prime(Z, A)
    for idx in np.ndindex(*Z.shape):
        z = float(Z[idx])
        assert abs(A[idx] - g(z)) < 1e-14, (name, z)
        assert abs(G[idx] - g_prime(z)) < 1e-14, (name, z)


def test_derivatives_at_zero_follow_the_table():
    # relu′(0) = 0 and leaky′(0) = 0.01 ("1 if z > 0 else ..."); σ′(0) = 1/4; tanh′(0) = 1
    Z = np.zeros((1, 1))
    expected = {"identity": 1.0, "sigmoid": 0.25, "tanh": 1.0, "relu": 0.0, "leaky_relu": 0.01}
    for name, value in expected.items():
        g = get_activation(name)
        assert g.prime(Z, g(Z))[0, 0] == value


@pytest.mark.parametrize("name", ["identity", "sigmoid", "tanh", "relu", "leaky_relu"])
def test_derivative_is_the_derivative(name):
    # g′ against a centred difference of g, away from the kink at 0
    g = get_activation(name)
    Z = Z_SMALL + 0.05  # no entry at 0
    eps = 1e-6
    numeric = (g(Z + eps) - g(Z - eps)) / (2 * eps)
    np.testing.assert_allclose(g.prime(Z, g(Z)), numeric, rtol=1e-7, atol=1e-9)


def test_leaky_slope_is_the_documented_one():
    assert LEAKY_SLOPE == 0.01


# ---------------------------------------------------------------- losses.py

Y_BINARY = (np.arange(2 * 7).reshape(2, 7) % 3 == 0).astype(float)


def naive_bce(Z: np.ndarray, Y: np.ndarray) -> np.ndarray:
    # Σ_k [−y_k log a_k − (1 − y_k) log(1 − a_k)], a = σ(z), summed over the units (rows)
    A = 1 / (1 + np.exp(-Z))
    return np.sum(-Y * np.log(A) - (1 - Y) * np.log(1 - A), axis=0)


def test_bce_stable_form_equals_the_naive_formula():
    # _binary_cross_entropy Notes:
    # −y log σ(z) − (1 − y) log(1 − σ(z)) = max(z, 0) − z·y + log(1 + e^(−|z|))
    Z = np.linspace(-8, 8, 14).reshape(2, 7)
    out = get_output("sigmoid")
    np.testing.assert_allclose(out.loss(Z, Y_BINARY), naive_bce(Z, Y_BINARY), rtol=1e-12)
    stable = np.sum(np.maximum(Z, 0) - Z * Y_BINARY + np.log1p(np.exp(-np.abs(Z))), axis=0)
    np.testing.assert_allclose(out.loss(Z, Y_BINARY), stable, rtol=1e-15)


def test_bce_with_soft_labels():
    # the identity holds for any y in [0, 1], not only 0/1 labels
    Z = np.linspace(-5, 5, 14).reshape(2, 7)
    Y = np.linspace(0, 1, 14).reshape(2, 7)
    np.testing.assert_allclose(get_output("sigmoid").loss(Z, Y), naive_bce(Z, Y), rtol=1e-12)


def test_softmax_is_exp_over_sum_exp():
    # softmax: a_k = e^{z_k − m} / Σ_j e^{z_j − m} = e^{z_k} / Σ_j e^{z_j}
    naive = np.exp(Z_SMALL) / np.sum(np.exp(Z_SMALL), axis=0, keepdims=True)
    np.testing.assert_allclose(softmax(Z_SMALL), naive, rtol=1e-14)
    np.testing.assert_allclose(get_output("softmax")(Z_SMALL), naive, rtol=1e-14)
    np.testing.assert_allclose(softmax(Z_SMALL).sum(axis=0), 1.0, rtol=1e-15)


def test_softmax_is_shift_invariant():
    # the shift by m = max_k z_k changes nothing mathematically
    np.testing.assert_allclose(softmax(Z_SMALL + 500.0), softmax(Z_SMALL), rtol=1e-12)


def test_log_softmax_is_z_minus_logsumexp():
    # log_softmax: log a_k = z_k − logsumexp(z); logsumexp(z) = m + log Σ_j e^{z_j − m}
    np.testing.assert_allclose(log_softmax(Z_SMALL), np.log(softmax(Z_SMALL)), rtol=1e-13)
    expected = Z_SMALL - logsumexp(Z_SMALL, axis=0, keepdims=True)
    np.testing.assert_allclose(log_softmax(Z_SMALL), expected, rtol=1e-13, atol=1e-15)
    m = Z_SMALL.max(axis=0, keepdims=True)
    lse = m + np.log(np.sum(np.exp(Z_SMALL - m), axis=0, keepdims=True))
    np.testing.assert_allclose(lse, logsumexp(Z_SMALL, axis=0, keepdims=True), rtol=1e-15)


def test_cross_entropy_is_minus_sum_y_log_a():
    # _cross_entropy: −Σ_k y_k log a_k
    Y = np.eye(5)[:, [0, 1, 2, 3, 4, 0, 2]]
    naive = -np.sum(Y * np.log(np.exp(Z_SMALL) / np.exp(Z_SMALL).sum(axis=0)), axis=0)
    np.testing.assert_allclose(get_output("softmax").loss(Z_SMALL, Y), naive, rtol=1e-13)


def test_squared_error_is_half_the_sum_of_squares():
    # _squared_error: ½ Σ_k (a_k − y_k)², a = z
    Y = np.cos(Z_SMALL)
    out = get_output("identity")
    np.testing.assert_array_equal(out(Z_SMALL), Z_SMALL)
    naive = 0.5 * np.sum((Z_SMALL - Y) ** 2, axis=0)
    np.testing.assert_allclose(out.loss(Z_SMALL, Y), naive, rtol=1e-14)


@pytest.mark.parametrize("name", ["sigmoid", "softmax", "identity"])
def test_every_output_gives_dL_dz_equal_a_minus_y(name):
    # losses.py module docstring / docs/MATH.md §4–4b: ∂L/∂z[L] = a[L] − y for each canonical pair
    out = get_output(name)
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(3, 4))
    if name == "softmax":
        Y = np.eye(3)[:, [0, 2, 1, 2]]
    elif name == "sigmoid":
        Y = rng.integers(0, 2, size=(3, 4)).astype(float)
    else:
        Y = rng.normal(size=(3, 4))
    eps = 1e-6
    numeric = np.zeros_like(Z)
    for idx in np.ndindex(*Z.shape):
        Zp, Zm = Z.copy(), Z.copy()
        Zp[idx] += eps
        Zm[idx] -= eps
        numeric[idx] = (out.loss(Zp, Y).sum() - out.loss(Zm, Y).sum()) / (2 * eps)
    np.testing.assert_allclose(out(Z) - Y, numeric, rtol=1e-6, atol=1e-9)


def test_loss_returns_one_value_per_column():
    # Output.example_loss: (B,)
    for name, Y in (
        ("sigmoid", Y_BINARY),
        ("softmax", np.eye(2)[:, [0, 1, 0, 1, 0, 1, 0]]),
        ("identity", Y_BINARY),
    ):
        assert get_output(name).loss(np.zeros((2, 7)), Y).shape == (7,)


# ---------------------------------------------------------------- init.py


def test_he_formula():
    # He: W_ij ~ N(0, 2 / n[l-1]), b = 0
    W, b = initial_weights(4, 6, "he", np.random.default_rng(7))
    expected = np.random.default_rng(7).normal(0.0, math.sqrt(2 / 6), size=(4, 6))
    np.testing.assert_array_equal(W, expected)
    np.testing.assert_array_equal(b, np.zeros((4, 1)))


def test_glorot_formula():
    # Glorot: W_ij ~ U(−√(6 / (n[l-1] + n[l])), √(6 / (n[l-1] + n[l]))), b = 0
    W, b = initial_weights(4, 6, "glorot", np.random.default_rng(7), dtype=np.float32)
    r = math.sqrt(6 / (6 + 4))
    expected = np.random.default_rng(7).uniform(-r, r, size=(4, 6)).astype(np.float32)
    np.testing.assert_array_equal(W, expected)
    assert W.dtype == np.float32 and b.dtype == np.float32
    np.testing.assert_array_equal(b, np.zeros((4, 1)))


# ---------------------------------------------------------------- network.py


def small_net(hidden="tanh", output="softmax", nL=3, seed=0):
    rng = np.random.default_rng(seed)
    net = Network([4, 5, 3, nL], hidden_activation=hidden, output=output, seed=seed)
    for l in range(1, net.L + 1):
        net.b[l] = rng.normal(size=net.b[l].shape)
    A0 = rng.normal(size=(4, 6))
    Y = np.eye(nL)[:, rng.integers(0, nL, size=6)] if output == "softmax" else rng.random((nL, 6))
    return net, A0, Y


def test_forward_formulas():
    # forward Notes: Z[l] = W[l] @ A[l-1] + b[l] (b broadcast over the B columns); A[l] = g[l](Z[l])
    net, A0, _ = small_net()
    cache = net.forward(A0)
    np.testing.assert_array_equal(cache.A[0], A0)
    A_prev = A0
    for l in (1, 2, 3):
        Z = np.empty((net.n[l], A0.shape[1]))
        for i in range(A0.shape[1]):  # one column (example) at a time: z = W a + b
            Z[:, i] = net.W[l] @ A_prev[:, i] + net.b[l][:, 0]
        np.testing.assert_allclose(cache.Z[l], Z, rtol=0, atol=1e-14)
        np.testing.assert_allclose(cache.A[l], net.g[l](Z), rtol=0, atol=1e-14)
        A_prev = cache.A[l]
    np.testing.assert_array_equal(net.predict_output(A0), cache.A[3])


def test_unit_by_unit_sum():
    # docs/MATH.md §2: z_i[l] = Σ_j W_ij[l] a_j[l-1] + b_i[l]
    net, A0, _ = small_net()
    cache = net.forward(A0)
    l, i, col = 2, 1, 4
    z = sum(net.W[l][i, j] * cache.A[l - 1][j, col] for j in range(net.n[l - 1])) + net.b[l][i, 0]
    assert abs(cache.Z[l][i, col] - z) < 1e-14


def test_dropout_mask_formula():
    # forward Notes: M[l] = (U ≥ p) / (1 − p), U ~ Uniform(0, 1) of shape (n[l], B), drawn
    # layer by layer from rng; A[l] = g[l](Z[l]) * M[l]
    net, A0, _ = small_net(hidden="relu")
    p = 0.4
    cache = net.forward(A0, dropout=p, rng=np.random.default_rng(3))
    rng = np.random.default_rng(3)
    for l in (1, 2):
        U = rng.random((net.n[l], A0.shape[1]))
        np.testing.assert_array_equal(cache.M[l], (U >= p) / (1 - p))
        np.testing.assert_allclose(cache.A[l], net.g[l](cache.Z[l]) * cache.M[l], atol=1e-15)


def test_cost_formula():
    # cost Notes: J = (1/B) Σ_i L(a[L](i), y(i)) + (alpha / 2B) Σ_l ‖W[l]‖²
    net, A0, Y = small_net()
    B, alpha = A0.shape[1], 0.3
    losses = get_output("softmax").loss(net.forward(A0).Z[3], Y)
    penalty = alpha / (2 * B) * sum(np.sum(net.W[l] ** 2) for l in (1, 2, 3))
    assert abs(net.cost(net.forward(A0), Y) - losses.mean()) < 1e-14
    assert abs(net.cost(net.forward(A0), Y, alpha) - (losses.mean() + penalty)) < 1e-14


def test_weighted_cost_formula():
    # cost Notes: J = Σ_i s_i L_i / Σ_i s_i + (alpha / 2Σs) Σ_l ‖W[l]‖²
    net, A0, Y = small_net()
    s, alpha = np.array([1.0, 2.0, 0.5, 0.5, 3.0, 1.0]), 0.3
    losses = get_output("softmax").loss(net.forward(A0).Z[3], Y)
    expected = np.sum(s * losses) / s.sum() + alpha / (2 * s.sum()) * sum(
        np.sum(net.W[l] ** 2) for l in (1, 2, 3)
    )
    assert abs(net.cost(net.forward(A0), Y, alpha, sample_weight=s) - expected) < 1e-14


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_backward_formulas(hidden):
    # backward Notes, line by line:
    #   dZ[L] = (A[L] − Y) / B
    #   dW[l] = dZ[l] @ A[l-1].T + (alpha / B) W[l]
    #   db[l] = Σ_columns dZ[l]
    #   dA[l-1] = W[l].T @ dZ[l]
    #   dZ[l-1] = dA[l-1] * g[l-1]′(Z[l-1])
    net, A0, Y = small_net(hidden=hidden)
    B, alpha = A0.shape[1], 0.2
    cache = net.forward(A0)
    Z, A = cache.Z, cache.A
    grads = net.backward(cache, Y, alpha)
    dZ = {3: (A[3] - Y) / B}
    for l in (3, 2, 1):
        np.testing.assert_allclose(grads.dZ[l], dZ[l], rtol=0, atol=1e-15)
        dW = dZ[l] @ A[l - 1].T + (alpha / B) * net.W[l]
        db = np.sum(dZ[l], axis=1, keepdims=True)
        np.testing.assert_allclose(grads.dW[l], dW, rtol=0, atol=1e-15)
        np.testing.assert_allclose(grads.db[l], db, rtol=0, atol=1e-15)
        if l > 1:
            dA = net.W[l].T @ dZ[l]
            dZ[l - 1] = dA * net.g[l - 1].prime(Z[l - 1], A[l - 1])


def test_weighted_backward_formula():
    # backward Notes: dZ[L] = s_i (A[L] − Y) / Σs with weights; B is replaced by Σ s
    net, A0, Y = small_net()
    s, alpha = np.array([1.0, 2.0, 0.5, 0.5, 3.0, 1.0]), 0.2
    cache = net.forward(A0)
    grads = net.backward(cache, Y, alpha, sample_weight=s)
    np.testing.assert_allclose(grads.dZ[3], (cache.A[3] - Y) * s / s.sum(), rtol=0, atol=1e-15)
    dW3 = grads.dZ[3] @ cache.A[2].T + alpha / s.sum() * net.W[3]
    np.testing.assert_allclose(grads.dW[3], dW3, rtol=0, atol=1e-15)


def test_dropout_backward_formula():
    # backward Notes: dA[l-1] = dA[l-1] * M[l-1], then dZ[l-1] = dA[l-1] * g′(Z[l-1])
    net, A0, Y = small_net(hidden="tanh")
    cache = net.forward(A0, dropout=0.5, rng=np.random.default_rng(1))
    grads = net.backward(cache, Y)
    dA2 = net.W[3].T @ grads.dZ[3] * cache.M[2]
    expected = dA2 * (1 - np.tanh(cache.Z[2]) ** 2)
    np.testing.assert_allclose(grads.dZ[2], expected, rtol=0, atol=1e-15)


def test_l2_penalty_adds_alpha_over_B_W_and_spares_biases():
    # docs/MATH.md §6: the penalty (α / 2B) Σ‖W‖² adds (α/B) W[l] to ∂J/∂W[l]; biases not penalised
    net, A0, Y = small_net()
    B, alpha = A0.shape[1], 0.7
    cache = net.forward(A0)
    plain, reg = net.backward(cache, Y), net.backward(cache, Y, alpha)
    for l in (1, 2, 3):
        np.testing.assert_allclose(reg.dW[l] - plain.dW[l], alpha / B * net.W[l], atol=1e-15)
        np.testing.assert_array_equal(reg.db[l], plain.db[l])


def test_lecture_worked_case_three_layers_one_output():
    # docs/MATH.md §5: ∂L/∂W_ij[2] = (a[3] − y) · W_1i[3] · g′(z_i[2]) · a_j[1]  (B = 1)
    net, _, _ = small_net(hidden="tanh", output="sigmoid", nL=1)
    x = np.array([[0.3], [-1.2], [0.8], [0.1]])
    y = np.array([[1.0]])
    cache = net.forward(x)
    grads = net.backward(cache, y)
    a3, z2, a1 = cache.A[3][0, 0], cache.Z[2][:, 0], cache.A[1][:, 0]
    for i in range(net.n[2]):
        for j in range(net.n[1]):
            expected = (a3 - 1.0) * net.W[3][0, i] * (1 - math.tanh(z2[i]) ** 2) * a1[j]
            assert abs(grads.dW[2][i, j] - expected) < 1e-14


def test_n_parameters_formula():
    # n_parameters: Σ_l n[l]·n[l-1] + n[l]
    net = Network([4, 5, 3, 2], seed=0)
    assert net.n_parameters == (5 * 4 + 5) + (3 * 5 + 3) + (2 * 3 + 2)
    assert net.n_parameters == sum(net.W[l].size + net.b[l].size for l in (1, 2, 3))


def test_shapes_in_the_docstrings():
    # Network Attributes / Cache / Grads: W[l] (n[l], n[l-1]), b[l] (n[l], 1), Z/A/dZ (n[l], B)
    net, A0, Y = small_net()
    cache = net.forward(A0)
    grads = net.backward(cache, Y)
    for l in (1, 2, 3):
        assert net.W[l].shape == (net.n[l], net.n[l - 1])
        assert net.b[l].shape == (net.n[l], 1)
        assert cache.Z[l].shape == cache.A[l].shape == grads.dZ[l].shape == (net.n[l], 6)
        assert grads.dW[l].shape == net.W[l].shape
        assert grads.db[l].shape == net.b[l].shape


# ---------------------------------------------------------------- gradcheck.py


def test_relative_error_formula():
    # err = ‖g − ĝ‖∞ / max(‖g‖∞, ‖ĝ‖∞, tiny)
    g = np.array([[1.0, -2.0], [0.5, 0.0]])
    g_hat = np.array([[1.1, -2.0], [0.5, 0.0]])
    assert _relative_error(g, g_hat) == pytest.approx(0.1 / 2.0, rel=1e-12)
    assert _relative_error(np.zeros((2, 2)), np.zeros((2, 2))) == 0.0
    assert _relative_error(np.array([1e-3]), np.array([-1e-3])) == pytest.approx(2.0)


def test_centred_difference_formula():
    # ĝ = (J(θ + ε) − J(θ − ε)) / 2ε: for J quadratic in θ it is exact up to rounding,
    # so a one-layer identity network with squared error has error ~1e-10 or less.
    from lucidnet import check_gradients

    rng = np.random.default_rng(0)
    net = Network.from_parameters(
        [rng.normal(size=(2, 3))], [rng.normal(size=2)], activations=["identity"]
    )
    result = check_gradients(net, rng.normal(size=(3, 4)), rng.normal(size=(2, 4)), eps=1e-3)
    assert result.max_error < 1e-9


def test_sum_over_examples_is_the_sum_of_the_columns():
    # Σ_columns dZ = dZ @ 1, for one network (n, B) and an ensemble (K, n, B)
    import array_api_strict as xps

    from lucidnet.core.network import column_of_ones, sum_over_examples

    rng = np.random.default_rng(0)
    for shape in ((4, 7), (3, 4, 7)):
        dZ = rng.normal(size=shape)
        expected = np.sum(dZ, axis=-1, keepdims=True)
        np.testing.assert_allclose(sum_over_examples(dZ), expected, rtol=1e-14, atol=1e-15)
        ones = column_of_ones(dZ)
        assert ones.shape == (*shape[:-2], 7, 1)
        np.testing.assert_array_equal(sum_over_examples(dZ, ones), sum_over_examples(dZ))
    strict = xps.asarray(rng.normal(size=(4, 7)))
    np.testing.assert_allclose(
        np.asarray(sum_over_examples(strict)), np.asarray(xps.sum(strict, axis=1, keepdims=True))
    )
