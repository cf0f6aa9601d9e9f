"""Hand-edited model files (checksum recomputed, as anyone can): every header field is
checked against the declared schema at load, and a bad one is a ModelFileError naming it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import lucidnet
from lucidnet import MLPClassifier, ModelFileError
from lucidnet.io import modelfile
from lucidnet.tables import InMemorySource, fit_table
from lucidnet.tables.recipe import Recipe

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _edited(path, change):
    """The file rewritten with its info changed and a valid checksum."""
    loaded = modelfile.load_network(path)
    info = json.loads(json.dumps(loaded.info))
    change(info)
    edited = path.with_name("edited.safetensors")
    modelfile.save_network(loaded.network, edited, info=info, extra_arrays=loaded.arrays)
    return edited


@pytest.fixture(scope="module")
def estimator_file(tmp_path_factory):
    X = np.random.default_rng(0).normal(size=(40, 3))
    est = MLPClassifier((4,), max_iter=3, random_state=0).fit(X, (X[:, 0] > 0).astype(int))
    path = tmp_path_factory.mktemp("schema") / "estimator.safetensors"
    lucidnet.save(est, path)
    return path


@pytest.fixture(scope="module")
def table_file(tmp_path_factory):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"a": rng.normal(size=40), "b": rng.normal(size=40), "c": rng.choice(["x", "y"], 40)}
    )
    frame["y"] = np.where(frame["a"] > 0, "p", "q")
    recipe = Recipe(hidden_layer_sizes=(4,), n_members=2, max_epochs=3)
    model = fit_table(InMemorySource(frame, "y"), recipe=recipe).model
    path = tmp_path_factory.mktemp("schema") / "table.safetensors"
    lucidnet.save(model, path)
    return path


def _set(key, value):
    return lambda info: info.update({key: value})


def _drop_numeric_column(info):
    info["preprocessing"]["columns"].remove("a")


ESTIMATOR_EDITS = [
    (_set("feature_names_in", 5), r"info\['feature_names_in'\]"),
    (_set("feature_names_in", ["a", 2, "c"]), r"info\['feature_names_in'\]\[1\]"),
    (_set("summary", [1, 2]), r"info\['summary'\]"),
    (lambda info: info["summary"].update(n_iter_="3"), r"info\['summary'\]\['n_iter_'\]"),
    (_set("history", [1]), r"info\['history'\]"),
    (lambda info: info["history"].update(loss="low"), r"info\['history'\]\['loss'\]"),
    (_set("multilabel", "no"), r"info\['multilabel'\]"),
    (_set("params", [1]), r"info\['params'\]"),
    (_set("n_features_in", "3"), r"info\['n_features_in'\]"),
]
TABLE_EDITS = [
    *ESTIMATOR_EDITS,
    (_set("metrics", [1, 2]), r"info\['metrics'\]"),
    (lambda info: info["metrics"].update(epochs={"a": 1}), r"info\['metrics'\]\['epochs'\]"),
    (_drop_numeric_column, r"info\['preprocessing'\]"),
    (_set("task", "regression"), r"info\['task'\].*MLPClassifier"),
    (_set("task", "ranking"), r"info\['task'\]"),
    (_set("preprocessing", 5), r"info\['preprocessing'\]"),
    (lambda info: info["preprocessing"].update(categories=[]), r"\['categories'\]"),
    (lambda info: info["preprocessing"].update(indicators=["zz"]), r"\['indicators'\]"),
    (_set("target", 7), r"info\['target'\]"),
    (_set("target_scale", "1"), r"info\['target_scale'\]"),
]


@pytest.mark.parametrize(("change", "field"), ESTIMATOR_EDITS)
def test_an_edited_estimator_file_names_the_field(estimator_file, change, field):
    with pytest.raises(ModelFileError, match=field):
        lucidnet.load(_edited(estimator_file, change))


@pytest.mark.parametrize(("change", "field"), TABLE_EDITS)
def test_an_edited_table_file_names_the_field(table_file, change, field):
    with pytest.raises(ModelFileError, match=field):
        lucidnet.load(_edited(table_file, change))


def test_the_files_as_saved_still_load(estimator_file, table_file):
    assert lucidnet.load(estimator_file).n_features_in_ == 3
    assert lucidnet.load(table_file).preprocessor.columns == ["a", "b", "c"]
