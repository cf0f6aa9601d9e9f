"""Beyond one machine: full-batch L-BFGS across a Dask cluster; the data stay on the workers.

Each L-BFGS step needs J(θ) and ∂J/∂θ over all the examples. The examples are row
blocks held on the workers; the client sends θ, every worker runs the lecture's
forward and backward on its blocks and returns three sums, and the client adds them up
(the way Spark MLlib trains its perceptron)::

    θ ──▶ worker holding block k: (ℓ_k, G_k, w_k) = block_loss_grad(net(θ), X_k, Y_k, s_k)
    client: J, ∂J/∂θ = combine([(ℓ_k, G_k, w_k) for every block k])  (summed on the workers)

``lucidnet.training.lbfgs`` holds the math; here is only the plumbing. With the same
seed the result equals single-machine ``solver="lbfgs"`` (up to floating-point
summation order). Needs the ``dask`` extra: ``pip install "lucidnet[dask]"``.

Also usable with lucidnet's ordinary estimators:

- minibatch training over a Dask collection: ``dask_ml.wrappers.Incremental(
  lucidnet.MLPClassifier(...)).fit(X, y, classes=[...])`` calls ``partial_fit`` block by
  block;
- hyperparameter search on the cluster: ``GridSearchCV(lucidnet.MLPClassifier(), ...)``
  inside ``joblib.parallel_backend("dask")``.

May import: every lower package (``lucidnet.core`` … ``lucidnet.tables``) and Dask.
"""

from lucidnet.dask.cluster import connect
from lucidnet.dask.lbfgs import ClusterObjective, fit_lbfgs
from lucidnet.dask.predict import MLPClassifier, MLPRegressor, predict
from lucidnet.dask.recipe import DaskRecipeSource, predict_partitions
from lucidnet.dask.table import DaskSource, read_dask_table, train_table
from lucidnet.dask.tabular import TabularClassifier, TabularRegressor

__all__ = [
    "ClusterObjective",
    "DaskRecipeSource",
    "DaskSource",
    "MLPClassifier",
    "MLPRegressor",
    "TabularClassifier",
    "TabularRegressor",
    "connect",
    "fit_lbfgs",
    "predict",
    "predict_partitions",
    "read_dask_table",
    "train_table",
]
