"""The lucidnet model file: one safetensors file per model, never a pickle.

A file holds, as plain safetensors tensors that any safetensors reader can open,

- ``layers.{l}.W`` of shape (n[l], n[l-1]) and ``layers.{l}.b`` of shape (n[l], 1) for
  l = 1..L, in the layout of docs/MATH.md §2 (no transposes), in float32 or float64;
- any extra named arrays the caller adds (for example a scaler's means and scales);
- for a network with a numerical embedding, its arrays ``embedding.*`` and the header
  entry ``architecture.embedding`` (``lucidnet.io.embedding_file``);

and, in the safetensors ``__metadata__`` (which maps str to str), one key ``"lucidnet"``
whose value is a JSON header::

    {
      "sha256": "<64 hex digits>",
      "format": "lucidnet-mlp",
      "format_version": 1,
      "lucidnet_version": "0.1.0",
      "numpy_version": "2.4.6",
      "architecture": {
        "layer_sizes": [n0, n1, ..., nL],
        "activations": ["relu", ..., "sigmoid"],        # g[1..L]; the last is the output
        "output": "sigmoid",                            # == activations[-1]
        "layout": "W[l]: (n[l], n[l-1]), b[l]: (n[l], 1)"
      },
      "dtype": "float32" | "float64",
      "extra_arrays": {"<name>": {"dtype": "float64", "shape": [4]}, ...},
      "info": {...}                                     # the caller's, JSON only
    }

``sha256`` is the SHA-256 of the header text as written, with the 64 digits of the
``sha256`` value replaced by 64 zeros, followed by the bytes (C order, little-endian) of
``layers.1.W``, ``layers.1.b``, ..., ``layers.L.W``, ``layers.L.b`` and then the extra
arrays sorted by name. It covers every byte that carries meaning, so a flipped bit
anywhere, in the weights or in the header, is caught on load (safetensors itself checks
the layout but not the content). It detects corruption, not deliberate tampering: the
digest is stored in the file, so anyone who changes the weights can recompute it. Check
a file from someone else against a digest or signature obtained separately.

Loading never runs code named in a file: activations are looked up in lucidnet's
registry, estimator classes in a whitelist the caller passes
(:meth:`LoadedModel.estimator_class`). Every problem with a file becomes one
:class:`ModelFileError` that names the file and says what to do.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import safetensors.numpy

from lucidnet._version import __version__
from lucidnet.core import Network
from lucidnet.core.arrays import to_numpy
from lucidnet.core.ensemble import Ensemble
from lucidnet.io._reading import (
    _DAMAGED,
    _EXTRA_KINDS,
    _FLOAT_DTYPES,
    _ZERO_DIGEST,
    FORMAT,
    FORMAT_VERSION,
    LAYOUT,
    METADATA_KEY,
    ModelFileError,
    PathLike,
    T,
    _activations,
    _check_layout,
    _check_tensor,
    _extra_spec,
    _field,
    _layer_sizes,
    _members,
    _metadata_text,
    _parse_header,
    _read_header,
    _read_tensors,
    _zero_digest,
)
from lucidnet.io.atomic import atomic_write_bytes
from lucidnet.io.embedding_file import PREFIX as EMBEDDING_PREFIX
from lucidnet.io.embedding_file import embedding_record, inner_sizes, with_embedding
from lucidnet.io.labels import decode_labels, encode_labels
from lucidnet.io.schema import HEADER, SchemaMismatch, check

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "LoadedModel",
    "ModelFileError",
    "decode_labels",
    "encode_labels",
    "load_network",
    "save_network",
]


@dataclass(frozen=True)
class LoadedModel:
    """What :func:`load_network` read from a model file, all of it validated.

    Attributes
    ----------
    network : Network
        Built with ``Network.from_parameters``; W[l] (n[l], n[l-1]), b[l] (n[l], 1), in
        the file's dtype.
    info : dict
        The caller's ``info`` as saved (JSON types: tuples came back as lists).
    arrays : dict[str, numpy.ndarray]
        The extra arrays, by name.
    header : dict
        The whole JSON header (see the module docstring).
    path : str
        The file it came from (for error messages).
    """

    network: Network
    info: dict[str, Any]
    arrays: dict[str, np.ndarray]
    header: dict[str, Any]
    path: str

    def error(self, problem: str, fix: str = _DAMAGED) -> ModelFileError:
        """A :class:`ModelFileError` about this file, for checks made by the caller.

        Examples
        --------
        ``raise loaded.error("info has no 'params'")``
        """
        return ModelFileError(self.path, problem, fix)

    def check_info(self, schema: Any) -> None:
        """Check ``info`` against the schema its kind of model declares
        (:mod:`lucidnet.io.schema`).

        Raises
        ------
        ModelFileError
            Naming the first field that does not fit, e.g. ``info['summary']``.
        """
        try:
            check(self.info, schema, "info")
        except SchemaMismatch as exc:
            raise self.error(str(exc)) from None

    def labels(self, key: str = "classes") -> np.ndarray:
        """Decode the labels saved under ``info[key]`` with :func:`encode_labels`.

        Raises
        ------
        ModelFileError
            When the key is missing or does not hold encoded labels.
        """
        if key not in self.info:
            raise self.error(f"its info has no {key!r} entry")
        try:
            return decode_labels(self.info[key])
        except (TypeError, ValueError) as err:
            raise self.error(f"info[{key!r}] does not hold labels ({err})") from None

    def estimator_class(self, allowed: Mapping[str, T]) -> T:
        """The class named by ``info["estimator"]``, looked up in a whitelist.

        The name is never imported: only the classes in ``allowed`` can come back.

        Parameters
        ----------
        allowed : mapping of str to class
            The estimator classes a file may name, e.g. ``{"MLPClassifier": MLPClassifier}``.

        Raises
        ------
        ModelFileError
            When ``info["estimator"]`` is missing or not in ``allowed``.
        """
        name = self.info.get("estimator")
        if not isinstance(name, str):
            raise self.error("its info names no estimator class (info['estimator'])")
        if name not in allowed:
            raise self.error(
                f"it names the estimator class {name!r}, which is not one of "
                f"{sorted(allowed)}; lucidnet never imports classes named in a file",
                "Load it with the estimator class that saved it.",
            )
        return allowed[name]


# ---------------------------------------------------------------------------- saving


def save_network(
    net: Network,
    path: PathLike,
    *,
    info: Mapping[str, Any] | None = None,
    extra_arrays: Mapping[str, Any] | None = None,
) -> None:
    """Save a network (and optional info and arrays) to a safetensors model file, atomically.

    Parameters
    ----------
    net : Network
        Its parameters must be finite; NumPy, PyTorch, CuPy or any Array-API arrays.
    path : str or os.PathLike
        The file to create or replace (``.safetensors`` is the usual suffix). A crash
        while saving leaves the previous file intact.
    info : mapping, optional
        JSON-serialisable facts for whoever loads the file: the estimator class name,
        ``get_params()``, ``encode_labels(classes_)``, feature names, a description of
        the preprocessing, a training summary. Keys must be str; values dict, list,
        tuple (read back as a list), str, int, finite float, bool or None; NumPy scalars
        are converted.
    extra_arrays : mapping of str to array, optional
        Numeric arrays to store beside the weights (bool, int, uint or float), e.g.
        ``{"scaler.mean": mean, "scaler.scale": scale}``. Names must not start with
        ``"layers."``, ``"embedding."`` or ``"__"``; float arrays must be finite.

    Raises
    ------
    ValueError, TypeError
        For non-finite parameters, an info that is not JSON, or a bad extra array.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lucidnet import Network
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.safetensors"
    >>> save_network(Network([3, 4, 1], seed=0), path, info={"note": "demo"})
    >>> loaded = load_network(path)
    >>> loaded.network, loaded.info
    (Network([3, 4, 1], activations=['relu', 'sigmoid']), {'note': 'demo'})
    """
    tensors = _network_tensors(net)
    embedding, embedding_arrays = embedding_record(net)  # ({}, {}) without one
    extras = _check_extra_arrays(extra_arrays)
    extras = dict(sorted({**extras, **embedding_arrays}.items()))
    header: dict[str, Any] = {
        "sha256": _ZERO_DIGEST,  # first, so the digest covers all the rest of the text
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "lucidnet_version": __version__,
        "numpy_version": np.__version__,
        "architecture": {
            "layer_sizes": inner_sizes(net),
            "activations": net.activation_names,
            "output": net.output.name,
            "layout": LAYOUT,
            **({"members": int(net.K)} if isinstance(net, Ensemble) else {}),
            **({"embedding": embedding} if embedding else {}),
        },
        "dtype": np.dtype(net.dtype).name,
        "extra_arrays": {
            name: {"dtype": a.dtype.name, "shape": list(a.shape)} for name, a in extras.items()
        },
        "info": _plain_json(dict(info or {}), "info"),
    }
    ordered = {**tensors, **extras}
    header["sha256"] = _digest(_dump(header), ordered.values())
    data = safetensors.numpy.save(ordered, metadata={METADATA_KEY: _dump(header)})
    atomic_write_bytes(path, data)


def _network_tensors(net: Network) -> dict[str, np.ndarray]:
    """``layers.{l}.W`` and ``layers.{l}.b`` for l = 1..L, in that order, as contiguous NumPy."""
    dtype = np.dtype(net.dtype)
    if dtype.name not in _FLOAT_DTYPES:
        raise ValueError(f"The network's dtype must be float32 or float64; got {dtype}.")
    tensors: dict[str, np.ndarray] = {}
    for l in range(1, net.L + 1):
        W = np.ascontiguousarray(to_numpy(net.W[l]), dtype=dtype)  # GPU arrays come home
        b = np.ascontiguousarray(to_numpy(net.b[l]), dtype=dtype).reshape((*W.shape[:-1], 1))
        for name, value in ((f"layers.{l}.W", W), (f"layers.{l}.b", b)):
            if not np.all(np.isfinite(value)):
                raise ValueError(
                    f"{name} holds NaN or infinite values, so the network cannot be saved; "
                    "training probably diverged: lower the learning rate and train again."
                )
            tensors[name] = value
    return tensors


def _check_extra_arrays(extra_arrays: Mapping[str, Any] | None) -> dict[str, np.ndarray]:
    """The extra arrays as contiguous NumPy arrays, sorted by name (the digest's order)."""
    extras: dict[str, np.ndarray] = {}
    for name in sorted(extra_arrays or {}, key=str):
        if not isinstance(name, str) or not name:
            raise TypeError(f"Extra array names must be non-empty strings; got {name!r}.")
        if name.startswith(("layers.", "__", EMBEDDING_PREFIX)):
            raise ValueError(
                f"The extra array name {name!r} is reserved (names starting with 'layers.', "
                f"'{EMBEDDING_PREFIX}' or '__'); choose another, e.g. 'scaler.mean'."
            )
        a = np.asarray(extra_arrays[name])  # type: ignore[index]
        if a.dtype.kind not in _EXTRA_KINDS or a.dtype.itemsize > 8:
            raise TypeError(
                f"The extra array {name!r} has dtype {a.dtype}; a model file stores bool, "
                "int, uint and float arrays only. Put labels and text in info "
                "(see encode_labels)."
            )
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            raise ValueError(f"The extra array {name!r} holds NaN or infinite values.")
        extras[name] = np.ascontiguousarray(a)
    return extras


def _plain_json(value: Any, where: str) -> Any:
    """``value`` as plain JSON types (NumPy scalars converted); anything else is refused."""
    if isinstance(value, np.generic) and value.dtype.kind in "biufU":
        value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} is {value}; a model file's info holds finite numbers only.")
        return value
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{where} has the key {k!r}; info keys must be str.")
            out[k] = _plain_json(v, f"{where}[{k!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [_plain_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    hint = " Store labels with encode_labels and numeric arrays in extra_arrays."
    raise TypeError(
        f"{where} is a {type(value).__name__}, which JSON cannot hold; info may contain "
        f"dict, list, tuple, str, int, float, bool and None only.{hint}"
    )


def _dump(header: Mapping[str, Any]) -> str:
    return json.dumps(header, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def _digest(header_text: str, arrays: Iterable[np.ndarray]) -> str:
    """SHA-256 of the header text (digest zeroed) and the arrays' little-endian bytes."""
    h = hashlib.sha256(header_text.encode("utf-8"))
    for a in arrays:
        little = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
        h.update(little.reshape(-1).view(np.uint8).data)
    return h.hexdigest()


# ---------------------------------------------------------------------------- loading


def load_network(path: PathLike) -> LoadedModel:
    """Load and validate a model file written by :func:`save_network`.

    The file's header is read and checked first (the safetensors length prefix against
    the file's size, the JSON, the lucidnet entry, the tensors' byte ranges against the
    bytes that follow), so a file that is no model file is refused before its bytes are
    read; then the tensors are read through safetensors' memory map.

    Everything is checked before a network is built: the safetensors layout, the header
    and its format version, the SHA-256 of header and tensors (against corruption, not
    tampering: see the module notes), the set of tensors, the shape chain W[l]
    (n[l], n[l-1]) and b[l] (n[l], 1), the dtype (float32 or float64), the activation
    names, and that every value is finite.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.

    Returns
    -------
    LoadedModel
        ``.network``, ``.info``, ``.arrays``, ``.header`` and ``.path``.

    Raises
    ------
    ModelFileError
        For any problem with the file (a ValueError). A file from a newer lucidnet
        (a higher ``format_version``) is refused with the advice to upgrade.
    """
    where = os.fspath(path)
    st_header, data_length = _read_header(where)  # the file's first bytes only
    text = _metadata_text(where, st_header)
    header = _parse_header(where, text)
    sizes = _layer_sizes(where, header)
    extra_spec = _extra_spec(where, header)
    _check_layout(where, st_header, data_length)  # the sizes add up: now read the tensors
    tensors = _read_tensors(where)

    L = len(sizes) - 1
    order = [f"layers.{l}.{p}" for l in range(1, L + 1) for p in ("W", "b")] + sorted(extra_spec)
    missing = [name for name in order if name not in tensors]
    unexpected = sorted(set(tensors) - set(order))
    problems = []
    if missing:
        problems.append(f"missing tensors {missing}")
    if unexpected:
        problems.append(f"unexpected tensors {unexpected}")
    if problems:
        raise ModelFileError(where, " and ".join(problems) + f" for a {L}-layer network")
    actual = _digest(_zero_digest(text, header["sha256"]), (tensors[n] for n in order))
    if actual != header["sha256"]:
        raise ModelFileError(
            where, "its SHA-256 checksum does not match: it was changed or damaged after saving"
        )

    names = _activations(where, header, L)
    dtype = _field(where, header, "dtype", str)
    if dtype not in _FLOAT_DTYPES:
        raise ModelFileError(where, f"its dtype is {dtype!r}, not float32 or float64")
    K = _members(where, header)  # an Ensemble stacks K members' W[l], b[l] on a first axis
    stack = [] if K is None else [K]
    expected = {
        **{f"layers.{l}.W": (dtype, [*stack, sizes[l], sizes[l - 1]]) for l in range(1, L + 1)},
        **{f"layers.{l}.b": (dtype, [*stack, sizes[l], 1]) for l in range(1, L + 1)},
        **{name: (spec["dtype"], spec["shape"]) for name, spec in extra_spec.items()},
    }
    for name in order:
        _check_tensor(where, name, tensors[name], *expected[name])

    info = _field(where, header, "info", dict)
    try:  # what the checks above left: every other field's type
        check(header, HEADER)
    except SchemaMismatch as exc:
        raise ModelFileError(where, str(exc)) from None
    W = [tensors[f"layers.{l}.W"] for l in range(1, L + 1)]
    b = [tensors[f"layers.{l}.b"] for l in range(1, L + 1)]
    if K is None:
        network = Network.from_parameters(W, b, names)
    else:
        network = Ensemble.from_members(
            [Network.from_parameters([w[k] for w in W], [v[k] for v in b], names) for k in range(K)]
        )
    arrays = {name: tensors[name] for name in sorted(extra_spec)}
    spec = header["architecture"].get("embedding")
    if spec is not None:  # a numerical embedding before layer 1
        try:
            network = with_embedding(network, spec, arrays)
        except ValueError as exc:
            raise ModelFileError(where, str(exc)) from None
        arrays = {k: v for k, v in arrays.items() if not k.startswith(EMBEDDING_PREFIX)}
    return LoadedModel(network=network, info=info, arrays=arrays, header=header, path=where)
