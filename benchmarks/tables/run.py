"""Score lucidnet's default table model against gradient boosting and scikit-learn's MLP.

For every panel table (``benchmarks/tables/panel.py``) and every seed: ONE 75/25 split
(stratified for classification) shared by every system; each system is fitted on the 75 %
with its defaults and scored on the 25 %:

* ``hgb``: ``HistGradientBoostingClassifier/Regressor()`` with native categorical columns;
* ``sk-mlp``: ``MLPClassifier/MLPRegressor()`` after median imputation + standardisation of
  numbers and constant imputation + one-hot encoding of categories;
* ``lucidnet``: what ``lucidnet train data.csv --target y`` does with no options.

Classification: accuracy, ROC-AUC (binary; macro one-vs-rest otherwise), log-loss.
Regression: R². Every fit is timed (wall clock). Writes ``results/latest.md`` and
``results/latest.json``.

    python benchmarks/tables/run.py                      # the whole panel, 3 seeds
    python benchmarks/tables/run.py --quick              # a smoke test: 3 tables, 1 seed
    python benchmarks/tables/run.py --tables wage,oj --systems hgb,lucidnet --seeds 5

Add a system by adding ``name: fit_function`` to :data:`SYSTEMS`; a fit function takes
``(X_train, y_train, task, seed)`` and returns a fitted object with ``predict`` (and, for
classification, ``predict_proba`` and ``classes_``).
"""

from __future__ import annotations

import argparse
import os
import sys
from functools import partial


def _set_threads(argv: list[str] | None) -> int:
    """Pin every BLAS/OpenMP pool to the same size before NumPy is imported."""
    threads = 1
    args = list(sys.argv[1:] if argv is None else argv)
    for i, arg in enumerate(args):
        if arg == "--threads" and i + 1 < len(args):
            threads = int(args[i + 1])
        elif arg.startswith("--threads="):
            threads = int(arg.split("=", 1)[1])
    for var in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "BLIS_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "NUMEXPR_NUM_THREADS",
    ):
        os.environ[var] = str(threads)
    return threads


if __name__ == "__main__":
    _set_threads(None)

import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.base import BaseEstimator, TransformerMixin  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.metrics import accuracy_score, log_loss, r2_score, roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from panel import PANEL, Table  # noqa: E402

QUICK_TABLES = ["breast_cancer", "wage", "gen_counts"]
QUICK_MAX_ROWS = 2000
TEST_SIZE = 0.25


# --------------------------------------------------------------------------- columns


def numeric_columns(X: pd.DataFrame) -> list[str]:
    """Numbers (not bools): what lucidnet's TablePreprocessor calls numeric."""
    return [
        c
        for c in X.columns
        if pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])
    ]


def categorical_columns(X: pd.DataFrame) -> list[str]:
    numeric = set(numeric_columns(X))
    return [c for c in X.columns if c not in numeric]


def _as_text(X: Any) -> np.ndarray:
    """Categorical cells as Python strings, NaN where missing (for the imputer)."""
    frame = pd.DataFrame(X)
    out = frame.astype("object").where(frame.notna(), np.nan)
    return out.map(lambda v: v if isinstance(v, float) else str(v)).to_numpy(dtype=object)


# --------------------------------------------------------------------------- systems


class _Categorize(TransformerMixin, BaseEstimator):
    """Categorical columns → pandas ``category`` dtype with the categories seen in fit.

    HistGradientBoosting handles at most ``max_bins`` (255) categories natively; a column
    with more levels becomes its ordinal code (a number), as the ordinal-encoder recipe in
    scikit-learn's documentation would give. Unseen or missing categories become NaN.
    """

    def __init__(self, max_levels: int = 255) -> None:
        self.max_levels = max_levels

    def fit(self, X: pd.DataFrame, y: Any = None) -> _Categorize:
        self.categorical_ = categorical_columns(X)
        self.categories_ = {
            c: sorted({str(v) for v in X[c].dropna().unique()}) for c in self.categorical_
        }
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        for c in self.categorical_:
            values = X[c].astype("object").where(X[c].notna(), None)
            values = values.map(lambda v: None if v is None else str(v))
            # categories unseen in fit become missing (NaN for the model)
            values = values.where(values.isin(self.categories_[c]), None)
            cat = pd.Categorical(values, categories=self.categories_[c])
            if len(self.categories_[c]) <= self.max_levels:
                X[c] = cat
            else:
                X[c] = np.where(cat.codes < 0, np.nan, cat.codes.astype(np.float64))
        return X


