"""Reading tables: CSV (also gzipped), TSV and Parquet, whole or in chunks of rows.

Every problem with a file is a :class:`TableError` whose message says how to fix it.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "TableError",
    "read_chunks",
    "read_table",
    "table_format",
    "unique_columns",
    "validation_mask",
]

DEFAULT_CHUNK_ROWS = 50_000


class TableError(ValueError):
    """A data file that cannot be used, with a message that says how to fix it."""


def unique_columns(columns: Iterable[Any], source: str = "the table") -> list[str]:
    """The column names as strings, which must be unique: TableError names the duplicates.

    ``0`` and ``"0"`` are duplicates too: a table's columns are named by their text.
    """
    names = [str(c) for c in columns]
    seen: dict[str, list[Any]] = {}
    for original, name in zip(columns, names, strict=True):
        seen.setdefault(name, []).append(original)
    duplicates = {name: found for name, found in seen.items() if len(found) > 1}
    if duplicates:
        listed = "; ".join(
            f"{name!r} ({len(found)} times"
            + (f": {found!r})" if len(set(map(repr, found))) > 1 else ")")
            for name, found in duplicates.items()
        )
        raise TableError(
            f"{source} has duplicate column name(s) {listed}; each column needs its own name: "
            "rename or drop the duplicates."
        )
    return names


def _csv_header(path: Path, **options: Any) -> None:
    """Refuse a CSV/TSV whose header repeats a name (pandas would rename the repeats
    ``a.1``, ``a.2``, silently)."""
    header = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False, **options)
    unique_columns(header.iloc[0].tolist() if len(header) else [], str(path))


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (also .csv.gz), TSV or Parquet file into a DataFrame.

    Raises
    ------
    TableError
        Missing file, unknown format, empty file, a header without rows, or a header
        that repeats a column name.
    """
    path = Path(path)
    if not path.exists():
        raise TableError(f"{path}: no such file. Check the path.")
    if path.is_dir():
        raise TableError(f"{path} is a folder; give a CSV, TSV or Parquet file.")
    suffixes = [s.lower() for s in path.suffixes]
    try:
        if ".parquet" in suffixes or ".pq" in suffixes:
            frame = pd.read_parquet(path)
        else:
            kind = table_format(path)
            separators: dict[str, dict[str, Any]] = {
                "tsv": {"sep": "\t"},
                "txt": {"sep": None, "engine": "python"},
            }
            options = separators.get(kind, {})
            _csv_header(path, **options)
            frame = pd.read_csv(path, **options)
    except TableError:
        raise
    except pd.errors.EmptyDataError:
        raise TableError(f"{path} is empty: it needs a header line and at least one row.") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TableError(
            f"{path} could not be read as "
            f"{'Parquet' if '.parquet' in suffixes else 'a CSV/TSV table'}: "
            f"{first}."
        ) from None
    if frame.shape[1] == 0:
        raise TableError(f"{path} has no columns: it needs a header line naming them.")
    if frame.shape[0] == 0:
        raise TableError(f"{path} has a header but no rows: add data rows below the header.")
    frame.columns = unique_columns(frame.columns, str(path))
    return frame


def table_format(path: Path) -> str:
    """ "parquet", "tsv", "txt" (any separator) or "csv", from the file's suffixes."""
    suffixes = [s.lower() for s in path.suffixes]
    if ".parquet" in suffixes or ".pq" in suffixes:
        return "parquet"
    if ".tsv" in suffixes or ".tab" in suffixes:
        return "tsv"
    return "txt" if ".txt" in suffixes else "csv"


def read_chunks(
    path: str | Path, chunk_rows: int = DEFAULT_CHUNK_ROWS, text_columns: list[str] | None = None
) -> Generator[pd.DataFrame, None, None]:
    """The rows of a CSV (.csv, .csv.gz), TSV or Parquet file, ``chunk_rows`` at a time.

    Parameters
    ----------
    path : str or Path
    chunk_rows : int
        Rows per chunk (Parquet: per record batch, read row group by row group).
    text_columns : list of str, optional
        CSV/TSV columns to read as text in every chunk (so that a chunk whose values all
        look like numbers still gives their text, as a whole-file read would).

    Raises
    ------
    TableError
        Missing or unreadable file, or a file without rows.
    """
    path = Path(path)
    if not path.exists():
        raise TableError(f"{path}: no such file. Check the path.")
    if path.is_dir():
        raise TableError(f"{path} is a folder; give a CSV, TSV or Parquet file.")
    kind = table_format(path)
    dtype = {c: str for c in text_columns} if text_columns else None
    any_rows = False
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
                frame = batch.to_pandas()
                any_rows = any_rows or len(frame) > 0
                frame.columns = unique_columns(frame.columns, str(path))
                yield frame
        else:
            options: dict[str, Any] = {"chunksize": chunk_rows, "dtype": dtype}
            if kind == "tsv":
                options["sep"] = "\t"
            elif kind == "txt":
                options.update(sep=None, engine="python")
            _csv_header(path, **{k: v for k, v in options.items() if k in ("sep", "engine")})
            with pd.read_csv(path, **options) as reader:
                for frame in reader:
                    any_rows = any_rows or len(frame) > 0
                    frame.columns = [str(c) for c in frame.columns]
                    yield frame
    except pd.errors.EmptyDataError:
        raise TableError(f"{path} is empty: it needs a header line and at least one row.") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TableError(f"{path} could not be read in chunks: {first}.") from None
    if not any_rows:
        raise TableError(f"{path} has a header but no rows: add data rows below the header.")


def validation_mask(n_rows: int, chunk: int, seed: int, fraction: float) -> np.ndarray:
    """Which rows of chunk number ``chunk`` are held out: the same ones in every pass."""
    if fraction <= 0:
        return np.zeros(n_rows, dtype=bool)
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, int(chunk)])
    return rng.random(n_rows) < fraction
