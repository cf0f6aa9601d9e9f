"""Score lucidnet's default table model against gradient boosting and scikit-learn's MLP.

For every panel table (``panel.py``) and every seed: ONE 75/25 split (stratified for
classification) shared by every system; each system (``systems.py``) is fitted on the
75 % with its defaults and scored on the 25 %. Classification: accuracy, ROC-AUC (binary;
macro one-vs-rest otherwise), log-loss. Regression: R². Every fit is timed (wall clock).
Writes ``<out>/<name>.md`` and ``<out>/<name>.json`` (``report.py``), by default
``results/latest.*``.

    python -m benchmarks.tables.run                      # the whole panel, 3 seeds
    python -m benchmarks.tables.run --quick              # a smoke test: 3 tables, 1 seed
    python -m benchmarks.tables.run --tables wage,oj --systems hgb,lucidnet --seeds 5
"""

from __future__ import annotations

import argparse
import os
import sys


def _set_threads(argv: list[str]) -> None:
    """Pin every BLAS/OpenMP pool to ``--threads`` (default 1) before NumPy is imported."""
    threads = 1
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            threads = int(argv[i + 1])
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


if __name__ == "__main__":
    _set_threads(sys.argv[1:])

# Imported after the thread variables are set (when run as a program).
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import accuracy_score, log_loss, r2_score, roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from benchmarks.tables.anchors import missing_packages  # noqa: E402
from benchmarks.tables.cost import training_cost  # noqa: E402
from benchmarks.tables.panel import PANEL, Table, describe  # noqa: E402
from benchmarks.tables.report import aggregate, markdown, summarise  # noqa: E402
from benchmarks.tables.systems import DEFAULT_SYSTEMS, SYSTEMS, FitFunction  # noqa: E402

HERE = Path(__file__).resolve().parent
QUICK_TABLES = ["breast_cancer", "wage", "gen_counts"]
QUICK_MAX_ROWS = 2000
TEST_SIZE = 0.25


# --------------------------------------------------------------------------- one fit


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


def run_one(fit: FitFunction, split: tuple[Any, ...], task: str, seed: int) -> dict[str, Any]:
    """Fit on the split's training rows, score on its test rows; both timed."""
    X_train, X_test, y_train, y_test = split
    start = time.perf_counter()
    model = fit(X_train, y_train, task, seed)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    metrics = score(model, X_test, y_test, task)
    predict_s = time.perf_counter() - start
    return {"fit_s": fit_s, "predict_s": predict_s, **metrics, **training_cost(model)}


def load_table(table: Table, max_rows: int | None) -> tuple[pd.DataFrame, pd.Series]:
    X, y = table.load()
    if max_rows is not None and len(X) > max_rows:
        keep = np.sort(np.random.default_rng(0).choice(len(X), size=max_rows, replace=False))
        X, y = X.iloc[keep].reset_index(drop=True), y.iloc[keep].reset_index(drop=True)
    return X, y


def split_table(X: pd.DataFrame, y: pd.Series, task: str, seed: int) -> tuple[Any, ...]:
    stratify = y if task == "classification" and y.value_counts().min() >= 2 else None
    return tuple(train_test_split(X, y, test_size=TEST_SIZE, random_state=seed, stratify=stratify))


def table_info(table: Table, X: pd.DataFrame, y: pd.Series) -> dict[str, Any]:
    """The panel's description of a loaded table, and the task `lucidnet train` would pick."""
    from lucidnet.tables import TableStats, choose_task

    stats = TableStats(target=str(y.name))
    stats.update_target(y)
    return {**describe(table, X, y), "cli_auto_task": choose_task(stats)}


# --------------------------------------------------------------------------- the run


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def save(result: dict[str, Any], out: Path, name: str) -> str:
    """Write ``<out>/<name>.json`` and ``.md``; return the markdown."""
    report = markdown(result)
    _write(out / f"{name}.json", json.dumps(result, indent=1, default=float) + "\n")
    _write(out / f"{name}.md", report + "\n")
    return report


def environment(threads: int) -> dict[str, Any]:
    """The machine, the versions and lucidnet's defaults, for the report."""
    import sklearn

    import lucidnet
    from lucidnet import TabularClassifier

    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
        "lucidnet": lucidnet.__version__,
    }
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "versions": versions,
        "threads": threads,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "lucidnet_defaults": {k: repr(v) for k, v in TabularClassifier().get_params().items()},
    }


def _names(text: str | None, known: list[str], what: str) -> list[str] | None:
    if text is None:
        return None
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown {what}: {unknown}; known: {', '.join(known)}")
    return names


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
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
        "--note",
        action="append",
        default=[],
        help="a line for the report's header, e.g. how loaded the machine was (repeatable)",
    )
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
    skipped = missing_packages(systems)
    for system, why in skipped.items():
        print(f"skipping {system}: {why}", file=sys.stderr, flush=True)
    systems = [s for s in systems if s not in skipped]
    n_seeds = args.seeds if args.seeds is not None else (1 if args.quick else 3)
    max_rows = args.max_rows
    if max_rows is None and args.quick:
        max_rows = QUICK_MAX_ROWS
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)

    started = time.perf_counter()
    records: list[dict[str, Any]] = []
    panel_info: dict[str, dict[str, Any]] = {}
    tasks: dict[str, str] = {}

    def result_so_far() -> dict[str, Any]:
        by_table = aggregate(records)
        done = [t for t in tables if t in panel_info]
        notes = list(args.note)
        if len(done) < len(tables):
            notes.append(f"Partial: {len(done)} of {len(tables)} tables so far (the run goes on).")
        return {
            "config": {
                "tables": done,
                "systems": systems,
                "seeds": list(range(n_seeds)),
                "max_rows": max_rows,
                "test_size": TEST_SIZE,
                "threads": args.threads,
            },
            "skipped_systems": skipped,
            "notes": notes,
            "environment": environment(args.threads),
            "panel": panel_info,
            "tables": by_table,
            "summary": summarise(by_table, tasks, systems),
            "runs": records,
            "total_s": time.perf_counter() - started,
        }

    for name in tables:
        table = PANEL[name]
        X, y = load_table(table, max_rows)
        panel_info[name] = table_info(table, X, y)
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
                    rec.update(run_one(SYSTEMS[system], split, table.task, seed))
                except Exception as exc:
                    rec["error"] = f"{type(exc).__name__}: {exc}"
                records.append(rec)
                shown = {k: round(v, 4) for k, v in rec.items() if isinstance(v, float)} or rec.get(
                    "error"
                )
                print(f"{name:<20} seed {seed} {system:<9} {shown}", file=sys.stderr, flush=True)
        if name != tables[-1]:  # a long run leaves its report so far after every table
            save(result_so_far(), args.out, args.name)

    report = save(result_so_far(), args.out, args.name)
    summary_part = report.split("## Main score per table")[0].split("## Summary")[1]
    table_part = report.split("## Main score per table")[1].split("## Every metric")[0]
    print("## Summary" + summary_part + "## Main score per table" + table_part)
    print(f"wrote {args.out / (args.name + '.md')} and .json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
