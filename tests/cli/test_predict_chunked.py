"""``lucidnet predict`` and ``evaluate`` read in chunks and give the whole file's output.

The reference is the whole-file path, written out here: ``read_table`` of the whole
file, the model's predictions of all its rows, ``DataFrame.to_csv``/``to_parquet`` of
the result; and ``table_metrics`` of all the labelled rows. The networks are wide enough
(64 units) that BLAS rounds a row differently at another place in its block: a chunk
that is not a multiple of the network's block changes a few predictions' last bits.
The prediction files are larger than three chunks (4096 rows each with
``--chunk-rows 1``), and built so that chunks disagree on types: integers with one empty
cell in the last chunk, codes that look like numbers in the first chunk and are text
further down, booleans with a gap.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lucidnet.cli.parser import build_parser
from lucidnet.estimators import PREDICT_BLOCK
from lucidnet.tables import load, read_table, table_metrics
from lucidnet.tables.fit import labelled_rows
from lucidnet.tables.model import recorded_metrics
from lucidnet.tables.predict_stream import DEFAULT_PREDICT_CHUNK_ROWS

from .conftest import run

ROWS = 20_000  # chunks of 4096 rows (the smallest chunk), the last one partial
TARGETS = {"binary": "label", "multiclass": "color", "regression": "y"}


def table(n: int, seed: int) -> pd.DataFrame:
    """Numbers with gaps, integers, text with commas and gaps, codes, three targets."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    count = rng.integers(0, 9, n)
    frame = pd.DataFrame({"a": a, "count": count})
    frame["city"] = rng.choice(["paris", "lyon", "nice", "oslo, no"], n).astype(object)
    frame["code"] = rng.choice(["007", "12", "A7", "3.50"], n).astype(object)
    frame["label"] = np.where(a + 0.2 * count + rng.normal(size=n) > 1, "yes", "no")
    frame["color"] = rng.choice(["red", "green", "blue"], n)
    frame["y"] = 2 * a - 0.3 * count + rng.normal(size=n)
    frame.loc[rng.choice(n, n // 20, replace=False), "a"] = np.nan
    frame.loc[rng.choice(n, n // 20, replace=False), "city"] = None
    return frame


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("chunked")
    table(300, 0).to_csv(folder / "train.csv", index=False)
    for kind, target in TARGETS.items():
        run(
            "train", "train.csv", "--target", target, "--epochs", "3", "--members", "2",
            "--hidden", "64,64", "--seed", "0", "--quiet", "-o", f"{kind}.safetensors", cwd=folder,
        )  # fmt: skip
    new = table(ROWS, 1)
    new.loc[: 2 * PREDICT_BLOCK, "code"] = "12"  # the first two chunks: numbers; text further down
    new["count"] = new["count"].astype(object)
    new.loc[ROWS - 5, "count"] = None  # integers, but for one cell in the last chunk
    new["flag"] = np.where(new["a"] > 0, "True", "False")
    new.loc[9000, "flag"] = None  # booleans in chunk 1, booleans and a gap in chunk 2
    new.loc[3, "label"] = None  # a row without a target: evaluate leaves it out
    new.to_csv(folder / "new.csv", index=False)
    new.to_csv(folder / "new.csv.gz", index=False)
    new.to_csv(folder / "new.tsv", index=False, sep="\t")
    parquet = read_table(folder / "new.csv")
    arrow = pa.Table.from_pandas(parquet, preserve_index=False)
    counts = pa.array(parquet["count"].astype("Int64").to_numpy(na_value=None), pa.int64())
    arrow = arrow.set_column(arrow.schema.get_field_index("count"), "count", counts)
    pq.write_table(arrow, folder / "new.parquet", row_group_size=5000)  # int64 with a null
    return folder


def whole_file_predictions(model_file: Path, data: Path, keep_columns: bool) -> pd.DataFrame:
    """What predicting the whole file at once gives."""
    model = load(model_file)
    frame = read_table(data)
    out = frame.copy() if keep_columns else pd.DataFrame(index=frame.index)
    if model.task == "classification":
        proba = model.predict_proba(frame)
        out["prediction"] = model.predict(frame)
        for k, label in enumerate(model.classes):
            out[f"proba_{label}"] = proba[:, k]
    else:
        out["prediction"] = model.predict(frame)
    return out


@pytest.mark.parametrize(
    ("kind", "data", "output", "keep"),
    [
        ("binary", "new.csv", "out.csv", True),
        ("binary", "new.csv.gz", "out.csv.gz", False),
        ("multiclass", "new.tsv", "out.tsv", True),
        ("multiclass", "new.parquet", "out.parquet", True),
        ("regression", "new.csv", "out.parquet", True),
        ("regression", "new.parquet", "out.csv", False),
        ("regression", "new.tsv", "out.csv", True),
    ],
)
def test_chunked_predictions_are_the_whole_files(
    workdir: Path, tmp_path: Path, kind: str, data: str, output: str, keep: bool
) -> None:
    out = tmp_path / output
    options = ["--keep-columns"] if keep else []
    result = run(
        "predict", str(workdir / f"{kind}.safetensors"), str(workdir / data), "-o", str(out),
        "--chunk-rows", "1", *options, cwd=tmp_path,
    )  # fmt: skip
    assert f"wrote {ROWS} prediction(s)" in result.stderr
    expected = whole_file_predictions(workdir / f"{kind}.safetensors", workdir / data, keep)
    reference = tmp_path / f"reference{out.name[3:]}"
    if output.endswith(".parquet"):
        expected.to_parquet(reference, index=False)
        got, want = pq.read_table(out), pq.read_table(reference)
        assert got.schema.equals(want.schema, check_metadata=True)
        assert got.equals(want)
        chunks = -(-ROWS // PREDICT_BLOCK)  # --chunk-rows 1: one block a chunk
        assert pq.ParquetFile(out).metadata.num_row_groups == chunks  # one per chunk
    else:
        sep = "\t" if output.endswith(".tsv") else ","
        expected.to_csv(reference, index=False, sep=sep, compression=None)
        text = gzip.decompress(out.read_bytes()) if output.endswith(".gz") else out.read_bytes()
        assert text == reference.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, reference.name])


def test_the_columns_types_are_the_whole_files(workdir: Path, tmp_path: Path) -> None:
    # The chunks alone would write count as 3 then 3.0, code as 12 then 007, and flag as
    # True then True: the plan, widened by the last chunk, casts them as the whole file.
    run(
        "predict", str(workdir / "binary.safetensors"), str(workdir / "new.csv"), "-o",
        "out.parquet", "--keep-columns", "--chunk-rows", "1", cwd=tmp_path,
    )  # fmt: skip
    got = pd.read_parquet(tmp_path / "out.parquet")
    assert got["count"].dtype == np.float64 and got["flag"].dtype == object
    assert isinstance(got["code"].dtype, pd.StringDtype) and got["code"].iloc[-1] in {
        "007",
        "12",
        "A7",
        "3.50",
    }
    assert got["flag"].iloc[0] in (True, False)


def test_predict_to_stdout_is_the_whole_files_csv(workdir: Path) -> None:
    result = run(
        "predict", "multiclass.safetensors", "new.csv", "--chunk-rows", "1", cwd=workdir
    )  # fmt: skip
    expected = whole_file_predictions(
        workdir / "multiclass.safetensors", workdir / "new.csv", False
    )
    assert result.stdout == expected.to_csv(index=False)


@pytest.mark.parametrize(("kind", "data"), [("binary", "new.csv"), ("multiclass", "new.parquet"),
                                            ("regression", "new.csv.gz")])  # fmt: skip
def test_chunked_evaluation_is_the_whole_files(workdir: Path, kind: str, data: str) -> None:
    model = load(workdir / f"{kind}.safetensors")
    frame, _ = labelled_rows(read_table(workdir / data), model.target)
    expected = recorded_metrics(table_metrics(model, frame, frame[model.target].to_numpy()))
    expected["rows"] = len(frame)
    model_file = f"{kind}.safetensors"
    chunked = run("evaluate", model_file, data, "--chunk-rows", "1", "--json", cwd=workdir)
    assert json.loads(chunked.stdout) == expected
    text = run("evaluate", model_file, data, "--chunk-rows", "1", cwd=workdir).stdout
    assert text.startswith(f"{model.task} metrics on {data} ({len(frame)} rows):\n")
    for key, value in expected.items():
        if key not in ("confusion_matrix", "rows", "absent"):
            assert f"\n  {key:<10} {value:.4f}\n" in text


def test_a_failed_run_leaves_the_old_output(workdir: Path, tmp_path: Path) -> None:
    bad = read_table(workdir / "new.csv")
    bad["a"] = bad["a"].astype(object)
    bad.loc[ROWS - 2, "a"] = "oops"  # text in a numeric column, in the last chunk
    bad.to_csv(tmp_path / "bad.csv", index=False)
    (tmp_path / "out.csv").write_text("old\n")
    result = run(
        "predict", str(workdir / "binary.safetensors"), "bad.csv", "-o", "out.csv",
        "--chunk-rows", "1", cwd=tmp_path, ok=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "'a'" in result.stderr and "'oops'" in result.stderr and str(ROWS - 2) in result.stderr
    assert (tmp_path / "out.csv").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "out.csv"]


def test_missing_columns_are_refused_up_front(workdir: Path, tmp_path: Path) -> None:
    read_table(workdir / "new.csv").drop(columns=["city"]).to_csv(tmp_path / "x.csv", index=False)
    for command in (["predict"], ["evaluate"]):
        result = run(
            *command, str(workdir / "binary.safetensors"), "x.csv", cwd=tmp_path, ok=False
        )  # fmt: skip
        assert result.returncode == 2
        assert "x.csv lacks column(s) ['city'] that the model was trained on" in result.stderr
    result = run(
        "evaluate", str(workdir / "binary.safetensors"), "x.csv", "--target", "nope",
        cwd=tmp_path, ok=False,
    )  # fmt: skip
    assert "x.csv has no column 'nope' to evaluate against" in result.stderr


def test_the_chunk_rows_option_writes_out_the_blocks_numbers(capsys):
    for command in ("predict", "evaluate"):
        args = build_parser().parse_args([command, "model", "data"])
        assert args.chunk_rows == DEFAULT_PREDICT_CHUNK_ROWS
        with pytest.raises(SystemExit):
            build_parser().parse_args([command, "--help"])
        help_text = " ".join(capsys.readouterr().out.split())
        assert f"default: {DEFAULT_PREDICT_CHUNK_ROWS};" in help_text
        assert f"multiple of {PREDICT_BLOCK}," in help_text
