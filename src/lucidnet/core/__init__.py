"""The math core: the lecture's network, one class ``Network`` over an Array-API namespace.

``Network`` holds W[l] and b[l] in dicts keyed by the layer l and computes the lecture's
forward pass, cost and backpropagation (docs/MATH.md §2–7) in whatever namespace its arrays
live in (NumPy, array-api-strict, PyTorch, CuPy; ``arrays``). Around it: the
activations and the output layers with their losses (small registries), the
initialisation, the gradient check against finite differences, the ``parameters``
module (all of a network's parameters as one ordered list or one flat vector θ, for
optimizers and L-BFGS) and ``trace``, the teaching printout. May import nothing of
lucidnet: every other package builds on this one.
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
from lucidnet.core.parameters import (
    gradients,
    pack,
    parameters,
    set_parameters,
    unpack,
    weight_mask,
)

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
    "gradients",
    "output_names",
    "pack",
    "parameters",
    "register_activation",
    "set_parameters",
    "to_numpy",
    "unpack",
    "weight_mask",
]
