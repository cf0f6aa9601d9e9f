"""The tabular recipe on a Dask cluster: the ensemble's members as tasks, the model their stack.

:class:`DaskRecipeSource` is a :class:`~lucidnet.tables.fit.TableSource` for a Dask
DataFrame (or a file the workers read). A table the recipe cross-fits
(:meth:`~lucidnet.tables.recipe.Recipe.cross_fits`: at most ``cross_fit_max_rows``
labelled rows, at least 2 members) is cross-fitted on the cluster, as in memory:

1. no rows are held out: row j of partition i is in fold h mod K, h =
   :func:`~lucidnet.tables.streamed.row_hash` (j + 2³² i), the same in every pass;
2. the statistics of all the rows, partition by partition, merged on the workers
   (:class:`~lucidnet.tables.stats.TableStats`), give the recipe's preprocessing: one
   pass, which also counts the labelled rows;
3. the K members train in groups of two or more, one Dask task per group
   (``client.submit(..., retries=…)``), as many tasks as the cluster has worker threads
   (:func:`member_groups`; a 2-worker cluster: members 0–1 and 2–3): a group's task is
   the in-memory cross-fit of its m members on every labelled row of every partition
   (:func:`~lucidnet.estimators.refit.fit_cross_fitted`, the recipe's embedding
   included: the periodic one, which the members can share; the piecewise encoding's
   bins would come from each task's rows, so it is refused): its member for fold k
   trains with weight 0 on fold k and chooses its epoch on every row of it, the rows of
   the other groups' folds train all m, no refit; the task returns the metrics of its
   folds, each row predicted by the member that never trained on it. Members that train
   together share each step's Python and NumPy overhead, which on a table of tens of
   thousands of rows costs more than the arithmetic (16,000 rows of nass_cds: a task of
   one member took 1.8–2.5 s, a task of two 1.9–2.5 s);
4. the model is the members' stack, the held-out metrics those of every row out of
   fold (:meth:`~lucidnet.tables.metrics.ExactMetrics.merge`).

A larger table (that first pass counted it) follows the recipe's large-table path:

1. the held-out rows: row j of partition i is a candidate when its hash
   h = :func:`~lucidnet.tables.streamed.row_hash` (j + 2³² i) is below ``fraction`` · 2⁶⁴,
   and the held-out rows are the ``max_validation_rows`` candidates of smallest hash (a
   second pass gathers the candidates' hashes only);
2. the statistics of the training rows, partition by partition, merged on the workers
   (:class:`~lucidnet.tables.stats.TableStats`), give the recipe's preprocessing
   (:meth:`~lucidnet.tables.stats.TableStats.recipe_preprocessor`); the held-out rows (at
   most ``max_validation_rows``) come to the client;
3. member k of the ensemble is one Dask task (``client.submit(..., retries=…)``): it
   trains a one-network estimator with the recipe's parameters and seed (seed, k) on
   the training rows of every partition (Dask moves the partitions to the task), picks
   its own epoch on the shared held-out rows and refits when the recipe's
   ``min_refit_share`` asks (:meth:`Recipe.fit`);
4. the model is the members' stack (:func:`~lucidnet.core.embedded.stack_members`):
   an ensemble of K that predicts the mean of its members, as the in-memory recipe's.

The held-out metrics are those of the stack of the members as they chose their epochs
(before any refit), on the held-out rows.

Either way, a worker lost mid-task costs that task only: Dask runs it again elsewhere,
with the same seed, to the same weights.
"""

from __future__ import annotations

import copy
import operator
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from lucidnet.core.embedded import stack_members
from lucidnet.core.ensemble import Ensemble
from lucidnet.core.network import Network
from lucidnet.dask.cluster import delayed, gather, get_client, tree
from lucidnet.estimators.refit import fit_cross_fitted
from lucidnet.tables.embedding import embed
from lucidnet.tables.fit import Training, check_columns, labelled_rows
from lucidnet.tables.metrics import ExactMetrics, table_metrics
from lucidnet.tables.model import TabularModel
from lucidnet.tables.preprocess import TablePreprocessor, is_numeric
from lucidnet.tables.recipe import RECIPE, Recipe
from lucidnet.tables.stats import RESERVOIR_SIZE, TableStats, target_labels
from lucidnet.tables.streamed import row_hash

