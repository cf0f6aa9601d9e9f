"""Export a network to ONNX, built node by node with ``onnx.helper``.

ONNX works with examples as ROWS (input ``X`` of shape [N, n0]), the transpose of the
lecture's columns, so layer l is one ``Gemm`` with ``transB=1`` on W[l] kept in
docs/MATH.md's (n[l], n[l-1]) layout::

    Z[l].T = A[l-1].T @ W[l].T + b[l].T        Gemm(A, W[l], b[l], transB=1)
    A[l].T = g[l](Z[l].T)                      Relu, Tanh, Sigmoid, LeakyRelu or nothing

followed by the output: Sigmoid, Softmax(axis=1) or nothing. Weights are stored as
float32 initializers (``layers.{l}.W``, ``layers.{l}.b``, as in the model file).

Graph outputs, by task:

==========  ====================================  =========================================
task        outputs                               how
==========  ====================================  =========================================
binary      probabilities [N, 2], label [N]       [1 − p, p] as scikit-learn's predict_proba
multiclass  probabilities [N, K], label [N]       label = classes[ArgMax(probabilities)]
multilabel  probabilities [N, K], label [N, K]    label = int64(p > 0.5), as LabelBinarizer
regression  predictions [N, n_out]                A[L] itself
==========  ====================================  =========================================

The class labels are a Gather on an initializer holding them in their own type (int64,
bool, float or string), and are also stored as JSON in the model's ``metadata_props``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from lucidnet._version import __version__
from lucidnet.core import Network
from lucidnet.core.activations import LEAKY_SLOPE
from lucidnet.core.arrays import to_numpy
from lucidnet.core.ensemble import Ensemble
from lucidnet.io.atomic import PathLike, atomic_write_bytes
from lucidnet.io.modelfile import encode_labels

try:
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError("ONNX export needs the onnx package: pip install 'lucidnet[onnx]'.") from err

from lucidnet.io.onnx_embedding import embedding_nodes

__all__ = ["TASKS", "network_to_onnx", "save_onnx"]

TASKS = ("binary", "multiclass", "multilabel", "regression")
THRESHOLD = 0.5  # a multilabel label is on when p > THRESHOLD

# Hidden activations ONNX can express: name -> (operator, attributes); None = no node.
_HIDDEN_OPS: dict[str, tuple[str, dict[str, Any]] | None] = {
    "identity": None,
    "relu": ("Relu", {}),
    "leaky_relu": ("LeakyRelu", {"alpha": LEAKY_SLOPE}),
    "sigmoid": ("Sigmoid", {}),
    "tanh": ("Tanh", {}),
}
_OUTPUT_TASKS = {
    "sigmoid": ("binary", "multilabel"),
    "softmax": ("multiclass",),
    "identity": ("regression",),
    "exp": ("regression",),  # a Poisson mean: Exp (its linear tail above z = 30 left out)
}
_MIN_OPSET = 13  # Softmax(axis=1) on the last axis only, as used here


def network_to_onnx(
    net: Network,
    *,
    classes: Any = None,
    mean: Any = None,
    scale: Any = None,
    task: str | None = None,
    opset: int = 17,
) -> onnx.ModelProto:
    """The network as an ONNX model: input ``X`` float32 [N, n0], outputs by task.

    Parameters
    ----------
    net : Network
        Hidden activations identity, relu, leaky_relu, sigmoid or tanh; NumPy parameters
        (float32 or float64; both are exported as float32).
    classes : array-like of shape (K,), optional
        The class labels in column order (int, bool, float or str). Defaults to
        0..K−1 (0, 1 for binary). For multilabel they only name the columns (metadata).
        Not allowed for regression.
    mean, scale : array-like of shape (n0,), optional
        A StandardScaler's ``mean_`` and ``scale_``: the graph starts with
        ``(X − mean) / scale``.
    task : {"binary", "multiclass", "multilabel", "regression"}, optional
        Inferred from the output layer: sigmoid with one unit → binary, with several →
        multilabel, softmax → multiclass, identity → regression.
    opset : int, default=17
        The ONNX operator set (13 or newer); the IR version is 8 or the least that
        ``opset`` needs.

    Returns
    -------
    onnx.ModelProto
        Checked with ``onnx.checker.check_model(model, full_check=True)``.

    Raises
    ------
    ValueError
        For an activation ONNX cannot express (a user-registered one), a task that does
        not fit the output layer, wrong class count, or bad mean/scale.

    Examples
    --------
    >>> from lucidnet import Network
    >>> model = network_to_onnx(Network([4, 8, 3], output="softmax", seed=0))
    >>> [node.op_type for node in model.graph.node]
    ['Gemm', 'Relu', 'Gemm', 'Softmax', 'ArgMax', 'Gather']
    >>> [output.name for output in model.graph.output]
    ['probabilities', 'label']
    """
    task = _resolve_task(net, task)
    opset = _check_opset(opset)
    L, n = net.L, net.n
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []

    A = "X"
    for name, values, op in (("mean", mean, "Sub"), ("scale", scale, "Div")):
        if values is not None:
            inits.append(numpy_helper.from_array(_feature_vector(name, values, n[0]), name))
            nodes.append(helper.make_node(op, [A, name], [f"X_{op.lower()}"], name=op))
            A = f"X_{op.lower()}"

    if getattr(net, "embedding", None) is not None:  # a numerical embedding before layer 1
        A = embedding_nodes(net, A, nodes, inits)
    stacked = isinstance(net, Ensemble)
    for l in range(1, L + 1):
        W = _float32(f"W[{l}]", net.W[l])
        is_regression_output = l == L and task == "regression" and not stacked
        is_regression_output = is_regression_output and net.output.name == "identity"
        Z = "predictions" if is_regression_output else f"Z{l}"
        if stacked:  # K members: Z[l].T = A[l-1].T @ W[l].mT + b[l].mT, shape [K, N, n[l]]
            inits += [
                numpy_helper.from_array(
                    np.ascontiguousarray(W.transpose(0, 2, 1)), f"layers.{l}.WT"
                ),
                numpy_helper.from_array(
                    _float32(f"b[{l}]", net.b[l]).transpose(0, 2, 1), f"layers.{l}.bT"
                ),
            ]
            nodes += [
                helper.make_node("MatMul", [A, f"layers.{l}.WT"], [f"P{l}"], name=f"MatMul{l}"),
                helper.make_node("Add", [f"P{l}", f"layers.{l}.bT"], [Z], name=f"Add{l}"),
            ]
        else:
            inits += [
                numpy_helper.from_array(W, f"layers.{l}.W"),
                numpy_helper.from_array(
                    _float32(f"b[{l}]", net.b[l]).reshape(n[l]), f"layers.{l}.b"
                ),
            ]
            nodes.append(
                helper.make_node(
                    "Gemm", [A, f"layers.{l}.W", f"layers.{l}.b"], [Z], name=f"Gemm{l}", transB=1
                )
            )
        A = Z
        if l < L:
            hidden = _hidden_op(net, l)
            if hidden is not None:
                op_type, attributes = hidden
                nodes.append(
                    helper.make_node(op_type, [Z], [f"A{l}"], name=f"{op_type}{l}", **attributes)
                )
                A = f"A{l}"

    outputs, labels = _output_nodes(
        task, A, n[L], classes, nodes, inits, stacked, opset, net.output.name == "exp"
    )
    graph = helper.make_graph(
        nodes,
        "lucidnet_mlp",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", n[0]])],
        outputs,
        initializer=inits,
        doc_string=f"lucidnet network {n} with activations {net.activation_names}",
    )
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(
        graph,
        opset_imports=opsets,
        ir_version=max(8, helper.find_min_ir_version_for(opsets)),
        producer_name="lucidnet",
        producer_version=__version__,
    )
    standardise = [name for name, v in (("mean", mean), ("scale", scale)) if v is not None]
    props = {
        "lucidnet_version": __version__,
        "task": task,
        "layer_sizes": json.dumps(n),
        "activations": json.dumps(net.activation_names),
        "preprocessing": json.dumps({"standardise": standardise}),
    }
    if labels is not None:
        props["classes"] = json.dumps(encode_labels(labels))
    helper.set_model_props(model, props)
    onnx.checker.check_model(model, full_check=True)
    return model


def save_onnx(model: onnx.ModelProto, path: PathLike) -> None:
    """Write an ONNX model to ``path`` atomically (see :func:`lucidnet.io.atomic_path`).

    Raises
    ------
    ValueError
        When the model exceeds protobuf's 2 GiB limit for one file.
    """
    if model.ByteSize() >= 2**31:
        raise ValueError(
            "The ONNX model is over 2 GiB, protobuf's limit for one file; save it with "
            "onnx.save_model(model, path, save_as_external_data=True) instead."
        )
    atomic_write_bytes(path, model.SerializeToString())


# ---------------------------------------------------------------------------- helpers


def _resolve_task(net: Network, task: str | None) -> str:
    output, K = net.output.name, net.n[net.L]
    fitting = _OUTPUT_TASKS[output]
    if task is None:
        return "binary" if output == "sigmoid" and K == 1 else fitting[-1]
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}; got {task!r}.")
    if task not in fitting or (task == "binary" and K != 1):
        raise ValueError(
            f"task={task!r} does not fit a network whose output layer is {output} with {K} "
            f"unit(s): a {output} output serves {' or '.join(fitting)}"
            + (" (binary needs exactly one unit)" if task == "binary" else "")
            + "."
        )
    return task


def _check_opset(opset: int) -> int:
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not _MIN_OPSET <= opset <= newest:
        raise ValueError(
            f"opset must be an int from {_MIN_OPSET} to {newest} (this onnx's newest); "
            f"got {opset!r}."
        )
    return opset


def _hidden_op(net: Network, l: int) -> tuple[str, dict[str, Any]] | None:
    name = net.g[l].name
    if name not in _HIDDEN_OPS:
        raise ValueError(
            f"Layer {l} uses the activation {name!r}, which ONNX export cannot express: an "
            "ONNX graph runs ONNX operators, not Python functions. Exportable hidden "
            f"activations: {', '.join(_HIDDEN_OPS)}."
        )
    return _HIDDEN_OPS[name]


def _float32(what: str, values: Any) -> np.ndarray:
    out = to_numpy(values).astype(np.float32)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{what} is not finite in float32, so it cannot be exported.")
    return out


def _feature_vector(name: str, values: Any, n0: int) -> np.ndarray:
    v = _float32(name, values)
    if v.size != n0 or v.ndim > 2 or (v.ndim == 2 and v.shape[0] != 1):
        raise ValueError(
            f"{name} must have shape (n0,) = ({n0},), one value per input feature; "
            f"got shape {v.shape}."
        )
    v = v.reshape(n0)
    if name == "scale" and np.any(v == 0):
        raise ValueError("scale contains zeros; a StandardScaler stores 1.0 for constant features.")
    return v


def _class_labels(classes: Any, task: str, K: int) -> np.ndarray | None:
    """The labels in column order; the default 0..K−1 (0, 1 for binary)."""
    if task == "regression":
        if classes is not None:
            raise ValueError("classes must be None for regression.")
        return None
    n_classes = 2 if task == "binary" else K
    if classes is None:
        return np.arange(n_classes, dtype=np.int64)
    labels = np.asarray(classes)
    if labels.shape != (n_classes,):
        raise ValueError(
            f"A {task} network with {K} output unit(s) needs {n_classes} class labels; "
            f"got classes of shape {labels.shape}."
        )
    encode_labels(labels)  # refuses what cannot be stored
    return labels


def _labels_tensor(labels: np.ndarray) -> onnx.TensorProto:
    """An initializer holding the labels: int64, bool, float32/float64 or string."""
    kind = labels.dtype.kind
    if kind in "iu":
        if kind == "u" and labels.size and labels.max() > np.iinfo(np.int64).max:
            raise ValueError("Integer class labels must fit int64 for ONNX.")
        labels = labels.astype(np.int64)
    elif kind in "UO":
        labels = labels.astype(object)
    return numpy_helper.from_array(labels, "classes")


def _output_nodes(
    task: str,
    A: str,
    K: int,
    classes: Any,
    nodes: list[onnx.NodeProto],
    inits: list[onnx.TensorProto],
    stacked: bool = False,
    opset: int = 17,
    exp: bool = False,
) -> tuple[list[onnx.ValueInfoProto], np.ndarray | None]:
    """Append g[L] and the label nodes; return the graph outputs and the labels used.

    For an ensemble (``stacked``: A is [K, N, n[L]]) the members' outputs g[L](Z) are
    averaged over the first axis (ReduceMean), as ``Ensemble.mean_output``.
    """
    labels = _class_labels(classes, task, K)

    def output(op: str, name: str, **attributes: Any) -> None:
        if not stacked:
            nodes.append(helper.make_node(op, [A], [name], name=op + "Out", **attributes))
            return
        if op != "Identity":
            nodes.append(helper.make_node(op, [A], [f"{name}_k"], name=op + "Out", **attributes))
        source = A if op == "Identity" else f"{name}_k"
        if opset >= 18:  # the axes became an input in opset 18
            inits.append(numpy_helper.from_array(np.array([0], dtype=np.int64), "member_axis"))
            mean = helper.make_node("ReduceMean", [source, "member_axis"], [name], keepdims=0)
        else:
            mean = helper.make_node("ReduceMean", [source], [name], axes=[0], keepdims=0)
        mean.name = "MeanOverMembers"
        nodes.append(mean)

    if task == "regression":
        if stacked or exp:
            output("Exp" if exp else "Identity", "predictions")
        info = helper.make_tensor_value_info("predictions", TensorProto.FLOAT, ["N", K])
        return [info], None

    if task == "multiclass":
        output("Softmax", "probabilities", axis=-1)
    elif task == "multilabel":
        output("Sigmoid", "probabilities")
    else:  # binary: [1 − p, p]
        inits.append(numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"))
        output("Sigmoid", "p")
        nodes += [
            helper.make_node("Sub", ["one", "p"], ["one_minus_p"], name="OneMinusP"),
            helper.make_node(
                "Concat", ["one_minus_p", "p"], ["probabilities"], name="Concat", axis=1
            ),
        ]
    n_columns = 2 if task == "binary" else K
    proba = helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", n_columns])

    if task == "multilabel":
        inits.append(numpy_helper.from_array(np.array(THRESHOLD, dtype=np.float32), "threshold"))
        nodes += [
            helper.make_node("Greater", ["probabilities", "threshold"], ["on"], name="Threshold"),
            helper.make_node("Cast", ["on"], ["label"], name="CastLabel", to=TensorProto.INT64),
        ]
        label = helper.make_tensor_value_info("label", TensorProto.INT64, ["N", K])
        return [proba, label], labels

    assert labels is not None
    table = _labels_tensor(labels)
    inits.append(table)
    nodes += [
        helper.make_node(
            "ArgMax", ["probabilities"], ["class_index"], name="ArgMax", axis=1, keepdims=0
        ),
        helper.make_node("Gather", ["classes", "class_index"], ["label"], name="Gather", axis=0),
    ]
    label = helper.make_tensor_value_info("label", table.data_type, ["N"])
    return [proba, label], labels
