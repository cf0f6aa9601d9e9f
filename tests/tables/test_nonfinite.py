"""A non-finite cell (NaN, +inf, -inf) of a numeric column is a missing value, the same
way at training and at prediction, in memory and streamed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lucidnet.tables import InMemorySource, TableError, TablePreprocessor, fit_table
from lucidnet.tables.recipe import Recipe
from lucidnet.tables.stats import TableStats
from lucidnet.tables.tabular import TabularRegressor

FAST = Recipe(hidden_layer_sizes=(8,), n_members=2, max_epochs=4, patience=2)


def _frame(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "c": rng.choice(["x", "y"], n),
            "y": rng.choice(["p", "q"], n),
        }
    )


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_an_infinite_cell_is_missing_at_prediction(value):
    frame = _frame()
    model = fit_table(InMemorySource(frame, "y"), recipe=FAST).model
    infinite, missing = frame.copy(), frame.copy()
    infinite.loc[3, "a"], missing.loc[3, "a"] = value, np.nan
    X = model.features(infinite)
    assert np.all(np.isfinite(X))
    np.testing.assert_array_equal(X, model.features(missing))
    assert len(model.predict(infinite)) == len(frame)


def test_an_infinite_cell_is_missing_at_training():
    infinite, missing = _frame(), _frame()
    infinite.loc[[3, 7], "a"] = [np.inf, -np.inf]
    missing.loc[[3, 7], "a"] = np.nan
    a = fit_table(InMemorySource(infinite, "y"), recipe=FAST).model
    b = fit_table(InMemorySource(missing, "y"), recipe=FAST).model
    assert a.preprocessor.indicators == ["a"]
    np.testing.assert_array_equal(a.preprocessor.median, b.preprocessor.median)
    np.testing.assert_array_equal(a.predict_proba(missing), b.predict_proba(missing))


def test_streamed_statistics_treat_infinity_as_missing():
    frame = _frame().drop(columns="y")
    stats, plain = TableStats(target="y"), TableStats(target="y")
    stats.update(frame.assign(a=frame["a"].where(frame.index != 3, np.inf)))
    plain.update(frame.assign(a=frame["a"].where(frame.index != 3, np.nan)))
    np.testing.assert_array_equal(stats.moments.mean, plain.moments.mean)


def test_a_column_of_infinities_only_has_no_values():
    frame = _frame().assign(a=np.inf)
    with pytest.raises(TableError, match=r"\['a'\] have no values"):
        TablePreprocessor().fit(frame)


def test_a_row_whose_target_is_infinite_has_no_target():
    frame = _frame().assign(y=np.linspace(0, 1, 60))
    frame.loc[5, "y"] = np.inf
    source = InMemorySource(frame, "y")
    assert source.dropped == 1
    assert np.isfinite(fit_table(source, task="regression", recipe=FAST).model.target_mean)


def test_the_regressor_names_the_row_of_an_infinite_target():
    frame = _frame()
    y = np.linspace(0, 1, 60)
    y[9] = -np.inf
    with pytest.raises(ValueError, match="y holds -inf at row 9"):
        TabularRegressor(max_epochs=2).fit(frame.drop(columns="y"), y)


def test_text_in_a_numeric_column_names_the_column_and_row():
    frame = _frame()
    model = fit_table(InMemorySource(frame, "y"), recipe=FAST).model
    bad = frame.astype({"b": object})
    bad.loc[4, "b"] = "oops"
    with pytest.raises(TableError, match=r"\['b'\].*'oops' in row 4"):
        model.predict(bad)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_onnx_graph_treats_infinities_as_missing_too():
    ort = pytest.importorskip("onnxruntime")
    from lucidnet.tables.onnx import table_to_onnx

    frame = _frame().drop(columns="c")
    model = fit_table(InMemorySource(frame, "y"), params={"max_iter": 2}).model
    rows = frame.drop(columns="y").iloc[[0, 0, 2, 3]].reset_index(drop=True)
    rows.loc[0, "a"], rows.loc[1, "a"], rows.loc[2, "b"] = np.inf, -np.inf, np.nan
    session = ort.InferenceSession(table_to_onnx(model).SerializeToString())
    feeds = {c: rows[[c]].to_numpy(np.float32) for c in ("a", "b")}
    proba = session.run(["probabilities"], feeds)[0]
    np.testing.assert_allclose(proba, model.predict_proba(rows), atol=1e-5)
    np.testing.assert_array_equal(proba[0], proba[1])  # +inf and -inf: both the median
    assert not np.allclose(proba[0], proba[3])
