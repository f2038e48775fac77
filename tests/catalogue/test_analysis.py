"""Analysis: GD rates against running GD, the best step against a grid search, Cauchy–Schwarz
on random vectors, and the Taylor/log-trick identities (and a wrong remainder refuted)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_main
from dlcalc.catalogue import analysis_functions as functions
from dlcalc.catalogue import analysis_grids as grids
from dlcalc.catalogue import analysis_rates as rates
from dlcalc.core.proof import prove_equal, prove_matrices_equal


def record(args):
    run = run_main([*args, "--json"])
    assert run.code in (0, 1), run.err
    return json.loads(run.out)


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
    result = record(["gd-rate", "--mu", "1", "--L", "50", "--eps", "1e-6"])["result"]
    assert result["rate"] == pytest.approx(0.98) and result["kappa"] == 50.0
    for k in range(1, result["iterations"] + 1):
        x = x - eigenvalues * x / L
        assert 0.5 * np.sum(eigenvalues * x**2) <= (1 - mu / L) ** k * f0 * (1 + 1e-12)
    assert 0.5 * np.sum(eigenvalues * x**2) / f0 <= 1e-6


def test_best_step_against_a_grid_search():
    mu, L = 1.0, 50.0
    etas = np.linspace(0.001, 2 / L, 200_001)
    worst = np.maximum(np.abs(1 - etas * mu), np.abs(1 - etas * L))
    result = record(["best-step", "--mu", "1", "--L", "50"])["result"]
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
    result = record(["cauchy-schwarz-expectation", "--x", "1,-1", "--y", "1,-1"])
    assert result["result"] == {"lhs": 1.0, "bound": 1.0} and result["sheet_bound"] == 0.0


def test_lipschitz_constant_is_attained_and_never_exceeded():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(4, 3))
    constant = record(["lipschitz", "--matrix", json.dumps(a.tolist())])["result"]
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
    assert math.isclose(record(["gd-rate", "--mu", "1", "--L", "10", "--k", "3"])["result"]["bound"], 0.9**3)


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


def test_pl_check_against_a_direct_grid_evaluation():
    """x² + 3 sin²x: PL with μ = 1/32 (catalogue ANA-SC⟹PL), not with μ = 1; not convex (f'' < 0 at π/2)."""
    xs = np.linspace(-5, 5, 201)
    gap = 0.5 * (2 * xs + 3 * np.sin(2 * xs)) ** 2 - (xs**2 + 3 * np.sin(xs) ** 2) / 32
    assert gap.min() >= 0
    assert run_main(["pl-check", "--f", "x**2 + 3*sin(x)**2", "--vars", "x", "--mu", "0.03125"]).code == 0
    assert run_main(["pl-check", "--f", "x**2 + 3*sin(x)**2", "--vars", "x", "--mu", "1"]).code == 1
    saddle = json.loads(run_main(["hessian", "--f", "x**2 + 3*sin(x)**2", "--vars", "x", "--at", str(math.pi / 2), "--json"]).out)
    assert saddle["result"] == "negative definite" and saddle["hessian"][0][0] == pytest.approx(2 - 6)


# ---- ANA-STRICT and ANA-LOCGLOB --------------------------------------------------------------------


@pytest.mark.parametrize("f, strict, minimisers, where", [
    ("exp(x)", True, 0, []),
    ("(x - 1)**2", True, 1, [1.0]),
    ("x**4", True, 1, [0.0]),  # f'' = 0 at one point only: still strictly convex
    ("log(1 + exp(x))", True, 0, []),  # softplus: strictly convex, infimum 0 never reached
    ("cosh(x - 0.3)", True, 1, [0.3]),
    ("cos(x)", False, 2, [-math.pi, math.pi]),
    ("abs(x)**3 - 3*x**2", False, 2, [-2.0, 2.0]),
    ("abs(x - 1)", False, 1, [1.0]),  # convex, not strictly; its minimiser sits on the kink, where f' jumps over 0
])
def test_strict_convexity_against_closed_forms(f, strict, minimisers, where):
    run = run_main(["strict-convexity", "--f", f, "--json"])
    out = json.loads(run.out)
    assert run.code == 0
    assert out["result"] == {"strictly_convex": strict, "minimisers": minimisers}
    assert out["at"] == pytest.approx(where, abs=1e-9)
    # brute force: the grid minimum of f is at the single minimiser, or at an edge when there is none
    xs = np.linspace(-5, 5, 100_001)
    values = {"exp(x)": np.exp(xs), "(x - 1)**2": (xs - 1) ** 2, "x**4": xs**4, "log(1 + exp(x))": np.log1p(np.exp(xs)),
              "cosh(x - 0.3)": np.cosh(xs - 0.3), "cos(x)": np.cos(xs), "abs(x)**3 - 3*x**2": np.abs(xs) ** 3 - 3 * xs**2,
              "abs(x - 1)": np.abs(xs - 1)}[f]
    if strict and minimisers == 0:
        assert values.argmin() in (0, len(xs) - 1)
    if strict and minimisers == 1:
        assert xs[values.argmin()] == pytest.approx(where[0], abs=1e-4)


def test_strict_convexity_refutes_two_minimisers_if_the_verdict_were_wrong(monkeypatch):
    """The claim is a theorem: force 'strictly convex' on cos to see the check would exit 1."""
    monkeypatch.setattr(grids, "_hessian_function", lambda expression, symbols: lambda x: np.array([[1.0]]))
    assert run_main(["strict-convexity", "--f", "cos(x)"]).code == 1


def test_local_global_on_a_double_well_and_a_convex_bowl():
    well = json.loads(run_main(["local-global", "--f", "x**4 - 2*x**2 + 0.5*x", "--vars", "x", "--x0", "1", "--json"]).out)
    roots = np.sort(np.roots([4, 0, -4, 0.5]).real)  # stationary points, independently
    assert well["result"]["x"] == f"{roots[2]:.6g}" and not well["result"]["global"]
    assert well["grid_min"] == pytest.approx(roots[0] ** 4 - 2 * roots[0] ** 2 + 0.5 * roots[0], abs=0.01)  # grid step 0.1
    left = json.loads(run_main(["local-global", "--f", "x**4 - 2*x**2 + 0.5*x", "--vars", "x", "--x0", "-0.5", "--json"]).out)
    assert left["result"]["x"] == f"{roots[0]:.6g}" and left["result"]["global"]
    rng = np.random.default_rng(0)
    for _ in range(3):
        start = rng.uniform(-3, 3, size=2)
        bowl = run_main(["local-global", "--f", "(x - 1)**2 + (x - y)**2 + exp(y)", "--vars", "x,y",
                         "--x0", ",".join(map(repr, start.tolist())), "--json"])
        out = json.loads(bowl.out)
        assert bowl.code == 0 and out["result"]["local"] and out["result"]["global"] and out["result"]["convex"]


def test_local_global_refuted_if_convexity_were_wrongly_claimed(monkeypatch):
    monkeypatch.setattr(grids, "min_curvature", lambda hessian_at, grid: 0.0)
    run = run_main(["local-global", "--f", "x**4 - 2*x**2 + 0.5*x", "--vars", "x", "--x0", "1"])
    assert run.code == 1


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
            bound = record(["gd-rate", "--mu", repr(mu), "--L", repr(big_l), "--k", str(k)])["result"]["bound"]
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


def test_hessian_mu_is_the_strong_convexity_constant():
    """f = x² + xy + 2y²: H = [[2,1],[1,4]], μ = λ_min = 3 − √2; the strong-convexity inequality holds with μ
    and fails with a larger constant along the eigenvector of λ_min."""
    mu = record(["hessian", "--f", "x**2 + x*y + 2*y**2", "--vars", "x,y", "--at", "0,0"])["mu"]
    assert mu == pytest.approx(3 - math.sqrt(2))
    h = np.array([[2.0, 1.0], [1.0, 4.0]])
    f, grad = (lambda p: 0.5 * p @ h @ p), (lambda p: h @ p)
    rng = np.random.default_rng(0)
    for _ in range(200):
        x, y = rng.normal(size=2) * 3, rng.normal(size=2) * 3
        assert f(y) >= f(x) + grad(x) @ (y - x) + mu / 2 * (y - x) @ (y - x) - 1e-9
    d = np.linalg.eigh(h)[1][:, 0]
    assert f(d) < f(0 * d) + (mu + 0.05) / 2 * d @ d


# ---- ANA-CVXFN, ANA-CVXSET, ANA-CONIC, ANA-MAX, ANA-LSMOOTH ----------------------------------------


@pytest.mark.parametrize("f, vars, convex", [
    ("x**2 + abs(y)", "x,y", True), ("exp(x) + y**2", "x,y", True), ("log(1 + exp(x))", "x", True),
    ("abs(x - y)", "x,y", True), ("sin(x)", "x", False), ("x**3", "x", False), ("x**2 - y**2", "x,y", False),
    ("x*y", "x,y", False)])
def test_convexity_check_on_known_functions_and_witnesses_recomputed(f, vars, convex):
    result = record(["convexity-check", "--f", f, "--vars", vars, "--points", "21"])
    assert result["result"] is convex
    if not convex:  # recompute the witness's gap with plain Python
        x, y, lam = result["witness"]
        names = vars.split(",")
        value = lambda p: eval(f, {"sin": math.sin, "abs": abs}, dict(zip(names, p)))  # noqa: E731
        z = [lam * a + (1 - lam) * b for a, b in zip(x, y)]
        assert lam * value(x) + (1 - lam) * value(y) - value(z) == pytest.approx(result["min_gap"])
        assert result["min_gap"] < 0


@pytest.mark.parametrize("relations, convex", [
    ("x**2 + y**2 <= 1", True), ("x**2 + y**2 <= 4; y >= x", True), ("y >= x**2", True), ("abs(x) + abs(y) <= 2", True),
    ("x**2 + y**2 >= 1", False), ("x*y >= 0", False), ("y <= x**2", False), ("abs(x) >= 1", False)])
def test_convex_set_check_on_known_sets_and_witnesses_recomputed(relations, convex):
    result = record(["convex-set-check", "--set", relations, "--vars", "x,y", "--points", "21"])
    assert result["result"] is convex
    if not convex:
        x, y, lam = result["witness"]
        z = [lam * a + (1 - lam) * b for a, b in zip(x, y)]

        def inside(p):
            env = {"x": p[0], "y": p[1], "abs": abs}
            return all(eval(r.strip(), env) for r in relations.split(";"))

        assert inside(x) and inside(y) and not inside(z)


def test_convexity_check_bad_input():
    assert run_main(["convex-set-check", "--set", "x < 1", "--vars", "x"]).code == 2
    assert run_main(["convex-set-check", "--set", "x**2 <= -1", "--vars", "x"]).code == 2  # empty set
    assert run_main(["convexity-check", "--f", "x", "--vars", "x,y", "--points", "100"]).code == 2  # 10⁴ points
    assert run_main(["convexity-check", "--f", "log(x)", "--vars", "x"]).code == 2  # not finite at x ≤ 0
    # sqrt(x·y) is undefined between the quadrants: such combinations count as outside the set
    assert record(["convex-set-check", "--set", "sqrt(x*y) <= 1", "--vars", "x,y", "--points", "9"])["result"] is False


def test_conic_combination_identity_and_negative_weights():
    assert not prove_equal(*grids.conic_statement(squared_beta=True)).proven
    assert run_main(["convexity-check", "--f", "2*x**2 + 3*exp(y)", "--vars", "x,y", "--points", "15"]).code == 0
    assert run_main(["convexity-check", "--f", "x**2 - 3*abs(x)", "--vars", "x"]).code == 1  # β = −3 < 0


def test_max_of_convex_functions_is_convex_but_min_is_not():
    assert not prove_equal(*grids.max_statement(drop_g_terms=True)).proven
    f, g = "x**2", "(x - 2)**2"  # max(f, g) = (f + g + |f − g|)/2, min(f, g) = (f + g − |f − g|)/2
    assert run_main(["convexity-check", "--f", f"({f} + {g} + abs({f} - {g}))/2", "--vars", "x"]).code == 0
    assert run_main(["convexity-check", "--f", f"({f} + {g} - abs({f} - {g}))/2", "--vars", "x"]).code == 1


def test_descent_lemma_identity_and_a_gd_step_on_a_smooth_function():
    assert not prove_equal(*rates.descent_lemma_statement(half=False)).proven
    # f = log(1 + eˣ) + x²/2: f'' = σ(1 − σ) + 1 ≤ 5/4 = L; one GD step with η = 1/L from several points
    big_l = 1.25
    f = lambda x: math.log1p(math.exp(x)) + x * x / 2  # noqa: E731
    df = lambda x: 1 / (1 + math.exp(-x)) + x  # noqa: E731
    for x0 in (-3.0, -0.5, 0.0, 1.0, 4.0):
        x1 = record(["gd", "--f", "log(1 + exp(x)) + x**2/2", "--vars", "x", "--x0", repr(x0), "--eta", repr(1 / big_l),
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
