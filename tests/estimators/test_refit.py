"""fit_cross_fitted with folds given: the seeded split's folds give the same fit, and a
row of fold −1 trains every member and scores none."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.utils import check_random_state

from lucidnet import MLPClassifier
from lucidnet.estimators.refit import fit_cross_fitted
from lucidnet.training.crossfit import cross_fit_folds, fold_weights


def _data():
    return make_classification(n_samples=240, n_features=5, random_state=0)


def _est():
    return MLPClassifier((8,), n_members=3, max_iter=8, n_iter_no_change=2, random_state=4)


def test_the_seeded_folds_given_are_the_same_fit():
    X, y = _data()
    default = fit_cross_fitted(_est(), X, y)
    seed = int(check_random_state(4).randint(np.iinfo(np.int32).max))
    given = fit_cross_fitted(_est(), X, y, folds=cross_fit_folds(len(X), 3, seed, y))
    np.testing.assert_array_equal(default.fold_, given.fold_)
    assert default.member_epochs_ == given.member_epochs_
    for a, b in zip(default.coefs_, given.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_row_of_fold_minus_one_trains_every_member_and_scores_none():
    X, y = _data()
    folds = np.arange(len(X)) % 4 - 1  # −1, 0, 1, 2, −1, ...
    np.testing.assert_array_equal(fold_weights(folds, 3)[:, folds == -1], 1.0)
    est = fit_cross_fitted(_est(), X, y, folds=folds)
    assert np.isnan(est.oof_output_[folds == -1]).all()
    assert not np.isnan(est.oof_output_[folds >= 0]).any()
    assert len(est.member_epochs_) == 3 and est.fold_.tolist() == folds.tolist()


@pytest.mark.parametrize("folds", [np.full(240, 3), np.full(240, -2), np.zeros(10, dtype=int)])
def test_folds_out_of_range_or_of_the_wrong_length_are_refused(folds):
    X, y = _data()
    with pytest.raises(ValueError, match=r"folds must give each of the 240 rows a fold in -1\.\.2"):
        fit_cross_fitted(_est(), X, y, folds=folds)
