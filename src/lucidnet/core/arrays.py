"""Which Array-API namespace a computation runs in.

The core never imports NumPy for its math: every function asks the arrays it is given
for their namespace ``xp`` and calls ``xp.exp``, ``xp.where``, ``xp.sum``... so the same
lecture code runs on NumPy, array-api-strict, PyTorch or CuPy arrays.

NumPy (>= 2.1) implements the standard itself, so NumPy arrays take a fast path that
skips array-api-compat's wrapper (about 20 µs a call, which would dominate small
minibatches). NumPy's subclasses (``numpy.memmap``, ...) are NumPy arrays too: the
trainer views them as plain ``ndarray`` (:func:`plain`), the same memory, never a copy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from array_api_compat import array_namespace, is_array_api_obj, is_cupy_array, is_torch_array
from array_api_compat import device as _device

__all__ = ["device_of", "move_to", "namespace", "plain", "to_numpy"]


def namespace(*arrays: Any) -> Any:
    """Return the Array-API namespace shared by ``arrays`` (``numpy`` for NumPy arrays).

    Raises
    ------
    TypeError
        When the arrays come from different libraries (array-api-compat's message).
    """
    for a in arrays:
        if not isinstance(a, np.ndarray):  # a subclass (numpy.memmap) is NumPy too
            return array_namespace(*arrays)
    return np


def device_of(array: Any) -> Any:
    """The device ``array`` lives on (``"cpu"`` for NumPy arrays)."""
    if isinstance(array, np.ndarray):
        return "cpu"
    return _device(array)


def plain(array: Any) -> Any:
    """An ndarray subclass (``numpy.memmap``, ...) as a plain ``ndarray`` view of the same
    memory (no copy: a memory-mapped file stays on disk); anything else unchanged."""
    if isinstance(array, np.ndarray) and type(array) is not np.ndarray:
        return array.view(np.ndarray)
    return array


def to_numpy(array: Any) -> np.ndarray:
    """A NumPy copy (or view) of ``array`` from any library and device, for saving or printing.

    NumPy arrays come back unchanged; a PyTorch tensor leaves its device with
    ``.detach().cpu()``, a CuPy array with ``.get()``; other Array-API arrays go through
    ``numpy.asarray`` or, when that refuses (array-api-strict off its CPU device), DLPack.
    Anything else (lists, scalars, data frames) goes to ``numpy.asarray``.
    """
    if isinstance(array, np.ndarray):
        return array
    if is_torch_array(array):
        return array.detach().cpu().numpy()
    if is_cupy_array(array):
        return array.get()
    if not is_array_api_obj(array):
        return np.asarray(array)
    try:
        return np.asarray(array)
    except (TypeError, RuntimeError, ValueError):
        return np.from_dlpack(array)


def move_to(array: Any, xp: Any, device: Any = None) -> Any:
    """``array`` in the namespace ``xp`` on ``device``; unchanged when it already is.

    Between libraries the values pass through NumPy (host memory), so this is for data
    and parameters moved once, never for a per-minibatch step.
    """
    if xp is np and isinstance(array, np.ndarray):
        return array
    if is_array_api_obj(array) and namespace(array) is xp:
        return array if device is None or device_of(array) == device else _to_device(array, device)
    kw = {} if device is None else {"device": device}
    return xp.asarray(to_numpy(array), **kw)


def _to_device(array: Any, device: Any) -> Any:
    from array_api_compat import to_device

    return to_device(array, device)
