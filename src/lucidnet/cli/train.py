"""``lucidnet train``: parse the options, call :func:`lucidnet.tables.fit_table`, print, save.

The data flow (task rule, target checks and scaling, split, preprocessing, metrics) is
the library's; this module only chooses the source of rows (in memory, ``--stream``,
``--dask``), turns options into estimator parameters, and prints what happens.
"""

from __future__ import annotations

import argparse
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from lucidnet.cli.budget import stream_by_default
from lucidnet.cli.common import (
    AT_SCALE,
    DASK_ITERATIONS,
    CLIError,
    print_epoch_table,
)
from lucidnet.tables import (
    RECIPE,
    InMemorySource,
    Recipe,
    StreamSource,
    TablePreprocessor,
    TableStats,
    TabularModel,
    fit_table,
    read_table,
    save,
)
from lucidnet.tables.model import ABSENT
from lucidnet.training import FitProgress, GradientNormRecorder, ModelCheckpoint, load_state

__all__ = ["cmd_train"]


def _params(args: argparse.Namespace) -> dict[str, Any]:
    """The estimator's parameters from the options given (None: the default)."""
    lbfgs = _lbfgs(args)
    given = {
        "hidden_layer_sizes": tuple(args.hidden) if args.hidden else None,
        "activation": args.activation,
        "alpha": args.alpha,
        "random_state": args.seed,
        "n_members": args.members,
    }
    if not lbfgs:
        given.update(
            solver=args.optimizer,
            batch_size=args.batch_size,
            learning_rate_init=args.lr,
            dropout=args.dropout or None,
            engine=args.engine,
        )
    params = {k: v for k, v in given.items() if v is not None}
    if lbfgs:  # the plain MLP with the command line's classic defaults
        defaults = {k: v for k, v in AT_SCALE.items() if k != "batch_size"}
        return {**defaults, **params, "max_iter": args.epochs or DASK_ITERATIONS}
    if args.stream or args.dask:  # the passes or the members: the large-table recipe's
        exactly = {"max_iter": args.epochs, "early_stopping": False, "n_iter_no_change": np.inf}
        return {**params, **(exactly if args.epochs else {}), "verbose": 0}
    if args.epochs or args.early_stopping:  # the user chooses the epochs
        params.update(
            max_iter=args.epochs or RECIPE.max_epochs,
            early_stopping=bool(args.early_stopping),
            n_iter_no_change=args.early_stopping or np.inf,
        )
    callbacks: list[Any] = []
    if args.checkpoint:
        callbacks.append(ModelCheckpoint(args.checkpoint, save_best_only=False))
    if args.report:
        callbacks.append(GradientNormRecorder())
    if not args.quiet:
        callbacks.append(_progress(args))
    return {**params, "callbacks": callbacks or None, "verbose": 0}


def _lbfgs(args: argparse.Namespace) -> bool:
    """``--dask ADDRESS --optimizer lbfgs``: the plain MLP by full-batch L-BFGS."""
    return bool(args.dask) and args.optimizer == "lbfgs"


def _large_recipe(args: argparse.Namespace, cross_fit: bool | None = False) -> Recipe:
    """The recipe of a streamed or clustered table (``cross_fit``: the recipe's field)."""
    return Recipe(
        choose_epochs=not args.epochs,
        cross_fit=cross_fit,
        patience=args.early_stopping or RECIPE.patience,
        patience_steps=None if args.early_stopping else RECIPE.patience_steps,
        time_limit=args.time_limit,
        **_recipe_choices(args),
    )


def _progress(args: argparse.Namespace) -> FitProgress:
    """The live line on standard error: phase, epoch, best epoch, time left."""
    refit = not (args.epochs or args.early_stopping or args.checkpoint or args.resume)
    held_out = args.validation or RECIPE.validation_fraction  # the refit adds these rows
    return FitProgress(refit=refit, refit_scale=1 / (1 - held_out))


