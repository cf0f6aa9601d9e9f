"""Training: optimizers, learning-rate schedules, callbacks and the Trainer loop.

Imports the math core; never the interfaces (estimators, files, CLI, plots).
"""

from lucidnet.training.callbacks import (
    Callback,
    EarlyStopping,
    EpochTable,
    GradientNormRecorder,
    HistoryLogger,
    ModelCheckpoint,
    ProgressBar,
    TerminateOnNaN,
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
