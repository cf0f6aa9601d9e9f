"""Which columns matter: a bar per input column, its permutation importance ± std."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lucidnet.plot._figure import class_colour, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["column_importance"]

MOST_BARS = 30


def column_importance(
    columns: Sequence[Any],
    mean: Any,
    std: Any,
    *,
    metric: str,
    caption: str | None = None,
) -> Figure:
    """A horizontal bar per column: the drop of ``metric`` when it is shuffled.

    Parameters
    ----------
    columns : sequence of n names
    mean, std : array-like of shape (n,)
        The mean drop and its standard deviation over the shuffles (the error bars).
    metric : str
        The metric whose drop the bars show (the x axis's label).
    caption : str, optional
        A line under the chart (which rows were shuffled).

    Returns
    -------
    matplotlib.figure.Figure
        7.5 inches wide, 1.4 + 0.32 per bar high; the columns sorted by mean drop, the
        most important on top; at most 30 bars (the others are named in the title).
    """
    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
    if not (len(columns) == mean.shape[0] == std.shape[0]) or mean.ndim != 1:
        raise ValueError(
            f"columns, mean and std need one value per column; got {len(columns)}, "
            f"{mean.shape} and {std.shape}."
        )
    order = np.argsort(-mean, kind="stable")
    shown = order[:MOST_BARS]
    fig, axes = new_figure(7.5, 1.4 + 0.32 * max(len(shown), 1))
    ax = axes[0, 0]
    y = np.arange(len(shown))[::-1]
    ax.barh(y, mean[shown], xerr=std[shown], color=class_colour(0), ecolor="#333333", capsize=3)
    ax.set_yticks(y, [str(columns[i]) for i in shown])
    ax.axvline(0.0, color="#666666", linewidth=0.8)
    ax.set_xlabel(f"drop of {metric} when the column is shuffled (mean ± std)")
    hidden = len(order) - len(shown)
    ax.set_title(
        "Permutation importance per input column"
        + (f" ({hidden} more columns not shown)" if hidden else "")
    )
    if caption:
        fig.supxlabel(textwrap.fill(caption, 110), fontsize=9, color="#444444")
    return fig
