"""The one minibatch step: the lecture's step, the same function in both engines."""

import numpy as np
import pytest

from lucidnet import Network
from lucidnet.core.parameters import gradients, pack, parameters, unpack
from lucidnet.training import SGD, Adam, TerminateOnNaN
from lucidnet.training.faults import Diverged
from lucidnet.training.step import Step, clip_vector, gather


def test_gather_takes_the_rows_as_columns():
    X = np.arange(12.0).reshape(6, 2)
    Y = np.arange(6.0)[:, None] * 10
    s = np.arange(6.0) / 10
    rows = np.array([4, 0, 3])
    A0, Yb, sb = gather(X, Y, s, rows)
    np.testing.assert_array_equal(A0, X[rows].T)  # A0 = X[rows].T
    np.testing.assert_array_equal(Yb, Y[rows].T)  # Y_b = Y[rows].T
    np.testing.assert_array_equal(sb, s[rows])  # s_b = s[rows]
    assert gather(X, Y, None, rows)[2] is None


def test_clip_vector_caps_the_norm_and_keeps_the_direction():
    g = np.array([3.0, 4.0])  # ‖g‖ = 5
    np.testing.assert_allclose(clip_vector(g.copy(), 2.0), [1.2, 1.6])
    np.testing.assert_array_equal(clip_vector(g.copy(), 5.0), g)  # within c: unchanged
    jax = pytest.importorskip("jax")
    traced = jax.jit(lambda v: clip_vector(v, 2.0))(jax.numpy.asarray(g))
    np.testing.assert_allclose(np.asarray(traced), [1.2, 1.6], rtol=1e-6)


def batch_of(net, B=8, seed=0):
    rng = np.random.default_rng(seed)
    A0 = rng.normal(size=(net.n[0], B))
    Y = (rng.random((net.n[net.L], B)) > 0.5) * 1.0
    return A0, Y, None


@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_a_step_is_the_lecture_step_by_hand(alpha):
    net = Network([3, 5, 1], hidden_activation="tanh", seed=0)
    A0, Y, _ = batch = batch_of(net)
    like = parameters(net)
    expected_J = net.cost(net.forward(A0), Y, alpha)
    grads = gradients(net.backward(net.forward(A0), Y, alpha))
    expected = [p - 0.1 * d for p, d in zip(like, grads, strict=True)]
    theta, _, J = Step(net, like, SGD(0.1), alpha)(pack(like), (None,), batch, 0.1, None)
    assert float(J) == float(expected_J)  # J before the update
    for a, b in zip(unpack(theta, like), expected, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_step_changes_a_numpy_theta_in_place_and_never_the_network():
    net = Network([3, 4, 1], seed=0)
    kept = [p.copy() for p in parameters(net)]
    like = parameters(net)
    step = Step(net, like, Adam(0.01))
    theta = pack(like)
    state = step.optimizer.init_state(like)
    new, state, _ = step(theta, state, batch_of(net), 0.01, None)
    assert new is theta  # updated in place
    again, _, _ = step(theta, state, batch_of(net), 0.01, None)
    assert again is theta and step.network(theta) is step.network(theta)  # views kept
    for a, b in zip(parameters(net), kept, strict=True):
        np.testing.assert_array_equal(a, b)


def test_clip_norm_and_kept_gradients():
    net = Network([3, 4, 1], seed=0)
    like = parameters(net)
    plain = Step(net, like, SGD(1.0), keep_grads=True)
    clipped = Step(net, like, SGD(1.0), clip_norm=1e-3)
    theta0 = pack(like)
    moved = plain(theta0.copy(), (None,), batch_of(net), 1.0, None)[0] - theta0
    np.testing.assert_allclose(moved, -pack(gradients(plain.last_grads)))
    capped = clipped(theta0.copy(), (None,), batch_of(net), 1.0, None)[0] - theta0
    np.testing.assert_allclose(np.linalg.norm(capped), 1e-3)
    np.testing.assert_allclose(capped / np.linalg.norm(capped), moved / np.linalg.norm(moved))


def test_the_same_step_traced_by_jax_gives_the_numpy_result():
    jax = pytest.importorskip("jax")
    with jax.enable_x64(True):
        net = Network([3, 5, 2], "tanh", "softmax", seed=0)
        like = parameters(net)
        step = Step(net, like, Adam(0.05), alpha=0.1)
        A0, Y, _ = batch_of(net)
        state = step.optimizer.init_state(like)
        theta, _, J = step(pack(like), state, (A0, Y, None), 0.05, None)
        jstate = tuple(jax.numpy.asarray(p) for p in step.optimizer.init_state(like))
        traced = jax.jit(lambda th, st, a, y: step(th, st, (a, y, None), 0.05, None))
        jtheta, _, jJ = traced(jax.numpy.asarray(pack(like)), jstate, A0, Y)
        np.testing.assert_allclose(np.asarray(jtheta), theta, rtol=1e-12, atol=1e-15)
        assert float(jJ) == pytest.approx(float(J), rel=1e-12)


def test_terminate_on_nan_holds_its_checks():
    guard = TerminateOnNaN()
    guard.check_loss(0.5, 1, 1, 0.1)
    guard.check_weights([np.ones(3)], 1, 4, 0.1)
    with pytest.raises(Diverged) as bad_loss:
        guard.check_loss(float("nan"), 2, 3, 0.1)
    assert (bad_loss.value.epoch, bad_loss.value.batch) == (2, 3)
    with pytest.raises(Diverged, match="weights"):
        guard.check_weights([np.array([1.0, np.inf])], 2, 4, 0.1)


def test_some_members_is_the_ensemble_of_those_members():
    from lucidnet.core.embedded import EmbeddedEnsemble
    from lucidnet.core.embeddings import PeriodicEmbedding
    from lucidnet.core.ensemble import Ensemble
    from lucidnet.training.step import some_members

    A0 = np.random.default_rng(0).normal(size=(4, 7))
    embedding = PeriodicEmbedding(4, (0, 2), n_frequencies=3, dim=4)
    for net in (
        Ensemble([4, 5, 2], members=4, seed=0),
        EmbeddedEnsemble(embedding, [4, 5, 1], members=4, seed=0),
    ):
        sub = some_members(net, np.array([1, 3]))
        assert sub.K == 2
        out = sub.forward(A0).A[sub.L]
        for k_sub, k in enumerate((1, 3)):
            np.testing.assert_array_equal(out[k_sub], net.member(k).forward(A0).A[net.L])
