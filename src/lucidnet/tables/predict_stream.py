"""Predicting and scoring a table file chunk by chunk, with the output of a whole-file read.

``lucidnet predict`` and ``lucidnet evaluate`` read their input in chunks of rows and
write the predictions chunk by chunk, so that memory is bounded by the chunk, not by the
file. The output is the one the whole file, read at once, gives: byte for byte for CSV and
TSV (the decompressed bytes for ``.gz``, ``.bz2``, ``.xz``, ``.zip``), value for value and
type for type for Parquet (whose row groups follow the chunks). Three things make it so.

Column types
    A whole-file read types each column once, from all of its cells; a chunk types it
    from its own (a column of integers with one empty cell far down is float64 in the
    whole file, int64 in the chunks above that cell). The chunks are cast to a *plan*:
    the first chunk's types, which every later chunk must fit (int64 fits float64). When
    a chunk does not fit, a pass that reads only the types widens the plan to the join of
    every chunk's types (:func:`join_dtypes`) and the output starts over (it is written to
    a temporary file, so nothing half-made is ever shown). A CSV column with text in
    some rows is read as text in every chunk, each cell as the file writes it.
Rounding
    The network predicts rows in blocks of :data:`~lucidnet.estimators.PREDICT_BLOCK`, and
    a row's bits depend on its place in its block (a BLAS product's rounding). A chunk holds
    a multiple of that many rows (:func:`chunk_rows_for`), so every row is predicted in
    the same block, at the same place, as when the table is predicted whole.
Metrics
    :class:`~lucidnet.tables.metrics.ExactMetrics` keeps per row only the target and the
    prediction, and computes every metric (ROC-AUC included) from all rows at once, as
    :func:`~lucidnet.tables.metrics.table_metrics` does; the rows with a target value are
    predicted in whole blocks counted from the first of them, as when they are scored at
    once.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from lucidnet.estimators import PREDICT_BLOCK
from lucidnet.io.atomic import atomic_path
from lucidnet.tables.fit import labelled_rows
from lucidnet.tables.metrics import ExactMetrics
from lucidnet.tables.model import TabularModel
from lucidnet.tables.read import TableError, read_chunks, table_format

__all__ = [
    "DEFAULT_PREDICT_CHUNK_ROWS",
    "PlanWidened",
    "TableChunks",
    "chunk_rows_for",
    "evaluate_table",
    "join_dtypes",
    "predict_table",
    "prediction_frame",
    "write_chunks",
]


DEFAULT_PREDICT_CHUNK_ROWS = 4 * PREDICT_BLOCK
"""Rows per chunk unless told: 16,384. On a 20-column table, ``lucidnet predict`` of a
model without the embedding peaked at 274 MiB with it and at 366 MiB with 49,152-row
chunks, in the same time; of the default recipe's model (periodic embedding), at
322 MiB."""


def chunk_rows_for(requested: int = DEFAULT_PREDICT_CHUNK_ROWS) -> int:
    """``requested`` rounded up to a multiple of PREDICT_BLOCK (at least one block)."""
    blocks = max(1, -(-int(requested) // PREDICT_BLOCK))
    return blocks * PREDICT_BLOCK


def join_dtypes(a: Any, b: Any) -> Any:
    """The type of a column whose chunks have types ``a`` and ``b``.

    The same type stays; text (pandas' string type) wins over anything; numbers (not
    booleans) take NumPy's common type (int64 and float64 → float64); anything else is
    ``object``, each cell keeping its own Python value (as pandas joins such blocks).
    """
    if a == b:
        return a
    if isinstance(a, pd.StringDtype):
        return a
    if isinstance(b, pd.StringDtype):
        return b
    if _is_number(a) and _is_number(b):
        return np.result_type(a, b)
    return np.dtype(object)


def _is_number(dtype: Any) -> bool:
    return isinstance(dtype, np.dtype) and dtype.kind in "iuf"


class PlanWidened(Exception):
    """A chunk's column types do not fit the plan: widen it (:meth:`TableChunks.widen`)."""


