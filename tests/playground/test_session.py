"""The playground's engine without a server: data, settings, training, views, model file."""

from __future__ import annotations

import contextlib
import io
import json
import warnings

import numpy as np
import pytest

import lucidnet
from lucidnet.cli import main
from lucidnet.playground import views
from lucidnet.playground.config import Config, ConfigError, parse_config
from lucidnet.playground.datasets import DATASETS, DataError, csv_columns, csv_dataset, generate
from lucidnet.playground.export import model_file
from lucidnet.playground.session import Session, input_features


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_dataset_is_reproducible_and_on_the_plane(name):
    a, b = generate(name, 200, 0.2, 7), generate(name, 200, 0.2, 7)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert a.X.shape == (200, 2) and np.all(np.abs(a.X) <= 6)
    if a.task != "regression":
        assert set(np.unique(a.y)) == set(range(a.n_classes))


def test_settings_are_checked_field_by_field():
    assert parse_config({}) == Config()
    c = parse_config({"features": ["sinx1", "x1"], "hidden": [], "batchSize": 5.0})
    assert c.features == ["x1", "sinx1"] and c.hidden == [] and c.batchSize == 5
    with pytest.raises(ConfigError, match=r"The 'dropout' setting must be a number in \[0, 0.9\]"):
        parse_config({"dropout": 0.95})
    with pytest.raises(ConfigError, match="'seed' setting must be an integer"):
        parse_config({"seed": 1.5})


def test_one_step_is_one_minibatch_and_epochs_count_passes():
    s = Session(Config(points=100, trainRatio=0.5, batchSize=20))  # 50 training points
    assert (s.epoch, s.steps) == (0, 0)
    W1 = s.net.W[1].copy()
    s.step()
    assert (s.epoch, s.steps) == (0, 1) and len(s.last_batch) == 20
    assert not np.array_equal(W1, s.net.W[1])
    s.step()
    s.step()  # 20 + 20 + 10
    assert (s.epoch, s.steps) == (1, 3) and len(s.last_batch) == 10


def test_training_lowers_the_loss_and_reset_starts_again():
    s = Session(Config(dataset="xor", features=["x1", "x2", "x1x2"], optimizer="adam"))
    first = s.losses()[0]
    for _ in range(300):
        s.step()
    assert s.record()[0] < first / 3
    s.reset()
    assert s.steps == 0 and s.losses()[0] == pytest.approx(first)


def test_the_feature_view_puts_points_on_the_right_side_of_the_heads_line():
    s = Session(Config(dataset="gauss", hidden=[5, 3]))  # φ has 3 units: projected
    for _ in range(200):
        s.step()
    fv = views.feature_view(s)
    a, b, c = fv["line"]
    side = np.sign(np.asarray(fv["points"]) @ [a, b] + c)
    p = s.predict(s.A0_all)[0]
    np.testing.assert_array_equal(side, np.sign(p - 0.5))


def test_collapse_of_an_all_identity_network_gives_the_same_outputs():
    s = Session(Config(activation="identity", hidden=[4, 3, 2]))
    for _ in range(20):
        s.step()
    out = views.collapse(s)
    assert out["ok"] and out["maxDiff"] < 1e-12 and out["formula"] == "W = W[4] W[3] W[2] W[1]"
    assert not views.collapse(Session(Config(activation="relu")))["ok"]


def test_the_trace_names_every_formula_with_its_shapes():
    s = Session(Config(hidden=[3], batchSize=5, l2=0.1))
    s.step()
    t = views.trace_rows(s)
    formulas = [row[0] for row in t["forward"] + t["backward"]]
    assert formulas[:3] == ["A[0] = X.T", "Z[1] = W[1] @ A[0] + b[1]", "A[1] = tanh(Z[1])"]
    assert (
        "dZ[2] = (A[2] - Y) / B" in formulas and "dW[1] = dZ[1] @ A[0].T + (α/B) W[1]" in formulas
    )
    assert views.gradient_check(s)["passed"]


