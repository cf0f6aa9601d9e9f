"""``lucidnet predict``, ``evaluate``, ``inspect`` and ``export``: using a saved model."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap

import numpy as np

from lucidnet.cli.common import CLIError, load_model, load_table_model
from lucidnet.cli.importance import print_importance
from lucidnet.core import Network
from lucidnet.tables import TabularModel, export_onnx
from lucidnet.tables.model import ABSENT, recorded_metrics
from lucidnet.tables.predict_stream import TableChunks, evaluate_table, predict_table

__all__ = ["cmd_evaluate", "cmd_export", "cmd_inspect", "cmd_predict"]


def cmd_predict(args: argparse.Namespace) -> int:
    model = load_table_model(args.model)
    table = TableChunks(args.data, args.chunk_rows)
    model.preprocessor.check_columns(table.first, source=args.data)
    rows = predict_table(model, table, args.output, keep_columns=args.keep_columns)
    if args.output:
        print(f"wrote {rows} prediction(s) to {args.output}", file=sys.stderr)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    model = load_table_model(args.model)
    table = TableChunks(args.data, args.chunk_rows)
    target = args.target or model.target
    if target not in table.columns:
        raise CLIError(
            f"{args.data} has no column {target!r} to evaluate against; give --target COL."
        )
    model.preprocessor.check_columns(table.first, source=args.data)
    scores = evaluate_table(model, table, target)
    rows = scores.pop("rows")
    result = recorded_metrics(scores)
    result["rows"] = rows
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{model.task} metrics on {args.data} ({rows} rows):")
    for key, value in result.items():
        if key not in ("confusion_matrix", "rows", ABSENT):
            print(f"  {key:<10} {value:.4f}")
    for key in result.get(ABSENT, []):
        print(f"  {key:<10} absent: these rows cannot give it")
    if "confusion_matrix" in result:
        labels = result["confusion_matrix"]["labels"]
        matrix = result["confusion_matrix"]["matrix"]
        width = max(8, *(len(s) for s in labels)) + 1
        print("confusion matrix (rows: true, columns: predicted):")
        print(" " * width + "".join(f"{s:>{width}}" for s in labels))
        for label, row in zip(labels, matrix, strict=True):
            print(f"{label:>{width}}" + "".join(f"{v:>{width}d}" for v in row))
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    model = load_model(args.model)
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
    K = net.K
    if K > 1:
        print(f"  an ensemble of {K} networks trained at once (shapes per member)")
    n = [int(net.W[1].shape[-1]), *net.n[1:]]  # layer 1 reads the embedding's output
    embedding = getattr(net, "embedding", None)
    if embedding is not None:
        sizes = [int(np.prod(a.shape)) for a in getattr(net, "E", {}).values()]
        print(f"  {'emb':<6}{f'→ {n[0]}':>12}{'':>10}  {embedding.summary()}: {sum(sizes)}")
    for l in range(1, net.L + 1):
        shape_W = f"{n[l]}×{n[l - 1]}"
        shape_b = f"{n[l]}×1"
        count = (n[l] * n[l - 1] + n[l]) * K
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
    if args.importance:
        print_importance(model, args.importance)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    notes = export_onnx(load_model(args.model), args.onnx)
    print(f"wrote {args.onnx}")
    for note in notes:
        print(f"note: {note}")
    return 0