def _check_options(args: argparse.Namespace) -> None:
    mode = "--stream" if args.stream else "--dask" if args.dask else None
    if mode:
        for value, flag in (
            (args.checkpoint, "--checkpoint"),
            (args.resume, "--resume"),
            (args.report, "--report"),
        ):
            if value:
                raise CLIError(f"{flag} is not available with {mode}; train without it.")
    if args.optimizer == "lbfgs" and not args.dask:
        raise CLIError(
            "--optimizer lbfgs is the plain MLP on a Dask cluster (--dask ADDRESS); in "
            "memory or streamed choose adam, adamw or sgd."
        )
    if args.engine == "jax" and (args.dask or args.report):
        raise CLIError(
            "--engine jax compiles minibatch epochs; "
            + (
                "--dask trains on the workers with the NumPy engine: drop --engine."
                if args.dask
                else "--report records every step's gradient norms, which only the NumPy "
                "engine hands out: drop --engine jax or --report."
            )
        )
    if args.early_stopping and _lbfgs(args):
        raise CLIError("--early-stopping is for minibatch training; L-BFGS stops on its own.")
    if args.early_stopping and args.validation == 0:
        raise CLIError(
            "--early-stopping needs --stream and held-out rows (--validation above 0)."
            if args.stream
            else "--early-stopping needs validation data; set --validation above 0."
        )


def _on_start(args: argparse.Namespace, parts: list[int]) -> Any:
    def on_start(stats: TableStats, task: str, pre: TablePreprocessor, *more: int) -> None:
        where = f", {more[0]} partition(s)" if more else ""
        print(
            f"data: {args.data}: {stats.labelled_rows + stats.unlabelled_rows} rows{where}, "
            f"{len(pre.columns)} feature column(s), target {args.target!r}"
        )
        if stats.unlabelled_rows:
            print(f"note: dropped {stats.unlabelled_rows} row(s) with no {args.target!r} value")
        what = f"{len(stats.target_values)} classes" if task == "classification" else "a number"
        auto = " — chosen automatically; override with --task" if args.task == "auto" else ""
        print(f"task: {task} ({what}){auto}")
        exact = stats.reservoir is None or stats.reservoir.exact
        median = "" if exact else f" (medians estimated from {stats.reservoir_size} values)"
        print("preprocessing" + median + ":\n" + textwrap.indent(pre.describe(), "  "))
        print(f"network inputs: {len(pre.feature_names_out)}")

    return on_start


def _on_epoch(args: argparse.Namespace, epochs: int) -> Any:
    def on_epoch(record: dict[str, Any]) -> None:
        if args.quiet:
            return
        cross_fit = record.get("phase") == "cross-fit"
        extra = "".join(
            f"  {'out-of-fold loss' if cross_fit and k == 'val_loss' else k} {record[k]:.4f}"
            for k in ("val_loss", "accuracy", "r2")
            if k in record
        )
        if "members" in record:  # cross-fitted: the members not yet done stepped
            extra += f"  {record['members']} member(s) training"
        which = (
            f"refit epoch {record['epoch']}"
            if record.get("phase") == "refit"
            else f"epoch {record['epoch']}/{epochs}"
        )
        print(
            f"{which}  loss {record['loss']:.4f}{extra}  "
            f"({record['rows']} rows, {record['seconds']:.1f} s)",
            flush=True,
        )

    return on_epoch


def _read_checkpoint(path: str) -> dict[str, Any]:
    if not Path(path).exists():
        raise CLIError(f"{path}: no such checkpoint. Write one with --checkpoint {path}.")
    try:
        return load_state(path)
    except Exception as exc:  # safetensors raises its own error types
        raise CLIError(f"{path} is not a readable lucidnet checkpoint ({exc}).") from None


