"""An estimator's side of the model file and of the ONNX graph (no pickle).

:func:`estimator_info` gives what the file stores beside the network's tensors (the
parameters, the classes, the training history); :func:`estimator_from_info` rebuilds a
fitted estimator from a :class:`~lucidnet.io.modelfile.LoadedModel`, checking that the
pieces agree; :func:`estimator_graph` says what ``lucidnet.io.network_to_onnx`` must
know of the estimator (its classes and task).
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
from sklearn.preprocessing import LabelBinarizer

from lucidnet.core.network import Network
from lucidnet.estimators._base import BaseMLP
from lucidnet.estimators.classifier import MLPClassifier
from lucidnet.estimators.regressor import MLPRegressor
from lucidnet.estimators.solver import Solver
from lucidnet.io.modelfile import LoadedModel, encode_labels
from lucidnet.io.schema import BOOL, INT, JSON, NULL, NUMBER, STR, ListOf, OneOf, Record
from lucidnet.training.history import History

__all__ = ["ESTIMATOR_INFO", "estimator_from_info", "estimator_graph", "estimator_info"]

_ESTIMATORS: dict[str, type[BaseMLP]] = {
    "MLPClassifier": MLPClassifier,
    "MLPRegressor": MLPRegressor,
}
# Fitted attributes restored from the file's training summary.
_SUMMARY = ("n_iter_", "t_", "loss_", "best_loss_", "best_validation_score_")
_HISTORY = ("epoch", "loss", "val_loss", "val_score", "lr", "seconds")
_SCALAR = OneOf(NUMBER, STR, BOOL, NULL)

ESTIMATOR_INFO = Record(
    {
        "kind": STR,
        "estimator": STR,
        "params": Record(),
        "n_features_in": INT,
        "feature_names_in": OneOf(NULL, ListOf(STR)),
        "history": Record(
            {key: ListOf(OneOf(NUMBER, NULL)) for key in _HISTORY},
            optional=_HISTORY,
            rest=ListOf(_SCALAR),
        ),
        "summary": Record(
            {key: OneOf(INT if key in ("n_iter_", "t_") else NUMBER, NULL) for key in _SUMMARY},
            optional=_SUMMARY,
        ),
        "classes": Record({"dtype": STR, "values": ListOf(JSON)}),
        "multilabel": BOOL,
        "y_1d": BOOL,
    },
    optional=("feature_names_in", "history", "summary", "classes", "multilabel", "y_1d"),
)
"""The schema of an estimator's ``info`` (what :func:`estimator_info` writes)."""


def _json_params(est: BaseMLP) -> dict[str, Any]:
    params = est.get_params(deep=False)
    params["callbacks"] = None  # callables are never stored
    params["embedding"] = None  # the network carries it (architecture.embedding)
    if not (params["random_state"] is None or isinstance(params["random_state"], Integral)):
        params["random_state"] = None
    for key in ("hidden_layer_sizes", "activation", "dropout"):
        if isinstance(params[key], tuple):
            params[key] = list(params[key])
    if isinstance(params.get("class_weight"), dict):
        # JSON keys must be strings: store the weights in classes_ order instead.
        params["class_weight"] = None
    if params["n_iter_no_change"] == np.inf:
        params["n_iter_no_change"] = "inf"
    device = params.get("device")
    if device is not None and not isinstance(device, str):
        # a torch.device is stored by name ("cuda:0"), a CuPy device as "cuda:<id>"
        params["device"] = str(device) if hasattr(device, "type") else f"cuda:{device.id}"
    return params


def _finite_or_none(value: Any) -> Any:
    """None for a NaN or infinite number (a score that could not be computed, such as
    the R² of one held-out row): the file records it as absent."""
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return None
    return value


def estimator_info(est: BaseMLP) -> dict[str, Any]:
    if "network_" not in est.__dict__:
        raise ValueError(f"This {type(est).__name__} is not fitted yet; fit it before saving.")
    info: dict[str, Any] = {
        "kind": "estimator",
        "estimator": type(est).__name__,
        "params": _json_params(est),
        "n_features_in": int(est.n_features_in_),
        "feature_names_in": (
            [str(f) for f in est.feature_names_in_] if hasattr(est, "feature_names_in_") else None
        ),
        "history": (
            {k: [_finite_or_none(v) for v in col] for k, col in est.history_.to_dict().items()}
            if hasattr(est, "history_")
            else {}
        ),
        "summary": {k: _finite_or_none(getattr(est, k, None)) for k in _SUMMARY},
    }
    if isinstance(est, MLPClassifier):
        info["classes"] = encode_labels(np.asarray(est.classes_))
        info["multilabel"] = bool(est._multilabel)
    else:
        info["y_1d"] = bool(est._y_1d)
    return info


