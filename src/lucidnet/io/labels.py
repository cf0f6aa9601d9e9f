"""The labels codec: class labels as JSON with a dtype tag, so they load back with their type."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["decode_labels", "encode_labels"]


_LABEL_DTYPES = frozenset(
    ["bool", "str", "object", "float32", "float64"]
    + [f"{s}int{bits}" for s in ("", "u") for bits in (8, 16, 32, 64)]
)


def encode_labels(classes: Any) -> dict[str, Any]:
    """Class labels as JSON with a dtype tag, so that they load back with their type.

    Parameters
    ----------
    classes : array-like of shape (K,)
        bool, int, uint, float (finite), str, or an object array of str.

    Returns
    -------
    dict
        ``{"dtype": tag, "values": [...]}``; tag is the NumPy dtype name ("int64",
        "bool", "float64", ...), "str" for a NumPy str array or "object" for an object
        array of str.

    Examples
    --------
    >>> import numpy as np
    >>> encode_labels(np.array(["cat", "dog"]))
    {'dtype': 'str', 'values': ['cat', 'dog']}
    >>> decode_labels(encode_labels(np.array([3, 7])))
    array([3, 7])
    """
    arr = np.asarray(classes)
    if arr.ndim != 1:
        raise ValueError(f"Labels must be one-dimensional; got shape {arr.shape}.")
    kind = arr.dtype.kind
    if kind == "U":
        tag = "str"
    elif kind == "O":
        bad = next((v for v in arr if not isinstance(v, str)), None)
        if bad is not None:
            raise TypeError(
                f"An object array of labels must hold str only; got {bad!r} "
                f"({type(bad).__name__}). Convert the labels with np.asarray(y, dtype=str)."
            )
        tag = "object"
    else:
        tag = arr.dtype.name
        if tag not in _LABEL_DTYPES:
            raise TypeError(
                f"Labels of dtype {arr.dtype} cannot be stored; use bool, int, float or str."
            )
        if kind == "f" and not np.all(np.isfinite(arr)):
            raise ValueError("Float labels must be finite.")
    return {"dtype": tag, "values": [v.item() if isinstance(v, np.generic) else v for v in arr]}


def decode_labels(d: Mapping[str, Any]) -> np.ndarray:
    """The labels encoded by :func:`encode_labels`, with their dtype.

    Raises
    ------
    ValueError
        When ``d`` is not such an encoding (unknown tag, or a value of the wrong type).
    """
    if not isinstance(d, Mapping) or not isinstance(d.get("values"), list):
        raise ValueError(f"Encoded labels are a dict with 'dtype' and 'values'; got {d!r}.")
    tag, values = d.get("dtype"), d["values"]
    if tag not in _LABEL_DTYPES:
        raise ValueError(f"Unknown label dtype tag {tag!r}; known: {sorted(_LABEL_DTYPES)}.")
    if tag in ("str", "object"):
        ok = all(isinstance(v, str) for v in values)
    elif tag == "bool":
        ok = all(isinstance(v, bool) for v in values)
    elif tag.startswith(("int", "uint")):
        info = np.iinfo(tag)
        ok = all(isinstance(v, int) and not isinstance(v, bool) for v in values) and all(
            info.min <= v <= info.max for v in values
        )
    else:
        ok = all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in values
        )
    if not ok:
        raise ValueError(f"The labels {values!r} do not all fit their dtype tag {tag!r}.")
    if tag == "object":
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    if tag == "str":
        return np.array(values, dtype=str)
    return np.array(values, dtype=tag)
