"""Shared helpers of the Python suite. The suite tests the installed
package (``pip install ./python``), run from any directory; the reference
data are the repository's ``tests/data``."""

import json
import math
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFERENCE = os.path.join(ROOT, "tests", "data", "torch_log_prob_f64.json")


def _number(x):
    return -math.inf if x == "-inf" else (math.inf if x == "inf" else float(x))


@pytest.fixture(scope="session")
def reference_cases():
    """The PyTorch-f64 and closed-form log-densities of tests/data."""
    with open(REFERENCE) as f:
        cases = json.load(f)["cases"]
    out = []
    for c in cases:
        c = dict(c)
        c["logits"] = [_number(v) for v in c["logits"]]
        c["value"] = [_number(v) for v in c["value"]]
        c["log_value"] = [_number(v) for v in c["log_value"]]
        for key in ("log_prob", "exp_log_prob", "closed_form_log_prob"):
            if isinstance(c.get(key), str):
                c[key] = _number(c[key])
        out.append(c)
    assert len(out) > 10
    return out
