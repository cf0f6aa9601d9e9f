"""solver="lbfgs": full-batch L-BFGS instead of the minibatch Trainer.

The math lives in :mod:`lucidnet.training.lbfgs`; the :class:`LBFGS` solver translates
the estimator's parameters (``max_iter``, ``max_fun``, ``tol``, ``alpha``,
``class_weight``) and sets the fitted attributes scikit-learn users expect.
``lucidnet.dask`` runs the same solver with an objective computed on the cluster
(:meth:`LBFGS.run`).
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from lucidnet.core.network import Network
from lucidnet.estimators.solver import Rows, Solver
from lucidnet.training.data import class_weights, row_classes
from lucidnet.training.history import History
from lucidnet.training.lbfgs import loss_grad, minimize_lbfgs

__all__ = ["LBFGS", "Objective"]

Objective = Callable[[Network], tuple[float, np.ndarray]]


class LBFGS(Solver):
    """Full-batch L-BFGS (SciPy's L-BFGS-B) on the whole data set's cost.

    Refuses ``engine="jax"``, ``resume_from``, ``dropout`` and ``callbacks`` (all belong
    to minibatch training) and has no ``partial_fit``. Sets ``n_iter_`` (L-BFGS
    iterations), ``loss_`` (the final J), ``loss_curve_`` (J after every iteration;
    scikit-learn leaves it unset for lbfgs), ``best_loss_``, ``history_`` (one record
    per iteration: loss, and val_loss / val_score with validation data), ``t_``
    (examples processed: n_samples × cost evaluations), ``validation_scores_`` and
    ``best_validation_score_``; warns with a ConvergenceWarning, in scikit-learn's
    words, when L-BFGS stops before converging.
    """

    name = "lbfgs"
    incremental = False

    def refuse(self, est: Any, *, xp: Any = np, resume_from: Any = None) -> None:
        self.refuse_jax_engine(est, "solver='lbfgs' (SciPy's, on NumPy)")
        if resume_from is not None:
            raise ValueError(
                "resume_from continues a minibatch run; solver='lbfgs' keeps no training "
                "state. Fit again (warm_start=True starts from the current weights)."
            )
        self.refuse_stochastic_only(est)

    @staticmethod
    def refuse_stochastic_only(est: Any) -> None:
        """Raise a ValueError for the options that only a minibatch solver can honour."""
        if est.dropout is not None:
            raise ValueError(
                "dropout needs a stochastic solver: full-batch L-BFGS minimises one fixed "
                "cost. Use solver='adam' (or 'sgd', 'adamw'), or set dropout=None."
            )
        if est.callbacks:
            raise ValueError(
                "callbacks run inside the minibatch Trainer; solver='lbfgs' does not use it. "
                "Use solver='adam' (or 'sgd', 'adamw'), or set callbacks=None."
            )

    def fit(self, est: Any, rows: Rows, *, seed: int, incremental: bool, resume_from: Any) -> None:
        X, Y, dtype, s = rows.X, rows.Y, rows.dtype, rows.sample_weight
        if est._is_classifier and getattr(est, "class_weight", None) is not None:
            n_out = Y.shape[1]
            per_row = class_weights(
                est._class_weight_indices(), row_classes(Y), n_out if n_out > 1 else 2
            ).astype(dtype)
            s = per_row if s is None else s * per_row
        validation = None
        if rows.validation_data is not None:
            validation = est._validation_arrays(rows.validation_data, dtype)
        alpha = float(est.alpha)

        def objective(net: Network) -> tuple[float, np.ndarray]:
            return loss_grad(net, X, Y, s, alpha, None)

        self.run(est, objective, n_samples=X.shape[0], validation=validation)

    def run(
        self,
        est: Any,
        objective: Objective,
        *,
        n_samples: int,
        validation: tuple[Any, ...] | None = None,
        callback: Callable[[int, float], None] | None = None,
    ) -> None:
        """Minimise ``objective`` from ``est.network_`` and set the fitted attributes."""
        net = est.network_
        history = History()
        start = [time.perf_counter()]

        def on_iteration(iteration: int, J: float) -> None:
            J /= net.K  # per network: the mean of the members' own losses
            now = time.perf_counter()
            record: dict[str, Any] = {"epoch": iteration, "loss": J}
            if validation is not None:
                record.update(_evaluate(est, net, validation))
            record["seconds"] = now - start[0]
            start[0] = now
            history.append(record)
            if est.verbose:
                print(f"Iteration {iteration}, loss = {J:.8f}")
            if callback is not None:
                callback(iteration, J)

        try:
            result = minimize_lbfgs(
                net,
                objective,
                max_iter=int(est.max_iter),
                max_fun=int(est.max_fun),
                tol=float(est.tol),
                callback=on_iteration,
            )
        except Exception as error:
            # network_ holds the last accepted iterate: the attributes say so, then raise.
            stopped = getattr(error, "lbfgs_result", None)
            if stopped is not None:
                self.fitted(est, stopped, history, n_samples, validation)
            raise
        self.fitted(est, result, history, n_samples, validation)
        if result.get("interrupted"):
            print(
                f"Training interrupted (KeyboardInterrupt): L-BFGS stopped cleanly after "
                f"{est.n_iter_} iteration(s) and kept the last accepted weights; fit again "
                "with warm_start=True to continue.",
                file=sys.stderr,
            )
            return
        if result.status != 0:
            message = (
                f"lbfgs failed to converge after {est.n_iter_} iteration(s) "
                f"(status={result.status}):\n{result.message}\n"
            )
            if est.n_iter_ == est.max_iter:
                message += (
                    f"\nIncrease the number of iterations to improve the convergence "
                    f"(max_iter={est.max_iter})."
                )
            message += (
                "\nYou might also want to scale the data as shown in:\n"
                "    https://scikit-learn.org/stable/modules/preprocessing.html"
            )
            warnings.warn(message, ConvergenceWarning, stacklevel=5)

    def fitted(
        self, est: Any, result: Any, history: History, n_samples: int, validation: Any
    ) -> None:
        """The fitted attributes from ``result``: the iterations up to the one
        ``network_`` holds.

        ``history`` may hold one record more than ``result.loss_curve`` (an iteration
        whose callback ran but that a Ctrl-C or an error stopped before it was
        accepted): it is cut.
        """
        n_iter = len(result["loss_curve"])
        est.history_ = History(history.records[:n_iter])
        est.loss_curve_ = [float(r["loss"]) for r in est.history_.records]
        est.loss_ = float(result.fun) / est.network_.K
        est.best_loss_ = min([est.loss_, *est.loss_curve_])
        est.n_iter_ = min(int(result.nit), int(est.max_iter))
        est.t_ = n_samples * int(result.nfev)
        self.network_attributes(est)
        if validation is not None and est.history_.records:
            est.validation_scores_ = [float(v) for v in est.history_["val_score"]]
            est.best_validation_score_ = max(est.validation_scores_)
        else:
            est.validation_scores_ = None
            est.best_validation_score_ = None


def _evaluate(est: Any, net: Network, validation: tuple[Any, ...]) -> dict[str, float]:
    """val_loss (no penalty) and val_score on the validation rows, at net's parameters."""
    X_val, Y_val = validation[0], validation[1]
    s_val = validation[2] if len(validation) == 3 else None
    cache = net.forward(X_val.T)
    val_loss = float(net.cost(cache, Y_val.T, 0.0, sample_weight=s_val)) / net.K
    return {
        "val_loss": float(val_loss),
        "val_score": float(est._validation_score(Y_val, cache.A[net.L].T)),
    }
