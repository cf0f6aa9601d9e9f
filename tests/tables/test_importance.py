"""Permutation importance per input column, on raw tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lucidnet.tables import InMemorySource, fit_table
from lucidnet.tables.importance import column_importance
from lucidnet.tables.recipe import Recipe

FAST = Recipe(hidden_layer_sizes=(16,), n_members=3, max_epochs=30, patience=5)


def _table(n: int, seed: int = 0) -> pd.DataFrame:
    """y depends on 'signal' (a number) and 'kind' (text), never on 'noise'."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    kind = rng.choice(["a", "b"], n)
    return pd.DataFrame(
        {
            "noise": rng.normal(size=n),
            "signal": signal,
            "kind": kind,
            "y": np.where((signal > 0) ^ (kind == "b"), "yes", "no"),
        }
    )


@pytest.fixture(scope="module")
def model():
    return fit_table(InMemorySource(_table(400), "y", validation=0.0), recipe=FAST).model


def test_the_columns_that_make_y_come_first_and_noise_is_near_zero(model):
    held_out = _table(300, seed=1)
    table = column_importance(model, held_out, held_out["y"].to_numpy())
    assert table["column"].tolist()[2] == "noise"
    assert set(table["column"][:2]) == {"signal", "kind"}
    assert (table["mean"][:2] > 0.2).all()
    assert abs(table["mean"][2]) < 0.05
    score = np.mean(model.predict(held_out) == held_out["y"].to_numpy())
    assert table.attrs == {
        "metric": "accuracy", "score": score, "rows": 300, "repeats": 5, "seed": 0
    }  # fmt: skip
    again = column_importance(model, held_out, held_out["y"].to_numpy())
    pd.testing.assert_frame_equal(table, again)  # seeded


def test_out_of_fold_importance_predicts_each_row_with_the_member_that_left_it_out(model):
    est = model.estimator
    assert est.network_.K == 3 and est.fold_.shape == (400,)
    train = _table(400)
    oof = column_importance(model, train, train["y"].to_numpy(), folds=est.fold_, n_repeats=2)
    assert oof["column"].tolist()[2] == "noise"
    # its score before shuffling is the out-of-fold accuracy, below the training accuracy
    fitted_acc = np.mean(model.predict(train) == train["y"].to_numpy())
    out_of_fold = np.where(est.oof_output_[:, 0] > 0.5, "yes", "no")
    assert oof.attrs["score"] == pytest.approx(np.mean(out_of_fold == train["y"].to_numpy()))
    assert oof.attrs["score"] < fitted_acc


def test_a_regression_importance_is_the_drop_of_r2():
    frame = _table(300)
    frame["y"] = frame["signal"] * 10 + 5
    model = fit_table(InMemorySource(frame, "y", validation=0.0), recipe=FAST).model
    table = column_importance(model, frame, frame["y"].to_numpy(), max_rows=120, seed=3)
    assert table.attrs["metric"] == "r2" and table.attrs["rows"] == 120
    assert table["column"][0] == "signal" and table["mean"][0] > 0.3
    assert (table["mean"][1:] < 0.05).all()
