"""scikit-learn's own estimator checks, run on both estimators."""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    parametrize_with_checks,
)

from lucidnet import MLPClassifier, MLPRegressor

# Every solver on its DEFAULT parameters, made deterministic (random_state=0) and given
# the max_iter=100 scikit-learn itself uses when it checks its MLP. None is tuned to pass:
# the L-BFGS classifier drives softmax logit gaps past ~745 on the checks' separable blobs,
# where e^(z − max) underflows, and passes because predict_proba is exp(predict_log_proba)
# (tests/estimators/test_api.py::test_predict_proba_is_exp_of_predict_log_proba).
ESTIMATORS = [
    Estimator(solver=solver, max_iter=100, random_state=0)
    for solver in ("adam", "sgd", "adamw", "lbfgs")
    for Estimator in (MLPClassifier, MLPRegressor)
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
