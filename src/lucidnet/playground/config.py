"""The page's settings, checked field by field before anything is built from them.

A page sends its whole setup as one JSON object (the same one it keeps in its URL). Every
field has a type and bounds; a value outside them gets a :class:`ConfigError` whose
message names the field, what it got and what it takes, in the one template that
scikit-learn's parameter checks use.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from lucidnet.playground.datasets import DATASETS

__all__ = [
    "ACTIVATIONS",
    "FEATURES",
    "MAX_LAYERS",
    "MAX_UNITS",
    "OPTIMIZERS",
    "OUTPUTS",
    "Config",
    "ConfigError",
    "parse_config",
]

MAX_LAYERS = 6
MAX_UNITS = 8
FEATURES = ("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2")
ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu", "leaky_relu")
OUTPUTS = ("sigmoid", "softmax", "identity")
OPTIMIZERS = ("sgd", "adam")
DATASET_NAMES = (*DATASETS, "csv")

# the fields that, when changed, need new data or a new network (the others apply live)
DATA_FIELDS = ("dataset", "noise", "trainRatio", "dataSeed", "points")
NETWORK_FIELDS = ("features", "hidden", "activation", "output", "seed")


class ConfigError(ValueError):
    """A setting the playground will not use; the message says which and why."""


@dataclass
class Config:
    """One page's setup; the JSON names are the attribute names."""

    dataset: str = "circle"
    noise: float = 0.0
    trainRatio: float = 0.5
    dataSeed: int = 0
    points: int = 400
    features: list[str] = field(default_factory=lambda: ["x1", "x2"])
    hidden: list[int] = field(default_factory=lambda: [4, 2])
    activation: str = "tanh"
    output: str = "sigmoid"
    optimizer: str = "sgd"
    learningRate: float = 0.03
    batchSize: int = 10
    l2: float = 0.0
    dropout: float = 0.0
    seed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _error(key: str, expected: str, value: Any) -> ConfigError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return ConfigError(f"The '{key}' setting must be {expected}. Got {shown} instead.")


def _real(d: dict[str, Any], key: str, low: float, high: float) -> float:
    value = d[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _error(key, f"a number in [{low:g}, {high:g}]", value)
    if not (math.isfinite(value) and low <= value <= high):
        raise _error(key, f"a number in [{low:g}, {high:g}]", value)
    return float(value)


def _int(d: dict[str, Any], key: str, low: int, high: int) -> int:
    value = d[key]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _error(key, f"an integer in [{low}, {high}]", value)
    return value


def _choice(d: dict[str, Any], key: str, choices: tuple[str, ...]) -> str:
    value = d[key]
    if not isinstance(value, str) or value not in choices:
        raise _error(key, "one of " + ", ".join(repr(c) for c in choices), value)
    return value


def parse_config(message: Any) -> Config:
    """A :class:`Config` from a JSON object, missing fields taking their defaults.

    Raises
    ------
    ConfigError
        For an unknown field, a wrong type or a value out of bounds.
    """
    if not isinstance(message, dict):
        raise ConfigError(f"The settings must be a JSON object; got {type(message).__name__}.")
    defaults = Config().as_dict()
    unknown = sorted(set(message) - set(defaults))
    if unknown:
        raise ConfigError(f"Unknown setting(s) {unknown[:5]}; known: {', '.join(defaults)}.")
    d = {**defaults, **message}
    features = d["features"]
    if (
        not isinstance(features, list)
        or not features
        or any(not isinstance(f, str) or f not in FEATURES for f in features)
        or len(set(features)) != len(features)
    ):
        raise _error("features", f"a non-empty list of distinct names from {FEATURES}", features)
    hidden = d["hidden"]
    if not isinstance(hidden, list) or len(hidden) > MAX_LAYERS:
        raise _error("hidden", f"a list of at most {MAX_LAYERS} layer widths", hidden)
    for width in hidden:
        if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= MAX_UNITS:
            raise _error("hidden", f"a list of widths, each an integer in [1, {MAX_UNITS}]", hidden)
    return Config(
        dataset=_choice(d, "dataset", DATASET_NAMES),
        noise=_real(d, "noise", 0.0, 0.5),
        trainRatio=_real(d, "trainRatio", 0.1, 0.9),
        dataSeed=_int(d, "dataSeed", 0, 2**31 - 1),
        points=_int(d, "points", 50, 2000),
        features=[f for f in FEATURES if f in features],  # the lecture's order, always
        hidden=list(hidden),
        activation=_choice(d, "activation", ACTIVATIONS),
        output=_choice(d, "output", OUTPUTS),
        optimizer=_choice(d, "optimizer", OPTIMIZERS),
        learningRate=_real(d, "learningRate", 1e-5, 10.0),
        batchSize=_int(d, "batchSize", 1, 2000),
        l2=_real(d, "l2", 0.0, 10.0),
        dropout=_real(d, "dropout", 0.0, 0.9),
        seed=_int(d, "seed", 0, 2**31 - 1),
    )
