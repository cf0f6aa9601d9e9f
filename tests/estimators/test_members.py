"""n_members > 1: K networks trained at once (core/ensemble.py) behind the estimators."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.preprocessing import StandardScaler

import lucidnet
from lucidnet import MLPClassifier, MLPRegressor
from lucidnet.core.ensemble import Ensemble

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(300, 6, random_state=0)
    return X, y


def test_an_ensemble_predicts_its_members_mean(binary):
    X, y = binary
    clf = MLPClassifier((16,), n_members=3, max_iter=30, random_state=0).fit(X, y)
    net = clf.network_
    assert isinstance(net, Ensemble) and net.K == 3 and net.W[1].shape == (3, 16, 6)
    members = [net.member(k).predict_output(X.T)[0] for k in range(3)]
    p = np.mean(members, axis=0)
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], p, rtol=1e-6)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), clf.predict_proba(X), atol=1e-9)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[(p > 0.5).astype(int)])
    assert clf.transform(X).shape == (300, 3 * 16)


def test_multiclass_log_proba_is_the_log_of_the_mean():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = MLPClassifier((8,), n_members=4, max_iter=50, random_state=0).fit(X, y)
    p = np.mean([clf.network_.member(k).predict_output(X.T).T for k in range(4)], axis=0)
    np.testing.assert_allclose(clf.predict_proba(X), p, rtol=1e-6)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(p), rtol=1e-6)


def test_one_member_is_the_plain_network(binary):
    X, y = binary
    a = MLPClassifier((16,), max_iter=20, random_state=0).fit(X, y)
    b = MLPClassifier((16,), n_members=1, max_iter=20, random_state=0).fit(X, y)
    assert not isinstance(b.network_, Ensemble)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_regression_ensemble_and_its_model_file(tmp_path):
    X, y = load_diabetes(return_X_y=True)
    y = (y - y.mean()) / y.std()
    reg = MLPRegressor((32,), n_members=3, max_iter=60, random_state=0).fit(X, y)
    mean = np.mean([reg.network_.member(k).predict_output(X.T)[0] for k in range(3)], axis=0)
    np.testing.assert_allclose(reg.predict(X), mean, rtol=1e-6)
    lucidnet.save(reg, tmp_path / "r.safetensors")
    again = lucidnet.load(tmp_path / "r.safetensors")
    assert again.n_members == 3
    np.testing.assert_array_equal(again.predict(X), reg.predict(X))


def test_label_smoothing_softens_the_training_targets(binary):
    X, y = binary
    clf = MLPClassifier((8,), label_smoothing=0.2, max_iter=1, random_state=0).fit(X, y)
    Y = clf.encode_targets(y)
    np.testing.assert_allclose(clf._training_targets(Y), 0.8 * Y + 0.1)
    sharp = MLPClassifier((8,), max_iter=200, random_state=0).fit(X, y)
    soft = MLPClassifier((8,), label_smoothing=0.2, max_iter=200, random_state=0).fit(X, y)
    # smoothed targets keep the probabilities away from 0 and 1
    assert np.max(soft.predict_proba(X)) < np.max(sharp.predict_proba(X))
    with pytest.raises(ValueError, match="label_smoothing"):
        MLPClassifier(label_smoothing=1.0).fit(X, y)


@pytest.mark.parametrize("n_members", [1, 3])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel", "strings"])
def test_predict_with_proba_is_the_two_calls_from_one_pass(n_members, target):
    X, y = make_classification(9000, 6, n_informative=4, n_classes=3, random_state=1)
    if target == "binary":
        y = (y > 0).astype(int)
    elif target == "multilabel":
        y = np.stack([y == 0, y == 2], axis=1).astype(int)
    elif target == "strings":
        y = np.array(["a", "b", "c"])[y]
    for dtype in ("float32", "float64"):  # 9,000 rows: two prediction blocks
        clf = MLPClassifier((8,), n_members=n_members, max_iter=3, dtype=dtype, random_state=0)
        clf.fit(X, y)
        labels, proba = clf.predict_with_proba(X)
        np.testing.assert_array_equal(labels, clf.predict(X))
        np.testing.assert_array_equal(proba, clf.predict_proba(X))
        assert proba.dtype == clf.predict_proba(X).dtype
