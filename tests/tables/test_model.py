"""The table model (tables/model.py): the same model around another estimator, and
its labels with their probabilities from one pass."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lucidnet.tables import InMemorySource, Recipe, fit_table
from lucidnet.tables.model import TabularModel


def test_with_estimator_keeps_everything_but_the_estimator_and_the_metrics():
    model = TabularModel("pre", "est", "y", "regression", {"r2": 0.5}, 3.0, 2.0)
    other = model.with_estimator("other")
    assert (other.preprocessor, other.estimator, other.target, other.task) == (
        "pre", "other", "y", "regression",
    )  # fmt: skip
    assert (other.target_mean, other.target_scale, other.metrics) == (3.0, 2.0, {})


def test_predict_with_proba_is_predict_and_predict_proba():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=400), "b": rng.choice(["x", "y"], 400)})
    frame["y"] = np.where(frame.a + (frame.b == "x") > 0.5, "hi", "lo")
    recipe = Recipe(hidden_layer_sizes=(8,), n_members=2, max_epochs=3)
    model = fit_table(InMemorySource(frame, "y"), recipe=recipe).model
    labels, proba = model.predict_with_proba(frame)
    np.testing.assert_array_equal(labels, model.predict(frame))
    np.testing.assert_array_equal(proba, model.predict_proba(frame))
