"""The table model (tables/model.py): the same model around another estimator."""

from __future__ import annotations

from lucidnet.tables.model import TabularModel


def test_with_estimator_keeps_everything_but_the_estimator_and_the_metrics():
    model = TabularModel("pre", "est", "y", "regression", {"r2": 0.5}, 3.0, 2.0)
    other = model.with_estimator("other")
    assert (other.preprocessor, other.estimator, other.target, other.task) == (
        "pre", "other", "y", "regression",
    )  # fmt: skip
    assert (other.target_mean, other.target_scale, other.metrics) == (3.0, 2.0, {})
