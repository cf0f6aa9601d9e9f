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