def estimator_from_info(loaded: LoadedModel) -> BaseMLP:
    """The fitted estimator of a file that :func:`estimator_info` filled, checked.

    Raises
    ------
    ModelFileError
        When ``info`` does not fit :data:`ESTIMATOR_INFO` (naming the field) or its parts
        disagree with each other or with the network.
    """
    loaded.check_info(ESTIMATOR_INFO)
    cls = loaded.estimator_class(_ESTIMATORS)
    info = loaded.info
    try:
        params = dict(info["params"])
        if params.get("n_iter_no_change") == "inf":
            params["n_iter_no_change"] = np.inf
        if isinstance(params.get("hidden_layer_sizes"), list):
            params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        est = cls(**params)
        est._validate_params()
        n_features = int(info["n_features_in"])
    except (KeyError, TypeError, ValueError) as exc:
        raise loaded.error(f"its estimator parameters are not valid ({exc})") from None
    net = loaded.network
    if net.n[0] != n_features:
        raise loaded.error(f"the network takes {net.n[0]} inputs but n_features_in is {n_features}")
    est.network_ = net
    est.n_features_in_ = n_features
    est.embedding = getattr(net, "embedding", None)  # saved with the network
    names = info.get("feature_names_in")
    if names is not None:
        if len(names) != n_features:
            raise loaded.error(
                f"its header entry info['feature_names_in'] lists {len(names)} names for "
                f"{n_features} inputs"
            )
        est.feature_names_in_ = np.asarray(names, dtype=object)
    if isinstance(est, MLPClassifier):
        classes = loaded.labels("classes")
        multilabel = bool(info.get("multilabel", False))
        width = net.n[-1]
        expected = (
            (len(classes), "sigmoid")
            if multilabel
            else ((1, "sigmoid") if len(classes) == 2 else (len(classes), "softmax"))
        )
        if len(classes) < 2 or (width, net.output.name) != expected:
            raise loaded.error(
                f"its {len(classes)} classes do not match the output layer "
                f"({width} {net.output.name} unit(s))"
            )
        binarizer = LabelBinarizer()
        binarizer.fit(np.eye(len(classes), dtype=int) if multilabel else classes)
        est._label_binarizer = binarizer
        est._multilabel = multilabel
        est.classes_ = binarizer.classes_
    else:
        wanted = est._output_name()  # "exp" for loss="poisson", else "identity"
        if net.output.name != wanted:
            raise loaded.error(
                f"a regressor with loss={est.loss!r} has the output layer {wanted!r}, "
                f"not {net.output.name!r}"
            )
        est._y_1d = bool(info.get("y_1d", net.n[-1] == 1))
    history = info.get("history") or {}
    try:
        est.history_ = History.from_dict(history)
    except (TypeError, ValueError, KeyError) as exc:
        raise loaded.error(f"its training history is malformed ({exc})") from None
    est.loss_curve_ = [float(v) for v in est.history_["loss"]] if len(est.history_) else []
    for key, value in (info.get("summary") or {}).items():
        if key in _SUMMARY:
            setattr(est, key, value)
    scores = est.history_["val_score"] if "val_score" in est.history_.keys() else None
    est.validation_scores_ = [float(v) for v in scores] if scores else None
    Solver.network_attributes(est)
    return est


def estimator_graph(est: Any) -> tuple[Network, dict[str, Any]]:
    """The fitted network, and ``network_to_onnx``'s keyword arguments for ``est``.

    Raises
    ------
    TypeError
        For anything but a fitted MLPClassifier / MLPRegressor.
    """
    if not isinstance(est, BaseMLP) or not hasattr(est, "network_"):
        raise TypeError(
            "export_onnx takes a fitted MLPClassifier/MLPRegressor, a Network or a table "
            f"model; got {type(est).__name__}."
        )
    if isinstance(est, MLPClassifier):
        task = {"multilabel-indicator": "multilabel"}.get(est.target_type_, est.target_type_)
        return est.network_, {"classes": np.asarray(est.classes_), "task": task}
    return est.network_, {"task": "regression"}
