"""Per-member minibatches (training/member_batches.py): each member steps on its own rows."""

from __future__ import annotations

import numpy as np
import pytest

from lucidnet import Network
from lucidnet.core.ensemble import Ensemble
from lucidnet.core.parameters import pack, parameters, unpack
from lucidnet.training import SGD, Callback, Trainer
from lucidnet.training.crossfit import cross_fit_folds, fold_weights
from lucidnet.training.member_batches import member_epoch, member_rows
from lucidnet.training.step import Step, gather


@pytest.mark.parametrize(("n", "K", "steps"), [(101, 4, 4), (60, 3, 7), (9, 2, 9), (40, 5, 1)])
def test_every_row_of_a_member_comes_once_per_epoch_and_padding_weighs_zero(n, K, steps):
    folds = cross_fit_folds(n, K, seed=0)
    rows = member_rows(fold_weights(folds, K))
    assert rows is not None
    idx, valid = member_epoch(rows, steps, np.random.default_rng(1))
    M = max(len(r) for r in rows)
    b = -(-M // steps)  # b = ⌈M / steps⌉
    assert idx.shape == valid.shape == (steps, K, b)
    for k in range(K):
        real = idx[:, k][valid[:, k] == 1]
        assert sorted(real.tolist()) == np.flatnonzero(folds != k).tolist()  # each once
        assert set(idx[:, k][valid[:, k] == 0].tolist()) <= set(real.tolist())  # own rows
        assert int((valid[:, k] == 0).sum()) == steps * b - len(rows[k])


def test_each_epoch_draws_a_new_order_and_no_rng_keeps_the_rows_in_order():
    rows = [np.array([0, 2, 4, 6]), np.array([1, 3, 5, 7])]
    rng = np.random.default_rng(0)
    first, second = (member_epoch(rows, 2, rng)[0] for _ in range(2))
    assert not np.array_equal(first, second)
    ordered, valid = member_epoch(rows, 2, None)
    np.testing.assert_array_equal(ordered[:, 0].reshape(-1), rows[0])
    assert valid.all()


def test_batches_are_shared_unless_a_member_has_rows_of_weight_zero():
    assert member_rows(None) is None
    assert member_rows(np.ones(10)) is None  # one weight per row: shared batches
    assert member_rows(np.ones((3, 10))) is None  # every member learns from every row
    s = np.ones((2, 6))
    s[0, 1] = 0.0
    rows = member_rows(s, train_idx=np.array([0, 1, 2, 5]))
    assert [r.tolist() for r in rows] == [[0, 2, 5], [0, 1, 2, 5]]  # training rows only
    with pytest.raises(ValueError, match="Member 1 has no row"):
        member_epoch([np.array([0]), np.array([], dtype=int)], 1, None)


def test_gather_per_member_takes_each_members_rows_as_columns():
    X = np.arange(12.0).reshape(6, 2)
    Y = np.arange(6.0)[:, None] * 10
    s = np.arange(12.0).reshape(2, 6)
    rows = np.array([[4, 0, 3], [1, 1, 5]])
    A0, Yb, sb = gather(X, Y, s, rows)
    assert A0.shape == (2, 2, 3) and Yb.shape == (2, 1, 3) and sb.shape == (2, 3)
    for k in range(2):
        np.testing.assert_array_equal(A0[k], X[rows[k]].T)  # A0[k] = X[rows[k]].T
        np.testing.assert_array_equal(Yb[k], Y[rows[k]].T)  # Y_b[k] = Y[rows[k]].T
        np.testing.assert_array_equal(sb[k], s[k, rows[k]])  # s_b[k] = s[k, rows[k]]


def test_a_per_member_step_is_each_member_stepping_alone_on_its_rows():
    """The stacked step on (K, n[0], b) equals K single networks' steps, padding ignored."""
    rng = np.random.default_rng(0)
    K, X = 3, rng.normal(size=(30, 4))
    Y = (rng.random((30, 1)) < 0.5).astype(float)
    net = Ensemble([4, 6, 1], members=K, hidden_activation="tanh", seed=0)
    _assert_each_member_steps_alone(net, X, Y, atol=1e-14)


class _Rows(Callback):
    """Counts, per member, the rows each step learns from (their weights in the batch)."""

    order = 20

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def on_batch_end(self, trainer, batch, logs):
        self.sizes.append(logs["size"])


def test_cross_fitted_training_computes_only_the_rows_each_member_learns_from():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(100, 3)), (rng.random((100, 1)) < 0.5).astype(float)
    K = 4
    folds = cross_fit_folds(100, K, seed=0)
    net = Ensemble([3, 5, 1], members=K, seed=0)
    recorder = _Rows()
    Trainer(net, batch_size=16, seed=0, callbacks=[recorder]).fit(
        X, Y, epochs=2, sample_weight=fold_weights(folds, K)
    )
    # ⌈100 / 16⌉ = 7 steps per epoch, each of ⌈75 / 7⌉ = 11 rows per member
    assert recorder.sizes == [11] * 14


