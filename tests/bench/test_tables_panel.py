"""The table panel loads offline and its runner produces real scores (benchmarks.tables).

Every loader must return a non-empty frame, a target without missing values and the
documented task. A panel package that is not installed fails its test with the install
command, except ISLP (installed by ``make bench-tables`` without its heavy dependencies,
not by the ``dev`` extra), whose table is skipped with that reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.tables import panel

ROOT = Path(__file__).resolve().parents[2]


def test_panel_has_enough_real_and_generated_tables():
    kinds = [t.kind for t in panel.PANEL.values()]
    tasks = {t.task for t in panel.PANEL.values()}
    assert kinds.count("real") >= 12
    assert kinds.count("generated") >= 4
    assert tasks == {"classification", "regression"}
    assert all(t.source for t in panel.PANEL.values())


@pytest.mark.parametrize("name", list(panel.PANEL))
def test_loader_returns_features_and_a_complete_target(name):
    table = panel.PANEL[name]
    try:
        X, y = table.load()
    except panel.PanelPackageMissing as exc:
        if table.package == "ISLP":
            pytest.skip(f"ISLP is not installed (make bench-tables installs it): {exc}")
        pytest.fail(f"panel table {name!r}: {exc}")
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)
    assert len(X) == len(y) > 300
    assert 0 < X.shape[1] and len(set(X.columns)) == X.shape[1]
    assert not y.isna().any()
    assert len(X) <= 21_000  # tables above 20,000 rows are subsampled (randhie: 20,190)
    assert table.task in ("classification", "regression")
    if table.task == "classification":
        assert 2 <= y.nunique() <= 20
        assert y.value_counts().min() >= 2  # a stratified split is possible
    else:
        assert pd.api.types.is_float_dtype(y) and y.nunique() > 20
    assert y.name not in X.columns


def test_runner_quick_scores_are_real(tmp_path):
    out = tmp_path / "results"
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.tables.run",
        "--quick",
        "--tables",
        "breast_cancer,gen_counts",
        "--max-rows",
        "1000",
        "--out",
        str(out),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((out / "latest.json").read_text())
    tables = result["tables"]
    cancer, counts = tables["breast_cancer"], tables["gen_counts"]
    assert cancer["hgb"]["accuracy"] > 0.9 and cancer["hgb"]["roc_auc"] > 0.95
    assert cancer["sk-mlp"]["accuracy"] > 0.9
    assert cancer["lucidnet"]["accuracy"] > 0.85 and cancer["lucidnet"]["log_loss"] < 0.6
    assert counts["hgb"]["r2"] > 0.3
    assert all(tables[t][s]["fit_s"] > 0 for t in tables for s in ("hgb", "sk-mlp", "lucidnet"))
    assert not [r for r in result["runs"] if "error" in r]
    summary = result["summary"]["lucidnet"]
    assert summary["vs_hgb"]["tables"] == summary["vs_sk-mlp"]["tables"] == 2
    report = (out / "latest.md").read_text()
    assert "| breast_cancer |" in report and "## Summary" in report


def _fitted(embedding, m=16, d=16, sigma=0.1):
    import numpy as np

    from lucidnet import TabularRegressor

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})
    X["c"] = rng.choice(["x", "y", "z"], 80)
    return TabularRegressor(
        hidden_layer_sizes=(8,), n_members=2, max_epochs=3, numeric_embedding=embedding,
        embedding_bins=4, embedding_frequencies=m, embedding_dim=d, embedding_sigma=sigma,
        random_state=0,
    ).fit(X, X["a"])  # fmt: skip


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("embedding", [None, "periodic", "piecewise"])
def test_training_cost_counts_the_forward_multiply_adds(embedding):
    from benchmarks.tables.cost import training_cost

    est = _fitted(embedding)
    n0 = {None: 2 + 3, "periodic": 2 * 16 + 3, "piecewise": 2 * 4 + 3}[embedding]
    plr = 2 * (16 + 2 * 16 * 16) if embedding == "periodic" else 0
    cost = training_cost(est)
    assert cost == {"epochs": float(est.n_iter_), "row_epoch_madds": 2.0 * (n0 * 8 + 8 + plr)}
    assert training_cost(object()) == {}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(("m", "d"), [(16, 16), (8, 4), (3, 1)])
def test_the_periodic_embedding_adds_the_recipes_count_per_member(m, d):
    """Recipe.embedding_dim: p (m + 2 m d + d n[1]) multiply-adds against p n[1] without."""
    from benchmarks.tables.cost import training_cost

    p, n1, K = 2, 8, 2
    added = training_cost(_fitted("periodic", m, d))["row_epoch_madds"]
    added -= training_cost(_fitted(None))["row_epoch_madds"]
    assert added == K * (p * (m + 2 * m * d + d * n1) - p * n1)
