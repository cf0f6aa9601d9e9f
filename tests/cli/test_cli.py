"""The command line, run as a user would: a subprocess on real files."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lucidnet
from lucidnet.tables import TabularModel

from .conftest import run


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A messy table: missing numbers, a text column with gaps, a header."""
    folder = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    n = 300
    age = rng.normal(40, 10, n)
    income = rng.lognormal(10, 0.5, n)
    city = rng.choice(["paris", "lyon", "nice"], n)
    label = np.where((age > 40) ^ (city == "nice"), "yes", "no")
    frame = pd.DataFrame({"age": age, "income": income, "city": city, "label": label})
    frame.loc[rng.choice(n, 15, replace=False), "age"] = np.nan
    frame.loc[rng.choice(n, 10, replace=False), "city"] = np.nan
    frame.to_csv(folder / "data.csv", index=False)
    new = frame.drop(columns="label").iloc[:20].copy()
    new.loc[0, "city"] = "marseille"  # a category never seen in training
    new.to_csv(folder / "new.csv", index=False)
    frame.to_csv(folder / "data.tsv", sep="\t", index=False)
    frame.to_parquet(folder / "data.parquet")
    return folder


TRAIN = ["--target", "label", "--epochs", "30", "--lr", "0.01", "--seed", "1"]


@pytest.fixture(scope="module")
def model(workdir: Path) -> Path:
    result = run("train", "data.csv", *TRAIN, "-o", "model.safetensors", cwd=workdir)
    assert "SimpleImputer(median) + robust scaling (median, IQR) + smooth clip" in result.stdout
    assert "age, income" in result.stdout
    assert "OneHotEncoder" in result.stdout and "city" in result.stdout
    assert "task: classification" in result.stdout
    assert "held-out metrics" in result.stdout and "accuracy" in result.stdout
    return workdir / "model.safetensors"


def test_round_trip_train_predict_evaluate_inspect_export(workdir: Path, model: Path) -> None:
    out = workdir / "pred.csv"
    run("predict", str(model), "new.csv", "-o", str(out), cwd=workdir)
    pred = pd.read_csv(out)
    assert list(pred.columns) == ["prediction", "proba_no", "proba_yes"]
    assert len(pred) == 20 and set(pred["prediction"]) <= {"yes", "no"}
    np.testing.assert_allclose(pred[["proba_no", "proba_yes"]].sum(axis=1), 1.0)

    # The same predictions through the Python API on the loaded model.
    loaded = lucidnet.load(model)
    assert isinstance(loaded, TabularModel)
    frame = pd.read_csv(workdir / "new.csv")
    # float32 model: the CSV's text holds every digit of a float32
    np.testing.assert_allclose(loaded.predict_proba(frame)[:, 1], pred["proba_yes"], rtol=1e-6)

    parquet = workdir / "pred.parquet"
    run("predict", str(model), "new.csv", "-o", str(parquet), "--keep-columns", cwd=workdir)
    assert "city" in pd.read_parquet(parquet).columns

    result = run("evaluate", str(model), "data.csv", "--json", cwd=workdir)
    metrics = json.loads(result.stdout)
    assert {"accuracy", "log_loss", "roc_auc", "confusion_matrix"} <= set(metrics)
    assert metrics["accuracy"] > 0.8
    assert np.sum(metrics["confusion_matrix"]["matrix"]) == 300
    text = run("evaluate", str(model), "data.csv", cwd=workdir).stdout
    assert "confusion matrix" in text

    info = run("inspect", str(model), cwd=workdir).stdout
    # 2 numbers + a missing indicator for age + city's 3 categories and "missing" = 7 inputs;
    # the 2 numbers embedded (periodic, 16 frequencies into 8 values each): 2·8 + 5 = 21
    for expected in (
        "n[0] = 7",
        "periodic embedding of 2 columns, 16 frequencies into 8 values each",
        "64×21",
        "128×64",
        "1×128",
        "an ensemble of 4",
        "relu",
        "sigmoid",
        "classes: no, yes",
        "city",
    ):
        assert expected in info

    # export --onnx: run in onnxruntime and compared with predict_proba in test_outputs.py


def test_saved_model_predicts_identically_after_reload(workdir: Path, model: Path) -> None:
    first = lucidnet.load(model)
    copy = workdir / "copy.safetensors"
    lucidnet.save(first, copy)
    second = lucidnet.load(copy)
    frame = pd.read_csv(workdir / "data.csv")
    np.testing.assert_array_equal(first.predict_proba(frame), second.predict_proba(frame))


@pytest.mark.parametrize("name", ["data.tsv", "data.parquet"])
def test_other_formats(workdir: Path, name: str) -> None:
    out = f"{name}.safetensors"
    run("train", name, *TRAIN, "--quiet", "-o", out, cwd=workdir)
    assert (workdir / out).exists()


