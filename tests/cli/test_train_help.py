"""``lucidnet train --help`` states the defaults the recipe actually uses."""

from __future__ import annotations

import re

import pytest

from lucidnet.cli.common import AT_SCALE
from lucidnet.cli.parser import build_parser
from lucidnet.tables import RECIPE


@pytest.fixture(scope="module")
def help_text() -> str:
    parser = build_parser()
    train = parser._subparsers._group_actions[0].choices["train"]  # type: ignore[union-attr]
    return " ".join(train.format_help().split())  # one line: wrapping aside


def test_the_help_shows_the_recipes_defaults(help_text):
    widths = ",".join(map(str, RECIPE.hidden_layer_sizes))
    assert f"--hidden {widths}" in help_text
    assert f"(default: {widths};" in help_text
    assert f"(default: {RECIPE.batch_size};" in help_text
    assert f"(default: {RECIPE.learning_rate:g};" in help_text
    assert f"(default: {RECIPE.n_members})" in help_text
    assert f"at most {RECIPE.max_epochs};" in help_text
    scale = ",".join(map(str, AT_SCALE["hidden_layer_sizes"]))
    assert f"{scale} with --dask" in help_text


def test_every_default_in_the_train_help_is_one_the_code_uses(help_text):
    stated = set(re.findall(r"default: ([0-9.,]+)", help_text))
    used = {
        ",".join(map(str, RECIPE.hidden_layer_sizes)),
        str(RECIPE.batch_size),
        f"{RECIPE.learning_rate:g}",
        str(RECIPE.n_members),
        "0.0001",  # --alpha
        "0.2",  # --validation
        "0",  # --seed
        "50000",  # --chunk-rows
    }
    assert {s.rstrip(",.") for s in stated} <= used
