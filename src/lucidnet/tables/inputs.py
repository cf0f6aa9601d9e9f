"""What the tabular estimators accept as X and y, checked with a message naming the fix.

A table is 2-D: a DataFrame, or an array (or a list of rows) with one column per
feature. Its cells may be numbers, text or missing (NaN, None, ±inf): the preprocessing
handles all three (:mod:`lucidnet.tables.preprocess`). An object array's columns that
hold only numbers are numbers. Refused: sparse matrices (a table's text and missing
cells have no sparse form), complex numbers, and arrays of other than 2 dimensions.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.exceptions import DataConversionWarning

from lucidnet.tables.read import unique_columns

__all__ = ["check_names", "has_names", "table_frame", "target_vector"]


def table_frame(X: Any, who: str) -> pd.DataFrame:
    """X as a DataFrame with unique text column names; ``who`` names the estimator.

    Raises
    ------
    TypeError
        For a sparse matrix or array.
    ValueError
        For X of other than 2 dimensions, or complex numbers.
    """
    if sp.issparse(X):
        raise TypeError(
            f"{who} takes dense tables; sparse input is not supported (a table's text and "
            "missing cells have no sparse form): pass X.toarray() or a DataFrame."
        )
    if isinstance(X, pd.DataFrame):
        frame = X
    else:
        array = np.asarray(X)
        if array.ndim != 2:
            raise ValueError(
                f"Expected a 2D table, got a {array.ndim}D array instead. Reshape your data "
                "either using array.reshape(-1, 1) if your data has a single feature or "
                "array.reshape(1, -1) if it contains a single sample."
            )
        frame = pd.DataFrame(array)
        if array.dtype == object:
            frame = frame.infer_objects()  # columns of numbers only are numbers
    frame = frame.set_axis(unique_columns(frame.columns, "X"), axis=1)
    complex_columns = [c for c, dtype in frame.dtypes.items() if dtype.kind == "c"]
    if complex_columns:
        raise ValueError(
            f"Complex data not supported: column(s) {complex_columns[:5]} hold complex "
            "numbers; pass their real and imaginary parts as two columns."
        )
    return frame


def target_vector(y: Any, n: int, who: str, *, numeric: bool) -> np.ndarray:
    """y as a 1-D array of n values (a column vector is accepted with scikit-learn's
    DataConversionWarning); a ``numeric`` target must hold finite numbers.

    Raises
    ------
    ValueError
        For y None, of another length or shape, or (``numeric``) not finite numbers.
    """
    if y is None:
        raise ValueError(
            f"{who} requires y to be passed, but the target y is None: fit(X, y) learns y."
        )
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change the "
            "shape of y to (n_samples,), for example using ravel().",
            DataConversionWarning,
            stacklevel=3,
        )
        y = y[:, 0]
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"y must be 1-D with one value per row of X ({n}); got {y.shape}.")
    if y.dtype.kind == "c":
        raise ValueError("Complex data not supported: y holds complex numbers.")
    if numeric and y.dtype.kind not in "biuf":
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"Unknown label type: {who} predicts numbers, but y holds {y.dtype} values "
                "that are not numbers; a target of categories needs TabularClassifier."
            ) from None
    if y.dtype.kind in "f" and not np.all(np.isfinite(y)):
        row = int(np.argmax(~np.isfinite(y)))
        raise ValueError(
            f"y holds {y[row]} at row {row}; every target must be a finite number: "
            "drop the rows without one."
        )
    return y


def has_names(X: Any) -> bool:
    """Whether X names its columns as scikit-learn counts names: a DataFrame whose column
    names are all strings."""
    return isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns)


def check_names(fitted: Any, X: Any, who: str) -> None:
    """Compare X's column names with those seen by ``fit`` (``fitted``: None when fit saw
    none), as scikit-learn does: a ValueError when they differ, a UserWarning when only
    one side has names (the columns are then taken by position)."""
    named = has_names(X)
    if fitted is None or not named:
        if named or fitted is not None:
            warnings.warn(
                f"X has feature names, but {who} was fitted without feature names"
                if named
                else f"X does not have valid feature names, but {who} was fitted with "
                "feature names",
                UserWarning,
                stacklevel=3,
            )
        return
    seen, given = [str(c) for c in fitted], list(X.columns)
    if given == seen:
        return
    message = "The feature names should match those that were passed during fit.\n"
    unseen, missing = sorted(set(given) - set(seen)), sorted(set(seen) - set(given))
    for title, names in (
        ("Feature names unseen at fit time:", unseen),
        ("Feature names seen at fit time, yet now missing:", missing),
    ):
        if names:
            message += title + "\n" + "".join(f"- {n}\n" for n in names[:5])
            message += "- ...\n" if len(names) > 5 else ""
    if not (unseen or missing):
        message += "Feature names must be in the same order as they were in fit.\n"
    raise ValueError(message)
