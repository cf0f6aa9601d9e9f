"""The safetensors model file: exact round trips, and one clear error for every bad file."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.numpy
from safetensors import safe_open

from lucidnet import Network, register_activation
from lucidnet.core import activations
from lucidnet.io import (
    FORMAT_VERSION,
    ModelFileError,
    decode_labels,
    encode_labels,
    load_network,
    save_network,
)
from lucidnet.io import atomic as atomic_module

ARCHITECTURES = [
    # (layer_sizes, activations g[1..L]) — logistic regression up to three hidden layers
    ([3, 1], ["sigmoid"]),
    ([4, 5, 1], ["relu", "sigmoid"]),
    ([4, 6, 5, 3], ["tanh", "leaky_relu", "softmax"]),
    ([2, 3, 2], ["identity", "identity"]),
    ([5, 4, 4, 3], ["sigmoid", "sigmoid", "sigmoid"]),
    ([3, 7, 2, 6, 2], ["relu", "tanh", "leaky_relu", "identity"]),
]


def make_net(sizes: list[int], names: list[str], dtype: Any = np.float64, seed: int = 0) -> Network:
    net = Network(sizes, activations=names, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed + 1)
    for l in range(1, net.L + 1):  # non-zero biases, so a swapped bias would show
        net.b[l] = rng.normal(size=net.b[l].shape).astype(dtype)
    return net


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "model.safetensors"
    save_network(
        make_net([4, 6, 5, 3], ["tanh", "relu", "softmax"]),
        path,
        info={"estimator": "MLPClassifier", "classes": encode_labels(np.array(["a", "b", "c"]))},
        extra_arrays={"scaler.mean": np.arange(4.0), "scaler.scale": np.full(4, 2.0)},
    )
    return path


def expect_error(path: Path, match: str | None = None) -> ModelFileError:
    with pytest.raises(ModelFileError, match=match) as excinfo:
        load_network(path)
    assert str(path) in str(excinfo.value)
    return excinfo.value


def read_parts(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The tensors and lucidnet header of a file, read with plain safetensors."""
    with safe_open(path, framework="numpy") as f:
        header = json.loads(f.metadata()["lucidnet"])
        tensors = {name: f.get_tensor(name) for name in f.keys()}
    return tensors, header


def write_signed(path: Path, tensors: dict[str, np.ndarray], header: dict[str, Any]) -> None:
    """Write a file with a VALID checksum, recomputed independently from the documented rule.

    sha256 = SHA-256(header text with the digest as 64 zeros, then the tensors' bytes in
    the order layers.1.W, layers.1.b, ..., then the extra arrays sorted by name).
    """
    header = {"sha256": "0" * 64, **{k: v for k, v in header.items() if k != "sha256"}}
    L = len(header["architecture"]["layer_sizes"]) - 1
    order = [f"layers.{l}.{p}" for l in range(1, L + 1) for p in "Wb"]
    order += sorted(header["extra_arrays"])
    h = hashlib.sha256(json.dumps(header, separators=(",", ":")).encode())
    for name in order:
        if name in tensors:
            h.update(np.ascontiguousarray(tensors[name]).tobytes())
    header["sha256"] = h.hexdigest()
    metadata = {"lucidnet": json.dumps(header, separators=(",", ":"))}
    path.write_bytes(safetensors.numpy.save(tensors, metadata=metadata))


# ---------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("sizes", "names"), ARCHITECTURES)
def test_round_trip_is_bit_identical(tmp_path: Path, sizes, names, dtype) -> None:
    net = make_net(sizes, names, dtype)
    path = tmp_path / "net.safetensors"
    save_network(net, path)
    loaded = load_network(path).network

    assert loaded.n == net.n and loaded.activation_names == net.activation_names
    assert loaded.dtype is net.dtype
    for l in range(1, net.L + 1):
        for mine, theirs in ((loaded.W[l], net.W[l]), (loaded.b[l], net.b[l])):
            assert mine.dtype == theirs.dtype and mine.shape == theirs.shape
            assert mine.tobytes() == theirs.tobytes()
            assert mine.flags.writeable  # training can go on
    A0 = np.random.default_rng(3).normal(size=(sizes[0], 9)).astype(dtype)
    assert np.array_equal(loaded.predict_output(A0), net.predict_output(A0))


