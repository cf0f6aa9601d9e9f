"""One fit of the scale benchmark per process: the generated table, one system, one size.

    python -m benchmarks.scale_job --system lucidnet --rows 10000 --task classification
    python -m benchmarks.scale_job --system lucidnet --rows 10000 --profile
    python -m benchmarks.scale_job --system step --batch-sizes 256,1024,4096

``scale.py`` runs these jobs, one fresh interpreter each, so that time and memory are the
system's own; a job prints one line ``BENCH_RESULT {...json...}`` (as ``jobs.py`` does).

The table (:func:`make_table`)
------------------------------
``rows`` rows × 20 columns from ``numpy.random.default_rng(seed)``: 18 numbers, x00–x17,
Gaussian mixed through a random matrix (correlated), x12–x14 made skewed (exp), x15 a
count (Poisson); 2 text columns, c0 (6 levels, unequal shares) and c1 (40 levels, Zipf-like
shares). The signal f = x00 − 0.8 x01 + 0.6 x02·x03 + sin(2 x04) + 0.5 |x05|
+ 0.4 tanh(x06·x07) + 0.3 log(1 + x12) + a(c0) + b(c1), with a and b random level
effects; the other nine numbers (x08–x11, x13–x17) carry no signal. Then 5 % of the
cells of x08–x11, x12 and c0 are emptied (missing at random). Classification: y = 1
when f + 0.5·std(f)·logistic noise is above f's median (balanced classes); regression:
y = f + Gaussian noise of 0.5·std(f).

The systems
-----------
``hgb``, ``sk-mlp`` and ``lucidnet`` are ``benchmarks/tables/systems.py``'s fit functions
(HistGradientBoosting defaults; scikit-learn's MLP defaults behind imputation, scaling and
one-hot; the recipe's ``TabularClassifier`` / ``TabularRegressor`` defaults), fitted on the
75 % split (stratified for classification) and scored on the 25 %. ``recipe_time_limit``
passes the recipe's own ``time_limit=`` (a time-limited fit, reported as such). lucidnet
runs the recipe's path for large tables at every size, ``cross_fit=False`` (the default
over ``Recipe.cross_fit_max_rows`` = 20,000 rows; smaller tables are cross-fitted by
default, measured on the table panel), so its phases can be timed at small sizes too.

For lucidnet, :class:`Probe` wraps ``fit_and_refit`` as the Recipe calls it (the recipe's
training step) without changing what it does: it records when the selection phase ends
(its ``on_selected`` hook), the epochs run, the best epoch, the refit's epochs and the
steps, so the fit's seconds split into preprocessing, selection and refit. With
``--profile`` each of those three parts runs under its own ``cProfile.Profile``;
``scale_profile.py`` sorts the entries into forward, backward, update, validation, ...

``lucidnet-jax`` (run only when named) is ``lucidnet`` with ``engine="jax"``, unprobed:
the compiled engine's whole fit, its compilation included, on the same path.

``step`` times the recipe's training step alone (``scale_profile.step_costs``).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import sys
import time
import traceback
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.jobs import RESULT_PREFIX, Memory, peak_rss_mb

TASKS = ("classification", "regression")
SYSTEM_NAMES = ("lucidnet", "sk-mlp", "hgb")
EXTRA_SYSTEMS = ("lucidnet-jax",)  # run when named: the recipe on engine="jax"
TEST_SIZE = 0.25
MISSING = 0.05


# --------------------------------------------------------------------------- the table


def make_table(rows: int, task: str, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """The generated table: ``rows`` × 20 columns and a target (see the module doc)."""
    rng = np.random.default_rng(seed)
    mix = np.eye(18) + 0.3 * rng.standard_normal((18, 18)) / np.sqrt(18)
    x = (rng.standard_normal((rows, 18)) @ mix).astype(np.float64)
    x[:, 12:15] = np.exp(0.75 * x[:, 12:15])
    x[:, 15] = rng.poisson(3.0, rows)
    c0 = rng.choice(6, size=rows, p=[0.35, 0.25, 0.15, 0.12, 0.08, 0.05])
    shares = 1.0 / np.arange(1, 41)
    c1 = rng.choice(40, size=rows, p=shares / shares.sum())
    a, b = rng.normal(0.0, 0.6, 6), rng.normal(0.0, 0.4, 40)
    f = (
        x[:, 0]
        - 0.8 * x[:, 1]
        + 0.6 * x[:, 2] * x[:, 3]
        + np.sin(2.0 * x[:, 4])
        + 0.5 * np.abs(x[:, 5])
        + 0.4 * np.tanh(x[:, 6] * x[:, 7])
        + 0.3 * np.log1p(x[:, 12])
        + a[c0]
        + b[c1]
    )
    noise = 0.5 * float(np.std(f))
    if task == "classification":
        y = (f + noise * rng.logistic(size=rows) > np.median(f)).astype(np.int64)
    else:
        y = f + noise * rng.standard_normal(rows)
    frame = pd.DataFrame(x, columns=[f"x{j:02d}" for j in range(18)])
    frame["c0"] = np.array([f"g{k}" for k in range(6)], dtype=object)[c0]
    frame["c1"] = np.array([f"k{k:02d}" for k in range(40)], dtype=object)[c1]
    for column in ("x08", "x09", "x10", "x11", "x12"):
        frame.loc[rng.random(rows) < MISSING, column] = np.nan
    frame.loc[rng.random(rows) < MISSING, "c0"] = None
    return frame, pd.Series(y, name="y")


def split(rows: int, task: str, seed: int) -> tuple[Any, ...]:
    """The table of ``seed`` split 75/25 (stratified for classification): every system's."""
    from sklearn.model_selection import train_test_split

    X, y = make_table(rows, task, seed)
    stratify = y if task == "classification" else None
    return tuple(train_test_split(X, y, test_size=TEST_SIZE, random_state=seed, stratify=stratify))


