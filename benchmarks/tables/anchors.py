"""The panel's anchors: the strongest defaults a practitioner would pick instead of lucidnet.

Each library is called with its OWN defaults, as its users would call it, on one thread
(the panel's ``Threads: 1``) and with the panel's seed:

* ``catboost``: ``CatBoostClassifier/Regressor()``, categorical columns given natively
  (``cat_features``; a missing category is the text ``"missing"``, since CatBoost refuses
  NaN there), ``thread_count=1``;
* ``lightgbm``: ``LGBMClassifier/Regressor()``, categorical columns as pandas ``category``
  (LightGBM's native path), ``n_jobs=1``;
* ``realmlp-td`` and ``tabm-d``: pytabkit's ``RealMLP_TD_Classifier/Regressor`` and
  ``TabM_D_Classifier/Regressor`` on the CPU, ``n_threads=1`` (and ``torch.set_num_threads(1)``).
  pytabkit encodes categories itself (pandas ``category`` columns, a missing one its own
  level) but refuses missing numbers, so a number column with missing cells in the training
  rows gets the training median and a 0/1 missing-indicator column, as its users must.

None of these libraries is a dependency of lucidnet: ``pip install -r
benchmarks/tables/requirements-anchors.txt`` (``make bench-anchors``) installs them, with
PyTorch's CPU build. :func:`missing_packages` says which anchor cannot run here and why;
``run.py`` skips those and names them in the report.
"""

from __future__ import annotations

import contextlib
import importlib.util
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.tables.panel import numeric_columns

INSTALL_HINT = "pip install -r benchmarks/tables/requirements-anchors.txt (or: make bench-anchors)"

# system -> the importable modules it needs
ANCHOR_PACKAGES: dict[str, tuple[str, ...]] = {
    "catboost": ("catboost",),
    "lightgbm": ("lightgbm",),
    "realmlp-td": ("pytabkit", "torch"),
    "tabm-d": ("pytabkit", "torch"),
}


def missing_packages(systems: list[str]) -> dict[str, str]:
    """``system -> why it is skipped`` for each anchor in ``systems`` whose library is absent."""
    skipped = {}
    for system in systems:
        absent = [m for m in ANCHOR_PACKAGES.get(system, ()) if importlib.util.find_spec(m) is None]
        if absent:
            skipped[system] = f"{' and '.join(absent)} not installed ({INSTALL_HINT})"
    return skipped


# --------------------------------------------------------------------------- the columns


def _categorical(X: pd.DataFrame) -> list[str]:
    numeric = set(numeric_columns(X))
    return [c for c in X.columns if c not in numeric]


def _text(column: pd.Series) -> pd.Series:
    """A categorical column as Python strings, None where missing."""
    values = column.astype("object").where(column.notna(), None)
    return values.map(lambda v: None if v is None else str(v))


