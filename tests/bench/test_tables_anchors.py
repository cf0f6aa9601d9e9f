"""The panel's optional anchors (benchmarks.tables.anchors): registered, skipped cleanly.

CatBoost, LightGBM and pytabkit are not dependencies of lucidnet: without them the run
skips their systems and says why in the report. Where a library is installed
(``make bench-anchors``), its anchor fits a small table with categories and missing cells.
"""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pandas as pd
import pytest
import threadpoolctl

from benchmarks.tables import anchors, run, systems

ANCHOR_NAMES = ("catboost", "lightgbm", "realmlp-td", "tabm-d")


def _frame(n: int = 240, seed: int = 0) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Numbers with missing cells, a text category with missing cells, a bool column."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    x_missing = np.where(rng.random(n) < 0.2, np.nan, x)
    colour = rng.choice(["red", "green", "blue"], size=n).astype(object)
    colour[rng.random(n) < 0.1] = None
    X = pd.DataFrame(
        {
            "x": x_missing,
            "z": rng.normal(size=n),
            "colour": pd.Series(colour, dtype="str"),
            "flag": rng.random(n) < 0.5,
        }
    )
    signal = 2 * x + (X["colour"] == "red").to_numpy() + X["flag"].to_numpy()
    y_class = pd.Series(np.where(signal > 0.5, "yes", "no"), name="y")
    y_reg = pd.Series(signal + 0.1 * rng.normal(size=n), name="y")
    return X, y_class, y_reg


def test_anchors_are_registered_with_their_packages():
    assert set(ANCHOR_NAMES) <= set(systems.SYSTEMS)
    assert set(anchors.ANCHORS) == set(anchors.ANCHOR_PACKAGES) == set(ANCHOR_NAMES)
    assert not set(ANCHOR_NAMES) & set(systems.DEFAULT_SYSTEMS)  # never in the default run
    assert anchors.ANCHOR_PACKAGES["realmlp-td"] == ("pytabkit", "torch")


def _hide(monkeypatch: pytest.MonkeyPatch, hidden: set[str]) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: object, **kwargs: object) -> object:
        return None if name.split(".")[0] in hidden else real(name, *args, **kwargs)

    monkeypatch.setattr(anchors.importlib.util, "find_spec", find_spec)


def test_missing_library_names_the_system_and_the_install(monkeypatch):
    _hide(monkeypatch, {"catboost", "lightgbm", "pytabkit", "torch"})
    why = anchors.missing_packages(["hgb", "lucidnet", *ANCHOR_NAMES])
    assert set(why) == set(ANCHOR_NAMES)  # hgb and lucidnet are never skipped
    assert "catboost not installed" in why["catboost"]
    assert "pytabkit and torch not installed" in why["realmlp-td"]
    assert all("requirements-anchors.txt" in text for text in why.values())


def test_run_skips_a_missing_anchor_and_says_so(monkeypatch, tmp_path):
    _hide(monkeypatch, set(ANCHOR_NAMES) | {"pytabkit", "torch"})
    monkeypatch.setattr(threadpoolctl, "threadpool_limits", lambda limits: None)
    args = ["--tables", "breast_cancer", "--systems", "hgb,catboost,tabm-d", "--seeds", "1"]
    args += ["--max-rows", "400", "--out", str(tmp_path), "--note", "A test note."]
    assert run.main(args) == 0
    result = json.loads((tmp_path / "latest.json").read_text())
    assert result["config"]["systems"] == ["hgb"]
    assert set(result["skipped_systems"]) == {"catboost", "tabm-d"}
    assert {r["system"] for r in result["runs"]} == {"hgb"}
    report = (tmp_path / "latest.md").read_text()
    assert "Skipped catboost: catboost not installed" in report
    assert "Skipped tabm-d: pytabkit and torch not installed" in report
    assert "A test note." in report


def test_pytabkit_input_gets_the_training_median_and_an_indicator():
    X, _, _ = _frame()
    train, test = X.iloc[:200], X.iloc[200:].copy()
    test.loc[test.index[0], "x"] = np.nan
    test.loc[test.index[1], "colour"] = "purple"  # unseen: missing
    columns = anchors._Columns(train)
    out = columns.impute(columns.categories(test))
    median = float(train["x"].median())
    assert list(out.columns) == ["x", "z", "colour", "flag", "x__missing"]  # z: no missing
    assert out["x"].iloc[0] == median and out["x__missing"].iloc[0] == 1.0
    kept = test["x"].notna()
    np.testing.assert_array_equal(out["x"][kept], test["x"][kept])
    assert (out["x__missing"][kept] == 0.0).all()
    assert not out[["x", "z", "x__missing"]].isna().any().any()
    assert isinstance(out["colour"].dtype, pd.CategoricalDtype)
    assert list(out["colour"].cat.categories) == ["blue", "green", "red"]
    assert pd.isna(out["colour"].iloc[1])
    assert list(out["flag"].cat.categories) == ["False", "True"]


@pytest.mark.parametrize("name", ANCHOR_NAMES)
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_installed_anchor_fits_categories_and_missing_cells(name, task):
    for module in anchors.ANCHOR_PACKAGES[name]:
        pytest.importorskip(module)
    X, y_class, y_reg = _frame()
    y = y_class if task == "classification" else y_reg
    split = (X.iloc[:180], X.iloc[180:], y.iloc[:180], y.iloc[180:])
    scores = run.run_one(anchors.ANCHORS[name], split, task, seed=0)
    if task == "classification":
        assert scores["accuracy"] > 0.75 and scores["log_loss"] < 0.6
    else:
        assert scores["r2"] > 0.5


def test_anchors_join_only_where_the_splits_agree():
    from benchmarks.tables.combine import joined

    def run(table, seed, system, score):
        return {"table": table, "task": "classification", "seed": seed, "system": system,
                "fit_s": 1.0, "accuracy": score}  # fmt: skip

    base = [run("a", 0, "hgb", 0.81234), run("b", 0, "hgb", 0.7), run("a", 0, "lucidnet", 0.83)]
    other = [run("a", 0, "hgb", 0.8123), run("a", 0, "catboost", 0.84),  # the same rows
             run("b", 0, "hgb", 0.65), run("b", 0, "catboost", 0.9),      # another split
             run("a", 0, "lightgbm", 0.8)]  # fmt: skip
    runs, differ = joined(base, other, ["catboost"])
    assert differ == [("b", 0)]
    added = runs[len(base) :]
    assert [(r["table"], r["system"], r["fit_s"]) for r in added] == [("a", "catboost", 0.0)]
