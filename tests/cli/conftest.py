"""What the command-line tests share: running ``lucidnet`` as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(*args: str, cwd: Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """``python -m lucidnet ARGS`` in ``cwd``; with ``ok``, a non-zero exit fails the test."""
    env = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning"}
    result = subprocess.run(
        [sys.executable, "-m", "lucidnet", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if ok:
        assert result.returncode == 0, result.stderr
    return result
