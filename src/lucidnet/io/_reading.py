"""The model file's constants, its error type, and the checks that reading it makes.

Private to ``lucidnet.io``: :mod:`lucidnet.io.modelfile` is the public face.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np
import safetensors

from lucidnet._version import __version__
from lucidnet.core import activation_names, output_names

FORMAT = "lucidnet-mlp"
"""The ``format`` field of every lucidnet model file's header."""
FORMAT_VERSION = 1
"""The newest ``format_version`` this lucidnet writes and reads; a newer file is refused."""
METADATA_KEY = "lucidnet"
LAYOUT = "W[l]: (n[l], n[l-1]), b[l]: (n[l], 1)"

PathLike = str | os.PathLike[str]
T = TypeVar("T")

_ZERO_DIGEST = "0" * 64
_HEX64 = re.compile(r"[0-9a-f]{64}")
_MAX_HEADER_BYTES = 100_000_000  # safetensors' own cap
_FLOAT_DTYPES = ("float32", "float64")
_EXTRA_KINDS = "biuf"  # bool, signed and unsigned integers, floats: what safetensors stores
_DAMAGED = (
    "The file is damaged or is not a lucidnet model file: restore it from a backup or "
    "save the model again with lucidnet.io.save_network."
)
_UPGRADE = "Upgrade lucidnet: pip install -U lucidnet"


