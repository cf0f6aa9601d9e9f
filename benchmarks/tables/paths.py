"""The recipe's three paths side by side: in memory, streamed from a file, on a Dask cluster.

For each table and seed, 20 % of the rows are set aside (seeded, stratified for
classification) and the three paths train on the other 80 %:

- **in memory**: ``TabularClassifier`` / ``TabularRegressor`` (the default recipe);
- **streamed**: the training rows written to a CSV and read back in chunks
  (``train_stream(..., recipe=RECIPE)``, the large-table path: held-out rows by row hash,
  a shuffle buffer of chunks, the epochs chosen on the held-out rows, the refit rule);
- **Dask**: ``lucidnet.dask.TabularClassifier`` / ``TabularRegressor`` on a
  ``LocalCluster`` of 2 worker processes (one task per member, the model their stack).

Each is scored on the rows set aside (accuracy or R²). Writes
``results/<name>.json`` and ``.md`` after every fit (a partial run keeps what it has)::

    python -m benchmarks.tables.paths                        # nass_cds, cps1988; 3 seeds
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

from benchmarks.tables.panel import PANEL

HERE = Path(__file__).resolve().parent
PATHS = ("in memory", "streamed", "dask")


def _score(task: str, y_true: object, y_pred: object) -> float:
    if task == "classification":
        return float(accuracy_score(np.asarray(y_true), np.asarray(y_pred)))
    return float(r2_score(np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)))


def run_one(name: str, seed: int, client: object, chunk_rows: int, tmp: Path) -> dict:
    import dask.dataframe as dd

    import lucidnet.dask as ldask
    from lucidnet.tables import RECIPE, TabularClassifier, TabularRegressor, train_stream

    table = PANEL[name]
    X, y = table.load()
    X.columns = [str(c) for c in X.columns]
    stratify = y if table.task == "classification" else None
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.2, random_state=seed, stratify=stratify
    )
    row: dict[str, object] = {"table": name, "task": table.task, "seed": seed, "rows": len(X_tr)}
    memory_cls = TabularClassifier if table.task == "classification" else TabularRegressor
    dask_cls = ldask.TabularClassifier if table.task == "classification" else ldask.TabularRegressor

    start = time.perf_counter()
    est = memory_cls(random_state=seed).fit(X_tr, y_tr.to_numpy())
    row["in memory"] = _score(table.task, y_te, est.predict(X_te))
    row["in memory seconds"] = time.perf_counter() - start

    frame = X_tr.assign(__y__=y_tr.to_numpy())
    path = tmp / f"{name}_{seed}.csv"
    frame.to_csv(path, index=False)
    start = time.perf_counter()
    result = train_stream(path, "__y__", task=table.task, seed=seed, chunk_rows=chunk_rows,
                          recipe=RECIPE)  # fmt: skip
    row["streamed"] = _score(table.task, y_te, result.model.predict(X_te))
    row["streamed seconds"] = time.perf_counter() - start
    path.unlink()

    ddf = dd.from_pandas(frame.reset_index(drop=True), npartitions=4)
    start = time.perf_counter()
    est = dask_cls(random_state=seed).fit(ddf.drop(columns=["__y__"]), ddf["__y__"])
    row["dask"] = _score(table.task, y_te, est.predict(X_te))
    row["dask seconds"] = time.perf_counter() - start
    return row


def write(rows: list[dict], args: argparse.Namespace) -> None:
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    load = [round(v, 2) for v in (args.load_at_start, os.getloadavg()[0])]
    meta = {"seeds": args.seeds, "chunk_rows": args.chunk_rows, "workers": 2, "load": load}
    (out / f"{args.name}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    lines = [
        "# The recipe's three paths: in memory, streamed, on Dask",
        "",
        "`python -m benchmarks.tables.paths`: each table's rows split 80/20 (seeded); the three "
        "paths train on the 80 % and are scored on the 20 % (accuracy for classification, R² "
        f"for regression). Streamed in chunks of {args.chunk_rows:,} rows; Dask on a "
        "LocalCluster of 2 worker processes, 4 partitions. Times are wall seconds on a 2-core "
        f"machine, load average {load[0]} at the start and {load[1]} at the last fit (the "
        "run's own Dask workers count in it).",
        "",
        "| table | seed | train rows | in memory | streamed | Dask | streamed − mem | "
        "Dask − mem | seconds (mem / stream / Dask) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['table']} | {r['seed']} | {r['rows']:,} | {r['in memory']:.4f} | "
            f"{r['streamed']:.4f} | {r['dask']:.4f} | {r['streamed'] - r['in memory']:+.4f} | "
            f"{r['dask'] - r['in memory']:+.4f} | {r['in memory seconds']:.0f} / "
            f"{r['streamed seconds']:.0f} / {r['dask seconds']:.0f} |"
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
        means = [np.mean([r[p] for r in mine]) for p in PATHS]
        lines.append(f"| {name} | " + " | ".join(f"{m:.4f}" for m in means) + " |")
    (out / f"{args.name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tables", default="nass_cds,cps1988")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--chunk-rows", type=int, default=5_000)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--name", default="paths")
    args = parser.parse_args(argv)
    args.load_at_start = os.getloadavg()[0]
    import distributed

    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    rows: list[dict] = []
    try:
        with tempfile.TemporaryDirectory(prefix="lucidnet-paths-") as tmp:
            for name in args.tables.split(","):
                for seed in (int(s) for s in args.seeds.split(",")):
                    rows.append(run_one(name, seed, client, args.chunk_rows, Path(tmp)))
                    print(json.dumps(rows[-1]), flush=True)
                    write(rows, args)
    finally:
        client.close()
        cluster.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
