"""The markdown report of ``run.py`` (``latest.md``).

Per-epoch rows (the MLP job on every library) and whole-fit rows (estimators that choose
their own epochs: the tables recipe, HistGradientBoosting) are in separate tables, and no
ratio mixes the two.
"""

from __future__ import annotations

from typing import Any

from benchmarks.runners import LABELS
from benchmarks.workload import CONFIGS, LEARNING_RATES, PREDICT_BATCH


def fmt(x: float | None, spec: str = ".3g") -> str:
    if x is None:
        return "–"
    return format(x, spec)


def fmt_rate(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:,.0f}"


def fmt_spread(median: float | None, spread: list[float] | None, spec: str = "") -> str:
    """The median with (min–max) over the repeats beside it."""
    if median is None:
        return "–"
    show = fmt_rate if not spec else (lambda x: fmt(x, spec))
    text = show(median)
    if spread and spread[0] != spread[1]:
        text += f" ({show(spread[0])}–{show(spread[1])})"
    return text


def fmt_ratio(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}×"


def header(report: dict[str, Any]) -> list[str]:
    m, v = report["machine"], report["versions"]
    blas = ", ".join(
        f"{b.get('internal_api')} {b.get('version')} ({b.get('architecture')}, "
        f"{b.get('num_threads')} threads)"
        for b in report["blas"]
        if b.get("user_api") == "blas"
    )
    peers = ", ".join(
        f"{name} {v.get(dist)}"
        for name, dist in (("scikit-learn", "scikit-learn"), ("PyTorch", "torch"), ("JAX", "jax"))
        if v.get(dist)
    )
    s = report["settings"]
    return [
        "# lucidnet benchmarks",
        "",
        f"- Date: {report['date']}; commit measured: {report.get('commit', 'unknown')}",
        f"- Machine: {m['cpu']}, {m['usable_cores']} usable cores "
        f"({m['logical_cores']} logical); {m['platform']}",
        f"- Load average at start / end: {report['load_start']} / {report['load_end']} "
        "(other processes were running when it is near or above the core count)",
        f"- Python {v.get('python')}, NumPy {v.get('numpy')} with {blas or 'unknown BLAS'}",
        f"- lucidnet {v.get('lucidnet')}; peers: {peers or 'none'}",
        f"- Thread variables: {m['thread_env'] or 'none set'} (threads left to each library, "
        "except in the tables marked '1 thread': OMP/OpenBLAS/MKL and XLA capped at one)",
        f"- float32 GEMM peak, measured in this run (best N×N numpy matmul): "
        f"**{report['gemm_peak_gflops']:.1f} GFLOP/s**",
        f"- Per epoch: {s['epochs']} timed epoch(s) after one warm-up epoch, {s['repeats']} "
        "repeat(s), interleaved, one process per job; medians, with (min–max) over the "
        'repeats. lucidnet (NumPy engine, and `engine="jax"`) and scikit-learn: the public '
        "`MLPClassifier.fit` (max_iter = the epochs, timed whole, input checks included) and "
        "`predict_proba`; PyTorch and JAX: a hand-written loop. Learning rate: SGD "
        f"{LEARNING_RATES['sgd']}, Adam {LEARNING_RATES['adam']}. GFLOP/s = 6 × weights × "
        f"samples per epoch / time. Prediction: blocks of B = {PREDICT_BATCH}.",
        "- Whole fit: estimators with their own defaults that choose their own epochs "
        "(lucidnet's `TabularClassifier`, scikit-learn's `HistGradientBoostingClassifier`), "
        "on the same data; one cold `fit` in a fresh process, then a second `fit` timed; "
        "seconds per fit, never per epoch.",
        "",
    ]


def per_epoch_table(rows: list[dict[str, Any]]) -> list[str]:
    """The per-epoch rows of one variant, with how much faster each lucidnet engine is."""
    engines = [s for s in ("lucidnet", "lucidnet_jax") if any(r["system"] == s for r in rows)]
    ratio_heads = "".join(f" | {LABELS[s]} faster by" for s in engines)
    lines = [
        "| system | optimizer | s / epoch (min–max) | samples/s | GFLOP/s | % peak "
        "| peak MB | train + MB | held-out acc. | predict_proba samples/s (min–max)"
        + ratio_heads
        + " | lucidnet predicts faster by |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|" + "---:|" * (len(engines) + 1),
    ]
    for r in rows:

        def engine_row(system: str, opt: str = r["optimizer"]) -> dict[str, Any] | None:
            return next((x for x in rows if x["system"] == system and x["optimizer"] == opt), None)

        speeds = []
        for system in engines:
            mine = engine_row(system)
            speeds.append(mine["speedup"].get(r["system"]) if mine else None)
        lucid = engine_row("lucidnet")
        pred = lucid.get("predict_speedup", {}).get(r["system"]) if lucid else None
        spread_key = "predict_samples_per_s_spread"
        lines.append(
            f"| {LABELS[r['system']]} | {r['optimizer']} "
            f"| {fmt_spread(r['seconds_per_epoch'], r.get('seconds_per_epoch_spread'), '.4f')} "
            f"| {fmt_rate(r['samples_per_s'])} | {fmt(r['gflops'], '.2f')} "
            f"| {fmt(r['pct_gemm_peak'], '.1f')} | {fmt(r['peak_rss_mb'], '.1f')} "
            f"| {fmt(r['train_extra_mb'], '.1f')} | {fmt(r['accuracy'], '.4f')} "
            f"| {fmt_spread(r['predict_samples_per_s'], r.get(spread_key))} "
            + "".join(f"| {fmt_ratio(x)} " for x in speeds)
            + f"| {fmt_ratio(pred)} |"
        )
    cores = [r for r in rows if r.get("core_predict_samples_per_s")]
    if cores:
        lines += [
            "",
            "lucidnet's bare core alone (`network_.predict_output`, no input checks or "
            "labels; not comparable with the `predict_proba` columns): "
            + "; ".join(
                f"{LABELS[r['system']]} {r['optimizer']} "
                + fmt_spread(
                    r["core_predict_samples_per_s"], r.get("core_predict_samples_per_s_spread")
                )
                + " samples/s"
                for r in cores
            )
            + ".",
        ]
    return lines


