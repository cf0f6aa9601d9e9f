"""MLPClassifier and MLPRegressor on array-api-strict arrays and PyTorch tensors.

"Everything follows X": fitted on another library's arrays, an estimator trains there and
answers there, with the numbers of the NumPy fit (same seed) to float tolerance. The
``device`` parameter sends NumPy input to PyTorch and the answers back; a model trained on
tensors saves to the usual NumPy model file.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

import lucidnet
from lucidnet import MLPClassifier, MLPRegressor

KW = {"hidden_layer_sizes": (7, 5), "batch_size": 16, "max_iter": 4, "random_state": 0}
METHODS = ["predict", "predict_proba", "predict_log_proba", "decision_function", "transform"]

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def classification(task: str, dtype=np.float64):
    X, y = make_classification(120, 5, n_informative=4, n_redundant=0, n_classes=3, random_state=0)
    X = X.astype(dtype)
    if task == "binary":
        return X, (y == 1).astype(np.int64)
    if task == "multilabel":
        return X, np.stack([y == 0, y == 1, X[:, 0] > 0], axis=1).astype(np.int64)
    return X, y


def assert_same(place, result, expected, tol=1e-10):
    assert place.holds(result), type(result)
    got = place.get(result)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=0, atol=tol)


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_classifier_matches_numpy(place, task):
    X, y = classification(task)
    ref = MLPClassifier(**KW).fit(X, y)
    est = MLPClassifier(**KW).fit(place.put(X), place.put(y))
    assert all(place.holds(est.network_.W[l]) for l in range(1, est.network_.L + 1))
    assert isinstance(est.classes_, np.ndarray)  # classes_ stay NumPy (they may be strings)
    np.testing.assert_allclose(est.loss_curve_, ref.loss_curve_, rtol=1e-10)
    for method in METHODS:
        assert_same(place, getattr(est, method)(place.put(X)), getattr(ref, method)(X))
    assert est.score(place.put(X), place.put(y)) == pytest.approx(ref.score(X, y), abs=1e-12)


def test_regressor_matches_numpy(place):
    X, _ = classification("binary")
    for y in (X[:, 0] - 2 * X[:, 1], X[:, :2] ** 2):
        ref = MLPRegressor(**KW).fit(X, y)
        est = MLPRegressor(**KW).fit(place.put(X), place.put(y))
        for method in ("predict", "transform"):
            assert_same(place, getattr(est, method)(place.put(X)), getattr(ref, method)(X))
        assert est.score(place.put(X), place.put(y)) == pytest.approx(ref.score(X, y))


def test_partial_fit_matches_numpy(place):
    X, y = classification("multiclass")
    ref, est = MLPClassifier(**KW), MLPClassifier(**KW)
    for start in (0, 60, 0):
        rows = slice(start, start + 60)
        ref.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
        est.partial_fit(place.put(X[rows]), place.put(y[rows]), classes=[0, 1, 2])
    assert_same(place, est.predict_proba(place.put(X)), ref.predict_proba(X))
    reg_ref, reg = MLPRegressor(**KW), MLPRegressor(**KW)
    for _ in range(2):
        reg_ref.partial_fit(X, X[:, 0])
        reg.partial_fit(place.put(X), place.put(X[:, 0]))
    assert_same(place, reg.predict(place.put(X)), reg_ref.predict(X))


def test_float32_matches_numpy(place):
    X, y = classification("multiclass", np.float32)
    ref = MLPClassifier(**KW).fit(X, y)
    est = MLPClassifier(**KW).fit(place.put(X), place.put(y))
    assert est.network_.dtype is np.float32
    for method in ("predict_proba", "transform"):
        assert_same(place, getattr(est, method)(place.put(X)), getattr(ref, method)(X), 1e-5)


def test_early_stopping_weights_and_validation_data_match_numpy(place):
    X, y = classification("multiclass")
    s = np.linspace(0.2, 2.0, len(y))
    kw = {**KW, "max_iter": 6, "early_stopping": True, "class_weight": "balanced"}
    ref = MLPClassifier(**kw).fit(X, y, sample_weight=s)
    est = MLPClassifier(**kw).fit(place.put(X), place.put(y), sample_weight=place.put(s))
    np.testing.assert_allclose(est.validation_scores_, ref.validation_scores_, rtol=1e-10)
    assert_same(place, est.predict_proba(place.put(X)), ref.predict_proba(X))

    val = (X[:30], y[:30])
    ref = MLPRegressor(**KW).fit(X, X[:, 0], validation_data=val)
    est = MLPRegressor(**KW).fit(place.put(X), place.put(X[:, 0]), validation_data=val)
    np.testing.assert_allclose(est.history_["val_loss"], ref.history_["val_loss"], rtol=1e-10)


def test_string_labels_come_back_as_numpy(place):
    X, y = classification("multiclass")
    labels = np.array(["cat", "dog", "emu"])[y]
    ref = MLPClassifier(**KW).fit(X, labels)
    est = MLPClassifier(**KW).fit(place.put(X), labels)
    predicted = est.predict(place.put(X))
    assert isinstance(predicted, np.ndarray)
    np.testing.assert_array_equal(predicted, ref.predict(X))
    assert_same(place, est.predict_proba(place.put(X)), ref.predict_proba(X))


def test_numpy_input_to_a_network_elsewhere_comes_back_as_numpy(place):
    X, y = classification("binary")
    ref = MLPClassifier(**KW).fit(X, y)
    est = MLPClassifier(**KW).fit(place.put(X), place.put(y))
    result = est.predict_proba(X)  # moved to the network and back
    assert isinstance(result, np.ndarray)
    np.testing.assert_allclose(result, ref.predict_proba(X), rtol=0, atol=1e-10)
    est.partial_fit(X, y)  # the data go to the network, which stays where it is
    assert place.holds(est.network_.W[1])
    assert est.check_gradients(X[:3], y[:3]).passed


@pytest.mark.parametrize(
    "X, message",
    [
        (np.full((4, 5), np.nan), "Input X contains NaN."),
        (np.full((4, 5), np.inf), r"Input X contains infinity or a value too large"),
        (np.ones(5), "Expected 2D array, got 1D array instead"),
        (np.ones((0, 5)), r"Found array with 0 sample\(s\) \(shape=\(0, 5\)\) while a minimum"),
    ],
)
def test_bad_input_gets_scikit_learns_messages(place, X, message):
    with pytest.raises(ValueError, match=message):
        MLPClassifier(**KW).fit(place.put(X), place.put(np.arange(X.shape[0]) % 2))


def test_predict_checks_the_features(place):
    X, y = classification("binary")
    est = MLPClassifier(**KW).fit(place.put(X), place.put(y))
    with pytest.raises(ValueError, match="X has 4 features, but MLPClassifier is expecting 5"):
        est.predict(place.put(X[:, :4]))


def test_device_moves_numpy_input_to_torch_and_back(torch_cpu, tmp_path):
    import torch

    X, y = classification("multiclass")
    ref = MLPClassifier(**KW).fit(X, y)
    est = MLPClassifier(**KW, device="cpu").fit(X, y)
    assert isinstance(est.network_.W[1], torch.Tensor)
    assert isinstance(est.coefs_[0], torch.Tensor)
    for method in METHODS:
        result = getattr(est, method)(X)
        assert isinstance(result, np.ndarray)
        np.testing.assert_allclose(result, getattr(ref, method)(X), rtol=0, atol=1e-10)
    assert_same(torch_cpu, est.predict_proba(torch_cpu.put(X)), ref.predict_proba(X))

    reg = MLPRegressor(**KW, device=torch.device("cpu")).fit(X, X[:, 0])
    np.testing.assert_allclose(
        reg.predict(X), MLPRegressor(**KW).fit(X, X[:, 0]).predict(X), rtol=0, atol=1e-10
    )
    path = tmp_path / "reg.safetensors"
    lucidnet.save(reg, path)  # a torch.device is stored by name
    assert lucidnet.load(path).get_params()["device"] == "cpu"


def test_a_torch_trained_model_saves_to_the_numpy_model_file(torch_cpu, tmp_path):
    X, y = classification("multiclass")
    est = MLPClassifier(**KW).fit(torch_cpu.put(X), torch_cpu.put(y))
    path = tmp_path / "model.safetensors"
    lucidnet.save(est, path)
    loaded = lucidnet.load(path)
    assert isinstance(loaded.network_.W[1], np.ndarray)
    expected = torch_cpu.get(est.predict_proba(torch_cpu.put(X)))
    np.testing.assert_allclose(loaded.predict_proba(X), expected, rtol=0, atol=1e-12)
    lucidnet.save(est.network_, tmp_path / "net.safetensors")  # a bare network too
    np.testing.assert_array_equal(
        lucidnet.load(tmp_path / "net.safetensors").W[1], torch_cpu.get(est.network_.W[1])
    )


def test_bad_devices_are_refused():
    X, y = classification("binary")
    with pytest.raises(InvalidParameterError, match="The 'device' parameter of MLPClassifier"):
        MLPClassifier(**KW, device=3.5).fit(X, y)
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(InvalidParameterError, match="names a device PyTorch cannot use"):
        MLPRegressor(**KW, device="cuda").fit(X, X[:, 0])


def test_without_torch_cpu_is_numpy_and_other_devices_are_refused(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails
    monkeypatch.setitem(sys.modules, "cupy", None)
    X, y = classification("binary")
    est = MLPClassifier(**KW, device="cpu").fit(X, y)
    assert isinstance(est.network_.W[1], np.ndarray)
    np.testing.assert_array_equal(
        est.predict_proba(X), MLPClassifier(**KW).fit(X, y).predict_proba(X)
    )
    for device, needs in (("mps", "needs PyTorch: install"), ("cuda:1", "needs PyTorch or CuPy")):
        with pytest.raises(InvalidParameterError, match=needs):
            MLPClassifier(**KW, device=device).fit(X, y)


def test_numpy_results_are_unchanged_by_the_device_default():
    # device=None with NumPy input is the NumPy path: NumPy arrays in, NumPy arrays out.
    X, y = classification("multiclass")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = MLPClassifier(**KW).fit(X, y)
    assert isinstance(est.network_.W[1], np.ndarray)
    assert all(isinstance(getattr(est, m)(X), np.ndarray) for m in METHODS)