def test_regression_in_target_units(workdir: Path) -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 2))
    price = 1000 + 50 * X[:, 0] + 20 * X[:, 1] + rng.normal(size=200)
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "price": price}).to_csv(
        workdir / "reg.csv.gz", index=False
    )
    result = run(
        "train",
        "reg.csv.gz",
        "--target",
        "price",
        "--epochs",
        "80",
        "--lr",
        "0.01",
        "--quiet",
        "-o",
        "reg.safetensors",
        cwd=workdir,
    )
    assert "task: regression" in result.stdout
    metrics = json.loads(
        run("evaluate", "reg.safetensors", "reg.csv.gz", "--json", cwd=workdir).stdout
    )
    assert {"r2", "mae", "rmse"} <= set(metrics) and metrics["r2"] > 0.9
    run("predict", "reg.safetensors", "reg.csv.gz", "-o", "reg-pred.csv", cwd=workdir)
    pred = pd.read_csv(workdir / "reg-pred.csv")["prediction"]
    assert abs(pred.mean() - 1000) < 20  # back in the target's units


def test_checkpoint_resume_equals_uninterrupted(workdir: Path) -> None:
    common = ["data.csv", "--target", "label", "--lr", "0.01", "--seed", "3", "--quiet"]
    run("train", *common, "--epochs", "12", "-o", "full.safetensors", cwd=workdir)
    # "Interrupted" after 5 epochs: the checkpoint holds the state of epoch 5.
    run(
        "train",
        *common,
        "--epochs",
        "5",
        "--checkpoint",
        "run.ckpt",
        "-o",
        "part.safetensors",
        cwd=workdir,
    )
    run(
        "train",
        *common,
        "--epochs",
        "12",
        "--resume",
        "run.ckpt",
        "-o",
        "resumed.safetensors",
        cwd=workdir,
    )
    full = lucidnet.load(workdir / "full.safetensors").estimator.network_
    resumed = lucidnet.load(workdir / "resumed.safetensors").estimator.network_
    for l in range(1, full.L + 1):
        np.testing.assert_array_equal(full.W[l], resumed.W[l])
        np.testing.assert_array_equal(full.b[l], resumed.b[l])


def test_help_reads_well(workdir: Path) -> None:
    text = run("--help", cwd=workdir).stdout
    for command in (
        "train",
        "predict",
        "evaluate",
        "inspect",
        "export",
        "gradcheck",
        "trace",
        "demo",
    ):
        assert command in text
    assert "examples:" in run("train", "--help", cwd=workdir).stdout


def test_teaching_commands(workdir: Path) -> None:
    trace = run(
        "trace", "--hidden", "4,3", "--activation", "tanh", "--batch", "5", cwd=workdir
    ).stdout
    assert "Z[1] = W[1] @ A[0] + b[1]" in trace and "(4×5) = (4×3)(3×5) + (4×1) broadcast" in trace
    assert "dW[1] = dZ[1] @ A[0].T" in trace and "passed" in trace
    check = run(
        "gradcheck", "--hidden", "5", "--activation", "relu", "--output", "softmax", cwd=workdir
    )
    assert "dW[2]" in check.stdout and "passed" in check.stdout


# ---------------------------------------------------------------- errors


def _error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 4, result.stderr
    return result.stderr


