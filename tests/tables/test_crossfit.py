"""The recipe cross-fitted (Recipe(cross_fit=True)): K members, each leaving its own fold out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss

from lucidnet.tables import InMemorySource, Recipe, TabularClassifier, TabularRegressor, fit_table
from lucidnet.tables.persist import load, save

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = {"hidden_layer_sizes": (16,), "n_members": 3, "max_epochs": 30, "patience": 3}


def _classes(n: int = 240, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = np.where(X.a + 0.5 * rng.normal(size=n) > 0.4, "yes", "no")
    return X, y


def test_the_default_recipe_cross_fits_tables_up_to_the_limit_with_two_members_or_more():
    recipe = Recipe()
    assert recipe.cross_fit is None and recipe.cross_fit_max_rows == 1_000_000
    assert recipe.cross_fits(1_000_000, 2) and recipe.cross_fits(10, 4)
    assert not recipe.cross_fits(1_000_001, 4)  # the budget path: held-out rows
    assert not recipe.cross_fits(1_000, 1)  # one member: choose the epochs, refit
    assert not Recipe(choose_epochs=False).cross_fits(1_000, 4)  # the user's own epochs
    assert Recipe(cross_fit=True).cross_fits(10**6, 4) and Recipe(cross_fit=True).cross_fits(10, 1)
    assert not Recipe(cross_fit=False).cross_fits(10, 4)


def test_the_default_cross_fits_every_row_trains_k_minus_1_members_and_no_refit():
    X, y = _classes()
    clf = TabularClassifier(random_state=0, **SMALL).fit(X, y)
    est = clf.estimator_
    K = SMALL["n_members"]
    assert est.fold_.shape == (len(X),) and set(est.fold_.tolist()) == set(range(K))
    # member k weighs the rows of fold k 0: each row trains K − 1 of the K members
    assert est.n_iter_ >= clf.selected_epochs_ == max(est.member_epochs_)
    assert "cross_fit_epochs" in clf.model_.metrics and "refit_epochs" not in clf.model_.metrics
    assert clf.model_.metrics["rows_trained"] == len(X)


def test_cross_fit_false_is_the_held_out_choice_of_epochs_and_the_refit():
    X, y = _classes()
    clf = TabularClassifier(cross_fit=False, random_state=0, **SMALL).fit(X, y)
    assert not hasattr(clf.estimator_, "fold_")
    assert clf.model_.metrics["refit_epochs"] == clf.selected_epochs_ == clf.estimator_.n_iter_


def test_one_member_or_a_table_over_the_limit_falls_back_to_the_refit():
    X, y = _classes()
    one = TabularClassifier(random_state=0, **{**SMALL, "n_members": 1}).fit(X, y)
    assert not hasattr(one.estimator_, "fold_") and "refit_epochs" in one.model_.metrics
    source = InMemorySource(X.assign(label=y), "label", validation=0.2, seed=0)
    recipe = Recipe(cross_fit_max_rows=len(X) - 1, **SMALL)
    fit = fit_table(source, task="classification", recipe=recipe, seed=0)
    assert not hasattr(fit.model.estimator, "fold_") and "refit_epochs" in fit.model.metrics
    assert source.val_frame is not None and len(source.val_frame) == round(0.2 * len(X))


def test_each_member_leaves_its_fold_out_and_the_folds_are_stratified():
    X, y = _classes()
    clf = TabularClassifier(cross_fit=True, random_state=0, **SMALL).fit(X, y)
    est = clf.estimator_
    folds = est.fold_
    assert folds.shape == (len(X),) and set(folds.tolist()) == {0, 1, 2}
    for label in ("yes", "no"):
        counts = np.bincount(folds[y == label], minlength=3)
        assert counts.max() - counts.min() <= 1
    assert len(est.member_epochs_) == 3 and clf.selected_epochs_ == max(est.member_epochs_)
    assert est.trainer_.epoch <= SMALL["max_epochs"]


def test_the_prediction_is_the_members_mean():
    X, y = _classes()
    clf = TabularClassifier(cross_fit=True, random_state=0, **SMALL).fit(X, y)
    net = clf.estimator_.network_
    A0 = clf.model_.features(X).T
    p_yes = np.mean([net.member(k).predict_output(A0)[0] for k in range(net.K)], axis=0)
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], p_yes, rtol=1e-5)


def test_the_out_of_fold_outputs_are_each_rows_held_out_prediction():
    X, y = _classes()
    clf = TabularClassifier(cross_fit=True, random_state=0, **SMALL).fit(X, y)
    est, net = clf.estimator_, clf.estimator_.network_
    A0 = clf.model_.features(X).T
    oof = est.oof_output_
    assert oof.shape == (len(X), 1) and not np.isnan(oof).any()
    for k in range(net.K):
        rows = est.fold_ == k
        np.testing.assert_allclose(
            oof[rows, 0], net.member(k).predict_output(A0[:, rows])[0], rtol=1e-5
        )
    oof_accuracy = np.mean((oof[:, 0] > 0.5) == (y == "yes"))
    assert oof_accuracy > 0.7  # honest: no row is predicted by a member that trained on it


def test_a_regressor_cross_fits_too():
    X, _ = _classes()
    target = 3 * X.a.to_numpy() + 1
    params = {**SMALL, "max_epochs": 300, "patience": 10}
    reg = TabularRegressor(cross_fit=True, random_state=0, **params).fit(X, target)
    assert reg.score(X, target) > 0.95
    assert reg.estimator_.oof_output_.shape == (len(X), 1)


def test_the_held_out_metrics_are_the_out_of_fold_predictions_on_every_row():
    X, y = _classes(300)
    source = InMemorySource(X.assign(y=y), "y", validation=0.2, seed=0)
    recipe = Recipe(cross_fit=True, **SMALL)
    fit = fit_table(source, task="classification", recipe=recipe, seed=0)
    est, metrics = fit.model.estimator, fit.model.metrics
    assert len(est.fold_) == 300 and metrics["rows_trained"] == 300  # no row held apart
    p_yes = est.oof_output_[:, 0]
    assert metrics["validation_accuracy"] == pytest.approx(np.mean((p_yes > 0.5) == (y == "yes")))
    assert metrics["validation_log_loss"] == pytest.approx(
        log_loss(y == "yes", p_yes.astype(np.float64)), rel=1e-5
    )
    assert "refit_epochs" not in metrics
    assert metrics["cross_fit_epochs"] == max(est.member_epochs_)


def test_out_of_fold_regression_metrics_are_in_the_targets_units():
    X, _ = _classes(300)
    target = 3 * X.a.to_numpy() + 10
    source = InMemorySource(X.assign(y=target), "y", validation=0.2, seed=0)
    fit = fit_table(source, task="regression", recipe=Recipe(cross_fit=True, **SMALL), seed=0)
    model = fit.model
    pred = model.scaling.inverse(model.estimator.oof_output_[:, 0])
    rmse = float(np.sqrt(np.mean((pred - target) ** 2)))
    assert model.metrics["validation_rmse"] == pytest.approx(rmse, rel=1e-5)


def test_a_cross_fitted_model_file_loads_and_predicts_the_same(tmp_path):
    X, y = _classes()
    source = InMemorySource(X.assign(y=y), "y", validation=0.2, seed=0)
    fit = fit_table(source, task="classification", recipe=Recipe(cross_fit=True, **SMALL))
    save(fit.model, tmp_path / "model.lucid")
    loaded = load(tmp_path / "model.lucid")
    np.testing.assert_array_equal(loaded.predict_proba(X), fit.model.predict_proba(X))


def test_cross_fitting_needs_two_members():
    X, y = _classes()
    with pytest.raises(ValueError, match="n_members ≥ 2"):
        TabularClassifier(cross_fit=True, n_members=1, max_epochs=2).fit(X, y)


def test_the_jax_engine_cross_fits_as_numpy_does():
    pytest.importorskip("jax")
    X, y = _classes()
    fits = [
        TabularClassifier(cross_fit=True, engine=engine, random_state=0, **SMALL).fit(X, y)
        for engine in ("numpy", "jax")
    ]
    assert fits[0].estimator_.member_epochs_ == fits[1].estimator_.member_epochs_
    np.testing.assert_allclose(fits[0].predict_proba(X), fits[1].predict_proba(X), atol=1e-5)


def test_the_same_seed_gives_the_same_cross_fitted_model():
    X, y = _classes()
    a = TabularClassifier(cross_fit=True, random_state=3, **SMALL).fit(X, y)
    b = TabularClassifier(cross_fit=True, random_state=3, **SMALL).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(a.estimator_.fold_, b.estimator_.fold_)


def test_each_member_waits_a_patience_that_follows_its_best_epoch():
    """min(patience, max(min_patience, ⌈0.5 · e − 1⌉)) epochs past member k's best epoch e."""
    X, y = _classes(n=400)
    params = {**SMALL, "max_epochs": 200, "patience": 10, "learning_rate": 0.02}
    clf = TabularClassifier(random_state=0, **params).fit(X, y)
    assert Recipe().patience_share == 0.5 and Recipe().min_patience == 3
    waits = [min(10, max(3, int(np.ceil(0.5 * e)) - 1)) for e in clf.estimator_.member_epochs_]
    # the training ran until the last member had waited its own patience (counted + 1)
    assert clf.estimator_.n_iter_ == max(
        e + w + 1 for e, w in zip(clf.estimator_.member_epochs_, waits, strict=True)
    )
    assert min(waits) < 10  # the rule shortened some member's wait
