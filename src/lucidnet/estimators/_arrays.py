"""Where the estimators' arrays live: NumPy, or any Array-API library on any device.

scikit-learn's rule, "everything follows X": an estimator fitted on PyTorch tensors (or
CuPy, or array-api-strict arrays) trains on their device, keeps its network there and
returns predictions in the input's namespace. NumPy input takes the unchanged NumPy path,
unless the ``device`` parameter sends it to PyTorch (or CuPy) on a chosen device.

scikit-learn's own validation (``validate_data``) turns its input into NumPy, so a
foreign X is checked here with its own namespace, with scikit-learn's error messages;
the targets and sample weights pass through host memory once (classes are found with
NumPy), and the encoded targets follow X to its device inside the Trainer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from array_api_compat import is_array_api_obj, is_dask_array
from sklearn import get_config
from sklearn.utils import assert_all_finite
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import validate_data

from lucidnet.core.arrays import device_of, move_to, namespace, to_numpy

__all__ = [
    "check_foreign_X",
    "check_same_namespace",
    "float_dtype_for",
    "is_foreign",
    "resolve_device",
    "score_on_host",
    "to_dtype",
    "way_back",
]

Array = Any


def is_foreign(a: Any) -> bool:
    """Whether ``a`` is an Array-API array of another library than NumPy.

    Dask arrays are not: they go through scikit-learn's validation (and NumPy) as before.
    """
    return not isinstance(a, np.ndarray) and is_array_api_obj(a) and not is_dask_array(a)


def resolve_device(device: Any, owner: str) -> tuple[Any, Any]:
    """The namespace and device that the ``device`` parameter names.

    A string ("cpu", "cuda", "cuda:1", "mps", ...) or a ``torch.device`` selects PyTorch;
    without PyTorch, "cuda" strings select CuPy and "cpu" NumPy. A CuPy device selects CuPy.

    Raises
    ------
    InvalidParameterError
        For another type, or a device that no installed library provides.
    """
    kind = f"{type(device).__module__}.{type(device).__name__}"
    if kind.startswith("cupy."):
        return _cupy(device.id)
    if not (isinstance(device, str) or kind == "torch.device"):
        raise InvalidParameterError(
            f"The 'device' parameter of {owner} must be None, a str such as 'cpu' or "
            f"'cuda', or a torch / CuPy device. Got {device!r} instead."
        )
    try:
        import torch
    except ImportError:
        return _without_torch(device, owner)
    try:
        probe = torch.empty(0, device=device)
    except (RuntimeError, AssertionError, ValueError, TypeError) as exc:
        raise InvalidParameterError(
            f"The 'device' parameter of {owner} names a device PyTorch cannot use: "
            f"{device!r} ({str(exc).splitlines()[0]}). Use 'cpu', or check "
            "torch.cuda.is_available()."
        ) from None
    return namespace(probe), probe.device  # "cuda" becomes the concrete "cuda:0"


def _without_torch(device: str, owner: str) -> tuple[Any, Any]:
    """NumPy for "cpu" and CuPy for "cuda" when PyTorch is missing."""
    if device == "cpu":
        return np, None
    if str(device).startswith("cuda"):
        try:
            return _cupy(int(str(device).partition(":")[2] or 0))
        except ImportError:
            pass
    raise InvalidParameterError(
        f"The 'device' parameter of {owner} is {device!r}, which needs PyTorch"
        f"{' or CuPy' if str(device).startswith('cuda') else ''}: install it "
        "(pip install torch) or leave device=None."
    )


def _cupy(index: int) -> tuple[Any, Any]:
    import cupy

    return namespace(cupy.empty(0)), cupy.cuda.Device(index)


def float_dtype_for(X: Array, requested: str | None, xp: Any, device: Any) -> Any:
    """The NumPy float type to train in: float32 input stays float32, others float64.

    On a device without float64 (PyTorch's MPS), float32.
    """
    if requested is not None:
        return np.dtype(requested).type
    if str(X.dtype).rsplit(".", 1)[-1] == "float32":
        return np.float32
    if xp is not np:
        try:
            xp.zeros(1, dtype=xp.float64, device=device)
        except (TypeError, RuntimeError, ValueError):
            return np.float32
    return np.float64


def to_dtype(A: Array, dtype: Any) -> Array:
    """``A`` as float32 or float64 in its own namespace (unchanged when it already is)."""
    if isinstance(A, np.ndarray):
        return A.astype(dtype, copy=False)
    xp = namespace(A)
    target = xp.float32 if np.dtype(dtype) == np.float32 else xp.float64
    return A if A.dtype == target else xp.astype(A, target)


def check_foreign_X(est: Any, X: Array, *, reset: bool) -> Array:
    """A foreign X checked in its own namespace, as scikit-learn's ``validate_data`` would.

    2-D, at least one sample and one feature, real numbers (integers and booleans become
    float64), all finite; ``n_features_in_`` is set (reset) or checked.
    """
    name = type(est).__name__
    xp = namespace(X)
    shape = tuple(X.shape)
    if len(shape) != 2:
        raise ValueError(
            f"Expected 2D array, got {len(shape)}D array instead. Reshape your data either "
            "using array.reshape(-1, 1) if your data has a single feature or "
            "array.reshape(1, -1) if it contains a single sample."
        )
    for axis, what in ((0, "sample(s)"), (1, "feature(s)")):
        if shape[axis] < 1:
            raise ValueError(
                f"Found array with {shape[axis]} {what} (shape={shape}) while a minimum of 1 "
                f"is required by {name}."
            )
    if xp.isdtype(X.dtype, "complex floating"):
        raise ValueError("Complex data not supported.")
    if not xp.isdtype(X.dtype, "real floating"):
        X = xp.astype(X, xp.float64)
    if not bool(xp.all(xp.isfinite(X))):
        # scikit-learn words the message, from one offending value of the same dtype
        bad = np.nan if bool(xp.any(xp.isnan(X))) else np.inf
        dtype = np.dtype(str(X.dtype).rsplit(".", 1)[-1])
        assert_all_finite(np.asarray([bad], dtype=dtype), estimator_name=name, input_name="X")
    return validate_data(est, X, reset=reset, skip_check_array=True)


def check_same_namespace(est: Any, X: Array, method: str) -> None:
    """With scikit-learn's ``array_api_dispatch`` on, X must live where the network does.

    scikit-learn's check, in its words; off, X is simply moved to the network (and the
    results back), and with the ``device`` parameter set (or solver="lbfgs", which trains
    on NumPy whatever X is) that move is the point.
    """
    if not get_config()["array_api_dispatch"] or est.device is not None or est.solver == "lbfgs":
        return
    W = est.network_.W[1]
    fitted, given = _place(W), _place(X)
    if fitted == given:
        return
    fitted_name, given_name = _library(W), _library(X)
    if given_name != fitted_name:
        detail = f"Array namespaces used during fit ({fitted_name}) and {method} ({given_name})"
    else:
        detail = f"Devices used during fit ({fitted[1]}) and {method} ({given[1]})"
    raise ValueError(
        f"Inputs passed to {type(est).__name__}.{method}() must use the same namespace and the "
        f"same device as those passed to fit(). {detail} differ."
    )


def way_back(X: Array, xp: Any, device: Any) -> tuple[Array, Callable[[Array], Array]]:
    """X moved to (xp, device), and the function that moves results back to X's place."""
    if isinstance(X, np.ndarray) and xp is np:
        return X, _same
    home_xp, home_device = namespace(X), device_of(X)
    if home_xp is xp and home_device == device:
        return X, _same
    return move_to(X, xp, device), lambda R: move_to(R, home_xp, home_device)


def _same(R: Array) -> Array:
    return R


def _place(a: Array) -> tuple[str, str]:
    return _library(a), str(device_of(a))


def _library(a: Array) -> str:
    return "numpy" if isinstance(a, np.ndarray) else type(a).__module__.split(".")[0]


def score_on_host(
    metric: Callable[..., Any], y: Any, y_pred: Any, sample_weight: Any = None
) -> float:
    """``metric(y, y_pred)`` as scikit-learn's ``score`` computes it, for arrays anywhere.

    With ``array_api_dispatch`` on, scikit-learn's metric handles every namespace itself;
    off, it would call ``numpy.asarray``, which a GPU tensor refuses, so foreign arrays
    are brought to the host first (NumPy arrays are passed as they are).
    """
    if not get_config()["array_api_dispatch"]:
        y, y_pred = to_numpy(y), to_numpy(y_pred)
        sample_weight = None if sample_weight is None else to_numpy(sample_weight)
    return float(metric(y, y_pred, sample_weight=sample_weight))
