"""The math core: the lecture's network as pure functions over an Array-API namespace.

Nothing here imports ``lucidnet.training`` or the interfaces.
"""

from lucidnet.core.activations import (
    Activation,
    activation_names,
    get_activation,
    register_activation,
)
from lucidnet.core.arrays import to_numpy
from lucidnet.core.gradcheck import GradientCheck, check_gradients
from lucidnet.core.losses import Output, get_output, output_names
from lucidnet.core.network import Cache, Grads, Network

__all__ = [
    "Activation",
    "Cache",
    "GradientCheck",
    "Grads",
    "Network",
    "Output",
    "activation_names",
    "check_gradients",
    "get_activation",
    "get_output",
    "output_names",
    "register_activation",
    "to_numpy",
]
