"""K stacked networks (core/ensemble.py): the lecture's forward and backward, per member."""

from __future__ import annotations

import numpy as np
import pytest

from lucidnet.core import Network, check_gradients
from lucidnet.core.ensemble import Ensemble
from lucidnet.training import Adam, Trainer


def _targets(output: str, n_out: int, B: int, rng: np.random.Generator) -> np.ndarray:
    if output == "softmax":
        return np.eye(n_out)[:, rng.integers(0, n_out, B)]
    if output == "sigmoid":
        return (rng.random((n_out, B)) < 0.5).astype(float)
    return rng.normal(size=(n_out, B))


@pytest.mark.parametrize(
    "output,n_out", [("sigmoid", 1), ("sigmoid", 2), ("softmax", 3), ("identity", 2)]
)
@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "relu"])
def test_backward_matches_finite_differences(output, n_out, hidden):
    rng = np.random.default_rng(3)
    ens = Ensemble([3, 4, 5, n_out], members=3, hidden_activation=hidden, output=output, seed=1)
    for l in ens.b:  # keep ReLU units off their kink
        ens.b[l] = rng.normal(scale=0.1, size=ens.b[l].shape)
    A0, Y = rng.normal(size=(3, 6)), _targets(output, n_out, 6, rng)
    result = check_gradients(ens, A0, Y, alpha=0.3, sample_weight=rng.random(6) + 0.1)
    assert result.passed, result


def test_a_broken_backward_is_caught():
    rng = np.random.default_rng(0)
    ens = Ensemble([3, 4, 1], members=2, hidden_activation="tanh", seed=0)
    A0, Y = rng.normal(size=(3, 5)), _targets("sigmoid", 1, 5, rng)
    original = Ensemble.backward

    def broken(self, cache, Y, alpha=0.0, *, sample_weight=None):
        grads = original(self, cache, Y, alpha, sample_weight=sample_weight)
        grads.dW[1] = grads.dW[1][::-1]  # swap the members' gradients
        return grads

    Ensemble.backward = broken
    try:
        assert not check_gradients(ens, A0, Y).passed
    finally:
        Ensemble.backward = original


def test_each_member_is_a_network_and_the_cost_is_their_sum():
    rng = np.random.default_rng(1)
    ens = Ensemble([4, 6, 3], members=4, output="softmax", seed=2)
    A0, Y = rng.normal(size=(4, 9)), _targets("softmax", 3, 9, rng)
    members = [ens.member(k) for k in range(ens.K)]
    assert ens.cost(ens.forward(A0), Y, 0.1) == pytest.approx(
        sum(m.cost(m.forward(A0), Y, 0.1) for m in members)
    )
    grads = ens.backward(ens.forward(A0), Y)
    for k, m in enumerate(members):
        g = m.backward(m.forward(A0), Y)
        np.testing.assert_allclose(grads.dW[1][k], g.dW[1], rtol=1e-12)
        np.testing.assert_allclose(grads.db[2][k], g.db[2], rtol=1e-12)
    mean = np.mean([m.predict_output(A0) for m in members], axis=0)
    np.testing.assert_allclose(ens.mean_output(A0), mean, rtol=1e-12)


def test_members_differ_and_stack_back():
    ens = Ensemble([2, 3, 1], members=3, seed=0)
    assert not np.allclose(ens.W[1][0], ens.W[1][1])
    again = Ensemble.from_members([ens.member(k) for k in range(3)])
    for l in (1, 2):
        np.testing.assert_array_equal(again.W[l], ens.W[l])
    assert ens.n_parameters == 3 * Network([2, 3, 1]).n_parameters
    with pytest.raises(ValueError, match="one architecture"):
        Ensemble.from_members([Network([2, 3, 1]), Network([2, 4, 1])])
    with pytest.raises(ValueError, match="positive int"):
        Ensemble([2, 1], members=0)


def test_the_trainer_trains_all_members_at_once():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(float).reshape(-1, 1)
    ens = Ensemble([2, 16, 1], members=3, seed=0)
    Trainer(ens, optimizer=Adam(learning_rate=1e-2), batch_size=32, seed=0).fit(X, y, epochs=40)
    accuracy = np.mean((ens.mean_output(X.T)[0] > 0.5) == y[:, 0])
    assert accuracy > 0.9


def test_every_network_carries_K():
    assert Network([2, 3, 1], seed=0).K == 1
    assert Ensemble([2, 3, 1], members=3, seed=0).K == 3


def test_an_ensemble_initialises_only_its_own_weights(monkeypatch):
    import lucidnet.core.network as network_module

    def refuse(*args, **kwargs):
        raise AssertionError("a single network's weights were drawn and thrown away")

    monkeypatch.setattr(network_module, "initial_weights", refuse)
    ens = Ensemble([3, 4, 2], members=2, seed=0)
    assert ens.W[1].shape == (2, 4, 3)


def test_member_k_is_a_network_sharing_the_stacked_parameters():
    rng = np.random.default_rng(0)
    ens = Ensemble([3, 5, 2], members=3, hidden_activation="tanh", output="softmax", seed=1)
    A0 = rng.normal(size=(3, 7))
    stacked = ens.forward(A0).A[2]
    for k in range(ens.K):
        member = ens.member(k)
        assert type(member) is Network and member.K == 1
        assert np.shares_memory(member.W[1], ens.W[1])
        np.testing.assert_allclose(member.forward(A0).A[2], stacked[k], rtol=0, atol=1e-15)
    with pytest.raises(IndexError):
        ens.member(3)


def test_the_head_is_the_members_last_layer_on_their_features():
    rng = np.random.default_rng(1)
    ens = Ensemble([3, 5, 4, 2], members=3, hidden_activation="relu", seed=2)
    A0 = rng.normal(size=(3, 6))
    head = ens.head
    assert isinstance(head, Ensemble) and (head.K, head.L, head.n) == (3, 1, [4, 2])
    assert head.W[1] is ens.W[3] and head.b[1] is ens.b[3]
    phi = ens.feature_map(A0)  # (K, n[L-1], B)
    np.testing.assert_allclose(head.forward(phi).A[1], ens.forward(A0).A[3], rtol=0, atol=1e-15)
    for k in range(ens.K):
        np.testing.assert_array_equal(head.member(k).W[1], ens.member(k).head.W[1])
