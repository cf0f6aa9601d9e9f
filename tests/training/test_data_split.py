"""The held-out split's message names its real cause: the per-class rounding."""

from __future__ import annotations

import numpy as np
import pytest

from lucidnet.training.data import validation_split


def test_many_rare_classes_name_the_per_class_rounding():
    labels = np.repeat(np.arange(500), 2)  # 500 classes of 2 rows
    with pytest.raises(ValueError) as info:
        validation_split(1000, 0.2, np.random.default_rng(0), labels)
    message = str(info.value)
    assert "of 1000 rows leaves an empty" not in message
    assert "round(0.2 × 2) = 0" in message and "500 classes" in message
    assert "above 0.25" in message  # the fraction that keeps a row of each class


def test_a_split_without_classes_still_names_the_rows():
    with pytest.raises(ValueError, match=r"validation_fraction=0\.1 of 3 rows"):
        validation_split(3, 0.1, np.random.default_rng(0))
