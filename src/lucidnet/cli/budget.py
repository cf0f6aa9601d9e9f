"""When ``lucidnet train`` streams a file it was not told to stream: the memory budget.

A table read whole takes several times its size on disk (pandas' columns, the text
cells as Python strings, the network's float32 inputs); a compressed file (gzip,
Parquet) more again. ``lucidnet train`` streams (the streamed recipe,
``lucidnet.tables.streamed``) when that estimate is over the memory budget, a quarter of
the machine's memory, and says so.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["in_memory_bytes", "memory_budget", "stream_by_default"]

EXPANSION = 4  # bytes in memory per byte of a plain CSV/TSV file
COMPRESSED = 4  # and again as much for gzip or Parquet


def memory_budget() -> int:
    """A quarter of this machine's physical memory, in bytes (4 GiB when unknown)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 4
    except (ValueError, OSError, AttributeError):
        return 4 * 2**30


def in_memory_bytes(path: str | Path) -> int:
    """The estimated memory of the table read whole: EXPANSION × its size (× COMPRESSED)."""
    path = Path(path)
    size = path.stat().st_size
    suffixes = [s.lower() for s in path.suffixes]
    compressed = ".gz" in suffixes or ".parquet" in suffixes or ".pq" in suffixes
    return size * EXPANSION * (COMPRESSED if compressed else 1)


def stream_by_default(path: str | Path) -> bool:
    """Whether ``path`` is too large to read whole (and say so); False when it is absent."""
    if not Path(path).is_file():
        return False  # reading it gives the clear error
    need, budget = in_memory_bytes(path), memory_budget()
    if need <= budget:
        return False
    print(
        f"streaming: {path} would take about {need / 2**30:.1f} GiB in memory, over the "
        f"memory budget of {budget / 2**30:.1f} GiB (a quarter of this machine's memory); "
        "--stream is chosen automatically"
    )
    return True
