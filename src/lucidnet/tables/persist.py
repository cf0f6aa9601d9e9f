"""``lucidnet.save`` and ``lucidnet.load``: estimators, networks and table models in one file.

The file is the safetensors model file of :mod:`lucidnet.io.modelfile` — weights as
tensors, everything else as JSON — so loading a model from a stranger runs no code: the
estimator class comes from a whitelist, activations from lucidnet's registry, and the
preprocessing is plain numbers and category lists.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from lucidnet.core.network import Network
from lucidnet.estimators import BaseMLP, MLPClassifier, estimator_from_info, estimator_info
from lucidnet.io.modelfile import ModelFileError, load_network, save_network
from lucidnet.tables.model import TabularModel
from lucidnet.tables.preprocess import TablePreprocessor

__all__ = ["ModelFileError", "export_onnx", "load", "save"]

PathLike = str | os.PathLike[str]


def save(model: Any, path: PathLike) -> None:
    """Save a fitted estimator, a bare ``Network`` or a table model to ``path``, atomically.

    Parameters
    ----------
    model : MLPClassifier, MLPRegressor, Network or lucidnet.tables.preprocess.TabularModel
    path : str or os.PathLike
        Usually ``*.safetensors``; an existing file is replaced only once the new one is
        completely written.
    """
    if isinstance(model, Network):
        save_network(model, path, info={"kind": "network"})
        return
    if isinstance(model, TabularModel):
        info = estimator_info(model.estimator)
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
        info = estimator_info(model)  # checks that the model is fitted
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
        For any problem with the file (missing, truncated, corrupted, newer format,
        inconsistent contents), naming the file and the fix. The file's SHA-256 detects
        corruption, not deliberate tampering (anyone can recompute it).
    """
    loaded = load_network(path)
    kind = loaded.info.get("kind")
    if kind == "network":
        return loaded.network
    if kind not in ("estimator", "table"):
        raise loaded.error(f"it holds an unknown kind of model ({kind!r})")
    estimator = estimator_from_info(loaded)
    if kind == "estimator":
        return estimator
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

    kwargs: dict[str, Any] = {}
    notes: list[str] = []
    if isinstance(model, Network):
        net = model
    else:
        est = model.estimator if isinstance(model, TabularModel) else model
        if not isinstance(est, BaseMLP) or not hasattr(est, "network_"):
            raise TypeError(
                "export_onnx takes a fitted MLPClassifier/MLPRegressor, a Network or a table "
                f"model; got {type(model).__name__}."
            )
        net = est.network_
        if isinstance(est, MLPClassifier):
            kwargs["classes"] = np.asarray(est.classes_)
            kwargs["task"] = {"multilabel-indicator": "multilabel"}.get(
                est.target_type_, est.target_type_
            )
        else:
            kwargs["task"] = "regression"
        if isinstance(model, TabularModel):
            pre = model.preprocessor
            if pre.categorical or pre.scaling != "standard" or pre.indicators:
                why = "text columns" if pre.categorical else "robust scaling"
                notes.append(
                    f"the table's preprocessing ({why}) is not in the graph: it takes the "
                    f"preprocessed matrix ({len(pre.feature_names_out)} columns: "
                    f"{', '.join(pre.feature_names_out[:6])}"
                    f"{', …' if len(pre.feature_names_out) > 6 else ''}); "
                    "compute it with TabularModel.features(frame)"
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