class TableChunks:
    """The rows of a table file in chunks, every chunk cast to one plan of column types.

    Parameters
    ----------
    path : str or Path
        A CSV (.csv, .csv.gz), TSV or Parquet file, as :func:`read_chunks` reads.
    chunk_rows : int
        Rows per chunk, rounded up by :func:`chunk_rows_for`.

    Attributes
    ----------
    first : DataFrame
        The first chunk, read at once (so that a file's problems and its columns are
        known before any output).
    plan : dict column -> dtype
        The type every chunk's column is cast to.

    Notes
    -----
    Iterating raises :class:`PlanWidened` at the first chunk that does not fit the plan;
    call :meth:`widen`, then iterate again from the start.
    """

    def __init__(self, path: str | Path, chunk_rows: int = DEFAULT_PREDICT_CHUNK_ROWS) -> None:
        self.path = Path(path)
        self.chunk_rows = chunk_rows_for(chunk_rows)
        chunks = read_chunks(self.path, self.chunk_rows)
        try:
            self.first = next(chunks)
        except StopIteration:  # pragma: no cover - read_chunks raises for a file without rows
            raise TableError(f"{path} has no rows.") from None
        finally:
            chunks.close()
        self.plan = {str(c): self.first[c].dtype for c in self.first.columns}

    @property
    def columns(self) -> list[str]:
        return list(self.plan)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        """Chunks of exactly ``chunk_rows`` rows (the last one fewer), indexed by row number
        in the file (a Parquet file's record batches are regrouped when they fall short)."""
        text = [c for c, dtype in self.plan.items() if isinstance(dtype, pd.StringDtype)]
        pending: list[pd.DataFrame] = []
        waiting = start = 0
        for chunk in read_chunks(self.path, self.chunk_rows, text_columns=text or None):
            pending.append(self._cast(chunk))
            waiting += len(chunk)
            while waiting >= self.chunk_rows:
                frame = pd.concat(pending) if len(pending) > 1 else pending[0]
                pending = [frame.iloc[self.chunk_rows :]]
                waiting -= self.chunk_rows
                yield _numbered(frame.iloc[: self.chunk_rows], start)
                start += self.chunk_rows
        if waiting:
            yield _numbered(pd.concat(pending), start)

    def widen(self) -> None:
        """Join the plan with the types of every chunk (a pass that reads the file)."""
        for chunk in read_chunks(self.path, self.chunk_rows):
            for c in chunk.columns:
                self.plan[c] = join_dtypes(self.plan[c], chunk[c].dtype)

    def _cast(self, chunk: pd.DataFrame) -> pd.DataFrame:
        for c, want in self.plan.items():
            have = chunk[c].dtype
            if have == want:
                continue
            if join_dtypes(want, have) != want or isinstance(want, pd.StringDtype):
                raise PlanWidened(f"column {c!r}: {have} in a chunk, {want} in the plan")
            chunk[c] = chunk[c].astype(want)
        return chunk

    def run(self, work: Callable[[Iterator[pd.DataFrame]], Any]) -> Any:
        """``work(chunks)``; once more, from the start, after widening, if the plan was
        too narrow (``work`` must leave nothing behind when it raises)."""
        try:
            return work(iter(self))
        except PlanWidened:
            self.widen()
            return work(iter(self))


def _numbered(frame: pd.DataFrame, start: int) -> pd.DataFrame:
    """``frame`` indexed by its rows' numbers in the file, from ``start``."""
    return frame.set_axis(pd.RangeIndex(start, start + len(frame)), axis=0)


def prediction_frame(model: TabularModel, frame: pd.DataFrame, keep_columns: bool) -> pd.DataFrame:
    """What ``lucidnet predict`` writes for the rows of ``frame``: the input columns (with
    ``keep_columns``), ``prediction``, and ``proba_<class>`` per class (classification)."""
    out = frame.copy() if keep_columns else pd.DataFrame(index=frame.index)
    if model.task == "classification":
        out["prediction"], proba = model.predict_with_proba(frame)
        for k, label in enumerate(model.classes):
            out[f"proba_{label}"] = proba[:, k]
    else:
        out["prediction"] = model.predict(frame)
    return out


def predict_table(
    model: TabularModel, table: TableChunks, output: str | None, keep_columns: bool = False
) -> int:
    """Write the predictions of every row of ``table`` to ``output`` (None: stdout, CSV).

    Returns
    -------
    int
        The number of rows predicted.
    """

    def work(chunks: Iterator[pd.DataFrame]) -> int:
        rows = 0
        with write_chunks(output) as write:
            for chunk in chunks:
                write(prediction_frame(model, chunk, keep_columns))
                rows += len(chunk)
        return rows

    return int(table.run(work))


