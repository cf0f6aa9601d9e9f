"""scikit-learn's own Array-API checks pass: the estimators declare ``array_api_support``.

scikit-learn runs them only with ``SCIPY_ARRAY_API=1`` set before SciPy is imported, so
they run here in a fresh interpreter with it (the rest of the suite keeps SciPy's default).
The checks: ``check_array_api_input`` for every namespace and device present (NumPy,
array-api-strict on two devices, PyTorch CPU in float64 and float32), the same with values
compared to NumPy's (``check_array_api_input_and_values``), mixed namespaces (X on PyTorch,
y and sample_weight on array-api-strict), and the refusal of a predict namespace other than
fit's under ``array_api_dispatch``. Devices that are absent (CUDA, MPS, CuPy) are skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from sklearn.utils import get_tags

from lucidnet import MLPClassifier, MLPRegressor

SCRIPT = textwrap.dedent(
    """
    import json, traceback, warnings
    from functools import partial
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.utils._testing import SkipTest
    from sklearn.utils.estimator_checks import (
        _yield_array_api_checks,
        check_array_api_input_and_values,
    )
    from lucidnet import MLPClassifier, MLPRegressor

    warnings.simplefilter("error")
    warnings.simplefilter("ignore", ConvergenceWarning)
    results = {}
    for est in (MLPClassifier(max_iter=100, random_state=0),
                MLPRegressor(max_iter=100, random_state=0)):
        name = type(est).__name__
        checks = list(_yield_array_api_checks(est))
        for ns, device in (("array_api_strict", "CPU_DEVICE"), ("torch", "cpu")):
            checks.append(partial(check_array_api_input_and_values,
                                  array_namespace=ns, device_name=device))
        for check in checks:
            key = name + " " + check.func.__name__ + " " + repr(sorted(check.keywords.items()))
            try:
                check(name, est)
                results[key] = "ok"
            except SkipTest as exc:
                results[key] = "skip: " + str(exc)
            except Exception:
                results[key] = "FAIL: " + traceback.format_exc()
    print("RESULTS " + json.dumps(results))
    """
)


def test_tags_declare_array_api_support():
    assert get_tags(MLPClassifier()).array_api_support
    assert get_tags(MLPRegressor()).array_api_support
    assert not get_tags(MLPClassifier(solver="lbfgs")).array_api_support  # SciPy's L-BFGS


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_scikit_learns_array_api_checks_pass():
    env = {**os.environ, "SCIPY_ARRAY_API": "1"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    line = next(s for s in done.stdout.splitlines() if s.startswith("RESULTS "))
    results = json.loads(line.removeprefix("RESULTS "))
    failures = {k: v for k, v in results.items() if v.startswith("FAIL")}
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
    ran = [k for k, v in results.items() if v == "ok"]
    for estimator in ("MLPClassifier", "MLPRegressor"):
        mine = [k for k in ran if k.startswith(estimator)]
        assert any("array_api_strict" in k and "device1" in k for k in mine)
        assert any("check_array_api_same_namespace" in k for k in mine)
        assert any("check_array_api_input_and_values" in k for k in mine)
        try:
            import torch  # noqa: F401
        except ImportError:
            continue
        assert any("'torch'" in k and "'cpu'" in k and "float32" in k for k in mine)
        assert any("check_array_api_mixed_inputs" in k for k in mine)