def write_model(tmp_path, session):
    data, name, note = model_file(session)
    path = tmp_path / name
    path.write_bytes(data)
    return path, note


def predict_csv(model_path, csv_path):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["predict", str(model_path), str(csv_path)]) == 0
    return np.genfromtxt(io.StringIO(out.getvalue()), delimiter=",", names=True)


@pytest.mark.parametrize(
    "settings",
    [
        {"dataset": "circle"},
        {"dataset": "moons", "output": "softmax"},  # saved as the sigmoid unit it equals
        {"dataset": "blobs3", "output": "softmax", "hidden": []},
        {"dataset": "reg-gauss", "output": "identity"},
    ],
)
def test_the_model_file_predicts_what_the_page_shows(tmp_path, settings):
    s = Session(Config(**settings))
    for _ in range(50):
        s.step()
    path, note = write_model(tmp_path, s)
    model = lucidnet.load(path)
    assert type(model).__name__ == "TabularModel" and "x1, x2" in note
    rows = ["x1,x2"] + [f"{a!r},{b!r}" for a, b in s.data.X.tolist()]
    (tmp_path / "data.csv").write_text("\n".join(rows))
    got = predict_csv(path, tmp_path / "data.csv")
    shown = s.predict(s.A0_all)
    if s.data.task == "regression":
        np.testing.assert_allclose(got["prediction"], shown[0], atol=1e-12)
    elif s.data.task == "binary":
        p1 = shown[1] if shown.shape[0] == 2 else shown[0]
        np.testing.assert_allclose(got["proba_1"], p1, atol=1e-12)
    else:
        for k in range(3):
            np.testing.assert_allclose(got[f"proba_{k}"], shown[k], atol=1e-12)


def test_derived_inputs_become_columns_of_their_own(tmp_path):
    s = Session(Config(dataset="xor", features=["x1", "x2", "x1x2", "sinx2"]))
    for _ in range(50):
        s.step()
    path, note = write_model(tmp_path, s)
    assert "u1*u2, sin(3*u2)" in note and "cannot be written" in note
    F = input_features(s.U, ["x1x2", "sinx2"])
    rows = ["x1,x2,u1*u2,sin(3*u2)"] + [
        f"{a!r},{b!r},{c!r},{d!r}"
        for (a, b), (c, d) in zip(s.data.X.tolist(), F.tolist(), strict=True)
    ]
    (tmp_path / "data.csv").write_text("\n".join(rows))
    got = predict_csv(path, tmp_path / "data.csv")
    np.testing.assert_allclose(got["proba_1"], s.predict(s.A0_all)[0], atol=1e-12)


def test_an_output_no_estimator_has_is_saved_as_a_bare_network(tmp_path):
    s = Session(Config(dataset="circle", output="identity"))
    path, note = write_model(tmp_path, s)
    assert isinstance(lucidnet.load(path), lucidnet.Network) and "bare network" in note


def test_csv_checks():
    text = "a,b,c\n1,2,x\n3,4,y\n5,6,x\n"
    assert csv_columns(text) == {"all": ["a", "b", "c"], "numeric": ["a", "b"]}
    d = csv_dataset(text, "a", "b", "c", "classification")
    assert d.task == "binary" and d.classes == ["x", "y"] and d.y.tolist() == [0, 1, 0]
    with pytest.raises(DataError, match="holds 'nan'"):
        csv_dataset("a,b,c\n1,nan,1\n2,3,0\n", "a", "b", "c", "classification")
    with pytest.raises(DataError, match="constant"):
        csv_dataset("a,b,c\n1,1,1\n2,1,0\n", "a", "b", "c", "classification")
    with pytest.raises(DataError, match="at most 5000"):
        csv_columns("a,b,c\n" + "1,2,3\n" * 5001)