def test_error_messages(workdir: Path, model: Path) -> None:
    (workdir / "empty.csv").write_text("")
    (workdir / "header.csv").write_text("a,b,label\n")
    pd.DataFrame({"a": [1.0, 2.0, 3.0], "label": ["x", "x", "x"]}).to_csv(
        workdir / "oneclass.csv", index=False
    )
    pd.DataFrame({"age": [1.0], "other": [2.0]}).to_csv(workdir / "wrongcols.csv", index=False)
    (workdir / "bad.safetensors").write_bytes(model.read_bytes()[: model.stat().st_size // 2])

    cases = {
        ("train", "missing.csv", "--target", "label"): "no such file",
        ("train", "empty.csv", "--target", "label"): "empty",
        ("train", "header.csv", "--target", "label"): "no rows",
        ("train", "data.csv", "--target", "nope"): "has no column 'nope'",
        ("train", "oneclass.csv", "--target", "label", "--validation", "0"): "only one class",
        ("predict", str(model), "wrongcols.csv"): "lacks column(s)",
        ("predict", "bad.safetensors", "new.csv"): "bad.safetensors",
        ("predict", "nothere.safetensors", "new.csv"): "no such model file",
        ("inspect", "data.csv"): "data.csv",
    }
    for args, expected in cases.items():
        stderr = _error(run(*args, cwd=workdir, ok=False))
        assert expected in stderr, (args, stderr)


def test_debug_shows_traceback(workdir: Path) -> None:
    result = run("--debug", "train", "missing.csv", "--target", "x", cwd=workdir, ok=False)
    assert "Traceback" in result.stderr


def test_train_report(workdir: Path) -> None:
    result = run(
        "train",
        "data.csv",
        *TRAIN,
        "--quiet",
        "-o",
        "rep.safetensors",
        "--report",
        "report",
        cwd=workdir,
    )
    assert "report: report/report.html" in result.stdout
    html = (workdir / "report" / "report.html").read_text(encoding="utf-8")
    pngs = sorted(p.name for p in (workdir / "report").glob("*.png"))
    # Three numeric/text inputs: no 2-D decision boundary, but the feature map (PCA).
    assert not any("decision-boundary" in name for name in pngs)
    for kind in (
        "learning-curves", "feature-map", "layer-diagnostics", "gradient-norms", "column-importance"
    ):  # fmt: skip
        assert any(kind in name for name in pngs), (kind, pngs)
    assert all(name in html for name in pngs)


def test_the_default_cross_fits_with_out_of_fold_metrics(workdir: Path) -> None:
    result = run(
        "train", "data.csv", "--target", "label", "--quiet", "-o", "auto.safetensors", cwd=workdir
    )
    best = re.search(r"cross-fitted: the 300 rows in 4 folds; .*\(([\d, ]+)\)", result.stdout)
    assert best is not None, result.stdout
    assert "every row trained 3 of the 4 members; no refit" in result.stdout
    assert "held-out metrics (out of fold: every row" in result.stdout
    assert "refit" not in result.stdout.replace("no refit", "")
    model = lucidnet.load(workdir / "auto.safetensors")
    assert model.metrics["rows_trained"] == 300 and "refit_epochs" not in model.metrics
    member_epochs = [int(e) for e in best[1].split(", ")]
    assert model.metrics["cross_fit_epochs"] == max(member_epochs) <= model.metrics["epochs"]
    assert model.estimator.n_iter_ == model.metrics["epochs"]
    assert model.metrics["validation_accuracy"] > 0.7


def test_one_member_chooses_the_epochs_then_refits_on_every_row(workdir: Path) -> None:
    # one network cannot cross-fit: the epochs are chosen on held-out rows, then a refit
    result = run(
        "train",
        "data.csv",
        "--target",
        "label",
        "--quiet",
        "--members",
        "1",
        "-o",
        "auto.safetensors",
        cwd=workdir,
    )
    assert "chosen on the held-out rows" in result.stdout
    assert "refit on all 300 rows" in result.stdout
    assert "scored before the refit" in result.stdout
    model = lucidnet.load(workdir / "auto.safetensors")
    assert model.metrics["rows_trained"] == 300
    assert model.estimator.n_iter_ == model.metrics["refit_epochs"] == model.metrics["epochs"]
    assert model.metrics["validation_accuracy"] > 0.7
    limited = run(
        "train",
        "data.csv",
        "--target",
        "label",
        "--quiet",
        "--time-limit",
        "0.5",
        "--members",
        "2",
        "-o",
        "limited.safetensors",
        cwd=workdir,
    )
    assert "saved: limited.safetensors" in limited.stdout
    assert lucidnet.load(workdir / "limited.safetensors").estimator.n_members == 2


def test_train_on_the_jax_engine_matches_numpy(workdir: Path) -> None:
    pytest.importorskip("jax")
    metrics = {}
    for engine in ("numpy", "jax"):
        out = f"{engine}.safetensors"
        run("train", "data.csv", *TRAIN, "--engine", engine, "-o", out, "--quiet", cwd=workdir)
        result = run("evaluate", out, "data.csv", "--json", cwd=workdir)
        metrics[engine] = json.loads(result.stdout)
    assert metrics["jax"]["accuracy"] == pytest.approx(metrics["numpy"]["accuracy"], abs=0.01)
    assert metrics["jax"]["log_loss"] == pytest.approx(metrics["numpy"]["log_loss"], rel=1e-3)
    stderr = _error(run("train", "data.csv", *TRAIN, "--engine", "jax", "--report", "r",
                        cwd=workdir, ok=False))  # fmt: skip
    assert "--report records every step's gradient norms" in stderr


def test_inspect_names_a_piecewise_encoding(workdir: Path) -> None:
    args = ("--numeric-embedding", "piecewise", "-o", "ple.safetensors", "--quiet")
    run("train", "data.csv", "--target", "label", "--epochs", "2", *args, cwd=workdir)
    info = run("inspect", "ple.safetensors", cwd=workdir).stdout
    assert re.search(r"piecewise-linear encoding of 2 columns in \d+ quantile bins", info)
    assert "periodic" not in info
