"""MLPClassifier: scikit-learn's classifier interface on the lecture's network."""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted

from lucidnet.core.arrays import device_of, namespace, to_numpy
from lucidnet.core.losses import log_softmax
from lucidnet.estimators._arrays import score_on_host
from lucidnet.estimators._base import BaseMLP
from lucidnet.estimators._members import forward_rows_both
from lucidnet.estimators.solvers import has_partial_fit

__all__ = ["MLPClassifier"]


class MLPClassifier(ClassifierMixin, BaseMLP):
    """A fully-connected network classifier — a drop-in for scikit-learn's MLPClassifier.

    The output layer follows the target: one sigmoid unit with binary cross-entropy for
    two classes, softmax with cross-entropy for K > 2 classes, and one sigmoid unit per
    label for a multilabel indicator matrix. Hidden layers, loss and gradients are the
    lecture's (see ``network_``).

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(100,)
        Widths of the hidden layers n[1], ..., n[L-1].
    activation : str or list of str, default="relu"
        "identity", "logistic", "tanh", "relu", "leaky_relu" or a registered name; a list
        gives one activation per hidden layer.
    solver : {"adam", "sgd", "adamw", "lbfgs"}, default="adam"
        "lbfgs" is full-batch L-BFGS (scipy's L-BFGS-B) on the whole data set's cost,
        summed over row blocks of bounded size; the minibatch options (batch_size,
        learning rates, momentum, early_stopping, dropout, callbacks) do not apply.
    alpha : float, default=1e-4
        L2 strength: J gains (alpha / 2B) Σ_l ‖W[l]‖².
    batch_size : int or "auto", default="auto"
        Minibatch size B; "auto" is min(200, n_samples).
    learning_rate : {"constant", "invscaling", "adaptive", "cosine"}, default="constant"
        Learning-rate schedule (every schedule works with every solver).
    learning_rate_init : float, default=1e-3
    power_t : float, default=0.5
        Exponent of "invscaling".
    max_iter : int, default=200
        Maximum number of epochs (of L-BFGS iterations for solver="lbfgs").
    shuffle : bool, default=True
    random_state : int, RandomState instance or None, default=None
        An int gives bit-identical fits.
    tol : float, default=1e-4
        Minimum improvement of the monitored loss (min_delta of early stopping).
    verbose : int or bool, default=False
        1: a progress bar; 2: one table row per epoch.
    warm_start : bool, default=False
    momentum : float, default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` (stratified) — or use ``fit(validation_data=...)``
        — and stop when the validation loss stops improving, restoring the best weights.
    validation_fraction : float, default=0.1
    beta_1, beta_2, epsilon : float
        Adam's parameters.
    n_iter_no_change : int, default=10
        Patience, in epochs, of the stopping rule.
    weight_decay : float, default=0.01
        AdamW's decoupled weight decay (solver="adamw" only).
    dropout : float or list of float, optional
        Inverted-dropout rate of the hidden layers (one for all, or one per layer).
    clip_norm : float, optional
        Clip the global gradient norm to this value.
    callbacks : list of lucidnet.training.Callback, optional
    dtype : {"float32", "float64"}, optional
        Computation dtype; by default float32 input trains in float32, others in float64.
    weight_init : {"glorot", "he", "auto"}, default="glorot"
        Glorot-uniform weights in every layer, as scikit-learn's MLP (so the one-line
        switch trains alike); "he" for He-normal everywhere; "auto" for the lecture's rule
        (He for the ReLU family, Glorot otherwise). Biases start at zero.
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplying sample_weight (not for multilabel targets).
    max_fun : int, default=15000
        solver="lbfgs" only: the maximum number of cost evaluations.
    device : None, str or device, default=None
        "cpu", "cuda", "cuda:1", "mps" or a ``torch.device``: NumPy input (or lists,
        data frames) is moved to PyTorch on that device for training, and answers come
        back as NumPy (CuPy serves "cuda" when PyTorch is missing). None trains where X
        lives: NumPy on the CPU, a PyTorch/CuPy/array-api-strict array on its own device.
        Either way the network is initialised and the rows shuffled with NumPy (same
        seed, same run), predictions come back in the input's namespace, and
        ``lucidnet.save`` writes the usual NumPy model file. See docs/gpu.md.
    engine : {"numpy", "jax"}, default="numpy"
        How the minibatch solvers run their epochs: "numpy" steps in Python over one
        in-place parameter buffer; "jax" (``pip install "lucidnet[jax]"``) compiles a
        whole epoch of the same core and optimizer rule with JAX (a GPU when JAX has one;
        the first fit of a shape compiles, for a second or two). Same seed, same initial
        weights and minibatch order on both; weights agree to float rounding.
    embedding : PeriodicEmbedding or PiecewiseLinearEncoding, optional
        A numerical embedding before layer 1 (``lucidnet.core.embeddings``, docs/MATH.md
        §10); its ``n_features`` must be X's columns. None: X is A[0] as it is.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,) (or list of arrays for multilabel)
    network_ : lucidnet.Network
        The fitted network in the lecture's form: W[l], b[l], g[l].
    coefs_, intercepts_ : lists
        scikit-learn's orientation: ``coefs_[l-1] = W[l].T``.
    history_ : lucidnet.training.History
        Per epoch: loss, val_loss, val_score, lr, seconds.
    loss_curve_, loss_, best_loss_, validation_scores_, best_validation_score_ :
        As in scikit-learn.
    n_iter_, t_, n_layers_, n_outputs_, out_activation_, n_features_in_,
    feature_names_in_ : as in scikit-learn.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from lucidnet import MLPClassifier
    >>> X, y = make_moons(200, noise=0.1, random_state=0)
    >>> clf = MLPClassifier((32,), batch_size=32, learning_rate_init=0.01, tol=1e-3,
    ...                     random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.95
    True
    >>> clf.transform(X).shape, clf.network_.W[1].shape
    ((200, 32), (32, 2))
    """

    _is_classifier = True
    classes_: Any  # set by the first fit
    _multilabel: bool

    _parameter_constraints = {
        **{k: v for k, v in BaseMLP._parameter_constraints.items() if k != "loss"},
        "class_weight": [None, dict, StrOptions({"balanced"})],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
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
        class_weight: Any = None,
        max_fun: int = 15000,
        device: Any = None,
        n_members: int = 1,
        label_smoothing: float = 0.0,
        engine: str = "numpy",
        embedding: Any = None,
    ) -> None:
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            weight_decay=weight_decay,
            dropout=dropout,
            clip_norm=clip_norm,
            callbacks=callbacks,
            dtype=dtype,
            weight_init=weight_init,
            max_fun=max_fun,
            device=device,
            n_members=n_members,
            engine=engine,
            embedding=embedding,
        )
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.input_tags.sparse = False
        # PyTorch, CuPy, array-api-strict... arrays in, results out in their namespace;
        # scikit-learn's check_array_api_input passes (tests/arrayapi). L-BFGS is SciPy's.
        tags.array_api_support = self.solver != "lbfgs"
        return tags

    # ------------------------------------------------------------------ targets

    def _encode_targets(self, y: Any, *, first: bool, classes: Any = None) -> np.ndarray:
        if not first and not self._multilabel and isinstance(y, np.ndarray) and y.ndim == 1:
            codes = pd.Index(self.classes_).get_indexer(pd.Index(y))  # hashing; −1: not a class
            if len(codes) and codes.min() >= 0:  # every label a known class: one-hot rows
                if len(self.classes_) == 2:
                    return (codes == 1).astype(np.float64)[:, None]
                return (codes[:, None] == np.arange(len(self.classes_))).astype(np.float64)
        check_classification_targets(y)
        if first:
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y if classes is None else classes)
            self._multilabel = self._label_binarizer.y_type_.startswith("multilabel")
            self.classes_ = self._label_binarizer.classes_
            if not self._multilabel and len(self.classes_) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes in the data, "
                    f"but the data contains only one class: {self.classes_[0]!r}."
                )
        if self._multilabel:
            if not first and type_of_target(y) != "multilabel-indicator":
                raise ValueError(
                    "This model was fitted on a multilabel indicator matrix; y must be one too."
                )
        elif not first or classes is not None:  # partial_fit's `classes`, or a later call
            # A label outside the classes would be encoded as all zeros: refuse it, as
            # scikit-learn does, naming the labels.
            unseen = np.setdiff1d(np.unique(y), self.classes_)
            if unseen.size:
                where = "`classes`" if first else "`self.classes_`"
                raise ValueError(
                    f"`y` has classes not in {where}: {list(unseen)}. "
                    f"The classes are {list(self.classes_)}."
                )
        return self._label_binarizer.transform(y).astype(np.float64)

    def _output_name(self) -> str:
        if self._multilabel or len(self.classes_) == 2:
            return "sigmoid"
        return "softmax"

    def _stratify_labels(self, Y: np.ndarray) -> np.ndarray | None:
        if self._multilabel:
            return None
        return Y[:, 0] if Y.shape[1] == 1 else np.argmax(Y, axis=1)

    def _class_weight_indices(self) -> Any:
        if self._multilabel:
            raise ValueError(
                "class_weight is not supported for multilabel targets; use sample_weight."
            )
        if self.class_weight == "balanced":
            return "balanced"
        weights = {}
        for k, label in enumerate(self.classes_):
            weights[k] = float(self.class_weight.get(label, 1.0))
        unknown = set(self.class_weight) - set(self.classes_.tolist())
        if unknown:
            raise ValueError(
                f"class_weight names classes not in the data: {sorted(map(str, unknown))}; "
                f"the classes are {list(self.classes_)}."
            )
        return weights

    def _training_targets(self, Y: np.ndarray) -> np.ndarray:
        """Label smoothing ε: Y ← (1 − ε) Y + ε / C, with C = 2 for 0/1 columns.

        Notes
        -----
        With soft targets the canonical-loss shortcut still holds: dZ[L] = (A[L] − Y) / B.
        """
        eps = float(self.label_smoothing)
        if eps == 0:
            return Y
        C = 2 if Y.shape[1] == 1 or self._multilabel else Y.shape[1]
        return (1 - eps) * Y + eps / C

    def _validation_score(self, Y_true: Any, A_out: Any) -> float:
        """Accuracy (subset accuracy for multilabel) of the rows A_out against Y_true."""
        Y_true, A_out = to_numpy(Y_true), to_numpy(A_out)  # once per epoch, any device
        if A_out.ndim == 3:  # an ensemble's rows (B, n[L], K): the members' mean
            A_out = A_out.mean(axis=-1)
        if Y_true.shape[1] == 1 or self._multilabel:
            hits = np.all((A_out > 0.5) == (Y_true > 0.5), axis=1)
        else:
            hits = np.argmax(A_out, axis=1) == np.argmax(Y_true, axis=1)
        return float(np.mean(hits))

    # ------------------------------------------------------------------ partial_fit

    @available_if(has_partial_fit)
    def partial_fit(
        self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None
    ) -> MLPClassifier:
        """One epoch over (X, y), continuing from the current state.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        classes : array-like of shape (n_classes,)
            All the classes; required on the first call.
        sample_weight : array-like of shape (n_samples,), optional
        """
        self._validate_params()
        if self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True.")
        if "network_" not in self.__dict__:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"`classes={list(classes)}` is not the same as on the first call to "
                f"partial_fit ({list(self.classes_)})."
            )
        return self._fit(X, y, sample_weight, None, incremental=True, classes=classes)

    # ------------------------------------------------------------------ prediction

    # Every method returns its results in X's namespace, on X's device (see _input).

    def decision_function(self, X: Any) -> Any:
        """Z[L], the output layer's pre-activation; shape (n_samples,) for binary targets."""
        X, back = self._input(X, "decision_function")
        Z = self._forward_blocks(X, "Z")
        return back(Z[:, 0] if Z.shape[1] == 1 and not self._multilabel else Z)

    def predict_proba(self, X: Any) -> Any:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order.

        Exactly ``exp(predict_log_proba(X))``, so ``log(predict_proba)`` and
        ``predict_log_proba`` agree everywhere, even where softmax underflows: no
        probability is exactly 0, the smallest is (about) the dtype's smallest normal
        number, 2.2e-308 in float64, 1.2e-38 in float32.
        """
        X, back = self._input(X, "predict_proba")
        log_p = self._log_proba(self._forward_blocks(X, "Z"))
        return back(namespace(log_p).exp(log_p))

    def predict_log_proba(self, X: Any) -> Any:
        """log of ``predict_proba``, computed from Z[L] (log-sigmoid / log-softmax).

        Floored at the log of the dtype's smallest normal number (−708.4 in float64,
        −87.3 in float32), where a probability would round to 0: the same rule as
        ``predict_proba``, so that the two agree.
        """
        X, back = self._input(X, "predict_log_proba")
        return back(self._log_proba(self._forward_blocks(X, "Z")))

    def _log_proba(self, Z: Any) -> Any:
        """Log-probabilities from the output layer's Z[L] (rows), floored as documented."""
        xp = namespace(Z)
        if self.network_.output.name == "softmax":
            log_p = log_softmax(Z.T).T
        else:
            # log σ(z) = min(z, 0) − log(1 + e^(−|z|)), log(1 − σ(z)) = log σ(−z)
            # = −max(z, 0) − log(1 + e^(−|z|)): stable, one exp and one log1p for both;
            # binary: [log σ(−z), log σ(z)] (1 − σ(z) would round to 0 for z > 37).
            soft = xp.log1p(xp.exp(-xp.abs(Z)))
            log_p = xp.minimum(Z, 0.0) - soft
            if Z.shape[1] == 1 and not self._multilabel:
                log_p = xp.concat([-xp.maximum(Z, 0.0) - soft, log_p], axis=1)
        floor = math.log(float(xp.finfo(Z.dtype).smallest_normal))
        return xp.maximum(log_p, floor)

    def predict(self, X: Any) -> Any:
        """Predicted labels (an indicator matrix for multilabel targets).

        Numeric and boolean labels come back in X's namespace; strings (and other
        objects) cannot live there, so they come back as a NumPy array.
        """
        check_is_fitted(self)
        X, back = self._input(X, "predict")
        return self._labels_of(self._forward_blocks(X, "A"), back)

    def predict_with_proba(self, X: Any) -> tuple[Any, Any]:
        """(``predict(X)``, ``predict_proba(X)``) from one forward pass: the same arrays.

        Half the work of the two calls, for callers that need both (a file's predictions
        with their probabilities, metrics).
        """
        check_is_fitted(self)
        X, back = self._input(X, "predict_with_proba")
        A, Z = forward_rows_both(self.network_, X)
        log_p = self._log_proba(Z)
        proba = back(namespace(log_p).exp(log_p))
        return self._labels_of(A, back), proba

    def _labels_of(self, A: Any, back: Any) -> Any:
        """The labels of the outputs A[L] (rows): indicators, A > 0.5 or the argmax."""
        xp = namespace(A)
        if self._multilabel:
            return back(xp.astype(A > 0.5, xp.int64))
        k = xp.astype(A[:, 0] > 0.5, xp.int64) if A.shape[1] == 1 else xp.argmax(A, axis=1)
        return self._labels(back(k))

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy of ``predict(X)`` against y, as scikit-learn's; tensors on any device work."""
        return score_on_host(accuracy_score, y, self.predict(X), sample_weight)

    def _labels(self, k: Any) -> Any:
        """classes_[k] for class indices k, in k's namespace when the labels can live there."""
        if isinstance(k, np.ndarray):
            return self.classes_[k]
        if self.classes_.dtype.kind not in "bif":  # strings, objects, unsigned: NumPy
            return self.classes_[to_numpy(k)]
        xp = namespace(k)
        return xp.take(xp.asarray(self.classes_, device=device_of(k)), k)