__all__ = [
    "MEMBER_RETRIES",
    "DaskRecipeSource",
    "cross_fit_rows",
    "member_groups",
    "predict_partitions",
]

MEMBER_RETRIES = 3  # a member task that fails (its worker lost) runs again this many times
_TWO_64 = 2**64


def _keys(frame: pd.DataFrame, number: int, seed: int) -> np.ndarray:
    """The row hashes of a partition's rows (row j of partition i: j + 2³² i)."""
    rows = np.arange(len(frame), dtype=np.uint64) + (np.uint64(number) << np.uint64(32))
    return row_hash(rows, seed)


def _candidates(
    frame: pd.DataFrame, number: int, target: str, seed: int, limit: int, cap: int | None
) -> np.ndarray:
    """The sorted hashes under ``limit`` of the partition's labelled rows, at most ``cap``."""
    keys = _keys(frame, number, seed)
    keys = keys[~_unlabelled(frame, target)]
    keys = np.sort(keys[keys < np.uint64(limit)])
    return keys if cap is None else keys[:cap]


def _unlabelled(frame: pd.DataFrame, target: str) -> np.ndarray:
    labelled, _ = labelled_rows(frame.reset_index(drop=True), target)
    mask = np.ones(len(frame), dtype=bool)
    mask[labelled.index.to_numpy()] = False
    return mask


