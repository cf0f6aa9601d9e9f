"""The command line on tables at the edges: a few rows, non-finite cells, duplicate headers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .conftest import run


def test_a_small_regression_table_is_saved_and_says_what_is_absent(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 3, 5, 1], "y": [3.5, 5.1, 8.2, 2.7]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    out = run("train", "t.csv", "--target", "y", "--epochs", "3", "--quiet", cwd=tmp_path).stdout
    assert "r2         absent: the held-out rows cannot give it" in out
    assert (tmp_path / "model.safetensors").exists()
    one_row = frame.iloc[:1]
    one_row.to_csv(tmp_path / "one.csv", index=False)
    evaluated = run("evaluate", "model.safetensors", "one.csv", cwd=tmp_path).stdout
    assert "r2         absent" in evaluated and "nan" not in evaluated


def test_a_csv_with_duplicate_headers_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("a,a,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n")
    result = run("train", "d.csv", "--target", "y", cwd=tmp_path, ok=False)
    assert result.returncode != 0
    assert "duplicate column name(s) 'a' (2 times)" in result.stderr


def test_an_infinite_cell_is_missing_at_training_and_prediction(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    frame["y"] = np.where(frame["a"] > 0, "p", "q")
    frame.loc[3, "a"] = np.inf
    frame.to_csv(tmp_path / "t.csv", index=False)
    run("train", "t.csv", "--target", "y", "--epochs", "3", "--quiet", cwd=tmp_path)
    new = frame.drop(columns="y")
    new.loc[5, "b"] = -np.inf
    new.to_csv(tmp_path / "new.csv", index=False)
    run("predict", "model.safetensors", "new.csv", "-o", "out.csv", cwd=tmp_path)
    assert len(pd.read_csv(tmp_path / "out.csv")) == 60


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ((), "feature map (member 1 of 4, training rows)"),
        (("--epochs", "5"), "feature map (member 1 of 4, held-out rows)"),
    ],
)
def test_the_reports_feature_map_says_which_rows_and_member(
    tmp_path: Path, options: tuple[str, ...], named: str
) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120)})
    frame["y"] = np.where(frame["a"] * frame["b"] > 0, "p", "q")
    frame.to_csv(tmp_path / "t.csv", index=False)
    run("train", "t.csv", "--target", "y", *options, "--quiet", "--report", "r", cwd=tmp_path)
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert named in html


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_an_ensembles_feature_map_caption_names_its_rows_and_member() -> None:
    from lucidnet import MLPClassifier
    from lucidnet.cli.demo import classification_section

    X = np.random.default_rng(0).normal(size=(60, 3))
    y = np.where(X[:, 0] > 0, "p", "q")
    est = MLPClassifier((4,), n_members=3, max_iter=3, random_state=0).fit(X, y)
    rows = ("training rows", "validation rows, which the final model trained on")
    section = classification_section("t", est, X, y, {}, rows)
    fig = section["figures"]["feature map (member 1 of 3, training rows)"]
    caption = fig.get_supxlabel()
    assert "the 60 validation rows, which the final model trained on" in caption
    assert "Member 1 of the ensemble's 3 networks" in caption.replace("\n", " ")
