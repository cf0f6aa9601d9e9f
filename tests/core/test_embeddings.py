"""Numerical embeddings (lucidnet.core.embeddings, core.embedded): formulas, gradients, torch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lucidnet.core.embedded import EmbeddedEnsemble, EmbeddedNetwork, embedded, stack_members
from lucidnet.core.embeddings import PeriodicEmbedding, PiecewiseLinearEncoding, quantile_edges
from lucidnet.core.gradcheck import check_gradients
from lucidnet.core.network import Network
from lucidnet.core.parameters import gradients, pack, parameters, set_parameters, unpack

RNG = np.random.default_rng(7)
PLR = PeriodicEmbedding(4, (0, 2, 3), n_frequencies=3, dim=2, sigma=0.5)


def _data(n_out: int, B: int = 6, softmax: bool = False) -> tuple[np.ndarray, np.ndarray]:
    A0 = RNG.normal(size=(4, B))
    if softmax:
        Y = np.eye(n_out)[:, RNG.integers(0, n_out, B)]
    else:
        Y = (RNG.random((n_out, B)) > 0.5).astype(float)
    return A0, Y


def test_periodic_forward_is_the_formula_feature_by_feature():
    E = PLR.init_parameters(np.random.default_rng(0))
    A0 = RNG.normal(size=(4, 5))
    A, _ = PLR.forward(E, A0)
    rows = []
    for i, j in enumerate(PLR.features):  # naive: one feature, one column at a time
        for t in range(PLR.dim):
            row = []
            for col in range(5):
                phi = [2 * math.pi * E["c"][i, f, 0] * A0[j, col] for f in range(3)]
                v = [math.cos(x) for x in phi] + [math.sin(x) for x in phi]
                u = sum(E["W"][i, t, q] * v[q] for q in range(6)) + E["b"][i, t, 0]
                row.append(max(u, 0.0))
            rows.append(row)
    rows.append(list(A0[1]))  # the passed-through feature
    np.testing.assert_allclose(A, np.array(rows), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("members", [None, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predict_embeds_a_few_columns_at_a_time_to_the_same_bits(monkeypatch, members, dtype):
    import lucidnet.core.embeddings as embeddings

    emb = PeriodicEmbedding(9, tuple(range(7)), n_frequencies=4, dim=3, sigma=(0.1, 1.0))
    E = emb.init_parameters(np.random.default_rng(1), members, dtype)
    A0 = RNG.normal(size=(9, 50)).astype(dtype)
    whole = emb.forward(E, A0)[0]
    lead = 1 if members is None else members
    for columns in (1, 2, 3, 7):  # the columns a group holds: V of lead · columns · 2m · B
        monkeypatch.setattr(embeddings, "PREDICT_ELEMENTS", lead * columns * 8 * 50)
        np.testing.assert_array_equal(emb.predict(E, A0), whole)
    assert whole.dtype == dtype and whole.shape == (*((members,) if members else ()), 23, 50)


def test_frequencies_start_truncated_normal():
    c = PeriodicEmbedding(2, (0, 1), 500, 1, sigma=0.1).init_parameters(np.random.default_rng(1))[
        "c"
    ]
    assert np.max(np.abs(c)) <= 0.3 + 1e-12
    assert 0.08 < np.std(c) < 0.12


def test_a_tuple_of_scales_draws_equal_groups_of_frequencies_at_each():
    """Group i of ⌊m/s⌋ or ⌈m/s⌉ frequencies (the first m mod s take one more) at σ_i."""
    emb = PeriodicEmbedding(2, (0, 1), n_frequencies=7, dim=1, sigma=(0.1, 1.0, 0.4))
    np.testing.assert_array_equal(emb.scales().ravel(), [0.1] * 3 + [1.0] * 2 + [0.4] * 2)
    c = PeriodicEmbedding(1, (0,), 1000, 1, sigma=(0.1, 1.0)).init_parameters(
        np.random.default_rng(2), members=3
    )["c"]
    low, high = c[..., :500, 0], c[..., 500:, 0]
    assert np.max(np.abs(low)) <= 0.3 + 1e-12 and np.max(np.abs(high)) <= 3.0 + 1e-12
    assert 0.09 < np.std(low) < 0.11 and 0.9 < np.std(high) < 1.1
    one = PeriodicEmbedding(2, (0, 1), 5, 3, sigma=0.3).init_parameters(np.random.default_rng(4))
    same = PeriodicEmbedding(2, (0, 1), 5, 3, sigma=(0.3,)).init_parameters(
        np.random.default_rng(4)
    )
    for name in one:  # one scale in a tuple: the same draw as the number
        np.testing.assert_allclose(same[name], one[name], rtol=1e-15)


@pytest.mark.parametrize("sigma", [0.0, (), (0.1, -1.0), (0.1,) * 4])
def test_bad_scales_are_refused_with_the_rule(sigma):
    with pytest.raises(ValueError, match="a tuple of 1 to n_frequencies = 3 scales"):
        PeriodicEmbedding(2, (0,), n_frequencies=3, sigma=sigma)


@pytest.mark.parametrize("hidden", ["relu", "tanh"])
def test_embedded_network_gradients_match_finite_differences(hidden):
    net = EmbeddedNetwork(PLR, [4, 5, 3], hidden, "softmax", seed=1)
    A0, Y = _data(3, softmax=True)
    result = check_gradients(net, A0, Y, alpha=0.1)
    assert {"dE[c]", "dE[W]", "dE[b]"} <= set(result)
    assert result.passed, result


@pytest.mark.parametrize(
    "emb",
    [PLR, PeriodicEmbedding(4, (0, 2, 3), n_frequencies=8, dim=4, sigma=(0.1, 1.0))],
    ids=["m3-d2", "m8-d4-two-scales"],
)
def test_embedded_ensemble_gradients_match_finite_differences(emb):
    net = EmbeddedEnsemble(emb, [4, 5, 1], 3, "tanh", "sigmoid", seed=2)
    assert net.E["c"].shape == (3, 3, emb.n_frequencies, 1)
    A0, Y = _data(1)
    s = RNG.random((3, 6)) + 0.1  # per-member weights, as cross-fitting uses
    result = check_gradients(net, A0, Y, alpha=0.05, sample_weight=s)
    assert result.passed, result


def test_piecewise_network_gradients_match_finite_differences():
    ple = PiecewiseLinearEncoding(4, (1, 3), tuple(quantile_edges(RNG.normal(size=(50, 2)), 4)))
    net = EmbeddedEnsemble(ple, [4, 6, 1], 2, "tanh", "identity", seed=3)
    A0, _ = _data(1)
    result = check_gradients(net, A0, RNG.normal(size=(1, 6)))
    assert result.passed, result
    assert not net.E and net.W[1].shape == (2, 6, ple.n_out)


def test_piecewise_encoding_is_the_formula():
    edges = (np.array([-1.0, 0.0, 2.0, 5.0]),)
    ple = PiecewiseLinearEncoding(2, (1,), edges)
    A0 = np.array([[9.0, 9.0, 9.0, 9.0], [-3.0, -0.5, 1.0, 7.0]])
    expected = [[0, 0.5, 1, 1], [0, 0, 0.5, 1], [0, 0, 0, 1], [9, 9, 9, 9]]
    np.testing.assert_allclose(ple.predict({}, A0), expected)


def test_quantile_edges_merge_ties_and_handle_constants():
    X = np.column_stack([np.arange(100.0), np.zeros(100), np.r_[np.zeros(90), np.ones(10)]])
    e = quantile_edges(X, 4)
    np.testing.assert_allclose(e[0], [0, 24.75, 49.5, 74.25, 99])
    np.testing.assert_allclose(e[1], [0, 1])
    np.testing.assert_allclose(e[2], [0, 1])


def test_parameters_carry_E_after_the_layers():
    net = EmbeddedEnsemble(PLR, [4, 5, 1], 2, seed=0)
    params = parameters(net)
    assert len(params) == 2 * net.L + 3 and params[-3] is net.E["c"]
    theta = pack(params)
    assert theta.shape == (net.n_parameters,)
    copy = net.copy()
    copy.W, copy.b = {}, {}
    set_parameters(copy, unpack(theta * 2, params))
    np.testing.assert_allclose(copy.E["c"], 2 * net.E["c"])
    grads = net.backward(net.forward(RNG.normal(size=(4, 3))), np.ones((1, 3)))
    assert [g.shape for g in gradients(grads)] == [p.shape for p in params]


def test_embedded_wraps_a_network_around_its_parameters():
    inner = Network([PLR.n_out, 5, 1], seed=0)
    E = PLR.init_parameters(np.random.default_rng(0))
    net = embedded(inner, PLR, E)
    A0 = RNG.normal(size=(4, 3))
    assert isinstance(net, EmbeddedNetwork) and net.n == [4, 5, 1]
    np.testing.assert_allclose(net.predict_output(A0), inner.predict_output(PLR.predict(E, A0)))
    with pytest.raises(ValueError, match="must match"):
        embedded(Network([3, 1]), PLR, E)


def test_member_k_is_an_embedded_network_with_its_own_E():
    ens = EmbeddedEnsemble(PLR, [4, 5, 1], 3, seed=0)
    A0 = RNG.normal(size=(4, 5))
    out = ens.predict_output(A0)
    for k in range(3):
        np.testing.assert_allclose(ens.member(k).predict_output(A0), out[k], rtol=1e-12)


def test_stacked_members_are_the_ensemble_they_came_from():
    ens = EmbeddedEnsemble(PLR, [4, 5, 1], 3, seed=0)
    members = [ens.member(k).copy() for k in range(3)]
    stacked = stack_members(members)
    assert isinstance(stacked, EmbeddedEnsemble) and stacked.K == 3 and stacked.n == ens.n
    A0 = RNG.normal(size=(4, 5))
    np.testing.assert_array_equal(stacked.predict_output(A0), ens.predict_output(A0))
    plain = Network([4, 5, 1], seed=0)
    assert not isinstance(stack_members([plain, plain.copy()]), EmbeddedEnsemble)
    other = EmbeddedNetwork(PeriodicEmbedding(4, (0, 1), 3, 2), [4, 5, 1], seed=1)
    with pytest.raises(ValueError, match="share one embedding"):
        stack_members([members[0], other])
    with pytest.raises(ValueError, match="share one embedding"):
        stack_members([members[0], Network([4, 5, 1], seed=0)])


def test_bad_inputs_say_what_to_do():
    with pytest.raises(ValueError, match="features must be distinct"):
        PeriodicEmbedding(3, (0, 3))
    with pytest.raises(ValueError, match="sigma"):
        PeriodicEmbedding(3, (0,), sigma=0)
    with pytest.raises(ValueError, match="increasing"):
        PiecewiseLinearEncoding(2, (0,), (np.array([1.0, 1.0]),))
    with pytest.raises(ValueError, match=r"layer_sizes\[0\]"):
        EmbeddedNetwork(PLR, [3, 2, 1])
    net = EmbeddedNetwork(PLR, [4, 2, 1], seed=0)
    with pytest.raises(ValueError, match=r"\(n_features, B\) = \(4, B\).*pass X.T"):
        net.forward(np.ones((5, 4)))


def test_against_torch_autograd():
    torch = pytest.importorskip("torch")
    net = EmbeddedEnsemble(PLR, [4, 5, 2], 2, "relu", "softmax", seed=4)
    A0, Y = _data(2, B=8, softmax=True)
    grads = net.backward(net.forward(A0), Y, alpha=0.1)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in net.E.items()}
    W = {l: torch.tensor(net.W[l], requires_grad=True) for l in (1, 2)}
    b = {l: torch.tensor(net.b[l], requires_grad=True) for l in (1, 2)}
    x = torch.tensor(A0)[list(PLR.features)]  # (p, B), torch's own formulation
    phi = 2 * math.pi * t["c"] * x[None, :, None, :]  # (K, p, m, B)
    v = torch.cat([torch.cos(phi), torch.sin(phi)], dim=2)
    e = torch.relu(torch.einsum("kpdq,kpqb->kpdb", t["W"], v) + t["b"])
    rest = torch.tensor(A0)[[1]].expand(2, 1, 8)
    a = torch.cat([e.reshape(2, -1, 8), rest], dim=1)
    z2 = W[2] @ torch.relu(W[1] @ a + b[1]) + b[2]
    loss = -(torch.tensor(Y) * torch.log_softmax(z2, dim=1)).sum() / 8
    loss = loss + 0.1 * sum((W[l] ** 2).sum() for l in (1, 2)) / (2 * 8)
    loss.backward()
    for k in t:
        np.testing.assert_allclose(grads.dE[k], t[k].grad.numpy(), rtol=1e-9, atol=1e-12)
    for l in (1, 2):
        np.testing.assert_allclose(grads.dW[l], W[l].grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(float(net.cost(net.forward(A0), Y, 0.1)), loss.item(), rtol=1e-12)


def test_the_embeddings_and_the_embedded_network_say_what_they_are():
    ple = PiecewiseLinearEncoding(4, (1, 3), (np.arange(3.0), np.arange(5.0)))
    assert ple.summary() == "piecewise-linear encoding of 2 columns in 6 quantile bins"
    assert PLR.summary() == "periodic embedding of 3 columns, 3 frequencies into 2 values each"
    net = EmbeddedEnsemble(PLR, [4, 5, 1], 2, seed=0)
    assert repr(net) == (
        "EmbeddedEnsemble(periodic embedding of 3 columns, 3 frequencies into 2 values each; "
        "[4, 5, 1], members=2, activations=['relu', 'sigmoid'])"
    )
    assert repr(EmbeddedNetwork(ple, [4, 5, 1], seed=0)).startswith(
        "EmbeddedNetwork(piecewise-linear encoding of 2 columns in 6 quantile bins; [4, 5, 1]"
    )
