"""Training: minibatch gradient descent and (later) optimizers, schedules and callbacks.

Imports the math core; never the interfaces (estimators, files, CLI, plots).
"""

from lucidnet.training.minibatch import minibatch_gd, minibatches, targets_as_columns

__all__ = ["minibatch_gd", "minibatches", "targets_as_columns"]
