"""``lucidnet.save`` and ``lucidnet.load``: estimators, networks and table models in one file.

The file is the safetensors model file of :mod:`lucidnet.io.modelfile` — weights as
tensors, everything else as JSON — so loading a model from a stranger runs no code: the
estimator class comes from a whitelist, activations from lucidnet's registry, and the
preprocessing is plain numbers and category lists.
"""

from __future__ import annotations

import os
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.preprocessing import LabelBinarizer

from lucidnet.core.network import Network
from lucidnet.estimators import MLPClassifier, MLPRegressor
from lucidnet.estimators._base import BaseMLP
from lucidnet.io.modelfile import (
    LoadedModel,
    ModelFileError,
    encode_labels,
    load_network,
    save_network,
)
from lucidnet.training.history import History

__all__ = ["ModelFileError", "export_onnx", "load", "save"]

PathLike = str | os.PathLike[str]
_ESTIMATORS: dict[str, type[BaseMLP]] = {
    "MLPClassifier": MLPClassifier,
    "MLPRegressor": MLPRegressor,
}
# Fitted attributes restored from the file's training summary.
_SUMMARY = ("n_iter_", "t_", "loss_", "best_loss_", "best_validation_score_")


def save(model: Any, path: PathLike) -> None:
    """Save a fitted estimator, a bare ``Network`` or a table model to ``path``, atomically.

    Parameters
    ----------
    model : MLPClassifier, MLPRegressor, Network or lucidnet.tabular.TabularModel
    path : str or os.PathLike
        Usually ``*.safetensors``; an existing file is replaced only once the new one is
        completely written.
    """
    from lucidnet.tabular import TabularModel

    if isinstance(model, Network):
        save_network(model, path, info={"kind": "network"})
        return
    if isinstance(model, TabularModel):
        info = _estimator_info(model.estimator)
        arrays, pre_meta = model.preprocessor.to_state()
        info.update(
            kind="table",
            preprocessing=pre_meta,
            target=model.target,
            task=model.task,
            metrics=model.metrics,
            target_mean=model.target_mean,
            target_scale=model.target_scale,
        )
        save_network(model.estimator.network_, path, info=info, extra_arrays=arrays)
        return
    if isinstance(model, BaseMLP):
        info = _estimator_info(model)  # checks that the model is fitted
        save_network(model.network_, path, info=info)
        return
    raise TypeError(
        f"lucidnet.save takes a fitted MLPClassifier/MLPRegressor, a Network or a table "
        f"model; got {type(model).__name__}."
    )


