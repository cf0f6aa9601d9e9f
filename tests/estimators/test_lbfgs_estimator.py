"""solver="lbfgs" in MLPClassifier and MLPRegressor, against scikit-learn's own lbfgs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import neural_network
from sklearn.datasets import make_moons, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

import lucidnet
from lucidnet import MLPClassifier, MLPRegressor
from lucidnet.training import Callback

X_MOONS, Y_MOONS = make_moons(200, noise=0.2, random_state=0)

# Most fits here stop at max_iter on purpose (short, deterministic runs); the tests about
# the warning itself use pytest.warns, which sees it regardless of this filter.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _lbfgs(**kw):
    params = {"hidden_layer_sizes": (8,), "activation": "tanh", "solver": "lbfgs"}
    params.update(kw)
    return MLPClassifier(**{"random_state": 0, "alpha": 1e-3, **params})


def test_lbfgs_classifies_the_moons_and_sets_the_fitted_attributes():
    clf = _lbfgs(max_iter=300).fit(X_MOONS, Y_MOONS)
    assert clf.score(X_MOONS, Y_MOONS) > 0.95
    assert 0 < clf.n_iter_ <= 300
    assert isinstance(clf.loss_curve_, list) and len(clf.loss_curve_) == clf.n_iter_
    assert clf.loss_ == pytest.approx(clf.loss_curve_[-1])
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert clf.history_["epoch"] == list(range(1, clf.n_iter_ + 1))
    assert clf.t_ >= clf.n_iter_ * len(X_MOONS)
    net = clf.network_
    J = net.cost(net.forward(X_MOONS.T), Y_MOONS[None, :] * 1.0, clf.alpha)
    assert clf.loss_ == pytest.approx(J, rel=1e-10)


def test_lbfgs_follows_scikit_learns_lbfgs_from_the_same_start():
    # Give scikit-learn's MLP lucidnet's initial weights; 30 iterations of both L-BFGS runs
    # on the same cost must then agree (they differ only by floating-point summation order).
    params = {"hidden_layer_sizes": (8,), "activation": "tanh", "alpha": 1e-3, "max_iter": 30}
    ours = MLPClassifier(solver="lbfgs", random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X_MOONS, Y_MOONS)
        seed = int(check_random_state(0).randint(np.iinfo(np.int32).max))
        start = lucidnet.Network([2, 8, 1], activations=["tanh", "sigmoid"], seed=seed)
        theirs = neural_network.MLPClassifier(
            solver="lbfgs", warm_start=True, random_state=0, **{**params, "max_iter": 1}
        ).fit(X_MOONS, Y_MOONS)
        theirs.coefs_ = [start.W[1].T.copy(), start.W[2].T.copy()]
        theirs.intercepts_ = [start.b[1][:, 0].copy(), start.b[2][:, 0].copy()]
        theirs.set_params(max_iter=30).fit(X_MOONS, Y_MOONS)
    assert ours.n_iter_ == theirs.n_iter_ == 30
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    for a, b in zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_, strict=True
    ):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_lbfgs_regressor():
    X, y = make_regression(150, 3, noise=1.0, random_state=0)
    y = (y - y.mean()) / y.std()
    reg = MLPRegressor((16,), solver="lbfgs", max_iter=500, random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.98
    assert reg.predict(X).shape == (150,)


def test_hitting_max_iter_warns_in_scikit_learns_words():
    with pytest.warns(ConvergenceWarning, match=r"lbfgs failed to converge after 3 iteration"):
        clf = _lbfgs(max_iter=3).fit(X_MOONS, Y_MOONS)
    assert clf.n_iter_ == 3


def test_max_fun_limits_the_cost_evaluations():
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        clf = _lbfgs(max_iter=500, max_fun=5).fit(X_MOONS, Y_MOONS)
    assert clf.n_iter_ < 500


@pytest.mark.parametrize("bad", [0, -1, 1.5, "many"])
def test_max_fun_is_validated(bad):
    with pytest.raises(ValueError, match="The 'max_fun' parameter of MLPClassifier must be"):
        _lbfgs(max_fun=bad).fit(X_MOONS, Y_MOONS)


def test_partial_fit_is_unavailable_like_scikit_learn():
    clf = _lbfgs()
    assert not hasattr(clf, "partial_fit")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as info:
        clf.partial_fit(X_MOONS, Y_MOONS, classes=[0, 1])
    assert "only available for stochastic optimizers" in str(info.value.__cause__)
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    assert hasattr(MLPClassifier(solver="adam"), "partial_fit")


def test_integer_sample_weights_equal_repeated_rows():
    rng = np.random.default_rng(0)
    w = rng.integers(0, 3, size=len(X_MOONS))
    weighted = _lbfgs(max_iter=40).fit(X_MOONS, Y_MOONS, sample_weight=w)
    repeated = _lbfgs(max_iter=40).fit(np.repeat(X_MOONS, w, 0), np.repeat(Y_MOONS, w))
    for a, b in zip(weighted.coefs_, repeated.coefs_, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_class_weight_multiplies_the_rows():
    w = np.where(Y_MOONS == 1, 3.0, 1.0)
    by_class = _lbfgs(max_iter=20, class_weight={0: 1.0, 1: 3.0}).fit(X_MOONS, Y_MOONS)
    by_row = _lbfgs(max_iter=20).fit(X_MOONS, Y_MOONS, sample_weight=w)
    np.testing.assert_allclose(by_class.coefs_[0], by_row.coefs_[0], atol=1e-10)


def test_validation_data_is_scored_after_every_iteration():
    clf = _lbfgs(max_iter=20).fit(
        X_MOONS[:150], Y_MOONS[:150], validation_data=(X_MOONS[150:], Y_MOONS[150:])
    )
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.validation_scores_[-1] == pytest.approx(clf.score(X_MOONS[150:], Y_MOONS[150:]))
    assert {"loss", "val_loss", "val_score"} <= set(clf.history_.keys())


def test_warm_start_continues_from_the_current_weights():
    clf = _lbfgs(max_iter=200, warm_start=True).fit(X_MOONS, Y_MOONS)
    first = clf.loss_
    clf.fit(X_MOONS, Y_MOONS)
    assert clf.loss_ <= first + 1e-12
    assert clf.n_iter_ < 200  # starts near the optimum


def test_minibatch_only_options_are_refused_with_a_hint():
    with pytest.raises(ValueError, match="dropout needs a stochastic solver"):
        _lbfgs(dropout=0.2).fit(X_MOONS, Y_MOONS)
    with pytest.raises(ValueError, match="callbacks run inside the minibatch Trainer"):
        _lbfgs(callbacks=[Callback()]).fit(X_MOONS, Y_MOONS)
    with pytest.raises(ValueError, match="solver='lbfgs' keeps no training state"):
        _lbfgs().fit(X_MOONS, Y_MOONS, resume_from={})


def test_verbose_prints_every_iteration(capsys):
    _lbfgs(max_iter=200, verbose=True).fit(X_MOONS, Y_MOONS)
    out = capsys.readouterr().out
    assert out.startswith("Iteration 1, loss = ")


def test_an_lbfgs_model_saves_and_loads(tmp_path):
    clf = _lbfgs(max_iter=200).fit(X_MOONS, Y_MOONS)
    lucidnet.save(clf, tmp_path / "m.safetensors")
    back = lucidnet.load(tmp_path / "m.safetensors")
    assert back.get_params()["solver"] == "lbfgs" and back.max_fun == 15000
    np.testing.assert_array_equal(back.predict_proba(X_MOONS), clf.predict_proba(X_MOONS))
    assert back.loss_curve_ == clf.loss_curve_


def test_float32_trains_in_float32():
    clf = _lbfgs(max_iter=100).fit(X_MOONS.astype(np.float32), Y_MOONS)
    assert clf.network_.W[1].dtype == np.float32
    assert clf.score(X_MOONS, Y_MOONS) > 0.9


@pytest.mark.parametrize("stop", ["error", "sigint"])
def test_a_stop_mid_run_keeps_the_last_accepted_iterate(monkeypatch, capsys, stop):
    # A Ctrl-C or an error inside a line search leaves network_ at the last accepted
    # iterate, with loss_curve_/n_iter_ to match (not at the trial point being evaluated).
    # The 25th evaluation of J is deep in the run; it raises (or a real SIGINT arrives)
    # while L-BFGS tries a point.
    import signal

    import lucidnet.estimators.lbfgs as module

    calls = []
    original = module.loss_grad

    def loss_grad(net, *args):
        calls.append(args)
        if len(calls) == 25:
            if stop == "error":
                raise RuntimeError("the objective failed")
            signal.raise_signal(signal.SIGINT)
        return original(net, *args)

    monkeypatch.setattr(module, "loss_grad", loss_grad)
    clf = _lbfgs(max_iter=300)
    if stop == "error":
        with pytest.raises(RuntimeError, match="the objective failed"):
            clf.fit(X_MOONS, Y_MOONS)
    else:
        clf.fit(X_MOONS, Y_MOONS)  # returns, as the minibatch Trainer does after a Ctrl-C
        assert "L-BFGS stopped cleanly after" in capsys.readouterr().err
    assert 0 < clf.n_iter_ < 24 and len(clf.loss_curve_) == clf.n_iter_
    assert clf.history_["epoch"] == list(range(1, clf.n_iter_ + 1))
    # network_ is the accepted iterate whose J ends loss_curve_, not a trial point.
    J, _ = original(clf.network_, *calls[0])
    assert J == clf.loss_curve_[-1] == clf.loss_
    assert clf.predict(X_MOONS).shape == (200,)
