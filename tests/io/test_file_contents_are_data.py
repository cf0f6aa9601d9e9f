"""A model file's contents are data, never code: no pickle, eval or exec reads them."""

from __future__ import annotations

import ast
import base64
import os
import pickle
from pathlib import Path

import pytest

import lucidnet
from lucidnet import ModelFileError, Network
from lucidnet.io import save_network

SRC = Path(lucidnet.__file__).parent
# the modules that read files: model files, training state, tables
READERS = sorted(
    [*(SRC / "io").glob("*.py"), *(SRC / "tables").glob("*.py"),
     SRC / "training" / "state.py", SRC / "training" / "train_state.py",
     SRC / "estimators" / "modelinfo.py"]
)  # fmt: skip
CODE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "marshal",
                "shelve", "importlib", "runpy", "code", "codeop"}  # fmt: skip
CODE_CALLS = {"eval", "exec", "compile", "__import__", "read_pickle", "import_module", "loads"}


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


@pytest.mark.parametrize("path", READERS, ids=lambda p: str(p.relative_to(SRC)))
def test_no_reader_imports_or_calls_code_loaders(path: Path) -> None:
    tree = ast.parse(path.read_text("utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in CODE_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in CODE_MODULES:
            found.append(node.module)
        elif isinstance(node, ast.Call):
            name = dotted(node.func)
            last = name.rsplit(".", 1)[-1]
            if last in CODE_CALLS and name not in ("json.loads", "re.compile"):
                found.append(name)
            if last == "load" and name.split(".")[0] in ("np", "numpy"):
                found.append(name)  # np.load reads pickles when allowed: safetensors only
            if any(k.arg == "allow_pickle" for k in node.keywords):
                found.append(f"{name}(allow_pickle=...)")
    assert not found, f"{path.relative_to(SRC)} uses {found}"


def test_the_readers_list_is_not_empty() -> None:
    names = {str(p.relative_to(SRC)) for p in READERS}
    assert {"io/_reading.py", "io/modelfile.py", "tables/persist.py", "tables/read.py"} <= names


class Payload:
    """Unpickling this runs ``touch`` on a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_header_holding_would_be_code_loads_as_text_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    code = f"__import__('os').system('touch {marker}')"
    pickled = base64.b64encode(pickle.dumps(Payload(marker))).decode()
    path = tmp_path / "m.safetensors"
    info = {"kind": "network", "note": code, "pickle": pickled, "eval": {"x": code}}
    save_network(Network([2, 3, 1], seed=0), path, info=info)
    net = lucidnet.load(path)
    assert isinstance(net, Network) and not marker.exists()
    assert lucidnet.io.load_network(path).info["note"] == code  # kept as text, verbatim
    for where, value in [("kind", code), ("kind", pickled), ("estimator", code)]:
        bad = tmp_path / f"{where}.safetensors"
        save_network(Network([2, 3, 1], seed=0), bad,
                     info={"kind": "estimator" if where == "estimator" else value,
                           "estimator": value})  # fmt: skip
        with pytest.raises(ModelFileError):
            lucidnet.load(bad)
        assert not marker.exists()
