"""The benchmark systems: one runner per system, and the registry ``jobs.py`` draws from.

Two kinds of system:

- *per epoch* (``PER_EPOCH_SYSTEMS``): the same MLP job on every library, timed per epoch
  (``Runner.train_epoch``, or ``EstimatorRunner.fit`` for a given number of epochs);
- *whole fit* (``WHOLE_FIT_SYSTEMS``): estimators that choose their own number of epochs
  (or boosting rounds) — lucidnet's tables recipe and scikit-learn's
  HistGradientBoostingClassifier — timed as one whole ``fit``; their times are never
  divided by epochs nor compared with the per-epoch rows.

Every library is imported inside the runner that needs it, so that ``run.py`` can import
this registry without torch or jax.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from benchmarks.workload import Config

PER_EPOCH_SYSTEMS = ("lucidnet", "lucidnet_jax", "sklearn", "torch", "jax_jit", "jax_scan")
WHOLE_FIT_SYSTEMS = ("lucidnet_tabular", "lucidnet_tabular_jax", "sklearn_hgb")
SYSTEMS = PER_EPOCH_SYSTEMS + WHOLE_FIT_SYSTEMS

LABELS = {  # how the reports name each system
    "lucidnet": "lucidnet",
    "lucidnet_jax": "lucidnet (engine=jax)",
    "sklearn": "sklearn",
    "torch": "torch",
    "jax_jit": "jax_jit",
    "jax_scan": "jax_scan",
    "lucidnet_tabular": "lucidnet TabularClassifier",
    "lucidnet_tabular_jax": "lucidnet TabularClassifier (engine=jax)",
    "sklearn_hgb": "sklearn HistGradientBoostingClassifier",
}
MODULES = {  # the optional library each system needs (run.py skips it when absent)
    "lucidnet": "lucidnet",
    "lucidnet_jax": "jax",
    "sklearn": "sklearn",
    "torch": "torch",
    "jax_jit": "jax",
    "jax_scan": "jax",
    "lucidnet_tabular": "lucidnet",
    "lucidnet_tabular_jax": "jax",
    "sklearn_hgb": "sklearn",
}
PRELOAD = {  # imported before the memory baseline, so that imports are not counted
    "lucidnet": ["lucidnet", "lucidnet.estimators"],
    "lucidnet_jax": ["lucidnet", "lucidnet.estimators", "jax", "jax.numpy"],
    "sklearn": ["sklearn.neural_network"],
    "torch": ["torch"],
    "jax_jit": ["jax", "jax.numpy"],
    "jax_scan": ["jax", "jax.numpy"],
    "lucidnet_tabular": ["lucidnet", "lucidnet.tables", "pandas"],
    "lucidnet_tabular_jax": ["lucidnet", "lucidnet.tables", "pandas", "jax"],
    "sklearn_hgb": ["sklearn.ensemble"],
}


def system_module(system: str) -> str:
    """The importable module ``system`` needs (for run.py's availability check)."""
    return MODULES[system]


def jax_info() -> dict[str, Any]:
    import jax

    return {
        "engine": "jax",
        "jax_backend": jax.default_backend(),
        "jax_devices": [str(d) for d in jax.devices()],
    }


# ---------------------------------------------------------------------- per epoch


class Runner:
    """Holds one model, trains it one epoch at a time, predicts P(y = 1) for a block."""

    name = ""
    implementation = ""
    kind = "per_epoch"

    def train_epoch(self) -> None:
        raise NotImplementedError

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def info(self) -> dict[str, Any]:
        return {}


class EstimatorRunner(Runner):
    """A scikit-learn-style MLPClassifier trained by its public ``fit``, the way users do.

    lucidnet's and scikit-learn's estimators get the same parameters: ReLU, ``alpha=0``,
    constant learning rate, no momentum, no early stopping, no tolerance stop, and
    ``max_iter`` = the timed epochs, so one ``fit`` runs exactly that many epochs
    (validation of X and y, the shuffles, every update). The time per epoch is the ``fit``
    time divided by the epochs. Prediction is the public ``predict_proba``.
    """

    def __init__(
        self, cfg: Config, X: np.ndarray, y: np.ndarray, optimizer: str, lr: float, seed: int
    ) -> None:
        self.params: dict[str, Any] = {
            "hidden_layer_sizes": cfg.hidden,
            "activation": "relu",
            "solver": optimizer,
            "alpha": 0.0,
            "batch_size": cfg.batch_size,
            "learning_rate": "constant",
            "learning_rate_init": lr,
            "momentum": 0.0,
            "nesterovs_momentum": False,
            "shuffle": True,
            "random_state": seed,
            "tol": 0.0,
            "n_iter_no_change": 10**9,
            "early_stopping": False,
        }
        self.X, self.y = X, y
        self.clf: Any = None

    def estimator(self, max_iter: int) -> Any:
        raise NotImplementedError

    def fit(self, epochs: int) -> None:
        self.clf = self.estimator(epochs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the ConvergenceWarning of max_iter epochs
            self.clf.fit(self.X, self.y)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.clf.predict_proba(X)[:, 1]


class LucidnetRunner(EstimatorRunner):
    """``lucidnet.MLPClassifier``: public fit and predict_proba (float32 in: float32 model).

    ``core_predict_proba`` is the bare core, ``network_.predict_output`` on the columns
    (no input checks, no label handling), reported separately and labelled as such.
    """

    name = "lucidnet"
    implementation = "MLPClassifier.fit"

    def estimator(self, max_iter: int) -> Any:
        from lucidnet import MLPClassifier

        return MLPClassifier(**self.params, max_iter=max_iter)

    def core_predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.clf.network_.predict_output(X.T))[0]


class LucidnetJaxRunner(LucidnetRunner):
    """``lucidnet.MLPClassifier(engine="jax")``: the same public job as ``lucidnet``.

    The estimator compiles its epoch with JAX; fit, predict_proba and the bare core are
    timed exactly as for the NumPy engine. A lucidnet without the ``engine`` parameter
    fails the job with a message saying so.
    """

    name = "lucidnet_jax"
    implementation = "MLPClassifier(engine='jax').fit"

    def estimator(self, max_iter: int) -> Any:
        from lucidnet import MLPClassifier

        return MLPClassifier(**self.params, max_iter=max_iter, engine="jax")

    def info(self) -> dict[str, Any]:
        return jax_info()


class SklearnRunner(EstimatorRunner):
    """scikit-learn's ``MLPClassifier``: public fit and predict_proba (float32 kept)."""

    name = "sklearn"
    implementation = "MLPClassifier.fit"

    def estimator(self, max_iter: int) -> Any:
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier(**self.params, max_iter=max_iter)


class TorchRunner(Runner):
    """PyTorch eager: nn.Sequential(Linear, ReLU, ..., Linear), BCEWithLogitsLoss.

    The usual hand-written loop: ``torch.randperm`` each epoch, ``index_select`` of the
    minibatch rows, ``zero_grad(set_to_none=True)``, forward, loss, backward, ``step``.
    X is shared with NumPy (``torch.from_numpy``, no copy). Threads: PyTorch's default.
    """

    name = "torch"
    implementation = "eager"

    def __init__(
        self, cfg: Config, X: np.ndarray, y: np.ndarray, optimizer: str, lr: float, seed: int
    ) -> None:
        import torch

        self.torch = torch
        torch.manual_seed(seed)
        layers: list[Any] = []
        sizes = cfg.layer_sizes
        for l in range(1, len(sizes)):
            layers.append(torch.nn.Linear(sizes[l - 1], sizes[l]))
            if l < len(sizes) - 1:
                layers.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
        params = self.model.parameters()
        if optimizer == "sgd":
            self.opt: Any = torch.optim.SGD(params, lr=lr, momentum=0.0)
        else:
            self.opt = torch.optim.Adam(params, lr=lr)
        self.loss = torch.nn.BCEWithLogitsLoss()
        self.X = torch.from_numpy(X)
        self.Y = torch.from_numpy(y).reshape(-1, 1)
        self.B = cfg.batch_size
        self.gen = torch.Generator().manual_seed(seed)

    def train_epoch(self) -> None:
        torch, model, opt, loss_fn = self.torch, self.model, self.opt, self.loss
        n = self.X.shape[0]
        perm = torch.randperm(n, generator=self.gen)
        for start in range(0, n, self.B):
            idx = perm[start : start + self.B]
            xb = torch.index_select(self.X, 0, idx)
            yb = torch.index_select(self.Y, 0, idx)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            return torch.sigmoid(self.model(torch.from_numpy(X)))[:, 0].numpy()

    def info(self) -> dict[str, Any]:
        return {"torch_threads": self.torch.get_num_threads()}


class JaxRunner(Runner):
    """JAX with jax.numpy written directly here; two ways to run an epoch.

    ``jax_jit``: a Python loop over minibatches calling one jitted step (gather inside the
    step with ``jnp.take``; the smaller last minibatch compiles once more, in the warm-up).
    ``jax_scan``: the whole epoch is one jitted function: ``lax.scan`` over the full
    minibatches, then the last, smaller one. The shuffle is a NumPy permutation per epoch.
    Adam is written out (same formula and defaults as torch.optim.Adam).
    """

    implementation = ""

    def __init__(
        self,
        cfg: Config,
        X: np.ndarray,
        y: np.ndarray,
        optimizer: str,
        lr: float,
        seed: int,
        scan: bool,
    ) -> None:
        import jax
        import jax.numpy as jnp

        self.name = "jax_scan" if scan else "jax_jit"
        self.implementation = "lax.scan epoch" if scan else "jitted step"
        self.jax, self.jnp = jax, jnp
        rng = np.random.default_rng(seed)
        sizes = cfg.layer_sizes
        params = []
        for l in range(1, len(sizes)):
            fan_in = sizes[l - 1]
            W = rng.standard_normal((fan_in, sizes[l])) * np.sqrt(2.0 / fan_in)
            params.append((jnp.asarray(W, jnp.float32), jnp.zeros(sizes[l], jnp.float32)))
        self.params = params
        self.X = jnp.asarray(X)
        self.Y = jnp.asarray(y)
        self.n = X.shape[0]
        self.B = cfg.batch_size
        self.rng = rng
        b1, b2, eps = 0.9, 0.999, 1e-8

        def forward(params: Any, xb: Any) -> Any:
            h = xb
            for W, b in params[:-1]:
                h = jax.nn.relu(h @ W + b)
            W, b = params[-1]
            return (h @ W + b)[:, 0]

        def loss_fn(params: Any, xb: Any, yb: Any) -> Any:
            z = forward(params, xb)
            return jnp.mean(jnp.maximum(z, 0) - z * yb + jnp.log1p(jnp.exp(-jnp.abs(z))))

        grad_fn = jax.grad(loss_fn)

        def step(params: Any, state: Any, X: Any, Y: Any, idx: Any) -> Any:
            g = grad_fn(params, jnp.take(X, idx, axis=0), jnp.take(Y, idx, axis=0))
            if optimizer == "sgd":
                return jax.tree_util.tree_map(lambda p, d: p - lr * d, params, g), state
            m, v, t = state
            t = t + 1
            m = jax.tree_util.tree_map(lambda a, d: b1 * a + (1 - b1) * d, m, g)
            v = jax.tree_util.tree_map(lambda a, d: b2 * a + (1 - b2) * d * d, v, g)
            c1 = 1 - b1**t
            c2 = 1 - b2**t
            params = jax.tree_util.tree_map(
                lambda p, a, s: p - lr * (a / c1) / (jnp.sqrt(s / c2) + eps), params, m, v
            )
            return params, (m, v, t)

        n_full, rest = divmod(self.n, self.B)

        def epoch(params: Any, state: Any, X: Any, Y: Any, perm: Any) -> Any:
            def body(carry: Any, idx: Any) -> Any:
                params, state = carry
                return step(params, state, X, Y, idx), None

            full = jnp.reshape(perm[: n_full * self.B], (n_full, self.B))
            (params, state), _ = jax.lax.scan(body, (params, state), full)
            if rest:
                params, state = step(params, state, X, Y, perm[n_full * self.B :])
            return params, state

        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        adam_state = (zeros, zeros, jnp.asarray(0.0, jnp.float32))
        self.state: Any = adam_state if optimizer == "adam" else ()
        self._step = jax.jit(step)
        self._epoch = jax.jit(epoch)
        self._forward = jax.jit(lambda params, xb: jax.nn.sigmoid(forward(params, xb)))
        self.scan = scan

    def train_epoch(self) -> None:
        perm = self.rng.permutation(self.n).astype(np.int32)
        if self.scan:
            self.params, self.state = self._epoch(self.params, self.state, self.X, self.Y, perm)
        else:
            params, state, X, Y = self.params, self.state, self.X, self.Y
            for start in range(0, self.n, self.B):
                params, state = self._step(params, state, X, Y, perm[start : start + self.B])
            self.params, self.state = params, state
        self.jax.block_until_ready(self.params)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self._forward(self.params, X))

    def info(self) -> dict[str, Any]:
        return {"jax_devices": [str(d) for d in self.jax.devices()]}


