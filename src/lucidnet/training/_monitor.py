"""Comparing a monitored value with the best so far, one rule for every user of it.

EarlyStopping, ReduceOnPlateau, ModelCheckpoint and the trainer's own "best epoch" all
follow scikit-learn's two-part rule:

- the patience counter restarts only on an improvement by at least ``min_delta``
  (min mode: value ≤ best − min_delta; max mode: value ≥ best + min_delta);
- the best value (and the best weights) follow every strict improvement
  (value < best, or value > best), however small.

A NaN never counts as an improvement.
"""

from __future__ import annotations

import math

from lucidnet.training.checks import check_choice

__all__ = ["initial_best", "is_better", "is_improvement", "resolve_mode"]


def resolve_mode(monitor: str, mode: str, owner: str) -> str:
    """ "min" or "max"; "auto" is "min" for names containing "loss", else "max"."""
    check_choice(owner, "mode", mode, ("auto", "min", "max"))
    if mode == "auto":
        return "min" if "loss" in monitor else "max"
    return mode


def initial_best(mode: str) -> float:
    """+inf for "min", −inf for "max": any finite value improves on it."""
    return math.inf if mode == "min" else -math.inf


def is_improvement(value: float, best: float, mode: str, min_delta: float) -> bool:
    """Whether ``value`` improves on ``best`` by at least ``min_delta`` (restarts patience)."""
    if mode == "min":
        return value <= best - min_delta
    return value >= best + min_delta


def is_better(value: float, best: float, mode: str) -> bool:
    """Whether ``value`` is strictly better than ``best`` (becomes the new best)."""
    return value < best if mode == "min" else value > best
