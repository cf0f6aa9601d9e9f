"""Choose the number of epochs on held-out rows, then refit on every row for that many.

:func:`fit_and_refit` trains an estimator with early stopping (its own held-out split,
or rows given apart), remembers the best epoch, and trains a fresh copy — same
parameters, same seed — on all the rows for exactly that many epochs, so that no row is
wasted. A time budget covers both phases; when it runs out the best model so far is kept.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from functools import partial
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from lucidnet.training.callbacks import TimeLimit
from lucidnet.training.crossfit import CrossFit, cross_fit_folds, fold_weights

__all__ = [
    "cap_batch_size",
    "fit_and_refit",
    "fit_cross_fitted",
    "fit_within",
    "fold_scorer",
    "sample_rows",
]


def fit_and_refit(
    est: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    sample_weight: np.ndarray | None = None,
    validation_data: tuple[Any, ...] | None = None,
    refit: bool = True,
    time_limit: float | None = None,
    on_selected: Callable[[Any], None] | None = None,
    max_validation_rows: int | None = None,
) -> Any:
    """Fit ``est`` choosing the best epoch on held-out rows, then refit on all rows.

    Parameters
    ----------
    est : MLPClassifier or MLPRegressor
        With ``early_stopping=True`` its ``validation_fraction`` of the rows picks the
        epoch (or ``validation_data``, rows apart from X, when given).
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array of shape (n_samples,), optional
        X's row weights in both phases (the rows of ``validation_data`` weigh 1 in the
        refit); a row of weight 0 trains nothing, but its label is one of the classes.
    validation_data : tuple (X_val, y_val), optional
        Held-out rows apart from X; they also train the refitted model.
    refit : bool
        Train a fresh estimator (same parameters and seed) on all of X for the chosen
        number of epochs. Skipped when the time limit ran out in the first phase.
    time_limit : float, optional
        Seconds of training for both phases together (each fit's engine start-up, JAX's
        compilation, is left out: :class:`~lucidnet.training.TimeLimit`); training stops
        when they are spent and the best model so far is kept.
    on_selected : callable, optional
        Called with the first phase's estimator (best epoch restored) before the refit:
        the moment to score rows it never trained on.
    max_validation_rows : int, optional
        Score at most this many of ``validation_data``'s rows after each epoch (a sample
        seeded by ``random_state``); every one of them still trains the refit.

    Returns
    -------
    estimator
        The fitted estimator: the refitted one (``selected_epochs_`` set), or ``est``.
    """
    start = time.monotonic()
    cap_batch_size(est, len(X) * (1 - est.validation_fraction) if est.early_stopping else len(X))
    limit = TimeLimit(time_limit, start) if time_limit else None
    est.set_params(callbacks=[*(est.callbacks or []), *([limit] if limit else [])] or None)
    est.fit(
        X, y, sample_weight, validation_data=sample_rows(validation_data, max_validation_rows, est)
    )
    best = est.trainer_.best_epoch or est.n_iter_
    if on_selected is not None:
        on_selected(est)
    if not refit or (limit is not None and limit.hit) or not est.early_stopping:
        return est
    final = clone(est).set_params(early_stopping=False, max_iter=int(best))
    final.set_params(n_iter_no_change=np.inf)
    if limit is not None:
        left = time_limit - limit.elapsed()  # type: ignore[operator]
        if left <= 0:
            return est
        kept = [cb for cb in final.callbacks or [] if not isinstance(cb, TimeLimit)]
        final.set_params(callbacks=[*kept, TimeLimit(left, time.monotonic())])
    X_all, y_all, s_all = X, y, sample_weight
    if validation_data is not None:  # rows apart from X also train the final model
        X_all = np.concatenate([X, validation_data[0]])
        y_all = np.concatenate([np.asarray(y), np.asarray(validation_data[1])])
        if sample_weight is not None:
            s_all = np.concatenate([sample_weight, np.ones(len(validation_data[0]))])
    with warnings.catch_warnings():  # the refit stops at the chosen epoch by design
        warnings.simplefilter("ignore", ConvergenceWarning)
        final.fit(X_all, y_all, s_all)
    final.selected_epochs_ = int(best)
    return final


def fit_cross_fitted(
    est: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    time_limit: float | None = None,
    on_selected: Callable[[Any], None] | None = None,
    patience_share: float | None = None,
    min_patience: int = 0,
    folds: np.ndarray | None = None,
) -> Any:
    """Fit ``est``'s K members cross-fitted: member k leaves fold k out and picks its epoch on it.

    One training of the K members at once, no refit (:mod:`lucidnet.training.crossfit`):
    the rows are split into K folds (stratified by class for a classifier with one label
    column, seeded by ``random_state``), member k trains with weight 0 on fold k, is scored
    on fold k after every epoch, keeps its best epoch's weights and is done after
    ``n_iter_no_change`` epochs without improvement; training stops when every member is
    done (or after ``max_iter`` epochs, or at the time limit).

    Parameters
    ----------
    est : MLPClassifier or MLPRegressor
        With ``n_members`` K ≥ 2; its ``early_stopping`` and ``validation_fraction`` are
        not used (the folds hold the rows out).
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,) or (n_samples, n_outputs)
    time_limit : float, optional
        Seconds of training; each member keeps its best weights so far when they run out.
    on_selected : callable, optional
        Called with the fitted estimator.
    patience_share : float, optional
        Member k waits min(n_iter_no_change, max(min_patience, ⌈patience_share · e_k⌉ − 1))
        epochs without improvement, e_k its best epoch so far (counted as
        ``n_iter_no_change`` is: :class:`~lucidnet.training.crossfit.CrossFit` with
        patience p + 1); None: ``n_iter_no_change`` for every member.
    min_patience : int, default=0
    folds : int array of shape (n_samples,), optional
        Each row's fold in −1..K−1 instead of the seeded split; a row of fold −1 trains
        every member and scores none (its out-of-fold output stays NaN). Every member
        needs a row in its fold.

    Returns
    -------
    estimator
        ``est``, fitted, with ``fold_`` (each row's fold, shape (n_samples,)),
        ``member_epochs_`` (each member's best epoch), ``selected_epochs_`` (the latest of
        them) and ``oof_output_`` (shape (n_samples, n[L]): each row's output from the
        member that never trained on it, at that member's best epoch).
    """
    K = int(est.n_members)
    if K < 2:
        raise ValueError(f"Cross-fitting needs n_members ≥ 2 (one fold per member); got {K}.")
    if folds is None:
        seed = int(check_random_state(est.random_state).randint(np.iinfo(np.int32).max))
        y_arr = np.asarray(y)
        labels = y_arr if est._is_classifier and y_arr.ndim == 1 else None
        folds = cross_fit_folds(len(X), K, seed, labels)
    else:
        folds = np.asarray(folds, dtype=np.int64)
        if folds.shape != (len(X),) or folds.min() < -1 or folds.max() >= K:
            raise ValueError(
                f"folds must give each of the {len(X)} rows a fold in -1..{K - 1}; got shape "
                f"{folds.shape} and values {folds.min()}..{folds.max()}."
            )
    cap_batch_size(est, len(X) * (K - 1) / K)
    scorer = fold_scorer(
        est,
        X,
        partial(est.encode_targets, y),
        folds,
        patience_share=patience_share,
        min_patience=min_patience,
    )
    limit = [TimeLimit(time_limit, time.monotonic())] if time_limit else []
    est.set_params(
        early_stopping=False,
        n_iter_no_change=np.inf,
        callbacks=[*(est.callbacks or []), scorer, *limit],
    )
    with warnings.catch_warnings():  # max_iter is the cap: the members stop on their folds
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y, sample_weight=fold_weights(folds, K))
    est.fold_ = folds
    est.member_epochs_ = scorer.best_epochs_.tolist()
    est.selected_epochs_ = int(scorer.best_epochs_.max())
    est.oof_output_ = scorer.oof_
    if on_selected is not None:
        on_selected(est)
    return est


def fold_scorer(
    est: Any,
    X: Any,
    targets: Any,
    folds: np.ndarray,
    *,
    patience_share: float | None = None,
    min_patience: int = 0,
) -> CrossFit:
    """The :class:`~lucidnet.training.crossfit.CrossFit` of ``est``'s cross-fitted training.

    Member k is scored on the rows of X in fold k; its patience is counted as
    ``n_iter_no_change`` is (a member is done after more than p epochs without an
    improvement of over ``tol``: CrossFit's patience p + 1, and ``min_patience`` + 1),
    p = ``n_iter_no_change``, or ``max_iter`` when that is infinite.

    Parameters
    ----------
    est : MLPClassifier or MLPRegressor
    X : array of shape (n_scored, n_features)
        The rows that score the members (all the training rows in memory; a sample of a
        streamed file's rows).
    targets : array of shape (n_scored, n[L]) or callable
        Their targets as the network sees them (or a function that returns them).
    folds : int array of shape (n_scored,)
    patience_share : float, optional
    min_patience : int, default=0
    """
    waits = float(est.n_iter_no_change)
    patience = (int(waits) if np.isfinite(waits) else int(est.max_iter)) + 1
    return CrossFit(
        X,
        targets,
        folds,
        patience,
        min_delta=est.tol,
        patience_share=patience_share,
        min_patience=min_patience + 1,
    )


def fit_within(
    est: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    validation_data: tuple[Any, ...] | None = None,
    time_limit: float | None = None,
    resume_from: Any = None,
) -> Any:
    """One plain fit (the estimator's own epochs), within ``time_limit`` seconds if given."""
    cap_batch_size(est, len(X))
    if time_limit:
        limit = TimeLimit(time_limit, time.monotonic())
        est.set_params(callbacks=[*(est.callbacks or []), limit])
    return est.fit(X, y, validation_data=validation_data, resume_from=resume_from)


def sample_rows(
    data: tuple[Any, ...] | None, n_rows: int | None, est: Any
) -> tuple[Any, ...] | None:
    """``data`` (arrays of equal length, or None) cut to ``n_rows`` rows seeded by ``est``."""
    if data is None or n_rows is None or len(data[0]) <= n_rows:
        return data
    seed = int(est.random_state) if isinstance(est.random_state, Integral) else 0
    keep = np.sort(np.random.default_rng(seed).choice(len(data[0]), n_rows, replace=False))
    return tuple(None if a is None else np.asarray(a)[keep] for a in data)


def cap_batch_size(est: Any, n_rows: float) -> None:
    """An integer ``batch_size`` larger than the rows trained on becomes that many rows."""
    if isinstance(est.batch_size, Integral) and int(est.batch_size) > n_rows:
        est.set_params(batch_size=max(1, int(n_rows)))
