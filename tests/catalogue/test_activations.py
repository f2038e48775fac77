"""Activations: values against mpmath, derivatives against central finite differences, the ReLU kink,
batch mode, PyTorch's variants (GELU's tanh form, softplus with β and a threshold) against their closed
forms and against torch itself, and the sheet's wrong sigmoid/tanh link refuted."""

from __future__ import annotations

import math

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import plain, run_main
from dlcalc.catalogue import activations as act
from dlcalc.core.proof import prove_statement

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


def test_the_slip_in_the_tanh_sigmoid_link_is_refuted():
    """tanh(x) = 2σ(x) − 1, the slip E31's missing formula invites (the identity itself is proven by test_verify);
    the sheet states no formula, so this is the test's statement, not a declared sheet version."""
    import sympy

    x = sympy.Symbol("x", real=True)
    assert not prove_statement(lambda: (sympy.tanh(x).rewrite(sympy.exp), 2 / (1 + sympy.exp(-x)) - 1)).proven


# ---- PyTorch's variants: GELU's tanh approximation, softplus with β and a threshold ----------------


def gelu_tanh_reference(x):
    """½x(1 + tanh(√(2/π)(x + 0.044715x³))) (Hendrycks & Gimpel 2016, §2), in 600 digits: 1 + tanh u
    cancels down to e^{2u} in the left tail (1e-48 at x = −11, 1e-192 at x = −18)."""
    with mpmath.workdps(600):
        x = mpmath.mpf(x)
        return +(x / 2 * (1 + mpmath.tanh(mpmath.sqrt(2 / mpmath.pi) * (x + mpmath.mpf("0.044715") * x**3))))


def gelu_tanh_slope_reference(x):
    """d/dx ½x(1 + tanh u) = ½(1 + tanh u) + ½x·sech²(u)·√(2/π)(1 + 3·0.044715x²), by hand, in 600 digits."""
    with mpmath.workdps(600):
        x, k, c = mpmath.mpf(x), mpmath.mpf("0.044715"), mpmath.sqrt(2 / mpmath.pi)
        u = c * (x + k * x**3)
        return +((1 + mpmath.tanh(u)) / 2 + x / 2 * mpmath.sech(u) ** 2 * c * (1 + 3 * k * x**2))


def softplus_reference(x, beta, threshold):
    """nn.Softplus as its documentation defines it: (1/β)·log(1 + exp(βx)), x where βx > threshold."""
    if beta * x > threshold:  # the switch compares the float product, as PyTorch does
        return mpmath.mpf(x)
    with mpmath.workdps(600):  # 1 + e^{βx} keeps e^{βx} (1e-40 at βx = −90) only with enough digits
        x, beta = mpmath.mpf(x), mpmath.mpf(beta)
        return +(mpmath.log(1 + mpmath.exp(beta * x)) / beta)


def one_value(command, *options):
    return float(plain([command, *options]))


@given(st.floats(-30, 30))
@settings(max_examples=150, deadline=None)
def test_gelu_tanh_value_and_derivative_against_the_closed_form(x):
    assert act.per_function(act.activation_value, "gelu", x, 0.1, "tanh") == pytest.approx(
        float(gelu_tanh_reference(x)), rel=1e-12, abs=1e-300)
    slope = gelu_tanh_slope_reference(x)
    assert act.per_function(act.activation_derivative, "gelu", x, 0.1, 0.0, "tanh") == pytest.approx(
        float(slope), rel=1e-9, abs=1e-300)