# ---------------------------------------------------------------------- whole fit


class WholeFitRunner(Runner):
    """An estimator with its own defaults that chooses its own epochs: one whole ``fit``.

    Fitted on the job's NumPy float32 X and 0/1 labels (the same data as every system);
    prediction is the public ``predict_proba`` (column of class 1).
    """

    kind = "whole_fit"
    n_iter_means = ""  # what ``n_iter`` counts, for the reports

    def __init__(self, cfg: Config, X: np.ndarray, y: np.ndarray, seed: int) -> None:
        self.X, self.y, self.seed = X, y, seed
        self.est: Any = None

    def estimator(self) -> Any:
        raise NotImplementedError

    def fit(self) -> None:
        self.est = self.estimator()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. a ConvergenceWarning at max_epochs
            self.est.fit(self.X, self.y)

    def train_epoch(self) -> None:
        raise TypeError(f"{self.name} is timed as a whole fit, not per epoch")

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.est.predict_proba(X))[:, 1]

    def rounds(self) -> dict[str, Any]:
        """How many epochs (or boosting iterations) the last fit ran, as far as exposed."""
        n_iter = getattr(self.est, "n_iter_", None)
        return {
            "n_iter": None if n_iter is None else int(n_iter),
            "n_iter_means": self.n_iter_means,
        }


