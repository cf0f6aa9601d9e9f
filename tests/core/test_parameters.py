"""The one parameter list and the flat θ (core/parameters.py), formula by formula.

The layout is written out here by hand (index arithmetic on the dicts W[l], b[l]), and the
decisive check is numeric: centred finite differences over the entries of θ equal
``pack(gradients(net.backward(...)))`` entry by entry, which holds only when the
parameters and the gradients pack into the same layout.
"""

from __future__ import annotations

import array_api_strict as xps
import numpy as np
import pytest

from lucidnet import Network
from lucidnet.core.ensemble import Ensemble
from lucidnet.core.parameters import (
    gradients,
    pack,
    parameters,
    set_parameters,
    unpack,
    weight_mask,
)


def make(sizes=(3, 4, 2, 2), seed=0):
    rng = np.random.default_rng(seed)
    net = Network(list(sizes), hidden_activation="tanh", output="softmax", seed=seed)
    for l in range(1, net.L + 1):
        net.b[l] = rng.uniform(-0.5, 0.5, size=net.b[l].shape)
    A0 = rng.normal(size=(sizes[0], 6))
    Y = np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], size=6)]
    return net, A0, Y


def test_parameters_are_W1_b1_to_WL_bL_by_reference():
    # params[2(l-1)] = W[l], params[2(l-1) + 1] = b[l]
    net, _, _ = make()
    params = parameters(net)
    assert len(params) == 2 * net.L
    for l in range(1, net.L + 1):
        assert params[2 * (l - 1)] is net.W[l]
        assert params[2 * (l - 1) + 1] is net.b[l]


def test_gradients_are_dW1_db1_to_dWL_dbL():
    # grads_list[2(l-1)] = dW[l], grads_list[2(l-1) + 1] = db[l]
    net, A0, Y = make()
    grads = net.backward(net.forward(A0), Y, 0.1)
    listed = gradients(grads)
    assert len(listed) == 2 * net.L
    for l in range(1, net.L + 1):
        assert listed[2 * (l - 1)] is grads.dW[l]
        assert listed[2 * (l - 1) + 1] is grads.db[l]
    for p, g in zip(parameters(net), listed, strict=True):
        assert p.shape == g.shape


def test_set_parameters_round_trip():
    # W[l] = params[2(l-1)], b[l] = params[2(l-1) + 1]
    net, _, _ = make()
    other, _, _ = make(seed=1)
    set_parameters(other, parameters(net))
    for l in range(1, net.L + 1):
        assert other.W[l] is net.W[l]
        assert other.b[l] is net.b[l]
    new = [p + 1.0 for p in parameters(net)]
    set_parameters(net, new)
    assert all(a is b for a, b in zip(parameters(net), new, strict=True))


def test_set_parameters_refuses_a_list_of_the_wrong_length():
    net, _, _ = make()
    with pytest.raises(ValueError, match=r"2L = 6 arrays .*got 5"):
        set_parameters(net, parameters(net)[:-1])


def test_weight_mask_marks_W_not_b():
    # mask[2(l-1)] = True (W[l]), mask[2(l-1) + 1] = False (b[l])
    net, _, _ = make()
    mask = weight_mask(net)
    assert mask == [True, False, True, False, True, False]
    layer = [1, 1, 2, 2, 3, 3]
    assert [p is net.W[l] for l, p in zip(layer, parameters(net), strict=True)] == mask


def test_pack_is_the_raveled_parameters_in_order():
    # θ = concat(W[1].ravel(), b[1].ravel(), ..., W[L].ravel(), b[L].ravel())
    net, _, _ = make()
    theta = pack(parameters(net))
    assert theta.shape == (net.n_parameters,)
    start = 0
    for l in range(1, net.L + 1):
        for P in (net.W[l], net.b[l]):
            np.testing.assert_array_equal(theta[start : start + P.size], P.ravel())
            start += P.size
    assert start == theta.size


def test_pack_converts_the_dtype_on_request():
    net = Network([2, 3, 1], seed=0, dtype=np.float32)
    assert pack(parameters(net)).dtype == np.float32
    theta = pack(parameters(net), dtype=np.float64)
    assert theta.dtype == np.float64
    np.testing.assert_array_equal(theta, pack(parameters(net)).astype(np.float64))


def test_unpack_inverts_pack():
    # part[i] = θ[s_i : s_i + size_i].reshape(shape_i)
    net, _, _ = make()
    params = parameters(net)
    parts = unpack(pack(params), params)
    assert len(parts) == len(params)
    for p, q in zip(params, parts, strict=True):
        assert q.shape == p.shape
        np.testing.assert_array_equal(q, p)
    theta = np.arange(net.n_parameters, dtype=np.float64)
    np.testing.assert_array_equal(pack(unpack(theta, params)), theta)
    np.testing.assert_array_equal(unpack(theta, params)[1], np.arange(12, 16).reshape(4, 1))


def test_unpack_checks_the_size():
    net, _, _ = make()
    theta = pack(parameters(net))
    with pytest.raises(ValueError, match=rf"theta must have shape \({net.n_parameters},\)"):
        unpack(theta[:-1], parameters(net))
    with pytest.raises(ValueError, match="theta must have shape"):
        unpack(theta.reshape(1, -1), parameters(net))


def test_packed_gradients_are_dJ_dtheta_by_finite_differences():
    # pack(gradients) lines up with pack(parameters): entry i is ∂J/∂θ_i.
    net, A0, Y = make()
    alpha = 0.3
    params = parameters(net)
    theta = pack(params)
    grad = pack(gradients(net.backward(net.forward(A0), Y, alpha)))

    def J(t):
        probe = net.copy()
        set_parameters(probe, [p.copy() for p in unpack(t, params)])
        return probe.cost(probe.forward(A0), Y, alpha)

    eps = 1e-6
    numeric = np.empty_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = eps
        numeric[i] = (J(theta + e) - J(theta - e)) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    # and the layout matters: the gradients packed in another order do not match
    swapped = gradients(net.backward(net.forward(A0), Y, alpha))
    swapped[0], swapped[1] = swapped[1], swapped[0]
    assert not np.allclose(pack([g.ravel() for g in swapped]), numeric, atol=1e-6)


def test_the_namespace_is_the_arrays_own():
    net, _, _ = make()
    strict = net.to(xps)
    theta = pack(parameters(strict))
    assert type(theta) is type(strict.W[1])
    parts = unpack(theta, parameters(strict))
    for p, q in zip(parameters(net), parts, strict=True):
        np.testing.assert_array_equal(np.asarray(q), p)


def test_an_ensemble_packs_its_stacked_members():
    ens = Ensemble([3, 4, 2], members=3, hidden_activation="tanh", output="softmax", seed=0)
    params = parameters(ens)
    assert [p.shape for p in params] == [(3, 4, 3), (3, 4, 1), (3, 2, 4), (3, 2, 1)]
    assert weight_mask(ens) == [True, False, True, False]
    theta = pack(params)
    assert theta.shape == (ens.n_parameters,)
    for p, q in zip(params, unpack(theta, params), strict=True):
        np.testing.assert_array_equal(q, p)
