"""The speed and memory targets, evaluated on the medians of one run of ``run.py`` (never asserted).

Every target is measured through the public ``fit`` / ``predict_proba``, on the per-epoch
rows of ``run.py``'s summary (the whole-fit rows of the tables recipe and
HistGradientBoosting have no target: they are timed, not judged). Targets apply to every
variant of the sizes S, M and L (e.g. "S" and "S, 1 thread"); ``tiny`` has none.

- S: the JAX engine (``lucidnet_jax``) within ``TARGET_S_JAX_VS_SCAN`` of the hand-written
  JAX ``lax.scan`` epoch (``jax_scan``), time over time, and at least
  ``TARGET_S_JAX_VS_TORCH`` times faster than PyTorch eager; the NumPy engine
  (``lucidnet``) at least ``TARGET_S_NUMPY_VS_SKLEARN`` times faster than scikit-learn.
- M: at least ``TARGETS_M_EITHER`` times faster than each peer, with either engine: the
  faster of the two counts, and the report says which.
- L: at least ``TARGET_L_PEAK_PCT`` of the float32 GEMM peak measured in the same run
  (per optimizer; the better engine counts, named); Adam's added memory (``train_extra_mb``
  of Adam minus SGD's, same system and variant) at most one copy of the parameters in
  float32 (``Config.param_mb``), for each engine.
- Prediction: ``predict_proba`` throughput at least ``TARGET_PREDICT_VS_SKLEARN`` times
  scikit-learn's at every size, for each engine (the SGD row, else the first optimizer).

A target whose systems were not all measured is listed with no value and says what is
missing, so a partial run cannot look like a met target.
"""

from __future__ import annotations

from typing import Any

from benchmarks.runners import LABELS
from benchmarks.workload import CONFIGS

TARGET_S_JAX_VS_SCAN = 1.2  # lucidnet_jax s/epoch ÷ jax_scan s/epoch, at most
TARGET_S_JAX_VS_TORCH = 10.0  # torch s/epoch ÷ lucidnet_jax s/epoch, at least
TARGET_S_NUMPY_VS_SKLEARN = 3.0  # sklearn s/epoch ÷ lucidnet s/epoch, at least
TARGETS_M_EITHER = {"sklearn": 2.0, "torch": 1.5}  # peer ÷ the faster engine, at least
TARGET_L_PEAK_PCT = {"sgd": 85.0, "adam": 70.0}  # % of the float32 GEMM peak, at least
TARGET_PREDICT_VS_SKLEARN = 1.0  # predict_proba samples/s ÷ sklearn's, at least
ENGINES = ("lucidnet", "lucidnet_jax")  # the NumPy engine, the JAX engine
TARGET_SIZES = ("S", "M", "L")


def _engine(system: str) -> str:
    return "jax engine" if system == "lucidnet_jax" else "numpy engine"


