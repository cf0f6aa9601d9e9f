"""Cross-fitting (training/crossfit.py): the folds, per-member weights, the CrossFit callback."""

from __future__ import annotations

import numpy as np
import pytest

from lucidnet.core.ensemble import Ensemble
from lucidnet.training import Callback, Trainer
from lucidnet.training.crossfit import CrossFit, cross_fit_folds, fold_weights


@pytest.mark.parametrize("n,K", [(10, 2), (101, 4), (37, 5)])
def test_every_row_is_in_exactly_one_fold_and_the_folds_are_balanced(n, K):
    folds = cross_fit_folds(n, K, seed=3)
    assert folds.shape == (n,) and set(folds.tolist()) == set(range(K))
    sizes = np.bincount(folds, minlength=K)
    assert sizes.max() - sizes.min() <= 1
    s = fold_weights(folds, K)
    assert s.shape == (K, n)
    assert np.array_equal((s == 0).sum(axis=0), np.ones(n))  # out of one member's training
    assert np.array_equal(np.flatnonzero(s[0] == 0), np.flatnonzero(folds == 0))


def test_the_folds_are_stratified_and_seeded():
    rng = np.random.default_rng(0)
    labels = rng.choice(["a", "b", "c"], size=203, p=[0.7, 0.2, 0.1])
    folds = cross_fit_folds(len(labels), 4, seed=1, labels=labels)
    for c in "abc":
        counts = np.bincount(folds[labels == c], minlength=4)
        assert counts.max() - counts.min() <= 1, (c, counts)
    assert np.array_equal(folds, cross_fit_folds(len(labels), 4, seed=1, labels=labels))
    assert not np.array_equal(folds, cross_fit_folds(len(labels), 4, seed=2, labels=labels))


def test_fold_weights_multiply_sample_weights():
    folds = np.array([0, 1, 0, 1])
    s = fold_weights(folds, 2, sample_weight=np.array([1.0, 2.0, 3.0, 4.0]))
    assert np.array_equal(s, [[0, 2, 0, 4], [1, 0, 3, 0]])


@pytest.mark.parametrize("K", [1, 11])
def test_too_few_or_too_many_folds_are_refused(K):
    with pytest.raises(ValueError, match="2 ≤ K ≤ n_rows"):
        cross_fit_folds(10, K, seed=0)


class _Recorder(Callback):
    """Each epoch's weights and every member's loss on its own fold."""

    order = 20

    def __init__(self, X, Y, folds):
        self.X, self.Y, self.folds, self.weights, self.losses = X, Y, folds, [], []

    def on_epoch_end(self, trainer, epoch, logs):
        self.weights.append([np.array(p, copy=True) for p in trainer.epoch_params])
        losses = []
        for k in range(trainer.net.K):
            rows = self.folds == k
            member = trainer.net.member(k)
            losses.append(float(member.cost(member.forward(self.X[rows].T), self.Y[rows].T)))
        self.losses.append(losses)


def _fit(patience=3, epochs=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(120, 4))
    Y = (X[:, :1] + 0.5 * rng.normal(size=(120, 1)) > 0).astype(float)
    K = 3
    folds = cross_fit_folds(len(X), K, seed=5, labels=Y[:, 0])
    net = Ensemble([4, 16, 1], members=K, hidden_activation="relu", seed=1)
    scorer = CrossFit(X, Y, folds, patience=patience)
    recorder = _Recorder(X, Y, folds)
    trainer = Trainer(net, learning_rate=0.05, batch_size=16, seed=2, callbacks=[scorer, recorder])
    trainer.fit(X, Y, epochs=epochs, sample_weight=fold_weights(folds, K))
    return trainer, net, scorer, recorder, X, Y, folds


def test_each_member_keeps_its_best_epochs_weights_on_its_own_fold():
    trainer, net, scorer, recorder, _X, _Y, _folds = _fit()
    losses = np.array(recorder.losses)  # (epochs, K)
    assert trainer.stop_reason.startswith("cross-fitting")
    assert len(set(scorer.best_epochs_.tolist())) > 1  # the members chose their own epochs
    for k in range(net.K):
        # the best epoch among those before member k ran out of patience
        done_at = scorer.best_epochs_[k] + scorer.patience
        best = int(np.argmin(losses[:done_at, k])) + 1
        assert scorer.best_epochs_[k] == best
        assert scorer.best_losses_[k] == pytest.approx(losses[best - 1, k], rel=1e-12)
        kept = recorder.weights[best - 1]
        for l in range(1, net.L + 1):
            np.testing.assert_array_equal(net.W[l][k], kept[2 * (l - 1)][k])
            np.testing.assert_array_equal(net.b[l][k], kept[2 * l - 1][k])


def test_training_stops_once_every_member_has_spent_its_patience():
    trainer, _net, scorer, _recorder, *_ = _fit(patience=2)
    assert trainer.epoch == int((scorer.best_epochs_ + 2).max())
    assert scorer.done.all()


def test_the_out_of_fold_outputs_come_from_the_member_that_left_the_fold_out():
    _trainer, net, scorer, _recorder, X, _Y, folds = _fit()
    assert not np.isnan(scorer.oof_).any()
    for k in range(net.K):
        rows = folds == k
        A = net.member(k).predict_output(X[rows].T).T
        np.testing.assert_allclose(scorer.oof_[rows], A, rtol=1e-12)


def test_a_member_never_learns_from_its_fold():
    """Changing fold 0's targets changes no step of member 0 before scoring."""
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(60, 3)), (rng.random((60, 1)) < 0.5).astype(float)
    folds = cross_fit_folds(60, 3, seed=0)
    Y2 = Y.copy()
    Y2[folds == 0] = 1 - Y2[folds == 0]
    nets = []
    for targets in (Y, Y2):
        net = Ensemble([3, 5, 1], members=3, seed=0)
        Trainer(net, batch_size=8, seed=0).fit(
            X, targets, epochs=3, sample_weight=fold_weights(folds, 3)
        )
        nets.append(net)
    np.testing.assert_array_equal(nets[0].W[1][0], nets[1].W[1][0])
    assert not np.allclose(nets[0].W[1][1], nets[1].W[1][1])


def test_the_trainer_refuses_per_member_weights_of_the_wrong_shape():
    net = Ensemble([3, 4, 1], members=3, seed=0)
    X, Y = np.ones((10, 3)), np.ones((10, 1))
    with pytest.raises(
        ValueError, match=r"\(n_samples,\) = \(10,\) or \(K, n_samples\) = \(3, 10\)"
    ):
        Trainer(net).fit(X, Y, epochs=1, sample_weight=np.ones((2, 10)))
    s = np.ones((3, 10))
    s[1] = 0.0
    with pytest.raises(ValueError, match="positive sum"):
        Trainer(net).fit(X, Y, epochs=1, sample_weight=s)
