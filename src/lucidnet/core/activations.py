"""Activations g and their derivatives g′ (docs/MATH.md §3), as a small registry.

Each activation is an :class:`Activation` object: ``g(Z)`` applies it element by element
and ``g.prime(Z, A)`` returns g′(Z). ``A = g(Z)`` is passed too, so that σ′ = A(1 − A)
and tanh′ = 1 − A² reuse the forward values instead of recomputing exponentials.

Every function is written against the Array-API namespace of its argument and is stable
for |z| up to 1e4 in float32 and float64 (no overflow, no warnings).

A user-defined pair is registered by name with :func:`register_activation`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lucidnet.core.arrays import namespace

__all__ = [
    "LEAKY_SLOPE",
    "Activation",
    "activation_names",
    "get_activation",
    "register_activation",
    "sigmoid",
]

Array = Any
LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """An element-wise activation g with its derivative g′.

    Parameters
    ----------
    name : str
        The registry key ("relu", "tanh", ...).
    fn : callable
        ``fn(Z) -> A``, applied element by element; shape preserved.
    derivative : callable
        ``derivative(Z, A) -> g′(Z)``, element by element; ``A = fn(Z)``.
    init : {"he", "glorot"}
        The weight initialisation suited to this activation (see ``lucidnet.core.init``).
    overwrite : callable, optional
        ``overwrite(Z) -> g(Z)`` that may reuse Z's memory (NumPy only); used where Z is
        not needed afterwards (prediction).
    """

    name: str
    fn: Callable[[Array], Array]
    derivative: Callable[[Array, Array], Array]
    init: str = "glorot"
    overwrite: Callable[[Array], Array] | None = None

    def __call__(self, Z: Array) -> Array:
        """A = g(Z), element by element."""
        return self.fn(Z)

    def in_place(self, Z: Array) -> Array:
        """g(Z), reusing Z's memory where the array library allows (Z is overwritten).

        Only for a Z that nothing else needs: a fresh allocation per layer is what makes
        prediction on large blocks slow, and this avoids one.
        """
        if self.overwrite is not None and namespace(Z) is np:
            return self.overwrite(Z)
        return self.fn(Z)

    def prime(self, Z: Array, A: Array) -> Array:
        """g′(Z), element by element (``A = g(Z)`` from the forward pass)."""
        return self.derivative(Z, A)

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


def _identity(Z: Array) -> Array:
    return Z


def _identity_prime(Z: Array, A: Array) -> Array:
    return namespace(Z).ones_like(Z)


def sigmoid(Z: Array) -> Array:
    """σ(Z) = 1 / (1 + e^(−Z)), computed without overflow.

    Notes
    -----
    With e = exp(−|Z|) ≤ 1: σ(Z) = 1 / (1 + e) where Z ≥ 0 and e / (1 + e) where Z < 0.
    """
    xp = namespace(Z)
    e = xp.exp(-xp.abs(Z))
    return xp.where(Z >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid_prime(Z: Array, A: Array) -> Array:
    # σ′(z) = σ(z)(1 − σ(z))
    return A * (1 - A)


def _tanh(Z: Array) -> Array:
    return namespace(Z).tanh(Z)


def _tanh_prime(Z: Array, A: Array) -> Array:
    # tanh′(z) = 1 − tanh²(z)
    return 1 - A * A


def _relu(Z: Array) -> Array:
    # max(z, 0)
    return namespace(Z).maximum(Z, 0.0)


def _relu_prime(Z: Array, A: Array) -> Array:
    # 1 if z > 0 else 0
    xp = namespace(Z)
    return xp.astype(Z > 0, Z.dtype)


def _leaky_relu(Z: Array) -> Array:
    # z if z > 0 else 0.01·z, which is max(z, 0.01·z) because the slope is below 1
    return namespace(Z).maximum(Z, LEAKY_SLOPE * Z)


def _leaky_relu_prime(Z: Array, A: Array) -> Array:
    # 1 if z > 0 else 0.01
    xp = namespace(Z)
    return xp.where(Z > 0, xp.ones_like(Z), xp.full_like(Z, LEAKY_SLOPE))


def _prime_of_z(g_prime: Callable[[Array], Array], Z: Array, A: Array) -> Array:
    """A user's g′(Z) in the (Z, A) form; a partial of it pickles where a lambda would not."""
    return g_prime(Z)


