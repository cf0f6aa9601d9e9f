"""The recipe is one policy object: its defaults are the estimators', fit_table applies it."""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from lucidnet.tables import (
    RECIPE,
    InMemorySource,
    Recipe,
    StreamSource,
    TableSource,
    TabularClassifier,
    TabularRegressor,
    TargetScaling,
    fit_table,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# the estimators' names of the recipe's fields (the rest are the same names)
SHARED = [
    "hidden_layer_sizes",
    "n_members",
    "learning_rate",
    "max_epochs",
    "patience",
    "validation_fraction",
    "refit",
    "cross_fit",
    "time_limit",
    "max_categories",
    "min_frequency",
    "max_levels",
    "embedding_frequencies",
    "embedding_dim",
    "embedding_sigma",
    "embedding_bins",
]


@pytest.mark.parametrize("Est", [TabularClassifier, TabularRegressor])
def test_the_estimators_defaults_are_the_recipes(Est):
    params = Est().get_params()
    assert {name: params[name] for name in SHARED} == {
        name: getattr(RECIPE, name) for name in SHARED
    }
    signature = inspect.signature(Est.__init__)
    fields = {f.name for f in dataclasses.fields(Recipe)}
    assert set(SHARED) <= fields and set(SHARED) <= set(signature.parameters)


def test_scikit_learn_get_set_params_and_clone_keep_working():
    clf = TabularClassifier(n_members=2, patience=3)
    copy = clone(clf.set_params(max_epochs=7))
    assert copy.get_params()["max_epochs"] == 7 and copy.get_params()["patience"] == 3
    assert copy._recipe() == Recipe(n_members=2, patience=3, max_epochs=7)


def test_the_recipe_is_frozen_and_builds_its_estimator():
    with pytest.raises(dataclasses.FrozenInstanceError):
        RECIPE.n_members = 2  # type: ignore[misc]
    est = RECIPE.estimator("regression", {"n_members": 2})
    assert est.n_members == 2 and est.beta_2 == RECIPE.beta_2
    assert est.learning_rate_init == RECIPE.learning_rate and est.max_iter == RECIPE.max_epochs
    pre = RECIPE.preprocessor()
    assert pre.scaling == "robust" and pre.missing_indicators
    assert pre.max_categories == RECIPE.max_categories


def test_sources_declare_only_what_fit_table_uses():
    declared = {n for n in vars(TableSource) if not n.startswith("_")}
    assert declared == {"describe", "prepare", "train", "held_out"}
    source = InMemorySource(pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]}), "y")
    for policy in ("recipe", "automatic", "refit", "time_limit", "resume_from"):
        assert not hasattr(source, policy)


def _frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "c": rng.choice(["a", "b"], n), "y": 2 * x + 5})


def test_the_estimator_and_fit_table_on_rows_in_memory_give_the_same_model():
    frame = _frame()
    small = {"hidden_layer_sizes": (8,), "n_members": 2, "max_epochs": 5, "patience": 2}
    reg = TabularRegressor(random_state=0, **small).fit(frame[["x", "c"]], frame.y)
    recipe = Recipe(hidden_layer_sizes=(8,), n_members=2, max_epochs=5, patience=2)
    source = InMemorySource(frame, "y", validation=0)
    fit = fit_table(source, task="regression", recipe=recipe, seed=0)
    np.testing.assert_array_equal(fit.model.predict(frame), reg.model_.predict(frame))
    assert fit.model.scaling == TargetScaling(reg.target_mean_, reg.target_scale_)


def test_one_target_scaling_forward_and_back():
    y = np.array([3.0, 5.0, 10.0])
    scaling = TargetScaling(float(np.mean(y)), float(np.std(y)))
    z = scaling.forward(y)
    np.testing.assert_allclose(z, (y - y.mean()) / y.std())  # z = (y − mean) / scale
    np.testing.assert_allclose(scaling.inverse(z), y)  # y = z · scale + mean
    assert scaling.inverse(z.astype(np.float32)).dtype == np.float32
    assert TargetScaling().forward(y).tolist() == y.tolist()


def test_a_stream_built_without_the_recipe_refuses_one(tmp_path):
    # The streamed recipe chooses its held-out rows in the first pass: StreamSource must
    # know the recipe before fit_table runs it (tests/tables/test_streamed.py trains it).
    _frame().to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(ValueError, match=r"give the recipe to StreamSource\(\.\.\., recipe="):
        fit_table(StreamSource(tmp_path / "t.csv", "y"), recipe=RECIPE)
