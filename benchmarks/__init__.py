"""lucidnet's benchmarks: speed against its peers, memory when streaming, the table panel.

Run from the repository root (see docs/performance.md)::

    python -m benchmarks.run                 # the per-epoch and whole-fit suite
    python -m benchmarks.tables.run          # the panel of real tables
    python -m benchmarks.stream_memory       # peak memory of `lucidnet train --stream`
    python -m benchmarks.gpu_check           # correctness and speed on a GPU

Nothing here is imported by lucidnet; the modules import lucidnet's public API.
"""
