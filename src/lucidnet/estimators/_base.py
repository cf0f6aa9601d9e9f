"""What MLPClassifier and MLPRegressor share: parameters, fitting, prediction.

The estimators translate scikit-learn's words into the lecture's objects (``Network``,
``Trainer``) and back; they hold no math of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.validation import (
    check_is_fitted,
    validate_data,
)

from lucidnet.core.activations import get_activation
from lucidnet.core.arrays import device_of, namespace, to_numpy
from lucidnet.core.embedded import embedded_network
from lucidnet.core.ensemble import Ensemble
from lucidnet.core.gradcheck import GradientCheck, check_gradients
from lucidnet.core.network import Network
from lucidnet.estimators._arrays import (
    check_foreign_X,
    check_same_namespace,
    is_foreign,
    to_dtype,
    way_back,
)
from lucidnet.estimators._input import check_sample_weight, fit_input
from lucidnet.estimators._members import forward_rows
from lucidnet.estimators._translate import (
    coefs_from_network,
    core_activation,
    intercepts_from_network,
)
from lucidnet.estimators.solver import Rows
from lucidnet.estimators.solvers import solver_of

__all__ = ["BaseMLP"]


class BaseMLP(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Shared machinery of the lucidnet estimators (not for direct use)."""

    _parameter_constraints: dict[str, Any] = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [str, list, tuple],
        "solver": [StrOptions({"sgd", "adam", "adamw", "lbfgs"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive", "cosine"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "dropout": [None, Interval(Real, 0, 1, closed="left"), list, tuple],
        "clip_norm": [None, Interval(Real, 0, None, closed="neither")],
        "callbacks": [None, list, tuple],
        "dtype": [None, StrOptions({"float32", "float64"})],
        "weight_init": [StrOptions({"glorot", "he", "auto"})],
        "n_members": [Interval(Integral, 1, None, closed="left")],
        "engine": [StrOptions({"numpy", "jax"})],
        "embedding": "no_validation",  # None or an embedding object, checked at fit
        "loss": [StrOptions({"squared_error", "poisson"})],  # the regressor's
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        # None, "cpu", "cuda", "mps"... or a torch / CuPy device: checked at fit, where the
        # installed libraries are known (resolve_device).
        "device": "no_validation",
    }

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: Any = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: Any = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: Any = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: Any = 10,
        weight_decay: float = 0.01,
        dropout: Any = None,
        clip_norm: float | None = None,
        callbacks: Any = None,
        dtype: str | None = None,
        weight_init: str = "glorot",
        max_fun: int = 15000,
        device: Any = None,
        n_members: int = 1,
        engine: str = "numpy",
        embedding: Any = None,
        loss: str = "squared_error",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.clip_norm = clip_norm
        self.callbacks = callbacks
        self.dtype = dtype
        self.weight_init = weight_init
        self.n_members = n_members
        self.max_fun = max_fun
        self.device = device
        self.engine = engine
        self.embedding = embedding
        self.loss = loss

    # ------------------------------------------------------------------ subclass hooks

    _is_classifier = False
    # Fitted attributes (annotations only: nothing is set before fit).
    network_: Network
    validation_scores_: list[float] | None
    best_validation_score_: float | None
    best_loss_: float | None

    def _encode_targets(self, y: Any, *, first: bool, classes: Any = None) -> np.ndarray:
        """y as given → Y rows (n_samples, n[L]); sets the target attributes on ``first``."""
        raise NotImplementedError

    def _output_name(self) -> str:
        raise NotImplementedError

    def _training_targets(self, Y: np.ndarray) -> np.ndarray:
        """The rows the network is trained towards (the classifier smooths its labels)."""
        return Y

    def _validation_score(self, Y_true: np.ndarray, A_out: np.ndarray) -> float:
        raise NotImplementedError

    # ------------------------------------------------------------------ fitting

    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        validation_data: Any = None,
        *,
        resume_from: Any = None,
    ) -> BaseMLP:
        """Fit the network to X and y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights; the cost becomes Σ s_i L_i / Σ s_i.
        validation_data : tuple (X_val, y_val) or (X_val, y_val, sample_weight_val), optional
            Data to monitor each epoch (validation loss and score in ``history_``); with
            ``early_stopping=True`` it replaces the held-out ``validation_fraction``.
        resume_from : str, path or dict, optional
            A training state written by ``lucidnet.training.ModelCheckpoint`` (or a dict
            from ``Trainer.state_dict()``): training continues from it with the same data
            and parameters, and ends with the weights an uninterrupted fit would have.

        Returns
        -------
        self
        """
        self._validate_params()
        return self._fit(
            X, y, sample_weight, validation_data, incremental=False, resume_from=resume_from
        )

    def _fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any,
        validation_data: Any,
        *,
        incremental: bool,
        classes: Any = None,
        resume_from: Any = None,
    ) -> BaseMLP:
        first_call = "network_" not in self.__dict__
        reset = first_call or not incremental
        new_network = first_call or not (incremental or self.warm_start)
        data = fit_input(self, X, y, sample_weight, reset=reset, new_network=new_network)
        X, xp, device, dtype, s = data.X, data.xp, data.device, data.dtype, data.sample_weight
        Y = self._encode_targets(data.y, first=reset, classes=classes).astype(dtype, copy=False)
        Y = self._training_targets(Y)

        seed = self._seed()
        if new_network:
            self.network_ = self._build_network(X.shape[1], Y.shape[1], dtype, seed)
            if xp is not np:  # initialised with NumPy (reproducible), then moved
                self.network_ = self.network_.to(xp, device)
        elif self.network_.n[0] != X.shape[1] or self.network_.n[-1] != Y.shape[1]:
            raise ValueError(
                f"warm_start needs data of the same shape as before: the network has "
                f"{self.network_.n[0]} inputs and {self.network_.n[-1]} outputs, the data "
                f"{X.shape[1]} and {Y.shape[1]}. Set warm_start=False to start afresh."
            )
        solver = solver_of(self)
        solver.refuse(self, xp=xp, resume_from=resume_from)
        rows = Rows(X, Y, s, validation_data, dtype)
        solver.fit(self, rows, seed=seed, incremental=incremental, resume_from=resume_from)
        return self

    def _seed(self) -> int:
        """The run's seed: the first draw from ``random_state`` (network, then Trainer)."""
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def prepare_fit(self, n_features: int, targets: Any, *, dtype: Any = np.float64) -> BaseMLP:
        """Set up an untrained fit: the target attributes and a fresh ``network_``.

        For training that happens elsewhere (L-BFGS on a cluster, chunk by chunk): the
        network is initialised exactly as :meth:`fit` would initialise it for data of this
        shape, with the same ``random_state``.

        Parameters
        ----------
        n_features : int
            n[0], the number of input columns.
        targets : array-like
            Classifier: every class label (or a label-indicator matrix for multilabel).
            Regressor: a target array of the right shape (1-D, or (n, n_outputs)); its
            values are not used.
        dtype : {numpy.float32, numpy.float64}

        Returns
        -------
        self
        """
        self._validate_params()
        Y = self._encode_targets(np.asarray(targets), first=True, classes=targets)
        self.network_ = self._build_network(int(n_features), Y.shape[1], dtype, self._seed())
        self.n_features_in_ = int(n_features)
        return self

    def encode_targets(self, y: Any) -> np.ndarray:
        """y as given → the rows of Y the network is trained on, shape (n_samples, n[L]).

        Classifier: one-hot (or one 0/1 column for two classes); regressor: y as a column.
        Raises a ValueError for labels the fitted estimator does not know.
        """
        return self._encode_targets(y, first=False)

    @property
    def target_type_(self) -> str:
        """scikit-learn's name of the fitted target: "binary", "multiclass",
        "multilabel-indicator", "continuous" or "continuous-multioutput"."""
        if not self._is_classifier:
            return "continuous" if self._y_1d else "continuous-multioutput"
        if self._multilabel:
            return "multilabel-indicator"
        return "binary" if len(self.classes_) == 2 else "multiclass"

    def _build_network(self, n_features: int, n_outputs: int, dtype: Any, seed: int) -> Network:
        hidden = self._hidden_sizes()
        names = self._hidden_activations(len(hidden))
        sizes, init = (
            [n_features, *hidden, n_outputs],
            (None if self.weight_init == "auto" else self.weight_init),
        )
        activations = [*names, self._output_name()]
        if self.embedding is not None:  # a numerical embedding before layer 1
            return embedded_network(self.embedding, sizes, self.n_members, activations, seed,
                                    dtype, init)  # fmt: skip
        if self.n_members > 1:  # K networks trained at once (lucidnet.core.ensemble)
            return Ensemble(
                sizes, self.n_members, activations=activations, seed=seed, dtype=dtype, init=init
            )
        return Network(sizes, activations=activations, seed=seed, dtype=dtype, init=init)

    # ------------------------------------------------------------------ parameters

    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, Integral):
            return [int(sizes)]
        sizes = list(sizes)
        if any(not isinstance(s, Integral) or isinstance(s, bool) or s < 1 for s in sizes):
            raise InvalidParameterError(
                f"The 'hidden_layer_sizes' parameter of {type(self).__name__} must be a "
                f"positive int or a sequence of positive ints. Got {self.hidden_layer_sizes!r} "
                "instead."
            )
        return [int(s) for s in sizes]

    def _hidden_activations(self, n_hidden: int) -> list[str]:
        given = self.activation
        names = [given] * n_hidden if isinstance(given, str) else list(given)
        if len(names) != n_hidden or not all(isinstance(a, str) for a in names):
            raise InvalidParameterError(
                f"The 'activation' parameter of {type(self).__name__} must be a str or a list "
                f"of {n_hidden} str (one per hidden layer). Got {given!r} instead."
            )
        out = []
        for name in names:
            core = core_activation(name)
            try:
                get_activation(core)
            except ValueError as exc:
                raise InvalidParameterError(
                    f"The 'activation' parameter of {type(self).__name__} must be one of "
                    f"'identity', 'logistic', 'tanh', 'relu', 'leaky_relu' or a name registered "
                    f"with lucidnet.register_activation. Got {name!r} instead."
                ) from exc
            out.append(core)
        return out

    def _dropout_rates(self) -> dict[int, float] | None:
        if self.dropout is None:
            return None
        n_hidden = len(self._hidden_sizes())
        rates = (
            [float(self.dropout)] * n_hidden
            if isinstance(self.dropout, Real)
            else [float(p) for p in self.dropout]
        )
        if len(rates) != n_hidden or not all(0 <= p < 1 for p in rates):
            raise InvalidParameterError(
                f"The 'dropout' parameter of {type(self).__name__} must be a float in [0, 1) "
                f"or a list of {n_hidden} such floats. Got {self.dropout!r} instead."
            )
        return {l: p for l, p in enumerate(rates, start=1) if p > 0} or None

    # ------------------------------------------------------------------ input checks

    def _validate_x(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return X.astype(self.network_.dtype, copy=False)

    def _input(self, X: Any, method: str) -> tuple[Any, Callable[[Any], Any]]:
        """X checked and moved to where the fitted network lives, and the way back.

        The results of ``method`` go through the returned function, so they come back in
        X's namespace and on X's device (identity when X is already there).
        """
        check_is_fitted(self)
        if is_foreign(X):
            X = check_foreign_X(self, X, reset=False)
        else:
            X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        check_same_namespace(self, X, method)
        W = self.network_.W[1]
        return way_back(to_dtype(X, self.network_.dtype), namespace(W), device_of(W))

    def _validation_arrays(self, validation_data: Any, dtype: Any) -> tuple[Any, ...]:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError(
                "validation_data must be a tuple (X_val, y_val) or (X_val, y_val, "
                f"sample_weight_val); got {type(validation_data).__name__}."
            )
        X_val = validation_data[0]
        X_val = to_numpy(X_val) if is_foreign(X_val) else X_val  # the Trainer moves it to X
        X_val = validate_data(self, X_val, reset=False, dtype=(np.float64, np.float32))
        y_val = to_numpy(validation_data[1])
        if y_val.shape[0] != X_val.shape[0]:
            raise ValueError(
                f"validation_data has {X_val.shape[0]} rows in X_val but {y_val.shape[0]} in y_val."
            )
        Y_val = self._encode_targets(y_val, first=False).astype(dtype, copy=False)
        X_val = X_val.astype(dtype, copy=False)
        if len(validation_data) == 3:
            s_val = check_sample_weight(validation_data[2], X_val.shape[0], dtype)
            assert s_val is not None
            return (X_val, Y_val, s_val.astype(dtype, copy=False))
        return (X_val, Y_val)

    # ------------------------------------------------------------------ prediction

    def _forward_blocks(self, X: Any, what: str) -> Any:
        """Run the network over row blocks; ``what`` is "A" (A[L]), "Z" (Z[L]) or "phi".

        X lives with the network (see :meth:`_input`); so do the results. An ensemble's
        members are combined (:func:`~lucidnet.estimators._members.forward_rows`).
        """
        return forward_rows(self.network_, X, what)

    def transform(self, X: Any) -> Any:
        """The learned feature map φ(x) = A[L-1], one row per example.

        Returns
        -------
        array of shape (n_samples, n[L-1]), in X's namespace and on X's device
            What the head (the last, linear layer) sees; ``head_`` maps it to the output.
        """
        X, back = self._input(X, "transform")
        return back(self._forward_blocks(X, "phi"))

    @property
    def _n_features_out(self) -> int:
        """Width of ``transform``'s output, n[L-1] (names: ``get_feature_names_out``)."""
        net = self._fitted_network()
        return net.n[net.L - 1] * net.K  # an ensemble: members side by side

    @property
    def coefs_(self) -> list[np.ndarray]:
        """scikit-learn's orientation: ``coefs_[i]`` has shape (n[i], n[i+1]); it is W[i+1].T."""
        return coefs_from_network(self._fitted_network())

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """``intercepts_[i]`` has shape (n[i+1],); it is b[i+1]."""
        return intercepts_from_network(self._fitted_network())

    @property
    def head_(self) -> Network:
        """The last layer (W[L], b[L], g[L]) as a one-layer network: a linear model on φ."""
        return self._fitted_network().head

    def _fitted_network(self) -> Network:
        if "network_" not in self.__dict__:
            raise AttributeError(f"This {type(self).__name__} instance is not fitted yet.")
        return self.network_

    def check_gradients(self, X: Any, y: Any, eps: float = 1e-6) -> GradientCheck:
        """Finite-difference check of the fitted network's gradients on (X, y), in float64.

        Use a few rows (each parameter costs two passes over them).
        """
        X = self._validate_x(to_numpy(X) if is_foreign(X) else X)  # checked in NumPy
        Y = self._encode_targets(to_numpy(y), first=False)
        return check_gradients(self.network_, X.T, Y.T, alpha=self.alpha, eps=eps)
