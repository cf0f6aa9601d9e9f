"""The task rule and the target checks: one place decides what a target column means.

Text, booleans, or at most 20 distinct whole numbers make a classification target;
any other numbers make a regression target. The rule reads only a :class:`TableStats`,
so the same decision is made in memory, streamed, and on a cluster.
"""

from __future__ import annotations

from lucidnet.tables.read import TableError
from lucidnet.tables.stats import TableStats

__all__ = ["MAX_CLASSES_BY_DEFAULT", "TASKS", "check_target", "choose_task"]

TASKS = ("auto", "classification", "regression")
MAX_CLASSES_BY_DEFAULT = 20


def choose_task(stats: TableStats, requested: str = "auto") -> str:
    """``requested``, or for "auto": text, bool or ≤ 20 distinct integers → classification.

    Raises
    ------
    ValueError
        For a ``requested`` that is not one of :data:`TASKS`.
    """
    if requested not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}; got {requested!r}.")
    if requested != "auto":
        return requested
    if not stats.target_numeric:
        return "classification"
    few = not stats.target_many and len(stats.target_values) <= MAX_CLASSES_BY_DEFAULT
    if stats.target_integral and few:
        return "classification"
    return "regression"


def check_target(stats: TableStats, task: str) -> None:
    """Raise :class:`TableError` when the target cannot be learned as ``task``."""
    target = stats.target
    if stats.labelled_rows == 0:
        raise TableError(f"The target column {target!r} is empty; fill it in or pick another.")
    if task == "classification" and stats.target_many:
        stats.classes()  # raises: too many distinct numbers for classes
    if task == "classification" and len(stats.target_values) < 2:
        only = next(iter(stats.target_values))
        raise TableError(
            f"The target {target!r} has only one class ({only!r}); a classifier needs at least two."
        )
    if task == "regression" and not stats.target_numeric:
        raise TableError(f"The target {target!r} holds text; use --task classification.")