def test_a_network_with_one_weight_per_row_keeps_shared_batches():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    recorder = _Rows()
    Trainer(Network([3, 1], seed=0), batch_size=8, seed=0, callbacks=[recorder]).fit(
        X, Y, epochs=1, sample_weight=np.ones(20)
    )
    assert recorder.sizes == [8, 8, 4]


def test_the_jax_engine_draws_the_same_per_member_batches():
    pytest.importorskip("jax")
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(90, 3)), (rng.random((90, 1)) < 0.5).astype(float)
    s = fold_weights(cross_fit_folds(90, 3, seed=0), 3)
    nets = []
    for engine in ("numpy", "jax"):
        net = Ensemble([3, 5, 1], members=3, seed=0)
        Trainer(net, optimizer="adam", batch_size=16, seed=0, engine=engine).fit(
            X, Y, epochs=2, sample_weight=s
        )
        nets.append(net)
    for a, b in zip(parameters(nets[0]), parameters(nets[1]), strict=True):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-13)


@pytest.mark.parametrize("kind", ["periodic", "piecewise-linear"])
def test_an_embedded_ensemble_steps_per_member_as_each_member_alone(kind):
    """Member k's rows through its own embedding: A0 of shape (K, n_features, b)."""
    from lucidnet.core.embedded import EmbeddedEnsemble
    from lucidnet.core.embeddings import (
        PeriodicEmbedding,
        PiecewiseLinearEncoding,
        quantile_edges,
    )

    rng = np.random.default_rng(0)
    K, X = 3, rng.normal(size=(30, 4))
    Y = (rng.random((30, 1)) < 0.5).astype(float)
    if kind == "periodic":
        embedding = PeriodicEmbedding(4, (0, 2), n_frequencies=3, dim=4)
    else:
        edges = quantile_edges(X[:, [1, 3]], 4)
        embedding = PiecewiseLinearEncoding(4, (1, 3), tuple(edges))
    net = EmbeddedEnsemble(embedding, [4, 6, 1], members=K, hidden_activation="tanh", seed=0)
    _assert_each_member_steps_alone(net, X, Y, atol=1e-13)


def _assert_each_member_steps_alone(net, X, Y, atol):
    """One SGD step of ``net`` (3 members) on per-member rows, one slot of member 1 padding,
    equals each member's own step on its real rows."""
    K = net.K
    rows = np.array([[0, 5, 7, 9], [1, 2, 3, 3], [10, 20, 29, 4]])
    valid = np.array([[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 1, 1]], dtype=float)
    A0, Yb, sb = gather(X, Y, np.ones((K, len(X))), rows)
    like = parameters(net)
    theta, _, _ = Step(net, like, SGD(0.5))(pack(like), (None,), (A0, Yb, sb * valid), 0.5, None)
    stacked = unpack(theta, like)
    for k in range(K):
        member = net.member(k)
        keep = rows[k][valid[k] == 1]
        mine = parameters(member)
        alone = Step(member, mine, SGD(0.5))
        theta_k, _, _ = alone(pack(mine), (None,), (X[keep].T, Y[keep].T, None), 0.5, None)
        assert len(mine) == len(stacked)
        for a, b in zip(unpack(theta_k, mine), stacked, strict=True):
            np.testing.assert_allclose(a, b[k], rtol=0, atol=atol)
