"""scikit-learn's own estimator checks, run on both estimators."""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    parametrize_with_checks,
)

from lucidnet import MLPClassifier, MLPRegressor

# The instances scikit-learn itself uses for its MLP checks (max_iter=100), made
# deterministic.
ESTIMATORS = [
    MLPClassifier(max_iter=100, random_state=0),
    MLPRegressor(max_iter=100, random_state=0),
    # Full-batch L-BFGS, as scikit-learn checks its own MLP with solver="lbfgs". alpha=0.1
    # keeps the logits moderate on the checks' separable blobs: with alpha=1e-4 L-BFGS
    # drives softmax logit gaps past ~745, where e^(z − max) underflows to 0, so
    # check_classifiers_train's np.log(predict_proba) is -inf where our predict_log_proba
    # (z − logsumexp z, from the logits) is finite and right. scikit-learn passes only
    # because its predict_log_proba is np.log(predict_proba), -inf included.
    MLPClassifier(solver="lbfgs", alpha=0.1, max_iter=100, random_state=0),
    MLPRegressor(solver="lbfgs", max_iter=100, random_state=0),
]


def expected_failed_checks(estimator):
    # Every entry carries its reason; scikit-learn's own MLP needs none, and neither do we
    # so far.
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_dataframe_column_names_consistency(estimator):
    check_dataframe_column_names_consistency(type(estimator).__name__, estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)
