"""The recipe's numerical embedding (tables/embedding.py) through the table estimators."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from lucidnet import TabularClassifier
from lucidnet.core.embedded import EmbeddedEnsemble, EmbeddedNetwork
from lucidnet.tables.embedding import table_embedding
from lucidnet.tables.persist import export_onnx, load, save


def _frame(n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(list("xyz"), n)}
    )
    X.loc[::7, "a"] = np.nan
    return X


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("periodic", {}),
        (
            "periodic",
            {"embedding_frequencies": 8, "embedding_dim": 4, "embedding_sigma": (0.1, 1.0)},
        ),
        ("piecewise", {}),
    ],
    ids=["periodic", "periodic-m8-d4-two-scales", "piecewise"],
)
@pytest.mark.parametrize("members", [1, 3])
def test_fit_save_load_export(tmp_path, kind, options, members):
    ort = pytest.importorskip("onnxruntime")
    X = _frame()
    y = (X["b"] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = TabularClassifier(
            numeric_embedding=kind, n_members=members, max_epochs=4, random_state=0, **options
        ).fit(X, y)
    net = clf.estimator_.network_
    assert isinstance(net, EmbeddedEnsemble if members > 1 else EmbeddedNetwork)
    assert net.embedding.features == (0, 1)  # the numeric columns; indicator and one-hot pass
    save(clf.model_, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.model_.predict_proba(X))
    export_onnx(clf.model_, tmp_path / "m.onnx")  # the whole model: raw columns in
    feeds = {c: X[[c]].to_numpy(dtype=np.float32) for c in ("a", "b")}
    feeds["c"] = X[["c"]].to_numpy(dtype=object).astype(str)
    got = ort.InferenceSession(str(tmp_path / "m.onnx")).run(["probabilities"], feeds)[0]
    np.testing.assert_allclose(got, clf.predict_proba(X), atol=1e-5)


def test_no_numeric_column_no_embedding_and_bad_kind():
    X = np.zeros((10, 3))
    assert table_embedding("periodic", 0, X) is None
    assert table_embedding(None, 3, X) is None
    with pytest.raises(ValueError, match="numeric_embedding must be None or one of"):
        table_embedding("fourier", 3, X)


def test_the_recipes_sigma_and_bins_reach_the_embedding():
    X = _frame()
    y = (X["b"] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plr = TabularClassifier(
            numeric_embedding="periodic", embedding_sigma=2.0, max_epochs=1, random_state=0
        ).fit(X, y)
        ple = TabularClassifier(
            numeric_embedding="piecewise", embedding_bins=5, max_epochs=1, random_state=0
        ).fit(X, y)
    assert plr.estimator_.network_.embedding.sigma == 2.0
    small = TabularClassifier(
        numeric_embedding="periodic", embedding_frequencies=8, embedding_dim=4, max_epochs=1,
        embedding_sigma=(0.1, 1.0), random_state=0,
    ).fit(X, y)  # fmt: skip
    emb, net = small.estimator_.network_.embedding, small.estimator_.network_
    assert (emb.n_frequencies, emb.dim, emb.sigma) == (8, 4, (0.1, 1.0))
    assert net.W[1].shape[-1] == 2 * 4 + 1 + 3  # p · d embedded, the indicator, 3 one-hot
    for name in ("embedding_frequencies", "embedding_dim"):
        with pytest.raises(ValueError, match=name):
            TabularClassifier(**{name: 0}).fit(X, y)
    with pytest.raises(ValueError, match="embedding_frequencies at least as many as its scales"):
        TabularClassifier(embedding_frequencies=3, max_epochs=1).fit(X, y)  # 4 scales
    edges = ple.estimator_.network_.embedding.edges
    assert [len(e) - 1 for e in edges] == [5, 5]  # 5 bins per numeric column
    with pytest.raises(ValueError, match="embedding_bins"):
        TabularClassifier(embedding_bins=0).fit(X, y)


def test_a_table_of_more_rows_than_embedding_max_rows_goes_without():
    from lucidnet.tables import RECIPE, TablePreprocessor
    from lucidnet.tables.embedding import embedding_of

    frame = pd.DataFrame({"a": np.arange(30.0), "b": np.arange(30.0) ** 2})
    pre = TablePreprocessor().fit(frame)
    X = pre.transform(frame)
    small = replace(RECIPE, embedding_max_rows=30)
    assert embedding_of(small, pre, X) is not None  # 30 rows: not over the bound
    assert embedding_of(small, pre, X, n_rows=31) is None  # a file's rows, X a sample
    assert embedding_of(replace(small, embedding_max_rows=29), pre, X) is None
    assert embedding_of(replace(small, embedding_max_rows=None), pre, X, 10**9) is not None


def test_a_table_of_more_numeric_columns_than_embedding_max_columns_goes_without():
    from lucidnet.tables import RECIPE, TablePreprocessor
    from lucidnet.tables.embedding import embedding_of

    assert RECIPE.embedding_max_columns == 60
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 4)), columns=list("abcd"))
    pre = TablePreprocessor().fit(frame)
    X = pre.transform(frame)
    assert embedding_of(replace(RECIPE, embedding_max_columns=4), pre, X) is not None
    assert embedding_of(replace(RECIPE, embedding_max_columns=3), pre, X) is None
    assert embedding_of(replace(RECIPE, embedding_max_columns=None), pre, X) is not None
