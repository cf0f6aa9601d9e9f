"""The checks that turn a network's description into its architecture.

``layer_sizes`` [n0, ..., nL], the activation of every layer 1..L (the last one an output
with its canonical loss) and the dtype: :class:`~lucidnet.core.network.Network` and
:class:`~lucidnet.core.ensemble.Ensemble` are built from what these return, and every
mistake is named here, before any weight exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lucidnet.core.losses import output_names

__all__ = ["check_dtype", "check_layer_sizes", "layer_activations"]


def check_layer_sizes(layer_sizes: Sequence[int]) -> list[int]:
    """n = [n0, ..., nL] as ints: at least two widths, each ≥ 1 (L ≥ 1 layers with weights)."""
    try:
        n = [int(s) for s in layer_sizes]
    except (TypeError, ValueError):
        raise TypeError(
            f"layer_sizes must be a sequence of ints [n0, n1, ..., nL]; got {layer_sizes!r}."
        ) from None
    if len(n) < 2 or any(s < 1 for s in n) or any(int(s) != s for s in layer_sizes):
        raise ValueError(
            "layer_sizes must list at least two positive widths [n0, ..., nL]; "
            f"got {list(layer_sizes)}."
        )
    return n


def layer_activations(
    L: int, hidden: str, output: str, activations: Sequence[str] | None
) -> list[str]:
    """The names of g[1..L]: ``activations`` checked, or ``hidden`` L−1 times then ``output``."""
    if activations is None:
        return [hidden] * (L - 1) + [output]
    names = [activations] if isinstance(activations, str) else list(activations)
    if len(names) != L:
        raise ValueError(
            f"activations must give one name per layer 1..L = {L} (the last is the output); "
            f"got {len(names)}: {names}."
        )
    if names[-1] not in output_names():
        raise ValueError(
            f"The last entry of activations is the output layer and must be one of "
            f"{output_names()}; got {names[-1]!r}."
        )
    return names


def check_dtype(dtype: Any) -> Any:
    """The NumPy scalar type of ``dtype``, which must be float32 or float64."""
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64; got {dt}.")
    return dt.type
