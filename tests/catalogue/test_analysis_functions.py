"""Analysis of functions given as expressions: Hessians against finite differences, gradient descent,
Lagrange multipliers and Jensen's inequality."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import run_json, run_main
from dlcalc.catalogue import analysis_functions as functions
from dlcalc.core.proof import prove_equal


# ---- expression-based commands ------------------------------------------------------------------


def test_hessian_against_finite_differences_and_classification():
    from dlcalc.deriv import finite_diff

    record = json.loads(run_main(["hessian", "--f", "x**4 + x*y + exp(y)", "--vars", "x,y", "--at", "1,0.5", "--json"]).out)

    def f(points):  # a batch of (2, 1) points -> (B, 1, 1) values
        x, y = points[:, 0, 0], points[:, 1, 0]
        return (x**4 + x * y + np.exp(y))[:, None, None]

    assert np.allclose(record["hessian"], finite_diff.hessian(f, np.array([[1.0], [0.5]])), atol=1e-5)
    assert record["result"] == "positive definite" and record["constant"] is False


def test_hessian_of_a_saddle_is_indefinite_and_constant():
    record = json.loads(run_main(["hessian", "--f", "x**2 - 3*y**2", "--vars", "x,y", "--at", "5,5", "--json"]).out)
    assert record["result"] == "indefinite" and record["constant"] is True and record["hessian"] == [[2.0, 0.0], [0.0, -6.0]]


def test_gd_command_matches_the_closed_form_on_a_quadratic():
    # f = (x − 1)² + 5y²: x_k − 1 = (1 − 2η)^k (x0 − 1), y_k = (1 − 10η)^k y0
    eta, k = 0.05, 30
    result = json.loads(run_main(["gd", "--f", "(x - 1)**2 + 5*y**2", "--vars", "x,y", "--x0", "3,2", "--eta", str(eta), "--steps", str(k), "--json"]).out)["result"]
    assert result == pytest.approx([1 + (1 - 2 * eta) ** k * 2, (1 - 10 * eta) ** k * 2], abs=1e-11)


def test_gd_reports_divergence_above_two_over_L():
    assert run_main(["gd", "--f", "x**2", "--vars", "x", "--x0", "1", "--eta", "1.5", "--steps", "2000"]).out.strip() == "diverged"


def test_lagrange_points_satisfy_the_constraint_and_stationarity():
    out = run_main(["lagrange", "--f", "x + 2*y", "--g", "x**2 + y**2", "--c", "5", "--vars", "x,y"]).out.strip()
    points = [dict(item.split("=") for item in part.split()) for part in out.split("; ")]
    assert len(points) == 2
    for p in points:
        x, y, g = (float(eval_simple(p[k])) for k in ("x", "y", "gamma"))
        assert x * x + y * y == pytest.approx(5)
        assert (1 - 2 * g * x, 2 - 2 * g * y) == pytest.approx((0, 0), abs=1e-12)


def eval_simple(text):
    """The points here are integers or simple fractions such as -1/2."""
    from fractions import Fraction

    return Fraction(text)


def test_jensen_claim_for_convex_and_concave_functions():
    rng = np.random.default_rng(5)
    x = rng.uniform(0.1, 5, size=6)
    w = rng.dirichlet(np.ones(6))
    args = ["--x", ",".join(map(repr, x.tolist())), "--weights", ",".join(map(repr, (w / w.sum()).tolist()))]
    convex = run_main(["jensen", "--f", "exp(x)", *args, "--json"])
    record = json.loads(convex.out)["result"]
    assert convex.code == 0 and record["f_of_mean"] == pytest.approx(math.exp(float(w @ x)))
    assert record["mean_of_f"] == pytest.approx(float(w @ np.exp(x)))
    assert run_main(["jensen", "--f", "sqrt(x)", *args]).code == 1


def test_first_order_gap_identity_and_a_wrong_factor():
    assert not prove_equal(*functions.first_order_gap_statement(strong=True)).proven


def test_hessian_mu_is_the_strong_convexity_constant():
    """f = x² + xy + 2y²: H = [[2,1],[1,4]], μ = λ_min = 3 − √2; the strong-convexity inequality holds with μ
    and fails with a larger constant along the eigenvector of λ_min."""
    mu = run_json(["hessian", "--f", "x**2 + x*y + 2*y**2", "--vars", "x,y", "--at", "0,0"])["mu"]
    assert mu == pytest.approx(3 - math.sqrt(2))
    h = np.array([[2.0, 1.0], [1.0, 4.0]])
    f, grad = (lambda p: 0.5 * p @ h @ p), (lambda p: h @ p)
    rng = np.random.default_rng(0)
    for _ in range(200):
        x, y = rng.normal(size=2) * 3, rng.normal(size=2) * 3
        assert f(y) >= f(x) + grad(x) @ (y - x) + mu / 2 * (y - x) @ (y - x) - 1e-9
    d = np.linalg.eigh(h)[1][:, 0]
    assert f(d) < f(0 * d) + (mu + 0.05) / 2 * d @ d
