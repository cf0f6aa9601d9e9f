"""``lucidnet inspect MODEL --importance DATA``: each column's permutation importance."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .conftest import run


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("importance")
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame({"noise": rng.normal(size=n), "size": rng.normal(size=n)})
    frame["shape"] = rng.choice(["round", "square"], n)
    frame["label"] = np.where((frame["size"] > 0) ^ (frame["shape"] == "round"), "yes", "no")
    frame.iloc[:300].to_csv(folder / "train.csv", index=False)
    frame.iloc[300:].to_csv(folder / "test.csv", index=False)
    frame.iloc[300:].drop(columns="label").to_csv(folder / "unlabelled.csv", index=False)
    run(
        "train", "train.csv", "--target", "label", "--epochs", "40", "--members", "2",
        "--hidden", "16", "--seed", "0", "--quiet", "-o", "model.safetensors", cwd=folder,
    )  # fmt: skip
    return folder


def test_inspect_prints_the_columns_by_importance(workdir: Path) -> None:
    out = run("inspect", "model.safetensors", "--importance", "test.csv", cwd=workdir).stdout
    assert "permutation importance on test.csv (100 rows, accuracy" in out
    rows = re.findall(r"^  (\w+)\s+(-?\d\.\d{4}) ± (\d\.\d{4})$", out, flags=re.M)
    assert [name for name, _, _ in rows][2] == "noise" and len(rows) == 3
    means = [float(mean) for _, mean, _ in rows]
    assert means == sorted(means, reverse=True) and means[0] > 0.1


def test_importance_needs_the_target_column(workdir: Path) -> None:
    result = run(
        "inspect", "model.safetensors", "--importance", "unlabelled.csv", cwd=workdir, ok=False
    )
    assert result.returncode != 0
    assert "has no column 'label'" in result.stderr