def check_targets(summary: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One dict per target: ``target``, ``value``, ``goal``, ``met`` (None: not measured),
    ``detail`` (which engine, the other engine's value, or what is missing)."""
    by = {(r["config"], r["optimizer"], r["system"]): r for r in summary}
    targets: list[dict[str, Any]] = []

    def add(name: str, value: float | None, goal: str, met: bool | None, detail: str) -> None:
        targets.append({"target": name, "value": value, "goal": goal, "met": met, "detail": detail})

    def missing(*systems: str) -> str:
        return "not measured: " + ", ".join(systems) + " missing from this run"

    groups = dict.fromkeys(
        (r["config"], r.get("base_config", r["config"]), r["optimizer"]) for r in summary
    )
    for label, base, optimizer in groups:
        if base not in TARGET_SIZES:
            continue
        systems = (*ENGINES, "sklearn", "torch", "jax_scan")
        row: dict[str, Any] = {s: by.get((label, optimizer, s)) for s in systems}
        jax_row = row["lucidnet_jax"]
        where = f"{label} {optimizer}"
        if base == "S":
            if jax_row and row["jax_scan"]:
                ratio = jax_row["seconds_per_epoch"] / row["jax_scan"]["seconds_per_epoch"]
                add(
                    f"{where}: lucidnet (engine=jax) time / JAX lax.scan epoch time",
                    ratio,
                    f"<= {TARGET_S_JAX_VS_SCAN}",
                    ratio <= TARGET_S_JAX_VS_SCAN,
                    "per epoch",
                )
            else:
                add(
                    f"{where}: lucidnet (engine=jax) time / JAX lax.scan epoch time",
                    None,
                    f"<= {TARGET_S_JAX_VS_SCAN}",
                    None,
                    missing(*[s for s in ("lucidnet_jax", "jax_scan") if not row[s]]),
                )
            for name, system, peer, minimum in (
                ("lucidnet (engine=jax)", "lucidnet_jax", "torch", TARGET_S_JAX_VS_TORCH),
                ("lucidnet (numpy engine)", "lucidnet", "sklearn", TARGET_S_NUMPY_VS_SKLEARN),
            ):
                mine = row[system]
                title = f"{where}: {name} per-epoch speedup vs {peer}"
                if mine and row[peer]:
                    speed = mine["speedup"][peer]
                    add(title, speed, f">= {minimum}x", speed >= minimum, "")
                else:
                    lacking = [s for s in (system, peer) if not row[s]]
                    add(title, None, f">= {minimum}x", None, missing(*lacking))
        if base == "M":
            for peer, minimum in TARGETS_M_EITHER.items():
                values = {s: row[s]["speedup"][peer] for s in ENGINES if row[s] and row[peer]}
                title = f"{where}: per-epoch speedup vs {peer} (either engine)"
                if values:
                    add(title, *_best_of(values, minimum, "x"))
                else:
                    lacking = [s for s in (*ENGINES, peer) if not row[s]]
                    add(title, None, f">= {minimum}x", None, missing(*lacking))
        if base == "L" and optimizer in TARGET_L_PEAK_PCT:
            minimum = TARGET_L_PEAK_PCT[optimizer]
            values = {
                s: row[s]["pct_gemm_peak"]
                for s in ENGINES
                if row[s] and row[s].get("pct_gemm_peak") is not None
            }
            title = f"{where}: % of float32 GEMM peak (either engine)"
            if values:
                add(title, *_best_of(values, minimum, "%"))
            else:
                add(title, None, f">= {minimum}%", None, missing("lucidnet", "lucidnet_jax"))

    labels = dict.fromkeys((r["config"], r.get("base_config", r["config"])) for r in summary)
    for label, base in labels:
        if base not in TARGET_SIZES:
            continue
        for system in ENGINES:
            rows = {o: by.get((label, o, system)) for o in ("sgd", "adam")}
            if base == "L" and rows["sgd"] and rows["adam"]:
                sgd_mb, adam_mb = rows["sgd"]["train_extra_mb"], rows["adam"]["train_extra_mb"]
                allowed = CONFIGS[base].param_mb
                title = f"{label}: {LABELS[system]} memory Adam adds beyond SGD (MB)"
                if sgd_mb is None or adam_mb is None:
                    add(title, None, f"<= {allowed:.2f}", None, "train_extra_mb not measured")
                else:
                    added = adam_mb - sgd_mb
                    add(
                        title,
                        added,
                        f"<= {allowed:.2f} (one float32 copy of the parameters)",
                        added <= allowed,
                        f"train + MB: adam {adam_mb:.1f}, sgd {sgd_mb:.1f}"
                        + ("; both include XLA's compilation" if system == "lucidnet_jax" else ""),
                    )
            first = rows["sgd"] or next(
                (r for (c, _, s), r in by.items() if (c, s) == (label, system)), None
            )
            if first is None:
                continue
            pred = first.get("predict_speedup", {}).get("sklearn")
            add(
                f"{label}: {LABELS[system]} predict_proba throughput vs sklearn",
                pred,
                f">= {TARGET_PREDICT_VS_SKLEARN}x",
                None if pred is None else pred >= TARGET_PREDICT_VS_SKLEARN,
                f"{first['optimizer']} run" if pred is not None else missing("sklearn"),
            )
    return targets


def _best_of(values: dict[str, float], minimum: float, unit: str) -> tuple[float, str, bool, str]:
    """(value, goal, met, detail) for "either engine": the better one, and the other's."""
    best = max(values, key=lambda s: values[s])
    detail = f"met by the {_engine(best)}" if values[best] >= minimum else "not met"
    detail += "; " + ", ".join(f"{_engine(s)} {v:.3g}{unit}" for s, v in values.items())
    if len(values) < len(ENGINES):
        detail += f" ({', '.join(s for s in ENGINES if s not in values)} not measured)"
    return values[best], f">= {minimum}{unit}", values[best] >= minimum, detail
