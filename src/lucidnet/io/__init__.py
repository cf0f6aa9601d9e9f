"""Files: atomic writes, the safetensors model file (with its labels codec), ONNX export.

``lucidnet.io`` sits on top of the math core (it imports ``lucidnet.core``; the core never
imports it). ONNX export needs the optional ``onnx`` package (``pip install
'lucidnet[onnx]'``), so :func:`network_to_onnx` and :func:`save_onnx` are imported on
first use.
"""

from __future__ import annotations

from typing import Any

from lucidnet.io.atomic import atomic_path, atomic_write_bytes
from lucidnet.io.modelfile import (
    FORMAT,
    FORMAT_VERSION,
    LoadedModel,
    ModelFileError,
    decode_labels,
    encode_labels,
    load_network,
    save_network,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "LoadedModel",
    "ModelFileError",
    "atomic_path",
    "atomic_write_bytes",
    "decode_labels",
    "encode_labels",
    "load_network",
    "network_to_onnx",
    "save_network",
    "save_onnx",
]

_ONNX_NAMES = ("network_to_onnx", "save_onnx")


def __getattr__(name: str) -> Any:
    if name in _ONNX_NAMES:
        from lucidnet.io import onnx_export

        return getattr(onnx_export, name)
    raise AttributeError(f"module 'lucidnet.io' has no attribute {name!r}")
