"""The recipe's budget that scales with the rows: held-out cap, patience in steps, refit rule.

The rules apply where the epochs are chosen on held-out rows (``cross_fit=False``, a
table over ``cross_fit_max_rows`` rows, one member); every rule leaves a table of up to
20,000 rows exactly as that path trains it with 20 % held out, 10 epochs of patience and
a refit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lucidnet.tables import RECIPE, InMemorySource, Recipe, fit_table
from lucidnet.tables.recipe import steps_per_epoch

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# the recipe before the budget rules, spelled out: none of them ever applies
UNSCALED = {"max_validation_rows": None, "patience_steps": None, "min_refit_share": 0.0}


def test_the_defaults():
    assert (RECIPE.max_validation_rows, RECIPE.patience_steps) == (20_000, 1000)
    assert (RECIPE.min_patience, RECIPE.min_refit_share) == (3, 0.1)
    assert (RECIPE.patience, RECIPE.validation_fraction, RECIPE.batch_size) == (10, 0.2, 256)


def test_steps_per_epoch_is_the_ceiling_of_rows_over_the_batch():
    assert steps_per_epoch(16_000, 256) == 63  # ⌈16000 / 256⌉ = ⌈62.5⌉
    assert steps_per_epoch(512, 256) == 2
    assert steps_per_epoch(100, 256) == 1  # the batch is capped at the rows
    assert steps_per_epoch(1000, "auto") == 5  # scikit-learn's auto batch: 200


def test_the_held_out_rows_are_the_fraction_capped_at_max_validation_rows():
    assert RECIPE.held_out_fraction(20_000) == 0.2
    assert RECIPE.held_out_fraction(100_000) == 0.2  # 20,000 rows: the cap exactly
    assert RECIPE.held_out_fraction(1_000_000) == 0.02  # f = min(0.2, 20000 / n)
    assert round(RECIPE.held_out_fraction(750_000) * 750_000) == 20_000
    assert RECIPE.held_out_fraction(1_000_000, 0.01) == 0.01
    assert Recipe(max_validation_rows=None).held_out_fraction(10**7) == 0.2


def test_patience_is_counted_in_steps_between_min_patience_and_patience():
    # min(patience, max(min_patience, ⌈patience_steps / steps⌉))
    assert RECIPE.patience_epochs(1) == 10
    assert RECIPE.patience_epochs(63) == 10  # ⌈1000 / 63⌉ = 16, capped at patience
    assert RECIPE.patience_epochs(100) == 10  # ⌈1000 / 100⌉ = 10
    assert RECIPE.patience_epochs(101) == 10  # ⌈1000 / 101⌉ = ⌈9.9⌉
    assert RECIPE.patience_epochs(112) == 9  # ⌈1000 / 112⌉ = ⌈8.9⌉
    assert RECIPE.patience_epochs(235) == 5  # a 100 k-row table: 60,000 rows train
    assert RECIPE.patience_epochs(313) == 4  # ⌈1000 / 313⌉
    assert RECIPE.patience_epochs(2852) == 3  # a million rows: min_patience
    assert RECIPE.patience_epochs(2852, patience=2) == 2  # never above patience
    assert RECIPE.patience_epochs(10, patience=30) == 30 and RECIPE.patience_epochs(40, 30) == 25
    assert Recipe(patience_steps=None).patience_epochs(10**6) == 10


def test_no_rule_applies_to_a_table_of_up_to_20_000_rows():
    for n in range(2, 20_001):
        fraction = RECIPE.held_out_fraction(n)
        n_val = round(fraction * n)
        assert fraction == 0.2
        assert n_val >= RECIPE.min_refit_share * n or n_val == 0  # the refit runs
        assert RECIPE.patience_epochs(steps_per_epoch(n - n_val, RECIPE.batch_size)) == 10


def _table(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    X["c"] = rng.choice(["u", "v", "w"], n)
    y = (X.a + np.sin(2 * X.b) + (X.c == "u") + rng.logistic(size=n) * 0.5 > 0.5).astype(int)
    return X, y.to_numpy()


# the held-out path (the one the rules are for), on tables that stand for large ones
SMALL = {"hidden_layer_sizes": (16,), "n_members": 2, "max_epochs": 30, "cross_fit": False}


def test_a_table_under_20_000_rows_fits_as_without_the_rules():
    X, y = _table(5000)
    frame = X.assign(y=y)
    fits = [
        fit_table(InMemorySource(frame, "y", validation=0), recipe=recipe, seed=0)
        for recipe in (Recipe(**SMALL), Recipe(**SMALL, **UNSCALED))
    ]
    new, old = (f.model.estimator for f in fits)
    assert new.selected_epochs_ == old.selected_epochs_  # both refitted
    np.testing.assert_array_equal(fits[0].model.predict_proba(X), fits[1].model.predict_proba(X))


def test_the_first_phase_of_a_small_table_keeps_its_split_and_patience():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 3)).astype(np.float32)
    y = (X[:, 0] + rng.logistic(size=5000) > 0).astype(int)
    first = RECIPE.estimator(
        "classification",
        {"hidden_layer_sizes": (8,), "n_members": 2, "max_iter": 20, "random_state": 0},
    )
    final = Recipe(cross_fit=False).fit(first, X, y)
    assert first.n_iter_no_change == 10 and first.validation_fraction == 0.2
    assert final is not first and final.selected_epochs_ == first.trainer_.best_epoch


def test_a_large_table_holds_out_the_cap_waits_fewer_epochs_and_skips_the_refit():
    X, y = _table(2000)
    # the rules at a small scale: 100 held-out rows (5 %), 30 steps of patience
    recipe = Recipe(**SMALL, max_validation_rows=100, patience_steps=30, min_patience=2)
    fit = fit_table(InMemorySource(X.assign(y=y), "y", validation=0), recipe=recipe, seed=0)
    est = fit.model.estimator
    assert est.validation_fraction == 100 / 2000
    assert est.n_iter_no_change == 4  # ⌈30 / ⌈1900 / 256⌉⌉ = ⌈30 / 8⌉
    assert not hasattr(est, "selected_epochs_")  # 5 % held out: no refit
    assert est.trainer_.best_epoch is not None
    kept = Recipe(**SMALL, max_validation_rows=100, min_refit_share=0.05)
    fit = fit_table(InMemorySource(X.assign(y=y), "y", validation=0), recipe=kept, seed=0)
    assert hasattr(fit.model.estimator, "selected_epochs_")  # 5 % ≥ 5 %: the refit runs


def test_the_command_lines_split_holds_out_at_most_the_cap_and_skips_the_refit():
    # lucidnet train splits the rows itself (InMemorySource's validation): the same cap
    X, y = _table(2000)
    recipe = Recipe(**SMALL, max_validation_rows=100)
    source = InMemorySource(X.assign(y=y), "y", validation=0.2)
    fit = fit_table(source, recipe=recipe, seed=0)
    assert source.val_frame is not None and len(source.val_frame) == 100  # not 400
    assert len(source.train_frame) == 1900
    assert "refit_epochs" not in fit.training.extra  # 5 % held out: no refit
    small = InMemorySource(X.assign(y=y), "y", validation=0.2)
    fit_table(small, recipe=Recipe(**SMALL), seed=0)
    assert len(small.val_frame) == 400  # under the cap: the fraction as asked


def test_a_small_table_takes_at_least_min_steps_steps_per_epoch():
    # B' = min(B, max(16, ⌈n_train / min_steps⌉))
    assert RECIPE.min_steps == 4
    assert RECIPE.batch_for(10_000, 256) == 256
    assert RECIPE.batch_for(1024, 256) == 256 and RECIPE.batch_for(1023, 256) == 256
    assert RECIPE.batch_for(1020, 256) == 255  # ⌈1020 / 4⌉
    assert RECIPE.batch_for(193.5, 256) == 49 and RECIPE.batch_for(40, 256) == 16
    assert RECIPE.batch_for(300, 32) == 32 and RECIPE.batch_for(300, "auto") == "auto"


def test_the_recipe_gives_a_small_cross_fitted_table_smaller_minibatches():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = X.a.to_numpy() + 0.1 * rng.normal(size=400)
    from lucidnet.tables import TabularRegressor

    reg = TabularRegressor(random_state=0, max_epochs=3).fit(X, y)
    assert reg.estimator_.batch_size == 75  # ⌈400 · 3/4 / 4⌉ rows trained on per member


def test_row_weights_where_the_epochs_are_chosen_on_rows_apart():
    from lucidnet.estimators import MLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = np.where(X[:, 0] > 0, "a", "b").astype(object)
    y[5] = "c"  # weight 0: trains nothing, but its class has an output
    recipe = Recipe(cross_fit=False, refit=False, max_epochs=5, hidden_layer_sizes=(8,))
    weight = np.ones(250)
    weight[:100] = 0.0  # row 5 among them
    est = recipe.estimator("classification", {"n_members": 1, "random_state": 0})
    est = recipe.fit(
        est, X[:250], y[:250], validation_data=(X[250:], y[250:]), sample_weight=weight
    )
    assert list(est.classes_) == ["a", "b", "c"]
    ones = recipe.estimator("classification", {"n_members": 1, "random_state": 0})
    ones = recipe.fit(
        ones, X[:250], y[:250], validation_data=(X[250:], y[250:]), sample_weight=np.ones(250)
    )
    plain = recipe.estimator("classification", {"n_members": 1, "random_state": 0})
    plain = recipe.fit(plain, X[:250], y[:250], validation_data=(X[250:], y[250:]))
    np.testing.assert_allclose(ones.coefs_[0], plain.coefs_[0], rtol=1e-5, atol=1e-6)  # float32
    assert not np.allclose(est.coefs_[0], plain.coefs_[0], atol=1e-3)  # the weights count
    with pytest.raises(ValueError, match="weighs rows only when it chooses the epochs"):
        RECIPE.fit(MLPClassifier(), X, y, sample_weight=np.ones(300))  # cross-fitted
