"""The table panel's results: means over seeds, gaps to the references, the markdown.

``aggregate`` turns the runs (one per table, seed and system) into means per table and
system; ``summarise`` compares every system with each reference that ran (``hgb``,
``sk-mlp``, and the anchors ``catboost`` and ``realmlp-td``);
``markdown`` writes the report (``results/latest.md``).
"""

from __future__ import annotations

import json
import statistics
from typing import Any

import numpy as np

from benchmarks.tables.systems import REFERENCES


def main_metric(task: str) -> str:
    return "accuracy" if task == "classification" else "r2"


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
            gaps, ll_gaps, ratios, seconds = [], [], [], [0.0, 0.0]
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
                    seconds = [seconds[0] + a["fit_s"], seconds[1] + b["fit_s"]]
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
                "total_fit_time_ratio": seconds[0] / seconds[1] if seconds[1] else float("nan"),
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


def per_system_row(tables: dict[str, dict[str, dict[str, float]]], system: str) -> str:
    """One system's tables, mean log-loss over the classification tables and total fit s."""
    runs = [
        by_system[system] for by_system in tables.values() if "fit_s" in by_system.get(system, {})
    ]
    log_loss = _mean([r["log_loss"] for r in runs if "log_loss" in r])
    fit_s = sum(r["fit_s"] for r in runs)
    return f"| {system} | {len(runs)} | {_fmt(log_loss)} | {fit_s:.1f} |"


def time_pairs(systems: list[str]) -> list[tuple[str, str]]:
    """(system, reference) for the per-table time ratios: every system that is not a
    reference against each reference in the run."""
    refs = [r for r in REFERENCES if r in systems]
    return [(s, r) for s in systems if s not in REFERENCES for r in refs]


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


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
        *[line for note in result.get("notes", []) for line in (note, "")],
        *[
            f"Skipped {system}: {why}.\n"
            for system, why in result.get("skipped_systems", {}).items()
        ],
        "lucidnet = `lucidnet train data.csv --target y` = TabularClassifier/TabularRegressor "
        f"defaults: {json.dumps(result['environment'].get('lucidnet_defaults', {}))}",
        "",
        "## Summary",
        "",
        "| system | vs | tables | mean gap | median gap | worst gap | won | lost | mean log-loss "
        "gap | median fit-time ratio | max fit-time ratio | total fit-time ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for system, entry in result["summary"].items():
        for key, s in entry.items():
            lines.append(
                f"| {system} | {key[3:]} | {s['tables']} | {s['mean_gap']:+.4f} | "
                f"{s['median_gap']:+.4f} | {s['worst_gap']:+.4f} | {s['won']} | {s['lost']} | "
                f"{_fmt(s['mean_log_loss_gap'])} | {_fmt(s['median_fit_time_ratio'], 2)} | "
                f"{_fmt(s['max_fit_time_ratio'], 2)} | "
                f"{_fmt(s.get('total_fit_time_ratio'), 2)} |"
            )
    lines += [
        "",
        "Gap = system − reference on the main score (positive: the system is better); "
        "log-loss gap: negative is better. Time ratio = system fit seconds / reference fit "
        "seconds, per table; total: the system's fit seconds over every table / the "
        "reference's.",
        "",
        "## Per system",
        "",
        "| system | tables | mean log-loss (classification) | total fit s |",
        "| --- | ---: | ---: | ---: |",
        *[per_system_row(result["tables"], system) for system in systems],
        "",
        "## Main score per table",
        "",
        "Fit seconds are each system's mean over the seeds; a time ratio is a system's "
        "fit seconds over a reference's on the same table.",
        "",
        "| table | task | rows | "
        + " | ".join(f"{s}" for s in systems)
        + " | "
        + " | ".join(f"{s} fit s" for s in systems)
        + "".join(f" | {a} ÷ {b} time" for a, b in time_pairs(systems))
        + " |",
        "| --- | --- | ---: | "
        + " | ".join("---:" for _ in [*systems, *systems, *time_pairs(systems)])
        + " |",
    ]
    for table, by_system in result["tables"].items():
        info = result["panel"][table]
        main = main_metric(info["task"])
        scores = [by_system.get(s, {}).get(main) for s in systems]
        best = max((v for v in scores if v is not None and np.isfinite(v)), default=None)
        cells = [(f"**{_fmt(v)}**" if v is not None and v == best else _fmt(v)) for v in scores]
        times = [_fmt(by_system.get(s, {}).get("fit_s"), 2) for s in systems]
        ratios = [
            _fmt(_ratio(by_system.get(a, {}).get("fit_s"), by_system.get(b, {}).get("fit_s")), 2)
            for a, b in time_pairs(systems)
        ]
        task = f"{info['task'][:5]}. ({main})"
        row = " | ".join(cells + times + ratios)
        lines.append(f"| {table} | {task} | {info['rows']} | {row} |")
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