def cmd_train(args: argparse.Namespace) -> int:
    if not (args.stream or args.dask):
        args.stream = stream_by_default(args.data)
    _check_options(args)
    params = _params(args)
    on_start = _on_start(args, [])
    client = cluster = None
    recipe: Recipe | None = None  # --dask --optimizer lbfgs: the plain MLP
    resume_from = None
    if args.stream:  # the recipe cross-fits up to cross_fit_max_rows (not with a patience)
        recipe = replace(_large_recipe(args), cross_fit=False if args.early_stopping else None)
        epochs = args.epochs or recipe.max_epochs
        how = (
            f"{epochs} epoch(s)"
            if args.epochs
            else f"the epochs chosen on at most {recipe.max_validation_rows:,} held-out rows "
            f"(at most {epochs})"
        )
        if recipe.cross_fits(recipe.cross_fit_max_rows, params.get("n_members", recipe.n_members)):
            how = (
                f"cross-fitted up to {recipe.cross_fit_max_rows:,} rows (each member its "
                f"epochs on its fold, at most {epochs}); a larger file: {how}"
            )
        print(f"streaming {args.data} in chunks of {args.chunk_rows} rows, {how}")
        source: Any = StreamSource(
            args.data,
            args.target,
            chunk_rows=args.chunk_rows,
            validation=args.validation,
            seed=args.seed,
            on_epoch=_on_epoch(args, epochs),
            recipe=recipe,
        )
    elif args.dask and not _lbfgs(args):
        from lucidnet.dask import DaskRecipeSource, connect
        from lucidnet.dask.recipe import cross_fit_rows

        client, cluster = connect(args.dask)
        recipe = _large_recipe(args, cross_fit=None)
        K = params.get("n_members", recipe.n_members)
        how = (
            "each training the rows it does not hold out and choosing its epochs"
            if args.epochs
            else f"cross-fitted up to {recipe.cross_fit_max_rows:,} rows (member k leaves "
            f"fold k out and chooses its epochs there), beyond that each choosing its "
            f"epochs on the same held-out rows (at most {recipe.max_validation_rows:,})"
        )
        print(
            f"dask: {client.scheduler.address}, {len(client.scheduler_info()['workers'])} "
            f"worker(s); the recipe's {K} members trained as {K} tasks, {how}"
        )
        source = DaskRecipeSource(
            args.data,
            args.target,
            client=client,
            validation=args.validation,
            seed=args.seed,
            max_validation_rows=recipe.max_validation_rows,
            cross_fit_max_rows=cross_fit_rows(recipe),
        )
    elif args.dask:
        from lucidnet.dask import DaskSource, connect

        client, cluster = connect(args.dask)
        print(
            f"dask: {client.scheduler.address}, {len(client.scheduler_info()['workers'])} "
            f"worker(s); full-batch L-BFGS, at most {params['max_iter']} iterations"
        )

        def on_iteration(k: int, J: float) -> None:
            if not args.quiet and (k == 1 or k % 10 == 0):
                print(f"iteration {k}  loss {J:.6f}", flush=True)

        source = DaskSource(
            args.data,
            args.target,
            client=client,
            validation=args.validation,
            seed=args.seed,
            callback=on_iteration,
        )
        params["solver"] = "lbfgs"
    else:
        source = InMemorySource(
            read_table(args.data),
            args.target,
            validation=args.validation,
            seed=args.seed,
            name=str(args.data),
        )
        interruptible = bool(args.checkpoint or args.resume)  # the same path both times
        recipe = Recipe(
            choose_epochs=not (args.epochs or args.early_stopping),
            refit=not interruptible,
            cross_fit=False if interruptible else None,
            time_limit=args.time_limit,
            **_recipe_choices(args),
        )
        resume_from = _read_checkpoint(args.resume) if args.resume else None
    try:
        fit = fit_table(
            source,
            task=args.task,
            recipe=recipe,
            params=params,
            seed=args.seed,
            resume_from=resume_from,
            on_start=on_start,
        )
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    model, training = fit.model, fit.training
    est = model.estimator
    print(f"network: {est.network_}, {est.network_.n_parameters} parameters")
    refit = "refit_epochs" in model.metrics
    cross_fitted = "cross_fit_epochs" in model.metrics
    sampled = model.metrics.get("out_of_fold_rows")  # streamed: the rows kept in memory
    if refit:
        print(
            f"epochs: {model.metrics['refit_epochs']}, chosen on the held-out rows; then the "
            f"model was refit on all {model.metrics['rows_trained']} rows for that many epochs"
        )
    elif cross_fitted:
        K = len(est.member_epochs_)
        print(
            f"cross-fitted: the {model.metrics['rows_trained']} rows in {K} folds; member k "
            f"trained on every fold but fold k and kept its best epoch on fold k "
            f"({', '.join(map(str, est.member_epochs_))}), so every row trained {K - 1} of "
            f"the {K} members; no refit"
        )
    if _lbfgs(args):
        print(f"L-BFGS: {est.n_iter_} iteration(s), final loss {est.loss_:.6f}")
    elif args.dask and not cross_fitted:
        print(f"members' epochs: {', '.join(map(str, est.member_epochs_))}")
    elif not args.stream and not args.quiet:
        print_epoch_table(est.history_)
    if training.interrupted:
        print(f"training interrupted at epoch {est.n_iter_}; saving the best weights so far")
    elif training.stop_reason:
        print(f"stopped: {training.stop_reason}")
    save(model, args.output)
    held_out = {k: v for k, v in model.metrics.items() if k.startswith("validation_")}
    absent = [k for k in model.metrics.get(ABSENT, []) if k.startswith("validation_")]
    if held_out or absent:
        print(
            "held-out metrics (validation rows, scored before the refit, by the model that "
            "had not seen them):"
            if refit
            else "held-out metrics (out of fold: every row, predicted by the member that "
            "never trained on it):"
            if cross_fitted and sampled is None and getattr(source, "val_frame", None) is None
            else f"held-out metrics (out of fold: the {sampled:,} rows kept in memory, each "
            "predicted by the member that never trained on it):"
            if cross_fitted and sampled is not None
            else "held-out metrics (validation rows):"
        )
        for key, value in held_out.items():
            print(f"  {key[len('validation_') :]:<10} {value:.4f}")
        for key in absent:
            print(f"  {key[len('validation_') :]:<10} absent: the held-out rows cannot give it")
    print(f"saved: {args.output}")
    if args.report:
        _write_train_report(args, model, source)
    return 0


