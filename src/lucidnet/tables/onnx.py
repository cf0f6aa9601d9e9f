"""A whole table model as one ONNX graph: raw columns in, predictions out.

The graph takes the table's columns as they are, one input per column, named after it,
of shape [N, 1] (skl2onnx's convention for DataFrames): float32 for a numeric column, a
string tensor for a text column (the cell as ``str(value)``; an empty string is a
missing cell). It then does what :meth:`TablePreprocessor.transform
<lucidnet.tables.preprocess.TablePreprocessor.transform>` does, in float64 on the
float32 inputs::

    numeric    m = IsNaN(x) or IsInf(x)                  missing: empty, NaN or ±inf
               x ← (Where(m, median, x) − mean) / scale
               x ← x / √(1 + (x/3)²)                     robust scaling's smooth clip
    indicators Cast(m) for the columns that had missing values
    text       t ← Where(t = "", "missing", t)          (unless "" is a category)
               one-hot: t = category, per category seen at fit time (unseen: all zero)

then casts the features to float32 and runs the network (:func:`lucidnet.io.onnx_export.
network_to_onnx`; an ensemble's members are averaged in the graph). A regression
model's ``predictions`` come back in the target's units (z · target_scale +
target_mean); a classifier gives ``probabilities`` and ``label``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from lucidnet.estimators import estimator_graph
from lucidnet.io.onnx_export import network_to_onnx
from lucidnet.tables.model import TabularModel
from lucidnet.tables.preprocess import MISSING

__all__ = ["OPSET", "table_to_onnx"]

OPSET = 21
"""The operator set of a table graph: ``Equal`` on strings needs 19 or newer."""

_NET = "network/"  # the prefix of the network's own tensor names
_PRE = "table/"  # the prefix of the preprocessing's tensor names


def table_to_onnx(model: TabularModel, *, opset: int = OPSET) -> onnx.ModelProto:
    """The table model as an ONNX graph from raw columns (see the module docstring).

    Parameters
    ----------
    model : TabularModel
    opset : int, default=21
        19 or newer.

    Returns
    -------
    onnx.ModelProto
        Inputs: one per column of ``model.preprocessor.columns``, shape [N, 1], float32
        (numeric) or string (text). Outputs: ``probabilities`` [N, K] and ``label`` [N]
        (classification), ``predictions`` [N, 1] (regression). Checked with
        ``onnx.checker.check_model(model, full_check=True)``.

    Raises
    ------
    ValueError
        For an opset under 19, or a column whose name is a graph output's.
    """
    if isinstance(opset, bool) or not isinstance(opset, int) or opset < 19:
        raise ValueError(
            f"A table graph needs opset 19 or newer (Equal on strings); got {opset!r}."
        )
    pre = model.preprocessor
    net, kwargs = estimator_graph(model.estimator)
    network = network_to_onnx(net, opset=opset, **kwargs)
    outputs = [o.name for o in network.graph.output]
    clash = [c for c in pre.columns if c in {*outputs, "predictions"} or c.startswith((_NET, _PRE))]
    if clash:
        raise ValueError(
            f"Column(s) {clash} have the name of a graph output or of the graph's own "
            f"tensors ({_NET}..., {_PRE}...); rename them before training to export the "
            "model to ONNX."
        )
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []
    blocks = _numeric(pre, nodes, inits) + _text(pre, nodes, inits)
    nodes.append(helper.make_node("Concat", blocks, [_PRE + "features64"], axis=1))
    nodes.append(
        helper.make_node("Cast", [_PRE + "features64"], [_NET + "X"], to=TensorProto.FLOAT)
    )
    graph = network.graph
    internal = {name for name in _tensor_names(graph) if name not in outputs}
    if model.task == "regression":
        internal.add("predictions")
    _rename(graph, {name: _NET + name for name in internal})
    nodes += list(graph.node)
    inits += list(graph.initializer)
    graph_outputs = list(graph.output)
    if model.task == "regression":
        inits += [
            numpy_helper.from_array(np.array(model.target_scale, np.float32), _PRE + "y_scale"),
            numpy_helper.from_array(np.array(model.target_mean, np.float32), _PRE + "y_mean"),
        ]
        nodes += [
            helper.make_node("Mul", [_NET + "predictions", _PRE + "y_scale"], [_PRE + "y_scaled"]),
            helper.make_node("Add", [_PRE + "y_scaled", _PRE + "y_mean"], ["predictions"]),
        ]
        graph_outputs = [
            helper.make_tensor_value_info("predictions", TensorProto.FLOAT, ["N", net.n[-1]])
        ]
    inputs = [
        helper.make_tensor_value_info(
            column,
            TensorProto.FLOAT if column in pre.numeric else TensorProto.STRING,
            ["N", 1],
        )
        for column in pre.columns
    ]
    table = helper.make_graph(
        nodes,
        "lucidnet_table",
        inputs,
        graph_outputs,
        initializer=inits,
        doc_string=f"lucidnet table model predicting {model.target!r} ({model.task})",
    )
    result = helper.make_model(
        table,
        opset_imports=list(network.opset_import),
        ir_version=network.ir_version,
        producer_name="lucidnet",
        producer_version=network.producer_version,
    )
    props = {p.key: p.value for p in network.metadata_props}
    props["preprocessing"] = json.dumps(
        {
            "numeric": pre.numeric,
            "text": pre.categorical,
            "scaling": pre.scaling,
            "indicators": pre.indicators,
            "missing": "NaN or ±inf (numbers), the empty string (text)",
        }
    )
    props.update(target=model.target, table_task=model.task)
    helper.set_model_props(result, props)
    onnx.checker.check_model(result, full_check=True)
    return result


def _numeric(pre: Any, nodes: list[onnx.NodeProto], inits: list[onnx.TensorProto]) -> list[str]:
    """The numeric block (and the indicators), float64 [N, n]; their tensor names."""
    if not pre.numeric:
        return []

    def const(name: str, values: Any) -> str:
        inits.append(numpy_helper.from_array(np.asarray(values, dtype=np.float64), _PRE + name))
        return _PRE + name

    def node(op: str, inputs: list[str], name: str, **attributes: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [_PRE + name], **attributes))
        return _PRE + name

    raw = node("Concat", list(pre.numeric), "numeric32", axis=1)
    x = node("Cast", [raw], "numeric", to=TensorProto.DOUBLE)
    missing = node("Or", [node("IsNaN", [x], "is_nan"), node("IsInf", [x], "is_inf")], "missing")
    x = node("Where", [missing, const("median", pre.median), x], "imputed")
    x = node(
        "Div",
        [node("Sub", [x, const("mean", pre.mean)], "centred"), const("scale", pre.scale)],
        "scaled",
    )
    if pre.scaling == "robust":  # x / √(1 + (x/3)²)
        third = node("Div", [x, const("clip_bound", 3.0)], "third")
        squared = node("Mul", [third, third], "third_squared")
        root = node("Sqrt", [node("Add", [squared, const("one", 1.0)], "one_plus")], "root")
        x = node("Div", [x, root], "clipped")
    blocks = [x]
    if pre.indicators:
        where = np.array([pre.numeric.index(c) for c in pre.indicators], dtype=np.int64)
        inits.append(numpy_helper.from_array(where, _PRE + "indicator_columns"))
        picked = node("Gather", [missing, _PRE + "indicator_columns"], "indicated", axis=1)
        blocks.append(node("Cast", [picked], "indicators", to=TensorProto.DOUBLE))
    return blocks


def _text(pre: Any, nodes: list[onnx.NodeProto], inits: list[onnx.TensorProto]) -> list[str]:
    """One float64 one-hot block [N, C] per text column; their tensor names."""
    if not pre.categorical:
        return []
    inits += [
        numpy_helper.from_array(np.array("", dtype=object), _PRE + "empty"),
        numpy_helper.from_array(np.array(MISSING, dtype=object), _PRE + "missing_text"),
    ]
    blocks = []
    for j, column in enumerate(pre.categorical):
        categories = pre.categories[column]
        if not categories:
            continue
        name = f"{_PRE}text{j}"
        inits.append(
            numpy_helper.from_array(np.array(categories, dtype=object), name + ".categories")
        )
        text = column
        if "" not in categories:  # an empty string is a missing cell, unless a category
            nodes += [
                helper.make_node("Equal", [column, _PRE + "empty"], [name + ".empty"]),
                helper.make_node(
                    "Where", [name + ".empty", _PRE + "missing_text", column], [name + ".imputed"]
                ),
            ]
            text = name + ".imputed"
        nodes += [
            helper.make_node("Equal", [text, name + ".categories"], [name + ".hot"]),
            helper.make_node("Cast", [name + ".hot"], [name + ".onehot"], to=TensorProto.DOUBLE),
        ]
        blocks.append(name + ".onehot")
    return blocks


def _tensor_names(graph: onnx.GraphProto) -> set[str]:
    names = {i.name for i in graph.input} | {t.name for t in graph.initializer}
    for node in graph.node:
        names.update(n for n in (*node.input, *node.output) if n)
    return names


def _rename(graph: onnx.GraphProto, names: dict[str, str]) -> None:
    """Rename tensors of ``graph`` in place (nodes, initializers, inputs and outputs)."""
    for node in graph.node:
        node.input[:] = [names.get(n, n) for n in node.input]
        node.output[:] = [names.get(n, n) for n in node.output]
        node.name = _NET + node.name if node.name else node.name
    for tensor in graph.initializer:
        tensor.name = names.get(tensor.name, tensor.name)
    for value in (*graph.input, *graph.output):
        value.name = names.get(value.name, value.name)