def _tanh_overwrite(Z: np.ndarray) -> np.ndarray:
    return np.tanh(Z, out=Z)


def _relu_overwrite(Z: np.ndarray) -> np.ndarray:
    return np.maximum(Z, 0, out=Z)


_REGISTRY: dict[str, Activation] = {}


def register_activation(
    name: str,
    g: Callable[[Array], Array],
    g_prime: Callable[[Array], Array],
    *,
    init: str = "glorot",
    overwrite: bool = False,
) -> Activation:
    """Register a user-defined activation pair (g, g′) under ``name``.

    Parameters
    ----------
    name : str
        The name to use in ``Network(..., hidden_activation=name)``.
    g, g_prime : callable
        Element-wise functions of one array ``Z`` (shape preserved); ``g_prime`` is the
        derivative of ``g``. Write them with the array's own namespace (``Z.__array_namespace__()``
        or NumPy for NumPy arrays) to keep other array libraries working.
    init : {"he", "glorot"}, default="glorot"
        Weight initialisation for layers using this activation.
    overwrite : bool, default=False
        Allow replacing an existing registration (built-ins can never be replaced).

    Returns
    -------
    Activation
        The registered activation. Check it with ``lucidnet.check_gradients``.

    Examples
    --------
    >>> import numpy as np
    >>> from lucidnet import register_activation
    >>> from lucidnet.core.activations import sigmoid
    >>> softplus = register_activation(
    ...     "softplus", lambda z: np.logaddexp(0, z), sigmoid, overwrite=True)
    >>> softplus
    Activation('softplus')
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"The activation name must be a non-empty string. Got {name!r} instead.")
    if not callable(g) or not callable(g_prime):
        raise TypeError(
            f"register_activation({name!r}, g, g_prime) needs two callables, g(Z) and g′(Z)."
        )
    if init not in ("he", "glorot"):
        raise ValueError(f"init must be 'he' or 'glorot'. Got {init!r} instead.")
    if name in _BUILTIN_NAMES or name in _OUTPUT_ONLY:
        raise ValueError(f"{name!r} is a built-in activation and cannot be replaced.")
    if name in _REGISTRY and not overwrite:
        raise ValueError(
            f"An activation named {name!r} is already registered; "
            "pass overwrite=True to replace it."
        )
    activation = Activation(name, g, functools.partial(_prime_of_z, g_prime), init=init)
    _REGISTRY[name] = activation
    return activation


def get_activation(name: str | Activation) -> Activation:
    """Look up a hidden-layer activation by name.

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    """
    if isinstance(name, Activation):
        return name
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        hint = ""
        if isinstance(name, str) and name in _OUTPUT_ONLY:
            hint = f" {name!r} is an output (see lucidnet.core.losses), not a hidden activation."
        raise ValueError(
            f"Unknown activation {name!r}. Known activations: {', '.join(activation_names())}; "
            f"register your own with lucidnet.register_activation.{hint}"
        ) from None


def activation_names() -> list[str]:
    """The registered activation names, built-ins first."""
    return list(_REGISTRY)


for _act in (
    # The NumPy-only ``overwrite`` forms (``out=``) serve prediction; training keeps Z[l].
    Activation("identity", _identity, _identity_prime, init="glorot", overwrite=_identity),
    Activation("sigmoid", sigmoid, _sigmoid_prime, init="glorot"),
    Activation("tanh", _tanh, _tanh_prime, init="glorot", overwrite=_tanh_overwrite),
    Activation("relu", _relu, _relu_prime, init="he", overwrite=_relu_overwrite),
    Activation("leaky_relu", _leaky_relu, _leaky_relu_prime, init="he"),
):
    _REGISTRY[_act.name] = _act
_BUILTIN_NAMES = frozenset(_REGISTRY)
_OUTPUT_ONLY = frozenset({"softmax"})