def fit_hgb(X: pd.DataFrame, y: pd.Series, task: str, seed: int) -> Any:
    """HistGradientBoosting defaults, categorical columns native (from the dtype)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.pipeline import make_pipeline

    classify = task == "classification"
    Est = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
    model = make_pipeline(_Categorize(), Est(categorical_features="from_dtype", random_state=seed))
    return model.fit(X, y)


def fit_sk_mlp(X: pd.DataFrame, y: pd.Series, task: str, seed: int) -> Any:
    """scikit-learn MLP defaults behind the textbook imputation/scaling/one-hot pipeline."""
    from sklearn.impute import SimpleImputer
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    pre = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                numeric_columns(X),
            ),
            (
                "cat",
                make_pipeline(
                    FunctionTransformer(_as_text),
                    SimpleImputer(strategy="constant", fill_value="missing"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical_columns(X),
            ),
        ]
    )
    Est = MLPClassifier if task == "classification" else MLPRegressor
    model = make_pipeline(pre, Est(random_state=seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


class _LucidnetModel:
    """A fitted ``lucidnet.tables.TabularModel`` seen through scikit-learn's names."""

    def __init__(self, model: Any) -> None:
        self.model = model
        if model.task == "classification":
            self.classes_ = np.asarray(model.classes)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.model.predict(X)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(X)


# The options `lucidnet train` ran with before the tabular recipe (lucidnet ≤ 0.1): a plain
# MLPClassifier/MLPRegressor watching a 20 % hold-out it never trained on, 200 epochs.
PLAIN_DEFAULTS: dict[str, Any] = {
    "hidden": [64, 32],
    "activation": "relu",
    "optimizer": "adam",
    "alpha": 1e-4,
    "batch_size": 64,
    "lr": 1e-3,
    "epochs": 200,
    "validation": 0.2,
    "early_stopping": None,
    "dropout": 0.0,
}


def fit_lucidnet(X: pd.DataFrame, y: pd.Series, task: str, seed: int, **params: Any) -> Any:
    """What ``lucidnet train data.csv --target y`` does: the tabular recipe's defaults.

    ``TabularClassifier`` / ``TabularRegressor`` with ``random_state=seed`` (``params``
    override their defaults, for the ablation systems).
    """
    from lucidnet import TabularClassifier, TabularRegressor

    Est = TabularClassifier if task == "classification" else TabularRegressor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Est(random_state=seed, **params).fit(X, y)


def fit_lucidnet_plain(X: pd.DataFrame, y: pd.Series, task: str, seed: int, **options: Any) -> Any:
    """What ``lucidnet train data.csv --target y`` did before the recipe (the CLI's old steps).

    The same steps with the CLI's default options, except that the task is given (as with
    ``--task``) and the seed is the panel's (``--seed``): hold out ``--validation`` (20 %,
    stratified) and only watch it, fit ``TablePreprocessor`` on the other 80 %, standardise
    a regression target, train ``MLPClassifier/MLPRegressor`` for 200 epochs.

    ``options`` override :data:`PLAIN_DEFAULTS`, for experiments only.

    """
    from lucidnet.estimators import MLPClassifier, MLPRegressor
    from lucidnet.tables import TablePreprocessor, TabularModel

    o = {**PLAIN_DEFAULTS, **options}
    target = np.asarray(
        y.astype(str).to_numpy() if task == "classification" and y.dtype == object else y.to_numpy()
    )
    if o["validation"] > 0:
        f_train, f_val, y_train, y_val = train_test_split(
            X,
            target,
            test_size=o["validation"],
            random_state=seed,
            stratify=target if task == "classification" else None,
        )
    else:
        f_train, f_val, y_train, y_val = X, None, target, None
    pre = TablePreprocessor().fit(f_train)
    X_train = pre.transform(f_train)
    mean, scale = 0.0, 1.0
    if task == "regression":
        mean = float(np.mean(y_train))
        scale = float(np.std(y_train)) or 1.0
    Est = MLPClassifier if task == "classification" else MLPRegressor
    est = Est(
        hidden_layer_sizes=tuple(o["hidden"]),
        activation=o["activation"],
        solver=o["optimizer"],
        alpha=o["alpha"],
        batch_size=o["batch_size"],
        learning_rate_init=o["lr"],
        max_iter=o["epochs"],
        random_state=seed,
        early_stopping=bool(o["early_stopping"]),
        n_iter_no_change=o["early_stopping"] or np.inf,
        dropout=o["dropout"] or None,
        callbacks=None,
        verbose=0,
    )
    fit_y = y_train if task == "classification" else (y_train - mean) / scale
    validation_data = None
    if f_val is not None:
        val_y = y_val if task == "classification" else (y_val - mean) / scale
        validation_data = (pre.transform(f_val), val_y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X_train, fit_y, validation_data=validation_data)
    model = TabularModel(pre, est, str(y.name), task, target_mean=mean, target_scale=scale)
    return _LucidnetModel(model)


