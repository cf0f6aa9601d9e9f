"""Predicting on a table whose columns differ from training's: reordered, extra, new categories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lucidnet
from lucidnet.tables.tabular import TabularClassifier, TabularRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = {"hidden_layer_sizes": (8,), "n_members": 2, "max_epochs": 8, "random_state": 0}


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n),
            "city": rng.choice(["paris", "lyon", "nice"], n),
            "income": rng.lognormal(10, 0.5, n),
        }
    )
    label = np.where((frame.age > 40) ^ (frame.city == "nice"), "yes", "no")
    return frame, label


@pytest.fixture(scope="module")
def saved(table, tmp_path_factory):
    frame, label = table
    path = tmp_path_factory.mktemp("cols") / "m.safetensors"
    lucidnet.save(TabularClassifier(**FAST).fit(frame, label).model_, path)
    return lucidnet.load(path)


def test_reordered_and_extra_columns_give_the_same_predictions(table, saved):
    frame, _ = table
    expected = saved.predict_proba(frame)
    shuffled = frame[["income", "city", "age"]]
    np.testing.assert_array_equal(saved.predict_proba(shuffled), expected)
    extra = frame.assign(label="yes", notes="free text", age2=frame.age * 2)
    extra = extra[["notes", "income", "age2", "city", "label", "age"]]
    np.testing.assert_array_equal(saved.predict_proba(extra), expected)
    np.testing.assert_array_equal(saved.predict(extra), saved.predict(frame))


def test_a_category_never_seen_is_predicted_and_leaves_the_other_rows_alone(table, saved):
    frame, _ = table
    new = frame.iloc[:10].copy()
    expected = saved.predict_proba(new)
    new.loc[new.index[0], "city"] = "marseille"
    new.loc[new.index[1], "city"] = ""
    got = saved.predict_proba(new)
    assert np.all(np.isfinite(got)) and np.allclose(got.sum(axis=1), 1)
    np.testing.assert_array_equal(got[2:], expected[2:])
    assert set(saved.predict(new)) <= {"yes", "no"}


def test_a_missing_column_is_named(table, saved):
    frame, _ = table
    with pytest.raises(ValueError, match="income"):
        saved.predict(frame.drop(columns="income"))


def test_the_regressor_too(table):
    frame, _ = table
    value = 2 * frame.age.to_numpy() + (frame.city == "lyon")
    model = TabularRegressor(**FAST).fit(frame, value).model_
    expected = model.predict(frame)
    moved = frame.assign(extra=1.0)[["extra", "city", "income", "age"]]
    np.testing.assert_array_equal(model.predict(moved), expected)
    moved.loc[moved.index[0], "city"] = "tokyo"
    assert np.all(np.isfinite(model.predict(moved)))


def test_the_command_line_predicts_reordered_extra_and_new_columns(table, saved, tmp_path):
    import contextlib
    import io

    from lucidnet.cli import main

    frame, _ = table
    path = tmp_path / "m.safetensors"
    lucidnet.save(saved, path)
    new = frame.iloc[:20].assign(comment="x")[["comment", "income", "city", "age"]]
    new.loc[new.index[0], "city"] = "marseille"
    new.to_csv(tmp_path / "new.csv", index=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["predict", str(path), str(tmp_path / "new.csv")]) == 0
    pred = pd.read_csv(io.StringIO(out.getvalue()))
    assert len(pred) == 20 and set(pred["prediction"]) <= {"yes", "no"}
    expected = saved.predict_proba(frame.iloc[:20].assign(city=new.city.to_numpy()))
    np.testing.assert_allclose(pred["proba_yes"], expected[:, 1], rtol=1e-6)