class TabularRunner(WholeFitRunner):
    """``lucidnet.TabularClassifier(random_state=seed)``, every other parameter its default.

    The tables recipe: preprocessing, an ensemble of 4 networks, cross-fitted on tables of
    up to 20,000 rows (member k leaves fold k out and keeps its best epoch on it, no
    refit). ``n_iter`` is the epochs trained, until the last member was done (its best
    epoch plus ``patience`` + 1); ``selected_epochs`` the latest member's best epoch.
    """

    name = "lucidnet_tabular"
    implementation = "TabularClassifier.fit"
    n_iter_means = "epochs trained, until every cross-fitted member was done"
    engine: str | None = None

    def estimator(self) -> Any:
        from lucidnet import TabularClassifier

        extra: dict[str, Any] = {} if self.engine is None else {"engine": self.engine}
        return TabularClassifier(random_state=self.seed, **extra)

    def rounds(self) -> dict[str, Any]:
        selected = getattr(getattr(self.est, "estimator_", None), "selected_epochs_", None)
        return {**super().rounds(), "selected_epochs": selected}


class TabularJaxRunner(TabularRunner):
    """``lucidnet.TabularClassifier(engine="jax")``."""

    name = "lucidnet_tabular_jax"
    implementation = "TabularClassifier(engine='jax').fit"
    engine = "jax"

    def info(self) -> dict[str, Any]:
        return jax_info()


