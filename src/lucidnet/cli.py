"""The ``lucidnet`` command line: train, predict, evaluate, inspect, export — and teach.

Every user error is one or two lines on stderr (what is wrong, how to fix it) and exit
code 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lucidnet._version import __version__

__all__ = ["CLIError", "main"]

EXIT_USAGE = 2


class CLIError(Exception):
    """A user error: the message is printed as is, exit code 2."""


# ---------------------------------------------------------------------------- parser


def _int_list(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.replace(" ", "").split(",") if s]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated widths such as 64,32; got {text!r}"
        ) from None
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"widths must be positive integers; got {text!r}")
    return sizes


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1); got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1); got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number; got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number; got {text!r}")
    return value


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)


def _build_parser() -> argparse.ArgumentParser:
    # --debug works before or after the command; SUPPRESS keeps a subcommand's default
    # from overwriting a --debug given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback of an error",
    )
    parser = argparse.ArgumentParser(
        prog="lucidnet",
        formatter_class=_Formatter,
        description=textwrap.dedent(
            """\
            Fully-connected neural networks trained by backpropagation.

            Train on a CSV, TSV or Parquet table, then predict, evaluate, inspect and
            export the model — or watch the lecture's math run (trace, gradcheck)."""
        ),
        epilog=textwrap.dedent(
            """\
            examples:
              lucidnet train data.csv --target label -o model.safetensors
              lucidnet predict model.safetensors new.csv -o predictions.csv
              lucidnet evaluate model.safetensors test.csv --target label
              lucidnet inspect model.safetensors
              lucidnet export model.safetensors --onnx model.onnx
              lucidnet trace --hidden 4,3 --activation tanh --batch 5
              lucidnet demo

            Run 'lucidnet COMMAND --help' for the options of a command."""
        ),
    )
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    parser.add_argument("--version", action="version", version=f"lucidnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str, description: str, examples: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help_text,
            description=description,
            epilog="examples:\n" + textwrap.indent(textwrap.dedent(examples).strip(), "  "),
            formatter_class=_Formatter,
            parents=[common],
        )

    train = add(
        "train",
        "train a network on a table",
        "Train a network on a table. Numeric columns are imputed (median) and "
        "standardised,\ntext columns one-hot encoded; the task is chosen from the target "
        "unless --task says.",
        """
        lucidnet train data.csv --target label
        lucidnet train data.parquet --target price --task regression --hidden 64,32
        lucidnet train big.csv --target y --epochs 500 --early-stopping 20 --checkpoint run.ckpt
        lucidnet train big.csv --target y --epochs 500 --early-stopping 20 --resume run.ckpt
        lucidnet train huge.csv.gz --target y --stream --epochs 5 --chunk-rows 100000
        lucidnet train data.parquet --target y --dask local
        lucidnet train data.csv --target y --dask tcp://scheduler:8786
        """,
    )
    train.add_argument("data", help="CSV (also .csv.gz), TSV or Parquet file")
    train.add_argument("--target", required=True, metavar="COL", help="the column to predict")
    train.add_argument(
        "-o",
        "--output",
        default="model.safetensors",
        metavar="MODEL",
        help="where to save the model (default: model.safetensors)",
    )
    train.add_argument(
        "--task",
        choices=["auto", "classification", "regression"],
        default="auto",
        help="auto (default): text, bool or few distinct integers mean classification",
    )
    train.add_argument(
        "--hidden",
        type=_int_list,
        default=[64, 32],
        metavar="64,32",
        help="hidden layer widths (default: 64,32)",
    )
    train.add_argument(
        "--activation",
        default="relu",
        metavar="NAME",
        help="hidden activation: relu (default), tanh, logistic, leaky_relu, identity",
    )
    train.add_argument(
        "--epochs",
        type=_positive_int,
        default=None,
        help="maximum epochs (default: 200; 10 with --stream; L-BFGS iterations with --dask)",
    )
    train.add_argument(
        "--batch-size",
        type=_positive_int,
        default=64,
        metavar="B",
        help="minibatch size (default: 64)",
    )
    train.add_argument(
        "--optimizer", choices=["adam", "adamw", "sgd"], default="adam", help="default: adam"
    )
    train.add_argument(
        "--lr",
        type=_positive_float,
        default=1e-3,
        metavar="X",
        help="learning rate (default: 0.001)",
    )
    train.add_argument("--alpha", type=float, default=1e-4, help="L2 strength (default: 0.0001)")
    train.add_argument(
        "--dropout",
        type=_fraction,
        default=0.0,
        metavar="P",
        help="dropout rate of the hidden layers",
    )
    train.add_argument(
        "--validation",
        type=_fraction,
        default=0.2,
        metavar="FRACTION",
        help="held-out fraction for validation loss and final metrics (default: 0.2; 0 = none)",
    )
    train.add_argument(
        "--early-stopping",
        type=_positive_int,
        default=None,
        metavar="PATIENCE",
        help="stop when the validation loss has not improved for PATIENCE epochs; "
        "keep the best weights",
    )
    train.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    train.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="write the full training state after every epoch (atomically), to --resume from",
    )
    train.add_argument("--resume", metavar="PATH", help="continue a run from its --checkpoint file")
    train.add_argument("--report", metavar="DIR", help="write an HTML report with pictures to DIR")
    train.add_argument("--quiet", action="store_true", help="no progress bar or epoch table")
    scale = train.add_mutually_exclusive_group()
    scale.add_argument(
        "--stream",
        action="store_true",
        help="read the file in chunks (bounded memory, any file size): a first pass for the "
        "preprocessing statistics, then --epochs passes of partial_fit",
    )
    scale.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="train full-batch L-BFGS on a Dask cluster: a scheduler address "
        "(tcp://host:8786) or 'local' for a local cluster of 2 workers; needs the dask "
        'extra (pip install "lucidnet[dask]")',
    )
    train.add_argument(
        "--chunk-rows",
        type=_positive_int,
        default=50_000,
        metavar="N",
        help="rows per chunk with --stream (default: 50000)",
    )

    predict = add(
        "predict",
        "predict with a saved model",
        "Predict the rows of a table with a saved model: labels and class probabilities\n"
        "(classification) or values (regression).",
        """
        lucidnet predict model.safetensors new.csv                 # CSV to the screen
        lucidnet predict model.safetensors new.csv -o out.parquet
        """,
    )
    predict.add_argument("model", help="a model file written by 'lucidnet train'")
    predict.add_argument("data", help="CSV, TSV or Parquet file with the model's columns")
    predict.add_argument(
        "-o", "--output", metavar="OUT", help="CSV or Parquet file (default: print CSV)"
    )
    predict.add_argument(
        "--keep-columns", action="store_true", help="copy the input columns to the output"
    )

    evaluate = add(
        "evaluate",
        "score a saved model on labelled data",
        "Score a saved model on a labelled table: accuracy, log-loss, ROC-AUC and the "
        "confusion matrix\nfor classifiers; R², MAE and RMSE for regression.",
        """
        lucidnet evaluate model.safetensors test.csv --target label
        lucidnet evaluate model.safetensors test.csv --target label --json
        """,
    )
    evaluate.add_argument("model")
    evaluate.add_argument("data")
    evaluate.add_argument(
        "--target", metavar="COL", help="the label column (default: the one trained on)"
    )
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")

    inspect = add(
        "inspect",
        "show what a model file holds",
        "Show a model file's layers (shapes, activations, parameters), classes, features,\n"
        "preprocessing and training summary.",
        "lucidnet inspect model.safetensors",
    )
    inspect.add_argument("model")

    export = add(
        "export",
        "export a model to ONNX",
        "Export a model to ONNX (Gemm + activations, probabilities and labels). For a "
        "table model whose\ncolumns are all numeric, the standardisation is part of the graph.",
        "lucidnet export model.safetensors --onnx model.onnx",
    )
    export.add_argument("model")
    export.add_argument("--onnx", required=True, metavar="OUT", help="the .onnx file to write")

    gradcheck = add(
        "gradcheck",
        "check backpropagation against finite differences",
        "Build a small network, run backpropagation on random data and compare every "
        "dW[l], db[l]\nwith centred finite differences in float64.",
        """
        lucidnet gradcheck
        lucidnet gradcheck --hidden 5,4 --activation sigmoid --output softmax --outputs 3
        """,
    )
    trace = add(
        "trace",
        "print one forward and backward pass in the lecture's symbols",
        "Run one minibatch through a small network and print every step of the forward "
        "and\nbackward pass with its formula and shapes, then the finite-difference check.",
        """
        lucidnet trace
        lucidnet trace --hidden 4,3 --activation tanh --batch 5
        """,
    )
    for p in (gradcheck, trace):
        p.add_argument(
            "--hidden",
            type=_int_list,
            default=[4, 3],
            metavar="4,3",
            help="hidden widths (default: 4,3)",
        )
        p.add_argument("--activation", default="tanh", help="hidden activation (default: tanh)")
        p.add_argument(
            "--output",
            choices=["sigmoid", "softmax", "identity"],
            default="sigmoid",
            help="output layer and its loss (default: sigmoid)",
        )
        p.add_argument("--inputs", type=_positive_int, default=3, help="n[0] (default: 3)")
        p.add_argument(
            "--outputs",
            type=_positive_int,
            default=None,
            help="n[L] (default: 1, or 3 for softmax)",
        )
        p.add_argument(
            "--batch", type=_positive_int, default=5, help="B, examples per minibatch (default: 5)"
        )
        p.add_argument("--seed", type=int, default=0)

    demo = add(
        "demo",
        "train on the bundled example data",
        "Train on two half-moons and on scikit-learn's breast-cancer table, print the "
        "costs and held-out\naccuracy.",
        "lucidnet demo",
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.add_argument(
        "--out",
        default="lucidnet-demo",
        metavar="DIR",
        help="folder for the report, pictures and models (default: ./lucidnet-demo)",
    )
    playground = add(
        "playground",
        "train a network live in the browser",
        "Serve the playground on this computer and open it: pick a dataset (or upload a CSV),\n"
        "shape the network and watch it train, with the lecture's views. Needs the\n"
        'playground extra: pip install "lucidnet[playground]".',
        """
        lucidnet playground
        lucidnet playground --port 8765 --no-browser
        """,
    )
    playground.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    playground.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default: 127.0.0.1; anything else prints a warning)",
    )
    playground.add_argument(
        "--no-browser", action="store_true", help="print the address instead of opening it"
    )
    return parser