# --------------------------------------------------------------------------- the probe


class Probe:
    """What the recipe's fit did, read through wrappers around ``fit_and_refit`` and
    ``fit_cross_fitted`` (a cross-fitted fit is one phase, "selection", with no refit).

    ``profile`` runs preprocessing, selection and refit each under its own profiler.
    """

    def __init__(self, profile: bool) -> None:
        self.marks: dict[str, float] = {}
        self.facts: dict[str, Any] = {}
        self.profilers = {p: cProfile.Profile() for p in ("pre", "selection", "refit")}
        self.profile = profile
        self._on: str | None = None

    def switch(self, phase: str | None) -> None:
        """Stop the current phase's profiler, start ``phase``'s (None: stop only)."""
        if self.profile and self._on is not None:
            self.profilers[self._on].disable()
        self._on = phase
        if self.profile and phase is not None:
            self.profilers[phase].enable()

    def wrap(self, real: Any) -> Any:
        def fit_and_refit(est: Any, X: Any, y: Any, **kwargs: Any) -> Any:
            theirs = kwargs.pop("on_selected", None)
            self.marks["selection"] = time.perf_counter()
            self.switch("selection")
            self.facts.update(train_rows=len(X), features=int(X.shape[1]))
            self.facts["validation_rows"] = (
                round(len(X) * est.validation_fraction) if est.early_stopping else 0
            )

            def on_selected(first: Any) -> None:
                self.switch("refit")
                self.marks["refit"] = time.perf_counter()
                self.facts.update(selection_facts(first))
                if theirs is not None:
                    theirs(first)

            final = real(est, X, y, on_selected=on_selected, **kwargs)
            self.switch(None)
            self.marks["end"] = time.perf_counter()
            self.facts["refit_ran"] = final is not est
            if final is not est:
                self.facts.update(
                    refit_epochs=int(final.n_iter_),
                    refit_steps=int(final.trainer_.n_batches),
                    refit_rows_trained=int(final.trainer_.t),
                )
            return final

        return fit_and_refit

    def wrap_cross_fit(self, real: Any) -> Any:
        def fit_cross_fitted(est: Any, X: Any, y: Any, **kwargs: Any) -> Any:
            self.marks["selection"] = time.perf_counter()
            self.switch("selection")
            self.facts.update(train_rows=len(X), features=int(X.shape[1]), validation_rows=0)
            final = real(est, X, y, **kwargs)
            self.switch(None)
            self.marks["end"] = time.perf_counter()
            members = [int(e) for e in final.member_epochs_]
            self.facts.update(selection_facts(final), cross_fitted=True, refit_ran=False)
            self.facts.update(
                member_epochs=members,
                best_epoch=max(members),
                patience_epochs=int(final.n_iter_) - max(members),
            )
            return final

        return fit_cross_fitted


def selection_facts(est: Any) -> dict[str, Any]:
    """Epochs, best epoch, patience spent and steps of the selection phase's estimator."""
    trainer = est.trainer_
    epochs = int(est.n_iter_)
    best = int(trainer.best_epoch or epochs)
    seconds = [float(h.get("seconds", np.nan)) for h in trainer.history]
    return {
        "batch_size": int(est.batch_size),
        "selection_epochs": epochs,
        "best_epoch": best,
        "patience_epochs": epochs - best,
        "selection_steps": int(trainer.n_batches),
        "selection_rows_trained": int(trainer.t),
        "stop_reason": str(trainer.stop_reason),
        "epoch_seconds_median": float(np.median(seconds)) if seconds else None,
    }


