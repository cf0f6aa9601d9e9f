"""What the benchmark tests share: the suite's driver run on the tiny configuration."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tiny_bench(tmp_path: Path) -> Callable[..., Path]:
    """``tiny_bench(*args, env=None)``: ``python -m benchmarks.run`` on ``tiny``, one repeat.

    The GEMM peak is measured on 128 × 128 matrices; the reports go to a folder under
    ``tmp_path``, which is returned. A failing run fails the test with its output.
    """

    def run(*args: str, env: dict[str, str] | None = None) -> Path:
        out = tmp_path / "results"
        cmd = [sys.executable, "-m", "benchmarks.run", "--configs", "tiny", "--repeats", "1"]
        cmd += ["--gemm-sizes", "128", *args, "--out", str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return out

    return run
