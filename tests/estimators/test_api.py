"""The estimators in scikit-learn's machinery, their targets, extras and input errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, make_classification, make_moons, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from lucidnet import MLPClassifier, MLPRegressor, Network

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def moons():
    return make_moons(200, noise=0.15, random_state=0)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# ---------------------------------------------------------------- scikit-learn machinery


def test_pipeline_gridsearch_cross_val(iris):
    X, y = iris
    pipe = make_pipeline(
        StandardScaler(), MLPClassifier((8,), max_iter=100, learning_rate_init=0.05, random_state=0)
    )
    search = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 1e-2]}, cv=3).fit(X, y)
    assert search.best_score_ > 0.8
    scores = cross_val_score(
        MLPClassifier((8,), max_iter=100, learning_rate_init=0.05, random_state=0), X, y, cv=3
    )
    assert scores.shape == (3,) and scores.mean() > 0.8


def test_clone_and_pickle(moons):
    X, y = moons
    clf = MLPClassifier((8,), max_iter=50, random_state=0).fit(X, y)
    twin = clone(clf)
    assert "network_" not in twin.__dict__ and twin.get_params() == clf.get_params()
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_same_random_state_same_weights(moons):
    X, y = moons
    a = MLPClassifier((8,), max_iter=20, random_state=3).fit(X, y)
    b = MLPClassifier((8,), max_iter=20, random_state=3).fit(X, y)
    for Wa, Wb in zip(a.coefs_, b.coefs_, strict=True):
        np.testing.assert_array_equal(Wa, Wb)
    c = MLPClassifier((8,), max_iter=20, random_state=4).fit(X, y)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


# ---------------------------------------------------------------- targets


def test_binary_string_labels_sorted(moons):
    X, y = moons
    labels = np.where(y == 1, "yes", "no")
    clf = MLPClassifier((16,), max_iter=200, learning_rate_init=0.01, random_state=0).fit(X, labels)
    assert list(clf.classes_) == ["no", "yes"]
    assert set(clf.predict(X)) <= {"no", "yes"}
    proba = clf.predict_proba(X)
    assert proba.shape == (200, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 1
    assert clf.score(X, labels) > 0.85
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-10)
    assert clf.decision_function(X).shape == (200,)


def test_multiclass(iris):
    X, y = iris
    clf = MLPClassifier((16,), max_iter=300, learning_rate_init=0.01, random_state=0).fit(X, y)
    assert clf.out_activation_ == "softmax" and clf.n_outputs_ == 3
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-10)
    assert clf.score(X, y) > 0.9


def test_multilabel():
    X, Y = make_classification(300, 6, n_informative=4, random_state=0), None
    X, y = X
    Y = np.column_stack([y, (X[:, 0] > 0).astype(int), (X[:, 1] + X[:, 2] > 0).astype(int)])
    clf = MLPClassifier((32,), max_iter=300, random_state=0).fit(X, Y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 3
    pred = clf.predict(X)
    assert pred.shape == (300, 3) and set(np.unique(pred)) <= {0, 1}
    assert clf.predict_proba(X).shape == (300, 3)
    assert clf.score(X, Y) > 0.7


def test_regression_single_and_multi_output():
    X, y = make_regression(200, 5, n_targets=2, noise=1.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    y = y / y.std(axis=0)
    multi = MLPRegressor((32,), max_iter=400, learning_rate_init=0.01, random_state=0).fit(X, y)
    assert multi.predict(X).shape == (200, 2) and multi.score(X, y) > 0.9
    single = MLPRegressor((32,), max_iter=400, learning_rate_init=0.01, random_state=0).fit(
        X, y[:, 0]
    )
    assert single.predict(X).shape == (200,) and single.out_activation_ == "identity"


def test_float32_stays_float32(moons):
    X, y = moons
    clf = MLPClassifier((8,), max_iter=20, random_state=0).fit(X.astype(np.float32), y)
    assert clf.coefs_[0].dtype == np.float32
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32
    reg = MLPRegressor((8,), max_iter=20, random_state=0).fit(X, y.astype(float))
    assert reg.coefs_[0].dtype == np.float64


# ---------------------------------------------------------------- attributes and extras


def test_lecture_form_and_sklearn_orientation(moons):
    X, y = moons
    clf = MLPClassifier((8, 4), max_iter=30, random_state=0).fit(X, y)
    net = clf.network_
    assert isinstance(net, Network) and net.n == [2, 8, 4, 1]
    assert [c.shape for c in clf.coefs_] == [(2, 8), (8, 4), (4, 1)]
    for l in range(1, net.L + 1):
        np.testing.assert_array_equal(clf.coefs_[l - 1], net.W[l].T)
        np.testing.assert_array_equal(clf.intercepts_[l - 1], net.b[l][:, 0])
    assert clf.n_layers_ == 4 and clf.n_iter_ == len(clf.loss_curve_)
    assert clf.t_ == clf.n_iter_ * X.shape[0]
    phi = clf.transform(X)
    assert phi.shape == (200, 4)
    # The head is a linear model on the learned features: it reproduces predict_proba.
    p = clf.head_.predict_output(phi.T)[0]
    np.testing.assert_allclose(p, clf.predict_proba(X)[:, 1], rtol=1e-12)


def test_per_layer_activations_and_dropout(moons):
    X, y = moons
    clf = MLPClassifier(
        (16, 8),
        activation=["tanh", "relu"],
        dropout=0.1,
        max_iter=200,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, y)
    assert clf.network_.activation_names == ["tanh", "relu", "sigmoid"]
    assert clf.score(X, y) > 0.8


def test_validation_data_history_and_early_stopping(moons):
    X, y = moons
    clf = MLPClassifier(
        (16,),
        max_iter=500,
        learning_rate_init=0.01,
        early_stopping=True,
        n_iter_no_change=5,
        random_state=0,
    ).fit(X[:150], y[:150], validation_data=(X[150:], y[150:]))
    rec = clf.history_.records
    assert {"loss", "val_loss", "val_score", "lr", "seconds"} <= set(rec[-1])
    assert clf.n_iter_ < 500
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None


def test_class_weight_balanced_shifts_decision():
    X, y = make_classification(
        600, 4, n_informative=2, weights=[0.9, 0.1], class_sep=0.5, random_state=1
    )
    plain = MLPClassifier((8,), max_iter=100, random_state=0).fit(X, y)
    balanced = MLPClassifier((8,), max_iter=100, random_state=0, class_weight="balanced").fit(X, y)
    assert (balanced.predict(X) == 1).sum() > (plain.predict(X) == 1).sum()
    heavy = MLPClassifier((8,), max_iter=100, random_state=0, class_weight={1: 20.0}).fit(X, y)
    assert (heavy.predict(X) == 1).sum() > (plain.predict(X) == 1).sum()


def test_partial_fit_and_warm_start(moons):
    X, y = moons
    clf = MLPClassifier((8,), random_state=0)
    for _ in range(5):
        clf.partial_fit(X, y, classes=[0, 1])
    assert clf.n_iter_ == 5 and len(clf.loss_curve_) == 5
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X, np.full(200, 7))


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["no", "yes"], dtype=object),
        np.array(["a", "b", "c"]),
        np.array([3, 7]),
        np.array([-1, 0, 5, 9]),
        np.array([0.0, 1.0]),
        np.array([True, False]),
    ],
)
def test_later_labels_are_encoded_as_the_label_binarizer_encodes_them(labels):
    # After the first fit, labels of the known classes take a hashing path: the same
    # matrix as LabelBinarizer's; a label outside the classes is still refused.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = labels[np.arange(60) % len(labels)]
    clf = MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    later = rng.permutation(y)
    Y = clf._encode_targets(later, first=False)
    np.testing.assert_array_equal(Y, clf._label_binarizer.transform(later).astype(np.float64))
    assert Y.dtype == np.float64 and Y.shape == (60, 1 if len(labels) == 2 else len(labels))
    if labels.dtype != bool:  # both booleans are classes
        unseen = np.array([*later[:3], 99 if labels.dtype.kind in "iuf" else "zz"], labels.dtype)
        with pytest.raises(ValueError, match="classes not in"):
            clf._encode_targets(unseen, first=False)


def test_partial_fit_checks_y_against_classes_on_the_first_call(moons):
    # A label outside `classes` is an error, never silently encoded as all zeros.
    X, y = moons
    labels = np.where(y == 1, "b", "a").astype(object)
    labels[:3] = "z"
    clf = MLPClassifier((4,), random_state=0)
    with pytest.raises(ValueError, match=r"`y` has classes not in `classes`: \['z'\]"):
        clf.partial_fit(X, labels, classes=["a", "b"])
    assert "network_" not in clf.__dict__  # nothing was trained: a later call starts afresh
    clf.partial_fit(X[3:], labels[3:], classes=["a", "b", "c"])  # unused classes are fine
    assert list(clf.classes_) == ["a", "b", "c"] and clf.n_iter_ == 1


def test_warm_start_changes_the_weights(moons):
    X, y = moons
    warm = MLPClassifier((8,), max_iter=5, warm_start=True, random_state=0).fit(X, y)
    first = warm.coefs_[0].copy()
    warm.fit(X, y)
    assert not np.array_equal(first, warm.coefs_[0])


def test_check_gradients_method(moons):
    X, y = moons
    clf = MLPClassifier((4,), activation="tanh", max_iter=5, random_state=0).fit(X, y)
    assert clf.check_gradients(X[:5], y[:5]).max_error < 1e-6


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (np.array([[np.nan, 1.0], [1.0, 2.0]]), [0, 1], "NaN"),
        (np.array([[np.inf, 1.0], [1.0, 2.0]]), [0, 1], "infinity"),
        (np.empty((0, 2)), [], "0 sample"),
        (np.empty((2, 0)), [0, 1], "0 feature"),
        (np.array([1.0, 2.0]), [0, 1], "Expected 2D array"),
        (np.ones((2, 2, 2)), [0, 1], "dim 3"),
        (np.array([[1 + 1j, 2.0], [3.0, 4.0]]), [0, 1], "Complex data not supported"),
        (np.ones((3, 2)), [0.1, 0.2, 0.3], "Unknown label type"),
        (np.ones((3, 2)), [1, 1, 1], "at least 2 classes"),
        (np.ones((3, 2)), [0, 1], "inconsistent numbers of samples"),
        (np.array([[1.0, 2.0], [3.0, 4.0]]), [0, np.nan], "NaN"),
    ],
)
def test_fit_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        MLPClassifier((4,), max_iter=2).fit(X, y)


def test_sample_weight_errors(moons):
    X, y = moons
    clf = MLPClassifier((4,), max_iter=2)
    with pytest.raises(ValueError, match="Negative values"):
        clf.fit(X, y, sample_weight=np.r_[-1.0, np.ones(199)])
    with pytest.raises(ValueError, match="at least one non-zero"):
        clf.fit(X, y, sample_weight=np.zeros(200))
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(10,\), expected \(200,\)"):
        clf.fit(X, y, sample_weight=np.ones(10))


def test_predict_errors(moons):
    X, y = moons
    with pytest.raises(NotFittedError):
        MLPClassifier().predict(X)
    clf = MLPClassifier((4,), max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 2"):
        clf.predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match="Reshape your data"):
        clf.predict(np.ones(2))
    with pytest.raises(ValueError, match="NaN"):
        clf.predict_proba(np.array([[np.nan, 0.0]]))
    with pytest.raises(ValueError, match="classes must be passed"):
        MLPClassifier().partial_fit(X, y)
    with pytest.raises(ValueError, match="early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1])


def test_parameter_error_template():
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(
        InvalidParameterError,
        match=r"The 'alpha' parameter of MLPClassifier must be a float in the range \[0.0, inf\)."
        r" Got -1 instead.",
    ):
        MLPClassifier(alpha=-1).fit(np.ones((4, 2)), [0, 1, 0, 1])
    with pytest.raises(InvalidParameterError, match="'activation' parameter of MLPRegressor"):
        MLPRegressor(activation="swish").fit(np.ones((4, 2)), [0.0, 1, 0, 1])


def test_binary_predict_proba_keeps_precision_for_confident_predictions():
    X = np.array([[-3.0], [-1.0], [1.0], [3.0]])
    clf = MLPClassifier((2,), max_iter=2, random_state=0).fit(X, [0, 0, 1, 1])
    net = clf.network_
    net.W[2] = net.W[2] * 0 + 50.0  # push z far beyond 37, where 1 − σ(z) rounds to 0
    proba = clf.predict_proba(X)
    assert np.all(proba > 0)
    np.testing.assert_allclose(np.log(proba), clf.predict_log_proba(X), rtol=1e-10, atol=1e-12)


def test_binary_log_proba_is_the_log_sigmoid_of_the_decision_function():
    from scipy.special import log_expit

    X = np.linspace(-3, 3, 40)[:, None]
    clf = MLPClassifier((3,), max_iter=2, random_state=0).fit(X, (X[:, 0] > 0).astype(int))
    clf.network_.W[2] = clf.network_.W[2] * 200.0  # z from about −600 to 600: both tails
    z = clf.decision_function(X)
    assert z.min() < -40 and z.max() > 40
    expected = np.column_stack([log_expit(-z), log_expit(z)])  # [log σ(−z), log σ(z)]
    floor = np.log(np.finfo(np.float64).smallest_normal)
    np.testing.assert_allclose(
        clf.predict_log_proba(X), np.maximum(expected, floor), rtol=1e-12, atol=1e-300
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_predict_proba_is_exp_of_predict_log_proba(dtype):
    # Where softmax underflows, predict_proba agrees with the finite predict_log_proba
    # (not exactly 0 with a log of -inf); scikit-learn's checks compare the two.
    X, y = load_iris(return_X_y=True)
    X = X.astype(dtype)
    clf = MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    clf.network_.W[2] = clf.network_.W[2] * 1e4  # logit gaps far past 745 (float64)
    proba, log_proba = clf.predict_proba(X), clf.predict_log_proba(X)
    assert proba.dtype == log_proba.dtype == dtype
    assert np.all(proba > 0) and np.all(np.isfinite(log_proba))
    tiny = np.finfo(dtype).smallest_normal
    np.testing.assert_allclose(proba.min(), tiny, rtol=1e-5)  # the floor was reached
    np.testing.assert_array_equal(proba, np.exp(log_proba))
    np.testing.assert_allclose(np.log(proba), log_proba, rtol=1e-6)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))


@pytest.mark.parametrize("name", ["momentum", "validation_fraction", "beta_1", "beta_2"])
def test_interval_parameters_are_scikit_learns(name):
    # The same intervals as scikit-learn's: validation_fraction accepts 0, and a momentum
    # the estimator accepts is one SGD accepts.
    from sklearn.neural_network import MLPClassifier as SkMLP

    (ours,), (theirs,) = (
        MLPClassifier._parameter_constraints[name],
        SkMLP._parameter_constraints[name],
    )
    assert (ours.left, ours.right, ours.closed) == (theirs.left, theirs.right, theirs.closed)


def test_momentum_and_validation_fraction_boundaries(moons):
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = moons
    for momentum in (0.0, 1.0):  # both ends are allowed, by the estimator and by SGD
        clf = MLPClassifier((4,), solver="sgd", momentum=momentum, max_iter=2, random_state=0)
        assert clf.fit(X, y).n_iter_ == 2
    with pytest.raises(InvalidParameterError, match="'momentum' parameter"):
        MLPClassifier(solver="sgd", momentum=1.0001).fit(X, y)
    assert MLPClassifier((4,), validation_fraction=0.0, max_iter=2).fit(X, y).n_iter_ == 2
    with pytest.raises(ValueError, match="validation_fraction"):  # as scikit-learn: at fit
        MLPClassifier((4,), validation_fraction=0.0, early_stopping=True).fit(X, y)
    for fraction in (1.0, -0.1):
        with pytest.raises(InvalidParameterError, match="'validation_fraction' parameter"):
            MLPClassifier(validation_fraction=fraction).fit(X, y)
