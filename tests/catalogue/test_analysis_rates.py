"""Analysis rates and inequalities: GD rates against running GD, the best step against a grid search,
Cauchy–Schwarz on random vectors, Lipschitz constants, Taylor/log-trick/descent-lemma identities refuted
when altered, and issue 12's tiny μ/L and overflowing L + μ."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_json, run_main
from dlcalc.catalogue import analysis_rates as rates
from dlcalc.core.proof import prove_equal, prove_matrices_equal


@given(st.floats(0.001, 0.999), st.floats(1e-12, 0.9))
@settings(max_examples=200, deadline=None)
def test_iterations_are_the_smallest_k_by_brute_force(rate, eps):
    k = rates.linear_rate_iterations(rate, eps)
    assert rate**k <= eps
    assert k == 0 or rate ** (k - 1) > eps


def test_gd_rate_bound_holds_on_a_real_quadratic():
    """GD with η = 1/L on f = ½ Σ λ_i x_i², λ in [μ, L]: f(x_k) ≤ (1 − μ/L)^k f(x_0) (E13)."""
    mu, L = 1.0, 50.0
    eigenvalues = np.linspace(mu, L, 20)
    x = np.ones(20)
    f0 = 0.5 * np.sum(eigenvalues * x**2)
    result = run_json(["gd-rate", "--mu", "1", "--L", "50", "--eps", "1e-6"])["result"]
    assert result["rate"] == pytest.approx(0.98) and result["kappa"] == 50.0
    for k in range(1, result["iterations"] + 1):
        x = x - eigenvalues * x / L
        assert 0.5 * np.sum(eigenvalues * x**2) <= (1 - mu / L) ** k * f0 * (1 + 1e-12)
    assert 0.5 * np.sum(eigenvalues * x**2) / f0 <= 1e-6


def test_best_step_against_a_grid_search():
    mu, L = 1.0, 50.0
    etas = np.linspace(0.001, 2 / L, 200_001)
    worst = np.maximum(np.abs(1 - etas * mu), np.abs(1 - etas * L))
    result = run_json(["best-step", "--mu", "1", "--L", "50"])["result"]
    assert result["step"] == pytest.approx(etas[worst.argmin()], abs=1e-6)
    assert result["rate"] == pytest.approx(worst.min(), abs=1e-6)
    assert result["rate"] < result["rate_at_1_over_L"]  # E34: 1/L is not optimal


@given(st.lists(st.floats(-100, 100), min_size=1, max_size=6), st.integers(0, 1000))
@settings(max_examples=100, deadline=None)
def test_cauchy_schwarz_on_random_vectors(u, seed):
    v = np.random.default_rng(seed).normal(size=len(u)) * 10
    result = rates.cauchy_schwarz(tuple(u), tuple(v.tolist()))
    assert result.value["inner"] == pytest.approx(float(np.dot(u, v)), rel=1e-9, abs=1e-9)
    assert abs(result.value["inner"]) <= result.value["bound"] * (1 + 1e-12) + 1e-12
    assert result.exit_code == 0


def test_sheets_expectation_form_fails_where_the_correct_one_holds():
    result = run_json(["cauchy-schwarz-expectation", "--x", "1,-1", "--y", "1,-1"])
    assert result["result"] == {"lhs": 1.0, "bound": 1.0} and result["sheet_bound"] == 0.0


def test_lipschitz_constant_is_attained_and_never_exceeded():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(4, 3))
    constant = run_json(["lipschitz", "--matrix", json.dumps(a.tolist())])["result"]
    ratios = [np.linalg.norm(a @ x) / np.linalg.norm(x) for x in rng.normal(size=(20_000, 3))]
    assert max(ratios) <= constant * (1 + 1e-12)
    assert max(ratios) >= 0.97 * constant


def test_taylor_integral_remainder_and_the_lagrange_form_at_x0_refuted():
    assert not prove_equal(*rates.taylor_statement("lagrange-at-x0")).proven


def test_log_trick_and_a_wrong_version():
    lhs, rhs = rates.log_trick_statement()
    assert not prove_matrices_equal(lhs, 2 * rhs).proven


def test_mu_above_L_is_rejected():
    run = run_main(["gd-rate", "--mu", "3", "--L", "2"])
    assert run.code == 2 and "cannot exceed" in run.err
    assert math.isclose(run_json(["gd-rate", "--mu", "1", "--L", "10", "--k", "3"])["result"]["bound"], 0.9**3)


def test_every_declared_latex_is_printable():
    """A LaTeX string written without r"" loses \\t, \\a, \\b to control characters (\\text -> TAB + 'ext')."""
    from dlcalc.core import registry

    for formula in registry.formulas():
        assert formula.latex.isprintable(), formula.name


# ---- ANA-PL-RATE, ANA-CS-SUM, ANA-STRONG (covered by gd-rate, cauchy-schwarz, hessian) -------------


def test_pl_rate_bound_holds_for_gd_on_a_nonconvex_pl_function():
    """x² + 3sin²x: μ-PL with μ = 1/32, ∇f is L-Lipschitz with L = 8 (f'' = 2 + 6cos 2x), f* = 0, not convex."""
    mu, big_l = 1 / 32, 8.0
    f = lambda x: x**2 + 3 * math.sin(x) ** 2  # noqa: E731
    df = lambda x: 2 * x + 3 * math.sin(2 * x)  # noqa: E731
    for x0 in (-4.0, 2.5, 4.9):
        x = x0
        for k in range(1, 40):
            x -= df(x) / big_l
            bound = run_json(["gd-rate", "--mu", repr(mu), "--L", repr(big_l), "--k", str(k)])["result"]["bound"]
            assert bound == pytest.approx((1 - mu / big_l) ** k)
            assert f(x) <= bound * f(x0) + 1e-15
    assert run_main(["convexity-check", "--f", "x**2 + 3*sin(x)**2", "--vars", "x"]).code == 1


@given(st.lists(st.floats(-100, 100), min_size=1, max_size=6), st.integers(0, 100))
@settings(max_examples=60, deadline=None)
def test_cauchy_schwarz_squared_sum_form(u, seed):
    v = np.random.default_rng(seed).normal(size=len(u))
    result = rates.cauchy_schwarz(tuple(u), tuple(v.tolist())).value
    assert result["inner"] ** 2 <= (sum(a * a for a in u) * float(v @ v)) * (1 + 1e-9) + 1e-300
    assert result["bound"] ** 2 == pytest.approx(sum(a * a for a in u) * float(v @ v), rel=1e-9, abs=1e-300)
    parallel = rates.cauchy_schwarz((1.0, 2.0, 3.0), (-2.0, -4.0, -6.0)).value
    assert parallel["inner"] ** 2 == pytest.approx(14 * 56)  # equality for parallel vectors


def test_descent_lemma_identity_and_a_gd_step_on_a_smooth_function():
    assert not prove_equal(*rates.descent_lemma_statement(half=False)).proven
    # f = log(1 + eˣ) + x²/2: f'' = σ(1 − σ) + 1 ≤ 5/4 = L; one GD step with η = 1/L from several points
    big_l = 1.25
    f = lambda x: math.log1p(math.exp(x)) + x * x / 2  # noqa: E731
    df = lambda x: 1 / (1 + math.exp(-x)) + x  # noqa: E731
    for x0 in (-3.0, -0.5, 0.0, 1.0, 4.0):
        x1 = run_json(["gd", "--f", "log(1 + exp(x)) + x**2/2", "--vars", "x", "--x0", repr(x0), "--eta", repr(1 / big_l),
                     "--steps", "1"])["result"][0]
        assert x1 == pytest.approx(x0 - df(x0) / big_l)
        assert f(x1) <= f(x0) - df(x0) ** 2 / (2 * big_l) + 1e-12


# ---- issue 12: tiny μ/L, overflowing L + μ, empty matrices ---------------------------------------


def test_gd_rate_with_a_vanishing_mu_over_L_is_an_input_error():
    # 1 − 1e-300/2 rounds to 1: log(rate) was 0 and the count divided by it (ZeroDivisionError, exit 70)
    run = run_main(["gd-rate", "--mu", "1e-300", "--L", "2"])
    assert run.code == 2 and "2^53" in run.err and run.err.count("\n") == 1
    assert run_main(["gd-rate", "--mu", "1", "--L", "2", "--k", "-3"]).code == 2


def test_gd_rate_iterations_for_a_large_condition_number():
    """κ = 1e10: the smallest k with c^k ≤ ε, c the float 1 − 1e-10, checked in 50-digit arithmetic."""
    import mpmath

    record = json.loads(run_main(["gd-rate", "--mu", "1e-10", "--L", "1", "--json"]).out)["result"]
    k = record["iterations"]
    with mpmath.workdps(50):
        c, eps = mpmath.mpf(1 - 1e-10), mpmath.mpf(1e-6)
        assert c**k <= eps < c ** (k - 1)


def test_best_step_when_L_plus_mu_overflows():
    # 2/(L + μ) with L + μ = inf printed step=0.0 and rate=nan; the step is 2/L(1 + μ/L) ≈ 2e-308
    import mpmath

    record = json.loads(run_main(["best-step", "--mu", "1e308", "--L", "1.7e308", "--json"]).out)["result"]
    assert record["step"] == pytest.approx(float(2 / (mpmath.mpf("1.7e308") + mpmath.mpf("1e308"))), rel=1e-12)
    assert record["rate"] == pytest.approx(float((mpmath.mpf("1.7e308") - mpmath.mpf("1e308"))
                                                 / (mpmath.mpf("1.7e308") + mpmath.mpf("1e308"))), rel=1e-12)
