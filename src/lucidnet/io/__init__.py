"""Files: atomic writes, the safetensors model file (with its labels codec), ONNX export.

``lucidnet.io`` sits on top of the math core (it imports ``lucidnet.core``; the core never
imports it). ONNX export needs the optional ``onnx`` package (``pip install
'lucidnet[onnx]'``). Every public name here is imported on first use.
"""

from typing import TYPE_CHECKING

from lucidnet._lazy import attach

if TYPE_CHECKING:
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
    from lucidnet.io.onnx_export import network_to_onnx, save_onnx

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

if not TYPE_CHECKING:  # type checkers read the imports above
    __getattr__, __dir__ = attach(
        __name__,
        {
            "lucidnet.io.atomic": ("atomic_path", "atomic_write_bytes"),
            "lucidnet.io.modelfile": (
                "FORMAT",
                "FORMAT_VERSION",
                "LoadedModel",
                "ModelFileError",
                "decode_labels",
                "encode_labels",
                "load_network",
                "save_network",
            ),
            "lucidnet.io.onnx_export": ("network_to_onnx", "save_onnx"),
        },
    )