class _Columns:
    """The training rows' categorical levels and number medians, applied to any rows.

    ``categories(X)``: each categorical column as a pandas ``category`` with the training
    levels (unseen or missing: NaN). ``impute(X)``: each number column with missing
    training cells filled with the training median, and its 0/1 indicator appended.
    """

    def __init__(self, X: pd.DataFrame) -> None:
        self.categorical = _categorical(X)
        self.levels = {c: sorted(set(_text(X[c]).dropna())) for c in self.categorical}
        numbers = numeric_columns(X)
        self.medians = {c: float(X[c].median()) for c in numbers if X[c].isna().any()}

    def categories(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        for c in self.categorical:
            values = _text(X[c])
            values = values.where(values.isin(self.levels[c]), None)  # unseen: missing
            X[c] = pd.Categorical(values, categories=self.levels[c])
        return X

    def impute(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        for c, median in self.medians.items():
            missing = X[c].isna()
            X[c] = X[c].astype(np.float64).fillna(median if np.isfinite(median) else 0.0)
            X[f"{c}__missing"] = missing.astype(np.float64)
        return X


class _Prepared:
    """A fitted anchor behind the frame conversion it needs at predict time."""

    def __init__(self, model: Any, prepare: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
        self.model = model
        self.prepare = prepare
        if hasattr(model, "classes_"):
            self.classes_ = np.asarray(model.classes_)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        with _libraries_quiet():
            return np.asarray(self.model.predict(self.prepare(X))).reshape(len(X), -1)[:, 0]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        with _libraries_quiet():
            proba = np.asarray(self.model.predict_proba(self.prepare(X)), dtype=np.float64)
        return proba / proba.sum(axis=1, keepdims=True)  # float32 softmax rows: sum to 1 again


@contextlib.contextmanager
def _libraries_quiet() -> Iterator[None]:
    """The libraries' own notices inside their fit and predict (PyTorch Lightning's
    deprecations on every call, PyTorch's about read-only arrays), not the panel's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _target(y: pd.Series, task: str) -> pd.Series:
    if task == "classification" and not pd.api.types.is_numeric_dtype(y):
        return y.astype(str).astype(object)
    return y


# --------------------------------------------------------------------------- the anchors


def fit_catboost(X: pd.DataFrame, y: pd.Series, task: str, seed: int) -> Any:
    """``CatBoostClassifier/Regressor()`` defaults, categorical columns native."""
    from catboost import CatBoostClassifier, CatBoostRegressor

    cats = _categorical(X)

    def prepare(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        for c in cats:
            frame[c] = _text(frame[c]).fillna("missing").astype(object)
        return frame

    Est = CatBoostClassifier if task == "classification" else CatBoostRegressor
    model = Est(
        thread_count=1,
        random_seed=seed,
        cat_features=cats,
        verbose=False,
        allow_writing_files=False,
    )
    model.fit(prepare(X), _target(y, task))
    return _Prepared(model, prepare)


def fit_lightgbm(X: pd.DataFrame, y: pd.Series, task: str, seed: int) -> Any:
    """``LGBMClassifier/Regressor()`` defaults, categorical columns as pandas categories."""
    from lightgbm import LGBMClassifier, LGBMRegressor

    columns = _Columns(X)
    Est = LGBMClassifier if task == "classification" else LGBMRegressor
    model = Est(n_jobs=1, random_state=seed, verbose=-1)
    model.fit(columns.categories(X), _target(y, task))
    return _Prepared(model, columns.categories)


def _fit_pytabkit(X: pd.DataFrame, y: pd.Series, task: str, seed: int, family: str) -> Any:
    import pytabkit
    import torch

    torch.set_num_threads(1)
    Est = getattr(pytabkit, f"{family}_{'Classifier' if task == 'classification' else 'Regressor'}")
    columns = _Columns(X)

    def prepare(frame: pd.DataFrame) -> pd.DataFrame:
        return columns.impute(columns.categories(frame))

    model = Est(device="cpu", random_state=seed, n_threads=1)
    with _libraries_quiet():
        model.fit(prepare(X), _target(y, task), cat_col_names=columns.categorical)
    return _Prepared(model, prepare)


def fit_realmlp_td(X: pd.DataFrame, y: pd.Series, task: str, seed: int) -> Any:
    """pytabkit's ``RealMLP_TD_Classifier/Regressor()`` defaults on the CPU, one thread."""
    return _fit_pytabkit(X, y, task, seed, "RealMLP_TD")


def fit_tabm_d(X: pd.DataFrame, y: pd.Series, task: str, seed: int) -> Any:
    """pytabkit's ``TabM_D_Classifier/Regressor()`` defaults on the CPU, one thread."""
    return _fit_pytabkit(X, y, task, seed, "TabM_D")


ANCHORS: dict[str, Callable[[pd.DataFrame, pd.Series, str, int], Any]] = {
    "catboost": fit_catboost,
    "lightgbm": fit_lightgbm,
    "realmlp-td": fit_realmlp_td,
    "tabm-d": fit_tabm_d,
}
