"""Losses and softmax: stability at large logits, gradients against finite differences, Huber's
continuity, label smoothing's bound, and the identities' usual slips refuted (the softmax Jacobian without −ssᵀ)."""

from __future__ import annotations

import json
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_main
from dlcalc.catalogue import losses
from dlcalc.deriv import finite_diff
from dlcalc.core.proof import prove_statement

mpmath.mp.dps = 50

logits = st.lists(st.floats(-50, 50), min_size=2, max_size=6)


@given(logits)
@settings(max_examples=100, deadline=None)
def test_logsumexp_and_softmax_against_mpmath(z):
    exact = mpmath.log(sum(mpmath.exp(mpmath.mpf(v)) for v in z))
    assert losses.logsumexp(z) == pytest.approx(float(exact), rel=1e-13, abs=1e-13)
    probs = losses.softmax(z)
    assert probs == pytest.approx([float(mpmath.exp(mpmath.mpf(v) - exact)) for v in z], rel=1e-12, abs=1e-300)


def test_softmax_survives_huge_logits():
    assert run_main(["softmax", "--z", "1000,1001"]).out.strip() == ",".join(
        repr(float(x)) for x in (1 / (1 + mpmath.e), mpmath.e / (1 + mpmath.e)))


@given(logits, st.integers(0, 5))
@settings(max_examples=60, deadline=None)
def test_softmax_ce_gradient_against_finite_differences(z, index):
    index = index % len(z)
    result = losses.softmax_cross_entropy(tuple(z), (float(index),))

    def loss(points):  # a batch of logit columns (B, n, 1) -> the loss at each (B, 1, 1)
        return np.array([losses.softmax_cross_entropy(tuple(p[:, 0]), (float(index),)).value
                         for p in points])[:, None, None]

    slopes = finite_diff.jacobian(loss, np.array(z, dtype=float)[:, None])[0, 0, :, 0]
    for i, slope in enumerate(slopes):
        assert result.extra["gradient"][i] == pytest.approx(slope, abs=1e-5)


def test_bce_matches_the_definition_and_its_gradient():
    for z, y in [(2.0, 1.0), (-3.0, 0.0), (0.5, 0.3), (40.0, 0.0)]:
        s = 1 / (1 + math.exp(-z))
        record = json.loads(run_main(["bce", "--logit", str(z), "--y", str(y), "--json"]).out)
        definition = -y * math.log(s) - (1 - y) * math.log1p(-s) if s < 1 else float(40.0)
        assert record["result"] == pytest.approx(definition, rel=1e-9)
        assert record["gradient"] == pytest.approx(s - y, abs=1e-15)


def test_huber_is_continuous_at_delta_and_other_losses():
    delta = 1.5
    below = losses.regression_loss((delta - 1e-9,), (0.0,), "huber", delta)
    above = losses.regression_loss((delta + 1e-9,), (0.0,), "huber", delta)
    assert below == pytest.approx(above, abs=1e-8) and below == pytest.approx(0.5 * delta**2)
    pred, target = np.array([1.0, -2.0, 0.5]), np.array([0.0, 1.0, 0.5])
    assert losses.regression_loss(tuple(pred), tuple(target), "mse", 1.0) == pytest.approx(np.mean((pred - target) ** 2))
    assert losses.regression_loss(tuple(pred), tuple(target), "mae", 1.0) == pytest.approx(np.mean(np.abs(pred - target)))


def test_label_smoothing_sums_to_one():
    values = json.loads(run_main(["label-smoothing", "--classes", "10", "--index", "3", "--eps", "0.1", "--json"]).out)["result"]
    assert math.fsum(values) == pytest.approx(1.0) and values[3] == pytest.approx(0.91)


def _softmax_of_three_logits():
    import sympy

    z = sympy.symbols("z1:4", real=True)
    total = sum(sympy.exp(v) for v in z)
    return sympy.Matrix([sympy.exp(v) / total for v in z])


def test_wrong_versions_of_the_identities_are_refuted():
    """The identities are proven once, by test_verify; here the usual slips must fail to prove."""
    import sympy

    lhs, rhs = losses.softmax_jacobian_statement()
    s = _softmax_of_three_logits()
    assert not prove_statement(lambda: (lhs, rhs + s * s.T)).proven  # diag(s) alone: the −ssᵀ dropped
    lhs, rhs = losses.softmax_ce_gradient_statement()
    assert not prove_statement(lambda: (lhs, -rhs)).proven  # y − softmax(z): the sign flipped
    lhs, rhs = losses.logsumexp_shift_statement()
    assert not prove_statement(lambda: (lhs, rhs - sympy.Symbol("m", real=True))).proven  # m not added back


def test_label_smoothing_is_bounded():
    run = run_main(["label-smoothing", "--classes", "1000000000", "--index", "0"])
    assert run.code == 2 and "--classes: must be at most 1,000,000" in run.err