def whole_fit_table(rows: list[dict[str, Any]]) -> list[str]:
    """The whole-fit rows of one variant: seconds per fit, and the rounds each chose."""
    lines = [
        "Whole fit (each estimator chooses its own epochs or boosting rounds; seconds per "
        "fit, not comparable with the per-epoch table above):",
        "",
        "| system | s / fit (min–max) | first fit, cold (s) | n_iter_ | epochs chosen "
        "| held-out acc. | predict_proba samples/s (min–max) | peak MB | train + MB "
        "| fits faster than HGB by |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        n_iter = r.get("n_iter_all") or []
        n_iter_text = "–" if not n_iter else "/".join(str(n) for n in sorted(set(n_iter)))
        if n_iter and r.get("n_iter_means"):
            n_iter_text += f" ({r['n_iter_means']})"
        chosen = r.get("selected_epochs_all") or []
        chosen_text = "–" if not chosen else "/".join(str(n) for n in sorted(set(chosen)))
        hgb = r.get("fit_speedup", {}).get("sklearn_hgb")
        lines.append(
            f"| {LABELS[r['system']]} "
            f"| {fmt_spread(r['fit_seconds'], r.get('fit_seconds_spread'), '.3f')} "
            f"| {fmt_spread(r['first_fit_seconds'], r.get('first_fit_seconds_spread'), '.3f')} "
            f"| {n_iter_text} | {chosen_text} | {fmt(r['accuracy'], '.4f')} "
            f"| {fmt_spread(r['predict_samples_per_s'], r.get('predict_samples_per_s_spread'))} "
            f"| {fmt(r['peak_rss_mb'], '.1f')} | {fmt(r['train_extra_mb'], '.1f')} "
            f"| {fmt_ratio(hgb)} |"
        )
    return lines


def markdown(report: dict[str, Any]) -> str:
    lines = header(report)
    s = report["settings"]
    if report["skipped_systems"]:
        lines.append(
            "Skipped peers: "
            + "; ".join(f"{k}: {r}" for k, r in report["skipped_systems"].items())
            + "."
        )
        lines.append("")
    variants = s.get("variants") or [{"config": c, "label": c} for c in s["configs"]]
    for variant in variants:
        name, cfg = variant["label"], CONFIGS[variant["config"]]
        rows = [r for r in report["summary"] if r["config"] == name]
        whole = [r for r in report.get("whole_fit", []) if r["config"] == name]
        if not rows and not whole:
            continue
        lines += [
            f"## {name}: {cfg.n_train:,} × {cfg.n_features}, hidden {cfg.hidden}, "
            f"B = {cfg.batch_size}",
            "",
        ]
        if rows:
            lines += [*per_epoch_table(rows), ""]
        if whole:
            lines += [*whole_fit_table(whole), ""]
    if report["missing_jobs"]:
        lines += ["Jobs without a result:", ""]
        lines += [
            f"- {j['system']} {j['config']} {j['optimizer']}: {j['why']}"
            for j in report["missing_jobs"]
        ]
        lines.append("")
    if report["targets"]:
        lines += [
            "## Targets (this run's medians; reported, never asserted)",
            "",
            "| target | value | goal | met | detail |",
            "|---|---:|---|---|---|",
        ]
        for t in report["targets"]:
            met = "–" if t["met"] is None else ("yes" if t["met"] else "**no**")
            lines.append(
                f"| {t['target']} | {fmt(t['value'], '.3g')} | {t['goal']} | {met} "
                f"| {t.get('detail', '')} |"
            )
        lines.append("")
    lines += [
        "Columns: *peak MB* is the peak resident memory above the process before the data "
        "were made (data, model, training); *train + MB* is what model creation and training "
        "added above the data; *… faster by* is this row's seconds per epoch divided by that "
        "lucidnet engine's (same optimizer); *fits faster than HGB by* is "
        "HistGradientBoosting's seconds per fit divided by this row's; *n_iter_* is the "
        "estimator's `n_iter_` (TabularClassifier, cross-fitted: the epochs trained until "
        "every member was done, the *epochs chosen* (the latest member's best epoch on its "
        "own fold) plus `patience` + 1; HistGradientBoosting: boosting iterations); the "
        "full pairwise ratios are in latest.json.",
        "",
    ]
    return "\n".join(lines)
