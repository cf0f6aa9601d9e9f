"""The tabular recipe: how a table is preprocessed and trained, declared once with its defaults.

:class:`Recipe` is a policy object measured on a panel of real tables
(``benchmarks/tables``):

- numbers: median imputation with missing-value indicators, robust scaling (median,
  interquartile range) and the smooth clip x / √(1 + (x/3)²), then a periodic
  embedding before layer 1 (``numeric_embedding``); text: one-hot encoding of the
  ``max_categories`` most frequent categories; count targets: a Poisson output
  (``count_loss``);
- an ensemble of ``n_members`` networks trained at once (``lucidnet.core.ensemble``),
  Adam with β₂ = 0.95, float32;
- tables of up to ``cross_fit_max_rows`` rows are cross-fitted: member k of the ensemble
  leaves fold k of the rows out and picks its own epoch on it, every row training K − 1
  of the K members, no refit (``cross_fit``, :meth:`Recipe.cross_fits`,
  ``lucidnet.training.crossfit``);
- larger tables (and a single network): the best epoch chosen on held-out rows, then a
  refit on ALL the rows for that many epochs (``refit``), within a budget that scales
  with the rows: at most ``max_validation_rows`` held-out rows, patience counted in
  optimizer steps (``patience_steps``), and no refit where the held-out rows are under
  ``min_refit_share`` of the table;
- ``time_limit``: a hard budget in seconds of training (JAX's compilation comes before
  the clock: :class:`~lucidnet.training.TimeLimit`); the best model so far is kept.

``TabularClassifier`` / ``TabularRegressor`` take their parameters' defaults from
:data:`RECIPE`, ``lucidnet train`` its options' defaults and help texts, and
:func:`~lucidnet.tables.fit.fit_table` applies it to rows held in memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the defaults are read without NumPy, pandas or scikit-learn
    import numpy as np

    from lucidnet.tables.preprocess import TablePreprocessor

__all__ = ["RECIPE", "Recipe", "steps_per_epoch"]


@dataclass(frozen=True)
class Recipe:
    """How a table is preprocessed and trained (the defaults are the recipe's).

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(64, 128)
        With the periodic embedding, a first layer of 64 units pays for the wider input
        it reads (see ``numeric_embedding``); without it the recipe used (128, 128).
    n_members : int, default=4
        K networks trained at once; predictions are their mean.
    learning_rate : float, default=2e-3
        Adam's step size.
    beta_2 : float, default=0.95
        Adam's second-moment decay.
    batch_size : int, default=256
        At most ⌈rows trained on / min_steps⌉, not under 16 (:meth:`batch_for`).
    min_steps : int, default=4
        The fewest optimizer steps per epoch: a table of under 4 · 256 rows trained on
        (per member when cross-fitted) takes smaller minibatches rather than one or two
        full ones. Measured on the development panel's 5 tables it changes (3 seeds):
        accuracy/R² +0.0021 on their mean (oj +0.0075, breast_cancer +0.0023), log-loss
        +0.0004 on the 3 classification tables (penguins +0.003, breast_cancer and oj
        lower), and members reach their best epoch in fewer epochs.
    max_epochs : int, default=200
    patience : int, default=10
        At most this many epochs without improvement of the held-out loss before the
        first phase stops (per member when cross-fitted); fewer on large tables
        (``patience_steps``). Measured on the development panel (22 tables, 3 seeds,
        cross-fitted): 10 against 16 trains 20 % fewer row-epochs for a mean score
        0.0004 lower (within the seeds' noise; the slowly converging tables lose most:
        bikeshare R² −0.005, gen_uninformative −0.007) and the same log-loss (+0.0001).
    patience_steps : int or None, default=1000
        Patience in optimizer steps: the first phase waits
        ``min(patience, max(min_patience, ⌈patience_steps / steps per epoch⌉))`` epochs
        (None: always ``patience``). 1000 steps keep 10 epochs up to 100 steps per epoch
        (25,600 training rows at batch 256: every table of ≤ 20,000 rows); a 100 k-row
        table waits 4–5 epochs, one of over 110 k rows ``min_patience``.
        Safe there: an epoch of a large table is thousands of steps, so the held-out
        loss moves by its trend from one epoch to the next, not by noise, and the
        held-out rows (up to ``max_validation_rows``) are 5× those of a 20 k-row table.
    min_patience : int, default=3
        The fewest epochs of patience, however long an epoch, and however early a
        cross-fitted member's best epoch (``patience_share``).
    patience_share : float or None, default=0.5
        A cross-fitted member waits min(patience, max(min_patience, ⌈0.5 · e − 1⌉))
        epochs, e its best epoch so far
        (:func:`~lucidnet.estimators.refit.fit_cross_fitted`): one whose fold loss is best
        after 4 epochs waits 3, one best after 22 or more the full 10 (None: ``patience``
        for every member). Measured on the development panel (22 tables, 3 seeds):
        the member-epochs trained fall to 0.66× (median over the tables; 0.4–0.6× where
        the members are best within 10 epochs), the mean score −0.0002 and the log-loss
        unchanged (+0.0000); min_patience 2 instead of 3: the same cost and log-loss +0.0004.
    validation_fraction : float, default=0.2
        Rows held out to choose the epoch when no held-out rows are given.
    max_validation_rows : int or None, default=20000
        At most this many of them (the rest train; None: no cap); of held-out rows given
        apart, at most this many (a seeded sample) are scored after each epoch. The
        held-out log-loss of 20,000 rows has a standard error near 0.004, and the
        difference between two epochs, measured on the same rows, a far smaller one;
        more rows cost a pass over them after every epoch and take rows from training.
        Applies from 100,000 rows on at the default fraction.
    max_categories : int or None, default=64
        One-hot columns per text column (the rarest categories share all-zero rows): the
        ``max_categories − 1`` most frequent when there are ``max_categories`` or more.
    min_frequency : int or None, default=10
        Also one-hot encode every other level of a text column seen in at least this
        many training rows (``lucidnet.tables.preprocess.kept_levels``); None: only the
        most frequent ones of ``max_categories``. Tables whose text columns have fewer
        than ``max_categories`` levels are unchanged by it. Measured (3 seeds,
        ``benchmarks/tables/levels.py``) against the most frequent 63 alone:
        gen_rare_categories (388 levels) accuracy +0.0013, log-loss −0.002; 300 equally
        frequent informative levels +0.038; a 1,000-level column with no effect R²
        −0.0001 (min_frequency 5: gen_rare_categories +0.0075, but the column with no
        effect −0.0026).
    max_levels : int or None, default=256
        With ``min_frequency``: at most this many one-hot columns per text column, the
        most frequent levels (None: no cap).
    choose_epochs : bool, default=True
        Choose the number of epochs on held-out rows (then refit); False: train the
        estimator's own ``max_iter`` epochs (or its own early stopping).
    refit : bool, default=True
        After choosing the epochs, train afresh on every row for that many epochs.
    min_refit_share : float, default=0.1
        The refit runs only when the held-out rows are at least this share of all the
        rows; below it (a table of over 200,000 rows with the cap above) the first
        phase's best-epoch model is kept: the refit would train a second time, as long
        as the first phase's chosen epochs, for under 10 % more rows, where the
        learning curve is flat.
    cross_fit : bool or None, default=None
        Instead of choosing the epochs on held-out rows and refitting: split the rows
        into ``n_members`` folds (stratified for classification, seeded); member k trains
        with weight 0 on fold k, keeps its best epoch on fold k (``patience`` epochs per
        member), no refit (:func:`~lucidnet.estimators.refit.fit_cross_fitted`). Rows
        given apart as held-out rows stay held out. None: cross-fit the tables of up to
        ``cross_fit_max_rows`` rows when there are at least 2 members (otherwise choose
        the epochs and refit); True: always (one member raises); False: never
        (:meth:`cross_fits`). Either way only when ``choose_epochs``.
    cross_fit_max_rows : int, default=1000000
        The most rows that ``cross_fit=None`` cross-fits. Measured up to there (3 seeds
        each): on the development panel (22 tables of ≤ 20,000 rows) cross-fitting beat
        choosing the epochs and refitting on quality on every seed, in 22 % less time;
        on the scale benchmark's table it beat the held-out budget on every seed at
        100,000 rows (75,000 training rows: accuracy +0.0039, log-loss −0.0034 on the
        mean, in about half the time) and at 1,000,000 (accuracy +0.0012, log-loss
        −0.0019; about 0.9× the member-epochs × rows). Larger tables keep the held-out
        budget.
    time_limit : float, optional
        Seconds for training (each fit's engine start-up, JAX's compilation, is left
        out: :class:`~lucidnet.training.TimeLimit`); the best model so far is kept when
        they run out.
    dtype : {"float32", "float64"}, default="float32"
    numeric_embedding : {None, "periodic", "piecewise"}, default="periodic"
        Embed each numeric column before layer 1 (``lucidnet.tables.embedding``):
        "periodic" (PLR: ``embedding_frequencies`` learned frequencies into
        ``embedding_dim`` values per column), "piecewise" (``embedding_bins`` quantile
        bins per column); None: the numbers go in as they are. Measured on the
        development panel (22 tables, 3 seeds, the same splits), the defaults (16
        frequencies, a quarter of them drawn at σ = 1, into 8 values; hidden layers
        (64, 128)) against the recipe without an embedding and with hidden layers
        (128, 128): mean gap to HistGradientBoosting +0.0015 → +0.0181 (every seed:
        +0.005/−0.001/+0.001 → +0.022/+0.015/+0.017; ahead of it on 21 of 22 tables),
        mean log-loss on the 12 classification tables 0.3251 → 0.3232, gen_jagged R²
        0.656 → 0.956, gen_uninformative 0.863 → 0.930, bikeshare 0.926 → 0.948; lower on
        8 tables, most on the smallest (diabetes, 442 rows: 0.398 → 0.356; hmda and oj
        −0.006). Cost, counted (``benchmarks/tables/cost.py``: a row's forward
        multiply-adds × epochs trained, over the former recipe's): 0.86× on the median
        table, 0.52× on bikeshare, at most 3.5× (caravan, 85 numeric columns); the
        embedding's cos and sin (2 p m per row) are not in the count. The same embedding
        with 16 frequencies into 16 values and hidden layers (128, 128): mean gap
        +0.0106, 1.90× the cost on the median table. On the JAX engine the float32 fit
        drifts from the NumPy engine's (the two round cos and sin differently, and
        training amplifies it: penguins, the same epochs, 7e-3 in the probabilities); in
        float64 the two agree to ~1e-13 over 50 epochs.
    embedding_frequencies : int, default=16
        m, the periodic embedding's learned frequencies per numeric column.
    embedding_max_rows : int or None, default=200000
        Tables of more training rows go without the numerical embedding (None: no
        bound). Measured on the scale benchmark's table (20 columns, 18 numeric, 3 seeds,
        ``benchmarks/results/scale_small.md`` against the run before the embedding) it
        costs 1.8–1.9× the time per row (10 k rows: accuracy 0.732 → 0.756, 0.132 →
        0.234 s per 1,000 rows; 100 k: 0.772 → 0.775, 0.098 → 0.188 s), which at
        1,000,000 rows would pass the 2 minutes a million rows may take; without it a
        million rows train in 81–89 s (``scale_1m.md``), and the gain shrinks as the
        rows grow.
    embedding_max_columns : int or None, default=60
        Tables of more numeric columns go without the numerical embedding (None: no
        bound): its cost grows with the columns. Measured on the development panel (3
        seeds): digits (64 columns) took 3.9× scikit-learn's MLP's time with it, for an
        accuracy of 0.9733 against 0.9719 without it; caravan (85) 6.6× its time without
        it, for the same accuracy (0.9402); gen_uninformative (50) gains 0.863 → 0.930.
    embedding_dim : int, default=8
        d, the values each numeric column becomes with the periodic embedding: layer 1
        reads p · d of them for p numeric columns. One row's forward pass through the
        embedding and layer 1 costs p (m + 2 m d + d n[1]) multiply-adds, against
        p n[1] without it (``benchmarks/tables/cost.py``).
    embedding_sigma : float or tuple of float, default=(0.1, 0.1, 0.1, 1.0)
        σ of the periodic embedding: its frequencies start from N(0, σ²) truncated at ±3σ
        (``lucidnet.core.embeddings.PeriodicEmbedding``); larger σ draws sharper steps.
        A tuple draws the m frequencies at several scales, in equal groups: the default
        draws 12 of 16 at σ = 0.1 and 4 at σ = 1. Measured (3 seeds, 16 frequencies into
        8 values, hidden layers (64, 128)), mean gap to HistGradientBoosting /
        gen_jagged R² / diabetes R²: σ = 0.1 +0.0105 / 0.756 / 0.371; half at 0.4
        +0.0157 / 0.887 / 0.354; a quarter at 1 +0.0181 / 0.956 / 0.356; half at 1
        +0.0155 / 0.963 / 0.327.
    embedding_bins : int, default=16
        Quantile bins per numeric column of the piecewise-linear encoding.
    count_loss : {None, "poisson"}, default="poisson"
        "poisson": a regression target of counts (whole numbers ≥ 0, the smallest 0 or 1)
        is learned by an exp output with the Poisson loss (``lucidnet.tables.counts``);
        None: squared error on the standardised target. Measured on the development
        panel's three count tables (3 seeds, two panel runs on the same splits): R²
        bikeshare 0.9212 → 0.9261, randhie 0.2516 → 0.2522, gen_counts 0.6641 → 0.6733;
        other targets unchanged.
    """

    hidden_layer_sizes: tuple[int, ...] = (64, 128)
    n_members: int = 4
    learning_rate: float = 2e-3
    beta_2: float = 0.95
    batch_size: int = 256
    min_steps: int = 4
    max_epochs: int = 200
    patience: int = 10
    patience_steps: int | None = 1000
    min_patience: int = 3
    patience_share: float | None = 0.5
    validation_fraction: float = 0.2
    max_validation_rows: int | None = 20_000
    max_categories: int | None = 64
    min_frequency: int | None = 10
    max_levels: int | None = 256
    choose_epochs: bool = True
    refit: bool = True
    min_refit_share: float = 0.1
    cross_fit: bool | None = None
    cross_fit_max_rows: int = 1_000_000
    time_limit: float | None = None
    dtype: str = "float32"
    numeric_embedding: str | None = "periodic"
    embedding_frequencies: int = 16
    embedding_max_rows: int | None = 200_000
    embedding_max_columns: int | None = 60
    embedding_dim: int = 8
    embedding_sigma: float | tuple[float, ...] = (0.1, 0.1, 0.1, 1.0)
    embedding_bins: int = 16
    count_loss: str | None = "poisson"

    def preprocessor(self) -> TablePreprocessor:
        """The unfitted preprocessing: robust scaling + smooth clip, indicators, one-hot."""
        from lucidnet.tables.preprocess import TablePreprocessor

        return TablePreprocessor(
            scaling="robust",
            missing_indicators=True,
            max_categories=self.max_categories,
            min_frequency=self.min_frequency,
            max_levels=self.max_levels,
        )

    def estimator_params(self) -> dict[str, Any]:
        """The recipe as MLPClassifier / MLPRegressor parameters."""
        return {
            "hidden_layer_sizes": self.hidden_layer_sizes,
            "n_members": self.n_members,
            "learning_rate_init": self.learning_rate,
            "beta_2": self.beta_2,
            "batch_size": self.batch_size,
            "max_iter": self.max_epochs,
            "early_stopping": True,
            "validation_fraction": self.validation_fraction,
            "n_iter_no_change": self.patience,
            "tol": 0.0,
            "dtype": self.dtype,
        }

    def estimator(self, task: str, params: dict[str, Any] | None = None) -> Any:
        """The unfitted MLPClassifier / MLPRegressor (``params`` override the recipe's)."""
        from lucidnet.estimators import MLPClassifier, MLPRegressor

        Est = MLPClassifier if task == "classification" else MLPRegressor
        return Est(**{**self.estimator_params(), **(params or {})})

    def batch_for(self, n_train: float, batch_size: Any) -> Any:
        """The minibatch size for ``n_train`` rows trained on (``batch_size`` if not an int).

        Notes
        -----
        B' = min(B, max(16, ⌈n_train / min_steps⌉))
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, int):
            return batch_size
        return int(min(batch_size, max(16, math.ceil(n_train / self.min_steps))))

    def held_out_fraction(self, n_rows: int, fraction: float | None = None) -> float:
        """The share of ``n_rows`` held out to choose the epoch: ``fraction``, capped.

        Notes
        -----
        f = min(fraction, max_validation_rows / n_rows)   (``fraction`` defaults to
        ``validation_fraction``; no cap when ``max_validation_rows`` is None)
        """
        fraction = self.validation_fraction if fraction is None else fraction
        cap = self.max_validation_rows
        if cap is None or fraction * n_rows <= cap:
            return fraction
        return cap / n_rows

    def patience_epochs(self, steps: int, patience: int | None = None) -> int:
        """Epochs of patience for an epoch of ``steps`` optimizer steps.

        Notes
        -----
        min(patience, max(min_patience, ⌈patience_steps / steps⌉))   (``patience``
        defaults to the recipe's; ``patience`` itself when ``patience_steps`` is None)
        """
        patience = self.patience if patience is None else patience
        if self.patience_steps is None:
            return patience
        scaled = -(-self.patience_steps // max(1, steps))  # ⌈patience_steps / steps⌉
        return int(min(patience, max(self.min_patience, scaled)))

    def cross_fits(self, n_rows: int, n_members: int) -> bool:
        """Whether a table of ``n_rows`` rows (held-out rows included) is cross-fitted.

        ``cross_fit`` when set; None: ``n_rows ≤ cross_fit_max_rows`` and
        ``n_members ≥ 2``; never without ``choose_epochs``.
        """
        if not self.choose_epochs or self.cross_fit is False:
            return False
        if self.cross_fit:
            return True
        return n_rows <= self.cross_fit_max_rows and n_members >= 2

    def fit(
        self,
        est: Any,
        X: np.ndarray,
        y: np.ndarray,
        *,
        validation_data: tuple[Any, ...] | None = None,
        on_selected: Any = None,
        resume_from: Any = None,
        sample_weight: np.ndarray | None = None,
    ) -> Any:
        """Train ``est`` on rows in memory the recipe's way; returns the fitted estimator.

        When :meth:`cross_fits` (on X's rows and ``validation_data``'s, with the
        estimator's ``n_members``) and no ``resume_from``: one cross-fitted training on X
        (``validation_data`` stays apart, for ``on_selected`` to score). With
        ``choose_epochs``: the epochs are chosen on ``validation_data`` (or on the
        estimator's own held-out split when None, at most ``max_validation_rows`` rows:
        :meth:`held_out_fraction`) with the patience of :meth:`patience_epochs`,
        ``on_selected`` sees that model, then the refit trains on every row
        (:func:`~lucidnet.estimators.refit.fit_and_refit`) when the held-out rows are at
        least ``min_refit_share`` of all the rows. Otherwise one fit of the
        estimator's own epochs, continued from ``resume_from`` when given.
        ``sample_weight`` (shape (n_samples,)) weighs X's rows when the epochs are chosen
        on ``validation_data``; elsewhere it is refused.
        """
        from lucidnet.estimators.refit import fit_and_refit, fit_cross_fitted, fit_within
        from lucidnet.tables.read import TableError

        n_given = 0 if validation_data is None else len(validation_data[0])
        K = int(est.n_members)
        cross_fit = resume_from is None and self.cross_fits(len(X) + n_given, K)
        if sample_weight is not None and (
            cross_fit or not (self.choose_epochs and n_given and resume_from is None)
        ):
            raise ValueError(
                "Recipe.fit weighs rows only when it chooses the epochs on validation_data "
                "without cross-fitting; pass cross_fit=False and validation_data, or no weights."
            )
        if cross_fit:
            est.set_params(batch_size=self.batch_for(len(X) * (K - 1) / K, est.batch_size))
            scored = on_selected if validation_data is not None else None
            return fit_cross_fitted(
                est,
                X,
                y,
                time_limit=self.time_limit,
                on_selected=scored,
                patience_share=self.patience_share,
                min_patience=self.min_patience,
            )
        if self.choose_epochs and resume_from is None:
            n_rows = len(X)
            if validation_data is None:  # its own split of the rows, at most the cap
                fraction = self.held_out_fraction(n_rows, est.validation_fraction)
                est.set_params(early_stopping=True, validation_fraction=fraction)
                n_val = round(fraction * n_rows)
            else:
                n_val, n_rows = len(validation_data[0]), n_rows + len(validation_data[0])
            est.set_params(batch_size=self.batch_for(n_rows - n_val, est.batch_size))
            if math.isfinite(float(est.n_iter_no_change)):
                steps = steps_per_epoch(n_rows - n_val, est.batch_size)
                patience = self.patience_epochs(steps, est.n_iter_no_change)
                est.set_params(n_iter_no_change=patience)
            return fit_and_refit(
                est,
                X,
                y,
                sample_weight=sample_weight,
                validation_data=validation_data,
                refit=self.refit and n_val >= self.min_refit_share * n_rows,
                time_limit=self.time_limit,
                on_selected=on_selected if validation_data is not None else None,
                max_validation_rows=self.max_validation_rows,
            )
        if validation_data is None and est.early_stopping:
            raise TableError("Early stopping needs validation rows; set validation above 0.")
        est.set_params(batch_size=self.batch_for(len(X), est.batch_size))
        return fit_within(
            est,
            X,
            y,
            validation_data=validation_data,
            time_limit=self.time_limit,
            resume_from=resume_from,
        )


def steps_per_epoch(n_train: int, batch_size: Any) -> int:
    """⌈n_train / B⌉ optimizer steps per epoch (B = min(batch_size, n_train); "auto": 200)."""
    batch = 200 if batch_size == "auto" else int(batch_size)
    return -(-n_train // max(1, min(batch, n_train)))


RECIPE = Recipe()
