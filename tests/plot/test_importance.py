"""The column-importance chart: one bar per column, most important on top."""

from __future__ import annotations

import numpy as np
import pytest

from lucidnet import plot


def test_bars_are_sorted_with_error_bars_and_the_size_is_known():
    fig = plot.column_importance(
        ["a", "b", "c"], [0.1, 0.4, -0.01], [0.01, 0.02, 0.005], metric="accuracy",
        caption="held-out rows",
    )  # fmt: skip
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    heights = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)}
    assert sorted(labels, key=lambda s: -heights[s]) == ["b", "a", "c"]  # top to bottom
    widths = sorted(p.get_width() for p in ax.patches)
    np.testing.assert_allclose(widths, [-0.01, 0.1, 0.4])
    assert "accuracy" in ax.get_xlabel()
    assert tuple(fig.get_size_inches()) == pytest.approx((7.5, 1.4 + 0.32 * 3))


def test_at_most_30_bars_and_the_rest_are_counted():
    names = [f"c{i}" for i in range(35)]
    fig = plot.column_importance(names, np.arange(35.0), np.zeros(35), metric="r2")
    assert len(fig.axes[0].patches) == 30 and "5 more columns" in fig.axes[0].get_title()


def test_lengths_must_agree():
    with pytest.raises(ValueError, match="one value per column"):
        plot.column_importance(["a", "b"], [0.1], [0.0, 0.0], metric="r2")
