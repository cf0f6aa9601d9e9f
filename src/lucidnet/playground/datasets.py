"""The playground's data: eight generated sets on the plane, and two columns of a CSV.

Every generated set lives on the square [-6, 6]² (TensorFlow Playground's plane, so its
pictures look familiar) and is a pure function of (name, n, noise, seed). Labels are
0/1 for the binary sets, 0/1/2 for the three-class set and real numbers in [-1, 1] for
the two regression surfaces.

A CSV upload is parsed with the standard library's ``csv`` module and checked cell by
cell: the page gets a :class:`DataError` with a message it can show, never a traceback.
The columns it trains on hold numbers up to :data:`MAX_CSV_MAGNITUDE` in size: a column
holding ±1e308 is refused by name rather than standardised, because its range overflows
the plane's arithmetic, and because such a number is nearly always a stand-in for a
missing value, next to which every real point would be squeezed onto one pixel.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DATASETS",
    "MAX_CSV_BYTES",
    "MAX_CSV_MAGNITUDE",
    "MAX_CSV_ROWS",
    "PLANE",
    "DataError",
    "Dataset",
    "csv_columns",
    "csv_dataset",
    "generate",
]

PLANE = 6.0  # generated data lives on [-PLANE, PLANE]²
MAX_CSV_BYTES = 2_000_000
MAX_CSV_ROWS = 5_000
MAX_CSV_COLUMNS = 100
MAX_CLASSES = 8
# The largest |number| of a column the page trains on: far beyond any measurement, far
# below what overflows (the range and pictures of x1, x2; a regression target's spread).
MAX_CSV_MAGNITUDE = 1e100

# name -> (task, description)
DATASETS: dict[str, tuple[str, str]] = {
    "circle": ("binary", "a disc inside a ring"),
    "xor": ("binary", "the four quadrants, labelled by the sign of x1·x2"),
    "gauss": ("binary", "two Gaussian clouds"),
    "spiral": ("binary", "two interleaved spirals"),
    "moons": ("binary", "two half-moons"),
    "blobs3": ("multiclass", "three Gaussian clouds, three classes"),
    "reg-plane": ("regression", "a tilted plane, y = (x1 + x2) / 12"),
    "reg-gauss": ("regression", "a surface of Gaussian bumps"),
}


class DataError(ValueError):
    """Data the page cannot use, with a message that says what to change."""


@dataclass
class Dataset:
    """Points on the plane with their targets.

    Attributes
    ----------
    X : ndarray of shape (n, 2)
        Coordinates (x1, x2) in the data's own units.
    y : ndarray of shape (n,)
        0/1 labels (binary), class indices 0..K-1 (multiclass) or real values (regression).
    task : {"binary", "multiclass", "regression"}
    classes : list of str
        The label of each class index (empty for regression).
    names : tuple of str
        The two input columns' names and the target's name.
    domain : tuple of 4 floats
        (x1_min, x1_max, x2_min, x2_max): the part of the plane that the views show.
    mean, scale : tuple of 2 floats
        The network sees u = (x − mean) / scale, which puts the data on about [-2, 2]²
        (for the generated sets: u = x / 3).
    """

    X: np.ndarray
    y: np.ndarray
    task: str
    classes: list[str]
    names: tuple[str, str, str] = ("x1", "x2", "y")
    domain: tuple[float, float, float, float] = (-PLANE, PLANE, -PLANE, PLANE)
    mean: tuple[float, float] = (0.0, 0.0)
    scale: tuple[float, float] = (PLANE / 2, PLANE / 2)

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def generate(name: str, n: int, noise: float, seed: int) -> Dataset:
    """One of :data:`DATASETS`, ``n`` points, noise in [0, 0.5], reproducible from ``seed``."""
    if name not in DATASETS:
        raise DataError(f"Unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")
    rng = np.random.default_rng(seed)
    task = DATASETS[name][0]
    X, y = _GENERATORS[name](rng, n, noise)
    X = np.clip(X, -PLANE, PLANE)
    classes = {"binary": ["0", "1"], "multiclass": ["0", "1", "2"], "regression": []}[task]
    return Dataset(X.astype(np.float64), y.astype(np.float64), task, classes)


def _circle(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    radius = 5.0
    inner = n // 2
    r = np.concatenate(
        [rng.uniform(0, radius * 0.5, inner), rng.uniform(radius * 0.7, radius, n - inner)]
    )
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    X += rng.uniform(-radius, radius, X.shape) * noise
    y = (np.hypot(X[:, 0], X[:, 1]) < radius * 0.6).astype(float)
    return X, y


def _xor(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    X = rng.uniform(-5, 5, (n, 2))
    X += np.where(X > 0, 0.3, -0.3)  # a small margin around the axes
    y = (X[:, 0] * X[:, 1] > 0).astype(float)
    X += rng.uniform(-5, 5, X.shape) * noise
    return X, y


def _gauss(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    spread = 0.5 + 3.5 * noise / 0.5
    half = n // 2
    centres = np.array([[2.0, 2.0]] * half + [[-2.0, -2.0]] * (n - half))
    X = centres + rng.normal(0, math.sqrt(spread), (n, 2))
    y = np.array([1.0] * half + [0.0] * (n - half))
    return X, y


def _spiral(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    half = n // 2
    parts, labels = [], []
    for label, delta in ((1.0, 0.0), (0.0, np.pi)):
        m = half if label else n - half
        i = np.arange(m)
        r = i / m * 5
        t = 1.75 * i / m * 2 * np.pi + delta
        P = np.column_stack([r * np.sin(t), r * np.cos(t)])
        parts.append(P + rng.uniform(-1, 1, P.shape) * noise * 2)
        labels.append(np.full(m, label))
    return np.concatenate(parts), np.concatenate(labels)


def _moons(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    half = n // 2
    t_up, t_down = rng.uniform(0, np.pi, half), rng.uniform(0, np.pi, n - half)
    upper = np.column_stack([np.cos(t_up), np.sin(t_up)])
    lower = np.column_stack([1 - np.cos(t_down), 0.5 - np.sin(t_down)])
    X = (np.concatenate([upper, lower]) - [0.5, 0.25]) * 3.2
    X += rng.normal(0, 0.2 + 4 * noise, X.shape)
    y = np.concatenate([np.zeros(half), np.ones(n - half)])
    return X, y


def _blobs3(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    y = np.arange(n) % 3
    angle = np.pi / 2 + y * 2 * np.pi / 3
    centres = 3.2 * np.column_stack([np.cos(angle), np.sin(angle)])
    X = centres + rng.normal(0, 0.8 + 3 * noise, (n, 2))
    return X, y.astype(float)


def _reg_plane(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    X = rng.uniform(-PLANE, PLANE, (n, 2))
    y = (X[:, 0] + X[:, 1]) / (2 * PLANE) + rng.uniform(-1, 1, n) * noise
    return X, y


_BUMPS = np.array(
    [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]]
)


def _reg_gauss(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    X = rng.uniform(-PLANE, PLANE, (n, 2))
    y = np.zeros(n)
    for cx, cy, sign in _BUMPS:
        y += sign * np.exp(-((X[:, 0] - cx) ** 2 + (X[:, 1] - cy) ** 2) / 4)
    y = np.clip(y, -1, 1) + rng.uniform(-1, 1, n) * noise
    return X, y


_GENERATORS = {
    "circle": _circle,
    "xor": _xor,
    "gauss": _gauss,
    "spiral": _spiral,
    "moons": _moons,
    "blobs3": _blobs3,
    "reg-plane": _reg_plane,
    "reg-gauss": _reg_gauss,
}


# ---------------------------------------------------------------------------- CSV


def _parse_csv(text: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV text, with its size and shape checked."""
    if not isinstance(text, str) or not text.strip():
        raise DataError("The CSV file is empty: it needs a header line and data rows.")
    _check_unicode(text)
    if len(text.encode("utf-8")) > MAX_CSV_BYTES:
        raise DataError(
            f"The CSV file is larger than {MAX_CSV_BYTES // 1_000_000} MB; "
            "the playground takes a small table (take a sample of its rows)."
        )
    if "\x00" in text:
        raise DataError("The file holds NUL bytes: it is not a text CSV file.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [row for row in csv.reader(io.StringIO(text), dialect) if row]
    except csv.Error as exc:
        raise DataError(f"The file could not be read as CSV: {exc}.") from None
    if len(rows) < 2:
        raise DataError("The CSV file needs a header line and at least one data row.")
    header = [h.strip() for h in rows[0]]
    if len(header) > MAX_CSV_COLUMNS:
        raise DataError(f"The CSV file has {len(header)} columns; at most {MAX_CSV_COLUMNS}.")
    if len(header) < 3:
        raise DataError(
            f"The CSV file has {len(header)} column(s); it needs at least three "
            "(two inputs and a target)."
        )
    if len(set(header)) != len(header) or any(not h for h in header):
        raise DataError("The header must name every column, each name once.")
    body = rows[1:]
    if len(body) > MAX_CSV_ROWS:
        raise DataError(
            f"The CSV file has {len(body)} rows; the playground takes at most "
            f"{MAX_CSV_ROWS} (take a sample)."
        )
    for i, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise DataError(
                f"Line {i} has {len(row)} fields but the header names {len(header)} columns."
            )
    return header, body


def _check_unicode(text: str) -> None:
    """Refuse a lone UTF-16 surrogate (U+D800..U+DFFF): JSON can carry one, no UTF-8 file can."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        raise DataError(
            f"The CSV text is not valid Unicode: line {line} holds half of a UTF-16 surrogate "
            f"pair ({text[exc.start]!r}), which no text file holds. Save the file as UTF-8 "
            "and upload it again."
        ) from None


def _as_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def csv_columns(text: str) -> dict[str, list[str]]:
    """The columns of a CSV: ``{"all": [...], "numeric": [...]}`` (numeric: every cell a finite
    number)."""
    header, body = _parse_csv(text)
    numeric = [
        name for j, name in enumerate(header) if all(_as_number(row[j]) is not None for row in body)
    ]
    if len(numeric) < 2:
        raise DataError(
            "The CSV file needs at least two numeric columns (every cell a finite number) to "
            f"use as x1 and x2; numeric columns found: {numeric or 'none'}."
        )
    return {"all": header, "numeric": numeric}


def csv_dataset(text: str, x1: str, x2: str, target: str, task: str) -> Dataset:
    """Two numeric columns of a CSV as (x1, x2) and a third as the target.

    ``task`` is "classification" (the target's distinct values become classes, at most
    eight) or "regression" (a numeric target).
    """
    header, body = _parse_csv(text)
    for role, name in (("x1", x1), ("x2", x2), ("target", target)):
        if name not in header:
            raise DataError(f"The {role} column {name!r} is not in the file.")
    if len({x1, x2, target}) != 3:
        raise DataError("x1, x2 and the target must be three different columns.")
    if task not in ("classification", "regression"):
        raise DataError(f"The task must be 'classification' or 'regression'; got {task!r}.")
    j1, j2, jt = header.index(x1), header.index(x2), header.index(target)
    X = np.empty((len(body), 2))
    for i, row in enumerate(body):
        for k, j in enumerate((j1, j2)):
            value = _as_number(row[j])
            if value is None:
                raise DataError(
                    f"Column {header[j]!r} holds {row[j]!r} on line {i + 2}: x1 and x2 must be "
                    "finite numbers."
                )
            X[i, k] = value
    for k, j in enumerate((j1, j2)):
        _check_magnitude(header[j], [row[j] for row in body], X[:, k])
    raw = [row[jt].strip() for row in body]
    lo, hi = X.min(axis=0), X.max(axis=0)
    mean, scale = (lo + hi) / 2, (hi - lo) / 4  # the data's range becomes [-2, 2], like the plane's
    if np.any(scale == 0):
        raise DataError("An input column is constant; choose columns whose values vary.")
    if task == "regression":
        values = [_as_number(v) for v in raw]
        if any(v is None for v in values):
            raise DataError(
                f"The target {target!r} holds text or missing values; regression needs numbers "
                "(or choose classification)."
            )
        y = np.asarray(values, dtype=np.float64)
        _check_magnitude(target, raw, y)
        classes: list[str] = []
        kind = "regression"
    else:
        labels = sorted(set(raw), key=_label_order)
        if len(labels) < 2 or len(labels) > MAX_CLASSES:
            raise DataError(
                f"The target {target!r} has {len(labels)} distinct value(s); classification "
                f"needs 2 to {MAX_CLASSES} (choose regression for a numeric target)."
            )
        index = {label: k for k, label in enumerate(labels)}
        y = np.asarray([index[v] for v in raw], dtype=np.float64)
        classes = labels
        kind = "binary" if len(labels) == 2 else "multiclass"
    pad = 0.05 * (hi - lo)
    domain = (lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1])
    return Dataset(
        X,
        y,
        kind,
        classes,
        names=(x1, x2, target),
        domain=tuple(float(v) for v in domain),  # type: ignore[arg-type]
        mean=(float(mean[0]), float(mean[1])),
        scale=(float(scale[0]), float(scale[1])),
    )


def _check_magnitude(name: str, cells: list[str], values: np.ndarray) -> None:
    """Refuse a column holding a number larger than MAX_CSV_MAGNITUDE in size, naming the
    column, the first such cell and its line."""
    large = np.flatnonzero(np.abs(values) > MAX_CSV_MAGNITUDE)
    if len(large):
        i = int(large[0])
        raise DataError(
            f"Column {name!r} holds {cells[i].strip()!r} on line {i + 2}: the playground takes "
            f"numbers up to {MAX_CSV_MAGNITUDE:g} in size (beyond, drawing and training on the "
            "column overflow). A number this large often stands for a missing value: remove "
            "those rows, or rescale the column (divide it by a power of ten), and upload the "
            "file again."
        )


def _label_order(label: str) -> tuple[int, float, str]:
    """Numbers in numeric order first, then text."""
    value = _as_number(label)
    return (0, value, "") if value is not None else (1, 0.0, label)
