"""The whole table model in ONNX: raw columns in, the same predictions as the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lucidnet.tables import InMemorySource, fit_table
from lucidnet.tables.onnx import table_to_onnx
from lucidnet.tables.recipe import Recipe

ort = pytest.importorskip("onnxruntime")

FAST = Recipe(hidden_layer_sizes=(16, 16), n_members=3, max_epochs=6, patience=3)


def _table(n: int, seed: int) -> pd.DataFrame:
    """Numbers with NaN and ±inf cells, an integer column, text with missing cells."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n) * 50 + 10
    a[rng.random(n) < 0.15] = np.nan
    b = rng.lognormal(size=n)
    b[rng.random(n) < 0.05] = np.inf
    colour = rng.choice(["red", "green", "blue", "teal"], n).astype(object)
    colour[rng.random(n) < 0.2] = None
    size = rng.integers(0, 5, n)
    y = (np.nan_to_num(a, nan=0) / 50 + (colour == "red") + rng.normal(size=n) * 0.5) > 0.5
    return pd.DataFrame({"a": a, "b": b, "colour": colour, "size": size, "y": y})


def _fresh(n: int) -> pd.DataFrame:
    """New rows: unseen categories, missing text, NaN and -inf numbers."""
    frame = _table(n, seed=7).drop(columns="y")
    frame.loc[0, "colour"] = "violet"  # never seen in training
    frame.loc[1, "colour"] = None
    frame.loc[2, "a"] = np.nan
    frame.loc[3, "b"] = -np.inf
    return frame


def _feeds(model, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """One [N, 1] input per column: float32 numbers, text as strings ("" when missing)."""
    feeds = {}
    for column in model.preprocessor.columns:
        values = frame[column]
        if column in model.preprocessor.numeric:
            feeds[column] = values.to_numpy(dtype=np.float32).reshape(-1, 1)
        else:
            text = values.astype(object).where(values.notna(), "").astype(str)
            feeds[column] = text.to_numpy(dtype=object).reshape(-1, 1)
    return feeds


def _run(model, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    graph = table_to_onnx(model)
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, _feeds(model, frame)), strict=True))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("scaling", ["robust", "standard"])
def test_the_graph_from_raw_columns_matches_the_model(scaling):
    recipe = FAST if scaling == "robust" else None
    params = {"hidden_layer_sizes": (16,), "max_iter": 5, "n_members": 2}
    fit = fit_table(InMemorySource(_table(300, 0), "y"), recipe=recipe, params=params)
    model = fit.model
    assert (model.preprocessor.scaling, bool(model.preprocessor.indicators)) == (
        scaling,
        scaling == "robust",
    )
    frame = _fresh(80)
    got = _run(model, frame)
    np.testing.assert_allclose(got["probabilities"], model.predict_proba(frame), atol=1e-5)
    assert got["label"].tolist() == model.predict(frame).tolist()
    # the unseen category is all zeros, as a missing cell is "missing"
    names = model.preprocessor.feature_names_out
    X = model.features(frame)
    assert not X[0, [i for i, n in enumerate(names) if n.startswith("colour=")]].any()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_regression_graph_predicts_in_the_targets_units():
    frame = _table(300, 1)
    frame["y"] = 1000 + 300 * np.nan_to_num(frame["a"], nan=0) / 50 + frame["size"] * 40
    model = fit_table(InMemorySource(frame, "y"), recipe=FAST).model
    assert model.target_scale > 100
    fresh = _fresh(50)
    got = _run(model, fresh)
    assert got["predictions"].shape == (50, 1)
    np.testing.assert_allclose(got["predictions"][:, 0], model.predict(fresh), rtol=1e-5)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_multiclass_graph_takes_string_labels_and_names_its_inputs():
    frame = _table(240, 2)
    frame["y"] = np.where(frame["size"] > 2, "big", np.where(frame["size"] > 0, "mid", "none"))
    model = fit_table(InMemorySource(frame, "y"), recipe=FAST).model
    graph = table_to_onnx(model)
    inputs = {
        i.name: (i.type.tensor_type.elem_type, i.type.tensor_type.shape) for i in graph.graph.input
    }
    assert list(inputs) == ["a", "b", "colour", "size"]
    assert inputs["colour"][0] == 8 and inputs["a"][0] == 1  # string, float
    assert [d.dim_value for d in inputs["a"][1].dim][1] == 1
    fresh = _fresh(40)
    got = _run(model, fresh)
    np.testing.assert_allclose(got["probabilities"], model.predict_proba(fresh), atol=1e-5)
    assert got["label"].tolist() == model.predict(fresh).tolist()


def test_a_column_named_like_an_output_is_refused():
    frame = _table(120, 3).rename(columns={"size": "label"})
    model = fit_table(InMemorySource(frame, "y"), params={"max_iter": 2}).model
    with pytest.raises(ValueError, match=r"\['label'\].*rename"):
        table_to_onnx(model)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_levels_kept_by_min_frequency_export_and_save(tmp_path):
    from dataclasses import replace

    from lucidnet.tables.persist import load, save

    rng = np.random.default_rng(3)
    frame = _table(400, 3)
    frame["colour"] = rng.choice([f"c{i}" for i in range(30)], 400)  # about 13 rows each
    recipe = replace(FAST, max_categories=4, min_frequency=10, max_levels=20)
    model = fit_table(InMemorySource(frame, "y"), recipe=recipe).model
    kept = model.preprocessor.categories["colour"]
    assert len(kept) == 20  # more than max_categories − 1, capped at max_levels
    fresh = _fresh(60)
    fresh["colour"] = rng.choice([f"c{i}" for i in range(32)], 60)  # rare and unseen ones too
    got = _run(model, fresh)
    np.testing.assert_allclose(got["probabilities"], model.predict_proba(fresh), atol=1e-5)
    save(model, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    assert loaded.preprocessor.categories["colour"] == kept
    np.testing.assert_array_equal(loaded.predict_proba(fresh), model.predict_proba(fresh))
