"""The command line's argument parser: every command, option and help text."""

from __future__ import annotations

import argparse
import textwrap

from lucidnet._version import __version__
from lucidnet.cli.common import AT_SCALE, DASK_ITERATIONS, widths
from lucidnet.tables.recipe import RECIPE

__all__ = ["build_parser"]


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


def build_parser() -> argparse.ArgumentParser:
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
        "Train a network on a table, strong by default: numeric columns imputed (median,\n"
        "with missing indicators), robustly scaled and smoothly clipped, text columns one-hot\n"
        "encoded; an ensemble of networks trained at once, cross-fitted up to\n"
        f"{RECIPE.cross_fit_max_rows:,} rows (each member leaves its own fold out and keeps its\n"
        "best epoch on it), on larger tables the number of epochs chosen on held-out rows,\n"
        "then a refit on all training rows. The task is chosen from the\n"
        "target unless --task says. Options only override the recipe's defaults.",
        """
        lucidnet train data.csv --target label
        lucidnet train data.parquet --target price --task regression --hidden 64,32
        lucidnet train big.csv --target y --epochs 500 --early-stopping 20 --checkpoint run.ckpt
        lucidnet train big.csv --target y --epochs 500 --early-stopping 20 --resume run.ckpt
        lucidnet train huge.csv.gz --target y --stream --chunk-rows 100000
        lucidnet train data.parquet --target y --dask local
        lucidnet train data.csv --target y --dask tcp://scheduler:8786
        lucidnet train data.csv --target y --dask local --optimizer lbfgs
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
        default=None,
        metavar=widths(RECIPE.hidden_layer_sizes),
        help=f"hidden layer widths (default: {widths(RECIPE.hidden_layer_sizes)}; "
        f"{widths(AT_SCALE['hidden_layer_sizes'])} with --dask --optimizer lbfgs)",
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
        help="train exactly this many epochs (default: chosen automatically, at most "
        f"{RECIPE.max_epochs}; L-BFGS iterations with --optimizer lbfgs, "
        f"at most {DASK_ITERATIONS})",
    )
    train.add_argument(
        "--batch-size",
        type=_positive_int,
        default=None,
        metavar="B",
        help=f"minibatch size (default: {RECIPE.batch_size}; L-BFGS takes every row at once)",
    )
    train.add_argument(
        "--optimizer",
        choices=["adam", "adamw", "sgd", "lbfgs"],
        default=None,
        help="default: adam; lbfgs (with --dask only): the plain MLP by full-batch L-BFGS",
    )
    train.add_argument(
        "--lr",
        type=_positive_float,
        default=None,
        metavar="X",
        help=f"learning rate (default: {RECIPE.learning_rate:g}; "
        f"{AT_SCALE['learning_rate_init']:g} with --dask --optimizer lbfgs)",
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
        help="held-out fraction for validation loss and final metrics (default: 0.2; 0 = none;"
        f" the recipe holds out at most {RECIPE.max_validation_rows:,} rows; a cross-fitted"
        " table holds none out and scores every row out of fold)",
    )
    train.add_argument(
        "--early-stopping",
        type=_positive_int,
        default=None,
        metavar="PATIENCE",
        help="stop when the validation loss has not improved for PATIENCE epochs; "
        "keep the best weights",
    )
    train.add_argument(
        "--members",
        type=_positive_int,
        default=None,
        metavar="K",
        help=f"networks trained at once, predictions averaged (default: {RECIPE.n_members})",
    )
    train.add_argument(
        "--numeric-embedding",
        choices=("periodic", "piecewise", "none"),
        default=None,
        help="embed each numeric column before layer 1: periodic (PLR) or piecewise "
        f"(linear on quantile bins); default: {RECIPE.numeric_embedding or 'none'}",
    )
    train.add_argument(
        "--count-loss",
        choices=("poisson", "none"),
        default=None,
        help="for a regression target of counts (whole numbers >= 0 from 0 or 1): poisson "
        "(an exp output) or none (squared error); "
        f"default: {RECIPE.count_loss or 'none'}",
    )
    train.add_argument(
        "--time-limit",
        type=_positive_float,
        default=None,
        metavar="SECONDS",
        help="a hard budget for training; the best model so far is kept",
    )
    train.add_argument(
        "--engine",
        choices=("numpy", "jax"),
        default=None,
        help="numpy (default): steps in Python; jax: each epoch compiled by JAX "
        '(pip install "lucidnet[jax]")',
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
        help="read the file in chunks (bounded memory, any file size) and train the recipe "
        "over passes: a first pass for the preprocessing statistics and the held-out rows "
        "(kept in memory), minibatches from a shuffle buffer of chunks, the epochs chosen on "
        "the held-out rows; chosen automatically for a file over a quarter of the memory",
    )
    scale.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="train the recipe on a Dask cluster, the members in one task per worker (with "
        "--optimizer lbfgs: the plain MLP by full-batch L-BFGS): a scheduler address "
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
    _chunk_rows_option(predict)

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
    _chunk_rows_option(evaluate)

    inspect = add(
        "inspect",
        "show what a model file holds",
        "Show a model file's layers (shapes, activations, parameters), classes, features,\n"
        "preprocessing and training summary; --importance DATA adds which columns matter.",
        "lucidnet inspect model.safetensors --importance test.csv",
    )
    inspect.add_argument("model")
    inspect.add_argument(
        "--importance",
        metavar="DATA",
        help="print each column's permutation importance on DATA (rows the model did not "
        "train on, with the target column): the drop of accuracy (R² for regression) when "
        "the column is shuffled, mean ± std over 5 shuffles (seed 0)",
    )

    export = add(
        "export",
        "export a model to ONNX",
        "Export a model to ONNX (Gemm + activations, probabilities and labels). A table "
        "model's graph\nis the whole model: one input per column (numbers as float32, text "
        "as strings), its\npreprocessing, the network and the target's units.",
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


def _chunk_rows_option(command: argparse.ArgumentParser) -> None:
    """``--chunk-rows`` of predict and evaluate, which read their input in chunks (the
    numbers are ``lucidnet.tables.predict_stream.chunk_rows_for()`` and
    ``lucidnet.estimators.PREDICT_BLOCK``, written out: the parser imports no pandas)."""
    command.add_argument(
        "--chunk-rows",
        type=_positive_int,
        default=16_384,
        metavar="N",
        help="rows read at a time (default: 16384; rounded up to a multiple of 4096, the rows "
        "the network predicts at once, so that the output is the whole file's, bit for bit)",
    )
