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


class _Active(Callback):
    """Sets the members that step from the end of epoch ``after`` on (None: every member)."""

    order = 30  # after CrossFit: this one has the last word

    def __init__(self, members, after=1):
        self.members, self.after = members, after

    def on_epoch_end(self, trainer, epoch, logs):
        if epoch >= self.after:
            trainer.active_members = self.members


class _Snapshots(Callback):
    """Every epoch's weights."""

    def __init__(self):
        self.weights = []

    def on_epoch_end(self, trainer, epoch, logs):
        self.weights.append([np.array(p, copy=True) for p in trainer.epoch_params])


def _embedded_ensemble(K):
    from lucidnet.core.embedded import EmbeddedEnsemble
    from lucidnet.core.embeddings import PeriodicEmbedding

    embedding = PeriodicEmbedding(4, (0, 2), n_frequencies=3, dim=4)
    return EmbeddedEnsemble(embedding, [4, 6, 1], members=K, hidden_activation="tanh", seed=0)


def _network(kind, K):
    return _embedded_ensemble(K) if kind == "embedded" else Ensemble([4, 6, 1], members=K, seed=0)


class _Batches(Callback):
    """Counts the steps (a callback after every minibatch, as a progress bar is)."""

    def __init__(self):
        self.steps = 0

    def on_batch_end(self, trainer, batch, logs):
        self.steps += 1


@pytest.mark.parametrize(
    ("kind", "per_member"), [("plain", True), ("plain", False), ("embedded", True)]
)
def test_members_left_out_stop_stepping_and_the_others_step_as_before(kind, per_member):
    """SGD: a member left out keeps its weights; the stepping members' steps are unchanged."""
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(90, 4)), (rng.random((90, 1)) < 0.5).astype(float)
    K = 3
    s = fold_weights(cross_fit_folds(90, K, seed=0), K) if per_member else rng.random((K, 90))
    runs = []
    for callbacks in ([], [_Active(np.array([0, 2]))]):
        net = _network(kind, K)
        snapshots, batches = _Snapshots(), _Batches()
        trainer = Trainer(net, optimizer="sgd", learning_rate=0.1, batch_size=16, seed=0,
                          callbacks=[snapshots, batches, *callbacks])  # fmt: skip
        trainer.fit(X, Y, epochs=3, sample_weight=s)
        after_one = snapshots.weights[0]
        assert batches.steps == 3 * 6  # ⌈90 / 16⌉ steps per epoch
        runs.append((after_one, [np.array(p) for p in trainer.params], trainer.history))
    (one_all, three_all, hist_all), (one_some, three_some, hist_some) = runs
    for a, b in zip(one_all, one_some, strict=True):
        np.testing.assert_array_equal(a, b)  # the first epoch: every member steps
    for before, every, some in zip(one_some, three_all, three_some, strict=True):
        np.testing.assert_array_equal(some[1], before[1])  # member 1 no longer steps
        assert not np.array_equal(every[1], before[1])  # where it would have moved
        np.testing.assert_allclose(some[[0, 2]], every[[0, 2]], rtol=0, atol=1e-13)
    assert hist_some.records[-1]["loss"] != hist_all.records[-1]["loss"]  # theirs only


