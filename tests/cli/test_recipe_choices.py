"""``lucidnet train --numeric-embedding/--count-loss``: help from the recipe; the model has them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lucidnet.cli.parser import build_parser
from lucidnet.tables import RECIPE
from lucidnet.tables.persist import load

from .conftest import run


def test_the_help_states_the_recipes_choices():
    parser = build_parser()
    train = parser._subparsers._group_actions[0].choices["train"]  # type: ignore[union-attr]
    text = " ".join(train.format_help().split())
    assert f"default: {RECIPE.numeric_embedding or 'none'}" in text
    assert f"default: {RECIPE.count_loss or 'none'}" in text


def test_train_with_an_embedding_and_a_poisson_output(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=200), "b": rng.choice(list("xy"), 200)})
    frame["y"] = rng.poisson(np.exp(1 + frame["a"]) * 10)  # > 20 distinct whole numbers
    frame.to_csv(tmp_path / "counts.csv", index=False)
    args = ["train", "counts.csv", "--target", "y", "--epochs", "3", "--output", "m.safetensors"]
    run(*args, "--numeric-embedding", "periodic", "--count-loss", "poisson", cwd=tmp_path)
    net = load(tmp_path / "m.safetensors").estimator.network_
    assert net.output.name == "exp" and net.embedding.features == (0,)
    run(*args, "--numeric-embedding", "none", "--count-loss", "none", cwd=tmp_path)
    net = load(tmp_path / "m.safetensors").estimator.network_
    assert net.output.name == "identity" and getattr(net, "embedding", None) is None
