"""The benchmark's engine and whole-fit systems, and the targets it reports (benchmarks).

- ``lucidnet_jax`` (``MLPClassifier(engine="jax")``) and ``lucidnet_tabular_jax`` run as
  real tiny jobs where this lucidnet has the ``engine`` parameter and JAX is installed;
  where the parameter is missing, the job must fail saying so (never silently time the
  NumPy engine under the JAX name).
- The whole-fit systems (the tables recipe, HistGradientBoosting) run for real on the tiny
  configuration and are reported apart from the per-epoch rows, without per-epoch ratios.
- ``targets.check_targets`` on hand-made medians: which engine meets "either engine",
  what a partial run reports, Adam's memory against one copy of the parameters.

Timings are never asserted.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import jobs, report, runners, targets
from benchmarks.workload import CONFIGS
from lucidnet.tables import RECIPE

ROOT = Path(__file__).resolve().parents[2]
HAS_JAX = importlib.util.find_spec("jax") is not None
# One BLAS thread in the jobs these tests start: on a small machine shared with other work,
# a second spinning BLAS thread makes the tiny fits 5-20x slower (docs/performance.md).
ONE_THREAD = {
    **os.environ,
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def run_jobs(*args: str) -> dict:
    """One ``benchmarks.jobs`` process; its result line."""
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.jobs", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env=ONE_THREAD,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in reversed(proc.stdout.splitlines()) if x.startswith("BENCH_RESULT "))
    return json.loads(line[len("BENCH_RESULT ") :])


# ---------------------------------------------------------------------- the JAX engine


def test_registry_names_every_system_once():
    assert set(runners.PER_EPOCH_SYSTEMS).isdisjoint(runners.WHOLE_FIT_SYSTEMS)
    for system in runners.SYSTEMS:
        assert system in runners.LABELS and system in runners.PRELOAD
    assert runners.system_module("lucidnet_jax") == "jax"
    assert runners.system_module("lucidnet_tabular_jax") == "jax"
    assert runners.system_module("sklearn_hgb") == "sklearn"
    assert runners.LABELS["lucidnet_jax"] == "lucidnet (engine=jax)"


@pytest.mark.skipif(not HAS_JAX, reason="jax is not installed")
def test_lucidnet_jax_job_runs_the_public_fit_with_the_jax_engine():
    result = run_jobs("--system", "lucidnet_jax", "--config", "tiny", "--epochs", "1")
    assert "error" not in result, result
    assert result["implementation"] == "MLPClassifier(engine='jax').fit"
    assert result["engine"] == "jax" and result["jax_devices"]
    assert result["seconds_per_epoch"] > 0 and result["predict_samples_per_s"] > 0
    assert result["accuracy"] > 0.5


@pytest.mark.skipif(not HAS_JAX, reason="jax is not installed")
def test_tabular_jax_job_runs_the_recipe_with_the_jax_engine():
    result = run_jobs("--system", "lucidnet_tabular_jax", "--config", "tiny")
    assert "error" not in result, result
    assert result["engine"] == "jax" and result["kind"] == "whole_fit"
    assert result["fit_seconds"] > 0 and result["accuracy"] > 0.5


class EngineRecorder:
    """Stands in for an estimator that has ``engine``: records it, fits the real one."""

    calls: list[str] = []
    real: type = object

    def __init__(self, engine: str = "numpy", **params):
        self.engine, self.params = engine, params

    def get_params(self, deep: bool = True) -> dict:
        return {"engine": self.engine, **self.params}

    def fit(self, X, y):
        type(self).calls.append(self.engine)
        self.inner = type(self).real(**self.params).fit(X, y)
        self.network_ = getattr(self.inner, "network_", None)
        self.n_iter_ = self.inner.n_iter_
        self.estimator_ = getattr(self.inner, "estimator_", None)
        return self

    def predict_proba(self, X):
        return self.inner.predict_proba(X)


@pytest.mark.skipif(not HAS_JAX, reason="jax is not installed")
@pytest.mark.parametrize(
    "system, name",
    [("lucidnet_jax", "MLPClassifier"), ("lucidnet_tabular_jax", "TabularClassifier")],
)
def test_jax_runners_pass_engine_jax_to_the_public_estimator(monkeypatch, system, name):
    """The plumbing, whatever this lucidnet has: ``engine="jax"`` reaches the estimator."""
    from threadpoolctl import threadpool_limits

    import lucidnet

    recorder = type("Recorder", (EngineRecorder,), {"calls": [], "real": getattr(lucidnet, name)})
    monkeypatch.setattr(lucidnet, name, recorder)
    with threadpool_limits(1):  # as ONE_THREAD, for this process
        if system == "lucidnet_jax":
            result = jobs.run_training_job(system, CONFIGS["tiny"], "sgd", 1, seed=0)
            assert result["core_predict_samples_per_s"] > 0
        else:
            result = jobs.run_whole_fit_job(system, CONFIGS["tiny"], seed=0)
            assert result["n_iter"] >= 1
    assert recorder.calls == ["jax", "jax"]  # warm-up (or cold) fit, then the timed one
    assert result["engine"] == "jax" and result["jax_devices"]
    assert result["accuracy"] > 0.5


# ---------------------------------------------------------------------- whole fit, for real


def test_whole_fit_systems_are_reported_apart(tiny_bench):
    systems = "lucidnet,sklearn,lucidnet_tabular,sklearn_hgb"
    out = tiny_bench(
        *("--epochs", "1", "--systems", systems, "--optimizers", "sgd", "--single-thread", ""),
        env=ONE_THREAD,
    )
    result = json.loads((out / "latest.json").read_text())
    assert result["missing_jobs"] == [], result["missing_jobs"]
    assert result["settings"]["whole_fit_systems"] == ["lucidnet_tabular", "sklearn_hgb"]

    per_epoch = {r["system"]: r for r in result["summary"]}
    assert set(per_epoch) == {"lucidnet", "sklearn"}  # no whole-fit row among them
    assert set(per_epoch["lucidnet"]["speedup"]) == {"sklearn"}

    whole = {r["system"]: r for r in result["whole_fit"]}
    assert set(whole) == {"lucidnet_tabular", "sklearn_hgb"}
    for system, row in whole.items():
        assert row["kind"] == "whole_fit" and "seconds_per_epoch" not in row
        assert row["fit_seconds"] > 0 and row["first_fit_seconds"] > 0
        assert row["predict_samples_per_s"] > 0
        assert row["accuracy"] > 0.7, (system, row)  # both learn the teacher well
        assert row["n_iter_all"] and row["n_iter_all"][0] >= 1
        assert set(row["fit_speedup"]) == set(whole) - {system}
    tab = whole["lucidnet_tabular"]
    assert tab["implementation"] == "TabularClassifier.fit"

    # cross-fitted: training ends when the member with the latest best epoch e has waited
    # its patience, min(patience, max(min_patience, ⌈share · e⌉ − 1)) epochs counted + 1
    # (a later best epoch never waits less, so that member is the last one done)
    def waited(e):
        share = math.ceil(RECIPE.patience_share * e) - 1
        return min(RECIPE.patience, max(RECIPE.min_patience, share)) + 1

    assert tab["n_iter_all"] == [
        min(chosen + waited(chosen), RECIPE.max_epochs) for chosen in tab["selected_epochs_all"]
    ]
    assert whole["sklearn_hgb"]["n_iter_means"] == "boosting iterations"

    md = (out / "latest.md").read_text()
    per_epoch_part, whole_part = md.split("## tiny:", 1)[1].split("Whole fit (", 1)
    assert "| lucidnet | sgd |" in per_epoch_part and "TabularClassifier" not in per_epoch_part
    assert "| lucidnet TabularClassifier |" in whole_part
    assert "| sklearn HistGradientBoostingClassifier |" in whole_part


# ---------------------------------------------------------------------- targets


def row(config, optimizer, system, seconds, **extra):
    base = config.split(",")[0]
    return {
        "config": config,
        "base_config": base,
        "optimizer": optimizer,
        "system": system,
        "seconds_per_epoch": seconds,
        "pct_gemm_peak": extra.pop("pct", None),
        "train_extra_mb": extra.pop("mb", None),
        "predict_samples_per_s": extra.pop("pred", None),
        **extra,
    }


def with_ratios(rows):
    """The ratios run.py adds (per table: same config and optimizer)."""
    for r in rows:
        same = [x for x in rows if (x["config"], x["optimizer"]) == (r["config"], r["optimizer"])]
        r["speedup"] = {
            x["system"]: x["seconds_per_epoch"] / r["seconds_per_epoch"] for x in same if x is not r
        }
        r["predict_speedup"] = {
            x["system"]: r["predict_samples_per_s"] / x["predict_samples_per_s"]
            for x in same
            if x is not r and r["predict_samples_per_s"] and x["predict_samples_per_s"]
        }
    return rows


def by_name(found):
    return {t["target"]: t for t in found}


def test_s_targets_use_the_jax_engine_against_jax_scan_and_torch():
    summary = with_ratios(
        [
            row("S", "sgd", "lucidnet", 0.030, pred=6e6),
            row("S", "sgd", "lucidnet_jax", 0.018, pred=5e6),
            row("S", "sgd", "sklearn", 0.100, pred=5.5e6),
            row("S", "sgd", "torch", 0.200, pred=1e6),
            row("S", "sgd", "jax_scan", 0.016, pred=9e6),
        ]
    )
    found = by_name(targets.check_targets(summary))
    ratio = found["S sgd: lucidnet (engine=jax) time / JAX lax.scan epoch time"]
    assert ratio["value"] == pytest.approx(0.018 / 0.016) and ratio["met"] is True
    torch = found["S sgd: lucidnet (engine=jax) per-epoch speedup vs torch"]
    assert torch["value"] == pytest.approx(0.2 / 0.018) and torch["met"] is True
    numpy = found["S sgd: lucidnet (numpy engine) per-epoch speedup vs sklearn"]
    assert numpy["value"] == pytest.approx(0.1 / 0.03) and numpy["met"] is True
    pred = found["S: lucidnet predict_proba throughput vs sklearn"]
    assert pred["value"] == pytest.approx(6 / 5.5) and pred["met"] is True
    pred_jax = found["S: lucidnet (engine=jax) predict_proba throughput vs sklearn"]
    assert pred_jax["met"] is False  # 5e6 < 5.5e6: below scikit-learn's


def test_a_partial_run_lists_the_targets_it_could_not_measure():
    summary = with_ratios([row("S", "adam", "lucidnet", 0.05), row("S", "adam", "sklearn", 0.1)])
    found = by_name(targets.check_targets(summary))
    scan = found["S adam: lucidnet (engine=jax) time / JAX lax.scan epoch time"]
    assert scan["value"] is None and scan["met"] is None
    assert "lucidnet_jax, jax_scan missing" in scan["detail"]
    assert found["S adam: lucidnet (numpy engine) per-epoch speedup vs sklearn"]["met"] is False
    tiny = with_ratios([row("tiny", "sgd", "lucidnet", 0.01), row("tiny", "sgd", "sklearn", 0.1)])
    assert targets.check_targets(tiny) == []  # the smoke configuration has no targets


def test_m_takes_the_faster_engine_and_says_which():
    summary = with_ratios(
        [
            row("M", "sgd", "lucidnet", 0.50),
            row("M", "sgd", "lucidnet_jax", 0.30),
            row("M", "sgd", "sklearn", 0.80),
            row("M", "sgd", "torch", 0.40),
            row("M, 1 thread", "sgd", "lucidnet", 0.50),
            row("M, 1 thread", "sgd", "sklearn", 1.10),
        ]
    )
    found = by_name(targets.check_targets(summary))
    vs_sk = found["M sgd: per-epoch speedup vs sklearn (either engine)"]
    assert vs_sk["value"] == pytest.approx(0.8 / 0.3) and vs_sk["met"] is True
    assert vs_sk["detail"].startswith("met by the jax engine")
    assert "numpy engine 1.6x" in vs_sk["detail"]
    vs_torch = found["M sgd: per-epoch speedup vs torch (either engine)"]
    assert vs_torch["value"] == pytest.approx(0.4 / 0.3) and vs_torch["met"] is False
    assert vs_torch["detail"].startswith("not met")
    one = found["M, 1 thread sgd: per-epoch speedup vs sklearn (either engine)"]
    assert one["met"] is True and "met by the numpy engine" in one["detail"]
    assert "lucidnet_jax not measured" in one["detail"]


def test_l_peak_per_optimizer_and_adam_memory_against_one_parameter_copy():
    params_mb = CONFIGS["L"].param_mb
    assert params_mb == pytest.approx(4 * (784 * 1024 + 1024 * 1024 + 1024 + 2049) / 2**20)
    summary = with_ratios(
        [
            row("L", "sgd", "lucidnet", 1.0, pct=86.0, mb=50.0),
            row("L", "adam", "lucidnet", 1.2, pct=71.0, mb=50.0 + params_mb + 1.0),
            row("L", "sgd", "lucidnet_jax", 1.1, pct=80.0, mb=60.0),
            row("L", "adam", "lucidnet_jax", 1.3, pct=69.0, mb=60.0 + params_mb / 2),
        ]
    )
    found = by_name(targets.check_targets(summary))
    sgd = found["L sgd: % of float32 GEMM peak (either engine)"]
    assert sgd["value"] == 86.0 and sgd["goal"] == ">= 85.0%" and sgd["met"] is True
    adam = found["L adam: % of float32 GEMM peak (either engine)"]
    assert adam["value"] == 71.0 and adam["goal"] == ">= 70.0%" and adam["met"] is True
    numpy_mem = found["L: lucidnet memory Adam adds beyond SGD (MB)"]
    assert numpy_mem["value"] == pytest.approx(params_mb + 1.0) and numpy_mem["met"] is False
    jax_mem = found["L: lucidnet (engine=jax) memory Adam adds beyond SGD (MB)"]
    assert jax_mem["met"] is True


def test_markdown_shows_both_engines_and_the_target_details():
    summary = with_ratios(
        [
            row("M", "sgd", "lucidnet", 0.5, pred=1e5),
            row("M", "sgd", "lucidnet_jax", 0.3, pred=1e5),
            row("M", "sgd", "sklearn", 0.8, pred=1e5),
        ]
    )
    for r in summary:
        r.update(samples_per_s=1.0, gflops=1.0, peak_rss_mb=1.0, accuracy=0.8)
    fake = {
        "machine": {
            "cpu": "cpu",
            "usable_cores": 2,
            "logical_cores": 2,
            "platform": "p",
            "thread_env": {},
        },
        "versions": {},
        "blas": [],
        "settings": {"epochs": 1, "repeats": 1, "configs": ["M"]},
        "date": "today",
        "load_start": None,
        "load_end": None,
        "gemm_peak_gflops": 100.0,
        "skipped_systems": {},
        "missing_jobs": [],
        "summary": summary,
        "whole_fit": [],
        "targets": targets.check_targets(summary),
    }
    md = report.markdown(fake)
    assert "| lucidnet faster by | lucidnet (engine=jax) faster by |" in md
    assert "| lucidnet (engine=jax) | sgd |" in md
    assert "| sklearn | sgd |" in md and "| 2.67× |" in md  # 0.8 / 0.3
    assert "met by the jax engine" in md
    assert "Whole fit (" not in md