@given(st.floats(-30, 30), st.sampled_from([0.5, 1.0, 2.0, 7.5]), st.sampled_from([math.inf, 20.0, 1.0, 0.0]))
@settings(max_examples=150, deadline=None)
def test_softplus_beta_threshold_value_and_derivative_against_the_closed_form(x, beta, threshold):
    value = act.per_function(act.activation_value, "softplus", x, 0.1, "none", beta, threshold)
    assert value == pytest.approx(float(softplus_reference(x, beta, threshold)), rel=1e-12, abs=1e-300)
    slope = 1.0 if beta * x > threshold else float(1 / (1 + mpmath.exp(-beta * mpmath.mpf(x))))
    assert act.per_function(act.activation_derivative, "softplus", x, 0.1, 0.0, "none", beta, threshold) == \
        pytest.approx(slope, rel=1e-12, abs=1e-300)


def test_the_variants_match_pytorch():
    torch = pytest.importorskip("torch")
    xs = [-9.0, -2.5, -0.3, 0.0, 0.7, 3.0, 12.0]
    for x in xs:
        point = torch.tensor([x], dtype=torch.float64, requires_grad=True)
        value = torch.nn.functional.gelu(point, approximate="tanh")
        value.backward()
        # torch computes ½x(1 + tanh u), which cancels in the left tail (0.0 at x = −9 for −2e-28): abs=1e-14
        assert one_value("activation", "--fn", "gelu", "--x", x, "--approximate", "tanh") == pytest.approx(
            value.item(), rel=1e-12, abs=1e-14)
        assert one_value("activation-grad", "--fn", "gelu", "--x", x, "--approximate", "tanh") == pytest.approx(
            point.grad.item(), rel=1e-12, abs=1e-14)
        for beta, threshold in ((1.0, 20.0), (2.0, 1.0), (0.5, 3.0)):
            point = torch.tensor([x], dtype=torch.float64, requires_grad=True)
            value = torch.nn.Softplus(beta=beta, threshold=threshold)(point)
            value.backward()
            options = ["--fn", "softplus", "--x", x, "--beta", beta, "--threshold", threshold]
            assert one_value("activation", *options) == pytest.approx(value.item(), rel=1e-14, abs=1e-300)
            assert one_value("activation-grad", *options) == pytest.approx(point.grad.item(), rel=1e-12, abs=1e-300)


def test_the_variants_default_to_the_exact_functions():
    assert one_value("activation", "--fn", "gelu", "--x", 1) == pytest.approx(float(REFERENCE["gelu"](mpmath.mpf(1), 0)), rel=1e-15)
    # without --threshold softplus stays exact above PyTorch's 20: log(1 + e^25) = 25 + 1.4e-11
    exact = one_value("activation", "--fn", "softplus", "--x", 25)
    assert exact == pytest.approx(float(softplus_reference(25, 1, math.inf)), rel=1e-15) and exact != 25.0
    assert one_value("activation", "--fn", "softplus", "--x", 25, "--threshold", 20) == 25.0
    refused = run_main(["activation", "--fn", "softplus", "--x", "1", "--beta", "0"])
    assert refused.code == 2 and "--beta must be > 0" in refused.err


def test_batch_evaluates_the_variants_per_row(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"fn": "gelu", "x": 1, "approximate": "tanh"}\n{"fn": "gelu", "x": 1}\n'
                    '{"fn": "softplus", "x": 30, "threshold": 20}\n{"fn": "softplus", "x": 30}\n'
                    '{"fn": "softplus", "x": 1, "beta": 2}\n')
    rows = [float(v) for v in run_main(["activation", "--batch", str(path)]).out.split()]
    assert rows == pytest.approx([float(gelu_tanh_reference(1)), float(REFERENCE["gelu"](mpmath.mpf(1), 0)), 30.0,
                                  float(softplus_reference(30, 1, math.inf)), float(softplus_reference(1, 2, math.inf))],
                                 rel=1e-14)
    assert rows[3] != 30.0  # the row without a threshold is the exact value


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


def test_the_sigmoid_jacobian_is_bounded():
    run = run_main(["sigmoid-jacobian", "--z", ",".join(["0"] * 1001)])  # would print 1,002,001 numbers
    assert run.code == 2 and "at most 1,000" in run.err
