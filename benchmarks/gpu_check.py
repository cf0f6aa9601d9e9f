"""lucidnet on a GPU: correctness against NumPy and seconds per epoch vs PyTorch.

    python -m benchmarks.gpu_check                          # CUDA, the L configuration
    python -m benchmarks.gpu_check --device cpu --tiny      # the smoke test (CI, no GPU)

Needs PyTorch (``pip install torch``; a CUDA build for a GPU). Prints one JSON object and
exits 1 when a correctness check fails.

Correctness, float32, lucidnet's Array-API path on PyTorch (``device``) against the same
code on NumPy, from the same NumPy-initialised weights; relative error
max|a − b| / max|b| < 1e-4 for

- the forward pass (Z[l], A[l]) and the backward pass (dW[l], db[l]) on one minibatch;
- one epoch of the Trainer with SGD and with Adam (same seed: same shuffle), the weights;
- ``MLPClassifier(device=...)`` for two epochs on NumPy input: ``predict_proba``;
- with JAX installed (a CUDA build of jaxlib for a GPU): one epoch of the Trainer with
  ``engine="jax"`` (on JAX's default device) against the NumPy engine, the weights.

Speed on the L configuration (20,000 × 784, hidden (1024, 1024), B = 256, one sigmoid
output, binary cross-entropy, SGD at 0.05, float32): seconds per epoch of lucidnet's Trainer
on the device (and, with JAX, of ``engine="jax"`` on JAX's default device) against a plain
PyTorch loop on the same device (``nn.Sequential``,
``BCEWithLogitsLoss``, ``randperm`` + ``index_select`` per minibatch, ``zero_grad``,
``backward``, ``step``). One warm-up epoch each, then ``--epochs`` timed epochs
(synchronised); medians reported. Data: Gaussian inputs labelled by a fixed random tanh
teacher, generated with NumPy and moved to the device once.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import platform
import statistics
import sys
import time
from typing import Any

import numpy as np

TOLERANCE = 1e-4
CONFIGS: dict[str, dict[str, Any]] = {
    "L": {"n": 20_000, "features": 784, "hidden": (1024, 1024), "batch": 256},
    "tiny": {"n": 512, "features": 10, "hidden": (16, 16), "batch": 32},
}
LEARNING_RATE = 0.05


def make_data(n: int, features: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """float32 Gaussian X and 0/1 labels from a random tanh teacher (balanced at the median)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, features)).astype(np.float32)
    W1 = rng.normal(size=(features, 32)) / np.sqrt(features)
    w2 = rng.normal(size=32)
    score = np.tanh(X @ W1) @ w2
    y = (score > np.median(score)).astype(np.float32)
    return X, y.reshape(-1, 1)


def relative_error(a: Any, b: np.ndarray) -> float:
    """max|a − b| / max|b| (a from any library, b NumPy)."""
    from lucidnet.core.arrays import to_numpy

    a = to_numpy(a).astype(np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-30))


def correctness(xt: Any, device: Any, cfg: dict[str, Any]) -> dict[str, float]:
    """Relative errors of the device path against NumPy (float32)."""
    import torch

    from lucidnet import MLPClassifier, Network
    from lucidnet.training import Trainer

    errors: dict[str, float] = {}
    n = min(cfg["n"], 4096)
    X, Y = make_data(n, cfg["features"], seed=1)
    sizes = [cfg["features"], *cfg["hidden"], 1]
    net = Network(sizes, seed=0, dtype=np.float32)
    dev = net.to(xt, device)
    B = cfg["batch"]
    A0, Yb = X[:B].T, Y[:B].T
    cache = net.forward(A0)
    cache_d = dev.forward(torch.asarray(A0, device=device))
    grads = net.backward(cache, Yb)
    grads_d = dev.backward(cache_d, torch.asarray(Yb, device=device))
    for l in range(1, net.L + 1):
        errors[f"forward Z[{l}]"] = relative_error(cache_d.Z[l], cache.Z[l])
        errors[f"forward A[{l}]"] = relative_error(cache_d.A[l], cache.A[l])
        errors[f"backward dW[{l}]"] = relative_error(grads_d.dW[l], grads.dW[l])
        errors[f"backward db[{l}]"] = relative_error(grads_d.db[l], grads.db[l])

    Xd, Yd = torch.asarray(X, device=device), torch.asarray(Y, device=device)
    for optimizer, lr in (("sgd", LEARNING_RATE), ("adam", 1e-3)):
        ref = Network(sizes, seed=0, dtype=np.float32)
        run = ref.to(xt, device)
        kw = {"optimizer": optimizer, "learning_rate": lr, "batch_size": B, "seed": 0}
        Trainer(ref, **kw).fit(X, Y, epochs=1)
        Trainer(run, **kw).fit(Xd, Yd, epochs=1)
        errors[f"one epoch {optimizer}: weights"] = max(
            relative_error(run.W[l], ref.W[l]) for l in range(1, ref.L + 1)
        )

    kw = {"hidden_layer_sizes": cfg["hidden"], "batch_size": B, "max_iter": 2}
    kw.update(learning_rate_init=1e-3, random_state=0, n_iter_no_change=np.inf)
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref_est = MLPClassifier(**kw).fit(X, Y[:, 0])
        est = MLPClassifier(**kw, device=device).fit(X, Y[:, 0])
    errors["MLPClassifier(device) 2 epochs: predict_proba"] = relative_error(
        est.predict_proba(X), ref_est.predict_proba(X)
    )
    return errors


