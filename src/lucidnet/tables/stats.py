"""Statistics of a table learned chunk by chunk: what preprocessing and the task rule need.

Means and variances merge by Chan's parallel update (:class:`Moments`), medians come from
a seeded uniform reservoir sample (:class:`Reservoir`), categories are the union over
chunks, and the target's kind and values are collected for the task rule. Everything
merges, which is how ``lucidnet.dask`` computes the statistics partition by partition.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lucidnet.tables.model import TargetScaling
from lucidnet.tables.preprocess import (
    TablePreprocessor,
    is_numeric,
    kept_levels,
    numeric_values,
    robust_center_scale,
)
from lucidnet.tables.read import TableError

__all__ = [
    "MAX_CATEGORIES",
    "RESERVOIR_SIZE",
    "Moments",
    "Reservoir",
    "TableStats",
    "target_labels",
]

RESERVOIR_SIZE = 100_000
MAX_CATEGORIES = 10_000  # per text column; one-hot widths beyond this are a mistake


@dataclass
class Moments:
    """Count, mean and M2 = Σ (x − mean)² of each column, updated chunk by chunk.

    Notes
    -----
    Chan et al.'s parallel update for two groups a and b, n = n_a + n_b, δ = mean_b − mean_a:
    mean = mean_a + δ n_b / n,   M2 = M2_a + M2_b + δ² n_a n_b / n.
    """

    count: np.ndarray
    mean: np.ndarray
    M2: np.ndarray

    @classmethod
    def empty(cls, width: int) -> Moments:
        return cls(np.zeros(width), np.zeros(width), np.zeros(width))

    @classmethod
    def of(cls, values: np.ndarray) -> Moments:
        """Moments of the non-NaN entries of each column of ``values`` (n, width)."""
        present = ~np.isnan(values)
        count = present.sum(axis=0).astype(np.float64)
        total = np.where(present, values, 0.0).sum(axis=0)
        mean = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
        M2 = np.where(present, (values - mean) ** 2, 0.0).sum(axis=0)
        return cls(count, mean, M2)

    def merge(self, other: Moments) -> Moments:
        n = self.count + other.count
        delta = other.mean - self.mean
        share = np.divide(other.count, n, out=np.zeros_like(n), where=n > 0)
        mean = self.mean + delta * share
        M2 = self.M2 + other.M2 + delta**2 * self.count * share
        return Moments(n, mean, M2)

    @property
    def var(self) -> np.ndarray:
        """The population variance M2 / n (as StandardScaler's ``var_``)."""
        return np.divide(self.M2, self.count, out=np.zeros_like(self.M2), where=self.count > 0)


class Reservoir:
    """A seeded uniform sample of at most ``size`` values of each column (Algorithm R).

    While a column has had at most ``size`` values, the sample is all of them (so its
    median is exact); after that each value seen is in the sample with probability
    size / seen. Two reservoirs merge into a uniform sample of the union.
    """

    def __init__(self, width: int, size: int = RESERVOIR_SIZE, seed: int = 0) -> None:
        self.size = int(size)
        self.seen = np.zeros(width, dtype=np.int64)
        self.samples: list[np.ndarray] = [np.empty(0) for _ in range(width)]
        self.rng = np.random.default_rng(seed)

    def update(self, values: np.ndarray) -> None:
        """Offer the non-NaN entries of each column of ``values`` (n, width)."""
        for j in range(values.shape[1]):
            column = values[:, j]
            column = column[~np.isnan(column)]
            sample, seen = self.samples[j], int(self.seen[j])  # len(sample) = min(seen, size)
            room = self.size - len(sample)
            if room > 0:  # the first `size` values all go in
                sample = np.concatenate([sample, column[:room]])
                seen += len(column[:room])
                column = column[room:]
            if len(column):
                # The value with 0-based global index t replaces slot r ~ U{0..t} when
                # r < size (kept with probability size / (t + 1)); later values win ties,
                # as in the sequential algorithm.
                t = seen + np.arange(len(column))
                r = (self.rng.random(len(column)) * (t + 1)).astype(np.int64)
                keep = r < self.size
                sample = sample.copy()
                sample[r[keep]] = column[keep]
                seen += len(column)
            self.samples[j] = sample
            self.seen[j] = seen

    def merge(self, other: Reservoir) -> Reservoir:
        """A uniform sample of both reservoirs' data (each column separately)."""
        out = Reservoir(len(self.samples), self.size, seed=int(self.rng.integers(2**63)))
        for j in range(len(self.samples)):
            a, b = self.samples[j], other.samples[j]
            n_a, n_b = int(self.seen[j]), int(other.seen[j])
            if n_a + n_b <= self.size:
                out.samples[j] = np.concatenate([a, b])
            else:
                take_a, take_b = out.rng.multivariate_hypergeometric([n_a, n_b], self.size)
                out.samples[j] = np.concatenate(
                    [
                        out.rng.choice(a, int(take_a), replace=False),
                        out.rng.choice(b, int(take_b), replace=False),
                    ]
                )
            out.seen[j] = n_a + n_b
        return out

    def median(self) -> np.ndarray:
        return np.array([np.median(s) if len(s) else np.nan for s in self.samples])

    @property
    def exact(self) -> bool:
        """Whether every column's sample still holds all its values."""
        return bool(np.all(self.seen <= self.size))


@dataclass
class TableStats:
    """What ``TablePreprocessor.fit`` and the task choice need, learned chunk by chunk.

    Feed it :meth:`update` with each chunk's training rows (features and target) and
    :meth:`update_target` with the target of every labelled row (classes must include
    the held-out rows' classes); then :meth:`preprocessor` gives the fitted
    ``TablePreprocessor``.
    """

    target: str
    columns: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    moments: Moments | None = None
    reservoir: Reservoir | None = None
    categories: dict[str, set[str]] = field(default_factory=dict)
    category_counts: dict[str, Counter[str]] = field(default_factory=dict)
    rows: int = 0
    target_numeric: bool | None = None
    target_integral: bool = True
    target_values: set[Any] = field(default_factory=set)
    target_many: bool = False  # more than MAX_CATEGORIES distinct numbers: values dropped
    target_moments: Moments = field(default_factory=lambda: Moments.empty(1))
    labelled_rows: int = 0
    unlabelled_rows: int = 0
    reservoir_size: int = RESERVOIR_SIZE
    seed: int = 0
    text_columns: list[str] | None = None  # decided up front; else from the first update

    # ------------------------------------------------------------------ updates

    def _set_columns(self, features: pd.DataFrame) -> None:
        columns = [str(c) for c in features.columns]
        if self.text_columns is not None:
            numeric = [c for c in columns if c not in self.text_columns]
        else:
            numeric = [c for c in columns if is_numeric(features[c])]
        self._set_schema(columns, numeric)

    def _set_schema(self, columns: list[str], numeric: list[str]) -> None:
        self.columns, self.numeric = list(columns), list(numeric)
        self.categorical = [c for c in self.columns if c not in self.numeric]
        self.moments = Moments.empty(len(self.numeric))
        self.reservoir = Reservoir(len(self.numeric), self.reservoir_size, self.seed)
        self.categories = {c: set() for c in self.categorical}
        self.category_counts = {c: Counter() for c in self.categorical}

    def update(self, features: pd.DataFrame) -> None:
        """Learn from the feature columns of some training rows."""
        if not self.columns:
            self._set_columns(features)
        if [str(c) for c in features.columns] != self.columns:
            raise TableError(
                f"The chunks disagree on the columns: {self.columns} first, then "
                f"{[str(c) for c in features.columns]}."
            )
        if len(features) == 0:
            return
        self.rows += len(features)
        if self.numeric:
            values = _numeric_values(features, self.numeric)
            assert self.moments is not None and self.reservoir is not None
            self.moments = self.moments.merge(Moments.of(values))
            self.reservoir.update(values)
        if self.categorical:
            text = TablePreprocessor(categorical=self.categorical).as_text(features)
            for j, column in enumerate(self.categorical):
                seen = self.categories[column]
                values, counts = np.unique(text[:, j], return_counts=True)
                seen.update(values.tolist())
                counted = dict(zip(values.tolist(), counts.tolist(), strict=True))
                self.category_counts[column].update(counted)
                if len(seen) > MAX_CATEGORIES:
                    raise TableError(
                        f"Column {column!r} has more than {MAX_CATEGORIES} distinct values; "
                        "one-hot encoding it would make too many inputs. Drop it or bin it."
                    )

    def update_target(self, y: pd.Series) -> None:
        """Learn the target's kind and values from labelled rows (NaN-free)."""
        if len(y) == 0:
            return
        numeric = is_numeric(y)
        if self.target_numeric is None:
            self.target_numeric = numeric
        elif self.target_numeric and not numeric:
            self.target_numeric = False  # text further down: the target is a label
        self.labelled_rows += len(y)
        if numeric:
            values = y.to_numpy(dtype=np.float64)
            self.target_moments = self.target_moments.merge(Moments.of(values[:, None]))
            self.target_integral = self.target_integral and bool(np.all(values == np.round(values)))
            if not self.target_many:
                self._collect_numbers(np.unique(values).tolist())
        else:
            self.target_values.update(np.unique(y.astype(str).to_numpy()).tolist())
        self._check_target_values()

    def _check_target_values(self) -> None:
        many = self.target_many or len(self.target_values) > MAX_CATEGORIES
        if many and self.target_numeric is False:
            raise TableError(
                f"The target {self.target!r} has more than {MAX_CATEGORIES} distinct values; "
                "that is not a classification target. Use --task regression for numbers."
            )

    def _collect_numbers(self, values: list[Any]) -> None:
        """Keep a numeric target's distinct values while they could still be classes.

        At most ``MAX_CATEGORIES`` values are kept: past that the target is continuous
        (a regression target, whatever the task rule), ``target_many`` is set, the values
        are dropped and no more are collected, so memory stays flat however long the file.
        """
        self.target_values.update(values)
        if len(self.target_values) > MAX_CATEGORIES:
            self.target_many = True
            self.target_values = set()

    def merge(self, other: TableStats) -> TableStats:
        """Statistics of both parts' rows (``lucidnet.dask`` merges partitions this way)."""
        if not self.columns and not other.columns:
            raise ValueError("Merge statistics after at least one update.")
        for part, schema in ((self, other), (other, self)):
            if not part.columns:  # saw no features (only targets): empty feature statistics
                part._set_schema(schema.columns, schema.numeric)
        if other.columns != self.columns or other.numeric != self.numeric:
            raise TableError(
                "The partitions disagree on the columns or their types: "
                f"{self.numeric} numeric in one, {other.numeric} in another."
            )
        assert self.moments and other.moments and self.reservoir and other.reservoir
        merged = TableStats(
            target=self.target,
            columns=self.columns,
            numeric=self.numeric,
            categorical=self.categorical,
            moments=self.moments.merge(other.moments),
            reservoir=self.reservoir.merge(other.reservoir),
            categories={c: self.categories[c] | other.categories[c] for c in self.categorical},
            category_counts={
                c: self.category_counts[c] + other.category_counts[c] for c in self.categorical
            },
            rows=self.rows + other.rows,
            target_integral=self.target_integral and other.target_integral,
            target_many=self.target_many or other.target_many,
            target_moments=self.target_moments.merge(other.target_moments),
            labelled_rows=self.labelled_rows + other.labelled_rows,
            unlabelled_rows=self.unlabelled_rows + other.unlabelled_rows,
            reservoir_size=self.reservoir_size,
            seed=self.seed,
            text_columns=self.text_columns,
        )
        kinds = {k for k in (self.target_numeric, other.target_numeric) if k is not None}
        merged.target_numeric = None if not kinds else all(kinds)
        if not merged.target_many:  # both parts kept their values: at most MAX_CATEGORIES each
            merged.target_values = self.target_values | other.target_values
            if merged.target_numeric:
                merged._collect_numbers([])
        merged._check_target_values()
        return merged

    # ------------------------------------------------------------------ results

    def preprocessor(self) -> TablePreprocessor:
        """The ``TablePreprocessor`` that ``fit`` would learn from the same rows.

        Notes
        -----
        The numeric columns are imputed with the median m of their n_p present values, so
        with n_m = n − n_p missing ones, the imputed column's moments are those of the
        present values merged with n_m copies of m (mean m, M2 = 0). Scale = √var, and 1
        for a constant column (as StandardScaler).
        """
        if self.rows == 0:
            raise TableError("No training rows were read: the file has no labelled rows.")
        pre = TablePreprocessor(
            columns=list(self.columns),
            numeric=list(self.numeric),
            categorical=list(self.categorical),
        )
        if self.numeric:
            assert self.moments is not None and self.reservoir is not None
            empty = [c for c, n in zip(self.numeric, self.moments.count, strict=True) if n == 0]
            if empty:
                raise TableError(f"Column(s) {empty} have no values at all; drop them.")
            median = self.reservoir.median()
            n_missing = self.rows - self.moments.count
            filled = self.moments.merge(Moments(n_missing, median, np.zeros_like(median)))
            var = filled.var
            eps = np.finfo(np.float64).eps
            constant = var <= self.rows * eps * var + (self.rows * filled.mean * eps) ** 2
            pre.median = median
            pre.mean = filled.mean
            pre.scale = np.where(constant, 1.0, np.sqrt(var))
        pre.categories = {c: sorted(self.categories[c]) for c in self.categorical}
        return pre

    def recipe_preprocessor(
        self,
        max_categories: int | None,
        min_frequency: int | None = None,
        max_levels: int | None = None,
    ) -> TablePreprocessor:
        """The recipe's ``TablePreprocessor`` (``Recipe.preprocessor().fit``) from the statistics.

        Robust scaling: the median and interquartile range of each imputed column, from
        the reservoir sample of its present values joined by the imputed share of
        copies of the median (exact while the sample holds every value); a missing-value
        indicator for each numeric column with a missing cell; per text column the
        levels of :func:`~lucidnet.tables.preprocess.kept_levels` (the
        ``max_categories − 1`` most frequent when there are ``max_categories`` or more,
        as ``OneHotEncoder``'s ``max_categories`` keeps them, and with
        ``min_frequency`` every level seen that often, at most ``max_levels``).

        Notes
        -----
        With n_p present values in the sample out of p present and m missing in the
        column, the sample gains round(n_p · m / p) copies of the median.
        """
        pre = self.preprocessor()
        pre.scaling, pre.missing_indicators, pre.max_categories = "robust", True, max_categories
        if self.numeric:
            assert self.reservoir is not None and self.moments is not None
            centers, scales = [], []
            for j, sample in enumerate(self.reservoir.samples):
                present = float(self.moments.count[j])
                copies = round(len(sample) * (self.rows - present) / max(present, 1.0))
                imputed = np.concatenate([sample, np.full(copies, pre.median[j])])
                center, scale = robust_center_scale(imputed[:, None])
                centers.append(center[0])
                scales.append(scale[0])
            pre.mean, pre.scale = np.array(centers), np.array(scales)
            missing = self.moments.count < self.rows
            pre.indicators = [c for c, m in zip(self.numeric, missing, strict=True) if m]
        pre.min_frequency, pre.max_levels = min_frequency, max_levels
        for column in self.categorical:
            cats = sorted(self.categories[column])
            counts = np.array([self.category_counts[column][c] for c in cats], dtype=np.int64)
            pre.categories[column] = kept_levels(
                cats, counts, max_categories, min_frequency, max_levels
            )
        return pre

    def classes(self) -> np.ndarray:
        """The sorted class labels (int64 for whole numbers, float64 or str otherwise)."""
        if self.target_numeric and self.target_many:
            raise TableError(
                f"The target {self.target!r} has more than {MAX_CATEGORIES} distinct numbers; "
                "that is not a classification target. Use --task regression."
            )
        if self.target_numeric:
            values = np.array(sorted(self.target_values), dtype=np.float64)
            return values.astype(np.int64) if self.target_integral else values
        return np.array(sorted(str(v) for v in self.target_values), dtype=object)

    def labels(self, y: pd.Series) -> np.ndarray:
        """A chunk's target values in the dtype of :meth:`classes`."""
        return target_labels(y, bool(self.target_numeric), self.target_integral)

    @property
    def target_mean(self) -> float:
        return float(self.target_moments.mean[0])

    @property
    def target_scale(self) -> float:
        """The target's population standard deviation, 1 for a constant target."""
        return float(np.sqrt(self.target_moments.var[0])) or 1.0

    def target_scaling(self, task: str) -> TargetScaling:
        """How the network sees the target: standardised for regression, as is otherwise."""
        if task != "regression":
            return TargetScaling()
        return TargetScaling(self.target_mean, self.target_scale)


def target_labels(y: pd.Series, numeric: bool, integral: bool) -> np.ndarray:
    """Target values as labels: int64 for whole numbers, float64 for others, else text."""
    if numeric:
        values = y.to_numpy(dtype=np.float64)
        return values.astype(np.int64) if integral else values
    return y.astype(str).to_numpy(dtype=object)


def _numeric_values(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """:func:`~lucidnet.tables.preprocess.numeric_values` (non-finite cells are missing),
    with the advice of a file read in chunks."""
    return numeric_values(
        frame,
        columns,
        "held numbers in the first chunk but hold text further down (raise --chunk-rows "
        "so that the first chunk shows the text)",
    )