class ModelFileError(ValueError):
    """A model file that cannot be loaded: missing, truncated, corrupted, or not ours.

    The message names the file, the problem, and what to do about it.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    problem : str
        What is wrong with it.
    fix : str, optional
        What the user can do; by default, restore or re-save the file.

    Attributes
    ----------
    path, problem, fix : str
        The three parts of the message.
    """

    def __init__(self, path: PathLike, problem: str, fix: str = _DAMAGED) -> None:
        self.path = os.fspath(path)
        self.problem = problem
        self.fix = fix
        super().__init__(f"Cannot load the lucidnet model file {self.path!r}: {problem}. {fix}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.problem, self.fix))


def _check_tensor(where: str, name: str, a: np.ndarray, dtype: str, shape: list[int]) -> None:
    """The dtype and shape the header promises, and finite values for floats."""
    if a.dtype.name != dtype or list(a.shape) != shape:
        raise ModelFileError(
            where,
            f"tensor {name!r} has dtype {a.dtype.name} and shape {list(a.shape)}; "
            f"the header expects {dtype} and {shape}",
        )
    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        raise ModelFileError(where, f"tensor {name!r} holds NaN or infinite values")


def _read_header(where: str) -> tuple[dict[str, Any], int]:
    """The safetensors header of a file and the length of the tensor bytes that follow it.

    A safetensors file is an 8-byte little-endian header length n, n bytes of JSON header,
    then the tensor bytes. Only the first 8 + n bytes are read, and n is checked against
    the file's size (and safetensors' cap) before they are: a file that is no model file,
    however large, is refused having cost a few bytes.
    """
    try:
        with open(where, "rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise ModelFileError(
                    where, "it is not a regular file (a device or a pipe?)", "Check the path."
                )
            size = info.st_size
            if size < 8:
                raise ModelFileError(where, f"it is only {size} bytes long (truncated?)")
            n = int.from_bytes(f.read(8), "little")
            if not 2 <= n <= _MAX_HEADER_BYTES:  # at least "{}", at most safetensors' cap
                raise ModelFileError(
                    where,
                    f"its header length field says {n} bytes, which no safetensors header "
                    f"has (2 to {_MAX_HEADER_BYTES}): it is not a safetensors file",
                )
            if n > size - 8:
                raise ModelFileError(
                    where,
                    f"its header length field says {n} bytes but only {size - 8} follow: "
                    "it is truncated or not a safetensors file",
                )
            raw = f.read(n)
    except FileNotFoundError:
        raise ModelFileError(where, "there is no such file", "Check the path.") from None
    except OSError as err:
        raise ModelFileError(
            where, f"it cannot be read ({err.strerror or err})", "Check the path and permissions."
        ) from None
    try:
        st_header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise ModelFileError(where, f"its safetensors header is not valid JSON ({err})") from None
    if not isinstance(st_header, dict):
        raise ModelFileError(where, "its safetensors header is not a JSON object")
    return st_header, size - 8 - n


def _metadata_text(where: str, st_header: Mapping[str, Any]) -> str:
    """The ``"lucidnet"`` entry of the safetensors header's ``__metadata__``."""
    metadata = st_header.get("__metadata__")
    text = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    if not isinstance(text, str):
        raise ModelFileError(
            where,
            "it is not a lucidnet model file (its safetensors header has no 'lucidnet' "
            "metadata entry)",
            "Open it with safetensors directly, or save the model with lucidnet.io.save_network.",
        )
    return text


def _check_layout(where: str, st_header: Mapping[str, Any], data_length: int) -> None:
    """The tensors' byte ranges, one after the other, cover the bytes after the header exactly.

    Checked before any tensor byte is read (safetensors checks the same when it opens the
    file, and each range against its tensor's dtype and shape).
    """
    spans = []
    for name, entry in st_header.items():
        if name == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if not (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
            and 0 <= offsets[0] <= offsets[1]
        ):
            raise ModelFileError(
                where, f"its safetensors header gives tensor {name!r} no valid data_offsets"
            )
        spans.append((offsets[0], offsets[1], name))
    end = 0
    for begin, stop, name in sorted(spans):
        if begin != end:
            raise ModelFileError(
                where,
                f"tensor {name!r} starts at byte {begin} of the tensor data, where the "
                f"previous one ends at {end}",
            )
        end = stop
    if end != data_length:
        raise ModelFileError(
            where,
            f"its tensors take {end} bytes but {data_length} bytes follow its header: it is "
            "truncated, or has bytes appended",
        )


def _parse_header(where: str, text: str) -> dict[str, Any]:
    """The lucidnet JSON header, with its format name, version and digest checked."""
    try:
        header = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as err:
        raise ModelFileError(where, f"its lucidnet header is not valid JSON ({err})") from None
    if not isinstance(header, dict):
        raise ModelFileError(where, "its lucidnet header is not a JSON object")
    fmt = header.get("format")
    if fmt != FORMAT:
        raise ModelFileError(
            where, f"its format is {fmt!r}, not {FORMAT!r}: it is not a lucidnet network file"
        )
    version = _field(where, header, "format_version", int)
    if version > FORMAT_VERSION:
        raise ModelFileError(
            where,
            f"it was written by a newer lucidnet (format {version}; this lucidnet "
            f"{__version__} reads format {FORMAT_VERSION} and older)",
            _UPGRADE,
        )
    if version < 1:
        raise ModelFileError(where, f"its format_version is {version}, which never existed")
    digest = _field(where, header, "sha256", str)
    if not _HEX64.fullmatch(digest):
        raise ModelFileError(where, "its 'sha256' entry is not 64 lowercase hex digits")
    return header


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _zero_digest(text: str, digest: str) -> str:
    """The header text as it was hashed: the digest value replaced by zeros."""
    return text.replace(f'"sha256":"{digest}"', f'"sha256":"{_ZERO_DIGEST}"')


def _field(where: str, mapping: Mapping[str, Any], key: str, kind: type[T], within: str = "") -> T:
    """``mapping[key]``, which must be of type ``kind`` (a bool is not an int here)."""
    place = f"{within}[{key!r}]" if within else repr(key)
    if key not in mapping:
        raise ModelFileError(where, f"its header has no entry {place}")
    value = mapping[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        expected = _KIND_NAMES.get(kind, kind.__name__)
        raise ModelFileError(where, f"its header entry {place} is {value!r}, not {expected}")
    return value


_KIND_NAMES = {int: "an integer", str: "a string", dict: "a JSON object", list: "a JSON list"}


def _layer_sizes(where: str, header: Mapping[str, Any]) -> list[int]:
    arch = _field(where, header, "architecture", dict)
    sizes = _field(where, arch, "layer_sizes", list, "architecture")
    if len(sizes) < 2 or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes
    ):
        raise ModelFileError(
            where, f"its layer_sizes {sizes!r} are not at least two positive integers"
        )
    return sizes


def _extra_spec(where: str, header: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    spec = _field(where, header, "extra_arrays", dict)
    for name, entry in spec.items():
        ok = (
            isinstance(entry, dict)
            and isinstance(entry.get("dtype"), str)
            and isinstance(entry.get("shape"), list)
            and all(isinstance(s, int) and not isinstance(s, bool) for s in entry["shape"])
        )
        if not ok or name.startswith(("layers.", "__")):
            raise ModelFileError(where, f"its header describes the extra array {name!r} badly")
    return spec


def _read_tensors(where: str) -> dict[str, np.ndarray]:
    """Every tensor of the file, read through safetensors' memory map into its own array."""
    try:
        with safetensors.safe_open(where, framework="numpy") as f:
            tensors = {name: f.get_tensor(name) for name in f.keys()}
    except Exception as err:  # untrusted bytes: every failure of the reader is the file's
        raise ModelFileError(
            where, f"safetensors cannot read it ({type(err).__name__}: {err})"
        ) from None
    # each is a copy already; one that is not writable is copied again
    return {name: a if a.flags.writeable else a.copy() for name, a in tensors.items()}


def _activations(where: str, header: Mapping[str, Any], L: int) -> list[str]:
    arch = header["architecture"]
    names = _field(where, arch, "activations", list, "architecture")
    output = _field(where, arch, "output", str, "architecture")
    if arch.get("layout") != LAYOUT:
        raise ModelFileError(where, f"its weight layout is {arch.get('layout')!r}, not {LAYOUT!r}")
    if len(names) != L or not all(isinstance(g, str) for g in names):
        raise ModelFileError(where, f"it lists activations {names!r} for a {L}-layer network")
    if names[-1] != output or output not in output_names():
        raise ModelFileError(
            where,
            f"its output layer {output!r} is not one of {output_names()} or disagrees "
            f"with the last activation {names[-1]!r}",
        )
    known = activation_names()
    for l, g in enumerate(names[:-1], start=1):
        if g not in known:
            raise ModelFileError(
                where,
                f"layer {l} uses the activation {g!r}, which is neither built into lucidnet "
                f"nor registered in this process (known: {', '.join(known)}); lucidnet never "
                "imports code named in a file",
                f"Register it before loading: lucidnet.register_activation({g!r}, g, g_prime).",
            )
    return names


# ---------------------------------------------------------------------------- labels


def _members(where: str, header: Mapping[str, Any]) -> int | None:
    """K for an ensemble file (``architecture.members``), None for a single network."""
    K = header["architecture"].get("members")
    if K is None:
        return None
    if isinstance(K, bool) or not isinstance(K, int) or K < 1:
        raise ModelFileError(where, f"its number of ensemble members is {K!r}, not a positive int")
    return K
