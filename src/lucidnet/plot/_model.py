"""One view of "a model" for the pictures: a fitted lucidnet estimator or a bare Network.

The estimators are duck-typed: anything with ``network_`` (a fitted
:class:`~lucidnet.core.network.Network`) counts, and its ``predict_proba``, ``transform``,
``head_``, ``classes_`` and ``feature_names_in_`` are used when present. A bare Network
is a classifier when its output is one sigmoid unit (classes 0, 1) or a softmax
(classes 0..n[L]−1); the inputs go straight in as ``A0 = X.T``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lucidnet.core.network import Cache, Network

__all__ = ["Model", "as_model", "class_indices", "network_proba"]


def network_proba(net: Network, A0: Any) -> np.ndarray:
    """Class probabilities of shape (B, K) from a classifier network's A[L] (n[L], B).

    One sigmoid unit gives the two columns [1 − p, p]; a softmax gives A[L].T.
    """
    AL = np.asarray(net.predict_output(A0), dtype=float)
    if net.output.name == "sigmoid" and net.n[net.L] == 1:
        return np.column_stack([1.0 - AL[0], AL[0]])
    if net.output.name == "softmax":
        return AL.T
    raise ValueError(
        "This picture needs a classifier: a network whose output is one sigmoid unit or a "
        f"softmax; got output {net.output.name!r} with n[L] = {net.n[net.L]} unit(s)."
    )


def _network_classes(net: Network) -> np.ndarray | None:
    if net.output.name == "sigmoid" and net.n[net.L] == 1:
        return np.arange(2)
    if net.output.name == "softmax":
        return np.arange(net.n[net.L])
    return None


def _estimator_classes(net: Network, classes: Any) -> np.ndarray | None:
    """``classes_`` for a single-label classifier; None for a regressor or multilabel output."""
    if _network_classes(net) is None:
        return None
    return _network_classes(net) if classes is None else np.asarray(classes)


@dataclass(frozen=True)
class Model:
    """What the pictures need from a model, whatever it came as.

    Attributes
    ----------
    network : Network
        The fitted network.
    head : Network or None
        Its last layer as a one-layer network: ŷ = g[L](W[L] φ + b[L]); None for an
        ensemble, whose members each have their own (``network_.member(k)``).
    classes : array of shape (K,) or None
        The class labels (None for a network that is not a classifier).
    feature_names : list of str or None
    """

    network: Network
    head: Network | None
    classes: np.ndarray | None
    feature_names: list[str] | None
    _proba: Callable[[np.ndarray], Any] | None
    _transform: Callable[[np.ndarray], Any] | None

    def forward(self, X: np.ndarray) -> Cache:
        """The forward pass on X (n_samples, n[0]): Z[l], A[l] with examples as columns."""
        return self.network.forward(np.asarray(X, dtype=float).T)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """φ = A[L-1] as rows, shape (n_samples, n[L-1])."""
        if self._transform is not None:
            return np.asarray(self._transform(X), dtype=float)
        return np.asarray(self.network.feature_map(np.asarray(X, dtype=float).T), dtype=float).T

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities of shape (n_samples, K), one column per entry of ``classes``."""
        if self._proba is None:
            return network_proba(self.network, np.asarray(X, dtype=float).T)
        P = np.asarray(self._proba(X), dtype=float)
        if P.ndim == 1 or P.shape[1] == 1:  # only the positive class was given
            p = P.reshape(-1)
            return np.column_stack([1.0 - p, p])
        return P

    def require_classifier(self) -> np.ndarray:
        """``classes``, or a ValueError saying why this picture needs a classifier."""
        if self.classes is None:
            net = self.network
            raise ValueError(
                "This picture needs a classifier: a network whose output is one sigmoid unit "
                f"or a softmax; got output {net.output.name!r} with n[L] = {net.n[net.L]} "
                "unit(s)."
            )
        return self.classes


def _single_head(net: Network) -> Network | None:
    """The last layer of a single network; None for an ensemble (K members)."""
    return None if net.K > 1 else net.head


def as_model(obj: Any) -> Model:
    """Wrap a Network or a fitted estimator (anything with ``network_``) as a :class:`Model`."""
    if isinstance(obj, Model):
        return obj
    if isinstance(obj, Network):
        return Model(obj, obj.head, _network_classes(obj), None, None, None)
    net = getattr(obj, "network_", None)
    if isinstance(net, Network):
        try:
            head = getattr(obj, "head_", None)
        except ValueError:  # an ensemble has no one head; its probabilities still draw
            head = None
        classes = getattr(obj, "classes_", None)
        names = getattr(obj, "feature_names_in_", None)
        return Model(
            network=net,
            head=head if isinstance(head, Network) else _single_head(net),
            classes=_estimator_classes(net, classes),
            feature_names=None if names is None else [str(s) for s in names],
            _proba=getattr(obj, "predict_proba", None),
            _transform=getattr(obj, "transform", None),
        )
    if hasattr(obj, "fit") and not hasattr(obj, "network_"):
        raise ValueError(
            f"{type(obj).__name__} is not fitted yet (it has no network_); call fit(X, y) first."
        )
    raise TypeError(
        "Expected a lucidnet Network or a fitted lucidnet estimator (with network_); "
        f"got {type(obj).__name__}."
    )


def class_indices(y: Any, classes: np.ndarray) -> np.ndarray:
    """Positions in ``classes`` of the labels ``y``: integers 0..K−1, shape (n_samples,).

    Raises
    ------
    ValueError
        When y holds a label that is not one of ``classes``.
    """
    y = np.asarray(y).reshape(-1)
    order = np.argsort(classes, kind="stable")
    pos = np.clip(np.searchsorted(classes, y, sorter=order), 0, len(classes) - 1)
    idx = order[pos]
    unknown = classes[idx] != y
    if np.any(unknown):
        raise ValueError(
            f"y holds labels {sorted(set(y[unknown].tolist()))[:5]} that are not among the "
            f"model's classes {classes.tolist()}; pass the labels the model was trained on."
        )
    return idx.astype(int)
