"""Reading a model file header first: what is not one is refused before its bytes are read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lucidnet import Network
from lucidnet.io import ModelFileError, load_network, save_network

BIG = 400_000_000  # bytes; sparse on disk, so the files cost nothing to make


def saved_model(path: Path) -> Path:
    save_network(Network([4, 6, 3], seed=0), path, info={"note": "test"})
    return path


def test_bytes_after_the_tensors_are_refused_with_the_sizes(tmp_path: Path) -> None:
    path = saved_model(tmp_path / "padded.safetensors")
    data = path.read_bytes()
    path.write_bytes(data + b"\0" * 10)
    with pytest.raises(ModelFileError, match=r"its tensors take \d+ bytes but \d+ bytes follow"):
        load_network(path)


def test_tensors_that_overlap_or_leave_gaps_are_refused(tmp_path: Path) -> None:
    path = saved_model(tmp_path / "model.safetensors")
    data = bytearray(path.read_bytes())
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    header["layers.1.W"]["data_offsets"][0] += 8  # a gap before layers.1.W's bytes
    text = json.dumps(header, separators=(",", ":")).encode().ljust(n)
    assert len(text) == n
    path.write_bytes(bytes(data[:8]) + text + bytes(data[8 + n :]))
    with pytest.raises(ModelFileError, match=r"tensor .layers\.1\.W. starts at byte"):
        load_network(path)


# Loads each file named on the command line under a limit on the address space (what is
# mapped at the start + 300 MB), then prints what happened and how much the peak resident
# memory grew. Reading a 400 MB file whole fails here with MemoryError.
PROBE = """
import json, resource, sys
from lucidnet.io import ModelFileError, load_network

def vm_bytes():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmSize:"))

limit = vm_bytes() + 300_000_000
resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = {}
for path in sys.argv[1:]:
    try:
        load_network(path)
        out[path] = "loaded"
    except ModelFileError as exc:
        out[path] = "ModelFileError: " + exc.problem
    except MemoryError:
        out[path] = "MemoryError"
out["grew_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps(out))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and /dev/zero: Linux")
def test_a_large_file_that_is_no_model_is_refused_before_it_is_read(tmp_path: Path) -> None:
    zeros = tmp_path / "zeros.bin"  # 400 MB of zeros: a header length of 0
    with zeros.open("wb") as f:
        f.truncate(BIG)
    text = tmp_path / "text.safetensors"  # a header length of about 7e18
    with text.open("wb") as f:
        f.write(b"lucidnet is not this file " * 40)
        f.truncate(BIG)
    padded = saved_model(tmp_path / "padded.safetensors")  # a model, then 400 MB more
    with padded.open("r+b") as f:
        f.truncate(padded.stat().st_size + BIG)
    good = saved_model(tmp_path / "good.safetensors")  # loads under the same limit
    paths = [zeros, text, padded, Path("/dev/zero"), good]
    run = subprocess.run(
        [sys.executable, "-c", PROBE, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout)
    assert out.pop(str(good)) == "loaded"
    grew = out.pop("grew_mb")
    expected = {
        zeros: "header length field says 0 bytes",
        text: "header length field says",
        padded: "its tensors take",
        Path("/dev/zero"): "not a regular file",
    }
    for path, words in expected.items():
        assert out[str(path)].startswith("ModelFileError: "), (path, out[str(path)])
        assert words in out[str(path)], (path, out[str(path)])
    assert grew < 50, f"the peak resident memory grew by {grew:.0f} MB"
