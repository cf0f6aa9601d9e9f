"""Summarize a py-spy ``--native -f raw`` profile of the training loop.

    py-spy record --native -r 1000 -f raw -o spy.txt -- \
        python benchmarks/scratch/profile_trainer.py S sgd 4 --plain
    python benchmarks/scratch/spy_summary.py spy.txt

Keeps the samples inside ``Trainer._epoch`` and sorts each by its leaf frame: BLAS,
NumPy inner loops (element-wise, reductions, copies, ``where``), NumPy call overhead
(ufunc dispatch, array creation, argument parsing, numpy's Python wrappers), libc
(malloc/free/memset/memcpy, incl. first-touch page faults), and the Python interpreter
running lucidnet's own lines. Then the share of each lucidnet function (innermost
lucidnet frame) and of each source line.
"""

from __future__ import annotations

import re
import sys
from collections import Counter

KERNEL = re.compile(
    r"^(FLOAT_|DOUBLE_|BOOL_|HALF_|LONG_|UBYTE_|_aligned_|_contig|_strided|_cast|npy_memcpy|"
    r"PyArray_Where|.*_X86_V\d|.*AVX|simd_|run_binary_simd|.*_inner_noblas|.*reduce_loop)"
)


def category(frames: list[str]) -> str:
    leaf = frames[-1]
    name, _, where = leaf.partition(" (")
    if "openblas" in where or name.startswith(("sgemm", "dgemm", "sgemv", "dgemv", "cblas")):
        return "BLAS"
    if "_multiarray_umath" in where or "_umath" in where:
        return "NumPy inner loops" if KERNEL.match(name) else "NumPy call overhead"
    if where.startswith("numpy/"):
        return "NumPy call overhead"
    if "libc.so" in where or "ld-linux" in where:
        return "libc (malloc/free/memset, page faults)"
    if "libpython" in where or where.startswith(("lucidnet/", "<frozen")) or ".py:" in where:
        return "Python interpreter (lucidnet lines)"
    return "other"


def main() -> None:
    path = sys.argv[1]
    cats: Counter[str] = Counter()
    funcs: Counter[str] = Counter()
    lines: Counter[str] = Counter()
    total = 0
    for raw in open(path):
        stack, _, count = raw.rstrip("\n").rpartition(" ")
        if "Trainer._epoch" not in stack:
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        cats[category(frames)] += n
        lucid = [f for f in frames if "(lucidnet/" in f]
        if lucid:
            inner = lucid[-1]
            funcs[inner.split(" (")[0]] += n
            lines[inner] += n
    print(f"{total} samples in Trainer._epoch\n\nBy leaf (where the CPU was):")
    for k, v in cats.most_common():
        print(f"  {100 * v / total:5.1f}%  {k}")
    print("\nBy innermost lucidnet function (inclusive of what it calls):")
    for k, v in funcs.most_common(14):
        print(f"  {100 * v / total:5.1f}%  {k}")
    print("\nTop lucidnet source lines:")
    for k, v in lines.most_common(14):
        print(f"  {100 * v / total:5.1f}%  {k}")


if __name__ == "__main__":
    main()
