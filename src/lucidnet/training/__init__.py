"""Training: turning a ``Network`` into a trained one, by minibatches or by L-BFGS.

The ``Trainer`` runs the epoch loop (``loop``): one minibatch step (``step``) written
once and run by two engines (``engines``: NumPy, ``jax_engine``: JAX), with an optimizer
(``optimizers``: SGD, Adam, AdamW, all stepping the core's one parameter vector θ), a
learning-rate schedule (``schedules``) and callbacks (``callbacks``: early stopping,
checkpoints, progress; ``progress``: the command line's
line with the time left); it checks and holds out its data (``data``, ``validation``),
stops cleanly on divergence or Ctrl-C (``faults``), keeps where training stands in one
``TrainState`` (``train_state``) and resumes bit for bit from its dict (``state``: the
file on disk); ``lbfgs`` is
full-batch L-BFGS over row blocks, and ``checks`` gives every parameter error one
sentence. May import ``lucidnet.core`` and ``lucidnet.io`` (atomic file writes); never
the interfaces above it (estimators, tables, Dask, plots, CLI).
"""

from typing import TYPE_CHECKING

from lucidnet._lazy import attach

if TYPE_CHECKING:
    from lucidnet.training.callbacks import (
        Callback,
        EarlyStopping,
        EpochTable,
        GradientNormRecorder,
        HistoryLogger,
        ModelCheckpoint,
        ProgressBar,
        TerminateOnNaN,
        TimeLimit,
    )
    from lucidnet.training.history import History
    from lucidnet.training.loop import Trainer
    from lucidnet.training.minibatch import minibatch_gd, minibatches, targets_as_columns
    from lucidnet.training.optimizers import (
        SGD,
        Adam,
        AdamW,
        Optimizer,
        clip_by_global_norm,
        get_optimizer,
        optimizer_names,
    )
    from lucidnet.training.progress import FitProgress
    from lucidnet.training.schedules import (
        Constant,
        Cosine,
        InverseScaling,
        ReduceOnPlateau,
        Schedule,
        StepDecay,
        get_schedule,
        schedule_names,
    )
    from lucidnet.training.state import load_state, save_state

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "Callback",
    "Constant",
    "Cosine",
    "EarlyStopping",
    "EpochTable",
    "FitProgress",
    "GradientNormRecorder",
    "History",
    "HistoryLogger",
    "InverseScaling",
    "ModelCheckpoint",
    "Optimizer",
    "ProgressBar",
    "ReduceOnPlateau",
    "Schedule",
    "StepDecay",
    "TerminateOnNaN",
    "TimeLimit",
    "Trainer",
    "clip_by_global_norm",
    "get_optimizer",
    "get_schedule",
    "load_state",
    "minibatch_gd",
    "minibatches",
    "optimizer_names",
    "save_state",
    "schedule_names",
    "targets_as_columns",
]

if not TYPE_CHECKING:  # type checkers read the imports above
    __getattr__, __dir__ = attach(
        __name__,
        {
            "lucidnet.training.callbacks": (
                "Callback",
                "EarlyStopping",
                "EpochTable",
                "GradientNormRecorder",
                "HistoryLogger",
                "ModelCheckpoint",
                "ProgressBar",
                "TerminateOnNaN",
                "TimeLimit",
            ),
            "lucidnet.training.history": ("History",),
            "lucidnet.training.progress": ("FitProgress",),
            "lucidnet.training.loop": ("Trainer",),
            "lucidnet.training.minibatch": ("minibatch_gd", "minibatches", "targets_as_columns"),
            "lucidnet.training.optimizers": (
                "SGD",
                "Adam",
                "AdamW",
                "Optimizer",
                "clip_by_global_norm",
                "get_optimizer",
                "optimizer_names",
            ),
            "lucidnet.training.schedules": (
                "Constant",
                "Cosine",
                "InverseScaling",
                "ReduceOnPlateau",
                "Schedule",
                "StepDecay",
                "get_schedule",
                "schedule_names",
            ),
            "lucidnet.training.state": ("load_state", "save_state"),
        },
    )
