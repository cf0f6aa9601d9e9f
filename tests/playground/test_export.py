"""The exported model file gives what the page shows, to float64 rounding (one ulp)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lucidnet
from lucidnet.playground.config import Config
from lucidnet.playground.export import model_file
from lucidnet.playground.session import Session, input_features

EPS = np.finfo(np.float64).eps  # 2.2e-16: one ulp at 1, the largest a probability has

# the columns the file names for the derived inputs (see lucidnet.playground.export)
DERIVED = {"x1sq": "u1^2", "x2sq": "u2^2", "x1x2": "u1*u2", "sinx1": "sin(3*u1)",
           "sinx2": "sin(3*u2)"}  # fmt: skip


@pytest.mark.parametrize(
    "settings",
    [
        {"dataset": "circle"},
        {"dataset": "moons", "output": "softmax"},  # two softmax units, saved as one sigmoid
        {"dataset": "blobs3", "output": "softmax", "hidden": []},
        {"dataset": "spiral", "hidden": [8, 8, 8, 8, 8, 8], "optimizer": "adam"},
        {"dataset": "xor", "features": ["x1", "x2", "x1x2", "sinx2", "x1sq"]},
        {"dataset": "reg-gauss", "output": "identity"},
    ],
)
def test_the_exported_model_matches_the_page_to_float64_rounding(tmp_path, settings):
    s = Session(Config(**settings))
    for _ in range(50):
        s.step()
    data, name, _ = model_file(s)
    path = tmp_path / name
    path.write_bytes(data)
    model = lucidnet.load(path)
    frame = pd.DataFrame(s.data.X, columns=["x1", "x2"])
    derived = [f for f in s.config.features if f not in ("x1", "x2")]
    if derived:
        F = input_features(s.U, derived)
        for j, f in enumerate(derived):
            frame[DERIVED[f]] = F[:, j]
    shown = s.predict(s.A0_all)  # what the page draws: A[L], one column per point
    if s.data.task == "regression":
        got, want = model.predict(frame), shown[0] * s.y_scale + s.y_mean
    else:
        got = model.predict_proba(frame)
        want = np.c_[1 - shown[0], shown[0]] if shown.shape[0] == 1 else shown.T
        if shown.shape[0] == 2:  # the saved sigmoid gives p1; p0 = 1 − p1
            got, want = got[:, 1], want[:, 1]
    assert got.dtype == np.float64 and got.shape == want.shape
    assert np.max(np.abs(got - want)) <= 2 * EPS, np.max(np.abs(got - want))