def _split(
    frame: pd.DataFrame, number: int, target: str, seed: int, cut: int
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """(training rows, held-out rows, unlabelled count) of a partition: h < cut is held out."""
    frame = frame.reset_index(drop=True)
    held = _keys(frame, number, seed) < np.uint64(min(cut, _TWO_64 - 1))
    if cut >= _TWO_64:
        held[:] = True
    labelled, dropped = labelled_rows(frame, target)
    held = held[labelled.index.to_numpy()]
    return labelled.loc[~held], labelled.loc[held], dropped


def _describe_part(
    frame: pd.DataFrame, number: int, target: str, text: list[str], seed: int, cut: int
) -> tuple[TableStats, pd.DataFrame]:
    train, held, dropped = _split(frame, number, target, seed, cut)
    stats = TableStats(target=target, reservoir_size=RESERVOIR_SIZE, seed=seed + number)
    stats.text_columns = text
    stats.unlabelled_rows = dropped
    stats.update_target(pd.concat([train[target], held[target]]))
    stats.update(train.drop(columns=[target]))
    return stats, held


def _merge_stats(*parts: TableStats) -> TableStats:
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    return merged


def _fit_member(
    k: int,
    numbers: list[int],
    model: TabularModel,
    recipe: Recipe,
    kind: tuple[bool, bool],
    seed: int,
    cut: int,
    validation: tuple[np.ndarray, np.ndarray] | None,
    *parts: pd.DataFrame,
) -> tuple[Any, Network | None]:
    """Member k on the training rows of ``parts``: (fitted estimator, its chosen network).

    The member is ``model.estimator`` with one network and the seed (seed, k).
    """
    dtype = np.float32 if recipe.dtype == "float32" else np.float64
    blocks, targets = [], []
    for number, part in zip(numbers, parts, strict=True):
        train, _, _ = _split(part, number, model.target, seed, cut)
        blocks.append(model.preprocessor.transform(train.drop(columns=[model.target]), dtype))
        targets.append(_network_target(model, target_labels(train[model.target], *kind)))
    X, y = np.concatenate(blocks), np.concatenate(targets)
    est = _member_estimator(model, recipe, seed, k, X)
    chosen: list[Network] = []
    with warnings.catch_warnings():  # how training ended is in the fitted estimator
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = replace(recipe, cross_fit=False).fit(
            est, X, y, validation_data=validation, on_selected=lambda e: chosen.append(_single(e))
        )
    return fitted, (chosen[0] if chosen else None)


def cross_fit_rows(recipe: Recipe) -> int | None:
    """The most labelled rows that ``recipe`` cross-fits on a cluster (None: never), for
    :class:`DaskRecipeSource`'s ``cross_fit_max_rows``."""
    if not recipe.choose_epochs or recipe.cross_fit is False:
        return None
    return 2**63 if recipe.cross_fit else recipe.cross_fit_max_rows


def _fold_rows(
    frame: pd.DataFrame, number: int, target: str, seed: int, K: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """A partition's labelled rows and the fold of each, h mod K (int array)."""
    frame = frame.reset_index(drop=True)
    labelled, _ = labelled_rows(frame, target)
    keys = _keys(frame, number, seed)[labelled.index.to_numpy()]
    return labelled, (keys % np.uint64(K)).astype(np.int64)


def _fit_fold_members(
    members: list[int],
    K: int,
    numbers: list[int],
    model: TabularModel,
    recipe: Recipe,
    kind: tuple[bool, bool],
    seed: int,
    fold_seed: int,
    scored: bool,
    *parts: pd.DataFrame,
) -> tuple[Any, list[int], ExactMetrics | None]:
    """Members ``members`` (m ≥ 2 of the K) cross-fitted together: (fitted estimator of
    m members, their best epochs, the metrics of their folds).

    ``model.estimator`` with m members and the seed (seed, members[0]) trains on every
    labelled row of ``parts``, cross-fitted as in memory
    (:func:`~lucidnet.estimators.refit.fit_cross_fitted`): its member j leaves fold
    ``members[j]`` out and chooses its epoch on it; the rows of the other groups' folds
    train all m.
    """
    dtype = np.float32 if recipe.dtype == "float32" else np.float64
    pieces = [
        _fold_rows(p, i, model.target, fold_seed, K) for i, p in zip(numbers, parts, strict=True)
    ]
    frame = pd.concat([f for f, _ in pieces], ignore_index=True)
    fold = np.concatenate([f for _, f in pieces])
    labels = target_labels(frame[model.target], *kind)
    features = frame.drop(columns=[model.target])
    X, y = model.preprocessor.transform(features, dtype), _network_target(model, labels)
    local = np.full(K, -1, dtype=np.int64)
    local[members] = np.arange(len(members))  # fold members[j] → j; the others' → −1
    m = len(members)
    est = clone(model.estimator).set_params(
        n_members=m, random_state=_member_seed(seed, members[0])
    )
    embed(est, recipe, model.preprocessor, X)
    est.set_params(batch_size=recipe.batch_for(len(X) * (K - 1) / K, est.batch_size))
    fitted = fit_cross_fitted(
        est,
        X,
        y,
        time_limit=recipe.time_limit,
        patience_share=recipe.patience_share,
        min_patience=recipe.min_patience,
        folds=local[fold],
    )
    best = [int(e) for e in fitted.member_epochs_]
    if not scored:
        return fitted, best, None
    metrics = ExactMetrics(model.with_estimator(fitted))  # every fold row by its member
    for j, k in enumerate(members):
        member = copy.copy(fitted)  # member j alone
        member.network_ = fitted.network_.member(j)
        member.set_params(n_members=1)
        rows = np.flatnonzero(fold == k)
        part = ExactMetrics(model.with_estimator(member))
        for start in range(0, len(rows), _SCORE_ROWS):
            chunk = rows[start : start + _SCORE_ROWS]
            part.update(features.iloc[chunk], labels[chunk])
        metrics.merge(part)
    return fitted, best, metrics


def member_groups(K: int, workers: int) -> list[list[int]]:
    """The K members in g = max(1, min(workers, ⌊K / 2⌋)) groups of at least two, one
    task each: consecutive members, group sizes differing by at most one."""
    g = max(1, min(int(workers), K // 2))
    return [part.tolist() for part in np.array_split(np.arange(K), g)]


_SCORE_ROWS = 65_536  # fold rows predicted at a time


def _member_estimator(model: TabularModel, recipe: Recipe, seed: int, k: int, X: np.ndarray) -> Any:
    """Member k: ``model.estimator`` with one network, the seed (seed, k), the embedding."""
    est = clone(model.estimator).set_params(n_members=1, random_state=_member_seed(seed, k))
    embed(est, recipe, model.preprocessor, X)
    return est


def _member_seed(seed: int, k: int) -> int:
    return int(np.random.SeedSequence([int(seed), int(k)]).generate_state(1)[0])


def _single(est: Any) -> Network:
    """A one-network estimator's network, as a plain Network copy."""
    net = est.network_
    return (net.member(0) if isinstance(net, Ensemble) else net).copy()


def _network_target(model: TabularModel, y: np.ndarray) -> np.ndarray:
    return model.scaling.forward(y) if model.task == "regression" else y


def _stacked(est: Any, networks: list[Network]) -> Any:
    """A copy of ``est`` whose network is the stack of ``networks`` (n_members of them)."""
    out = copy.copy(est)
    out.network_ = stack_members(networks)
    out.set_params(n_members=len(networks))
    return out


class DaskRecipeSource:
    """A Dask DataFrame (or a file the workers read) trained the recipe's way on the cluster.

    Parameters
    ----------
    frame : dask.dataframe.DataFrame, str or Path
        The table, or a CSV/TSV/Parquet file every worker can read.
    target : str
    client : distributed.Client, optional
        Default: the current client.
    validation : float in [0, 1)
        Candidates for the held-out rows (at most the recipe's ``max_validation_rows``).
    seed : int
    blocksize : optional
        ``dask.dataframe.read_csv``'s block size, for a file.
    max_validation_rows : int or None
        At most this many held-out rows (the recipe's; they are chosen before the
        recipe reaches the source).
    retries : int
        How many times a member task that failed runs again.
    cross_fit_max_rows : int or None
        A table of at most this many labelled rows holds no rows out: its members are
        cross-fitted when the recipe :meth:`~lucidnet.tables.recipe.Recipe.cross_fits`
        it (the recipe's ``cross_fit_max_rows``; None: never).
    """

    def __init__(
        self,
        frame: Any,
        target: str,
        *,
        client: Any = None,
        validation: float = 0.2,
        seed: int = 0,
        blocksize: Any = "default",
        max_validation_rows: int | None = RECIPE.max_validation_rows,
        retries: int = MEMBER_RETRIES,
        cross_fit_max_rows: int | None = RECIPE.cross_fit_max_rows,
    ) -> None:
        from lucidnet.dask.table import read_dask_table

        self.client = get_client(client)
        if isinstance(frame, (str, Path)):
            name = str(frame)
            frame, self.text = read_dask_table(frame, blocksize)
        else:
            name = "the Dask DataFrame"
            self.text = [
                str(c) for c, t in frame.dtypes.items() if not is_numeric(pd.Series(dtype=t))
            ]
        check_columns(frame.head(0), target, name)
        self.frame, self.target, self.validation, self.seed = frame, target, validation, seed
        self.retries, self.max_validation_rows = retries, max_validation_rows
        self.cross_fit_max_rows = cross_fit_max_rows
        self.parts = list(frame.to_delayed())
        self.metrics: dict[str, Any] = {}

    def describe(self) -> TableStats:
        """The statistics of every labelled row (one pass): a table of at most
        ``cross_fit_max_rows`` of them holds no rows out. A larger one takes two more: the
        held-out rows' cut, then the statistics of the training rows and the held-out rows.
        """
        self.cut = 0
        self.stats, self.held = self._describe(0)
        rows, bound = self.stats.rows, self.cross_fit_max_rows
        if self.validation <= 0 or (bound is not None and rows <= bound):
            return self.stats  # cross-fitted: every row trains, each member leaves a fold out
        cap = self.max_validation_rows
        limit = min(int(self.validation * _TWO_64), _TWO_64 - 1)
        self.cut = limit
        found = gather(
            self.client,
            list(
                self.client.compute(
                    [
                        delayed(_candidates)(p, i, self.target, self.seed, limit, cap)
                        for i, p in enumerate(self.parts)
                    ]
                )
            ),
        )
        keys = np.sort(np.concatenate(found)) if found else np.empty(0, np.uint64)
        if cap is not None and len(keys) > cap:
            self.cut = int(keys[cap - 1]) + 1
        self.stats, self.held = self._describe(self.cut)
        return self.stats

    def _describe(self, cut: int) -> tuple[TableStats, pd.DataFrame]:
        """The training rows' statistics and the held-out rows (h < ``cut``)."""
        pieces = list(
            self.client.compute(
                [
                    delayed(_describe_part)(p, i, self.target, self.text, self.seed, cut)
                    for i, p in enumerate(self.parts)
                ]
            )
        )
        stats_parts = [self.client.submit(operator.getitem, f, 0) for f in pieces]
        held = gather(self.client, [self.client.submit(operator.getitem, f, 1) for f in pieces])
        stats: TableStats = tree(self.client, _merge_stats, stats_parts)
        return stats, (pd.concat(held) if held else pd.DataFrame())

    def prepare(self, stats: TableStats, task: str, recipe: Recipe | None) -> TablePreprocessor:
        if recipe is None:
            raise ValueError(
                "DaskRecipeSource trains the tabular recipe; give fit_table a recipe "
                "(lucidnet.tables.RECIPE), or use DaskSource for the plain MLP by L-BFGS."
            )
        if recipe.numeric_embedding == "piecewise":
            raise ValueError(
                "numeric_embedding='piecewise' takes its bins from the rows in one place, "
                "and a cluster's members train apart; use 'periodic' (the recipe's default) "
                "or None on Dask, or train in memory or --stream."
            )
        self.pre = stats.recipe_preprocessor(
            recipe.max_categories, recipe.min_frequency, recipe.max_levels
        )
        return self.pre

    def train(self, model: TabularModel, recipe: Recipe | None, resume_from: Any) -> Training:
        assert recipe is not None  # prepare() refused None
        if resume_from is not None:
            raise ValueError("--dask cannot resume from a checkpoint; train without it.")
        kind = (bool(self.stats.target_numeric), self.stats.target_integral)
        K = int(model.estimator.n_members)
        if self.cut == 0 and recipe.cross_fits(self.stats.rows, K):
            return self._cross_fit(model, recipe, kind, K)
        dtype = np.float32 if recipe.dtype == "float32" else np.float64
        validation = None
        if len(self.held):
            val_features = self.held.drop(columns=[self.target])
            y_val = target_labels(self.held[self.target], *kind)
            validation = (
                self.pre.transform(val_features, dtype),
                _network_target(model, y_val),
            )
        est = model.estimator
        K = int(est.n_members)
        seed = int(est.random_state) if isinstance(est.random_state, (int, np.integer)) else 0
        member_recipe = replace(recipe, n_members=1)
        shell = model.with_estimator(est)  # what a member needs: the preprocessing, est
        parts = list(self.client.compute(self.parts))
        numbers = list(range(len(parts)))
        members = [
            self.client.submit(
                _fit_member,
                k,
                numbers,
                shell,
                member_recipe,
                kind,
                seed,
                self.cut,
                validation,
                *parts,
                retries=self.retries,
                pure=False,
                key=f"lucidnet-member-{k}-{seed}-{id(self)}",
            )
            for k in range(K)
        ]
        fitted = gather(self.client, members)
        final = _stacked(fitted[0][0], [_single(e) for e, _ in fitted])
        final.set_params(random_state=est.random_state)
        epochs = [int(getattr(e, "selected_epochs_", e.n_iter_)) for e, _ in fitted]
        final.member_epochs_ = epochs
        final.selected_epochs_ = max(epochs)
        model.estimator = final
        refit = all(hasattr(e, "selected_epochs_") for e, _ in fitted)
        if validation is not None:  # the members as they chose their epochs, else as they are
            chosen = [n for _, n in fitted if n is not None]
            scored = copy.copy(model)
            scored.estimator = _stacked(fitted[0][0], chosen) if len(chosen) == K else final
            self.metrics = table_metrics(scored, val_features, y_val)
        extra: dict[str, Any] = {"dask_members": K, "partitions": len(parts)}
        if refit:
            extra["refit_epochs"] = max(epochs)
        rows = self.stats.rows + (len(self.held) if refit else 0)
        return Training(rows, None, extra=extra)

    def _cross_fit(
        self, model: TabularModel, recipe: Recipe, kind: tuple[bool, bool], K: int
    ) -> Training:
        """The K members in groups of two or more, one task a group (as many tasks as
        workers, :func:`member_groups`), member k leaving fold k out; the model their
        stack."""
        est = model.estimator
        seed = int(est.random_state) if isinstance(est.random_state, (int, np.integer)) else 0
        shell = model.with_estimator(est)
        parts = list(self.client.compute(self.parts))
        numbers = list(range(len(parts)))
        args = (K, numbers, shell, recipe, kind, seed, self.seed, self.validation > 0)
        groups = member_groups(K, sum(self.client.nthreads().values()))
        tasks = [
            self.client.submit(
                _fit_fold_members,
                group,
                *args,
                *parts,
                retries=self.retries,
                pure=False,
                key=f"lucidnet-members-{group[0]}-{group[-1]}-{seed}-{id(self)}",
            )
            for group in groups
        ]
        fitted = gather(self.client, tasks)
        networks = [e.network_.member(j).copy() for e, _, _ in fitted for j in range(e.n_members)]
        final = _stacked(fitted[0][0], networks)
        for name in ("fold_", "oof_output_"):  # the group's, not the stack's
            final.__dict__.pop(name, None)
        final.set_params(random_state=est.random_state, callbacks=est.callbacks)  # no scorer
        final.member_epochs_ = [best for _, epochs, _ in fitted for best in epochs]
        final.selected_epochs_ = max(final.member_epochs_)
        model.estimator = final
        if self.validation > 0:  # every row predicted by the member that left its fold out
            total = ExactMetrics(model)
            for _, _, part in fitted:
                assert part is not None
                total.merge(part)
            self.metrics = total.result()
        extra = {
            "dask_members": K,
            "dask_tasks": len(groups),
            "partitions": len(parts),
            "cross_fit_epochs": final.selected_epochs_,
        }
        return Training(self.stats.rows, None, extra=extra)

    def held_out(self, model: TabularModel) -> dict[str, Any]:
        return self.metrics


def predict_partitions(model: TabularModel, frame: Any, method: str = "predict") -> Any:
    """``model.method`` on every partition of a Dask DataFrame, on the workers (lazy).

    Returns a Dask Series (``predict``) or DataFrame (``predict_proba``: one column per
    class) with the frame's partitions.
    """
    if method == "predict":
        dtype = model.classes.dtype if model.task == "classification" else np.float64
        return frame.map_partitions(_predict_part, model, method, meta=(model.target, dtype))
    meta = pd.DataFrame({str(c): pd.Series(dtype="float64") for c in model.classes})
    return frame.map_partitions(_predict_part, model, method, meta=meta)


def _predict_part(part: pd.DataFrame, model: TabularModel, method: str) -> Any:
    out = getattr(model, method)(part)
    if method == "predict":
        return pd.Series(out, index=part.index, name=model.target)
    return pd.DataFrame(out, index=part.index, columns=[str(c) for c in model.classes])
