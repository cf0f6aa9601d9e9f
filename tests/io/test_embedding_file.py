"""Embedded networks in model files and ONNX graphs (io/embedding_file.py, io/onnx_embedding.py)."""

from __future__ import annotations

import numpy as np
import pytest

from lucidnet.core.embedded import EmbeddedEnsemble, EmbeddedNetwork
from lucidnet.core.embeddings import PeriodicEmbedding, PiecewiseLinearEncoding, quantile_edges
from lucidnet.io.embedding_file import with_embedding
from lucidnet.io.modelfile import load_network, save_network

RNG = np.random.default_rng(3)
PLR = PeriodicEmbedding(5, (0, 1, 3), n_frequencies=4, dim=3)
PLE = PiecewiseLinearEncoding(5, (1, 2), tuple(quantile_edges(RNG.normal(size=(80, 2)), 6)))


MULTI = PeriodicEmbedding(5, (0, 2), n_frequencies=8, dim=4, sigma=(0.1, 1.0))


def _nets() -> list:
    return [
        EmbeddedNetwork(PLR, [5, 7, 1], output="sigmoid", seed=0),
        EmbeddedEnsemble(MULTI, [5, 6, 2], 2, output="softmax", seed=4),
        EmbeddedEnsemble(PLR, [5, 7, 3], 3, output="softmax", seed=1),
        EmbeddedNetwork(PLE, [5, 4, 2], output="identity", seed=2),
        EmbeddedEnsemble(PLE, [5, 4, 1], 2, output="identity", seed=3),
    ]


def _predict(net, A0):
    out = net.predict_output(A0)
    return out.mean(axis=0) if out.ndim == 3 else out


@pytest.mark.parametrize("index", range(5))
def test_round_trip_gives_the_same_predictions(tmp_path, index):
    net = _nets()[index]
    path = tmp_path / "m.safetensors"
    save_network(net, path, extra_arrays={"scaler.mean": np.zeros(5)})
    loaded = load_network(path)
    assert type(loaded.network) is type(net)
    emb, saved = loaded.network.embedding, net.embedding
    assert loaded.network.n == net.n and emb.features == saved.features
    assert getattr(emb, "sigma", None) == getattr(saved, "sigma", None)
    for e, f in zip(getattr(emb, "edges", ()), getattr(saved, "edges", ()), strict=True):
        np.testing.assert_array_equal(e, f)
    assert set(loaded.arrays) == {"scaler.mean"}  # the embedding's arrays are the network's
    A0 = RNG.normal(size=(5, 9))
    np.testing.assert_array_equal(_predict(loaded.network, A0), _predict(net, A0))


def test_reserved_name_and_damaged_entry(tmp_path):
    net = _nets()[0]
    with pytest.raises(ValueError, match="reserved"):
        save_network(net, tmp_path / "x.safetensors", extra_arrays={"embedding.c": np.ones(2)})
    inner = load_network(_saved(tmp_path, net)).network
    spec = {"kind": "spiral", "n_features": 5, "features": [0]}
    with pytest.raises(ValueError, match="unknown embedding kind 'spiral'"):
        with_embedding(inner, spec, {})
    with pytest.raises(ValueError, match="incomplete"):
        with_embedding(inner, {"kind": "periodic", "n_features": 5, "features": [0]}, {})


def _saved(tmp_path, net):
    path = tmp_path / "m.safetensors"
    save_network(net, path)
    return path


@pytest.mark.parametrize("index", range(4))
def test_onnx_graph_matches_predict(index):
    ort = pytest.importorskip("onnxruntime")
    from lucidnet.io.onnx_export import network_to_onnx

    net = _nets()[index]
    model = network_to_onnx(net)
    X = RNG.normal(size=(11, 5)).astype(np.float32)
    session = ort.InferenceSession(model.SerializeToString())
    name = "predictions" if net.output.name == "identity" else "probabilities"
    got = session.run([name], {"X": X})[0]
    want = _predict(net, X.T.astype(np.float64)).T
    if got.shape[1] == 2 and want.shape[1] == 1:  # binary: [1 − p, p]
        got = got[:, 1:]
    np.testing.assert_allclose(got, want, atol=1e-5)
