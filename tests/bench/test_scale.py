"""The scale benchmark runs end to end and its figures agree with each other (benchmarks.scale).

One smoke run of two tiny sizes (300 and 600 rows), the three systems, lucidnet profiled and
time-limited at 600 rows, the step timed alone for one batch size; then the report's
structure and the relations its numbers must satisfy.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from benchmarks import scale
from benchmarks.scale_job import make_table
from benchmarks.scale_profile import GROUPS, step_flops

ROOT = Path(__file__).resolve().parents[2]
SIZES = (300, 600)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("scale")
    cmd = [sys.executable, "-m", "benchmarks.scale", "--sizes", ",".join(map(str, SIZES))]
    cmd += ["--profile", "--step", "--batch-sizes", "64", "--recipe-time-limit", "600:0.05"]
    cmd += ["--out", str(out), "--name", "smoke"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result: dict[str, Any] = json.loads((out / "smoke.json").read_text(encoding="utf-8"))
    result["_md"] = (out / "smoke.md").read_text(encoding="utf-8")
    return result


def test_table_is_seeded_with_20_mixed_columns_and_missing_cells():
    X, y = make_table(4000, "classification", 3)
    X2, y2 = make_table(4000, "classification", 3)
    assert X.equals(X2) and y.equals(y2)
    assert X.shape == (4000, 20)
    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    assert text == ["c0", "c1"] and X["c1"].nunique() == 40
    assert 0.03 < X["x08"].isna().mean() < 0.07 and 0.03 < X["c0"].isna().mean() < 0.07
    assert X["x00"].notna().all() and X["c1"].notna().all()
    assert set(np.unique(y)) == {0, 1} and 0.4 < y.mean() < 0.6
    _, yr = make_table(4000, "regression", 3)
    assert yr.dtype == np.float64 and yr.nunique() > 1000


def test_every_size_and_system_has_consistent_figures(report):
    summary = report["summary"]
    assert set(report["load_average"]) == {"start", "end"}
    assert list(summary) == [str(s) for s in SIZES]
    for size in SIZES:
        runs = [r for r in report["runs"] if r["rows"] == size]
        assert {r["system"] for r in runs} == {"lucidnet", "sk-mlp", "hgb"}
        for r in runs:
            assert "error" not in r and not r.get("cut"), r
            assert r["n_train"] == size * 3 // 4 and r["n_train"] + r["n_test"] == size
            assert r["fit_s"] > 0
            assert math.isclose(r["s_per_1k_rows"], 1000 * r["fit_s"] / r["n_train"])
            assert 0.0 <= r["accuracy"] <= 1.0 and r["log_loss"] > 0
            assert r["peak_rss_mb"] > r["data_mb"] > 0
            if r["system"] == "lucidnet":  # its epochs are the probe's (next test)
                assert r["iterations"] is None
            else:
                assert r["iterations"] >= 1
        systems = summary[str(size)]["systems"]
        for ref in ("sk-mlp", "hgb"):
            ratio = summary[str(size)]["ratios"][f"lucidnet/{ref}"]
            assert math.isclose(ratio, systems["lucidnet"]["fit_s"] / systems[ref]["fit_s"])


def test_lucidnet_epochs_and_phases_add_up(report):
    for r in (r for r in report["runs"] if r["system"] == "lucidnet"):
        facts = r["lucidnet"]
        assert facts["selection_epochs"] == facts["best_epoch"] + facts["patience_epochs"]
        assert 1 <= facts["best_epoch"] <= facts["selection_epochs"]
        selected_on = facts["train_rows"] - facts["validation_rows"]
        assert facts["selection_rows_trained"] <= facts["selection_epochs"] * selected_on
        phases = facts["preprocess_s"] + facts["selection_s"] + facts["refit_s"]
        assert 0 < phases <= r["fit_s"]
        if facts["refit_ran"]:
            assert facts["refit_epochs"] == facts["best_epoch"]
            assert facts["refit_rows_trained"] == facts["best_epoch"] * facts["train_rows"]
    whole = report["summary"]["300"]["systems"]["lucidnet"]
    limited = report["summary"]["600"]["systems"]["lucidnet"]
    # the defaults cross-fit both tables: one phase, no refit
    assert not whole["time_limited"] and whole["recipe"]["cross_fitted"]
    assert not whole["recipe"]["refit_ran"] and whole["recipe"]["validation_rows"] == 0
    assert limited["time_limited"] and not limited["recipe"]["refit_ran"]
    assert limited["recipe_time_limit"] == 0.05
    assert "time-limited (recipe time_limit=0.05 s)" in report["_md"]


def test_extrapolation_follows_its_formula(report):
    x = report["extrapolated"]["600"]
    r = report["summary"]["600"]["systems"]["lucidnet"]["recipe"]
    base = report["summary"]["300"]["systems"]["lucidnet"]["recipe"]
    assert x["from_rows"] == 300
    assert (x["selection_epochs"], x["refit_epochs"]) == (
        base["selection_epochs"],
        base["refit_epochs"] or 0,  # cross-fitted: no refit
    )
    selected_on = r["train_rows"] - r["validation_rows"]
    epoch = r["selection_s"] / r["selection_rows_trained"] * selected_on
    v = r["validation_rows"] / r["train_rows"]
    total = r["preprocess_s"] + x["selection_epochs"] * epoch + x["refit_epochs"] * epoch / (1 - v)
    assert math.isclose(x["epoch_s"], epoch) and math.isclose(x["total_s"], total)
    assert "Extrapolation, 600 rows" in report["_md"]


def test_profile_groups_cover_each_phase(report):
    for r in (r for r in report["runs"] if r["system"] == "lucidnet"):
        profile = r["profile"]
        selection = profile["selection"]
        assert set(selection["seconds"]) == set(GROUPS)
        assert selection["steps"] == r["lucidnet"]["selection_steps"]
        assert selection["seconds"]["forward"] > 0 and selection["seconds"]["backward"] > 0
        assert sum(selection["seconds"].values()) >= selection["wall_s"] * 0.999
        assert all(0 <= f <= 1 for f in selection["fractions"].values())
        assert selection["evaluations"] == r["lucidnet"]["selection_epochs"]
        assert profile["pre"]["top_own"] and profile["pre"]["wall_s"] > 0
    assert "## Where lucidnet's seconds go (cProfile)" in report["_md"]


def test_step_parts_sum_to_the_step(report):
    step = report["step"]
    assert step["layer_sizes"][1:] == [128, 128, 1] and step["members"] == 4
    (run,) = step["runs"]
    assert run["batch_size"] == 64
    assert math.isclose(run["step_ms"], sum(run["parts_ms"].values()))
    assert math.isclose(run["us_per_row"], 1000 * run["step_ms"] / 64)
    flops = step_flops(step["layer_sizes"], 4, 64)
    assert math.isclose(run["step_gflops"], flops / (run["step_ms"] / 1000) / 1e9)
    assert step["gemm_gflops"] > 0
    assert "## The training step alone" in report["_md"]


def test_step_flops_formula():
    # forward 2·K·B·(3·4 + 4·1) = 2·2·5·16; dW the same; dA only for l = 2: 2·2·5·4
    assert step_flops([3, 4, 1], 2, 5) == 2 * 2 * 5 * (2 * 16 + 4)


def test_a_fit_past_the_limit_is_reported_cut_never_silently():
    cut = scale.run_job(["--system", "hgb", "--rows", "300"], timeout=0.01, threads=1)
    assert cut["cut"] is True and "fit_s" not in cut
    runs = [{"system": "hgb", "rows": 300, **cut}]
    summary = scale.summarise(runs, [300], ["hgb"])
    entry = summary["300"]["systems"]["hgb"]
    assert entry["cut"] == 1 and entry["fits"] == 0 and entry["fit_s"] is None


def test_recipe_time_limit_applies_from_its_size_on():
    limits = scale.parse_limits("1000000:600, 100000:900")
    assert limits == {1_000_000: 600.0, 100_000: 900.0}
    assert scale.recipe_limit(limits, 10_000) is None
    assert scale.recipe_limit(limits, 100_000) == 900.0
    assert scale.recipe_limit(limits, 2_000_000) == 600.0


def test_the_jax_engine_is_a_system_to_name_with_its_ratio_to_numpy(tmp_path: Path) -> None:
    pytest.importorskip("jax")
    cmd = [sys.executable, "-m", "benchmarks.scale", "--sizes", "300"]
    cmd += ["--systems", "lucidnet,lucidnet-jax", "--out", str(tmp_path), "--name", "jax"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads((tmp_path / "jax.json").read_text(encoding="utf-8"))["summary"]["300"]
    jax_s, numpy_s = (summary["systems"][s]["fit_s"] for s in ("lucidnet-jax", "lucidnet"))
    assert summary["ratios"]["lucidnet-jax/lucidnet"] == pytest.approx(jax_s / numpy_s)
    assert "lucidnet recipe, engine='jax'" in (tmp_path / "jax.md").read_text(encoding="utf-8")
