"""Model files written by earlier releases load and predict as they did (committed files).

``tests/tables/data`` holds files written by ``lucidnet.save`` (format version 1): two
table models (a classifier and a regressor on a table with a text column and missing
cells), an estimator and a bare network, with the predictions they gave when written.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lucidnet
from lucidnet.tables import TabularModel

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def expected():
    return json.loads((DATA / "expected.json").read_text())


def test_table_models_written_before_load_and_predict_the_same(expected):
    frame = pd.read_csv(DATA / "table.csv")
    clf = lucidnet.load(DATA / "table_classifier.safetensors")
    assert isinstance(clf, TabularModel) and clf.task == "classification"
    assert list(clf.classes) == ["no", "yes"] and clf.metrics == {"epochs": 3}
    np.testing.assert_allclose(clf.predict_proba(frame), expected["table_classifier"], rtol=1e-6)
    reg = lucidnet.load(DATA / "table_regressor.safetensors")
    assert reg.task == "regression" and reg.target == "value"
    assert reg.target_scale != 1 and reg.target_mean != 0
    np.testing.assert_allclose(reg.predict(frame), expected["table_regressor"], rtol=1e-6)


def test_an_estimator_and_a_network_written_before_load(expected):
    X = np.asarray(expected["X"])
    est = lucidnet.load(DATA / "estimator.safetensors")
    np.testing.assert_allclose(est.predict_proba(X), expected["estimator"], rtol=1e-6)
    net = lucidnet.load(DATA / "network.safetensors")
    np.testing.assert_allclose(net.forward(X.T).A[net.L], expected["network"], rtol=1e-6)


def test_a_table_model_saved_again_gives_the_same_file_contents(tmp_path):
    before = lucidnet.load(DATA / "table_classifier.safetensors")
    lucidnet.save(before, tmp_path / "again.safetensors")
    after = lucidnet.load(tmp_path / "again.safetensors")
    frame = pd.read_csv(DATA / "table.csv")
    np.testing.assert_array_equal(after.predict_proba(frame), before.predict_proba(frame))
    assert after.preprocessor.describe() == before.preprocessor.describe()
