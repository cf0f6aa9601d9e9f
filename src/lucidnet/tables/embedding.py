"""The recipe's numerical embedding of a preprocessed table (``Recipe.numeric_embedding``).

The preprocessed columns start with the numeric ones (``TablePreprocessor.numeric``, in
order); those are embedded, and the missing-value indicators and one-hot columns pass
through to layer 1 as they are (docs/MATH.md §10).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucidnet.core.embeddings import PeriodicEmbedding, PiecewiseLinearEncoding, quantile_edges

__all__ = ["EMBEDDINGS", "embed", "embedding_of", "table_embedding"]

EMBEDDINGS = ("periodic", "piecewise")


def table_embedding(
    kind: str | None, n_numeric: int, X: np.ndarray, *, frequencies: int = 16, dim: int = 16,
    sigma: float | tuple[float, ...] = 0.1, bins: int = 16,
) -> PeriodicEmbedding | PiecewiseLinearEncoding | None:  # fmt: skip
    """The embedding of X's first ``n_numeric`` columns, or None.

    Parameters
    ----------
    kind : {"periodic", "piecewise"} or None
        "periodic": PLR (m = ``frequencies``, d = ``dim``, σ = ``sigma``); "piecewise":
        PLE on ``bins`` quantile bins of X's rows; None (or no numeric column): None.
    n_numeric : int
        The numeric columns, X's first ones.
    X : array of shape (n_samples, n_features)
        The preprocessed training rows (the bin edges come from them).
    """
    if kind is None or n_numeric == 0:
        return None
    if kind not in EMBEDDINGS:
        raise ValueError(f"numeric_embedding must be None or one of {EMBEDDINGS}; got {kind!r}.")
    n_features, features = int(X.shape[1]), tuple(range(n_numeric))
    if kind == "periodic":
        return PeriodicEmbedding(n_features, features, frequencies, dim, sigma)
    edges = quantile_edges(np.asarray(X[:, :n_numeric]), bins)
    return PiecewiseLinearEncoding(n_features, features, tuple(edges))


def embedding_of(recipe: Any, pre: Any, X: np.ndarray, n_rows: int | None = None) -> Any:
    """``recipe``'s embedding for the preprocessor ``pre``'s output X (None: none).

    The recipe's ``numeric_embedding``, ``embedding_frequencies`` (m),
    ``embedding_dim`` (d), ``embedding_sigma`` (σ) and ``embedding_bins``; None over
    ``embedding_max_rows`` training rows (``n_rows``, else X's rows) or
    ``embedding_max_columns`` numeric columns.
    """
    kind = getattr(recipe, "numeric_embedding", None)
    bound = getattr(recipe, "embedding_max_rows", None)
    if bound is not None and (len(X) if n_rows is None else n_rows) > bound:
        return None  # a large table goes without: ``Recipe.embedding_max_rows``
    wide = getattr(recipe, "embedding_max_columns", None)
    if wide is not None and len(pre.numeric) > wide:
        return None  # so does a wide one: ``Recipe.embedding_max_columns``
    return table_embedding(
        kind, len(pre.numeric), X, frequencies=recipe.embedding_frequencies,
        dim=recipe.embedding_dim, sigma=recipe.embedding_sigma, bins=recipe.embedding_bins,
    )  # fmt: skip


def embed(est: Any, recipe: Any, pre: Any, X: np.ndarray, n_rows: int | None = None) -> None:
    """Give ``est`` the recipe's embedding (:func:`embedding_of`) unless it has its own."""
    if est.embedding is None:
        est.set_params(embedding=embedding_of(recipe, pre, X, n_rows))
