"""Training state on disk: safetensors for the arrays, JSON for the rest, never pickle.

A state is a nested structure of dicts, lists, numbers, strings, None and arrays (a
``Trainer.state_dict()``). :func:`save_state` stores every array once as a safetensors
tensor named by its path in the structure (``weights.0``, ``optimizer.m.3``...), and the
structure itself, with ``{"__array__": name}`` in place of each array, as JSON in the
file's metadata. Loading therefore runs no code from the file.

Files are written atomically (``lucidnet.io.atomic.atomic_write_bytes``): a temporary file
in the same folder, flushed and fsync'ed, then ``os.replace``'d over the target, so a
crash never leaves a half-written checkpoint.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from lucidnet.core.arrays import to_numpy
from lucidnet.io.atomic import atomic_write_bytes

__all__ = ["load_state", "save_state"]

_FORMAT = "lucidnet-state"
_VERSION = "1"


def save_state(state: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Save a training state (e.g. ``Trainer.state_dict()``) to a safetensors file.

    Parameters
    ----------
    state : dict
        Dicts with string keys, lists, tuples (saved as lists), str, int, float, bool,
        None and arrays (NumPy, PyTorch, CuPy or any Array-API library). An array that
        appears several times is stored once and comes back as one shared array.
    path : str or path-like
        Written atomically (see ``lucidnet.io.atomic.atomic_write_bytes``).

    Raises
    ------
    TypeError
        For a value of another type (the message names where it sits).
    """
    from safetensors.numpy import save

    tensors: dict[str, np.ndarray] = {}
    seen: dict[int, str] = {}
    skeleton = _to_skeleton(state, "", tensors, seen)
    meta = {"format": _FORMAT, "version": _VERSION, "state": json.dumps(skeleton)}
    atomic_write_bytes(path, save(tensors, metadata=meta))


def load_state(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a state written by :func:`save_state`; arrays come back as writable NumPy arrays.

    Raises
    ------
    ValueError
        When the file is not a lucidnet state.
    """
    from safetensors import safe_open

    with safe_open(os.fspath(path), framework="np") as f:
        meta = f.metadata() or {}
        if meta.get("format") != _FORMAT:
            raise ValueError(
                f"{os.fspath(path)!r} is not a lucidnet training state (no '{_FORMAT}' "
                "metadata); it should come from lucidnet.training.save_state."
            )
        arrays = {key: np.array(f.get_tensor(key)) for key in f.keys()}
    state = _from_skeleton(json.loads(meta["state"]), arrays)
    assert isinstance(state, dict)
    return state


def _to_skeleton(
    value: Any, where: str, tensors: dict[str, np.ndarray], seen: dict[int, str]
) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"State keys must be strings; got {key!r} at {where or 'the top'}.")
            out[key] = _to_skeleton(item, f"{where}.{key}" if where else key, tensors, seen)
        return out
    if isinstance(value, (list, tuple)):
        return [_to_skeleton(item, f"{where}.{i}", tensors, seen) for i, item in enumerate(value)]
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        if id(value) not in seen:
            seen[id(value)] = where
            tensors[where] = np.ascontiguousarray(to_numpy(value))  # GPU arrays come home
        return {"__array__": seen[id(value)]}
    raise TypeError(
        f"Cannot save {type(value).__name__} at {where!r}: a state holds dicts, lists, "
        "numbers, strings, None and arrays."
    )


def _from_skeleton(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return arrays[value["__array__"]]
        return {key: _from_skeleton(item, arrays) for key, item in value.items()}
    if isinstance(value, list):
        return [_from_skeleton(item, arrays) for item in value]
    return value
