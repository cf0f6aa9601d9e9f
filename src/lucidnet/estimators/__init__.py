"""scikit-learn estimators built on the core network and the training loop.

``MLPClassifier`` and ``MLPRegressor`` translate scikit-learn's words into the lecture's
objects (``Network``, ``Trainer``) and back. The ``solver`` parameter picks one object of
the solver registry (``lucidnet.estimators.solvers``): minibatch training or full-batch
L-BFGS, each owning its refusals and its fitted attributes.

Other packages use the estimators only through their public methods: ``prepare_fit`` (a
fresh, untrained network for given data shapes and classes), ``encode_targets``, the
fitted ``trainer_``, ``target_type_``; ``estimator_info`` / ``estimator_from_info`` for
the model file, ``estimator_graph`` for ONNX export, and ``fit_and_refit``
(``lucidnet.estimators.refit``): the epochs chosen on held-out rows, then a refit on
every row.

May import: ``lucidnet.core``, ``lucidnet.io``, ``lucidnet.training``, scikit-learn.
"""

from typing import TYPE_CHECKING

from lucidnet._lazy import attach

if TYPE_CHECKING:
    from lucidnet.estimators._base import BaseMLP
    from lucidnet.estimators._members import PREDICT_BLOCK
    from lucidnet.estimators.classifier import MLPClassifier
    from lucidnet.estimators.modelinfo import estimator_from_info, estimator_graph, estimator_info
    from lucidnet.estimators.regressor import MLPRegressor

__all__ = [
    "PREDICT_BLOCK",
    "BaseMLP",
    "MLPClassifier",
    "MLPRegressor",
    "estimator_from_info",
    "estimator_graph",
    "estimator_info",
]

if not TYPE_CHECKING:  # type checkers read the imports above
    __getattr__, __dir__ = attach(
        __name__,
        {
            "lucidnet.estimators._base": ("BaseMLP",),
            "lucidnet.estimators._members": ("PREDICT_BLOCK",),
            "lucidnet.estimators.classifier": ("MLPClassifier",),
            "lucidnet.estimators.modelinfo": (
                "estimator_from_info",
                "estimator_graph",
                "estimator_info",
            ),
            "lucidnet.estimators.regressor": ("MLPRegressor",),
        },
    )
