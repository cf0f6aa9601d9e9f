"""Which Array-API namespace a computation runs in.

The core never imports NumPy for its math: every function asks the arrays it is given
for their namespace ``xp`` and calls ``xp.exp``, ``xp.where``, ``xp.sum``... so the same
lecture code runs on NumPy, array-api-strict, PyTorch or CuPy arrays.

NumPy (>= 2.1) implements the standard itself, so NumPy arrays take a fast path that
skips array-api-compat's wrapper (about 20 µs a call, which would dominate small
minibatches).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from array_api_compat import array_namespace

__all__ = ["namespace"]


def namespace(*arrays: Any) -> Any:
    """Return the Array-API namespace shared by ``arrays`` (``numpy`` for NumPy arrays).

    Raises
    ------
    TypeError
        When the arrays come from different libraries (array-api-compat's message).
    """
    if all(type(a) is np.ndarray for a in arrays):
        return np
    return array_namespace(*arrays)
