"""``lucidnet train``'s progress on standard error when it is not a terminal (a log, a pipe)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .conftest import run


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("progress")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    label = np.where(X[:, 0] + 0.5 * rng.normal(size=200) > 0, "yes", "no")
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "label": label}).to_csv(
        folder / "data.csv", index=False
    )
    return folder


def test_the_default_cross_fits_its_members_in_one_phase(workdir: Path) -> None:
    result = run("train", "data.csv", "--target", "label", "--seed", "0", cwd=workdir)
    best = re.search(r"kept its best epoch on fold k \(([\d, ]+)\)", result.stdout)[1]
    periodic = re.compile(r"cross-fitting 4 members: epoch \d+/\d+ \| .*members done \d/4.*")
    lines = [line for line in result.stderr.splitlines() if not periodic.fullmatch(line)]
    assert len(lines) == 1, result.stderr
    assert re.fullmatch(
        rf"cross-fitting 4 members: every member done at epoch \d+, \d+:\d\d \| "
        rf"best epochs \[{best}\], no refit",
        lines[0],
    )


def test_both_phases_are_named_with_the_chosen_epochs(workdir: Path) -> None:
    # one member: the epochs are chosen on held-out rows, then the refit
    result = run(
        "train", "data.csv", "--target", "label", "--seed", "0", "--members", "1", cwd=workdir
    )
    chosen = int(re.search(r"epochs: (\d+), chosen on the held-out rows", result.stdout)[1])
    # one line closing each phase; a line every 5 s of training before it on a slow machine
    periodic = re.compile(r"(choosing the epochs|refit on all rows): epoch \d+/\d+ \| .*")
    lines = [line for line in result.stderr.splitlines() if not periodic.fullmatch(line)]
    assert len(lines) == 2, result.stderr
    assert re.fullmatch(
        r"choosing the epochs: stopped at epoch \d+ \(early stopping\), \d+:\d\d \| "
        rf"best epoch {chosen} \(val_loss \d+\.\d{{4}}\) \| "
        rf"next: the refit, {chosen} epochs?, about \d+:\d\d",
        lines[0],
    )
    assert re.fullmatch(rf"refit on all rows: {chosen}/{chosen} epochs done, \d+:\d\d", lines[1])


def test_quiet_and_fixed_epochs(workdir: Path) -> None:
    quiet = run("train", "data.csv", "--target", "label", "--quiet", cwd=workdir)
    assert quiet.stderr == ""
    fixed = run("train", "data.csv", "--target", "label", "--epochs", "4", cwd=workdir)
    assert re.search(r"(^|\n)training: 4/4 epochs done, \d+:\d\d\n$", fixed.stderr)
