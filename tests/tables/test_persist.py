"""lucidnet.save / lucidnet.load / lucidnet.export_onnx on estimators and networks."""

from __future__ import annotations

import json

import numpy as np
import pytest
import safetensors.numpy
from sklearn.datasets import load_iris, make_moons, make_regression

import lucidnet
from lucidnet import MLPClassifier, MLPRegressor, ModelFileError, Network

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _moons():
    return make_moons(120, noise=0.2, random_state=0)


@pytest.mark.parametrize(
    "make",
    [
        lambda: (MLPClassifier((6,), max_iter=5, random_state=0), *_moons()),
        lambda: (
            MLPClassifier((6, 4), activation="tanh", max_iter=5, random_state=0),
            _moons()[0],
            np.where(_moons()[1] == 1, "yes", "no"),
        ),
        lambda: (MLPClassifier((6,), max_iter=5, random_state=0), *load_iris(return_X_y=True)),
        lambda: (
            MLPClassifier((6,), max_iter=5, random_state=0),
            _moons()[0],
            np.column_stack([_moons()[1], 1 - _moons()[1], _moons()[1]]),
        ),
        lambda: (
            MLPRegressor((6,), max_iter=5, random_state=0),
            *make_regression(80, 3, random_state=0),
        ),
        lambda: (
            MLPRegressor((6,), max_iter=5, random_state=0, dtype="float32"),
            *make_regression(80, 3, n_targets=2, random_state=0),
        ),
    ],
    ids=["binary", "strings", "multiclass", "multilabel", "regression", "multi-output-f32"],
)
def test_estimator_round_trip(tmp_path, make):
    est, X, y = make()
    est.fit(X, y)
    path = tmp_path / "model.safetensors"
    lucidnet.save(est, path)
    back = lucidnet.load(path)
    assert type(back) is type(est)
    assert back.get_params() == {**est.get_params(), "callbacks": None}
    np.testing.assert_array_equal(back.predict(X), est.predict(X))
    if hasattr(est, "predict_proba"):
        np.testing.assert_array_equal(back.predict_proba(X), est.predict_proba(X))
        np.testing.assert_array_equal(back.classes_, est.classes_)
    assert back.loss_curve_ == est.loss_curve_ and back.n_iter_ == est.n_iter_
    assert back.network_.dtype == est.network_.dtype
    # Any safetensors reader opens the file: the weights are plain tensors.
    tensors = safetensors.numpy.load_file(str(path))
    np.testing.assert_array_equal(tensors["layers.1.W"], est.network_.W[1])


def test_dataframe_feature_names_survive(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = _moons()
    frame = pd.DataFrame(X, columns=["a", "b"])
    est = MLPClassifier((4,), max_iter=3, random_state=0).fit(frame, y)
    lucidnet.save(est, tmp_path / "m.safetensors")
    back = lucidnet.load(tmp_path / "m.safetensors")
    assert list(back.feature_names_in_) == ["a", "b"]
    with pytest.raises(ValueError, match="feature names"):
        back.predict(frame[["b", "a"]])


def test_bare_network_round_trip(tmp_path):
    net = Network([3, 4, 2], "leaky_relu", "softmax", seed=0)
    lucidnet.save(net, tmp_path / "n.safetensors")
    back = lucidnet.load(tmp_path / "n.safetensors")
    assert isinstance(back, Network) and back.activation_names == net.activation_names
    A0 = np.random.default_rng(0).normal(size=(3, 5))
    np.testing.assert_array_equal(back.predict_output(A0), net.predict_output(A0))


def test_unfitted_and_wrong_types_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not fitted"):
        lucidnet.save(MLPClassifier(), tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match=r"lucidnet\.save takes"):
        lucidnet.save({"W": 1}, tmp_path / "x.safetensors")


def _rewrite_info(path, change):
    """Rewrite a model file's info the way an attacker or a bug would (checksum updated)."""
    from lucidnet.io import modelfile

    loaded = modelfile.load_network(path)
    info = json.loads(json.dumps(loaded.info))
    change(info)
    modelfile.save_network(loaded.network, path, info=info, extra_arrays=loaded.arrays)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda info: info.update(estimator="os.system"), "not one of"),
        (lambda info: info.update(kind="pickle"), "unknown kind"),
        (
            lambda info: info["classes"].update(values=["a", "b", "c"], dtype="str"),
            "classes do not",
        ),
        (lambda info: info.update(n_features_in=7), "inputs"),
        (lambda info: info["params"].update(alpha="lots"), "parameters are not valid|alpha"),
    ],
)
def test_inconsistent_files_give_model_file_errors(tmp_path, change, message):
    X, y = _moons()
    path = tmp_path / "m.safetensors"
    lucidnet.save(MLPClassifier((4,), max_iter=3, random_state=0).fit(X, y), path)
    _rewrite_info(path, change)
    with pytest.raises(ModelFileError, match=message) as info:
        back = lucidnet.load(path)
        back.predict(X)  # parameter errors surface when the estimator is used
    assert str(path) in str(info.value) or "alpha" in str(info.value)


def test_truncated_estimator_file(tmp_path):
    X, y = _moons()
    path = tmp_path / "m.safetensors"
    lucidnet.save(MLPClassifier((4,), max_iter=3, random_state=0).fit(X, y), path)
    data = path.read_bytes()
    for k in range(1, 10):
        cut = tmp_path / f"cut{k}.safetensors"
        cut.write_bytes(data[: len(data) * k // 10])
        with pytest.raises(ModelFileError, match=str(cut.name)):
            lucidnet.load(cut)


def test_export_onnx_matches_predict_proba(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    X, y = load_iris(return_X_y=True)
    est = MLPClassifier((8,), max_iter=20, random_state=0, dtype="float32").fit(X, y)
    path = tmp_path / "m.onnx"
    assert lucidnet.export_onnx(est, path) == []
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    proba, label = session.run(["probabilities", "label"], {"X": X.astype(np.float32)})
    np.testing.assert_allclose(proba, est.predict_proba(X.astype(np.float32)), atol=1e-5)
    np.testing.assert_array_equal(label, est.predict(X.astype(np.float32)))
