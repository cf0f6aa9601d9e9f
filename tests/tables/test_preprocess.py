"""The preprocessor's matrix: computed in float64, stored in the model's dtype."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lucidnet.tables.preprocess import MISSING, TablePreprocessor, smooth_clip


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200) * 1e3
    x[::7] = np.nan
    return pd.DataFrame(
        {
            "x": x,
            "z": rng.exponential(size=200),
            "c": rng.choice(["a", "b", "c", None], size=200),
        }
    )


def test_the_float32_matrix_is_the_float64_matrix_rounded_once(frame):
    pre = TablePreprocessor(scaling="robust", missing_indicators=True).fit(frame)
    A64 = pre.transform(frame)
    A32 = pre.transform(frame, dtype=np.float32)
    assert A64.dtype == np.float64 and A32.dtype == np.float32
    np.testing.assert_array_equal(A32, A64.astype(np.float32))


def test_the_blocks_are_numbers_then_indicators_then_one_hot(frame):
    pre = TablePreprocessor(scaling="robust", missing_indicators=True).fit(frame)
    A = pre.transform(frame)
    x = frame["x"].to_numpy()
    missing = np.isnan(x)
    u = (np.where(missing, pre.median[0], x) - pre.mean[0]) / pre.scale[0]
    np.testing.assert_allclose(A[:, 0], smooth_clip(u), rtol=1e-15)  # u / √(1 + (u/3)²)
    assert pre.indicators == ["x"]
    np.testing.assert_array_equal(A[:, 2], missing)  # x's indicator after the numbers
    one_hot = A[:, 3:]
    cats = pre.categories["c"]  # missing text is a category of its own
    assert one_hot.shape[1] == len(cats) == 4
    text = frame["c"].where(frame["c"].notna(), MISSING).to_numpy()
    np.testing.assert_array_equal(one_hot, text[:, None] == np.asarray(cats)[None, :])


def test_the_smooth_clip_is_bounded_for_every_finite_and_infinite_number():
    x = np.array([0.0, 1.0, -2.0, 1e10, 1e154, 1e200, -1e300, np.inf, -np.inf])
    u = smooth_clip(x)
    np.testing.assert_allclose(u[:3], x[:3] / np.sqrt(1 + (x[:3] / 3) ** 2), rtol=1e-15)
    np.testing.assert_allclose(u[3:], np.sign(x[3:]) * 3.0, rtol=1e-9)  # the limit ±3
    assert np.all(np.abs(u) <= 3.0)


@pytest.mark.parametrize("n_levels", [3, 5, 6, 9])
def test_kept_levels_are_the_one_hot_encoders_most_frequent(n_levels):
    from sklearn.preprocessing import OneHotEncoder

    from lucidnet.tables.preprocess import kept_levels

    rng = np.random.default_rng(n_levels)
    levels = [f"v{i}" for i in range(n_levels)]
    weights = np.arange(1.0, n_levels + 1)
    column = rng.choice(levels, size=60, p=weights / weights.sum())
    column[: 2 * n_levels] = np.repeat(levels, 2)  # every level at least twice; ties likely
    for max_categories in (2, 3, 5, 6):
        encoder = OneHotEncoder(
            handle_unknown="infrequent_if_exist", max_categories=max_categories
        ).fit(column[:, None])
        rare = encoder.infrequent_categories_[0]
        rare = set() if rare is None else set(rare)
        expected = [str(v) for v in encoder.categories_[0] if v not in rare]
        names, counts = np.unique(column, return_counts=True)
        assert kept_levels(list(names), counts, max_categories) == expected


def test_kept_levels_add_the_levels_seen_min_frequency_times_up_to_max_levels():
    from lucidnet.tables.preprocess import kept_levels

    levels = ["a", "b", "c", "d", "e", "f"]
    counts = [9, 1, 4, 7, 4, 2]
    assert kept_levels(levels, counts, 3) == ["a", "d"]  # the 3 − 1 most frequent
    assert kept_levels(levels, counts, 3, min_frequency=4) == ["a", "c", "d", "e"]
    assert kept_levels(levels, counts, None, min_frequency=4) == levels  # None keeps all
    # the cap drops the rarest first, ties in the levels' order (c before e)
    assert kept_levels(levels, counts, 3, min_frequency=2, max_levels=3) == ["a", "d", "e"]
    with pytest.raises(ValueError, match="counts has shape"):
        kept_levels(levels, counts[:2], 3)


def test_min_frequency_keeps_frequent_levels_and_zeroes_the_rest():
    rng = np.random.default_rng(1)
    counts = {f"s{i}": 12 - i for i in range(10)}  # 12, 11, …, 3 rows
    words = np.repeat(list(counts), list(counts.values()))
    frame = pd.DataFrame({"w": rng.permutation(words), "x": rng.normal(size=len(words))})
    top = TablePreprocessor(max_categories=4).fit(frame)
    assert top.categories["w"] == ["s0", "s1", "s2"]
    pre = TablePreprocessor(max_categories=4, min_frequency=6).fit(frame)
    assert pre.categories["w"] == [f"s{i}" for i in range(7)]  # seen ≥ 6 times
    capped = TablePreprocessor(max_categories=4, min_frequency=6, max_levels=5).fit(frame)
    assert capped.categories["w"] == [f"s{i}" for i in range(5)]
    A = pre.transform(pd.DataFrame({"w": ["s6", "s7", "new"], "x": [0.0, 0.0, 0.0]}))
    np.testing.assert_array_equal(A[:, 1:].sum(axis=1), [1, 0, 0])  # rare, unseen: all zero
    arrays, meta = pre.to_state()
    again = TablePreprocessor.from_state(arrays, meta)
    np.testing.assert_array_equal(again.transform(frame), pre.transform(frame))
