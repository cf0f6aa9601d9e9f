"""ONNX export, run by the real onnxruntime and compared with lucidnet's own forward pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from lucidnet import Network, register_activation  # noqa: E402
from lucidnet.core import activations  # noqa: E402
from lucidnet.io import decode_labels, network_to_onnx, save_onnx  # noqa: E402

HIDDEN = ["identity", "relu", "leaky_relu", "sigmoid", "tanh"]
# (case, output, n_out, task, classes)
OUTPUTS = [
    ("binary", "sigmoid", 1, None, np.array([4, 9])),
    ("multilabel", "sigmoid", 3, "multilabel", None),
    ("softmax-int", "softmax", 4, None, np.array([10, 20, 30, 40])),
    ("softmax-str", "softmax", 3, None, np.array(["setosa", "versicolor", "virginica"])),
    ("regression-1", "identity", 1, None, None),
    ("regression-2", "identity", 2, "regression", None),
]
N_FEATURES = 5


def run(model: Any, X: np.ndarray) -> dict[str, np.ndarray]:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, {"X": X}), strict=True))


def data(seed: int = 0, n: int = 64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (3.0 + 2.0 * rng.normal(size=(n, N_FEATURES))).astype(np.float32)


@pytest.mark.parametrize("standardise", [False, True], ids=["raw", "scaled"])
@pytest.mark.parametrize(("case", "output", "n_out", "task", "classes"), OUTPUTS, ids=lambda v: v)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_onnxruntime_matches_lucidnet(
    hidden, case, output, n_out, task, classes, standardise
) -> None:
    net = Network([N_FEATURES, 7, 6, n_out], hidden_activation=hidden, output=output, seed=1)
    X = data()
    mean = scale = None
    X_net = X.astype(np.float64)
    if standardise:
        mean, scale = X_net.mean(axis=0), X_net.std(axis=0)
        X_net = (X_net - mean) / scale
    model = network_to_onnx(net, classes=classes, mean=mean, scale=scale, task=task)
    onnx.checker.check_model(model, full_check=True)
    assert model.ir_version == 8 and model.opset_import[0].version == 17
    got = run(model, X)
    A_L = net.predict_output(X_net.T).T  # lucidnet in float64, examples back as rows

    if output == "identity":
        assert set(got) == {"predictions"}
        assert got["predictions"].shape == (len(X), n_out)
        np.testing.assert_allclose(got["predictions"], A_L, rtol=1e-5, atol=1e-5)
        return

    P = got["probabilities"]
    expected = np.hstack([1 - A_L, A_L]) if case == "binary" else A_L
    assert P.dtype == np.float32 and P.shape == expected.shape
    np.testing.assert_allclose(P, expected, rtol=0, atol=1e-5)
    label = got["label"]
    if case == "multilabel":
        assert label.dtype == np.int64 and label.shape == (len(X), n_out)
        assert np.array_equal(label, (P > 0.5).astype(np.int64))
        clear = np.abs(A_L - 0.5) > 1e-4
        assert np.array_equal(label[clear], (A_L > 0.5)[clear])
    else:
        assert label.shape == (len(X),)
        assert label.tolist() == classes[P.argmax(axis=1)].tolist()
        top2 = np.sort(expected, axis=1)[:, -2:]
        clear = top2[:, 1] - top2[:, 0] > 1e-4
        assert label[clear].tolist() == classes[expected.argmax(axis=1)][clear].tolist()
        stored = decode_labels(json.loads(dict_props(model)["classes"]))
        assert stored.tolist() == classes.tolist()


def dict_props(model: Any) -> dict[str, str]:
    return {p.key: p.value for p in model.metadata_props}


def test_float32_network_and_default_labels() -> None:
    net = Network([N_FEATURES, 8, 3], output="softmax", seed=2, dtype=np.float32)
    model = network_to_onnx(net)
    X = data(1)
    got = run(model, X)
    np.testing.assert_allclose(got["probabilities"], net.predict_output(X.T).T, atol=1e-6)
    assert got["label"].dtype == np.int64
    assert np.array_equal(got["label"], got["probabilities"].argmax(axis=1))


@pytest.mark.parametrize(
    "classes",
    [np.array([False, True]), np.array([-1.5, 2.5]), np.array(["no", "yes"], dtype=object)],
)
def test_binary_labels_keep_their_type(classes: np.ndarray) -> None:
    net = Network([N_FEATURES, 4, 1], seed=3)
    got = run(network_to_onnx(net, classes=classes), data(2))
    assert got["label"].tolist() == classes[got["probabilities"].argmax(axis=1)].tolist()
    assert {type(v) for v in got["label"].tolist()} <= {type(v) for v in classes.tolist()}


def test_graph_is_the_lecture_layer_by_layer() -> None:
    net = Network([N_FEATURES, 6, 1], hidden_activation="leaky_relu", seed=0)
    model = network_to_onnx(net, mean=np.zeros(N_FEATURES), scale=np.ones(N_FEATURES))
    ops = [node.op_type for node in model.graph.node]
    assert " ".join(ops) == "Sub Div Gemm LeakyRelu Gemm Sigmoid Sub Concat ArgMax Gather"
    gemm = model.graph.node[2]
    assert {a.name: a.i for a in gemm.attribute} == {"transB": 1}
    leaky = model.graph.node[3]
    assert leaky.attribute[0].f == pytest.approx(0.01)
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    assert inits["layers.1.W"].shape == (6, N_FEATURES) and inits["layers.1.W"].dtype == np.float32
    assert inits["layers.1.b"].shape == (6,)
    assert np.array_equal(inits["layers.2.W"], net.W[2].astype(np.float32))
    props = dict_props(model)
    assert props["task"] == "binary" and json.loads(props["layer_sizes"]) == [N_FEATURES, 6, 1]


def test_save_onnx_round_trip(tmp_path: Path) -> None:
    model = network_to_onnx(Network([N_FEATURES, 3, 2], output="identity", seed=0))
    path = tmp_path / "model.onnx"
    save_onnx(model, path)
    assert onnx.load(path) == model
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


def test_newer_opset_is_accepted() -> None:
    model = network_to_onnx(Network([N_FEATURES, 3, 2], output="softmax", seed=0), opset=21)
    assert model.opset_import[0].version == 21 and model.ir_version >= 10
    assert run(model, data())["probabilities"].shape == (64, 2)


def test_user_activation_cannot_be_exported(monkeypatch) -> None:
    monkeypatch.setattr(activations, "_REGISTRY", dict(activations._REGISTRY))
    register_activation("cube_onnx_test", lambda z: z**3, lambda z: 3 * z**2)
    net = Network([N_FEATURES, 3, 1], hidden_activation="cube_onnx_test", seed=0)
    with pytest.raises(ValueError, match="'cube_onnx_test', which ONNX export cannot express"):
        network_to_onnx(net)


@pytest.mark.parametrize(
    ("sizes", "output", "kwargs", "match"),
    [
        ([5, 2], "softmax", {"task": "binary"}, "does not fit .* softmax"),
        ([5, 3], "sigmoid", {"task": "binary"}, "binary needs exactly one unit"),
        ([5, 1], "identity", {"task": "multiclass"}, "does not fit"),
        ([5, 1], "sigmoid", {"task": "ranking"}, "task must be one of"),
        ([5, 3], "softmax", {"classes": ["a", "b"]}, "needs 3 class labels"),
        ([5, 1], "sigmoid", {"classes": [0, 1, 2]}, "needs 2 class labels"),
        ([5, 1], "identity", {"classes": [0, 1]}, "classes must be None for regression"),
        ([5, 1], "sigmoid", {"mean": np.zeros(4)}, r"mean must have shape \(n0,\) = \(5,\)"),
        ([5, 1], "sigmoid", {"scale": np.array([1, 1, 0, 1, 1])}, "scale contains zeros"),
        ([5, 1], "sigmoid", {"mean": [0, 0, np.nan, 0, 0]}, "not finite"),
        ([5, 1], "sigmoid", {"opset": 11}, "opset must be an int from 13"),
    ],
)
def test_bad_export_arguments(sizes, output, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        network_to_onnx(Network(sizes, output=output, seed=0), **kwargs)


@pytest.mark.parametrize(
    "output,n_out,task",
    [
        ("sigmoid", 1, "binary"),
        ("softmax", 3, "multiclass"),
        ("sigmoid", 2, "multilabel"),
        ("identity", 2, "regression"),
    ],
)
@pytest.mark.parametrize("opset", [17, 18])
def test_an_ensemble_exports_the_mean_of_its_members(output, n_out, task, opset):
    import onnxruntime as ort

    from lucidnet.core.ensemble import Ensemble

    ens = Ensemble([3, 5, 4, n_out], members=3, output=output, seed=0, dtype=np.float32)
    X = np.random.default_rng(0).normal(size=(9, 3)).astype(np.float32)
    model = network_to_onnx(ens, task=task, opset=opset)
    got = ort.InferenceSession(model.SerializeToString()).run(None, {"X": X})[0]
    expected = ens.mean_output(X.T).T
    if task == "binary":
        expected = np.hstack([1 - expected, expected])
    np.testing.assert_allclose(got, expected, atol=1e-6)


@pytest.mark.parametrize("labels", [np.array([0, 1]), np.array(["no", "yes"], dtype=object)])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_binary_estimator_predict_proba_matches_onnxruntime(labels: np.ndarray) -> None:
    # A fitted binary classifier's predict_proba ([σ(−z), σ(z)], computed as
    # exp(predict_log_proba)) against the exported graph, confident rows included.
    from lucidnet import MLPClassifier

    X = data(4, n=200)
    y = labels[(X[:, 0] + X[:, 1] > 6.0).astype(int)]
    clf = MLPClassifier((8,), max_iter=200, random_state=0).fit(X, y)
    got = run(network_to_onnx(clf.network_, classes=clf.classes_), X)
    proba = clf.predict_proba(X)
    assert proba.min() < 1e-3  # some rows are confident: the small column matters
    np.testing.assert_allclose(got["probabilities"], proba, rtol=0, atol=1e-5)
    assert got["label"].tolist() == clf.predict(X).tolist()