FitFunction = Callable[[pd.DataFrame, pd.Series, str, int], Any]

SYSTEMS: dict[str, FitFunction] = {
    "hgb": fit_hgb,
    "sk-mlp": fit_sk_mlp,
    "lucidnet": fit_lucidnet,
    # the ablation: the recipe less one ingredient, and the command line before the recipe
    "lucidnet-1-member": partial(fit_lucidnet, n_members=1),
    "lucidnet-no-refit": partial(fit_lucidnet, refit=False),
    "lucidnet-plain-mlp": fit_lucidnet_plain,
}
DEFAULT_SYSTEMS = ("hgb", "sk-mlp", "lucidnet")
REFERENCES = ("hgb", "sk-mlp")


# --------------------------------------------------------------------------- scoring


def main_metric(task: str) -> str:
    return "accuracy" if task == "classification" else "r2"


def score(model: Any, X: pd.DataFrame, y: pd.Series, task: str) -> dict[str, float]:
    if task == "regression":
        return {"r2": float(r2_score(y.to_numpy(dtype=np.float64), model.predict(X)))}
    truth = y.astype(str).to_numpy() if y.dtype == object else y.to_numpy()
    proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    classes = np.asarray(model.classes_)
    if classes.dtype.kind in "OUS":
        classes = classes.astype(str)
        truth = truth.astype(str)
    predicted = classes[np.argmax(proba, axis=1)]
    out = {"accuracy": float(accuracy_score(truth, predicted))}
    try:
        if len(classes) == 2:
            out["roc_auc"] = float(roc_auc_score(truth == classes[1], proba[:, 1]))
        else:
            out["roc_auc"] = float(
                roc_auc_score(truth, proba, multi_class="ovr", average="macro", labels=classes)
            )
    except ValueError:
        out["roc_auc"] = float("nan")
    out["log_loss"] = float(log_loss(truth, np.clip(proba, 1e-15, 1.0), labels=classes))
    return out


def run_one(
    system: str, fit: FitFunction, split: tuple[Any, ...], task: str, seed: int
) -> dict[str, Any]:
    X_train, X_test, y_train, y_test = split
    start = time.perf_counter()
    model = fit(X_train, y_train, task, seed)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    metrics = score(model, X_test, y_test, task)
    predict_s = time.perf_counter() - start
    return {"fit_s": fit_s, "predict_s": predict_s, **metrics}


def load_table(table: Table, max_rows: int | None) -> tuple[pd.DataFrame, pd.Series]:
    X, y = table.load()
    if max_rows is not None and len(X) > max_rows:
        keep = np.sort(np.random.default_rng(0).choice(len(X), size=max_rows, replace=False))
        X, y = X.iloc[keep].reset_index(drop=True), y.iloc[keep].reset_index(drop=True)
    return X, y


def split_table(X: pd.DataFrame, y: pd.Series, task: str, seed: int) -> tuple[Any, ...]:
    stratify = y if task == "classification" and y.value_counts().min() >= 2 else None
    return tuple(train_test_split(X, y, test_size=TEST_SIZE, random_state=seed, stratify=stratify))


