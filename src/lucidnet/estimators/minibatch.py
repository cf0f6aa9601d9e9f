"""solver="sgd", "adam" or "adamw": minibatch training by the ``Trainer``.

The estimator's parameters become a ``Trainer`` (optimizer, schedule, batch size,
dropout, clipping, early stopping as scikit-learn counts it); the Trainer's history
becomes the fitted attributes scikit-learn users expect.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from lucidnet.estimators._translate import optimizer_kwargs, schedule_kwargs
from lucidnet.estimators.solver import Rows, Solver
from lucidnet.training.callbacks import EarlyStopping
from lucidnet.training.loop import Trainer
from lucidnet.training.optimizers import get_optimizer
from lucidnet.training.schedules import get_schedule
from lucidnet.training.state import load_state

__all__ = ["Minibatch"]


class Minibatch(Solver):
    """Minibatch training (SGD, Adam, AdamW) by the ``Trainer``; ``partial_fit`` works.

    Refuses ``engine="jax"`` on data outside NumPy. Sets ``trainer_``, ``history_``,
    ``loss_curve_``, ``loss_``, ``n_iter_`` (epochs), ``t_`` (examples processed),
    ``validation_scores_``, ``best_validation_score_`` and ``best_loss_`` (None with
    early stopping, as scikit-learn).
    """

    name = "minibatch"
    incremental = True

    def refuse(self, est: Any, *, xp: Any = np, resume_from: Any = None) -> None:
        if xp is not np:
            self.refuse_jax_engine(est, "data or a device outside NumPy")

    def fit(self, est: Any, rows: Rows, *, seed: int, incremental: bool, resume_from: Any) -> None:
        X, Y, dtype, validation_data = rows.X, rows.Y, rows.dtype, rows.validation_data
        if not incremental or not hasattr(est, "trainer_"):
            est.trainer_ = self.trainer(est, X.shape[0], seed)
        if resume_from is not None:
            state = resume_from if isinstance(resume_from, dict) else load_state(resume_from)
            est.trainer_.load_state_dict(state)
        fit_kwargs: dict[str, Any] = {"sample_weight": rows.sample_weight}
        if est._is_classifier and getattr(est, "class_weight", None) is not None:
            fit_kwargs["class_weight"] = est._class_weight_indices()
        if validation_data is not None:
            fit_kwargs["validation_data"] = est._validation_arrays(validation_data, dtype)
        elif est.early_stopping and not incremental:
            fit_kwargs["validation_fraction"] = est.validation_fraction
            fit_kwargs["stratify"] = est._stratify_labels(Y)
        if "validation_data" in fit_kwargs or "validation_fraction" in fit_kwargs:
            fit_kwargs["metrics"] = {"score": est._validation_score}
        epochs = est.trainer_.epoch + 1 if incremental else est.max_iter
        est.trainer_.fit(X, Y, epochs=epochs, **fit_kwargs)
        self.fitted(est, incremental)

    def fitted(self, est: Any, incremental: bool) -> None:
        """The fitted attributes from the Trainer's history (warns as scikit-learn when
        ``max_iter`` epochs ran out)."""
        trainer = est.trainer_
        history = trainer.history
        est.history_ = history
        est.loss_curve_ = [float(v) for v in history["loss"]]
        est.loss_ = est.loss_curve_[-1] if est.loss_curve_ else None
        est.n_iter_ = trainer.epoch
        est.t_ = trainer.t
        self.network_attributes(est)
        has_val = bool(history.records) and "val_score" in history.records[-1]
        if est.early_stopping and has_val:
            est.validation_scores_ = [float(v) for v in history["val_score"]]
            est.best_validation_score_ = max(est.validation_scores_)
            est.best_loss_ = None
        else:
            est.validation_scores_ = [float(v) for v in history["val_score"]] if has_val else None
            est.best_validation_score_ = (
                max(est.validation_scores_) if est.validation_scores_ else None
            )
            est.best_loss_ = min(est.loss_curve_) if est.loss_curve_ else None
        if (
            not incremental
            and not trainer.interrupted
            and trainer.stop_reason is None
            and est.n_iter_ >= est.max_iter
        ):
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=5,
            )

    @staticmethod
    def trainer(est: Any, n_samples: int, seed: int) -> Trainer:
        """The ``Trainer`` for ``est``'s parameters and ``n_samples`` training rows."""
        if est.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if est.batch_size > n_samples:
                warnings.warn(
                    f"Got `batch_size` larger than the sample size ({n_samples}); it is "
                    "clipped to the sample size.",
                    UserWarning,
                    stacklevel=5,
                )
            batch_size = min(est.batch_size, n_samples)
        optimizer, opt_kwargs = optimizer_kwargs(est)
        schedule, sched_kwargs = schedule_kwargs(est)
        callbacks = list(est.callbacks or [])
        if est.n_iter_no_change != np.inf:
            if est.early_stopping:
                monitor, restore = "val_loss", True
            else:
                monitor, restore = "loss", False
            callbacks.append(
                EarlyStopping(
                    monitor=monitor,
                    # scikit-learn stops once more than n_iter_no_change epochs fail
                    patience=int(est.n_iter_no_change) + 1,
                    min_delta=est.tol,
                    restore_best_weights=restore,
                )
            )
        return Trainer(
            est.network_,
            optimizer=get_optimizer(optimizer, **opt_kwargs),
            learning_rate=est.learning_rate_init,
            schedule=get_schedule(schedule, **sched_kwargs),
            batch_size=batch_size,
            alpha=est.alpha,
            dropout=est._dropout_rates(),
            clip_norm=est.clip_norm,
            callbacks=callbacks,
            shuffle=est.shuffle,
            seed=seed,
            verbose=int(est.verbose),
            engine=est.engine,
        )
