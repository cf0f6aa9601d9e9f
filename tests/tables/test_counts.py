"""Count targets (tables/counts.py): which targets get the Poisson output, and the model."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from lucidnet import TabularRegressor
from lucidnet.tables.counts import count_scaling
from lucidnet.tables.persist import load, save


def test_the_rule_takes_whole_numbers_at_least_zero_only():
    y = np.array([0, 1, 4, 3])
    scaling = count_scaling("poisson", "regression", True, y)
    assert scaling is not None and (scaling.mean, scaling.scale) == (0.0, 2.0)
    assert count_scaling(None, "regression", True, y) is None
    assert count_scaling("poisson", "classification", True, y) is None
    assert count_scaling("poisson", "regression", False, y) is None
    assert count_scaling("poisson", "regression", True, y - 1) is None  # a negative value
    assert count_scaling("poisson", "regression", True, np.zeros(3)) is None  # mean 0
    assert count_scaling("poisson", "regression", True, y + 1) is not None  # from 1: a count
    assert count_scaling("poisson", "regression", True, y + 25) is None  # a score from 25
    assert count_scaling("poisson", "regression", True, None) is None  # rows streamed
    with pytest.raises(ValueError, match="count_loss must be None or one of"):
        count_scaling("tweedie", "regression", True, y)


def test_a_count_table_trains_an_exp_output_and_saves(tmp_path):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "c": rng.choice(list("xy"), 300)})
    y = rng.poisson(np.exp(1 + X["a"].to_numpy()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = TabularRegressor(count_loss="poisson", max_epochs=30, random_state=0).fit(X, y)
    assert reg.estimator_.network_.output.name == "exp"
    assert reg.target_mean_ == 0.0 and reg.target_scale_ == pytest.approx(np.mean(y))
    p = reg.predict(X)
    assert np.all(p > 0)
    save(reg.model_, tmp_path / "m.safetensors")
    np.testing.assert_array_equal(
        load(tmp_path / "m.safetensors").predict(X), reg.model_.predict(X)
    )
