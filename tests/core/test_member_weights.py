"""Per-member sample weights (core/weights.py): s of shape (K, B), member k's own weights."""

from __future__ import annotations

import numpy as np
import pytest

from lucidnet.core import check_gradients
from lucidnet.core.ensemble import Ensemble
from lucidnet.core.weights import per_member_cost, per_member_scale


def _case(output: str, n_out: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    ens = Ensemble([3, 5, 4, n_out], members=3, hidden_activation="tanh", output=output, seed=1)
    B = 7
    A0 = rng.normal(size=(3, B))
    if output == "softmax":
        Y = np.eye(n_out)[:, rng.integers(0, n_out, B)]
    elif output == "sigmoid":
        Y = (rng.random((n_out, B)) < 0.5).astype(float)
    else:
        Y = rng.normal(size=(n_out, B))
    s = rng.random((3, B)) + 0.1
    s[0, :2] = 0.0  # member 0 leaves two examples out (a fold)
    s[2, 5] = 0.0
    return ens, A0, Y, s


@pytest.mark.parametrize("output,n_out", [("sigmoid", 1), ("softmax", 3), ("identity", 2)])
@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_per_member_weights_match_finite_differences(output, n_out, alpha):
    ens, A0, Y, s = _case(output, n_out)
    result = check_gradients(ens, A0, Y, alpha=alpha, sample_weight=s)
    assert result.passed, result


@pytest.mark.parametrize("output,n_out", [("sigmoid", 1), ("softmax", 3), ("identity", 2)])
@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_per_member_weights_agree_with_k_separate_networks(output, n_out, alpha):
    ens, A0, Y, s = _case(output, n_out, seed=4)
    cache = ens.forward(A0)
    grads = ens.backward(cache, Y, alpha, sample_weight=s)
    J = ens.cost(cache, Y, alpha, sample_weight=s)
    J_members = 0.0
    for k in range(ens.K):
        member = ens.member(k)  # a plain Network with member k's own weights
        c = member.forward(A0)
        J_members += float(member.cost(c, Y, alpha, sample_weight=s[k]))
        g = member.backward(c, Y, alpha, sample_weight=s[k])
        for l in range(1, ens.L + 1):
            np.testing.assert_allclose(grads.dW[l][k], g.dW[l], rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(grads.db[l][k], g.db[l], rtol=1e-12, atol=1e-15)
    assert float(J) == pytest.approx(J_members, rel=1e-12)


def test_the_formulas_by_hand():
    """J = Σ_k (Σ_i s_ki L_ki + α/2 Σ_l ‖W[l]_k‖²) / Σ_i s_ki; dZ[L]_k scaled by s_k / Σ s_k."""
    rng = np.random.default_rng(2)
    losses, s = rng.random((2, 4)), rng.random((2, 4)) + 0.5
    W = [rng.normal(size=(2, 3, 3)), rng.normal(size=(2, 1, 3))]
    expected = sum(
        (s[k] @ losses[k] + 0.2 / 2 * sum(np.sum(w[k] ** 2) for w in W)) / s[k].sum()
        for k in range(2)
    )
    assert float(per_member_cost(losses, s, W, 0.2)) == pytest.approx(expected, rel=1e-14)
    s_b, total = per_member_scale(s)
    assert s_b.shape == (2, 1, 4) and total.shape == (2, 1, 1)
    np.testing.assert_allclose(total[:, 0, 0], s.sum(axis=1))
    row = s[0]
    shared, shared_total = per_member_scale(row)
    assert shared is row and float(shared_total) == pytest.approx(s[0].sum())


def test_shared_weights_equal_the_same_row_for_every_member():
    ens, A0, Y, s = _case("softmax", 3)
    cache = ens.forward(A0)
    tiled = np.tile(s[1], (ens.K, 1))
    a = ens.backward(cache, Y, 0.3, sample_weight=s[1])
    b = ens.backward(cache, Y, 0.3, sample_weight=tiled)
    for l in a.dW:
        np.testing.assert_allclose(a.dW[l], b.dW[l], rtol=1e-13)
    assert float(ens.cost(cache, Y, 0.3, sample_weight=s[1])) == pytest.approx(
        float(ens.cost(cache, Y, 0.3, sample_weight=tiled)), rel=1e-13
    )


def test_a_zero_weight_leaves_the_example_out_of_that_member_only():
    ens, A0, Y, s = _case("sigmoid", 1)
    cache = ens.forward(A0)
    grads = ens.backward(cache, Y, sample_weight=s)
    Y2 = Y.copy()
    Y2[:, :2] = 1 - Y2[:, :2]  # change the two examples member 0 leaves out
    grads2 = ens.backward(cache, Y2, sample_weight=s)
    np.testing.assert_array_equal(grads.dW[1][0], grads2.dW[1][0])
    assert not np.allclose(grads.dW[1][1], grads2.dW[1][1])


@pytest.mark.parametrize("shape", [(2, 7), (3, 6), (3, 7, 1), (7, 3)])
def test_wrong_shapes_are_refused_with_both_shapes_named(shape):
    ens, A0, Y, _ = _case("sigmoid", 1)
    with pytest.raises(ValueError, match=r"\(B,\) = \(7,\) or \(K, B\) = \(3, 7\)"):
        ens.backward(ens.forward(A0), Y, sample_weight=np.ones(shape))
    with pytest.raises(ValueError, match=r"\(K, B\) = \(3, 7\)"):
        ens.cost(ens.forward(A0), Y, sample_weight=np.ones(shape))


def test_a_plain_network_takes_no_per_member_weights():
    ens, A0, Y, _ = _case("sigmoid", 1)
    net = ens.member(0)
    with pytest.raises(ValueError, match=r"must have shape \(B,\) = \(7,\); got \(1, 7\)"):
        net.backward(net.forward(A0), Y, sample_weight=np.ones((1, 7)))


def test_a_member_without_weight_in_the_minibatch_takes_no_gradient_from_it():
    ens, A0, Y, s = _case("sigmoid", 1)
    s[1] = 0.0  # every example of this minibatch is in member 1's fold
    cache = ens.forward(A0)
    grads = ens.backward(cache, Y, 0.3, sample_weight=s)
    for l in range(1, ens.L + 1):
        assert not np.any(grads.dW[l][1]) and not np.any(grads.db[l][1])
    J = float(ens.cost(cache, Y, 0.3, sample_weight=s))
    others = [k for k in range(ens.K) if k != 1]
    expected = sum(
        float(ens.member(k).cost(ens.member(k).forward(A0), Y, 0.3, sample_weight=s[k]))
        for k in others
    )
    assert np.isfinite(J) and J == pytest.approx(expected, rel=1e-12)
    assert check_gradients(ens, A0, Y, alpha=0.3, sample_weight=s).passed
