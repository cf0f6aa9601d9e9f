"""scikit-learn estimators built on the core network and the training loop."""

from lucidnet.estimators.classifier import MLPClassifier
from lucidnet.estimators.regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
