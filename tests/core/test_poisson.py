"""The exp output with the Poisson loss (core/losses.py): formula, gradients, stability."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from lucidnet.core.ensemble import Ensemble
from lucidnet.core.gradcheck import check_gradients
from lucidnet.core.losses import EXP_LINEAR_FROM, get_output
from lucidnet.core.network import Network

RNG = np.random.default_rng(11)
EXP = get_output("exp")


def test_loss_is_the_poisson_deviance_by_hand():
    Z = np.array([[-1.0, 0.0, 0.5, 2.0], [1.0, -2.0, 0.0, 3.0]])
    Y = np.array([[0.0, 1.0, 3.0, 7.0], [2.0, 0.0, 1.0, 4.0]])
    expected = [
        sum(
            math.exp(z) - y * z + (y * math.log(y) if y > 0 else 0.0) - y
            for z, y in zip(Z[:, i], Y[:, i], strict=True)
        )
        for i in range(4)
    ]
    np.testing.assert_allclose(EXP.loss(Z, Y), expected, rtol=1e-12)
    np.testing.assert_allclose(EXP(Z), np.exp(Z), rtol=1e-12)
    assert EXP.loss(np.log(Y[:, 1:2] + 1e-300), Y[:, 1:2])[0] == pytest.approx(0.0, abs=1e-9)


def test_the_tail_above_30_is_the_tangent_and_dL_dz_is_a_minus_y():
    m = EXP_LINEAR_FROM
    z = np.array([[m - 1.0, m + 2.0]])
    np.testing.assert_allclose(EXP(z), [[math.exp(m - 1), math.exp(m) * 3.0]])
    for z0 in (-3.0, 0.7, m + 0.5, m + 40.0):  # ∂L/∂z = a − y on both sides of m
        y, h = np.array([[2.0]]), 1e-6 * max(1.0, abs(z0))
        numeric = (EXP.loss(np.array([[z0 + h]]), y) - EXP.loss(np.array([[z0 - h]]), y)) / (2 * h)
        analytic = EXP(np.array([[z0]])) - y
        np.testing.assert_allclose(numeric, analytic[0], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_without_warnings_at_1e4(dtype):
    Z = np.array([[-1e4, -10.0, 0.0, 10.0, 1e4]], dtype=dtype)
    Y = np.full_like(Z, 3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A, J = EXP(Z), EXP.loss(Z, Y)
    assert A.dtype == dtype and J.dtype == dtype
    assert np.all(np.isfinite(A)) and np.all(np.isfinite(J))


def test_network_and_ensemble_gradients_match_finite_differences():
    for net in (
        Network([3, 4, 2], "tanh", "exp", seed=0),
        Ensemble([3, 4, 1], 3, "tanh", "exp", seed=1),
    ):
        A0 = RNG.normal(size=(3, 6))
        Y = RNG.poisson(2.0, size=(net.n[-1], 6)).astype(float)
        result = check_gradients(net, A0, Y, alpha=0.1)
        assert result.passed, result
