"""``lucidnet trace``: one minibatch through a small network, every step in the lecture's symbols.

A teaching tool: each line names the formula, the shapes that meet in it, and a few of
the numbers, from ``Z[1] = W[1] @ A[0] + b[1]`` down to ``dW[1]``, then the
finite-difference check of every gradient.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lucidnet.core.gradcheck import check_gradients
from lucidnet.core.network import Network

__all__ = ["trace", "trace_rows"]


def _shape(a: np.ndarray) -> str:
    return "×".join(str(s) for s in a.shape)


def _peek(a: np.ndarray, k: int = 4) -> str:
    flat = np.asarray(a).ravel()
    head = ", ".join(f"{v:+.4f}" for v in flat[:k])
    return f"[{head}{', …' if flat.size > k else ''}]"


Row = tuple[str, str, str]


def trace_rows(
    net: Network, A0: np.ndarray, Y: np.ndarray, alpha: float = 0.0
) -> tuple[list[Row], list[Row], float]:
    """(formula, shapes, first values) of every step of one minibatch, forward and backward.

    Returns the forward rows, the backward rows and the cost J (with the L2 term α).
    """
    L = net.L
    cache = net.forward(A0)
    Z, A = cache.Z, cache.A
    forward: list[Row] = [("A[0] = X.T", f"({_shape(A[0])})", _peek(A[0]))]
    for l in range(1, L + 1):
        forward.append(
            (
                f"Z[{l}] = W[{l}] @ A[{l - 1}] + b[{l}]",
                f"({_shape(Z[l])}) = ({_shape(net.W[l])})({_shape(A[l - 1])})"
                f" + ({_shape(net.b[l])}) broadcast",
                _peek(Z[l]),
            )
        )
        forward.append((f"A[{l}] = {net.g[l].name}(Z[{l}])", f"({_shape(A[l])})", _peek(A[l])))
    J = float(net.cost(cache, Y, alpha))
    grads = net.backward(cache, Y, alpha)
    dW, db, dZ = grads.dW, grads.db, grads.dZ
    backward: list[Row] = [(f"dZ[{L}] = (A[{L}] - Y) / B", f"({_shape(dZ[L])})", _peek(dZ[L]))]
    for l in reversed(range(1, L + 1)):
        penalty = f" + (α/B) W[{l}]" if alpha else ""
        backward.append(
            (
                f"dW[{l}] = dZ[{l}] @ A[{l - 1}].T{penalty}",
                f"({_shape(dW[l])}) = ({_shape(dZ[l])})({_shape(A[l - 1].T)})",
                _peek(dW[l]),
            )
        )
        backward.append(
            (f"db[{l}] = dZ[{l}] summed over columns", f"({_shape(db[l])})", _peek(db[l]))
        )
        if l > 1:
            dA = net.W[l].T @ dZ[l]
            backward.append(
                (
                    f"dA[{l - 1}] = W[{l}].T @ dZ[{l}]",
                    f"({_shape(dA)}) = ({_shape(net.W[l].T)})({_shape(dZ[l])})",
                    _peek(dA),
                )
            )
            backward.append(
                (
                    f"dZ[{l - 1}] = dA[{l - 1}] * {net.g[l - 1].name}'(Z[{l - 1}])",
                    f"({_shape(dZ[l - 1])}) element-wise (diagonal Jacobian)",
                    _peek(dZ[l - 1]),
                )
            )
    return forward, backward, J


def trace(
    hidden: list[int],
    activation: str = "tanh",
    output: str = "sigmoid",
    batch: int = 5,
    n_inputs: int = 3,
    n_outputs: int = 1,
    seed: int = 0,
    write: Callable[[str], None] = print,
) -> Network:
    """Print the forward and backward pass of one minibatch; return the network used.

    Parameters
    ----------
    hidden : list of int
        Hidden widths n[1..L-1].
    activation : str
        Hidden activation.
    output : {"sigmoid", "softmax", "identity"}
    batch : int
        B, the number of examples (columns).
    n_inputs, n_outputs : int
        n[0] and n[L] (softmax needs n[L] ≥ 2).
    seed : int
    write : callable
        Where lines go (``print`` by default).
    """
    rng = np.random.default_rng(seed)
    net = Network([n_inputs, *hidden, n_outputs], activation, output, seed=seed)
    L, n = net.L, net.n
    A0 = rng.normal(size=(n_inputs, batch))
    if output == "softmax":
        Y = np.eye(n_outputs)[:, rng.integers(0, n_outputs, batch)]
    elif output == "sigmoid":
        Y = (rng.random((n_outputs, batch)) < 0.5).astype(float)
    else:
        Y = rng.normal(size=(n_outputs, batch))
    write(f"network: n = {n}, L = {L}, g = {net.activation_names}, B = {batch} examples as columns")
    forward, backward, J = trace_rows(net, A0, Y)
    w1 = max(len(r[0]) for r in forward + backward)
    w2 = max(len(r[1]) for r in forward + backward)
    write("")
    write("forward pass")
    for formula, shapes, values in forward:
        write(f"  {formula:<{w1}}  {shapes:<{w2}}  {values}")
    write(
        f"  J = (1/B) sum of L(A[{L}], Y) = {J:.6f}"
        f"  ({net.output.name} output with its canonical loss)"
    )
    write("")
    write("backward pass (d means dJ/d•)")
    for formula, shapes, values in backward:
        write(f"  {formula:<{w1}}  {shapes:<{w2}}  {values}")
    write("")
    write("finite-difference check (float64, centred, ε = 1e-6)")
    for line in str(check_gradients(net, A0, Y)).splitlines():
        write(f"  {line}")
    return net