# ---------------------------------------------------------------------------- commands


def _load_model(path: str) -> Any:
    from lucidnet.persist import load

    if not Path(path).exists():
        raise CLIError(
            f"{path}: no such model file. Check the path, or train one with 'lucidnet train'."
        )
    return load(path)


def _load_table_model(path: str) -> Any:
    from lucidnet.tabular import TabularModel

    model = _load_model(path)
    if not isinstance(model, TabularModel):
        raise CLIError(
            f"{path} holds a {type(model).__name__}, not a table model; this command needs a "
            "model written by 'lucidnet train'."
        )
    return model


def _choose_task(y: Any, requested: str) -> str:
    import pandas as pd

    if requested != "auto":
        return requested
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        return "classification"
    values = y.dropna().to_numpy()
    if np.all(values == np.round(values)) and len(np.unique(values)) <= 20:
        return "classification"
    return "regression"


def _cmd_train(args: argparse.Namespace) -> int:
    import pandas as pd
    from sklearn.model_selection import train_test_split

    from lucidnet.estimators import MLPClassifier, MLPRegressor
    from lucidnet.persist import save
    from lucidnet.tabular import TablePreprocessor, TabularModel, read_table
    from lucidnet.training.callbacks import GradientNormRecorder, ModelCheckpoint

    if args.stream or args.dask:
        return _cmd_train_at_scale(args)
    frame = read_table(args.data)
    if args.target not in frame.columns:
        raise CLIError(
            f"{args.data} has no column {args.target!r}; its columns are: "
            f"{', '.join(map(str, frame.columns))}."
        )
    missing_target = frame[args.target].isna()
    if missing_target.all():
        raise CLIError(f"The target column {args.target!r} is empty; fill it in or pick another.")
    if missing_target.any():
        print(f"note: dropped {int(missing_target.sum())} row(s) with no {args.target!r} value")
        frame = frame.loc[~missing_target].reset_index(drop=True)
    y_raw = frame[args.target]
    features = frame.drop(columns=[args.target])
    if features.shape[1] == 0:
        raise CLIError(f"{args.data} has only the target column; add feature columns.")
    task = _choose_task(y_raw, args.task)
    n_classes = int(y_raw.nunique())
    if task == "classification" and n_classes < 2:
        raise CLIError(
            f"The target {args.target!r} has only one class ({y_raw.iloc[0]!r}); a classifier "
            "needs at least two."
        )
    if task == "regression" and not pd.api.types.is_numeric_dtype(y_raw):
        raise CLIError(f"The target {args.target!r} holds text; use --task classification.")
    y = (
        y_raw.astype(str).to_numpy()
        if task == "classification" and y_raw.dtype == object
        else y_raw.to_numpy()
    )

    validation = args.validation
    stratify = y if task == "classification" else None
    if validation > 0:
        try:
            f_train, f_val, y_train, y_val = train_test_split(
                features, y, test_size=validation, random_state=args.seed, stratify=stratify
            )
        except ValueError as exc:
            raise CLIError(f"Cannot hold out {validation:.0%} for validation: {exc}") from None
    else:
        if args.early_stopping:
            raise CLIError("--early-stopping needs validation data; set --validation above 0.")
        f_train, f_val, y_train, y_val = features, None, y, None

    pre = TablePreprocessor().fit(f_train)
    X_train = pre.transform(f_train)
    target_mean, target_scale = 0.0, 1.0
    if task == "regression":
        target_mean = float(np.mean(y_train))
        target_scale = float(np.std(y_train)) or 1.0
    quiet = args.quiet
    print(
        f"data: {args.data}: {len(frame)} rows, {features.shape[1]} feature column(s), "
        f"target {args.target!r}"
    )
    what = f"{n_classes} classes" if task == "classification" else "a number"
    print(
        f"task: {task} ({what})"
        + (" — chosen automatically; override with --task" if args.task == "auto" else "")
    )
    print("preprocessing:\n" + textwrap.indent(pre.describe(), "  "))
    print(
        f"network inputs: {X_train.shape[1]}, hidden: {args.hidden}, activation: {args.activation}"
    )

    callbacks: list[Any] = []
    if args.checkpoint:
        callbacks.append(ModelCheckpoint(args.checkpoint, save_best_only=False))
    if args.report:
        callbacks.append(GradientNormRecorder())
    Est = MLPClassifier if task == "classification" else MLPRegressor
    est = Est(
        hidden_layer_sizes=tuple(args.hidden),
        activation=args.activation,
        solver=args.optimizer,
        alpha=args.alpha,
        batch_size=args.batch_size,
        learning_rate_init=args.lr,
        max_iter=args.epochs or 200,
        random_state=args.seed,
        early_stopping=bool(args.early_stopping),
        n_iter_no_change=args.early_stopping or np.inf,
        dropout=args.dropout or None,
        callbacks=callbacks or None,
        verbose=0 if quiet else 1,
    )
    fit_y = y_train if task == "classification" else (y_train - target_mean) / target_scale
    validation_data = None
    if f_val is not None:
        X_val = pre.transform(f_val)
        val_y = y_val if task == "classification" else (y_val - target_mean) / target_scale
        validation_data = (X_val, val_y)
    resume = None
    if args.resume:
        resume = _read_checkpoint(args.resume)
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X_train, fit_y, validation_data=validation_data, resume_from=resume)
    trainer = est._trainer
    if not quiet:
        _print_epoch_table(est.history_)
    if trainer.interrupted:
        print(f"training interrupted at epoch {est.n_iter_}; saving the best weights so far")
    elif trainer.stop_reason:
        print(f"stopped: {trainer.stop_reason}")

    model = TabularModel(
        pre, est, args.target, task, target_mean=target_mean, target_scale=target_scale
    )
    metrics: dict[str, Any] = {"epochs": int(est.n_iter_), "rows_trained": len(y_train)}
    if f_val is not None:
        metrics.update(
            {
                f"validation_{k}": v
                for k, v in _metrics(model, f_val, y_val).items()
                if not isinstance(v, (list, dict))
            }
        )
    model.metrics = metrics
    save(model, args.output)
    if f_val is not None:
        print("held-out metrics (validation split):")
        for key, value in metrics.items():
            if key.startswith("validation_"):
                print(f"  {key[len('validation_') :]:<10} {value:.4f}")
    print(f"saved: {args.output}")
    if args.report:
        _write_train_report(
            args,
            model,
            f_val if f_val is not None else f_train,
            y_val if f_val is not None else y_train,
        )
    return 0