def fit_lucidnet_probed(
    X: pd.DataFrame, y: pd.Series, task: str, seed: int, profile: bool, limit: float | None
) -> tuple[Any, dict[str, Any], Probe]:
    """The recipe's fit (``systems.fit_lucidnet``) with :class:`Probe` watching it."""
    import lucidnet.estimators.refit as refit_module  # the Recipe imports it from here on use
    from benchmarks.tables.systems import fit_lucidnet

    probe = Probe(profile)
    real, real_cross_fit = refit_module.fit_and_refit, refit_module.fit_cross_fitted
    refit_module.fit_and_refit = probe.wrap(real)
    refit_module.fit_cross_fitted = probe.wrap_cross_fit(real_cross_fit)
    try:
        probe.switch("pre")
        start = time.perf_counter()
        params: dict[str, Any] = {} if limit is None else {"time_limit": limit}
        model = fit_lucidnet(X, y, task, seed, **params)  # the defaults: what `train` runs
        end = time.perf_counter()
        probe.switch(None)
    finally:
        refit_module.fit_and_refit, refit_module.fit_cross_fitted = real, real_cross_fit
    marks = probe.marks
    if "selection" not in marks:  # the recipe no longer trains through these two
        raise RuntimeError(
            "the probe saw no call of fit_and_refit or fit_cross_fitted in lucidnet.tables.recipe"
        )
    sel, done = marks["selection"], marks.get("end", end)
    refit = marks.get("refit", done)
    phases = {
        "preprocess_s": sel - start,
        "selection_s": refit - sel,
        "refit_s": done - refit,
        "after_s": end - done,
    }
    facts = {**probe.facts, **phases, "recipe_time_limit": limit}
    # the recipe's limit counts from fit_and_refit's start: spent means it cut the fit
    spent = phases["selection_s"] + phases["refit_s"]
    facts["time_limit_hit"] = limit is not None and spent >= 0.999 * limit
    return model, facts, probe


# --------------------------------------------------------------------------- one job


def iterations(model: Any) -> int | None:
    """Epochs (scikit-learn's MLP) or boosting rounds (HGB) of a fitted pipeline.

    None for the recipe: its two phases' epochs are in the probe's facts."""
    if hasattr(model, "estimator_"):
        return None
    last = model[-1] if hasattr(model, "steps") else model
    n = getattr(last, "n_iter_", None)
    return None if n is None else int(n)


def fit_job(
    system: str, rows: int, task: str, seed: int, profile: bool, limit: float | None
) -> dict[str, Any]:
    """Fit ``system`` on the table's training rows, score it on the test rows."""
    import lucidnet.tables.recipe  # noqa: F401  (imports out of the memory measured)
    from benchmarks.tables.run import score
    from benchmarks.tables.systems import SYSTEMS, fit_lucidnet

    memory = Memory()
    X_train, X_test, y_train, y_test = split(rows, task, seed)
    memory.data_made()
    result: dict[str, Any] = {"n_train": len(X_train), "n_test": len(X_test)}
    start = time.perf_counter()
    probe = None
    if system == "lucidnet":
        model, facts, probe = fit_lucidnet_probed(X_train, y_train, task, seed, profile, limit)
        result["lucidnet"] = facts
    elif system == "lucidnet-jax":  # the same path, compiled (its compilation included)
        model = fit_lucidnet(X_train, y_train, task, seed, engine="jax", cross_fit=False)
    else:
        model = SYSTEMS[system](X_train, y_train, task, seed)
    fit_s = time.perf_counter() - start
    fit_peak = peak_rss_mb()
    result.update(
        fit_s=fit_s,
        s_per_1k_rows=1000.0 * fit_s / len(X_train),
        peak_rss_mb=fit_peak,
        data_mb=memory.with_data - memory.before_data,
        fit_extra_mb=max(fit_peak - memory.with_data, 0.0) if memory.peak_reset else None,
        profiled=bool(profile and probe is not None),
    )
    result.update(score(model, X_test, y_test, task), iterations=iterations(model))
    if probe is not None and profile:
        from benchmarks.scale_profile import breakdown

        result["profile"] = breakdown(probe.profilers, result["lucidnet"])
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    p.add_argument("--system", required=True, choices=[*SYSTEM_NAMES, *EXTRA_SYSTEMS, "step"])
    p.add_argument("--rows", type=int, default=10_000)
    p.add_argument("--task", choices=TASKS, default="classification")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--profile", action="store_true", help="lucidnet under cProfile")
    p.add_argument("--recipe-time-limit", type=float, default=None, help="lucidnet's time_limit")
    p.add_argument("--batch-sizes", default="256,1024,4096", help="for --system step")
    args = p.parse_args(argv)
    head = {"system": args.system, "rows": args.rows, "task": args.task, "seed": args.seed}
    try:
        if args.system == "step":
            from benchmarks.scale_profile import step_costs

            sizes = [int(b) for b in args.batch_sizes.split(",")]
            result = {**head, **step_costs(args.task, sizes)}
        else:
            result = {
                **head,
                **fit_job(
                    args.system,
                    args.rows,
                    args.task,
                    args.seed,
                    args.profile,
                    args.recipe_time_limit,
                ),
            }
    except Exception as e:
        traceback.print_exc()
        result = {**head, "error": f"{type(e).__name__}: {e}"}
    print(RESULT_PREFIX + json.dumps(result, default=float), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
