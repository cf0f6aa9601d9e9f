"""lucidnet: the lecture's fully-connected network, exact, readable and fast.

The public names are re-exported here explicitly; see the README for a tour.
"""

from lucidnet._version import __version__
from lucidnet.core import (
    Activation,
    Cache,
    GradientCheck,
    Grads,
    Network,
    Output,
    activation_names,
    check_gradients,
    get_activation,
    get_output,
    output_names,
    register_activation,
)
from lucidnet.estimators import MLPClassifier, MLPRegressor
from lucidnet.io.modelfile import ModelFileError
from lucidnet.tables import export_onnx, load, save
from lucidnet.tables.tabular import TabularClassifier, TabularRegressor
from lucidnet.training import minibatch_gd

__all__ = [
    "Activation",
    "Cache",
    "GradientCheck",
    "Grads",
    "MLPClassifier",
    "MLPRegressor",
    "ModelFileError",
    "Network",
    "Output",
    "TabularClassifier",
    "TabularRegressor",
    "__version__",
    "activation_names",
    "check_gradients",
    "export_onnx",
    "get_activation",
    "get_output",
    "load",
    "minibatch_gd",
    "output_names",
    "register_activation",
    "save",
]
