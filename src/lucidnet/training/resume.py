"""Resuming a run bit for bit: the trainer's whole state as a dict, and back.

:meth:`Trainer.state_dict` and :meth:`Trainer.load_state_dict` call these. The state
holds copies of the arrays (training updates the parameters in place, so a reference would
change with it); :func:`lucidnet.training.save_state` writes it to a ``.safetensors`` file
and :func:`lucidnet.training.load_state` reads it back as NumPy arrays, which
:func:`load_trainer_state` moves into the network's namespace, dtype and device.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from lucidnet.core.arrays import device_of, namespace, to_numpy
from lucidnet.core.network import Network
from lucidnet.core.parameters import set_parameters
from lucidnet.training.history import History

if TYPE_CHECKING:
    from lucidnet.training.loop import Trainer

__all__ = ["load_trainer_state", "trainer_state"]

Array = Any


def trainer_state(trainer: Trainer) -> dict[str, Any]:
    """Everything a bit-identical resume needs (see :meth:`Trainer.state_dict`)."""
    return {
        "format": "lucidnet.Trainer",
        "version": 1,
        "layer_sizes": list(trainer.net.n),
        "activations": trainer.net.activation_names,
        "weights": [_copy(a) for a in trainer._training_params()],
        "best_weights": trainer._best_weights,
        "optimizer": trainer.optimizer.state_dict(),
        "schedule": trainer.schedule.state_dict(),
        "rng": trainer.rng.bit_generator.state,
        "split_seed": trainer._split_seed,
        "epoch": trainer.epoch,
        "t": trainer.t,
        "n_batches": trainer.n_batches,
        "learning_rate_": trainer.learning_rate_,
        "best_epoch": trainer.best_epoch,
        "best_score": trainer.best_score,
        "best_value": trainer._best_value,
        "monitor": trainer._monitor,
        "stop_reason": trainer.stop_reason,
        "history": trainer.history.to_dict(),
        "callbacks": [
            {"class": type(cb).__name__, "state": cb.state_dict()} for cb in trainer.callbacks
        ],
    }


def load_trainer_state(trainer: Trainer, state: dict[str, Any]) -> None:
    """Continue from :func:`trainer_state` (see :meth:`Trainer.load_state_dict`)."""
    net = trainer.net
    if (
        list(state["layer_sizes"]) != list(net.n)
        or list(state["activations"]) != net.activation_names
    ):
        raise ValueError(
            f"The state is for a network {state['layer_sizes']} with activations "
            f"{state['activations']}, but this trainer's network is {net.n} with "
            f"{net.activation_names}; build the same network to resume."
        )
    convert = _converter(net)
    set_parameters(net, [convert(a) for a in state["weights"]])
    trainer._restored = None
    best = state["best_weights"]
    trainer._best_weights = None if best is None else [convert(a) for a in best]
    trainer.optimizer.load_state_dict(_map_arrays(state["optimizer"], convert))
    trainer.schedule.load_state_dict(state["schedule"])
    trainer.rng.bit_generator.state = state["rng"]
    trainer._split_seed = int(state["split_seed"])
    trainer.epoch, trainer.t, trainer.n_batches = state["epoch"], state["t"], state["n_batches"]
    trainer.learning_rate_ = state["learning_rate_"]
    trainer.best_epoch, trainer.best_score = state["best_epoch"], state["best_score"]
    trainer._best_value = state["best_value"]
    trainer._monitor = state["monitor"]
    trainer.stop_reason = state["stop_reason"]
    trainer.history = History.from_dict(state["history"])
    saved: dict[str, list[dict[str, Any]]] = {}
    for entry in state["callbacks"]:
        saved.setdefault(entry["class"], []).append(entry["state"])
    for cb in trainer.callbacks:
        queue = saved.get(type(cb).__name__)
        if queue:
            cb.load_state_dict(_map_arrays(queue.pop(0), convert))


def _converter(net: Network) -> Callable[[Array], Array]:
    """Arrays loaded from disk (NumPy) into the network's namespace and dtype."""
    xp = namespace(net.W[1])
    dtype = net.W[1].dtype
    if xp is np:
        return lambda a: np.asarray(a, dtype=dtype)
    device = device_of(net.W[1])
    return lambda a: xp.asarray(to_numpy(a), dtype=dtype, device=device)


def _map_arrays(value: Any, fn: Callable[[Array], Array]) -> Any:
    if isinstance(value, dict):
        return {k: _map_arrays(v, fn) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_map_arrays(v, fn) for v in value]
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return fn(value)
    return value


def _copy(a: Array) -> Array:
    return namespace(a).asarray(a, copy=True)
