"""Count targets: a Poisson output for a regression target of non-negative whole numbers.

With ``Recipe.count_loss = "poisson"``, a regression target whose training values are all
whole numbers ≥ 0, the smallest of them 0 or 1 (a count: how many times something
happened), is learned by an exp output with the Poisson loss (docs/MATH.md §4b),
on y / mean(y) (a scale only: the target stays ≥ 0, the mean rate starts near e^0 = 1);
predictions are the members' mean rate times mean(y). Any other target keeps the
standardised squared error: whole numbers far from 0, such as a price in dollars or a
clinical score from 25 up, are not counts (measured on the development panel: the Poisson
output lost 0.021 R² on such a score, and gained on all three count tables).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucidnet.tables.model import TargetScaling

__all__ = ["COUNT_LOSSES", "count_scaling"]

COUNT_LOSSES = ("poisson",)


def count_scaling(
    count_loss: str | None, task: str, integral: bool, y: Any
) -> TargetScaling | None:
    """The target's scaling for the Poisson output, or None where it does not apply.

    Parameters
    ----------
    count_loss : {"poisson"} or None
    task : str
        Only "regression" targets qualify.
    integral : bool
        Whether every target value is a whole number (``TableStats.target_integral``).
    y : array-like of shape (n_samples,) or None
        The training rows' targets (None: the rows stream, so the rule does not apply).

    Returns
    -------
    TargetScaling(0, mean(y)) for a count target, else None.

    Notes
    -----
    z = y / mean(y)  when y_i ∈ {0, 1, 2, …} for every training row, min_i y_i ≤ 1 and
    mean(y) > 0.
    """
    if count_loss is None or task != "regression" or not integral or y is None:
        return None
    if count_loss not in COUNT_LOSSES:
        raise ValueError(f"count_loss must be None or one of {COUNT_LOSSES}; got {count_loss!r}.")
    values = np.asarray(y, dtype=np.float64)
    if values.size == 0 or not 0 <= np.min(values) <= 1 or not np.mean(values) > 0:
        return None
    return TargetScaling(0.0, float(np.mean(values)))