def test_plain_safetensors_reads_the_lecture_layout(saved: Path) -> None:
    tensors = safetensors.numpy.load(saved.read_bytes())
    assert {k: v.shape for k, v in tensors.items()} == {
        "layers.1.W": (6, 4),
        "layers.1.b": (6, 1),
        "layers.2.W": (5, 6),
        "layers.2.b": (5, 1),
        "layers.3.W": (3, 5),
        "layers.3.b": (3, 1),
        "scaler.mean": (4,),
        "scaler.scale": (4,),
    }
    _, header = read_parts(saved)
    assert header["format"] == "lucidnet-mlp" and header["format_version"] == FORMAT_VERSION
    assert header["architecture"] == {
        "layer_sizes": [4, 6, 5, 3],
        "activations": ["tanh", "relu", "softmax"],
        "output": "softmax",
        "layout": "W[l]: (n[l], n[l-1]), b[l]: (n[l], 1)",
    }
    assert header["dtype"] == "float64"
    assert set(header) == {
        "sha256",
        "format",
        "format_version",
        "lucidnet_version",
        "numpy_version",
        "architecture",
        "dtype",
        "extra_arrays",
        "info",
    }


def test_checksum_follows_the_documented_rule(saved: Path, tmp_path: Path) -> None:
    tensors, header = read_parts(saved)
    copy = tmp_path / "resigned.safetensors"
    write_signed(copy, tensors, header)
    assert read_parts(copy)[1]["sha256"] == header["sha256"]


def test_info_and_extra_arrays_round_trip(saved: Path) -> None:
    loaded = load_network(saved)
    assert loaded.info["estimator"] == "MLPClassifier"
    assert list(loaded.labels()) == ["a", "b", "c"]
    assert set(loaded.arrays) == {"scaler.mean", "scaler.scale"}
    assert np.array_equal(loaded.arrays["scaler.mean"], np.arange(4.0))
    assert loaded.header["info"] is loaded.info
    assert loaded.path == str(saved)


def test_info_json_conversions(tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    info = {
        "params": {"hidden_layer_sizes": (10, 5), "alpha": np.float32(0.5), "seed": np.int64(3)},
        "flags": [True, None, "x"],
    }
    save_network(make_net([2, 1], ["sigmoid"]), path, info=info)
    assert load_network(path).info == {
        "params": {"hidden_layer_sizes": [10, 5], "alpha": 0.5, "seed": 3},
        "flags": [True, None, "x"],
    }


def test_saving_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    net = make_net([3, 4, 2], ["relu", "softmax"])
    save_network(net, tmp_path / "a", info={"x": 1})
    save_network(net, tmp_path / "b", info={"x": 1})
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


def test_non_contiguous_parameters_are_saved_correctly(tmp_path: Path) -> None:
    W1 = np.asfortranarray(np.arange(12.0).reshape(4, 3))
    W2 = np.arange(8.0).reshape(4, 2).T[:1]  # a strided view, shape (1, 4)
    net = Network.from_parameters([W1, W2], [np.ones(4), np.ones(1)], ["tanh", "identity"])
    save_network(net, tmp_path / "m")
    loaded = load_network(tmp_path / "m").network
    assert np.array_equal(loaded.W[1], W1) and np.array_equal(loaded.W[2], W2)


# ---------------------------------------------------------------------------- saving refuses


def test_save_refuses_non_finite_weights(tmp_path: Path) -> None:
    net = make_net([3, 2, 1], ["relu", "sigmoid"])
    net.W[2][0, 1] = np.nan
    with pytest.raises(ValueError, match=r"layers\.2\.W holds NaN"):
        save_network(net, tmp_path / "m")
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    ("info", "error", "match"),
    [
        ({"x": np.zeros(3)}, TypeError, r"info\['x'\] is a ndarray"),
        ({"x": {1: "a"}}, TypeError, "keys must be str"),
        ({"loss": float("nan")}, ValueError, "finite"),
        ({"f": print}, TypeError, "builtin_function_or_method"),
    ],
)
def test_save_refuses_info_that_is_not_json(tmp_path: Path, info, error, match) -> None:
    with pytest.raises(error, match=match):
        save_network(make_net([2, 1], ["sigmoid"]), tmp_path / "m", info=info)


