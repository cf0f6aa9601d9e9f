"""MemberEpochs: each member's held-out loss, its own best epoch's weights, its patience."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

from lucidnet.core.parameters import parameters
from lucidnet.estimators import MLPClassifier
from lucidnet.training.member_epochs import MemberEpochs
from lucidnet.training.validation import evaluate


def _data():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return X[:400], y[:400], X[400:], y[400:]


def test_each_member_keeps_its_own_best_epoch_and_its_loss_is_its_own_cost():
    X, y, X_val, y_val = _data()
    est = MLPClassifier((8,), n_members=3, learning_rate_init=0.05, random_state=0)
    est.set_params(max_iter=1)
    classes = np.unique(y)
    est.partial_fit(X, y, classes=classes)
    members = MemberEpochs(X_val, est.encode_targets(y_val), patience=3)
    kept: dict[int, list] = {}
    per_epoch = []
    for epoch in range(1, 16):
        if epoch > 1:
            est.partial_fit(X, y)
        losses = members.offer(est.network_, epoch)
        per_epoch.append(losses)
        kept[epoch] = [np.array(p, copy=True) for p in parameters(est.network_)]
        # J = (1/K) Σ_k J_k: the members' losses average to the ensemble's val_loss
        Y_val = est.encode_targets(y_val)
        mean = evaluate(est.network_, (X_val, Y_val, None), {})["val_loss"]
        np.testing.assert_allclose(losses.mean(), mean, rtol=1e-10)
    per_epoch = np.array(per_epoch)
    for k in range(3):  # patience 3: a member's best is the minimum up to where it stopped
        best = int(members.best_epochs_[k])
        assert members.best_losses_[k] == per_epoch[best - 1, k]
        assert np.all(per_epoch[:best, k] >= per_epoch[best - 1, k])
        if members.done[k]:
            assert np.all(per_epoch[best : best + 3, k] >= per_epoch[best - 1, k])
    members.restore(est.network_)
    for k in range(3):
        for p, q in zip(parameters(est.network_), kept[int(members.best_epochs_[k])], strict=True):
            np.testing.assert_array_equal(p[k], q[k])


def test_a_second_training_keeps_each_member_at_its_own_epoch():
    X, y, X_val, y_val = _data()
    est = MLPClassifier((8,), n_members=2, random_state=1, max_iter=1)
    est.partial_fit(X, y, classes=np.unique(y))
    members = MemberEpochs(X_val, est.encode_targets(y_val), patience=2)
    members.offer(est.network_, 1)
    members.best_epochs_[:] = [2, 3]  # as if member 0 chose epoch 2 and member 1 epoch 3
    again = MLPClassifier((8,), n_members=2, random_state=5, max_iter=1)
    again.partial_fit(X, y, classes=np.unique(y))
    snaps = {}
    for epoch in (1, 2, 3):
        if epoch > 1:
            again.partial_fit(X, y)
        members.snapshot(again.network_, epoch)
        snaps[epoch] = [np.array(p, copy=True) for p in parameters(again.network_)]
    members.restore(again.network_)
    for k, epoch in enumerate((2, 3)):
        for p, q in zip(parameters(again.network_), snaps[epoch], strict=True):
            np.testing.assert_array_equal(p[k], q[k])
