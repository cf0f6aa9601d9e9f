"""The benchmark driver runs end to end on a tiny configuration and writes its reports.

Timings are never asserted: this only checks that ``benchmarks/run.py`` (and each
``benchmarks/jobs.py`` process it starts) works and that the JSON and markdown reports
carry what issue 7 asks for.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "benchmarks" / "run.py"

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
    "speedup",
    "predict_speedup",
}


def test_tiny_run_writes_json_and_markdown(tmp_path):
    out = tmp_path / "results"
    cmd = [
        sys.executable,
        str(RUN),
        "--configs",
        "tiny",
        "--repeats",
        "1",
        "--epochs",
        "1",
        "--systems",
        "lucidnet,sklearn",
        "--optimizers",
        "sgd,adam",
        "--gemm-sizes",
        "128",
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    report = json.loads((out / "latest.json").read_text())
    for key in (
        "date",
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

    rows = {(r["system"], r["optimizer"]): r for r in report["summary"]}
    assert set(rows) == {(s, o) for s in ("lucidnet", "sklearn") for o in ("sgd", "adam")}
    for row in rows.values():
        assert SUMMARY_KEYS <= set(row), SUMMARY_KEYS - set(row)
        assert row["seconds_per_epoch"] > 0
        assert 0.0 <= row["accuracy"] <= 1.0
        assert row["predict_samples_per_s"] > 0
    assert set(rows["lucidnet", "sgd"]["speedup"]) == {"sklearn"}
    assert set(rows["sklearn", "sgd"]["predict_speedup"]) == {"lucidnet"}

    md = (out / "latest.md").read_text()
    assert "## tiny" in md
    assert "| lucidnet | sgd |" in md and "| sklearn | adam |" in md
    assert "GEMM peak" in md