@pytest.mark.parametrize(
    ("arrays", "error", "match"),
    [
        ({"layers.9.W": np.zeros(2)}, ValueError, "reserved"),
        ({"__metadata__": np.zeros(2)}, ValueError, "reserved"),
        ({"names": np.array(["a", "b"])}, TypeError, "bool, int, uint and float"),
        ({"mean": np.array([1.0, np.inf])}, ValueError, "NaN or infinite"),
    ],
)
def test_save_refuses_bad_extra_arrays(tmp_path: Path, arrays, error, match) -> None:
    with pytest.raises(error, match=match):
        save_network(make_net([2, 1], ["sigmoid"]), tmp_path / "m", extra_arrays=arrays)


@pytest.mark.parametrize("where", ["fsync", "replace"])
def test_failed_save_keeps_the_old_file(saved: Path, monkeypatch, where: str) -> None:
    before = saved.read_bytes()

    def crash(*args: object) -> None:
        raise OSError("simulated crash while saving")

    if where == "fsync":
        monkeypatch.setattr(atomic_module, "_fsync_file", crash)
    else:
        monkeypatch.setattr(atomic_module.os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        save_network(make_net([2, 1], ["sigmoid"]), saved)
    monkeypatch.undo()
    assert saved.read_bytes() == before
    assert load_network(saved).network.n == [4, 6, 5, 3]
    assert [p.name for p in saved.parent.iterdir()] == [saved.name]


# ---------------------------------------------------------------------------- damaged files


def test_every_truncation_is_refused(saved: Path, tmp_path: Path) -> None:
    data = saved.read_bytes()
    for tenth in range(10):
        cut = tmp_path / f"cut{tenth}.safetensors"
        cut.write_bytes(data[: len(data) * tenth // 10])
        expect_error(cut)
    cut.write_bytes(data[:-1])
    expect_error(cut)


@pytest.mark.parametrize("mask", [0x01, 0x20, 0x80, 0xFF])
def test_every_flipped_byte_is_refused(saved: Path, tmp_path: Path, mask: int) -> None:
    data = saved.read_bytes()
    n_header = 8 + int.from_bytes(data[:8], "little")
    positions = list(range(0, n_header, 3)) + list(range(n_header, len(data)))
    bad = tmp_path / "flipped.safetensors"
    for i in positions:
        flipped = bytearray(data)
        flipped[i] ^= mask
        bad.write_bytes(bytes(flipped))
        with pytest.raises(ModelFileError) as excinfo:
            load_network(bad)
        if i >= n_header:  # a flipped bit in the weights: only the checksum can tell
            assert "SHA-256 checksum does not match" in str(excinfo.value)


@pytest.mark.parametrize("length", [0, 7, 2**63, 2**64 - 1, 200_000_000])
def test_corrupt_header_length(saved: Path, length: int) -> None:
    data = saved.read_bytes()
    saved.write_bytes(length.to_bytes(8, "little") + data[8:])
    expect_error(saved, "header")


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "only 0 bytes"),
        (b"PK\x03\x04 a zip file, not ours", "header length"),
        (b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!", "not valid JSON"),
        (b"\x02\x00\x00\x00\x00\x00\x00\x00\xff\xfe", "not valid JSON"),
    ],
)
def test_not_a_safetensors_file(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "bogus.safetensors"
    path.write_bytes(content)
    expect_error(path, match)


def test_safetensors_file_without_our_metadata(tmp_path: Path) -> None:
    path = tmp_path / "foreign.safetensors"
    path.write_bytes(safetensors.numpy.save({"weight": np.zeros((2, 2))}))
    error = expect_error(path, "not a lucidnet model file")
    assert "save_network" in error.fix


def test_missing_file_and_folder(tmp_path: Path) -> None:
    error = expect_error(tmp_path / "nowhere.safetensors", "no such file")
    assert "Check the path" in str(error)
    expect_error(tmp_path, "cannot be read")


def test_dropped_tensor(saved: Path) -> None:
    tensors, header = read_parts(saved)
    del tensors["layers.2.b"]
    write_signed(saved, tensors, header)
    expect_error(saved, r"missing tensors \['layers\.2\.b'\]")


def test_extra_unexpected_tensor(saved: Path) -> None:
    tensors, header = read_parts(saved)
    tensors["layers.4.W"] = np.zeros((2, 3))
    write_signed(saved, tensors, header)
    expect_error(saved, r"unexpected tensors \['layers\.4\.W'\]")


def test_tampered_json_fails_the_checksum(saved: Path) -> None:
    tensors, header = read_parts(saved)
    header["architecture"]["activations"][0] = "relu"  # was tanh; same weights
    metadata = {"lucidnet": json.dumps(header, separators=(",", ":"))}
    saved.write_bytes(safetensors.numpy.save(tensors, metadata=metadata))
    expect_error(saved, "checksum does not match")


def test_tampered_info_fails_the_checksum(saved: Path) -> None:
    tensors, header = read_parts(saved)
    header["info"]["classes"]["values"] = ["a", "c", "b"]
    metadata = {"lucidnet": json.dumps(header, separators=(",", ":"))}
    saved.write_bytes(safetensors.numpy.save(tensors, metadata=metadata))
    expect_error(saved, "checksum does not match")


@pytest.mark.parametrize(
    "text", ["{not json", '["a list"]', '{"format": "lucidnet-mlp", "format_version": NaN}']
)
def test_header_that_is_not_a_json_object(saved: Path, text: str) -> None:
    tensors, _ = read_parts(saved)
    saved.write_bytes(safetensors.numpy.save(tensors, metadata={"lucidnet": text}))
    expect_error(saved, "lucidnet header is not")


def test_newer_format_version_asks_to_upgrade(saved: Path) -> None:
    tensors, header = read_parts(saved)
    header["format_version"] = FORMAT_VERSION + 1
    write_signed(saved, tensors, header)
    error = expect_error(saved, f"written by a newer lucidnet \\(format {FORMAT_VERSION + 1}")
    assert error.fix == "Upgrade lucidnet: pip install -U lucidnet"


def test_newer_format_is_refused_before_anything_else(saved: Path) -> None:
    # A future format may change everything else, so the version is checked first.
    header = {"format": "lucidnet-mlp", "format_version": 99}
    metadata = {"lucidnet": json.dumps(header)}
    saved.write_bytes(safetensors.numpy.save({"x": np.zeros(1, np.float16)}, metadata=metadata))
    expect_error(saved, "newer lucidnet")


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("format", "keras-model", "its format is 'keras-model'"),
        ("format", None, "its format is None"),
        ("format_version", "1", "is '1', not an integer"),
        ("format_version", True, "is True, not an integer"),
        ("format_version", 0, "never existed"),
        ("sha256", "ABC", "64 lowercase hex"),
        ("dtype", "float16", "not float32 or float64"),
        ("extra_arrays", [], "not a JSON object"),
        ("info", [1, 2], "'info' is \\[1, 2\\], not a JSON object"),
        ("lucidnet_version", 5, "entry lucidnet_version is 5, not a string"),
        ("numpy_version", None, "entry numpy_version is None, not a string"),
    ],
)
def test_bad_header_entries(saved: Path, key: str, value: Any, match: str) -> None:
    tensors, header = read_parts(saved)
    header[key] = value
    if key == "sha256":
        saved.write_bytes(
            safetensors.numpy.save(tensors, metadata={"lucidnet": json.dumps(header)})
        )
    else:
        write_signed(saved, tensors, header)
    expect_error(saved, match)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda a: a.update(layer_sizes=[4]), "at least two positive integers"),
        (lambda a: a.update(layer_sizes=[4, 0, 5, 3]), "at least two positive integers"),
        (lambda a: a.update(activations=["tanh", "softmax"]), "activations .* for a 3-layer"),
        (lambda a: a.update(output="identity"), "disagrees with the last activation"),
        (lambda a: a["activations"].__setitem__(0, "softmax"), "neither built into lucidnet"),
        (lambda a: a.update(layout="W[l]: (n[l-1], n[l])"), "weight layout"),
        (lambda a: a.pop("activations"), r"no entry architecture\['activations'\]"),
    ],
)
def test_bad_architecture(saved: Path, change, match: str) -> None:
    tensors, header = read_parts(saved)
    change(header["architecture"])
    write_signed(saved, tensors, header)
    expect_error(saved, match)


