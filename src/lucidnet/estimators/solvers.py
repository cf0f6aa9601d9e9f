"""The solver registry: the ``solver`` parameter's values and the objects that train.

``"sgd"``, ``"adam"`` and ``"adamw"`` are minibatch training (:class:`Minibatch`),
``"lbfgs"`` is full-batch L-BFGS (:class:`LBFGS`); ``lucidnet.dask`` registers L-BFGS
on a cluster as one more (:func:`register_solver`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from lucidnet.estimators.lbfgs import LBFGS
from lucidnet.estimators.minibatch import Minibatch
from lucidnet.estimators.solver import Solver

__all__ = ["SOLVERS", "Solver", "has_partial_fit", "register_solver", "solver_of"]

_MINIBATCH = Minibatch()
SOLVERS: dict[str, Solver] = {
    "sgd": _MINIBATCH,
    "adam": _MINIBATCH,
    "adamw": _MINIBATCH,
    "lbfgs": LBFGS(),
}

S = TypeVar("S", bound=Solver)


def register_solver(name: str, solver: S) -> S:
    """Add ``solver`` to the registry under ``name`` (or replace it); returns it."""
    SOLVERS[name] = solver
    return solver


def solver_of(est: Any) -> Solver:
    """The solver object for ``est.solver``."""
    return SOLVERS[est.solver]


def has_partial_fit(est: Any) -> bool:
    """partial_fit exists for the incremental (minibatch) solvers only, as in scikit-learn.

    Used with ``sklearn.utils.metaestimators.available_if``: for solver="lbfgs",
    ``hasattr(est, "partial_fit")`` is False and calling it raises this AttributeError.
    """
    if not solver_of(est).incremental:
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers. {est.solver} is not "
            "stochastic."
        )
    return True
