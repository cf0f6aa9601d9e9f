"""``lucidnet.save``, ``lucidnet.load`` and ``lucidnet.export_onnx`` for every kind of model.

Each part lives where its rank says: the file format (safetensors tensors + a JSON
header, :mod:`lucidnet.io.modelfile`) and the ONNX graph (:mod:`lucidnet.io.onnx_export`)
in ``lucidnet.io``; an estimator's parameters, classes and history in
``lucidnet.estimators.modelinfo``; a table model's preprocessing and target in
:class:`~lucidnet.tables.model.TabularModel`. These three functions only choose among
them by the kind of model; they live here, at the first rank that knows every kind
(networks, estimators, table models). Loading a model from a stranger runs no code.
"""

from __future__ import annotations

import os
from typing import Any

from lucidnet.core.network import Network
from lucidnet.estimators import BaseMLP, estimator_from_info, estimator_graph, estimator_info
from lucidnet.io.modelfile import ModelFileError, load_network, save_network
from lucidnet.tables.model import TabularModel
from lucidnet.tables.preprocess import shorten

__all__ = ["ModelFileError", "export_onnx", "load", "save"]

PathLike = str | os.PathLike[str]


def save(model: Any, path: PathLike) -> None:
    """Save a fitted estimator, a bare ``Network`` or a table model to ``path``, atomically.

    Parameters
    ----------
    model : MLPClassifier, MLPRegressor, Network or lucidnet.tables.TabularModel
    path : str or os.PathLike
        Usually ``*.safetensors``; an existing file is replaced only once the new one is
        completely written.
    """
    if isinstance(model, Network):
        save_network(model, path, info={"kind": "network"})
    elif isinstance(model, TabularModel):
        info, arrays = model.file_contents()
        save_network(model.estimator.network_, path, info=info, extra_arrays=arrays)
    elif isinstance(model, BaseMLP):
        info = estimator_info(model)  # checks that the model is fitted
        save_network(model.network_, path, info=info)
    else:
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
    if kind == "estimator":
        return estimator_from_info(loaded)
    if kind == "table":
        return TabularModel.from_file(loaded)
    raise loaded.error(f"it holds an unknown kind of model ({kind!r})")


def export_onnx(model: Any, path: PathLike) -> list[str]:
    """Write ``model`` as an ONNX graph (Gemm + activations, probabilities and labels).

    Parameters
    ----------
    model : MLPClassifier, MLPRegressor, Network or table model
        A table model's graph is the whole model: raw columns in, its preprocessing, the
        network and the target's units (:func:`lucidnet.tables.onnx.table_to_onnx`).
    path : str or os.PathLike
        The ``.onnx`` file, written atomically.

    Returns
    -------
    list of str
        Notes on what the graph expects that a user must know (empty when nothing).
    """
    from lucidnet.io.onnx_export import network_to_onnx, save_onnx

    if isinstance(model, TabularModel):
        from lucidnet.tables.onnx import table_to_onnx

        save_onnx(table_to_onnx(model), path)
        pre = model.preprocessor
        notes = [
            f"inputs: one per column, shape [N, 1]: {shorten(pre.columns)}; numbers as "
            "float32 (NaN or ±inf: missing)"
        ]
        if pre.categorical:
            notes.append(
                "text columns as strings (an empty string is a missing cell): "
                + shorten(pre.categorical)
            )
        return notes
    net, kwargs = (model, {}) if isinstance(model, Network) else estimator_graph(model)
    save_onnx(network_to_onnx(net, **kwargs), path)
    return []
