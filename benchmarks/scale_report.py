"""The scale benchmark's markdown report (``scale.py`` writes it next to the JSON)."""

from __future__ import annotations

from typing import Any

from benchmarks.scale_profile import GROUPS

NAMES = {
    "lucidnet": "lucidnet recipe",
    "lucidnet-jax": "lucidnet recipe, engine='jax'",
    "sk-mlp": "scikit-learn MLP",
    "hgb": "HistGradientBoosting",
}


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}×"


def _rows(rows: int) -> str:
    if rows >= 1_000_000 and rows % 1_000_000 == 0:
        return f"{rows // 1_000_000} M"
    return f"{rows // 1000} k" if rows >= 1000 and rows % 1000 == 0 else f"{rows:,}"


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    align = ["---"] + ["---:"] * (len(head) - 1)
    return [
        "| " + " | ".join(head) + " |",
        "|" + "|".join(align) + "|",
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def _note(entry: dict[str, Any], limit_s: float) -> str:
    if entry.get("skipped"):
        return "skipped"
    if entry.get("cut"):
        return f"cut at {limit_s:.0f} s"
    if entry.get("errors"):
        return "error: " + entry["errors"][0][:60]
    if entry.get("time_limited"):
        return f"time-limited (recipe time_limit={entry['recipe_time_limit']:g} s)"
    return "profiled" if entry.get("profiled") else ""


def _iterations(entry: dict[str, Any]) -> str:
    r = entry.get("recipe")
    if r:  # the recipe: selection epochs + refit epochs
        return f"{_num(r.get('selection_epochs'), 0)} + {_num(r.get('refit_epochs'), 0)}"
    return _num(entry.get("iterations"), 0)


def scale_table(result: dict[str, Any]) -> list[str]:
    task = result["config"]["task"]
    score = "accuracy" if task == "classification" else "r2"
    limit = result["config"]["time_limit_s"]
    head = ["rows (training)", "system", "fit s", "s / 1k rows", score, "log-loss", "peak RSS MB"]
    head.append("epochs / rounds")
    rows = []
    for size, s in result["summary"].items():
        n_train = int(int(size) * 0.75)
        for system, e in s["systems"].items():
            note = _note(e, limit)
            rows.append(
                [
                    f"{_rows(int(size))} ({n_train:,})",
                    NAMES.get(system, system) + (f" ({note})" if note else ""),
                    _num(e.get("fit_s"), 1),
                    _num(e.get("s_per_1k_rows"), 3),
                    _num(e.get(score), 4),
                    _num(e.get("log_loss"), 4),
                    _num(e.get("peak_rss_mb"), 0),
                    _iterations(e),
                ]
            )
    ratio_rows = [
        [
            _rows(int(size)),
            _ratio(s["ratios"].get("lucidnet/sk-mlp")),
            _ratio(s["ratios"].get("lucidnet/hgb")),
            _ratio(s["ratios"].get("lucidnet-jax/lucidnet")),
        ]
        for size, s in result["summary"].items()
    ]
    out = [*_table(head, rows), "", "Fit time ratios:", ""]
    out += _table(["rows", "lucidnet / sk-MLP", "lucidnet / HGB", "JAX engine / NumPy"], ratio_rows)
    return out


def recipe_table(result: dict[str, Any]) -> list[str]:
    head = [
        "rows",
        "batch",
        "held-out rows",
        "selection epochs",
        "best epoch",
        "patience spent",
        "refit",
        "preprocess s",
        "selection s",
        "refit s",
        "refit share",
    ]
    rows = []
    for size, s in result["summary"].items():
        e = s["systems"].get("lucidnet", {})
        r = e.get("recipe")
        if not r:
            continue
        total = sum(r.get(k) or 0.0 for k in ("preprocess_s", "selection_s", "refit_s"))
        refit = f"yes, {_num(r['refit_epochs'], 0)} epochs" if r.get("refit_ran") else "no"
        held_out = _num(r.get("validation_rows"), 0)
        if r.get("cross_fitted"):
            refit, held_out = "no (cross-fitted)", "none (out of fold)"
        rows.append(
            [
                _rows(int(size)),
                _num(r.get("batch_size"), 0),
                held_out,
                _num(r.get("selection_epochs"), 0),
                _num(r.get("best_epoch"), 0),
                _num(r.get("patience_epochs"), 0),
                refit,
                _num(r.get("preprocess_s"), 1),
                _num(r.get("selection_s"), 1),
                _num(r.get("refit_s"), 1),
                f"{100 * (r.get('refit_s') or 0.0) / total:.0f} %" if total else "–",
            ]
        )
    return _table(head, rows)


def profile_table(result: dict[str, Any]) -> list[str]:
    """Per size and phase: the share of each group, and per-step milliseconds."""
    head = ["rows", "phase", "wall s", *GROUPS, "ms / step (fwd, bwd, upd, loop)", "val s / epoch"]
    rows = []
    for run in result["runs"]:
        profile = run.get("profile")
        if not profile:
            continue
        pre = profile.get("pre", {})
        total = sum(profile.get(p, {}).get("wall_s", 0.0) for p in ("pre", "selection", "refit"))
        if pre and total:
            rows.append(
                [_rows(run["rows"]), "preprocessing", _num(pre["wall_s"], 1)]
                + [f"({100 * pre['wall_s'] / total:.0f} % of the fit)"]
                + [""] * (len(GROUPS) - 1)
                + ["", ""]
            )
        for phase in ("selection", "refit"):
            p = profile.get(phase)
            if not p or not p.get("wall_s"):
                continue
            if phase == "refit" and not run.get("lucidnet", {}).get("refit_ran"):
                continue  # the recipe kept the selection phase's model
            fr, ms = p["fractions"], p["per_step_ms"]
            step = ", ".join(
                _num(ms.get(k), 2) for k in ("forward", "backward", "update", "step loop")
            )
            share = f" ({100 * p['wall_s'] / total:.0f} %)" if total else ""
            rows.append(
                [_rows(run["rows"]), phase + share, _num(p["wall_s"], 1)]
                + [f"{100 * fr.get(g, 0.0):.0f} %" for g in GROUPS]
                + [step, _num(p.get("validation_per_epoch_s"), 2)]
            )
    return _table(head, rows) if rows else []


def step_table(step: dict[str, Any] | None) -> list[str]:
    if not step or "runs" not in step:
        return []
    head = [
        "batch",
        "gather ms",
        "forward+loss ms",
        "backward ms",
        "flatten+update ms",
        "step ms",
        "µs / row",
        "step GFLOP/s",
        "same matmuls GFLOP/s",
    ]
    rows = []
    for r in step["runs"]:
        p = r["parts_ms"]
        rows.append(
            [
                str(r["batch_size"]),
                _num(p["gather"], 3),
                _num(p["forward+loss"], 2),
                _num(p["backward"], 2),
                _num(p["flatten"] + p["update"], 2),
                _num(r["step_ms"], 2),
                _num(r["us_per_row"], 1),
                _num(r["step_gflops"], 1),
                _num(r["matmul_gflops"], 1),
            ]
        )
    intro = (
        f"The step alone: network {step['layer_sizes']} × {step['members']} members "
        f"({step['parameters']:,} parameters), float32; the machine's square float32 GEMM: "
        f"{step['gemm_gflops']:.0f} GFLOP/s."
    )
    return [intro, "", *_table(head, rows)]


def markdown(result: dict[str, Any]) -> str:
    cfg = result["config"]
    m = result["machine"]
    lines = [
        "# Cost against the number of rows",
        "",
        f"Generated table (`benchmarks/scale_job.py`), task {cfg['task']}, "
        f"seeds {cfg['seeds']}, one 75/25 split per seed; every fit in its own process, "
        f"BLAS/OpenMP threads: {cfg.get('threads') or 'the libraries’ own'}. "
        f"Per-fit limit {cfg['time_limit_s']:.0f} s. Commit {result['commit']}; "
        f"{m['cpu']}, {m['usable_cores']} usable cores. Medians over seeds.",
        "",
        *scale_table(result),
        "",
        "## lucidnet's recipe: epochs and phases",
        "",
        *recipe_table(result),
    ]
    extra = result.get("extrapolated") or {}
    for size, x in extra.items():
        lines += [
            "",
            f"**Extrapolation, {_rows(int(size))} rows** (not a measurement): one selection "
            f"epoch costs {x['epoch_s']:.1f} s there (measured in the time-limited fit); with "
            f"the epoch counts of the {_rows(int(x['from_rows']))} fit "
            f"({x['selection_epochs']:.0f} selection + {x['refit_epochs']:.0f} refit epochs) "
            f"the whole fit would take ≈ {x['total_s']:.0f} s "
            f"({x['s_per_1k_rows']:.3f} s per 1,000 training rows).",
        ]
    profile = profile_table(result)
    if profile:
        lines += [
            "",
            "## Where lucidnet's seconds go (cProfile)",
            "",
            "Shares of each phase's profiled wall time; the profiler slows every Python call, "
            "so the per-step milliseconds are inflated against an unprofiled fit.",
            "",
            *profile,
        ]
    step = step_table(result.get("step"))
    if step:
        lines += ["", "## The training step alone", "", *step]
    load = result.get("load_average") or {}
    lines += [
        "",
        f"Total run time: {result['total_s']:.0f} s; load average "
        f"{_num(load.get('start'))} at the start, {_num(load.get('end'))} at the end.",
    ]
    return "\n".join(lines)