def sync(device: Any) -> None:
    import torch

    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def time_lucidnet(xt: Any, device: Any, X: Any, Y: Any, cfg: dict[str, Any], epochs: int) -> list:
    from lucidnet import Network
    from lucidnet.training import Trainer

    net = Network([cfg["features"], *cfg["hidden"], 1], seed=0, dtype=np.float32).to(xt, device)
    trainer = Trainer(
        net, optimizer="sgd", learning_rate=LEARNING_RATE, batch_size=cfg["batch"], seed=0
    )
    trainer.fit(X, Y, epochs=1)  # warm-up
    times = []
    for _ in range(epochs):
        sync(device)
        start = time.perf_counter()
        trainer.fit(X, Y, epochs=trainer.epoch + 1)
        sync(device)
        times.append(time.perf_counter() - start)
    return times


def jax_engine_error(cfg: dict[str, Any]) -> float:
    """One epoch of engine="jax" against the NumPy engine (same seed), float32 weights."""
    from lucidnet import Network
    from lucidnet.core.parameters import parameters
    from lucidnet.training import Trainer

    X, Y = make_data(min(cfg["n"], 4096), cfg["features"], seed=2)
    weights = []
    for engine in ("numpy", "jax"):
        net = Network([cfg["features"], *cfg["hidden"], 1], seed=0, dtype=np.float32)
        trainer = Trainer(net, optimizer="adam", batch_size=cfg["batch"], seed=0, engine=engine)
        trainer.fit(X, Y, epochs=1)
        weights.append(parameters(net))
    return max(relative_error(a, b) for a, b in zip(weights[1], weights[0], strict=True))


def time_lucidnet_jax(X: np.ndarray, Y: np.ndarray, cfg: dict[str, Any], epochs: int) -> list:
    from lucidnet import Network
    from lucidnet.training import Trainer

    net = Network([cfg["features"], *cfg["hidden"], 1], seed=0, dtype=np.float32)
    trainer = Trainer(net, optimizer="sgd", learning_rate=LEARNING_RATE,
                      batch_size=cfg["batch"], seed=0, engine="jax")  # fmt: skip
    trainer.fit(X, Y, epochs=1)  # warm-up: compiles the epoch
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        trainer.fit(X, Y, epochs=trainer.epoch + 1)  # returns with the weights on the host
        times.append(time.perf_counter() - start)
    return times


def time_torch(device: Any, X: Any, Y: Any, cfg: dict[str, Any], epochs: int) -> list:
    import torch

    torch.manual_seed(0)
    sizes = [cfg["features"], *cfg["hidden"]]
    layers: list[Any] = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-1], 1)).to(device)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    n, B = X.shape[0], cfg["batch"]

    def epoch() -> None:
        order = torch.randperm(n, device=device)
        for start in range(0, n, B):
            idx = order[start : start + B]
            xb, yb = X.index_select(0, idx), Y.index_select(0, idx)
            opt.zero_grad(set_to_none=True)
            loss_fn(model(xb), yb).backward()
            opt.step()

    epoch()  # warm-up
    times = []
    for _ in range(epochs):
        sync(device)
        start = time.perf_counter()
        epoch()
        sync(device)
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda", help="a torch device: cuda, cuda:1, cpu, mps")
    p.add_argument("--tiny", action="store_true", help="the tiny configuration (smoke test)")
    p.add_argument("--epochs", type=int, default=3, help="timed epochs after one warm-up")
    args = p.parse_args(argv)

    import torch
    from array_api_compat import array_namespace

    import lucidnet

    device = torch.device(args.device)
    xt = array_namespace(torch.empty(0))
    name = "tiny" if args.tiny else "L"
    cfg = CONFIGS[name]
    card = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    report: dict[str, Any] = {
        "device": str(device),
        "card": card or platform.machine(),
        "torch": torch.__version__,
        "lucidnet": lucidnet.__version__,
        "numpy": np.__version__,
        "config": {"name": name, **cfg, "dtype": "float32", "optimizer": "sgd"},
        "tolerance": TOLERANCE,
    }
    errors = correctness(xt, device, cfg)
    has_jax = importlib.util.find_spec("jax") is not None
    if has_jax:
        import jax

        report["jax_devices"] = [str(d) for d in jax.devices()]
        errors["trainer_jax_engine_adam_epoch"] = jax_engine_error(cfg)
    else:
        report["jax_devices"] = None  # the JAX engine is not measured without JAX
    report["relative_errors"] = errors
    report["correct"] = all(e < TOLERANCE for e in errors.values())

    X, Y = make_data(cfg["n"], cfg["features"])
    Xd, Yd = torch.asarray(X, device=device), torch.asarray(Y, device=device)
    lucid = time_lucidnet(xt, device, Xd, Yd, cfg, args.epochs)
    plain = time_torch(device, Xd, Yd, cfg, args.epochs)
    report["seconds_per_epoch"] = {
        "lucidnet_on_torch": statistics.median(lucid),
        "pytorch_loop": statistics.median(plain),
        "lucidnet_runs": lucid,
        "pytorch_runs": plain,
    }
    report["lucidnet_over_pytorch"] = statistics.median(lucid) / statistics.median(plain)
    if has_jax:
        on_jax = time_lucidnet_jax(X, Y, cfg, args.epochs)
        report["seconds_per_epoch"]["lucidnet_jax_engine"] = statistics.median(on_jax)
        report["seconds_per_epoch"]["lucidnet_jax_engine_runs"] = on_jax
        report["lucidnet_jax_over_pytorch"] = statistics.median(on_jax) / statistics.median(plain)
    print(json.dumps(report, indent=2))
    return 0 if report["correct"] else 1


if __name__ == "__main__":
    sys.exit(main())
