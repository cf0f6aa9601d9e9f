"""``lucidnet train DATA --dask``: a table fitted by L-BFGS across the cluster.

:class:`DaskSource` is the cluster's source for :func:`lucidnet.tables.fit_table`: the
workers read the file (``dask.dataframe``, one partition per row block), compute the
statistics partition by partition and merge them (:class:`~lucidnet.tables.stats.TableStats`),
hold the same held-out rows as ``--stream``, run the lecture's forward and backward for
L-BFGS, and score the held-out rows.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lucidnet.dask.cluster import delayed, gather, get_client, tree
from lucidnet.dask.lbfgs import CLUSTER_LBFGS, block_rows, check_block
from lucidnet.tables.fit import Training, check_columns, fit_table, labelled_rows, refuse_recipe
from lucidnet.tables.metrics import StreamMetrics
from lucidnet.tables.model import TabularModel
from lucidnet.tables.preprocess import TablePreprocessor, is_numeric
from lucidnet.tables.read import read_chunks, table_format, validation_mask
from lucidnet.tables.recipe import Recipe
from lucidnet.tables.stats import RESERVOIR_SIZE, TableStats, target_labels

__all__ = ["DaskSource", "read_dask_table", "train_table"]


def _partition_stats(
    frame: pd.DataFrame,
    number: int,
    target: str,
    text: list[str],
    fraction: float,
    seed: int,
    size: int,
) -> TableStats:
    stats = TableStats(target=target, reservoir_size=size, seed=seed + number, text_columns=text)
    frame, stats.unlabelled_rows = labelled_rows(frame, target)
    stats.update_target(frame[target])
    held_out = validation_mask(len(frame), number, seed, fraction)
    stats.update(frame.loc[~held_out].drop(columns=[target]))
    return stats


def _merge_stats(*parts: TableStats) -> TableStats:
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    return merged


def _rows(
    frame: pd.DataFrame, number: int, target: str, fraction: float, seed: int, held_out: bool
) -> pd.DataFrame:
    frame, _ = labelled_rows(frame, target)
    mask = validation_mask(len(frame), number, seed, fraction)
    return frame.loc[mask if held_out else ~mask]


def _partition_block(
    frame: pd.DataFrame,
    number: int,
    model: TabularModel,
    kind: tuple[bool, bool],
    fraction: float,
    seed: int,
    dtype: Any,
) -> tuple[Any, ...]:
    train = _rows(frame, number, model.target, fraction, seed, held_out=False)
    X = model.preprocessor.transform(train.drop(columns=[model.target]), dtype=dtype)
    y = target_labels(train[model.target], *kind)
    if model.task == "classification":
        Y = model.estimator.encode_targets(y)
    else:
        Y = model.scaling.forward(y)[:, None]
    return check_block(X, Y.astype(dtype), None)


def _partition_metrics(
    frame: pd.DataFrame,
    number: int,
    model: TabularModel,
    kind: tuple[bool, bool],
    fraction: float,
    seed: int,
) -> StreamMetrics:
    metrics = StreamMetrics(model.task)
    val = _rows(frame, number, model.target, fraction, seed, held_out=True)
    metrics.update(model, val.drop(columns=[model.target]), target_labels(val[model.target], *kind))
    return metrics


def read_dask_table(path: str | Path, blocksize: Any = "default") -> tuple[Any, list[str]]:
    """A CSV/TSV/Parquet file as a Dask DataFrame, and its text columns.

    The column kinds come from the first rows (as ``--stream``); numeric columns are read
    as float64 and text columns as text, so that no partition disagrees.
    """
    import dask.dataframe as dd

    path = Path(path)
    with closing(read_chunks(path, 10_000)) as chunks:
        first = next(chunks)
    text = [c for c in first.columns if not is_numeric(first[c])]
    suffixes = [s.lower() for s in path.suffixes]
    kind = table_format(path)
    if kind == "parquet":
        return dd.read_parquet(str(path)), text
    dtypes = {c: (str if c in text else "float64") for c in first.columns}
    options: dict[str, Any] = {"dtype": dtypes, "blocksize": blocksize}
    if ".gz" in suffixes:
        options["blocksize"] = None  # a gzip stream cannot be split
    if kind == "tsv":
        options["sep"] = "\t"
    return dd.read_csv(str(path), **options), text


class DaskSource:
    """A file read by the workers of a Dask cluster; the estimator trained by L-BFGS there.

    Parameters
    ----------
    path : str or Path
        CSV (also .csv.gz), TSV or Parquet, readable by every worker.
    target : str
    client : distributed.Client, optional
        Default: the current client.
    validation : float in [0, 1)
        Fraction of rows held out (per partition, as ``--stream`` per chunk).
    seed : int
    blocksize : optional
        ``dask.dataframe.read_csv``'s block size.
    callback : callable (iteration, J) -> None, optional
        Called after every L-BFGS iteration.
    """

    def __init__(
        self,
        path: str | Path,
        target: str,
        *,
        client: Any = None,
        validation: float = 0.2,
        seed: int = 0,
        blocksize: Any = "default",
        callback: Callable[[int, float], None] | None = None,
    ) -> None:
        self.client = get_client(client)
        self.path, self.target, self.validation, self.seed = path, target, validation, seed
        self.callback = callback
        self.frame, self.text = read_dask_table(path, blocksize)
        check_columns(self.frame.head(0), target, str(path))
        self.parts = list(self.frame.to_delayed())

    def describe(self) -> TableStats:
        futures = self.client.compute(
            [
                delayed(_partition_stats)(
                    p, i, self.target, self.text, self.validation, self.seed, RESERVOIR_SIZE
                )
                for i, p in enumerate(self.parts)
            ]
        )
        self.stats: TableStats = tree(self.client, _merge_stats, list(futures))
        return self.stats

    def prepare(self, stats: TableStats, task: str, recipe: Recipe | None) -> TablePreprocessor:
        refuse_recipe(recipe, "--dask")
        return stats.preprocessor()

    def train(self, model: TabularModel, recipe: Recipe | None, resume_from: Any) -> Training:
        refuse_recipe(recipe, "--dask", resume_from)
        est = model.estimator
        est.set_params(solver="lbfgs")
        est._validate_params()
        CLUSTER_LBFGS.refuse(est)
        self.kind = (bool(self.stats.target_numeric), self.stats.target_integral)
        n_features = len(model.preprocessor.feature_names_out)
        targets = self.stats.classes() if model.task == "classification" else np.zeros(1)
        dtype = np.float64
        est.prepare_fit(n_features, targets, dtype=dtype)
        blocks = list(
            self.client.compute(
                [
                    delayed(_partition_block)(
                        p, i, model, self.kind, self.validation, self.seed, dtype
                    )
                    for i, p in enumerate(self.parts)
                ]
            )
        )
        sizes = gather(self.client, [self.client.submit(block_rows, b) for b in blocks])
        rows = int(sum(r for r, _ in sizes))
        CLUSTER_LBFGS.fit_blocks(self.client, est, blocks, rows, self.callback)
        extra = {"solver": "lbfgs (dask)", "partitions": len(self.parts)}
        return Training(rows, extra=extra)

    def held_out(self, model: TabularModel) -> dict[str, Any]:
        if self.validation <= 0:
            return {}
        pieces = self.client.compute(
            [
                delayed(_partition_metrics)(p, i, model, self.kind, self.validation, self.seed)
                for i, p in enumerate(self.parts)
            ]
        )
        held_out = tree(self.client, _merge_metrics, list(pieces)).result()
        return {("loss" if k == "val_loss" else k): v for k, v in held_out.items()}


def train_table(
    path: str | Path,
    target: str,
    *,
    client: Any = None,
    task: str = "auto",
    params: dict[str, Any] | None = None,
    validation: float = 0.2,
    seed: int = 0,
    blocksize: Any = "default",
    on_start: Callable[[TableStats, str, TablePreprocessor, int], None] | None = None,
    callback: Callable[[int, float], None] | None = None,
) -> TabularModel:
    """``lucidnet train DATA --dask``: :func:`~lucidnet.tables.fit_table` over a
    :class:`DaskSource`. Returns the fitted table model (``metrics`` filled in)."""
    source = DaskSource(
        path,
        target,
        client=client,
        validation=validation,
        seed=seed,
        blocksize=blocksize,
        callback=callback,
    )

    def started(stats: TableStats, task: str, pre: TablePreprocessor) -> None:
        if on_start is not None:
            on_start(stats, task, pre, len(source.parts))

    params = {**(params or {}), "solver": "lbfgs"}
    return fit_table(source, task=task, params=params, seed=seed, on_start=started).model


def _merge_metrics(*parts: StreamMetrics) -> StreamMetrics:
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    return merged