# --------------------------------------------------------------------------- aggregation


def _mean(values: list[float]) -> float:
    finite = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def _median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def aggregate(records: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """table → system → mean (and std of the main score) over seeds."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for rec in records:
        out.setdefault(rec["table"], {}).setdefault(rec["system"], {})
    for table, systems in out.items():
        for system in systems:
            recs = [
                r
                for r in records
                if r["table"] == table and r["system"] == system and "error" not in r
            ]
            if not recs:
                systems[system] = {"error": 1.0}
                continue
            keys = [k for k in recs[0] if isinstance(recs[0][k], float)]
            agg = {k: _mean([r[k] for r in recs]) for k in keys}
            main = main_metric(recs[0]["task"])
            agg[f"{main}_std"] = float(np.std([r[main] for r in recs]))
            agg["seeds"] = float(len(recs))
            systems[system] = agg
    return out


def summarise(
    tables: dict[str, dict[str, dict[str, float]]], tasks: dict[str, str], systems: list[str]
) -> dict[str, Any]:
    """Gaps, wins/losses and time ratios of each system against each reference."""
    summary: dict[str, Any] = {}
    for system in systems:
        entry: dict[str, Any] = {}
        for ref in REFERENCES:
            if ref == system or ref not in systems:
                continue
            gaps, ll_gaps, ratios = [], [], []
            won = lost = tied = 0
            for table, by_system in tables.items():
                a, b = by_system.get(system, {}), by_system.get(ref, {})
                main = main_metric(tasks[table])
                if main not in a or main not in b:
                    continue
                gap = a[main] - b[main]
                gaps.append(gap)
                won += gap > 1e-4
                lost += gap < -1e-4
                tied += abs(gap) <= 1e-4
                if "log_loss" in a and "log_loss" in b:
                    ll_gaps.append(a["log_loss"] - b["log_loss"])
                if b.get("fit_s", 0) > 0:
                    ratios.append(a["fit_s"] / b["fit_s"])
            entry[f"vs_{ref}"] = {
                "tables": len(gaps),
                "mean_gap": _mean(gaps),
                "median_gap": float(np.median(gaps)) if gaps else float("nan"),
                "worst_gap": float(min(gaps)) if gaps else float("nan"),
                "won": int(won),
                "lost": int(lost),
                "tied": int(tied),
                "mean_log_loss_gap": _mean(ll_gaps),
                "median_fit_time_ratio": _median(ratios),
                "max_fit_time_ratio": float(max(ratios)) if ratios else float("nan"),
            }
        summary[system] = entry
    return summary


# --------------------------------------------------------------------------- reports


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown(result: dict[str, Any]) -> str:
    cfg = result["config"]
    systems = cfg["systems"]
    lines = [
        "# lucidnet table panel",
        "",
        f"{len(cfg['tables'])} tables, seeds {cfg['seeds']}, systems {', '.join(systems)}; "
        f"one 75/25 split per seed shared by every system (stratified for classification). "
        f"Main score: accuracy (classification) or R² (regression), mean over seeds on the "
        f"25 % test rows. Threads: {cfg['threads']}. Total time {result['total_s']:.0f} s.",
        "",
        f"Machine: {result['environment']['machine']}; "
        + ", ".join(f"{k} {v}" for k, v in result["environment"]["versions"].items()),
        "",
        "lucidnet = `lucidnet train data.csv --target y` = TabularClassifier/TabularRegressor "
        f"defaults: {json.dumps(result['environment'].get('lucidnet_defaults', {}))}",
        "",
        "## Summary",
        "",
        "| system | vs | tables | mean gap | median gap | worst gap | won | lost | mean log-loss "
        "gap | median fit-time ratio | max fit-time ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for system, entry in result["summary"].items():
        for key, s in entry.items():
            lines.append(
                f"| {system} | {key[3:]} | {s['tables']} | {s['mean_gap']:+.4f} | "
                f"{s['median_gap']:+.4f} | {s['worst_gap']:+.4f} | {s['won']} | {s['lost']} | "
                f"{_fmt(s['mean_log_loss_gap'])} | {_fmt(s['median_fit_time_ratio'], 2)} | "
                f"{_fmt(s['max_fit_time_ratio'], 2)} |"
            )
    lines += [
        "",
        "Gap = system − reference on the main score (positive: the system is better); "
        "log-loss gap: negative is better. Time ratio = system fit seconds / reference fit "
        "seconds, per table.",
        "",
        "## Main score per table",
        "",
        "| table | task | rows | "
        + " | ".join(f"{s}" for s in systems)
        + " | "
        + " | ".join(f"{s} fit s" for s in systems)
        + " |",
        "| --- | --- | ---: | " + " | ".join("---:" for _ in systems * 2) + " |",
    ]
    for table, by_system in result["tables"].items():
        info = result["panel"][table]
        main = main_metric(info["task"])
        scores = [by_system.get(s, {}).get(main) for s in systems]
        best = max((v for v in scores if v is not None and np.isfinite(v)), default=None)
        cells = [(f"**{_fmt(v)}**" if v is not None and v == best else _fmt(v)) for v in scores]
        times = [_fmt(by_system.get(s, {}).get("fit_s"), 2) for s in systems]
        task = f"{info['task'][:5]}. ({main})"
        lines.append(f"| {table} | {task} | {info['rows']} | " + " | ".join(cells + times) + " |")
    lines += [
        "",
        "## Panel",
        "",
        "| table | task | rows | numeric | categorical | missing cells | classes | "
        "`lucidnet train` auto task | source | note |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for table, info in result["panel"].items():
        auto = info.get("cli_auto_task", "?")
        lines.append(
            f"| {table} | {info['task']} | {info['rows']} | {info['numeric']} | "
            f"{info['categorical']} | {info['missing_cells']} | {info.get('classes', '')} | "
            f"{auto if auto == info['task'] else f'**{auto}**'} | {info['source']} | "
            f"{info['note']} |"
        )
    lines += ["", "## Every metric per table", ""]
    for table, by_system in result["tables"].items():
        info = result["panel"][table]
        metrics = (
            ["accuracy", "roc_auc", "log_loss"] if info["task"] == "classification" else ["r2"]
        )
        main = main_metric(info["task"])
        lines += [
            f"### {table}",
            "",
            f"{info['task']}, {info['rows']} rows, {info['numeric']} numeric + "
            f"{info['categorical']} categorical columns, {info['missing_cells']} missing "
            f"cells"
            + (f", {info['classes']} classes" if "classes" in info else "")
            + f". Source: {info['source']}."
            + (f" {info['note']}." if info["note"] else ""),
            "",
            "| system | " + " | ".join(metrics) + f" | {main} std | fit s | predict s |",
            "| --- | " + " | ".join("---:" for _ in metrics) + " | ---: | ---: | ---: |",
        ]
        for system in systems:
            agg = by_system.get(system, {})
            if "error" in agg:
                lines.append(f"| {system} | failed: see the JSON |")
                continue
            lines.append(
                f"| {system} | "
                + " | ".join(_fmt(agg.get(m)) for m in metrics)
                + f" | {_fmt(agg.get(main + '_std'))} | {_fmt(agg.get('fit_s'), 2)} | "
                f"{_fmt(agg.get('predict_s'), 3)} |"
            )
        lines.append("")
    errors = [r for r in result["runs"] if "error" in r]
    if errors:
        lines += ["## Failures", ""]
        lines += [f"- {r['table']} seed {r['seed']} {r['system']}: {r['error']}" for r in errors]
        lines.append("")
    return "\n".join(lines)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def environment(threads: int) -> dict[str, Any]:
    import sklearn

    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
    }
    try:
        import lucidnet

        versions["lucidnet"] = lucidnet.__version__
    except Exception:  # pragma: no cover - the library is being reorganised
        pass
    env: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "versions": versions,
        "threads": threads,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
    }
    try:
        from lucidnet import TabularClassifier

        env["lucidnet_defaults"] = {k: repr(v) for k, v in TabularClassifier().get_params().items()}
    except Exception as exc:  # pragma: no cover
        env["lucidnet_defaults"] = f"unavailable: {exc}"
    return env


# --------------------------------------------------------------------------- main


def _names(text: str | None, known: list[str], what: str) -> list[str] | None:
    if text is None:
        return None
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown {what}: {unknown}; known: {', '.join(known)}")
    return names


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", help="comma-separated panel tables (default: all)")
    parser.add_argument(
        "--systems",
        help=f"comma-separated (default: {','.join(DEFAULT_SYSTEMS)}; all: {','.join(SYSTEMS)})",
    )
    parser.add_argument(
        "--seeds", type=int, default=None, help="seeds 0..N-1 (default 3; 1 with --quick)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: 1 seed, tables {','.join(QUICK_TABLES)} unless --tables, "
        f"at most {QUICK_MAX_ROWS} rows per table",
    )
    parser.add_argument("--max-rows", type=int, default=None, help="subsample tables to N rows")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (default 1)")
    parser.add_argument(
        "--out", type=Path, default=HERE / "results", help="results folder (default: results/)"
    )
    parser.add_argument("--name", default="latest", help="report file stem (default: latest)")
    parser.add_argument(
        "--render",
        type=Path,
        metavar="JSON",
        help="only rewrite the markdown report of an existing results JSON (next to it)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        result = json.loads(args.render.read_text(encoding="utf-8"))
        _write(args.render.with_suffix(".md"), markdown(result) + "\n")
        print(f"wrote {args.render.with_suffix('.md')}")
        return 0
    tables = _names(args.tables, list(PANEL), "tables") or (
        QUICK_TABLES if args.quick else list(PANEL)
    )
    systems = _names(args.systems, list(SYSTEMS), "systems") or list(DEFAULT_SYSTEMS)
    n_seeds = args.seeds if args.seeds is not None else (1 if args.quick else 3)
    max_rows = args.max_rows
    if max_rows is None and args.quick:
        max_rows = QUICK_MAX_ROWS
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    except ImportError:  # pragma: no cover
        pass

    started = time.perf_counter()
    records: list[dict[str, Any]] = []
    panel_info: dict[str, dict[str, Any]] = {}
    tasks: dict[str, str] = {}
    for name in tables:
        table = PANEL[name]
        X, y = load_table(table, max_rows)
        numeric = numeric_columns(X)
        info: dict[str, Any] = {
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
        from lucidnet.tables import TableStats, choose_task

        # What `lucidnet train` would pick without --task (the panel always gives it).
        stats = TableStats(target=str(y.name))
        stats.update_target(y)
        info["cli_auto_task"] = choose_task(stats)
        panel_info[name] = info
        tasks[name] = table.task
        for seed in range(n_seeds):
            split = split_table(X, y, table.task, seed)
            for system in systems:
                rec: dict[str, Any] = {
                    "table": name,
                    "task": table.task,
                    "seed": seed,
                    "system": system,
                }
                try:
                    rec.update(run_one(system, SYSTEMS[system], split, table.task, seed))
                except Exception as exc:
                    rec["error"] = f"{type(exc).__name__}: {exc}"
                records.append(rec)
                shown = {k: round(v, 4) for k, v in rec.items() if isinstance(v, float)} or rec.get(
                    "error"
                )
                print(f"{name:<20} seed {seed} {system:<9} {shown}", file=sys.stderr, flush=True)

    by_table = aggregate(records)
    result = {
        "config": {
            "tables": tables,
            "systems": systems,
            "seeds": list(range(n_seeds)),
            "max_rows": max_rows,
            "test_size": TEST_SIZE,
            "threads": args.threads,
        },
        "environment": environment(args.threads),
        "panel": panel_info,
        "tables": by_table,
        "summary": summarise(by_table, tasks, systems),
        "runs": records,
        "total_s": time.perf_counter() - started,
    }
    report = markdown(result)
    _write(args.out / f"{args.name}.json", json.dumps(result, indent=1, default=float) + "\n")
    _write(args.out / f"{args.name}.md", report + "\n")
    summary_part = report.split("## Main score per table")[0].split("## Summary")[1]
    table_part = report.split("## Main score per table")[1].split("## Every metric")[0]
    print("## Summary" + summary_part + "## Main score per table" + table_part)
    print(f"wrote {args.out / (args.name + '.md')} and .json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
