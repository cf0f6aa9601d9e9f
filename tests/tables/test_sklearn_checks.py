"""scikit-learn's own estimator checks on the tabular estimators' default instances, and
a row's prediction that never depends on the other rows of the call."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    parametrize_with_checks,
)
from threadpoolctl import threadpool_limits

from lucidnet.tables.tabular import TabularClassifier, TabularRegressor

# The default instances, as a user makes them: nothing tuned to pass.
ESTIMATORS = [TabularClassifier(), TabularRegressor()]


def expected_failed_checks(estimator):
    # Every entry would carry its reason; there is none.
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sklearn_estimator_checks(estimator, check):
    # The checks' tables have 10 to 300 rows: one BLAS thread is the fastest for them
    # (on a busy machine, BLAS threads waiting for a core made one fit 70 times slower).
    with threadpool_limits(1, user_api="blas"):
        check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_dataframe_column_names_consistency(estimator):
    with threadpool_limits(1, user_api="blas"):
        check_dataframe_column_names_consistency(type(estimator).__name__, estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_columns_are_taken_by_position_when_only_one_side_has_names():
    frame, y = _table(60)
    est = TabularClassifier(max_epochs=3, random_state=0).fit(frame, y)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        by_position = est.predict_proba(frame.to_numpy(dtype=object))
    np.testing.assert_array_equal(by_position, est.predict_proba(frame))
    unnamed = TabularClassifier(max_epochs=3, random_state=0).fit(frame.to_numpy(object), y)
    assert not hasattr(unnamed, "feature_names_in_") and unnamed.n_features_in_ == 3
    with pytest.warns(UserWarning, match="X has feature names, but TabularClassifier was"):
        unnamed.predict(frame)


def test_the_tags_say_what_a_table_holds():
    tags = get_tags(TabularClassifier())
    assert tags.input_tags.allow_nan and tags.input_tags.string
    assert not tags.input_tags.sparse and not tags.target_tags.multi_output


def _table(n: int = 120) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=n).astype(np.float32),
            "b": rng.lognormal(size=n),
            "c": rng.choice(["x", "y", "z"], n),
        }
    )
    frame.loc[::7, "a"] = np.nan
    return frame, (frame["a"].fillna(0) + (frame["c"] == "x") > 0.3).to_numpy()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("Estimator", [TabularClassifier, TabularRegressor])
def test_a_row_predicts_the_same_bits_alone_and_in_any_batch(Estimator):
    frame, y = _table()
    target = y if Estimator is TabularClassifier else frame["b"].to_numpy() * 3 + y
    est = Estimator(max_epochs=5, random_state=0).fit(frame, target)
    method = est.predict_proba if Estimator is TabularClassifier else est.predict
    batch = method(frame)
    order = np.random.default_rng(1).permutation(len(frame))
    reordered = method(frame.iloc[order])
    alone = np.concatenate([method(frame.iloc[[i]]) for i in range(0, len(frame), 11)])
    np.testing.assert_array_equal(reordered, batch[order])
    np.testing.assert_array_equal(alone, batch[::11])