def load(path: PathLike) -> Any:
    """Load what :func:`save` wrote: an estimator, a ``Network`` or a table model.

    Raises
    ------
    ModelFileError
        For any problem with the file (missing, truncated, tampered, newer format,
        inconsistent contents), naming the file and the fix.
    """
    loaded = load_network(path)
    kind = loaded.info.get("kind")
    if kind == "network":
        return loaded.network
    if kind not in ("estimator", "table"):
        raise loaded.error(f"it holds an unknown kind of model ({kind!r})")
    estimator = _estimator_from(loaded)
    if kind == "estimator":
        return estimator
    from lucidnet.tabular import TablePreprocessor, TabularModel

    try:
        pre = TablePreprocessor.from_state(loaded.arrays, loaded.info["preprocessing"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise loaded.error(f"its preprocessing is inconsistent ({exc})") from None
    if len(pre.feature_names_out) != estimator.n_features_in_:
        raise loaded.error(
            f"its preprocessing makes {len(pre.feature_names_out)} inputs but the network "
            f"takes {estimator.n_features_in_}"
        )
    task = loaded.info.get("task")
    target = loaded.info.get("target")
    if task not in ("classification", "regression") or not isinstance(target, str):
        raise loaded.error("its task or target name is missing")
    try:
        mean = float(loaded.info.get("target_mean", 0.0))
        scale = float(loaded.info.get("target_scale", 1.0))
    except (TypeError, ValueError):
        raise loaded.error("its target scaling is not a pair of numbers") from None
    if not (np.isfinite(mean) and np.isfinite(scale) and scale > 0):
        raise loaded.error("its target scaling is not finite and positive")
    return TabularModel(
        pre,
        estimator,
        target,
        task,
        metrics=loaded.info.get("metrics") or {},
        target_mean=mean,
        target_scale=scale,
    )


def export_onnx(model: Any, path: PathLike) -> list[str]:
    """Write ``model`` as an ONNX graph (Gemm + activations, probabilities and labels).

    Parameters
    ----------
    model : MLPClassifier, MLPRegressor, Network or table model
        For a table model whose columns are all numeric, the standardisation is part of
        the graph; with text columns the graph takes the preprocessed matrix.
    path : str or os.PathLike
        The ``.onnx`` file, written atomically.

    Returns
    -------
    list of str
        Notes on what the graph expects that a user must know (empty when nothing).
    """
    from lucidnet.io.onnx_export import network_to_onnx, save_onnx
    from lucidnet.tabular import TabularModel

    kwargs: dict[str, Any] = {}
    notes: list[str] = []
    if isinstance(model, Network):
        net = model
    else:
        est = model.estimator if isinstance(model, TabularModel) else model
        if not isinstance(est, BaseMLP) or "network_" not in est.__dict__:
            raise TypeError(
                "export_onnx takes a fitted MLPClassifier/MLPRegressor, a Network or a table "
                f"model; got {type(model).__name__}."
            )
        net = est.network_
        if isinstance(est, MLPClassifier):
            kwargs["classes"] = np.asarray(est.classes_)
            multiclass = "binary" if len(est.classes_) == 2 else "multiclass"
            kwargs["task"] = "multilabel" if est._multilabel else multiclass
        else:
            kwargs["task"] = "regression"
        if isinstance(model, TabularModel):
            pre = model.preprocessor
            if pre.categorical:
                notes.append(
                    "the table has text columns; the ONNX graph takes the preprocessed matrix "
                    f"({len(pre.feature_names_out)} columns: numeric standardised, then one-hot)"
                )
            else:
                kwargs["mean"], kwargs["scale"] = pre.mean, pre.scale
                notes.append(
                    "the graph standardises its input itself; fill missing values (the "
                    "training medians are in 'lucidnet inspect') before calling it"
                )
            if model.task == "regression" and (model.target_scale != 1 or model.target_mean != 0):
                notes.append(
                    f"multiply 'predictions' by {model.target_scale:.6g} and add "
                    f"{model.target_mean:.6g} to get the target's units"
                )
    save_onnx(network_to_onnx(net, **kwargs), path)
    return notes


# ---------------------------------------------------------------------------- helpers


def _json_params(est: BaseMLP) -> dict[str, Any]:
    params = est.get_params(deep=False)
    params["callbacks"] = None  # callables are never stored
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


def _estimator_info(est: BaseMLP) -> dict[str, Any]:
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
        "history": est.history_.to_dict() if hasattr(est, "history_") else {},
        "summary": {k: getattr(est, k, None) for k in _SUMMARY},
    }
    if isinstance(est, MLPClassifier):
        info["classes"] = encode_labels(np.asarray(est.classes_))
        info["multilabel"] = bool(est._multilabel)
    else:
        info["y_1d"] = bool(est._y_1d)
    return info


def _estimator_from(loaded: LoadedModel) -> BaseMLP:
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
    names = info.get("feature_names_in")
    if names is not None:
        if len(names) != n_features:
            raise loaded.error("it lists a different number of feature names than inputs")
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
        if net.output.name != "identity":
            raise loaded.error("a regressor's output layer must be 'identity'")
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
    est.n_layers_ = net.L + 1
    est.n_outputs_ = net.n[-1]
    from lucidnet.estimators._translate import SKLEARN_OUT_ACTIVATION

    est.out_activation_ = SKLEARN_OUT_ACTIVATION[net.output.name]
    return est
