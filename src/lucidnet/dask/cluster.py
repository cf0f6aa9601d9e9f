"""The cluster plumbing: finding or starting a Client, gathering results safely."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

INSTALL_HINT = 'lucidnet.dask needs Dask: pip install "lucidnet[dask]"'
FAN_IN = 8  # block sums added per reduction task on the workers

__all__ = [
    "FAN_IN",
    "INSTALL_HINT",
    "connect",
    "delayed",
    "gather",
    "get_client",
    "is_dask",
    "is_frame",
    "require_distributed",
    "tree",
]


def require_distributed() -> Any:
    try:
        import dask.array  # noqa: F401
        import distributed
    except ImportError as exc:
        raise ImportError(f"{INSTALL_HINT} ({exc}).") from exc
    return distributed


def get_client(client: Any) -> Any:
    distributed = require_distributed()
    if client is not None:
        return client
    try:
        return distributed.get_client()
    except ValueError:
        raise ValueError(
            "lucidnet.dask trains on a Dask cluster and found no distributed Client: start "
            "one first, e.g. Client(LocalCluster()) or Client('tcp://scheduler:8786')."
        ) from None


def is_dask(X: Any) -> bool:
    return type(X).__module__.split(".")[0] in ("dask", "dask_expr")


def is_frame(X: Any) -> bool:
    return is_dask(X) and hasattr(X, "columns")


# ---------------------------------------------------------------------------- on the workers


def gather(client: Any, futures: list[Any]) -> list[Any]:
    """client.gather, turning a lost cluster into a clear error (never a partial sum)."""
    distributed = require_distributed()
    try:
        return list(client.gather(futures))
    except distributed.KilledWorker as exc:
        raise RuntimeError(
            f"Training stopped: Dask workers died while computing the cost ({exc}). Dask "
            "retries a block on another worker, but this one failed too often. The estimator "
            "is as it was before this fit; check the workers' memory and logs, then fit again."
        ) from exc
    except (distributed.client.FutureCancelledError, OSError, TimeoutError) as exc:
        raise RuntimeError(
            f"Training stopped: the Dask cluster lost a result ({type(exc).__name__}: {exc}). "
            "The estimator is as it was before this fit; check that the scheduler and workers "
            "are running."
        ) from exc


def tree(client: Any, fn: Callable[..., Any], parts: list[Any]) -> Any:
    while len(parts) > 1:
        parts = [
            client.submit(fn, *parts[i : i + FAN_IN], pure=False)
            for i in range(0, len(parts), FAN_IN)
        ]
    return gather(client, parts)[0]


def delayed(fn: Callable[..., Any]) -> Any:
    import dask

    return dask.delayed(fn, pure=True)


def connect(address: str, n_workers: int = 2, timeout: str = "10s") -> tuple[Any, Any]:
    """A Client for ``address``, or for a new LocalCluster when ``address == "local"``.

    Returns (client, cluster); cluster is None for a remote address. Close both after use.
    """
    distributed = require_distributed()
    if address == "local":
        cluster = distributed.LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        return distributed.Client(cluster), cluster
    try:
        return distributed.Client(address, timeout=timeout), None
    except (OSError, TimeoutError) as exc:
        raise ValueError(
            f"Could not connect to a Dask scheduler at {address!r} ({exc}). Start one "
            "('dask scheduler' and 'dask worker ADDRESS'), or use --dask local."
        ) from None