def _cmd_train_at_scale(args: argparse.Namespace) -> int:
    """``--stream`` (chunks on this machine) and ``--dask`` (L-BFGS on a cluster)."""
    from lucidnet.persist import save

    mode = "--stream" if args.stream else "--dask"
    for value, flag in (
        (args.checkpoint, "--checkpoint"),
        (args.resume, "--resume"),
        (args.report, "--report"),
    ):
        if value:
            raise CLIError(f"{flag} is not available with {mode}; train without it.")
    if args.early_stopping and (args.dask or args.validation == 0):
        raise CLIError(
            "--early-stopping needs --stream and held-out rows (--validation above 0)."
            if args.stream
            else "--early-stopping is for minibatch training; L-BFGS stops on its own."
        )
    params: dict[str, Any] = {
        "hidden_layer_sizes": tuple(args.hidden),
        "activation": args.activation,
        "alpha": args.alpha,
        "random_state": args.seed,
    }
    quiet = args.quiet

    def on_start(stats: Any, task: str, pre: Any, *parts: int) -> None:
        where = f", {parts[0]} partition(s)" if parts else ""
        print(
            f"data: {args.data}: {stats.labelled_rows + stats.unlabelled_rows} rows{where}, "
            f"{len(pre.columns)} feature column(s), target {args.target!r}"
        )
        if stats.unlabelled_rows:
            print(f"note: skipped {stats.unlabelled_rows} row(s) with no {args.target!r} value")
        what = f"{len(stats.target_values)} classes" if task == "classification" else "a number"
        print(f"task: {task} ({what})")
        exact = stats.reservoir is None or stats.reservoir.exact
        median = "" if exact else f" (medians estimated from {stats.reservoir_size} values)"
        print("preprocessing" + median + ":\n" + textwrap.indent(pre.describe(), "  "))
        print(
            f"network inputs: {len(pre.feature_names_out)}, hidden: {args.hidden}, "
            f"activation: {args.activation}"
        )

    if args.stream:
        from lucidnet.streaming import train_stream

        epochs = args.epochs or 10
        params.update(
            solver=args.optimizer,
            batch_size=args.batch_size,
            learning_rate_init=args.lr,
            dropout=args.dropout or None,
            n_iter_no_change=np.inf,
        )
        print(f"streaming {args.data} in chunks of {args.chunk_rows} rows, {epochs} epoch(s)")

        def on_epoch(record: dict[str, Any]) -> None:
            if quiet:
                return
            extra = "".join(
                f"  {k} {record[k]:.4f}" for k in ("val_loss", "accuracy", "r2") if k in record
            )
            print(
                f"epoch {record['epoch']}/{epochs}  loss {record['loss']:.4f}{extra}  "
                f"({record['rows']} rows, {record['seconds']:.1f} s)",
                flush=True,
            )

        result = train_stream(
            args.data,
            args.target,
            task=args.task,
            params=params,
            epochs=epochs,
            chunk_rows=args.chunk_rows,
            validation=args.validation,
            seed=args.seed,
            patience=args.early_stopping,
            on_start=on_start,
            on_epoch=on_epoch,
        )
        if result.stop_reason:
            print(f"stopped: {result.stop_reason}")
        model = result.model
        records = result.history
        best = min(records, key=lambda r: r["val_loss"]) if args.early_stopping else records[-1]
        metrics: dict[str, Any] = {
            "epochs": len(records),
            "rows_trained": records[-1]["rows"],
            "streamed_chunk_rows": args.chunk_rows,
        }
        metrics.update(
            {
                f"validation_{k}": v
                for k, v in best.items()
                if k in ("accuracy", "r2", "mae", "rmse", "val_loss")
            }
        )
        if "validation_val_loss" in metrics:
            metrics["validation_loss"] = metrics.pop("validation_val_loss")
        model.metrics = metrics
    else:
        from lucidnet.dask import connect, train_table

        max_iter = args.epochs or 200
        params.update(max_iter=max_iter)
        client, cluster = connect(args.dask)
        try:
            print(
                f"dask: {client.scheduler.address}, {len(client.scheduler_info()['workers'])} "
                f"worker(s); full-batch L-BFGS, at most {max_iter} iterations"
            )

            def on_iteration(k: int, J: float) -> None:
                if not quiet and (k == 1 or k % 10 == 0):
                    print(f"iteration {k}  loss {J:.6f}", flush=True)

            import warnings

            from sklearn.exceptions import ConvergenceWarning

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model = train_table(
                    args.data,
                    args.target,
                    client=client,
                    task=args.task,
                    params=params,
                    validation=args.validation,
                    seed=args.seed,
                    on_start=on_start,
                    callback=on_iteration,
                )
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        est = model.estimator
        print(f"L-BFGS: {est.n_iter_} iteration(s), final loss {est.loss_:.6f}")
    save(model, args.output)
    held_out = {k: v for k, v in model.metrics.items() if k.startswith("validation_")}
    if held_out:
        print("held-out metrics (validation rows):")
        for key, value in held_out.items():
            print(f"  {key[len('validation_') :]:<10} {value:.4f}")
    print(f"saved: {args.output}")
    return 0


