"""benchmarks/gpu_check.py, the GPU session's prepared script, runs on the CPU (tiny config).

On a GPU: ``python benchmarks/gpu_check.py`` (CUDA, the L configuration).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.py"


def test_gpu_check_runs_on_the_cpu_and_agrees_with_numpy():
    pytest.importorskip("torch")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--device", "cpu", "--tiny", "--epochs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["correct"] and report["config"]["name"] == "tiny"
    errors = report["relative_errors"]
    assert {"forward Z[1]", "backward dW[3]", "one epoch adam: weights"} <= set(errors)
    assert max(errors.values()) < report["tolerance"] == 1e-4
    speed = report["seconds_per_epoch"]
    assert speed["lucidnet_on_torch"] > 0 and speed["pytorch_loop"] > 0
    pytest.importorskip("jax")  # the JAX engine: checked and timed when JAX is installed
    assert report["jax_devices"]
    assert errors["trainer_jax_engine_adam_epoch"] < 1e-4
    assert speed["lucidnet_jax_engine"] > 0