def test_broken_shape_chain(saved: Path) -> None:
    tensors, header = read_parts(saved)
    tensors["layers.2.W"] = np.zeros((5, 7))  # layer 1 has 6 units, not 7
    write_signed(saved, tensors, header)
    expect_error(saved, r"'layers\.2\.W' has dtype float64 and shape \[5, 7\].*\[5, 6\]")


def test_wrong_bias_length(saved: Path) -> None:
    tensors, header = read_parts(saved)
    tensors["layers.3.b"] = np.zeros((4, 1))
    write_signed(saved, tensors, header)
    expect_error(
        saved, r"'layers\.3\.b' .* shape \[4, 1\]; the header expects float64 and \[3, 1\]"
    )


def test_dtype_disagreeing_with_the_header(saved: Path) -> None:
    tensors, header = read_parts(saved)
    tensors["layers.1.W"] = tensors["layers.1.W"].astype(np.float32)
    write_signed(saved, tensors, header)
    expect_error(saved, r"'layers\.1\.W' has dtype float32")


def test_extra_array_disagreeing_with_the_header(saved: Path) -> None:
    tensors, header = read_parts(saved)
    tensors["scaler.mean"] = np.zeros((2, 2))
    write_signed(saved, tensors, header)
    expect_error(saved, r"'scaler\.mean' .* shape \[2, 2\]")