def _read_checkpoint(path: str) -> dict[str, Any]:
    from lucidnet.training.state import load_state

    if not Path(path).exists():
        raise CLIError(f"{path}: no such checkpoint. Write one with --checkpoint {path}.")
    try:
        return load_state(path)
    except Exception as exc:  # safetensors raises its own error types
        raise CLIError(f"{path} is not a readable lucidnet checkpoint ({exc}).") from None


def _print_epoch_table(history: Any, max_rows: int = 12) -> None:
    records = history.records
    if not records:
        return
    keys = [k for k in ("loss", "val_loss", "val_score", "lr", "seconds") if k in records[-1]]
    step = max(1, -(-len(records) // max_rows))
    rows = [r for i, r in enumerate(records, 1) if i % step == 0 or i in (1, len(records))]
    print("  epoch  " + "  ".join(f"{k:>10}" for k in keys))
    for r in rows:
        print(f"  {r['epoch']:5d}  " + "  ".join(f"{r.get(k, float('nan')):10.4g}" for k in keys))


def _metrics(model: Any, frame: Any, y: Any) -> dict[str, Any]:
    from sklearn import metrics as skm

    if model.task == "regression":
        pred = model.predict(frame)
        y = np.asarray(y, dtype=float)
        return {
            "r2": float(skm.r2_score(y, pred)),
            "mae": float(skm.mean_absolute_error(y, pred)),
            "rmse": float(np.sqrt(skm.mean_squared_error(y, pred))),
        }
    classes = model.classes
    y = np.asarray(y)
    if classes.dtype.kind in "US" or classes.dtype == object:
        y = y.astype(str)
    proba = model.predict_proba(frame)
    pred = classes[np.argmax(proba, axis=1)] if proba.shape[1] > 1 else model.predict(frame)
    out: dict[str, Any] = {"accuracy": float(skm.accuracy_score(y, pred))}
    known = np.isin(y, classes)
    if known.all():
        out["log_loss"] = float(skm.log_loss(y, proba, labels=classes))
        present = np.unique(y)
        if len(present) == len(classes):
            if len(classes) == 2:
                out["roc_auc"] = float(skm.roc_auc_score(y == classes[1], proba[:, 1]))
            else:
                out["roc_auc"] = float(
                    skm.roc_auc_score(y, proba, multi_class="ovr", labels=classes)
                )
    labels = list(classes) + sorted(set(y[~known].tolist()))
    out["confusion_matrix"] = {
        "labels": [str(v) for v in labels],
        "matrix": skm.confusion_matrix(y, pred, labels=labels).tolist(),
    }
    return out


def _cmd_predict(args: argparse.Namespace) -> int:
    import pandas as pd

    from lucidnet.tabular import read_table

    model = _load_table_model(args.model)
    frame = read_table(args.data)
    model.preprocessor.check_columns(frame, source=args.data)
    out = pd.DataFrame(index=frame.index)
    if args.keep_columns:
        out = frame.copy()
    if model.task == "classification":
        proba = model.predict_proba(frame)
        out["prediction"] = model.predict(frame)
        for k, label in enumerate(model.classes):
            out[f"proba_{label}"] = proba[:, k]
    else:
        out["prediction"] = model.predict(frame)
    _write_frame(out, args.output)
    if args.output:
        print(f"wrote {len(out)} prediction(s) to {args.output}", file=sys.stderr)
    return 0


def _write_frame(frame: Any, path: str | None) -> None:
    from lucidnet._atomic import atomic_path

    if path is None:
        frame.to_csv(sys.stdout, index=False)
        return
    suffix = Path(path).suffix.lower()
    with atomic_path(path) as tmp:
        if suffix in (".parquet", ".pq"):
            frame.to_parquet(tmp, index=False)
        elif suffix in (".tsv", ".tab"):
            frame.to_csv(tmp, index=False, sep="\t")
        else:
            frame.to_csv(tmp, index=False)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from lucidnet.tabular import read_table

    model = _load_table_model(args.model)
    frame = read_table(args.data)
    target = args.target or model.target
    if target not in frame.columns:
        raise CLIError(
            f"{args.data} has no column {target!r} to evaluate against; give --target COL."
        )
    model.preprocessor.check_columns(frame, source=args.data)
    labelled = frame[target].notna()
    frame = frame.loc[labelled]
    result = _metrics(model, frame, frame[target].to_numpy())
    result["rows"] = len(frame)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{model.task} metrics on {args.data} ({len(frame)} rows):")
    for key, value in result.items():
        if key not in ("confusion_matrix", "rows"):
            print(f"  {key:<10} {value:.4f}")
    if "confusion_matrix" in result:
        labels = result["confusion_matrix"]["labels"]
        matrix = result["confusion_matrix"]["matrix"]
        width = max(8, *(len(s) for s in labels)) + 1
        print("confusion matrix (rows: true, columns: predicted):")
        print(" " * width + "".join(f"{s:>{width}}" for s in labels))
        for label, row in zip(labels, matrix, strict=True):
            print(f"{label:>{width}}" + "".join(f"{v:>{width}d}" for v in row))
    return 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    from lucidnet.core.network import Network
    from lucidnet.tabular import TabularModel

    model = _load_model(args.model)
    net = (
        model
        if isinstance(model, Network)
        else (model.estimator.network_ if isinstance(model, TabularModel) else model.network_)
    )
    print(
        f"{args.model}: {type(model).__name__}, {np.dtype(net.dtype).name}, "
        f"{net.n_parameters} parameters"
    )
    print(f"  {'layer':<6}{'W shape':>12}{'b shape':>10}  {'activation':<12}{'parameters':>11}")
    print(f"  {'0':<6}{'input':>12}{'':>10}  {f'n[0] = {net.n[0]}':<12}")
    for l in range(1, net.L + 1):
        shape_W = f"{net.n[l]}×{net.n[l - 1]}"
        shape_b = f"{net.n[l]}×1"
        count = net.n[l] * net.n[l - 1] + net.n[l]
        print(f"  {l:<6}{shape_W:>12}{shape_b:>10}  {net.g[l].name:<12}{count:>11}")
    est = model.estimator if isinstance(model, TabularModel) else model
    if hasattr(est, "classes_"):
        print(f"classes: {', '.join(map(str, est.classes_))}")
    if isinstance(model, TabularModel):
        print(f"target: {model.target} ({model.task})")
        print(f"features: {', '.join(model.preprocessor.columns)}")
        print("preprocessing:\n" + textwrap.indent(model.preprocessor.describe(), "  "))
        if model.metrics:
            print("training summary:")
            for key, value in model.metrics.items():
                print(
                    f"  {key:<22} {value:.4g}"
                    if isinstance(value, float)
                    else f"  {key:<22} {value}"
                )
    elif hasattr(est, "feature_names_in_"):
        print(f"features: {', '.join(map(str, est.feature_names_in_))}")
    if not isinstance(model, Network) and hasattr(est, "n_iter_"):
        print(
            f"epochs trained: {est.n_iter_}, final training loss: {est.loss_:.4g}"
            if est.loss_ is not None
            else f"epochs trained: {est.n_iter_}"
        )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from lucidnet.persist import export_onnx

    notes = export_onnx(_load_model(args.model), args.onnx)
    print(f"wrote {args.onnx}")
    for note in notes:
        print(f"note: {note}")
    return 0


def _teaching_args(args: argparse.Namespace) -> dict[str, Any]:
    outputs = args.outputs or (3 if args.output == "softmax" else 1)
    if args.output == "softmax" and outputs < 2:
        raise CLIError("--output softmax needs --outputs 2 or more.")
    return {
        "hidden": args.hidden,
        "activation": args.activation,
        "output": args.output,
        "n_inputs": args.inputs,
        "n_outputs": outputs,
        "seed": args.seed,
    }


def _cmd_gradcheck(args: argparse.Namespace) -> int:
    from lucidnet.core.gradcheck import check_gradients
    from lucidnet.core.network import Network

    kw = _teaching_args(args)
    rng = np.random.default_rng(kw["seed"])
    net = Network(
        [kw["n_inputs"], *kw["hidden"], kw["n_outputs"]],
        kw["activation"],
        kw["output"],
        seed=kw["seed"],
    )
    for l in range(1, net.L + 1):  # small random biases keep ReLU units off their kink at 0
        net.b[l] = rng.normal(scale=0.1, size=net.b[l].shape)
    A0 = rng.normal(size=(kw["n_inputs"], args.batch))
    if kw["output"] == "softmax":
        Y = np.eye(kw["n_outputs"])[:, rng.integers(0, kw["n_outputs"], args.batch)]
    elif kw["output"] == "sigmoid":
        Y = (rng.random((kw["n_outputs"], args.batch)) < 0.5).astype(float)
    else:
        Y = rng.normal(size=(kw["n_outputs"], args.batch))
    result = check_gradients(net, A0, Y)
    print(f"{net}, B = {args.batch}: backpropagation vs centred finite differences (float64)")
    print(result)
    return 0 if result.passed else 1


def _cmd_trace(args: argparse.Namespace) -> int:
    from lucidnet.trace import trace

    kw = _teaching_args(args)
    trace(batch=args.batch, **kw)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from lucidnet.demo import run_demo

    run_demo(seed=args.seed, out=args.out)
    return 0


def _cmd_playground(args: argparse.Namespace) -> int:
    from lucidnet.playground import serve

    serve(host=args.host, port=args.port, open_browser=not args.no_browser)
    return 0


def _write_train_report(args: argparse.Namespace, model: Any, frame: Any, y: Any) -> None:
    """The demo's kind of report for the user's data (2-D-only pictures skipped)."""
    from lucidnet import plot
    from lucidnet.demo import classification_section
    from lucidnet.report import write_report

    est = model.estimator
    X = model.features(frame)
    metrics = {k: v for k, v in model.metrics.items() if isinstance(v, (int, float))}
    title = f"{Path(args.data).name}: predicting {model.target!r}"
    if model.task == "classification" and not est._multilabel:
        section = classification_section(title, est, X, np.asarray(y), metrics)
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
    path = write_report(args.report, f"lucidnet: {Path(args.data).name}", [section])
    print(f"report: {path}")


_COMMANDS = {
    "train": _cmd_train,
    "predict": _cmd_predict,
    "evaluate": _cmd_evaluate,
    "inspect": _cmd_inspect,
    "export": _cmd_export,
    "gradcheck": _cmd_gradcheck,
    "trace": _cmd_trace,
    "demo": _cmd_demo,
    "playground": _cmd_playground,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return _COMMANDS[args.command](args)
    except BrokenPipeError:
        # The reader went away (e.g. `lucidnet trace | head`): not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        if args.debug:
            raise
        return _report_error(exc)


def _report_error(exc: BaseException) -> int:
    from lucidnet.io.modelfile import ModelFileError
    from lucidnet.tabular import TableError

    if isinstance(exc, (CLIError, TableError, ModelFileError)):
        message = str(exc)
    elif isinstance(exc, (ValueError, TypeError)):
        message = f"{exc}"
    else:
        message = f"unexpected {type(exc).__name__}: {exc}"
    lines = message.strip().splitlines() or [type(exc).__name__]
    print(f"lucidnet: error: {lines[0]}", file=sys.stderr)
    for line in lines[1:3]:
        print(f"  {line}", file=sys.stderr)
    print("  (run with --debug for the full traceback)", file=sys.stderr)
    return EXIT_USAGE
