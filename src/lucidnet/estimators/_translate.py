"""The one place where scikit-learn's words meet the lecture's symbols.

scikit-learn says ``coefs_[i]`` (fan_in × fan_out), ``activation="logistic"``,
``solver``, ``learning_rate``; the core says ``W[l]`` (n[l] × n[l-1]), ``"sigmoid"``, an
``Optimizer`` and a ``Schedule``. Everything that converts between the two lives here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucidnet.core.network import Network

__all__ = [
    "CORE_ACTIVATION",
    "SKLEARN_OUT_ACTIVATION",
    "coefs_from_network",
    "core_activation",
    "intercepts_from_network",
]

# scikit-learn's activation names → the core's (anything else passes through unchanged).
CORE_ACTIVATION = {"logistic": "sigmoid"}

# The core's output names → scikit-learn's ``out_activation_``.
SKLEARN_OUT_ACTIVATION = {
    "sigmoid": "logistic",
    "softmax": "softmax",
    "identity": "identity",
    "exp": "exp",  # scikit-learn's MLPRegressor(loss="poisson") names it so too
}


def core_activation(name: str) -> str:
    """ "logistic" → "sigmoid"; every other name is the core's own."""
    return CORE_ACTIVATION.get(name, name)


def coefs_from_network(net: Network) -> list[np.ndarray]:
    """scikit-learn's ``coefs_``: ``coefs_[l-1] = W[l].T``, shape (n[l-1], n[l]) (views)."""
    return [net.W[l].T for l in range(1, net.L + 1)]


def intercepts_from_network(net: Network) -> list[np.ndarray]:
    """scikit-learn's ``intercepts_``: ``intercepts_[l-1] = b[l]`` flattened to (n[l],)."""
    return [net.b[l][:, 0] for l in range(1, net.L + 1)]


def optimizer_kwargs(est: Any) -> tuple[str, dict[str, Any]]:
    """The optimizer name and arguments for an estimator's ``solver`` and its parameters."""
    if est.solver == "sgd":
        return "sgd", {
            "learning_rate": est.learning_rate_init,
            "momentum": est.momentum,
            "nesterov": est.nesterovs_momentum and est.momentum > 0,
        }
    kwargs = {
        "learning_rate": est.learning_rate_init,
        "beta_1": est.beta_1,
        "beta_2": est.beta_2,
        "epsilon": est.epsilon,
    }
    if est.solver == "adamw":
        kwargs["weight_decay"] = est.weight_decay
    return est.solver, kwargs


def schedule_kwargs(est: Any) -> tuple[str, dict[str, Any]]:
    """The schedule for ``learning_rate`` ("adaptive" is scikit-learn's divide-by-5 on plateau)."""
    name = est.learning_rate
    if name == "invscaling":
        return "invscaling", {"power_t": est.power_t}
    if name == "adaptive":
        return "plateau", {"factor": 0.2, "patience": 2, "min_delta": est.tol}
    if name == "cosine":
        return "cosine", {"total_epochs": est.max_iter}
    return "constant", {}
