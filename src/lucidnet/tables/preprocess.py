"""Declarative preprocessing of a table's feature columns.

A numeric cell that is empty or not finite (NaN, +inf, −inf) is missing, at training
and at prediction alike (:func:`numeric_values`). Numeric columns are imputed with their
median and standardised (or, the tabular estimators' recipe, robustly scaled and smoothly
clipped, with missing-value indicators); text/categorical columns are imputed with the
constant "missing" and one-hot encoded (categories unseen at fit time, or infrequent ones,
become all-zero rows). The statistics are learned with scikit-learn's ``SimpleImputer``,
``StandardScaler`` and ``OneHotEncoder`` and then kept as plain arrays and JSON, so that a
model file stores them declaratively (never pickled) and applies
them with a few lines of NumPy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from lucidnet.tables.read import TableError, unique_columns

__all__ = [
    "MISSING",
    "TablePreprocessor",
    "is_numeric",
    "kept_levels",
    "numeric_values",
    "robust_center_scale",
    "shorten",
    "smooth_clip",
]

MISSING = "missing"


@dataclass
class TablePreprocessor:
    """Impute + standardise numeric columns, impute + one-hot encode the others.

    Attributes
    ----------
    columns : list of str
        The input columns, in order (set by ``fit``, like the attributes below).
    numeric : list of str
    categorical : list of str
    median, mean, scale : ndarray of shape (n_numeric,)
    categories : dict column -> list of str
    max_categories : int or None
        Per text column, the ``max_categories − 1`` most frequent levels are kept when it
        has ``max_categories`` or more (None: every level); the others read all-zero.
    min_frequency : int or None
        Also keep every other level seen at least this many times (:func:`kept_levels`).
    max_levels : int or None
        With ``min_frequency``: at most this many levels per text column, the most
        frequent (None: no cap).
    """

    columns: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    median: np.ndarray = field(default_factory=lambda: np.zeros(0))
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scale: np.ndarray = field(default_factory=lambda: np.ones(0))
    categories: dict[str, list[str]] = field(default_factory=dict)
    scaling: str = "standard"
    indicators: list[str] = field(default_factory=list)
    max_categories: int | None = None
    missing_indicators: bool = False
    min_frequency: int | None = None
    max_levels: int | None = None

    def fit(self, frame: pd.DataFrame) -> TablePreprocessor:
        """Choose the transformer of every column and learn its statistics.

        Raises
        ------
        TableError
            When two columns have the same name as text (``"a"`` twice, or ``0`` and
            ``"0"``), or a numeric column has no values at all.
        """
        self.columns = unique_columns(frame.columns)
        self.numeric = [c for c in self.columns if is_numeric(frame[c])]
        self.categorical = [c for c in self.columns if c not in self.numeric]
        if self.numeric:
            values = numeric_values(frame, self.numeric)
            empty = [
                c for c, col in zip(self.numeric, values.T, strict=True) if np.all(np.isnan(col))
            ]
            if empty:
                raise TableError(f"Column(s) {empty} have no values at all; drop them.")
            if self.scaling not in ("standard", "robust"):
                raise ValueError(f"scaling must be 'standard' or 'robust'; got {self.scaling!r}.")
            self.median = np.nanmedian(values, axis=0)  # SimpleImputer(median)'s statistics
            filled = np.where(np.isnan(values), self.median, values)
            if self.scaling == "robust":
                self.mean, self.scale = robust_center_scale(filled)
            else:
                scaler = StandardScaler().fit(filled)
                self.mean, self.scale = scaler.mean_, scaler.scale_
            if self.missing_indicators:
                has_missing = np.isnan(values).any(axis=0)
                self.indicators = [c for c, m in zip(self.numeric, has_missing, strict=True) if m]
        if self.categorical and self.min_frequency is not None:
            text = self.as_text(frame)
            self.categories = {}
            for c, column in zip(self.categorical, text.T, strict=True):
                counts = pd.Series(column).value_counts(sort=False).sort_index()  # hashed
                self.categories[c] = kept_levels(
                    [str(v) for v in counts.index],
                    counts.to_numpy(),
                    self.max_categories,
                    self.min_frequency,
                    self.max_levels,
                )
        elif self.categorical:
            text = self.as_text(frame)
            encoder = OneHotEncoder(
                handle_unknown="infrequent_if_exist" if self.max_categories else "ignore",
                max_categories=self.max_categories,
            ).fit(text)
            infrequent = getattr(encoder, "infrequent_categories_", None) or [None] * len(
                self.categorical
            )
            self.categories = {
                c: [str(v) for v in cats if rare is None or v not in set(rare)]
                for c, cats, rare in zip(
                    self.categorical, encoder.categories_, infrequent, strict=True
                )
            }
        return self

    def as_text(self, frame: pd.DataFrame) -> np.ndarray:
        """The text columns as strings, a missing cell as ``MISSING`` (object array)."""
        text = np.empty((len(frame), len(self.categorical)), dtype=object)
        for j, name in enumerate(self.categorical):
            column = frame[name]
            if pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty"):
                values = column.to_numpy(dtype=object, copy=True)  # strings already
            else:
                values = column.astype("object").astype(str).to_numpy(dtype=object)
            values[column.isna().to_numpy()] = MISSING
            text[:, j] = values
        return text

    def check_columns(self, frame: pd.DataFrame, source: str = "the data") -> None:
        """Raise TableError when ``frame`` lacks columns the model was trained on, or
        repeats a column name."""
        unique_columns(frame.columns, source)
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise TableError(
                f"{source} lacks column(s) {missing} that the model was trained on; "
                f"it needs: {', '.join(self.columns)}."
            )

    def transform(self, frame: pd.DataFrame, dtype: Any = np.float64) -> np.ndarray:
        """The model's input matrix: standardised numbers, then one-hot blocks.

        Notes
        -----
        numeric: x ← (x if present and finite else median − mean) / scale
        robust scaling: mean is the median, scale the interquartile range, then the
        smooth clip x ← x / √(1 + (x/3)²), which bounds |x| by 3
        missing indicators: one 0/1 column per numeric column that had missing values
        categorical: one 0/1 column per category seen at fit time (unknown or infrequent
        → all zero)
        """
        self.check_columns(frame)
        blocks: list[Any] = []  # each block is computed in float64, then stored in dtype
        if self.numeric:
            values = numeric_values(
                frame, self.numeric, "held numbers when the model was trained but hold text now"
            )
            missing = np.isnan(values)
            values = (np.where(missing, self.median, values) - self.mean) / self.scale
            if self.scaling == "robust":
                values = smooth_clip(values)
            blocks.append(values)
            if self.indicators:
                where = [self.numeric.index(c) for c in self.indicators]
                blocks.append(missing[:, where])
        if self.categorical:
            text = self.as_text(frame)
            for j, column in enumerate(self.categorical):
                cats = self.categories[column]  # each row's level by hashing: −1 unknown
                codes = pd.Index(cats, dtype=object).get_indexer(text[:, j])
                blocks.append(codes[:, None] == np.arange(len(cats))[None, :])
        # one matrix of the final dtype, filled block by block: no float64 copy of it all
        X = np.empty((len(frame), sum(b.shape[1] for b in blocks)), dtype=dtype)
        start = 0
        for block in blocks:
            X[:, start : start + block.shape[1]] = block
            start += block.shape[1]
        return X

    @property
    def feature_names_out(self) -> list[str]:
        """Names of the model's inputs: numeric columns, then ``column=category``."""
        names = list(self.numeric) + [f"{c}=missing" for c in self.indicators]
        for column in self.categorical:
            names += [f"{column}={v}" for v in self.categories[column]]
        return names

    def describe(self) -> str:
        """One line per transformer, for the command line's output."""
        lines = []
        if self.numeric:
            lines.append(
                f"numeric ({len(self.numeric)}): SimpleImputer(median) + "
                + (
                    "robust scaling (median, IQR) + smooth clip"
                    if self.scaling == "robust"
                    else "StandardScaler"
                )
                + (f" + {len(self.indicators)} missing indicator(s)" if self.indicators else "")
                + ": "
                + shorten(self.numeric)
            )
        if self.categorical:
            lines.append(
                f"categorical ({len(self.categorical)}): SimpleImputer('{MISSING}') + "
                "OneHotEncoder(handle_unknown='ignore'): "
                + shorten([f"{c} ({len(self.categories[c])})" for c in self.categorical])
            )
        return "\n".join(lines)

    # ------------------------------------------------------------------ declarative state

    def to_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Arrays (for tensors) and JSON (columns, categories) that describe this object."""
        arrays = {"pre.median": self.median, "pre.mean": self.mean, "pre.scale": self.scale}
        meta = {
            "columns": self.columns,
            "numeric": self.numeric,
            "categorical": self.categorical,
            "categories": self.categories,
            "imputer_numeric": "median",
            "imputer_categorical": MISSING,
            "scaling": self.scaling,
            "indicators": self.indicators,
        }
        return {k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()}, meta

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> TablePreprocessor:
        """Rebuild from :meth:`to_state` output, checking that the pieces agree."""
        pre = cls(
            columns=[str(c) for c in meta["columns"]],
            numeric=[str(c) for c in meta["numeric"]],
            categorical=[str(c) for c in meta["categorical"]],
            median=np.asarray(arrays["pre.median"], dtype=np.float64),
            mean=np.asarray(arrays["pre.mean"], dtype=np.float64),
            scale=np.asarray(arrays["pre.scale"], dtype=np.float64),
            categories={str(k): [str(v) for v in vs] for k, vs in meta["categories"].items()},
            scaling=str(meta.get("scaling", "standard")),
            indicators=[str(c) for c in meta.get("indicators", [])],
        )
        if pre.scaling not in ("standard", "robust"):
            raise ValueError(f"['scaling'] is {pre.scaling!r}, not 'standard' or 'robust'")
        if not set(pre.indicators) <= set(pre.numeric):
            unknown = sorted(set(pre.indicators) - set(pre.numeric))
            raise ValueError(f"['indicators'] names {unknown}, which are not numeric columns")
        n = len(pre.numeric)
        if not (pre.median.shape == pre.mean.shape == pre.scale.shape == (n,)):
            raise ValueError("the preprocessing arrays do not match the numeric columns")
        both = pre.numeric + pre.categorical
        if len(set(both)) != len(both) or sorted(both) != sorted(pre.columns):
            raise ValueError(
                f"['columns'] {pre.columns} are not its numeric {pre.numeric} and "
                f"categorical {pre.categorical} columns, each once"
            )
        if set(pre.categories) != set(pre.categorical):
            raise ValueError("['categories'] are not those of its categorical columns")
        if not (np.all(np.isfinite(pre.mean)) and np.all(pre.scale > 0)):
            raise ValueError("the preprocessing statistics are not finite and positive")
        return pre

    def __repr__(self) -> str:
        columns = {"numeric": self.numeric, "categorical": self.categorical}
        return f"TablePreprocessor({json.dumps(columns)})"


def numeric_values(
    frame: pd.DataFrame, columns: list[str], why: str = "hold text among their numbers"
) -> np.ndarray:
    """The numeric ``columns`` of ``frame`` as float64 (n, len(columns)); a cell that is
    empty or not finite (NaN, ±inf) is NaN: missing.

    Raises
    ------
    TableError
        When a column holds text, naming the column and the first row (``frame``'s
        index label) with its value; ``why`` ends the sentence.
    """
    try:
        values = frame[columns].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        where = []
        for c in columns:
            text = frame[c].notna() & pd.to_numeric(frame[c], errors="coerce").isna()
            if text.any():
                row = int(np.argmax(text.to_numpy()))
                where.append(f"{c!r}: {frame[c].iloc[row]!r} in row {frame.index[row]}")
        bad = [c for c in columns if not is_numeric(frame[c])]
        raise TableError(f"Column(s) {bad} {why} ({'; '.join(where)}); fix those values.") from None
    return np.where(np.isfinite(values), values, np.nan)


def kept_levels(
    levels: list[str],
    counts: Any,
    max_categories: int | None,
    min_frequency: int | None = None,
    max_levels: int | None = None,
) -> list[str]:
    """The levels of a text column that get a one-hot column, in ``levels``' order.

    Parameters
    ----------
    levels : list of str
        The column's distinct levels, sorted.
    counts : array of shape (len(levels),)
        How many rows hold each level.
    max_categories : int or None
        With n ≥ ``max_categories`` levels, the ``max_categories − 1`` most frequent are
        kept (of tied levels, the first in ``levels`` is dropped first), as
        ``OneHotEncoder(max_categories=...)`` keeps them; None: every level.
    min_frequency : int or None
        Also keep every level counted at least this many times.
    max_levels : int or None
        Then at most this many levels, the most frequent (ties as above).

    Notes
    -----
    kept = top(max_categories − 1) ∪ {level : count ≥ min_frequency}, then the
    ``max_levels`` most frequent of them.

    Examples
    --------
    >>> kept_levels(["a", "b", "c", "d"], [5, 1, 3, 3], max_categories=3)  # c, d tie
    ['a', 'd']
    >>> kept_levels(["a", "b", "c", "d"], [5, 1, 3, 3], 3, min_frequency=3)
    ['a', 'c', 'd']
    """
    counts = np.asarray(counts)
    if counts.shape != (len(levels),):
        raise ValueError(f"counts has shape {counts.shape}; expected ({len(levels)},).")
    rarest_first = np.argsort(counts, kind="mergesort")  # stable: ties in levels' order
    keep = np.ones(len(levels), dtype=bool)
    if max_categories is not None and len(levels) >= max_categories:
        keep[rarest_first[: len(levels) - max_categories + 1]] = False
    if min_frequency is not None:
        keep |= counts >= min_frequency
        if max_levels is not None and keep.sum() > max_levels:
            kept_rarest_first = rarest_first[keep[rarest_first]]
            keep[kept_rarest_first[: keep.sum() - max_levels]] = False
    return [level for level, k in zip(levels, keep, strict=True) if k]


def smooth_clip(x: np.ndarray, bound: float = 3.0) -> np.ndarray:
    """x / √(1 + (x/bound)²): the identity near 0, bounded by ``bound`` (RealMLP's clip).

    The root is taken as hypot(1, x/bound), which does not overflow where (x/bound)²
    would (|x| > 1e154), and x = ±inf maps to ±bound, the limit.
    """
    with np.errstate(invalid="ignore"):  # inf / inf, replaced below
        out = x / np.hypot(1.0, x / bound)
    return np.where(np.isinf(x), np.sign(x) * bound, out)


def robust_center_scale(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column: the median, and the interquartile range (else half the range, else 1)."""
    q25, median, q75 = np.quantile(values, [0.25, 0.5, 0.75], axis=0)
    scale = q75 - q25
    half_range = (values.max(axis=0) - values.min(axis=0)) / 2
    scale = np.where(scale > 0, scale, np.where(half_range > 0, half_range, 1.0))
    return median, scale


def shorten(names: list[str], most: int = 8) -> str:
    """The first ``most`` names, then how many more."""
    if len(names) <= most:
        return ", ".join(names)
    return ", ".join(names[:most]) + f", … ({len(names) - most} more)"


def is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series)) and not pd.api.types.is_bool_dtype(series)