def huge_csv(column="a"):
    """60 rows: x1 = a, x2 = b, targets c (class) and t (real); ``column`` holds ±1e308."""
    rows = ["a,b,c,t"]
    for i in range(60):
        cells = {"a": float(i % 7), "b": float((i * 3) % 11), "t": i / 10}
        cells[column] = (-1) ** i * 1e308
        rows.append(f"{cells['a']!r},{cells['b']!r},{'xy'[i % 2]},{cells['t']!r}")
    return "\n".join(rows)


@pytest.mark.parametrize(("column", "task"), [("a", "classification"), ("t", "regression")])
def test_a_csv_column_of_huge_numbers_is_refused_by_name(column, task):
    # ±1e308 overflows the plane's arithmetic (the range, the pictures, the target's
    # spread): the column is refused with its name, the line and the fix
    text = huge_csv(column)
    target = "t" if task == "regression" else "c"
    with pytest.raises(DataError) as refused:
        csv_dataset(text, "a", "b", target, task)
    message = str(refused.value)
    assert f"Column {column!r} holds '1e+308' on line 2" in message, message
    assert "1e+100" in message and "rescale" in message and "missing" in message, message
    s = Session()
    with pytest.raises(DataError, match=f"Column {column!r}"):
        s.use_csv(text, "a", "b", target, task)
    assert s.config.dataset == "circle" and s.csv_text is None  # the page keeps its data
    assert csv_dataset(text, "b", "t" if column == "a" else "a", "c", "classification")


def test_numbers_up_to_the_limit_train_and_draw(recwarn):
    size = [1e100 * (i % 5) / 4 for i in range(40)]  # up to 1e100 itself
    rows = ["a,b,t"] + [f"{(-1) ** i * v!r},{i % 3},{v!r}" for i, v in enumerate(size)]
    s = Session()
    s.use_csv("\n".join(rows), "a", "b", "t", "regression")
    for _ in range(20):
        s.step()
    s.record()
    json.dumps([views.data_points(s), views.frame(s)], allow_nan=False)  # every number finite
    assert not recwarn.list


def test_reset_recovers_from_any_state_the_network_reached():
    s = Session(Config(dataset="reg-plane", output="identity", activation="identity"))
    for l in range(1, s.net.L + 1):
        s.net.W[l][...] = 1e300  # finite weights whose outputs overflow
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the views of a non-finite state
        s.record()
        with pytest.raises(ValueError, match="Out of range float values"):
            json.dumps(views.frame(s), allow_nan=False)
    s.reset()
    json.dumps(views.frame(s), allow_nan=False)
    assert s.steps == 0 and len(s.history) == 1


def test_a_csv_regression_predicts_in_the_targets_units(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 100, size=(80, 2))
    y = 300 + 2 * X[:, 0] - X[:, 1]
    text = "\n".join(
        ["a,b,price"]
        + [f"{a!r},{b!r},{t!r}" for (a, b), t in zip(X.tolist(), y.tolist(), strict=True)]
    )
    s = Session()
    s.use_csv(text, "a", "b", "price", "regression")
    assert s.config.output == "identity" and s.y_scale != 1
    for _ in range(100):
        s.step()
    path, _ = write_model(tmp_path, s)
    (tmp_path / "data.csv").write_text(text)
    got = predict_csv(path, tmp_path / "data.csv")
    shown = s.predict(s.A0_all)[0] * s.y_scale + s.y_mean
    np.testing.assert_allclose(got["prediction"], shown, rtol=1e-12)
    assert np.mean(np.abs(got["prediction"] - y)) < np.mean(np.abs(y - y.mean()))


def test_a_csv_with_three_classes_trains_a_softmax():
    text = "\n".join(["u,v,kind"] + [f"{i % 9},{(i * 7) % 5},{'abc'[i % 3]}" for i in range(60)])
    s = Session()
    s.use_csv(text, "u", "v", "kind", "classification")
    assert s.config.output == "softmax" and s.net.n[-1] == 3 and s.data.classes == ["a", "b", "c"]
