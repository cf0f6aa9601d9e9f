"""One way to refuse a bad parameter, in scikit-learn's words, for all of training.

Every check in ``lucidnet.training`` (optimizers, schedules, callbacks, the Trainer,
L-BFGS) ends in the same sentence::

    The 'momentum' parameter of SGD must be a float in [0, 1). Got 1.0 instead.

:func:`check_int`, :func:`check_float` and :func:`check_choice` test the usual kinds and
return the value converted; :func:`invalid` builds the sentence for any other
expectation, for the caller to raise.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

__all__ = ["check_choice", "check_float", "check_int", "invalid"]

_BRACKETS = {  # closed= → (left, right)
    "both": ("[", "]"),
    "left": ("[", ")"),
    "right": ("(", "]"),
    "neither": ("(", ")"),
}


def invalid(
    owner: str,
    name: str,
    expected: str,
    value: Any,
    hint: str = "",
    *,
    error: type[Exception] = ValueError,
) -> Exception:
    """The error for a bad parameter (returned, for the caller to raise).

    Parameters
    ----------
    owner : str
        Who takes the parameter: a class ("SGD") or a function ("Trainer.fit").
    name : str
        The parameter's name.
    expected : str
        What it must be, completing "must be ...": "a float in [0, 1)".
    value : object
        What it was given (shown with ``repr``).
    hint : str, optional
        A sentence appended after "Got ... instead.", saying what to do.
    error : exception class, default=ValueError
        TypeError for a value of the wrong kind altogether (an object where a callback
        belongs); ValueError otherwise.

    Examples
    --------
    >>> print(invalid("SGD", "momentum", "a float in [0, 1)", 1.0))
    The 'momentum' parameter of SGD must be a float in [0, 1). Got 1.0 instead.
    """
    message = f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead."
    return error(f"{message} {hint}" if hint else message)


def interval(low: float | None, high: float | None, closed: str = "both") -> str:
    """The interval in mathematical notation: "[0, 1)", "(0, inf)", "[1, inf)".

    ``None`` is an unbounded end, written "-inf" / "inf" and always open.
    """
    left, right = _BRACKETS[closed]
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"{'(' if low is None else left}{lo}, {hi}{')' if high is None else right}"


def check_int(
    owner: str,
    name: str,
    value: Any,
    low: int | None = None,
    high: int | None = None,
    *,
    hint: str = "",
) -> int:
    """``value`` as an int, when it is an integer (not a bool) with low ≤ value ≤ high.

    Raises
    ------
    ValueError
        "The 'batch_size' parameter of Trainer must be an int in [1, inf). Got 0 instead."

    Examples
    --------
    >>> check_int("Trainer", "batch_size", 32, low=1)
    32
    """
    n = int(value) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else None
    if n is None or (low is not None and n < low) or (high is not None and n > high):
        raise invalid(owner, name, f"an int in {interval(low, high)}", value, hint)
    return n


def check_float(
    owner: str,
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    closed: str = "both",
    hint: str = "",
) -> float:
    """``value`` as a float, when it is a finite real number (not a bool) in the interval.

    Parameters
    ----------
    owner, name, value, hint
        As for :func:`invalid`.
    low, high : float or None
        The ends; None leaves that side unbounded (still finite).
    closed : {"both", "left", "right", "neither"}, default="both"
        Which ends belong to the interval, as in scikit-learn's ``Interval``.

    Raises
    ------
    ValueError
        "The 'momentum' parameter of SGD must be a float in [0, 1). Got 1.0 instead."

    Examples
    --------
    >>> check_float("SGD", "momentum", 0.9, 0, 1, closed="left")
    0.9
    """
    left_in, right_in = closed in ("both", "left"), closed in ("both", "right")
    x = float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else None
    if x is None or not (
        math.isfinite(x)
        and (low is None or x > low or (left_in and x == low))
        and (high is None or x < high or (right_in and x == high))
    ):
        raise invalid(owner, name, f"a float in {interval(low, high, closed)}", value, hint)
    return x


def check_choice(
    owner: str, name: str, value: Any, choices: Sequence[Any], *, hint: str = ""
) -> Any:
    """``value`` unchanged when it is one of ``choices``.

    Raises
    ------
    ValueError
        "The 'mode' parameter of EarlyStopping must be 'auto', 'min' or 'max'. Got 'up'
        instead."

    Examples
    --------
    >>> check_choice("Trainer", "verbose", 2, (0, 1, 2))
    2
    """
    if value not in choices:
        *first, last = [repr(c) for c in choices]
        expected = f"{', '.join(first)} or {last}" if first else last
        raise invalid(owner, name, expected, value, hint)
    return value