class HgbRunner(WholeFitRunner):
    """scikit-learn's ``HistGradientBoostingClassifier(random_state=seed)``, its defaults.

    The natural peer of the tables recipe (it also stops early on an internal held-out
    split above 10,000 rows). ``n_iter`` is its boosting iterations (``n_iter_``).
    """

    name = "sklearn_hgb"
    implementation = "HistGradientBoostingClassifier.fit"
    n_iter_means = "boosting iterations"

    def estimator(self) -> Any:
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(random_state=self.seed)


# ---------------------------------------------------------------------- registry


class SkipJob(Exception):
    """The system cannot run this job (not installed, or no such optimizer)."""


def make_runner(
    system: str, cfg: Config, X: np.ndarray, y: np.ndarray, optimizer: str, lr: float, seed: int
) -> Runner:
    """The runner of ``system`` (whole-fit systems ignore ``optimizer`` and ``lr``)."""
    if system == "lucidnet":
        return LucidnetRunner(cfg, X, y, optimizer, lr, seed)
    if system == "lucidnet_jax":
        return LucidnetJaxRunner(cfg, X, y, optimizer, lr, seed)
    if system == "sklearn":
        return SklearnRunner(cfg, X, y, optimizer, lr, seed)
    if system == "torch":
        return TorchRunner(cfg, X, y, optimizer, lr, seed)
    if system in ("jax_jit", "jax_scan"):
        return JaxRunner(cfg, X, y, optimizer, lr, seed, scan=system == "jax_scan")
    if system == "lucidnet_tabular":
        return TabularRunner(cfg, X, y, seed)
    if system == "lucidnet_tabular_jax":
        return TabularJaxRunner(cfg, X, y, seed)
    if system == "sklearn_hgb":
        return HgbRunner(cfg, X, y, seed)
    raise ValueError(f"Unknown system {system!r}; expected one of {SYSTEMS}.")
