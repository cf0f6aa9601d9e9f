"""The solver registry: each solver owns its refusals and its fitted attributes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification

from lucidnet import MLPClassifier, MLPRegressor
from lucidnet.estimators.lbfgs import LBFGS
from lucidnet.estimators.minibatch import Minibatch
from lucidnet.estimators.refit import cap_batch_size, fit_and_refit, sample_rows
from lucidnet.estimators.solvers import SOLVERS, Solver, register_solver, solver_of
from lucidnet.training import TimeLimit

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data():
    return make_classification(80, 4, random_state=0)


def test_every_solver_parameter_has_one_object():
    assert set(SOLVERS) >= {"sgd", "adam", "adamw", "lbfgs"}
    assert isinstance(SOLVERS["lbfgs"], LBFGS) and not SOLVERS["lbfgs"].incremental
    assert SOLVERS["sgd"] is SOLVERS["adam"] is SOLVERS["adamw"]
    assert isinstance(SOLVERS["adam"], Minibatch) and SOLVERS["adam"].incremental
    assert solver_of(MLPClassifier(solver="lbfgs")) is SOLVERS["lbfgs"]


def test_partial_fit_exists_for_the_incremental_solvers_only():
    assert hasattr(MLPRegressor(solver="adam"), "partial_fit")
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'"):
        getattr(MLPClassifier(solver="lbfgs"), "partial_fit")  # noqa: B009


@pytest.mark.parametrize(
    "params, fit_kwargs, message",
    [
        ({"engine": "jax"}, {}, "engine='jax' compiles the minibatch solvers"),
        ({}, {"resume_from": {}}, "resume_from continues a minibatch run"),
        ({"dropout": 0.1}, {}, "dropout needs a stochastic solver"),
        ({"callbacks": [TimeLimit(1, 0)]}, {}, "callbacks run inside the minibatch Trainer"),
    ],
)
def test_lbfgs_refuses_what_belongs_to_minibatch_training(params, fit_kwargs, message):
    X, y = _data()
    with pytest.raises(ValueError, match=message):
        MLPClassifier((4,), solver="lbfgs", **params).fit(X, y, **fit_kwargs)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_each_solver_sets_its_fitted_attributes(solver):
    X, y = _data()
    est = MLPClassifier((4,), solver=solver, max_iter=5, random_state=0).fit(X, y)
    assert est.n_iter_ == len(est.loss_curve_) == len(est.history_) == 5
    assert est.loss_ is not None and est.best_loss_ == pytest.approx(min(est.loss_curve_))
    assert est.n_layers_ == 3 and est.n_outputs_ == 1 and est.out_activation_ == "logistic"
    assert est.t_ > 0 and est.validation_scores_ is None
    assert hasattr(est, "trainer_") == (solver == "adam")


def test_a_solver_registered_by_name_is_found_by_name():
    class Recording(LBFGS):
        name = "recording"

    try:
        solver = register_solver("recording", Recording())
        assert isinstance(solver, Solver) and SOLVERS["recording"] is solver
    finally:
        SOLVERS.pop("recording")


def test_fit_and_refit_chooses_the_epochs_then_trains_on_every_row():
    X, y = _data()
    est = MLPClassifier((4,), early_stopping=True, n_iter_no_change=2, max_iter=30, tol=0.0)
    final = fit_and_refit(est.set_params(random_state=0), X, y)
    assert final is not est and final.n_iter_ == final.selected_epochs_
    assert final.selected_epochs_ == (est.trainer_.best_epoch or est.n_iter_)
    kept = fit_and_refit(est, X, y, refit=False)
    assert kept is est and not hasattr(kept, "selected_epochs_")


def test_held_out_rows_given_apart_are_sampled_for_scoring_and_all_train_the_refit():
    X, y = make_classification(200, 4, random_state=0)
    val = (X[140:], y[140:], None)
    est = MLPClassifier((4,), early_stopping=True, n_iter_no_change=2, max_iter=10, tol=0.0)
    est.set_params(random_state=0)
    few = sample_rows(val, 20, est)
    assert len(few[0]) == len(few[1]) == 20 and few[2] is None
    rows = [int(np.flatnonzero((X[140:] == row).all(axis=1))[0]) for row in few[0]]
    assert rows == sorted(rows) and (y[140:][rows] == few[1]).all()  # whole rows, in order
    assert np.array_equal(sample_rows(val, 20, est)[0], few[0])  # seeded by random_state
    assert sample_rows(val, 60, est) is val and sample_rows(val, None, est) is val
    final = fit_and_refit(est, X[:140], y[:140], validation_data=val[:2], max_validation_rows=20)
    assert final is not est and final.trainer_.t == final.n_iter_ * 200  # 140 + all 60 rows


def test_a_time_limit_stops_training_and_says_so():
    X, y = _data()
    limit = TimeLimit(0.0, 0.0)  # already spent
    est = MLPClassifier((4,), max_iter=50, callbacks=[limit], random_state=0).fit(X, y)
    assert limit.hit and est.n_iter_ == 1


def test_a_batch_larger_than_the_rows_is_capped():
    est = MLPClassifier(batch_size=256)
    cap_batch_size(est, 40.0)
    assert est.batch_size == 40
    cap_batch_size(est.set_params(batch_size="auto"), 10)
    assert est.batch_size == "auto"