@pytest.mark.parametrize("name", ["layers.2.W", "layers.1.b", "scaler.scale"])
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_values(saved: Path, name: str, value: float) -> None:
    tensors, header = read_parts(saved)
    tensors[name].flat[1] = value
    write_signed(saved, tensors, header)
    expect_error(saved, f"'{name}' holds NaN or infinite values")


def test_unsupported_tensor_dtype_reported_cleanly(saved: Path) -> None:
    data = bytearray(saved.read_bytes())
    i = data.index(b'"F64"')
    data[i : i + 5] = b'"BF6"'  # a dtype safetensors' NumPy reader does not know
    saved.write_bytes(bytes(data))
    expect_error(saved, "safetensors cannot read it")


# ---------------------------------------------------------------------------- activations


def test_user_activation_needs_registering_before_loading(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(activations, "_REGISTRY", dict(activations._REGISTRY))
    register_activation("softplus_io_test", np.logaddexp.reduce, lambda z: z)  # any callables
    path = tmp_path / "custom.safetensors"
    save_network(make_net([3, 4, 1], ["softplus_io_test", "sigmoid"]), path)

    assert load_network(path).network.activation_names == ["softplus_io_test", "sigmoid"]
    monkeypatch.setattr(activations, "_REGISTRY", dict(activations._REGISTRY))
    del activations._REGISTRY["softplus_io_test"]  # a fresh process, without the registration
    error = expect_error(path, "layer 1 uses the activation 'softplus_io_test'")
    assert "never imports code" in str(error)
    assert "register_activation('softplus_io_test', g, g_prime)" in error.fix


# ---------------------------------------------------------------------------- labels


@pytest.mark.parametrize(
    "classes",
    [
        np.array(["cat", "dog", "ému"]),
        np.array(["no", "yes"], dtype=object),
        np.array([-3, 0, 7]),
        np.array([0, 255], dtype=np.uint8),
        np.array([2**63 + 5], dtype=np.uint64),
        np.array([False, True]),
        np.array([0.5, 1.0, 1e-300]),
        np.array([], dtype=np.int32),
    ],
)
def test_labels_round_trip_through_a_file(tmp_path: Path, classes: np.ndarray) -> None:
    path = tmp_path / "m.safetensors"
    save_network(make_net([2, 1], ["sigmoid"]), path, info={"classes": encode_labels(classes)})
    back = load_network(path).labels("classes")
    assert back.dtype.kind == classes.dtype.kind
    if classes.dtype.kind != "U":  # a str array comes back sized to its longest label
        assert back.dtype == classes.dtype
    assert back.tolist() == classes.tolist()
    assert [type(v) for v in back.tolist()] == [type(v) for v in classes.tolist()]


@pytest.mark.parametrize(
    ("classes", "error", "match"),
    [
        (np.array(["a", 1], dtype=object), TypeError, "must hold str only"),
        (np.array([[1, 2]]), ValueError, "one-dimensional"),
        (np.array([1 + 2j]), TypeError, "cannot be stored"),
        (np.array([np.nan]), ValueError, "finite"),
    ],
)
def test_encode_labels_refuses(classes, error, match) -> None:
    with pytest.raises(error, match=match):
        encode_labels(classes)


@pytest.mark.parametrize(
    ("encoded", "match"),
    [
        ({"dtype": "int64", "values": [1, "2"]}, "do not all fit"),
        ({"dtype": "int64", "values": [True]}, "do not all fit"),
        ({"dtype": "uint8", "values": [256]}, "do not all fit"),
        ({"dtype": "bool", "values": [0, 1]}, "do not all fit"),
        ({"dtype": "str", "values": ["a", None]}, "do not all fit"),
        ({"dtype": "complex128", "values": []}, "Unknown label dtype"),
        ({"dtype": "os.system", "values": []}, "Unknown label dtype"),
        ({"values": "abc"}, "a dict with 'dtype' and 'values'"),
    ],
)
def test_decode_labels_refuses(encoded, match) -> None:
    with pytest.raises(ValueError, match=match):
        decode_labels(encoded)


def test_bad_labels_in_a_file_are_a_model_file_error(tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    save_network(make_net([2, 1], ["sigmoid"]), path, info={"classes": {"dtype": "?"}})
    loaded = load_network(path)
    with pytest.raises(ModelFileError, match=r"info\['classes'\] does not hold labels"):
        loaded.labels()
    with pytest.raises(ModelFileError, match="no 'feature_names' entry"):
        loaded.labels("feature_names")


# ---------------------------------------------------------------------------- for estimators


def test_estimator_class_comes_from_a_whitelist_only(saved: Path) -> None:
    class MLPClassifier:
        pass

    loaded = load_network(saved)
    assert loaded.estimator_class({"MLPClassifier": MLPClassifier}) is MLPClassifier
    with pytest.raises(ModelFileError, match="not one of \\['MLPRegressor'\\]"):
        loaded.estimator_class({"MLPRegressor": object})
    err = loaded.error("info has no 'params'")
    assert isinstance(err, ModelFileError) and str(saved) in str(err)


def test_model_file_error_is_a_value_error_that_pickles() -> None:
    error = ModelFileError("/tmp/m.safetensors", "it is broken", "Fix it.")
    assert isinstance(error, ValueError)
    assert (
        str(error)
        == "Cannot load the lucidnet model file '/tmp/m.safetensors': it is broken. Fix it."
    )
    again = pickle.loads(pickle.dumps(error))
    assert (again.path, again.problem, again.fix, str(again)) == (
        error.path,
        error.problem,
        error.fix,
        str(error),
    )


def test_an_ensemble_round_trips_with_its_members(tmp_path):
    from lucidnet.core.ensemble import Ensemble

    ens = Ensemble([3, 5, 2], members=4, output="softmax", seed=3)
    path = tmp_path / "ensemble.safetensors"
    save_network(ens, path, info={"kind": "test"})
    loaded = load_network(path)
    assert isinstance(loaded.network, Ensemble) and loaded.network.K == 4
    A0 = np.random.default_rng(0).normal(size=(3, 7))
    np.testing.assert_array_equal(loaded.network.mean_output(A0), ens.mean_output(A0))
    assert loaded.header["architecture"]["members"] == 4