def _write_train_report(args: argparse.Namespace, model: TabularModel, source: Any) -> None:
    """The demo's kind of report for the user's data (2-D-only pictures skipped)."""
    import lucidnet.plot as plot
    from lucidnet.cli.demo import classification_section
    from lucidnet.cli.importance import importance_figure

    refit = "refit_epochs" in model.metrics  # the final model trained on every row
    cross_fitted = "cross_fit_epochs" in model.metrics
    if source.val_frame is not None:
        frame, y = source.val_frame, source.y_val
        rows = (
            (
                "training rows",
                "validation rows: they chose the number of epochs, then the final model was "
                "refit on them and every other row, so it has trained on them",
            )
            if refit
            else ("held-out rows", "held-out rows, which the model never trained on")
        )
    else:
        frame, y = source.train_frame, source.y_train
        K = model.estimator.n_members
        rows = (
            (
                "training rows",
                f"training rows, cross-fitted: each trained {K - 1} of the {K} members "
                "(the held-out metrics are out of fold)",
            )
            if cross_fitted
            else ("training rows", "training rows (no row was held out)")
        )
    est = model.estimator
    X = model.features(frame)
    metrics = {k: v for k, v in model.metrics.items() if isinstance(v, (int, float))}
    title = f"{Path(args.data).name}: predicting {model.target!r}"
    if model.task == "classification" and est.target_type_ != "multilabel-indicator":
        section = classification_section(title, est, X, np.asarray(y), metrics, rows)
    else:
        section = {
            "heading": title,
            "text": f"{est.network_}: trained {est.n_iter_} epochs.",
            "metrics": metrics,
            "summary": est,
            "figures": {
                "learning curves": plot.learning_curves(est),
                "layer diagnostics": plot.layer_diagnostics(est, X),
            },
        }
    if model.task == "regression" or est.target_type_ != "multilabel-indicator":
        name, figure = importance_figure(model, source)
        section["figures"][name] = figure
    path = plot.write_report(args.report, f"lucidnet: {Path(args.data).name}", [section])
    print(f"report: {path}")


def _recipe_choices(args: Any) -> dict[str, Any]:
    """--numeric-embedding and --count-loss as Recipe fields ("none": None; unset: default)."""
    chosen = {"numeric_embedding": args.numeric_embedding, "count_loss": args.count_loss}
    return {k: (None if v == "none" else v) for k, v in chosen.items() if v is not None}
