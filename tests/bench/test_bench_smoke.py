"""The benchmark driver runs end to end on a tiny configuration and writes its reports.

Timings are never asserted: this only checks that ``python -m benchmarks.run`` (and each
``benchmarks.jobs`` process it starts) works, that the JSON and markdown reports carry
what they promise (spreads, the commit, a one-thread run, the public estimator API for
lucidnet and scikit-learn), and that the models learned something.
"""

from __future__ import annotations

import json

SUMMARY_KEYS = {
    "config",
    "optimizer",
    "system",
    "seconds_per_epoch",
    "samples_per_s",
    "gflops",
    "pct_gemm_peak",
    "peak_rss_mb",
    "train_extra_mb",
    "accuracy",
    "predict_samples_per_s",
    "seconds_per_epoch_spread",
    "predict_samples_per_s_spread",
    "core_predict_samples_per_s",
    "speedup",
    "predict_speedup",
}


def test_tiny_run_writes_json_and_markdown(tiny_bench):
    out = tiny_bench(
        *("--epochs", "3", "--systems", "lucidnet,sklearn", "--optimizers", "sgd,adam"),
        *("--single-thread", "tiny"),
    )

    report = json.loads((out / "latest.json").read_text())
    for key in (
        "date",
        "commit",
        "machine",
        "versions",
        "blas",
        "settings",
        "gemm_peak_gflops",
        "summary",
        "targets",
        "runs",
        "skipped_systems",
        "missing_jobs",
    ):
        assert key in report, key
    assert report["machine"]["cpu"]
    assert report["versions"]["numpy"] and report["versions"]["scikit-learn"]
    assert report["gemm_peak_gflops"] > 0
    assert report["missing_jobs"] == [], report["missing_jobs"]
    assert report["whole_fit"] == []  # no whole-fit system asked for
    assert report["targets"] == []  # tiny is the smoke configuration: no targets

    assert report["commit"] and report["commit"] != "unknown (not a git checkout)"

    rows = {(r["system"], r["optimizer"]): r for r in report["summary"] if r["config"] == "tiny"}
    assert set(rows) == {(s, o) for s in ("lucidnet", "sklearn") for o in ("sgd", "adam")}
    for (system, optimizer), row in rows.items():
        assert SUMMARY_KEYS <= set(row), SUMMARY_KEYS - set(row)
        assert row["implementation"] == "MLPClassifier.fit"  # the public fit, for both
        low, high = row["seconds_per_epoch_spread"]
        assert 0 < low <= row["seconds_per_epoch"] <= high
        # Labels are a median split: a constant (or inverted) prediction scores about 0.5.
        # Three SGD epochs learn the teacher well past that (deterministic: seeded data).
        assert row["accuracy"] > (0.65 if optimizer == "sgd" else 0.5), (system, row)
        assert row["predict_samples_per_s"] > 0
        assert (row["core_predict_samples_per_s"] is not None) == (system == "lucidnet")
    assert set(rows["lucidnet", "sgd"]["speedup"]) == {"sklearn"}
    assert set(rows["sklearn", "sgd"]["predict_speedup"]) == {"lucidnet"}
    single = {r["system"] for r in report["summary"] if r["config"] == "tiny, 1 thread"}
    assert single == {"lucidnet", "sklearn"}
    assert all(r["threads"] == 1 for r in report["runs"] if r["config"] == "tiny, 1 thread")

    md = (out / "latest.md").read_text()
    assert "## tiny:" in md and "## tiny, 1 thread:" in md
    assert "| lucidnet | sgd |" in md and "| sklearn | adam |" in md
    assert "GEMM peak" in md and "commit measured: " + report["commit"] in md
    assert "bare core alone" in md
