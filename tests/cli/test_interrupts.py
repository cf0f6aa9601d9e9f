"""A real Ctrl-C (SIGINT) sent to a training process: ``lucidnet train --checkpoint`` and a
Python script with ``MLPClassifier(callbacks=[ModelCheckpoint(...)])``. The model file and
the checkpoint stay valid, and resuming ends bit-identical to an uninterrupted run.

Robust on a slow machine: the signal is sent only once the checkpoint file exists (the
first epoch is over), every wait is generous, and a run is long enough (about 100 epochs
of a small network) that it is still training when the signal lands.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lucidnet
from lucidnet.training import load_state

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

ENV = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning"}
EPOCHS = 100
TRAIN = ["--target", "y", "--epochs", str(EPOCHS), "--hidden", "16", "--members", "1",
         "--batch-size", "8", "--seed", "3", "--quiet"]  # fmt: skip


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("interrupts")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 4))
    frame = pd.DataFrame(X, columns=["p", "q", "r", "s"])
    frame["y"] = np.where(X[:, 0] * X[:, 1] + 0.3 * X[:, 2] > 0, "a", "b")
    frame.to_csv(folder / "data.csv", index=False)
    return folder


def interrupt_once_ready(command: list[str], ready: Path, cwd: Path) -> tuple[int, str]:
    """Start ``command``; once ``ready`` exists send one SIGINT; return (code, output)."""
    proc = subprocess.Popen(
        command, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 240
        while not ready.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                output = proc.communicate(timeout=60)[0]
                pytest.fail(f"never ready ({proc.returncode}):\n{output}")
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=240)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, output


def run(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "lucidnet", *args],
        cwd=cwd, env=ENV, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def same_weights(a: object, b: object) -> None:
    net_a, net_b = a.estimator.network_, b.estimator.network_  # type: ignore[attr-defined]
    for l in range(1, net_a.L + 1):
        np.testing.assert_array_equal(net_a.W[l], net_b.W[l])
        np.testing.assert_array_equal(net_a.b[l], net_b.b[l])


def test_ctrl_c_on_lucidnet_train_then_resume_is_bit_identical(folder: Path) -> None:
    ckpt = folder / "run.ckpt"
    command = [sys.executable, "-m", "lucidnet", "train", "data.csv", *TRAIN,
               "--checkpoint", str(ckpt), "-o", "interrupted.safetensors"]  # fmt: skip
    code, output = interrupt_once_ready(command, ckpt, folder)
    assert code == 0, output
    assert "training interrupted at epoch" in output and "saved: interrupted.safetensors" in output
    # Both files are valid: the model predicts, the checkpoint is a whole training state.
    model = lucidnet.load(folder / "interrupted.safetensors")
    frame = pd.read_csv(folder / "data.csv").drop(columns="y")
    assert set(model.predict(frame)) <= {"a", "b"}
    state = load_state(ckpt)
    assert 1 <= state["epoch"] < EPOCHS

    run("train", "data.csv", *TRAIN, "--resume", str(ckpt), "-o", "resumed.safetensors",
        cwd=folder)  # fmt: skip
    run("train", "data.csv", *TRAIN, "--checkpoint", "whole.ckpt", "-o", "whole.safetensors",
        cwd=folder)  # fmt: skip
    resumed = lucidnet.load(folder / "resumed.safetensors")
    whole = lucidnet.load(folder / "whole.safetensors")
    same_weights(resumed, whole)
    np.testing.assert_array_equal(resumed.predict_proba(frame), whole.predict_proba(frame))


SCRIPT = """
import sys
import numpy as np
import lucidnet
from lucidnet import MLPClassifier
from lucidnet.training import ModelCheckpoint

rng = np.random.default_rng(0)
X = rng.normal(size=(600, 4))
y = (X[:, 0] * X[:, 1] > 0).astype(int)
clf = MLPClassifier((16,), batch_size=8, max_iter={epochs}, random_state=0,
                    callbacks=[ModelCheckpoint(sys.argv[1], save_best_only=False)])
resume = sys.argv[3] if len(sys.argv) > 3 else None
clf.fit(X, y, resume_from=resume)
lucidnet.save(clf, sys.argv[2])
print("saved after", clf.n_iter_, "epochs; interrupted:", clf.trainer_.interrupted)
"""


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_ctrl_c_on_a_python_script_then_resume_is_bit_identical(folder: Path) -> None:
    script = folder / "train.py"
    script.write_text(textwrap.dedent(SCRIPT.format(epochs=EPOCHS)), encoding="utf-8")
    ckpt = folder / "script.ckpt"
    command = [sys.executable, str(script), str(ckpt), str(folder / "script.safetensors")]
    code, output = interrupt_once_ready(command, ckpt, folder)
    assert code == 0, output
    assert "interrupted: True" in output and "Training interrupted (KeyboardInterrupt)" in output
    state = load_state(ckpt)
    assert 1 <= state["epoch"] < EPOCHS
    clf = lucidnet.load(folder / "script.safetensors")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 4))
    assert clf.predict(X).shape == (600,)

    resumed = subprocess.run(
        [sys.executable, str(script), str(folder / "again.ckpt"),
         str(folder / "resumed.safetensors"), str(ckpt)],
        cwd=folder, env=ENV, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"saved after {EPOCHS} epochs; interrupted: False" in resumed.stdout
    # The uninterrupted run, here in the test's own process.
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    whole = lucidnet.MLPClassifier((16,), batch_size=8, max_iter=EPOCHS, random_state=0)
    whole.fit(X, y)
    again = lucidnet.load(folder / "resumed.safetensors")
    for a, b in zip(
        again.coefs_ + again.intercepts_, whole.coefs_ + whole.intercepts_, strict=True
    ):
        np.testing.assert_array_equal(a, b)
