"""Activations: values against mpmath, derivatives against central finite differences, the ReLU kink,
batch mode, and the sigmoid/tanh identities (a wrong link refuted)."""

from __future__ import annotations

import math

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_main
from dlcalc.catalogue import activations as act
from dlcalc.core.proof import prove_equal

mpmath.mp.dps = 50

REFERENCE = {
    "relu": lambda x, a: max(x, 0),
    "leaky-relu": lambda x, a: x if x > 0 else a * x,
    "sigmoid": lambda x, a: 1 / (1 + mpmath.exp(-x)),
    "tanh": lambda x, a: mpmath.tanh(x),
    "softplus": lambda x, a: mpmath.log(1 + mpmath.exp(x)),
    "gelu": lambda x, a: x * mpmath.erfc(-x / mpmath.sqrt(2)) / 2,
    "silu": lambda x, a: x / (1 + mpmath.exp(-x)),
    "elu": lambda x, a: x if x > 0 else a * mpmath.expm1(x),
}


@given(st.sampled_from(act.FUNCTIONS), st.floats(-30, 30))
@settings(max_examples=300, deadline=None)
def test_values_against_mpmath(fn, x):
    expected = float(REFERENCE[fn](mpmath.mpf(x), mpmath.mpf(0.1)))
    assert act.per_function(act.activation_value, fn, x, 0.1) == pytest.approx(expected, rel=1e-12, abs=1e-300)


@given(st.sampled_from(act.FUNCTIONS), st.floats(-8, 8).filter(lambda x: abs(x) > 1e-3))
@settings(max_examples=300, deadline=None)
def test_derivatives_against_finite_differences(fn, x):
    h = 1e-6
    slope = (REFERENCE[fn](mpmath.mpf(x) + h, 0.1) - REFERENCE[fn](mpmath.mpf(x) - h, 0.1)) / (2 * h)
    assert act.per_function(act.activation_derivative, fn, x, 0.1, 0.0) == pytest.approx(float(slope), rel=1e-6, abs=1e-9)


def test_relu_kink_is_reported_and_follows_the_convention():
    assert run_main(["activation-grad", "--fn", "relu", "--x", "0"]).out == "0.0\n"
    assert run_main(["activation-grad", "--fn", "relu", "--x", "0", "--at-kink", "1"]).out == "1.0\n"
    # One-sided derivatives at 0 differ (E32): the function is not differentiable there.
    left = (0 - max(-1e-9, 0)) / 1e-9
    right = (max(1e-9, 0) - 0) / 1e-9
    assert (left, right) == (0.0, 1.0)


def test_batch_mixes_functions_per_row(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("fn,x\nsigmoid,0\ntanh,1\nrelu,-3\ngelu,1\n")
    out = run_main(["activation", "--batch", str(path)]).out.split()
    assert [float(v) for v in out] == pytest.approx([0.5, math.tanh(1), 0.0, float(REFERENCE["gelu"](mpmath.mpf(1), 0))])


@pytest.mark.parametrize("build", [act.tanh_derivative_statement, act.sigmoid_derivative_statement, act.logit_statement,
                                   act.sigmoid_tanh_derivative_statement, act.sigmoid_symmetry_statement, act.tanh_sigmoid_link_statement])
def test_identities_prove(build):
    assert prove_equal(*build()).proven


def test_wrong_tanh_sigmoid_link_is_refuted():
    assert not prove_equal(*act.tanh_sigmoid_link_statement(sheet_wrong=True)).proven


def test_sigmoid_jacobian_against_finite_differences():
    import json

    import numpy as np

    from dlcalc.deriv import finite_diff

    z = np.array([-3.0, -0.2, 0.0, 1.5, 7.0])
    run = run_main(["sigmoid-jacobian", "--z", ",".join(map(repr, z.tolist())), "--json"])
    got = np.array(json.loads(run.out)["result"])

    def vector_sigmoid(points):  # (B, 5, 1) -> (B, 5, 1), written here with exp
        return 1 / (1 + np.exp(-points))

    numeric = finite_diff.jacobian(vector_sigmoid, z[:, None])[:, 0, :, 0]
    assert got.shape == (5, 5)
    assert np.allclose(got, numeric, atol=1e-9)
    assert np.count_nonzero(got - np.diag(np.diag(got))) == 0  # elementwise map: diagonal
    # a wrong Jacobian (σ(z)σ(z)ᵀ, the softmax-like outer product) is far from it
    s = 1 / (1 + np.exp(-z))
    assert not np.allclose(np.diag(s) - np.outer(s, s), numeric, atol=1e-3)


@given(st.floats(-700, 700))
@settings(max_examples=80, deadline=None)
def test_sigmoid_value_is_the_logistic_function_in_the_open_unit_interval(x):
    """ACT-SIG: σ(x) = 1/(1 + e^{−x}) ∈ (0, 1), evaluated without overflow at large |x|."""
    run = run_main(["activation", "--fn", "sigmoid", "--x", repr(x)])
    value = float(run.out)
    exact = 1 / (1 + mpmath.exp(-mpmath.mpf(x)))
    assert value == pytest.approx(float(exact), rel=1e-12, abs=1e-300)
    if abs(x) < 30:
        assert 0 < value < 1
