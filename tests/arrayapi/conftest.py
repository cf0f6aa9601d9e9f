"""The array libraries the issue-9 tests run on: array-api-strict (two devices) and PyTorch.

Each ``Place`` moves NumPy arrays in (``put``) and back (``get``); the PyTorch places are
skipped when torch is not installed (``pip install torch==2.13.0``, the CPU wheel, runs them;
``make test`` installs it from requirements-torch-cpu.txt when it can).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import array_api_strict as xps
import numpy as np
import pytest
from array_api_compat import array_namespace

from lucidnet.core.arrays import to_numpy

try:
    import torch
except ImportError:  # pragma: no cover - the torch tests are skipped
    torch = None


@dataclass(frozen=True)
class Place:
    """A namespace and a device to put test data on."""

    name: str
    xp: Any
    device: Any

    def put(self, a: np.ndarray) -> Any:
        return self.xp.asarray(a, device=self.device)

    def get(self, a: Any) -> np.ndarray:
        return to_numpy(a)

    def holds(self, a: Any) -> bool:
        """Whether ``a`` is an array of this namespace on this device."""
        try:
            same = array_namespace(a) is self.xp
        except TypeError:
            return False
        return same and str(a.device) == str(self.device)


PLACES = [
    pytest.param(("array_api_strict", "CPU_DEVICE"), id="strict"),
    pytest.param(("array_api_strict", "device1"), id="strict-device1"),
    pytest.param(
        ("torch", "cpu"),
        id="torch-cpu",
        marks=pytest.mark.skipif(torch is None, reason="torch is not installed"),
    ),
]


def make_place(spec: tuple[str, str]) -> Place:
    library, device = spec
    if library == "array_api_strict":
        return Place(f"{library}:{device}", xps, xps.Device(device))
    assert torch is not None
    return Place("torch:cpu", array_namespace(torch.empty(0)), torch.device(device))


@pytest.fixture(params=PLACES)
def place(request: pytest.FixtureRequest) -> Place:
    return make_place(request.param)


@pytest.fixture
def torch_cpu() -> Place:
    if torch is None:
        pytest.skip("torch is not installed")
    return make_place(("torch", "cpu"))
