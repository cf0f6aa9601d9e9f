"""Which ingredients help an MLP on the table panel? Variants of scikit-learn's MLP and of
lucidnet's CLI defaults, run by ``benchmarks/tables/run.py`` on the same splits.

    python benchmarks/tables/experiments/ingredients.py --seeds 2 --max-rows 6000 \\
        --systems hgb,sk-mlp,sk-mlp+ty,...  --name ingredients

Every argument is ``run.py``'s; the extra systems are:

* ``sk-mlp+ty``: sk-mlp, with the regression target standardised
  (``TransformedTargetRegressor(StandardScaler)``); classification unchanged. Every
  ``sk-mlp+ty+...`` variant below builds on it.
* ``+quantile``: numbers through ``QuantileTransformer(output_distribution="normal")``
  instead of ``StandardScaler``.
* ``+robust-clip``: numbers through ``RobustScaler`` (median, IQR) then the smooth clip
  x / sqrt(1 + (x/3)²) (bounded by ±3, identity near 0).
* ``+es``: ``early_stopping=True`` (10 % held out, patience 10, best weights).
* ``lucidnet-all-rows``: the CLI without its 20 % validation hold-out (``--validation 0``).
* ``lucidnet-es``: the CLI with ``--early-stopping 10`` on its 20 % (best weights kept).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

if __name__ == "__main__":
    import os

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # run.main() also pins every pool to --threads

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import run  # noqa: E402


def smooth_clip(x: np.ndarray) -> np.ndarray:
    """x / sqrt(1 + (x/3)^2): identity near 0, bounded by ±3."""
    x = np.asarray(x, dtype=np.float64)
    return x / np.sqrt(1.0 + (x / 3.0) ** 2)


def _sk_mlp(
    numbers: str = "standard", early_stopping: bool = False, scale_target: bool = True
) -> run.FitFunction:
    def fit(X: pd.DataFrame, y: pd.Series, task: str, seed: int) -> Any:
        import warnings

        from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.impute import SimpleImputer
        from sklearn.neural_network import MLPClassifier, MLPRegressor
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import (
            FunctionTransformer,
            OneHotEncoder,
            QuantileTransformer,
            RobustScaler,
            StandardScaler,
        )

        if numbers == "standard":
            scale = [StandardScaler()]
        elif numbers == "quantile":
            scale = [
                QuantileTransformer(
                    output_distribution="normal",
                    n_quantiles=min(1000, len(X)),
                    random_state=seed,
                )
            ]
        elif numbers == "robust-clip":
            scale = [RobustScaler(), FunctionTransformer(smooth_clip)]
        else:
            raise ValueError(numbers)
        pre = ColumnTransformer(
            [
                (
                    "num",
                    make_pipeline(SimpleImputer(strategy="median"), *scale),
                    run.numeric_columns(X),
                ),
                (
                    "cat",
                    make_pipeline(
                        FunctionTransformer(run._as_text),
                        SimpleImputer(strategy="constant", fill_value="missing"),
                        OneHotEncoder(handle_unknown="ignore"),
                    ),
                    run.categorical_columns(X),
                ),
            ]
        )
        if task == "classification":
            est: Any = MLPClassifier(random_state=seed, early_stopping=early_stopping)
        else:
            est = MLPRegressor(random_state=seed, early_stopping=early_stopping)
            if scale_target:
                est = TransformedTargetRegressor(est, transformer=StandardScaler())
        model = make_pipeline(pre, est)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return model.fit(X, y)

    return fit


def _lucidnet(**options: Any) -> run.FitFunction:
    def fit(X: pd.DataFrame, y: pd.Series, task: str, seed: int) -> Any:
        return run.fit_lucidnet_plain(X, y, task, seed, **options)

    return fit


EXTRA: dict[str, run.FitFunction] = {
    "sk-mlp+ty": _sk_mlp(),
    "sk-mlp+ty+quantile": _sk_mlp("quantile"),
    "sk-mlp+ty+robust-clip": _sk_mlp("robust-clip"),
    "sk-mlp+ty+es": _sk_mlp(early_stopping=True),
    "sk-mlp+ty+quantile+es": _sk_mlp("quantile", early_stopping=True),
    "sk-mlp+ty+robust-clip+es": _sk_mlp("robust-clip", early_stopping=True),
    "lucidnet-all-rows": _lucidnet(validation=0.0),
    "lucidnet-es": _lucidnet(early_stopping=10),
}

if __name__ == "__main__":
    run.SYSTEMS.update(EXTRA)
    raise SystemExit(run.main())
