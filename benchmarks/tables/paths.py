"""The recipe's three paths side by side: in memory, streamed from a file, on a Dask cluster.

For each table and seed, 20 % of the rows are set aside (seeded, stratified for
classification) and the three paths train on the other 80 %:

- **in memory**: ``TabularClassifier`` / ``TabularRegressor`` (the default recipe);
- **streamed**: the training rows written to a CSV and read back in chunks
  (``train_stream(..., recipe=RECIPE)``, the large-table path: held-out rows by row hash,
  a shuffle buffer of chunks, the epochs chosen on the held-out rows, the refit rule);
- **Dask**: ``lucidnet.dask.TabularClassifier`` / ``TabularRegressor`` on a
  ``LocalCluster`` of 2 worker processes (one task per member, the model their stack).

Each is scored on the rows set aside (accuracy or R²). The tables are the panel's
(:mod:`benchmarks.tables.panel`, subsampled to 20,000 rows) and those of 10⁵+ rows kept
whole for this benchmark (:mod:`benchmarks.tables.large`: ``fertility``, ``flights``).
Writes ``results/<name>.json`` and ``.md`` after every fit (a partial run keeps what it
has)::

    python -m benchmarks.tables.paths                        # nass_cds, cps1988; 3 seeds
    python -m benchmarks.tables.paths --tables fertility,flights --chunk-rows 20000
    python -m benchmarks.tables.paths --tables diamonds --seeds 0 --chunk-rows 2000
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split

from benchmarks.tables.large import LARGE
from benchmarks.tables.panel import PANEL

HERE = Path(__file__).resolve().parent
PATHS = ("in memory", "streamed", "dask")
TABLES = {**PANEL, **LARGE}


def _score(task: str, y_true: object, y_pred: object) -> float:
    if task == "classification":
        return float(accuracy_score(np.asarray(y_true), np.asarray(y_pred)))
    return float(r2_score(np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)))


def run_one(
    name: str,
    seed: int,
    chunk_rows: int,
    tmp: Path,
    paths: tuple[str, ...] = PATHS,
    max_rows: int | None = None,
) -> dict:
    """Train ``paths`` on one table and seed (its first ``max_rows`` rows in a seeded
    order when given); the row of scores and seconds."""
    import dask.dataframe as dd

    import lucidnet.dask as ldask
    from lucidnet.tables import RECIPE, TabularClassifier, TabularRegressor, train_stream

    table = TABLES[name]
    X, y = table.load()
    X.columns = [str(c) for c in X.columns]
    if max_rows is not None and len(X) > max_rows:  # the same rows for every seed
        keep = np.sort(np.random.default_rng(0).permutation(len(X))[:max_rows])
        X, y = X.iloc[keep].reset_index(drop=True), y.iloc[keep].reset_index(drop=True)
    stratify = y if table.task == "classification" else None
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.2, random_state=seed, stratify=stratify
    )
    row: dict[str, object] = {"table": name, "task": table.task, "seed": seed, "rows": len(X_tr)}
    memory_cls = TabularClassifier if table.task == "classification" else TabularRegressor
    dask_cls = ldask.TabularClassifier if table.task == "classification" else ldask.TabularRegressor
    frame = X_tr.assign(__y__=y_tr.to_numpy())

    def fit(path_name: str) -> object:
        if path_name == "in memory":
            return memory_cls(random_state=seed).fit(X_tr, y_tr.to_numpy())
        if path_name == "streamed":
            result = train_stream(csv, "__y__", task=table.task, seed=seed,
                                  chunk_rows=chunk_rows, recipe=RECIPE)  # fmt: skip
            return result.model
        ddf = dd.from_pandas(frame.reset_index(drop=True), npartitions=4)
        return dask_cls(random_state=seed).fit(ddf.drop(columns=["__y__"]), ddf["__y__"])

    csv = tmp / f"{name}_{seed}.csv"
    for path_name in paths:
        if path_name == "streamed":  # the file is the streamed path's input: written untimed
            frame.to_csv(csv, index=False)
        start = time.perf_counter()
        model = fit(path_name)
        row[path_name] = _score(table.task, y_te, model.predict(X_te))  # type: ignore[attr-defined]
        row[f"{path_name} seconds"] = time.perf_counter() - start
        csv.unlink(missing_ok=True)
    return row


def _cell(row: dict, key: str, form: str) -> str:
    return "—" if row.get(key) is None else form.format(row[key])


def _gap(row: dict, path: str) -> str:
    if row.get(path) is None or row.get("in memory") is None:
        return "—"
    return f"{row[path] - row['in memory']:+.4f}"


def _mean(values: list) -> str:
    return "—" if any(v is None for v in values) else f"{np.mean(values):.4f}"


def _subsampled(max_rows: int | None) -> str:
    if max_rows is None:
        return ""
    return f" Tables of more than {max_rows:,} rows are subsampled to {max_rows:,} (seeded)."


def write(rows: list[dict], args: argparse.Namespace) -> None:
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    load = [round(v, 2) for v in (args.load_at_start, os.getloadavg()[0])]
    meta = {"seeds": args.seeds, "chunk_rows": args.chunk_rows, "workers": 2, "load": load}
    meta["max_rows"] = args.max_rows
    (out / f"{args.name}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    lines = [
        "# The recipe's three paths: in memory, streamed, on Dask",
        "",
        "`python -m benchmarks.tables.paths`: each table's rows split 80/20 (seeded); the three "
        "paths train on the 80 % and are scored on the 20 % (accuracy for classification, R² "
        f"for regression).{_subsampled(args.max_rows)} Streamed in chunks of "
        f"{args.chunk_rows:,} rows; Dask on a "
        "LocalCluster of 2 worker processes, 4 partitions. Times are wall seconds of the fit "
        "and the prediction of the 20 % (the streamed path's file is written before its clock "
        f"starts) on a 2-core machine, load average {load[0]} at the start and {load[1]} at the "
        "last fit (the "
        "run's own Dask workers count in it).",
        "",
        "| table | seed | train rows | in memory | streamed | Dask | streamed − mem | "
        "Dask − mem | seconds (mem / stream / Dask) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        scores = " | ".join(_cell(r, p, "{:.4f}") for p in PATHS)
        gaps = " | ".join(_gap(r, p) for p in PATHS[1:])
        seconds = " / ".join(_cell(r, f"{p} seconds", "{:.0f}") for p in PATHS)
        lines.append(
            f"| {r['table']} | {r['seed']} | {r['rows']:,} | {scores} | {gaps} | {seconds} |"
        )
    lines += [
        "",
        "Mean over seeds:",
        "",
        "| table | in memory | streamed | Dask |",
        "|---|---:|---:|---:|",
    ]
    for name in dict.fromkeys(r["table"] for r in rows):
        mine = [r for r in rows if r["table"] == name]
        means = [_mean([r.get(p) for r in mine]) for p in PATHS]
        lines.append(f"| {name} | " + " | ".join(means) + " |")
    (out / f"{args.name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tables", default="nass_cds,cps1988")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument(
        "--chunk-rows", type=int, default=50_000, help="streamed chunk rows (the CLI's default)"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--name", default="paths")
    parser.add_argument(
        "--max-rows",
        type=int,
        default=None,
        help="subsample larger tables to this many rows (seeded, the same for every seed)",
    )
    parser.add_argument(
        "--paths",
        default=",".join(PATHS),
        help="which paths to train, of: " + ",".join(PATHS) + " (a row shows — for the others)",
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="keep the rows of results/<name>.json and replace the paths trained now",
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.tables.split(",")) - set(TABLES))
    if unknown:
        parser.error(f"unknown tables {unknown}; choose among {sorted(TABLES)}")
    paths = tuple(args.paths.split(","))
    if set(paths) - set(PATHS):
        parser.error(f"unknown paths {sorted(set(paths) - set(PATHS))}; choose among {PATHS}")
    args.load_at_start = os.getloadavg()[0]
    cluster = client = None
    if "dask" in paths:  # the Dask path's LocalCluster, the default client of its fits
        import distributed

        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        client = distributed.Client(cluster)
    rows: list[dict] = []
    if args.update and (args.out / f"{args.name}.json").exists():
        rows = json.loads((args.out / f"{args.name}.json").read_text())["rows"]
    try:
        with tempfile.TemporaryDirectory(prefix="lucidnet-paths-") as tmp:
            for name in args.tables.split(","):
                for seed in (int(s) for s in args.seeds.split(",")):
                    row = run_one(name, seed, args.chunk_rows, Path(tmp), paths, args.max_rows)
                    print(json.dumps(row), flush=True)
                    old = [r for r in rows if (r["table"], r["seed"]) == (name, seed)]
                    if old:  # --update: the paths trained now replace theirs
                        old[0].update(row)
                    else:
                        rows.append(row)
                    write(rows, args)
    finally:
        if client is not None and cluster is not None:
            client.close()
            cluster.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
