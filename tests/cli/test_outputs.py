"""What the command line writes: prediction files in the format their name says, and an
ONNX export that onnxruntime runs to the model's own probabilities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lucidnet
from lucidnet.cli.common import write_frame
from lucidnet.tables import read_table

from .conftest import run


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small table with a text column and gaps, and a model trained on it."""
    folder = tmp_path_factory.mktemp("outputs")
    rng = np.random.default_rng(0)
    n = 200
    age = rng.normal(40, 10, n)
    city = rng.choice(["paris", "lyon", "nice"], n)
    label = np.where((age > 40) ^ (city == "nice"), "yes", "no")
    frame = pd.DataFrame({"age": age, "income": rng.lognormal(10, 0.5, n), "city": city})
    frame["label"] = label
    frame.loc[rng.choice(n, 10, replace=False), "age"] = np.nan
    frame.to_csv(folder / "data.csv", index=False)
    frame.drop(columns="label").iloc[:20].to_csv(folder / "new.csv", index=False)
    run(
        "train", "data.csv", "--target", "label", "--epochs", "5", "--members", "1",
        "--hidden", "16", "--seed", "0", "--quiet", "-o", "model.safetensors", cwd=folder,
    )  # fmt: skip
    return folder


@pytest.mark.parametrize(
    ("name", "magic"),
    [
        ("pred.csv.gz", b"\x1f\x8b"),
        ("pred.tsv.gz", b"\x1f\x8b"),
        ("pred.csv.bz2", b"BZh"),
        ("pred.tsv", b"prediction\tproba_no"),
        ("pred.parquet", b"PAR1"),
        ("pred.csv", b"prediction,proba_no"),
    ],
)
def test_written_files_honour_their_suffix(tmp_path: Path, name: str, magic: bytes) -> None:
    # The temporary file's suffix hid the compression: pred.csv.gz was plain CSV.
    frame = pd.DataFrame({"prediction": ["yes", "no"], "proba_no": [0.25, 0.5]})
    write_frame(frame, str(tmp_path / name))
    assert (tmp_path / name).read_bytes().startswith(magic)
    pd.testing.assert_frame_equal(read_table(tmp_path / name), frame)
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left


def test_predict_writes_gzip_for_a_gz_name(workdir: Path) -> None:
    run("predict", "model.safetensors", "new.csv", "-o", "pred.csv.gz", cwd=workdir)
    assert (workdir / "pred.csv.gz").read_bytes()[:2] == b"\x1f\x8b"
    pred = pd.read_csv(workdir / "pred.csv.gz")  # pandas infers gzip from the name
    assert list(pred.columns) == ["prediction", "proba_no", "proba_yes"] and len(pred) == 20
    model = lucidnet.load(workdir / "model.safetensors")
    frame = pd.read_csv(workdir / "new.csv")
    np.testing.assert_allclose(pred["proba_yes"], model.predict_proba(frame)[:, 1], rtol=1e-6)


def test_exported_onnx_runs_from_raw_columns_to_what_predict_writes(workdir: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    fresh = pd.read_csv(workdir / "new.csv")
    fresh.loc[0, "city"] = "marseille"  # unseen in training
    fresh.loc[1, "city"] = None  # missing text
    fresh.loc[2, "age"] = np.nan
    fresh.loc[3, "income"] = np.inf  # a non-finite number is missing too
    fresh.to_csv(workdir / "fresh.csv", index=False)
    result = run("export", "model.safetensors", "--onnx", "model.onnx", cwd=workdir)
    assert "one per column" in result.stdout and "city" in result.stdout
    run("predict", "model.safetensors", "fresh.csv", "-o", "fresh-pred.csv", cwd=workdir)
    pred = pd.read_csv(workdir / "fresh-pred.csv")
    session = ort.InferenceSession(str(workdir / "model.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["age", "income", "city"]
    feeds = {
        "age": fresh[["age"]].to_numpy(np.float32),
        "income": fresh[["income"]].to_numpy(np.float32),
        "city": fresh[["city"]].fillna("").to_numpy(object),
    }
    names = [o.name for o in session.get_outputs()]
    got = dict(zip(names, session.run(None, feeds), strict=True))
    expected = pred[["proba_no", "proba_yes"]].to_numpy()
    np.testing.assert_allclose(got["probabilities"], expected, atol=1e-5)
    assert got["label"].tolist() == pred["prediction"].tolist()