@pytest.mark.parametrize("kind", ["plain", "embedded"])
def test_a_cross_fitted_training_is_the_same_when_done_members_stop_stepping(kind):
    """The kept (best) weights, epochs and fold losses do not depend on stepping done members."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 4))
    Y = (X[:, :1] + 0.7 * rng.normal(size=(150, 1)) > 0).astype(float)
    K = 3
    folds = cross_fit_folds(len(X), K, seed=5, labels=Y[:, 0])
    runs = []
    for every_member in (False, True):
        net = _network(kind, K)
        scorer = CrossFit(X, Y, folds, patience=3)
        keep_all = [_Active(None, after=0)] if every_member else []
        trainer = Trainer(net, learning_rate=0.05, batch_size=16, seed=2,
                          callbacks=[scorer, *keep_all])  # fmt: skip
        trainer.fit(X, Y, epochs=60, sample_weight=fold_weights(folds, K))
        runs.append((scorer, [np.array(p) for p in trainer.params], trainer.epoch))
    (dropped, kept_d, epochs_d), (stepped, kept_s, epochs_s) = runs
    assert len(set(dropped.best_epochs_.tolist())) > 1  # members were done at different epochs
    assert epochs_d == epochs_s
    np.testing.assert_array_equal(dropped.best_epochs_, stepped.best_epochs_)
    np.testing.assert_allclose(dropped.best_losses_, stepped.best_losses_, rtol=1e-12)
    for a, b in zip(kept_d, kept_s, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_the_trainer_is_told_which_members_are_not_done():
    trainer, _net, scorer, *_ = _fit(patience=2)
    assert trainer.active_members is not None and len(trainer.active_members) == 0
    assert scorer.done.all()


def test_a_members_patience_follows_its_best_epoch():
    # p_k = min(patience, max(min_patience, ⌈share · e_k⌉))
    scorer = CrossFit(np.zeros((4, 1)), np.zeros((4, 1)), np.array([0, 1, 2, 3]), 11,
                      patience_share=0.5, min_patience=4)  # fmt: skip
    scorer.wait = np.zeros(4, dtype=np.int64)
    scorer.best_epochs_ = np.array([0, 7, 9, 40])
    np.testing.assert_array_equal(scorer.member_patience, [4, 4, 5, 11])
    scorer.wait = np.array([4, 3, 5, 10])
    np.testing.assert_array_equal(scorer.done, [True, False, True, False])
    fixed = CrossFit(np.zeros((4, 1)), np.zeros((4, 1)), np.array([0, 1, 2, 3]), 11)
    fixed.wait, fixed.best_epochs_ = np.zeros(4, dtype=np.int64), np.array([0, 7, 9, 40])
    np.testing.assert_array_equal(fixed.member_patience, [11] * 4)


def test_members_stop_at_their_own_patience_when_it_follows_the_best_epoch():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    Y = (X[:, :1] + 0.5 * rng.normal(size=(120, 1)) > 0).astype(float)
    folds = cross_fit_folds(len(X), 3, seed=5, labels=Y[:, 0])
    net = Ensemble([4, 16, 1], members=3, hidden_activation="relu", seed=1)
    scorer = CrossFit(X, Y, folds, patience=12, patience_share=0.5, min_patience=2)
    recorder = _Recorder(X, Y, folds)
    trainer = Trainer(net, learning_rate=0.05, batch_size=16, seed=2, callbacks=[scorer, recorder])
    trainer.fit(X, Y, epochs=80, sample_weight=fold_weights(folds, 3))
    losses = np.array(recorder.losses)
    for k in range(3):
        e = int(scorer.best_epochs_[k])
        p = min(12, max(2, int(np.ceil(0.5 * e))))
        assert scorer.member_patience[k] == p
        assert int(np.argmin(losses[: e + p, k])) + 1 == e  # no better epoch before it stopped
        assert (losses[e : e + p, k] >= losses[e - 1, k]).all()  # p epochs without improvement
    assert trainer.epoch == int((scorer.best_epochs_ + scorer.member_patience).max())


def test_a_fold_scored_in_chunks_gives_the_same_loss_and_outputs():
    """Σ_c n_c J_c / Σ_c n_c over chunks of 7 rows = the fold's mean loss at once."""
    results = []
    for chunk_rows in (10_000, 7):
        rng = np.random.default_rng(0)
        X = rng.normal(size=(120, 4))
        Y = (X[:, :1] + 0.5 * rng.normal(size=(120, 1)) > 0).astype(float)
        folds = cross_fit_folds(len(X), 3, seed=5, labels=Y[:, 0])
        net = Ensemble([4, 16, 1], members=3, hidden_activation="relu", seed=1)
        scorer = CrossFit(X, Y, folds, patience=3, chunk_rows=chunk_rows)
        Trainer(net, learning_rate=0.05, batch_size=16, seed=2, callbacks=[scorer]).fit(
            X, Y, epochs=30, sample_weight=fold_weights(folds, 3)
        )
        results.append(scorer)
    whole, chunked = results
    np.testing.assert_array_equal(whole.best_epochs_, chunked.best_epochs_)
    np.testing.assert_allclose(chunked.best_losses_, whole.best_losses_, rtol=1e-12)
    np.testing.assert_allclose(chunked.oof_, whole.oof_, rtol=1e-12)


def test_scoring_the_epochs_by_hand_is_what_the_callback_does():
    """score_epoch over each epoch's weights (a file pass's) = the callback in a fit."""
    trainer, net, scorer, recorder, X, Y, folds = _fit()
    by_hand = CrossFit(X, Y, folds, patience=3)
    by_hand.begin(net)
    for epoch, params in enumerate(recorder.weights, start=1):
        by_hand.score_epoch(net, params, epoch)
        if by_hand.done.all():
            break
    assert epoch == trainer.epoch and by_hand.stop_reason == trainer.stop_reason
    np.testing.assert_array_equal(by_hand.best_epochs_, scorer.best_epochs_)
    np.testing.assert_array_equal(by_hand.best_losses_, scorer.best_losses_)
    np.testing.assert_array_equal(by_hand.oof_, scorer.oof_)
    for kept, restored in zip(by_hand.best_weights, trainer.params, strict=True):
        np.testing.assert_array_equal(kept, restored)


def test_the_out_of_fold_loss_is_the_mean_loss_of_the_out_of_fold_outputs():
    # Σ_k n_k · best_loss_k / Σ_k n_k = the log-loss of oof_ over every row
    _trainer, _net, scorer, _recorder, _X, Y, folds = _fit()
    sizes = np.bincount(folds)
    assert scorer.oof_loss() == pytest.approx(sizes @ scorer.best_losses_ / sizes.sum(), rel=1e-12)
    assert scorer.oof_loss(np.ones(3)) == pytest.approx(scorer.best_losses_.mean(), rel=1e-12)
    p = scorer.oof_[:, 0]
    log_loss = -np.mean(Y[:, 0] * np.log(p) + (1 - Y[:, 0]) * np.log(1 - p))
    assert scorer.oof_loss() == pytest.approx(log_loss, rel=1e-9)


def test_a_fold_without_rows_to_score_is_refused():
    net = Ensemble([2, 3, 1], members=3, seed=0)
    scorer = CrossFit(np.zeros((4, 2)), np.zeros((4, 1)), np.array([0, 1, 0, 1]), patience=2)
    with pytest.raises(ValueError, match=r"fold\(s\) \[2\] have none of the 4 rows"):
        scorer.begin(net)
