"""Every damaged model file is a ModelFileError: cut anywhere, any bit flipped, shapes too
large for any memory, tensors of a dtype the header does not declare."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import lucidnet
from lucidnet.io import ModelFileError, encode_labels, load_network, save_network

from .test_modelfile import make_net, read_parts, write_signed


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def small(tmp_path: Path, request) -> Path:
    path = tmp_path / "small.safetensors"
    save_network(
        make_net([3, 4, 2], ["tanh", "softmax"], request.param),
        path,
        info={"estimator": "MLPClassifier", "classes": encode_labels(np.array(["a", "b"]))},
        extra_arrays={"scaler.mean": np.arange(3.0)},
    )
    return path


def refused(path: Path) -> ModelFileError:
    with pytest.raises(ModelFileError) as info:
        load_network(path)
    assert str(path) in str(info.value)
    return info.value


def test_a_file_cut_at_any_byte_is_refused(small: Path, tmp_path: Path) -> None:
    data = small.read_bytes()
    cut = tmp_path / "cut.safetensors"
    for n in range(len(data)):
        cut.write_bytes(data[:n])
        refused(cut)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_table_model_cut_anywhere_is_refused(tmp_path: Path) -> None:
    import pandas as pd

    from lucidnet.tables.tabular import TabularClassifier

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=80), "c": rng.choice(["p", "q"], 80)})
    y = np.where(frame.x > 0, "yes", "no")
    clf = TabularClassifier(hidden_layer_sizes=(4,), n_members=1, max_epochs=3, random_state=0)
    path = tmp_path / "table.safetensors"
    lucidnet.save(clf.fit(frame, y).model_, path)
    data = path.read_bytes()
    cut = tmp_path / "cut.safetensors"
    for n in range(0, len(data), 5):
        cut.write_bytes(data[:n])
        with pytest.raises(ModelFileError):
            lucidnet.load(cut)


def test_any_single_bit_flipped_is_refused(small: Path, tmp_path: Path) -> None:
    data = small.read_bytes()
    bad = tmp_path / "flipped.safetensors"
    for i in range(len(data)):
        for bit in range(8):
            flipped = bytearray(data)
            flipped[i] ^= 1 << bit
            bad.write_bytes(bytes(flipped))
            refused(bad)


def edit_tensor_header(path: Path, name: str, **changes) -> None:
    """Change a tensor's entry in the safetensors header (its shape, dtype, offsets), keeping
    the header's length; the lucidnet header and its checksum are left as they are."""
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    header[name].update(changes)
    text = json.dumps(header, separators=(",", ":")).encode()
    assert len(text) <= n + 64
    path.write_bytes(len(text).to_bytes(8, "little") + text + data[8 + n :])


@pytest.mark.parametrize(
    "shape",
    [
        [2**31, 2**31],
        [2**62, 2**62],  # the element count overflows 64 bits
        [10**12, 1],
        [4, 3, 10**9],
        [-1, 3],
        [4, 3.5],
        [],
    ],
)
def test_an_oversized_or_impossible_tensor_shape_is_refused(small: Path, shape) -> None:
    edit_tensor_header(small, "layers.1.W", shape=shape)
    refused(small)


@pytest.mark.parametrize("sizes", [[3, 10**9, 2], [3, 2**62, 2], [10**12, 4, 2], [3, 4, 2**40]])
def test_layer_sizes_no_tensor_has_are_refused_without_allocating(small: Path, sizes) -> None:
    tensors, header = read_parts(small)
    header["architecture"]["layer_sizes"] = sizes
    write_signed(small, tensors, header)
    refused(small)


@pytest.mark.parametrize(
    "dtype", [np.int64, np.int32, np.uint8, np.float16, np.bool_, np.int8, np.uint64]
)
def test_tensors_of_a_wrong_dtype_are_refused(small: Path, dtype) -> None:
    tensors, header = read_parts(small)
    for name in ("layers.1.W", "layers.1.b", "layers.2.W", "layers.2.b"):
        tensors[name] = tensors[name].astype(dtype)
    write_signed(small, tensors, header)
    refused(small)


@pytest.mark.parametrize("dtype", ["int64", "object", "<f8", "float128", "complex128", 64])
def test_a_header_dtype_that_is_no_float_is_refused(small: Path, dtype) -> None:
    tensors, header = read_parts(small)
    header["dtype"] = dtype
    write_signed(small, tensors, header)
    refused(small)


def test_an_extra_array_of_another_dtype_or_shape_is_refused(small: Path) -> None:
    tensors, header = read_parts(small)
    tensors["scaler.mean"] = np.arange(3, dtype=np.int64)
    write_signed(small, tensors, header)
    refused(small)