def evaluate_table(model: TabularModel, table: TableChunks, target: str) -> dict[str, Any]:
    """``table_metrics`` of ``model`` on the labelled rows of ``table``, and ``rows``: how
    many rows have a target value (an empty or non-finite target cell is missing).

    The labelled rows are predicted in runs of whole blocks counted from the first
    labelled row, as ``table_metrics`` of all of them at once predicts them.
    """

    def work(chunks: Iterator[pd.DataFrame]) -> dict[str, Any]:
        scores = ExactMetrics(model)
        pending: list[pd.DataFrame] = []
        rows = 0
        for chunk in chunks:
            labelled, _ = labelled_rows(chunk, target)
            pending.append(labelled)
            waiting = sum(len(part) for part in pending)
            if waiting >= PREDICT_BLOCK:
                frame = pd.concat(pending)
                cut = waiting - waiting % PREDICT_BLOCK
                scores.update(frame.iloc[:cut], frame[target].to_numpy()[:cut])
                pending, rows = [frame.iloc[cut:]], rows + cut
        if pending:
            frame = pd.concat(pending)
            scores.update(frame, frame[target].to_numpy())
            rows += len(frame)
        return {**scores.result(), "rows": rows}

    result: dict[str, Any] = table.run(work)
    return result


# ---------------------------------------------------------------------------------- output

COMPRESSION = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd", ".zip": "zip"}


@contextlib.contextmanager
def write_chunks(path: str | None) -> Iterator[Callable[[pd.DataFrame], None]]:
    """A function that appends a frame's rows to ``path``, in the format its name says.

    ``.parquet``/``.pq`` → Parquet (one row group per frame, the types of the first
    frame); ``.tsv``/``.tab`` → tab-separated; else CSV; a last suffix ``.gz``, ``.bz2``,
    ``.xz``, ``.zst`` or ``.zip`` compresses the text. The header is written once. The
    file appears, atomically, when the ``with`` block ends without an error; ``path``
    None writes CSV to stdout then, from a temporary file.
    """
    if path is None:
        with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
            yield _text_writer(spool, ",")
            spool.seek(0)
            shutil.copyfileobj(spool, sys.stdout)
        return
    target = Path(path)
    suffixes = [s.lower() for s in target.suffixes]
    with atomic_path(target) as tmp:
        if table_format(target) == "parquet":
            with _parquet_writer(tmp) as write:
                yield write
        else:
            compression = COMPRESSION.get(suffixes[-1]) if suffixes else None
            sep = "\t" if table_format(target) == "tsv" else ","
            with _open_text(tmp, compression, target) as handle:
                yield _text_writer(handle, sep)


def _text_writer(handle: IO[str], sep: str) -> Callable[[pd.DataFrame], None]:
    header = [True]

    def write(frame: pd.DataFrame) -> None:
        frame.to_csv(handle, index=False, sep=sep, header=header[0])
        header[0] = False

    return write


@contextlib.contextmanager
def _open_text(tmp: Path, compression: str | None, target: Path) -> Iterator[IO[str]]:
    """``tmp`` opened for UTF-8 text, through ``compression`` (a zip archive holds one
    member named as ``target`` without its ``.zip``)."""
    with contextlib.ExitStack() as stack:
        raw: Any  # a binary file: plain, compressed, or a zip member
        if compression is None:
            raw = stack.enter_context(open(tmp, "wb"))
        elif compression == "gzip":
            raw = stack.enter_context(gzip.open(tmp, "wb"))
        elif compression == "bz2":
            raw = stack.enter_context(bz2.open(tmp, "wb"))
        elif compression == "xz":
            raw = stack.enter_context(lzma.open(tmp, "wb"))
        elif compression == "zip":
            archive = stack.enter_context(zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED))
            raw = stack.enter_context(archive.open(target.name[: -len(".zip")], "w"))
        else:
            try:
                import zstandard
            except ImportError:
                raise TableError(
                    f"{target}: writing .zst needs the zstandard package: pip install "
                    "zstandard, or name the output .gz."
                ) from None
            raw = stack.enter_context(zstandard.open(tmp, "wb"))
        yield stack.enter_context(io.TextIOWrapper(raw, encoding="utf-8", newline=""))


@contextlib.contextmanager
def _parquet_writer(tmp: Path) -> Iterator[Callable[[pd.DataFrame], None]]:
    """Frames appended as row groups, with the schema (and pandas metadata) that
    ``DataFrame.to_parquet(index=False)`` gives the first frame."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    state: dict[str, Any] = {}

    def write(frame: pd.DataFrame) -> None:
        if "writer" not in state:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            state["schema"] = table.schema
            state["writer"] = pq.ParquetWriter(tmp, table.schema, compression="snappy")
        else:
            table = pa.Table.from_pandas(frame, schema=state["schema"], preserve_index=False)
        state["writer"].write_table(table)

    try:
        yield write
    finally:
        if "writer" in state:
            state["writer"].close()
