"""lucidnet: the lecture's fully-connected network, exact, readable and fast.

The public names are re-exported here; each is imported on first use, so ``import
lucidnet`` stays quick and pandas, scikit-learn and SciPy load only when a name that
needs them is read. See the README for a tour.

>>> import lucidnet
>>> lucidnet.Network.__name__, lucidnet.MLPClassifier.__module__
('Network', 'lucidnet.estimators.classifier')
>>> "TabularClassifier" in dir(lucidnet)
True
"""

from typing import TYPE_CHECKING

from lucidnet._lazy import attach
from lucidnet._version import __version__

if TYPE_CHECKING:
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

if not TYPE_CHECKING:  # type checkers read the imports above
    __getattr__, __dir__ = attach(
        __name__,
        {
            "lucidnet.core": (
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
            ),
            "lucidnet.estimators": ("MLPClassifier", "MLPRegressor"),
            "lucidnet.io.modelfile": ("ModelFileError",),
            "lucidnet.tables": ("export_onnx", "load", "save"),
            "lucidnet.tables.tabular": ("TabularClassifier", "TabularRegressor"),
            "lucidnet.training": ("minibatch_gd",),
        },
        submodules=("io", "training", "estimators", "tables"),
    )
