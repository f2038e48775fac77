"""Probability: each command against an independent method (exact fractions, NumPy's own
estimators, Monte Carlo, textbook moments), and each identity refuted when altered."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_main
from dlcalc.catalogue import probability_densities as densities
from dlcalc.catalogue import probability_moments as moments_module
from dlcalc.catalogue import probability_rules as rules
from dlcalc.core.proof import prove_equal


def value(args):
    run = run_main([*args, "--json"])
    assert run.code in (0, 1), run.err
    return json.loads(run.out)


def test_bayes_against_exact_fractions():
    prior, lik = [Fraction(1, 100), Fraction(99, 100)], [Fraction(9, 10), Fraction(1, 20)]
    evidence = sum(a * b for a, b in zip(prior, lik))
    exact = [a * b / evidence for a, b in zip(prior, lik)]
    assert exact[0] == Fraction(2, 13)
    result = value(["bayes", "--prior", "0.01,0.99", "--lik", "0.9,0.05"])["result"]
    assert result == pytest.approx([float(x) for x in exact], rel=1e-15)


def test_marginal_and_joint_are_inverse_operations():
    joint = np.array([[0.1, 0.2, 0.05], [0.3, 0.25, 0.1]])
    px = value(["marginal", "--joint", json.dumps(joint.tolist())])["result"]
    cond = joint / joint.sum(axis=1, keepdims=True)
    rebuilt = value(["joint", "--cond", json.dumps(cond.tolist()), "--marg", ",".join(map(str, px))])["result"]
    assert np.allclose(rebuilt, joint, atol=1e-12)
    assert value(["marginal", "--joint", json.dumps(joint.tolist()), "--of", "y"])["result"] == pytest.approx(joint.sum(axis=0).tolist())


def test_independence_claim_and_the_uncorrelated_counterexample():
    px, py = np.array([0.2, 0.8]), np.array([0.3, 0.3, 0.4])
    independent = run_main(["check-indep", "--joint", json.dumps(np.outer(px, py).tolist())])
    assert (independent.code, independent.out.strip()) == (0, "independent")
    # X uniform-ish on {-1, 0, 1}, Y = X^2: E[XY] = E[X^3] = 0 = E[X]E[Y], yet dependent.
    record = value(["check-indep", "--joint", "[[0,0.25],[0.5,0],[0,0.25]]", "--x-values", "-1,0,1", "--y-values", "0,1"])
    assert record["result"] is False and record["cov"] == 0.0
    assert run_main(["check-indep", "--joint", "[[0,0.25],[0.5,0],[0,0.25]]"]).code == 1


def test_moments_against_the_definition():
    values, probs = [1.0, 2.0, 7.0], [0.2, 0.5, 0.3]
    mean = sum(v * p for v, p in zip(values, probs))
    var = sum((v - mean) ** 2 * p for v, p in zip(values, probs))
    result = value(["moments", "--values", "1,2,7", "--probs", "0.2,0.5,0.3"])["result"]
    assert result == {"mean": pytest.approx(mean), "var": pytest.approx(var)}


def test_var_lin_against_simulation():
    cov = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, -0.3], [0.0, -0.3, 0.5]])
    a = np.array([1.0, -2.0, 3.0])
    rng = np.random.default_rng(2)
    samples = rng.multivariate_normal(np.zeros(3), cov, size=300_000)
    simulated = float(np.var(samples @ a))
    computed = value(["var-lin", "--a", "1,-2,3", "--cov", json.dumps(cov.tolist())])["result"]
    assert computed == pytest.approx(a @ cov @ a, rel=1e-12)
    assert computed == pytest.approx(simulated, rel=0.02)


def test_var_affine_against_numpy_cov_of_transformed_samples():
    A = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]])
    cov = np.array([[1.0, 0.3], [0.3, 2.0]])
    rng = np.random.default_rng(3)
    x = rng.multivariate_normal([0, 0], cov, size=200_000)
    computed = np.array(value(["var-affine", "--A", json.dumps(A.tolist()), "--cov", json.dumps(cov.tolist())])["result"])
    assert np.allclose(computed, np.cov((x @ A.T).T), rtol=0.03, atol=0.03)


@pytest.mark.parametrize("ddof", [0, 1])
def test_sample_cov_matches_numpy(ddof):
    rng = np.random.default_rng(4)
    samples = rng.normal(size=(7, 3))
    result = value(["sample-cov", "--samples", json.dumps(samples.tolist()), "--ddof", str(ddof)])
    assert np.allclose(result["result"], np.cov(samples.T, ddof=ddof), atol=1e-11)
    assert np.allclose(result["mean"], samples.mean(axis=0), atol=1e-11)


def test_mle_cov_is_biased_by_n_minus_1_over_n():
    """E06: the average of the MLE over many samples of size n is (n−1)/n σ²."""
    rng = np.random.default_rng(5)
    n = 5
    estimates = [moments_module.sample_cov(tuple((float(v),) for v in rng.normal(size=n)), 0).value[0][0] for _ in range(4000)]
    assert np.mean(estimates) == pytest.approx((n - 1) / n, abs=0.03)


def test_mvn_pdf_against_a_direct_formula():
    mu, cov, x = np.array([1.0, -1.0, 0.5]), np.array([[2.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 0.7]]), np.array([0.0, 0.2, 1.0])
    diff = x - mu
    direct = math.exp(-0.5 * diff @ np.linalg.inv(cov) @ diff) / math.sqrt((2 * math.pi) ** 3 * np.linalg.det(cov))
    args = ["--x", "0,0.2,1", "--mu", "1,-1,0.5", "--cov", json.dumps(cov.tolist())]
    assert value(["mvn-pdf", *args])["result"] == pytest.approx(direct, rel=1e-12)
    assert value(["mvn-pdf", *args, "--log"])["result"] == pytest.approx(math.log(direct), rel=1e-12)


def test_gauss_cond_against_regression_on_samples():
    """Conditional mean = the best linear predictor; conditional cov = the residual covariance."""
    cov = np.array([[2.0, 0.8, 0.3], [0.8, 1.5, -0.4], [0.3, -0.4, 1.0]])
    mu = np.array([1.0, 0.0, -1.0])
    rng = np.random.default_rng(6)
    s = rng.multivariate_normal(mu, cov, size=400_000)
    observed, rest = s[:, [0, 2]], s[:, [1]]
    design = np.column_stack([np.ones(len(s)), observed])
    coef, *_ = np.linalg.lstsq(design, rest, rcond=None)
    z = np.array([2.0, 0.5])
    predicted = coef[0] + z @ coef[1:]
    residual_var = np.var(rest - design @ coef)
    record = value(["gauss-cond", "--mu", "1,0,-1", "--cov", json.dumps(cov.tolist()), "--given", "0,2", "--z", "2,0.5"])
    assert record["result"]["mean"][0] == pytest.approx(predicted[0], abs=0.02)
    assert record["result"]["cov"][0][0] == pytest.approx(residual_var, rel=0.02)
    assert record["precision_check"] < 1e-12


def test_gauss_cond_rejects_a_non_covariance_and_bad_indices():
    assert "not positive semidefinite" in run_main(["gauss-cond", "--mu", "0,0", "--cov", "[[1,2],[2,1]]", "--given", "0", "--z", "1"]).err
    assert run_main(["gauss-cond", "--mu", "0,0", "--cov", "[[1,0],[0,1]]", "--given", "5", "--z", "1"]).code == 2


def test_chebyshev_bound_holds_by_simulation():
    rng = np.random.default_rng(7)
    x = rng.exponential(scale=2.0, size=200_000)  # mean 2, variance 4
    for eps in (2.5, 4.0, 6.0):
        frequency = float(np.mean(np.abs(x - 2.0) >= eps))
        assert frequency <= value(["chebyshev", "--var", "4", "--eps", str(eps)])["result"]
    assert value(["chebyshev", "--std", "2", "--eps", "4"])["result"] == 0.25


# ---- MGF -------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, expected", [
    (["--dist", "bernoulli", "--p", "0.3", "--moment", "2"], 0.3),  # E[X^2] = p
    (["--dist", "binomial", "--n", "10", "--p", "0.3", "--moment", "2"], 10 * 0.3 * 0.7 + 9.0),  # np(1−p) + (np)^2
    (["--dist", "normal", "--mean", "2", "--var", "3", "--moment", "3"], 2**3 + 3 * 2 * 3),  # μ³ + 3μσ²
    (["--dist", "gamma", "--shape", "2.5", "--scale", "2", "--moment", "2"], 2.5 * 3.5 * 4),  # α(α+1)β²
    (["--dist", "gamma", "--shape", "2.5", "--rate", "0.5", "--moment", "2"], 2.5 * 3.5 * 4),  # same with rate 1/β
    (["--dist", "poisson", "--lambda", "2", "--moment", "3"], 2 + 3 * 4 + 8),  # λ + 3λ² + λ³
])
def test_mgf_moments_against_textbook_formulas(args, expected):
    assert value(["mgf", *args])["result"] == pytest.approx(expected, rel=1e-12)


def test_mgf_values_by_monte_carlo():
    rng = np.random.default_rng(8)
    cases = [
        (["--dist", "gamma", "--shape", "3", "--scale", "0.5", "--t", "0.4"], rng.gamma(3, 0.5, 500_000)),
        (["--dist", "gamma", "--shape", "3", "--rate", "2", "--t", "0.4"], rng.gamma(3, 0.5, 500_000)),
        (["--dist", "normal", "--mean", "1", "--std", "0.5", "--t", "0.7"], rng.normal(1, 0.5, 500_000)),
        (["--dist", "poisson", "--lambda", "1.5", "--t", "0.3"], rng.poisson(1.5, 500_000)),
        (["--dist", "binomial", "--n", "5", "--p", "0.4", "--t", "0.2"], rng.binomial(5, 0.4, 500_000)),
    ]
    for args, draws in cases:
        t = float(args[-1])
        assert value(["mgf", *args])["result"] == pytest.approx(float(np.mean(np.exp(t * draws))), rel=0.01)


def test_mgf_rejects_the_wrong_parameters_and_t_outside_the_domain():
    assert "does not apply" in run_main(["mgf", "--dist", "poisson", "--lambda", "1", "--p", "0.5"]).err
    assert "exactly one of --std and --var" in run_main(["mgf", "--dist", "normal", "--mean", "0"]).err
    assert "exists only for t < 1/scale" in run_main(["mgf", "--dist", "gamma", "--shape", "2", "--scale", "2", "--t", "0.5"]).err


def test_scaled_density_also_holds_for_a_positive_scale():
    # verify proves α < 0 (where the sheet's form fails, E03: see test_part1_sheet_versions); α > 0 here.
    assert prove_equal(*densities.scaled_density_statement(+1)).proven


def test_variance_identities_refuted_when_altered():
    lhs, rhs = moments_module.variance_statement()
    assert not prove_equal(lhs, rhs + 1).proven
    lhs, rhs = moments_module.affine_variance_statement()
    import sympy

    a = sympy.Symbol("a", real=True)
    assert not prove_equal(lhs, rhs / a).proven  # Var[aX + b] is a²Var, not aVar


@given(st.lists(st.floats(-5, 5), min_size=2, max_size=6), st.integers(0, 10))
@settings(max_examples=40, deadline=None)
def test_moments_second_form_agrees(values, seed):
    probs = np.random.default_rng(seed).dirichlet(np.ones(len(values)))
    probs = tuple(float(p) for p in probs / probs.sum())
    result = moments_module.moments(tuple(values), probs)
    assert result.value["var"] == pytest.approx(result.extra["second_moment"] - result.value["mean"] ** 2, abs=1e-9)


def test_conditional_independence_on_constructed_tables():
    rng = np.random.default_rng(9)
    pz = rng.dirichlet(np.ones(3))
    px_z, py_z = rng.dirichlet(np.ones(2), size=3), rng.dirichlet(np.ones(4), size=3)
    table = np.einsum("z,zx,zy->xyz", pz, px_z, py_z)  # X ⊥ Y ∣ Z by construction
    assert run_main(["check-condindep", "--joint3", json.dumps(table.tolist())]).code == 0
    delta = 0.5 * table[:, :, 1].min()  # move mass within z = 1, keeping every entry ≥ 0
    table[0, 0, 1] += delta
    table[1, 0, 1] -= delta
    table[0, 1, 1] -= delta
    table[1, 1, 1] += delta
    assert run_main(["check-condindep", "--joint3", json.dumps(table.tolist())]).code == 1


# ---- scale-pdf, sum-pdf, mgf-lin (NumPy/math) and Bayes' rule as an identity ------------------------


def _normal_pdf(x, mean, var):
    return np.exp(-((x - mean) ** 2) / (2 * var)) / np.sqrt(2 * np.pi * var)


@pytest.mark.parametrize("a, b", [(2.0, 1.0), (-0.5, 3.0), (-3.0, -1.0)])
def test_scale_pdf_of_a_normal_is_the_transformed_normal(a, b):
    ys = np.linspace(-6, 6, 13)
    got = value(["scale-pdf", "--X", "normal mean=1 std=2", "--a", repr(a), "--b", repr(b),
                 "--y", ",".join(map(repr, ys.tolist()))])["result"]
    assert np.allclose(got, _normal_pdf(ys, a * 1 + b, a * a * 4), rtol=1e-11, atol=1e-15)  # aX+b ~ N(aμ+b, a²σ²)


def test_scale_pdf_by_monte_carlo_for_a_negative_scale():
    rng = np.random.default_rng(0)
    samples = -1.5 * rng.laplace(0.5, 1.0, size=1_000_000) + 2.0
    edges = np.linspace(-4, 4, 41)
    counts, _ = np.histogram(samples, bins=edges)
    centres = (edges[:-1] + edges[1:]) / 2
    histogram = counts / (len(samples) * np.diff(edges))
    got = np.array(value(["scale-pdf", "--X", "laplace mean=0.5 scale=1", "--a", "-1.5", "--b", "2",
                          "--y", ",".join(map(repr, centres.tolist()))])["result"])
    assert np.all(got >= 0)  # E03: with a/ instead of |a| these would be negative
    assert np.abs(got - histogram).max() < 0.01


def _hypoexponential(z, l1, l2):
    return l1 * l2 / (l2 - l1) * (np.exp(-l1 * z) - np.exp(-l2 * z))


def _uniform_plus_laplace(z):
    """U[−1, 1] + Laplace(0, 1): ¼∫_{z−1}^{z+1} e^{−|u|} du, by hand in three pieces."""
    outside = np.where(z > 1, np.exp(-(z - 1)) - np.exp(-(z + 1)), np.exp(z + 1) - np.exp(z - 1))
    return np.where(np.abs(z) <= 1, 2 - np.exp(z - 1) - np.exp(-z - 1), outside) / 4


@pytest.mark.parametrize("X, Y, exact", [
    ("normal mean=1 std=0.5", "normal mean=-2 var=2", lambda z: _normal_pdf(z, -1.0, 2.25)),
    ("exponential rate=2", "exponential scale=0.5", lambda z: np.where(z > 0, 4 * z * np.exp(-2 * z), 0.0)),
    ("exponential rate=1", "exponential rate=3", lambda z: np.where(z > 0, _hypoexponential(z, 1.0, 3.0), 0.0)),
    ("uniform low=0 high=1", "uniform low=-1 high=2", lambda z: np.clip(np.minimum(z + 1, 3 - z), 0, 1) / 3),
    ("uniform low=-1 high=1", "laplace mean=0 scale=1", lambda z: _uniform_plus_laplace(z)),
])
def test_sum_pdf_against_closed_forms(X, Y, exact):
    zs = np.array([-3.0, -1.0, -0.3, 0.0, 0.4, 1.0, 1.7, 2.5, 4.0])
    got = value(["sum-pdf", "--X", X, "--Y", Y, "--z", ",".join(map(repr, zs.tolist()))])["result"]
    assert np.allclose(got, exact(zs), rtol=1e-9, atol=1e-10)


def test_sum_pdf_by_monte_carlo():
    rng = np.random.default_rng(1)
    samples = rng.normal(0, 0.3, size=1_000_000) + rng.exponential(1 / 1.5, size=1_000_000)
    edges = np.linspace(-0.5, 3, 36)
    counts, _ = np.histogram(samples, bins=edges)
    centres = (edges[:-1] + edges[1:]) / 2
    got = np.array(value(["sum-pdf", "--X", "normal std=0.3", "--Y", "exponential rate=1.5",
                          "--z", ",".join(map(repr, centres.tolist()))])["result"])
    assert np.abs(got - counts / (len(samples) * np.diff(edges))).max() < 0.02


def test_mgf_lin_against_monte_carlo_and_the_symbolic_mgf():
    rng = np.random.default_rng(2)
    n = 2_000_000
    y = 0.5 * rng.uniform(-1, 2, n) - 0.25 * rng.laplace(1, 0.5, n) + 0.3 * rng.exponential(1 / 4, n) + 0.7
    got = value(["mgf-lin", "--X", "uniform low=-1 high=2", "--X", "laplace mean=1 scale=0.5", "--X", "exponential rate=4",
                 "--a", "0.5,-0.25,0.3", "--b", "0.7", "--t", "1.2"])["result"]
    assert got == pytest.approx(float(np.mean(np.exp(1.2 * y))), rel=0.01)
    # one normal: e^{bt} M_X(at) against the SymPy mgf command for N(aμ + b, a²σ²)
    symbolic = value(["mgf", "--dist", "normal", "--mean", repr(-2 * 1.5 + 0.25), "--var", repr(4 * 0.81), "--t", "0.6"])
    numeric = value(["mgf-lin", "--X", "normal mean=1.5 std=0.9", "--a", "-2", "--b", "0.25", "--t", "0.6"])
    assert numeric["result"] == pytest.approx(symbolic["result"], rel=1e-13)


@pytest.mark.parametrize("args, message", [
    (["mgf-lin", "--X", "exponential rate=2", "--a", "1", "--t", "2"], "exists only for"),
    (["mgf-lin", "--X", "laplace scale=1", "--a", "1,2", "--t", "0.1"], "2 coefficients for 1"),
    (["scale-pdf", "--X", "normal std=1", "--a", "0", "--y", "1"], "non-zero"),
    (["scale-pdf", "--X", "gamma shape=2", "--a", "1", "--y", "1"], "one of normal"),
    (["scale-pdf", "--X", "normal std", "--a", "1", "--y", "1"], "key=value"),
    (["sum-pdf", "--X", "normal std=1 rate=2", "--Y", "normal std=1", "--z", "0"], "does not apply"),
])
def test_law_commands_bad_input(args, message):
    run = run_main(args)
    assert run.code == 2 and message in run.err and run.err.count("\n") == 1


def test_bayes_rule_fails_without_the_evidence():
    from dlcalc.core.proof import prove_matrices_equal

    assert not prove_matrices_equal(*rules.bayes_statement(normalised=False)).proven


def test_covariance_with_itself_is_the_variance_not_the_second_moment():
    assert not prove_equal(*moments_module.covariance_self_statement(second_moment=True)).proven
    samples = np.random.default_rng(3).normal(size=(50, 1))  # independent check: numpy's cov(x, x) = var(x)
    assert np.cov(samples[:, 0], samples[:, 0], ddof=0)[0, 1] == pytest.approx(np.var(samples[:, 0]))


@given(st.lists(st.floats(0.05, 1), min_size=2, max_size=4), st.lists(st.floats(0.05, 1), min_size=2, max_size=4),
       st.integers(0, 100))
@settings(max_examples=30, deadline=None)
def test_independent_tables_have_zero_covariance(wx, wy, seed):
    """PROB-INDEP-COV, forward direction: any product table has Cov = 0, for any values of X and Y."""
    px, py = np.array(wx) / sum(wx), np.array(wy) / sum(wy)
    rng = np.random.default_rng(seed)
    xs, ys = rng.normal(size=len(px)), rng.normal(size=len(py))
    record = value(["check-indep", "--joint", json.dumps(np.outer(px, py).tolist()),
                    "--x-values", ",".join(map(str, xs.tolist())), "--y-values", ",".join(map(str, ys.tolist()))])
    assert record["result"] is True and abs(record["cov"]) < 1e-12


def test_sample_mean_is_the_mle_of_the_mean():
    """PROB-MLE-MEAN: μ̂ = (1/n)Σx_i, and it maximises the Gaussian log-likelihood (gradient Σ(x_i − μ) = 0)."""
    samples = np.array([[1.0, 2.0], [3.0, -1.0], [5.0, 2.5]])
    record = value(["sample-cov", "--samples", json.dumps(samples.tolist())])
    assert record["mean"] == pytest.approx([3.0, 3.5 / 3])
    assert np.allclose((samples - np.array(record["mean"])).sum(axis=0), 0.0)


def test_gauss_cond_needs_a_symmetric_psd_joint_covariance():
    """PROB-GAUSS-JOINT (E07): Σ21 = Σ12ᵀ and the whole Σ ⪰ 0, even if each diagonal block is PSD."""
    asymmetric = run_main(["gauss-cond", "--mu", "0,0", "--cov", "[[1,0.5],[0.2,1]]", "--given", "0", "--z", "1"])
    assert asymmetric.code != 0 and "symmetric" in asymmetric.err
    not_psd = run_main(["gauss-cond", "--mu", "0,0", "--cov", "[[1,2],[2,1]]", "--given", "0", "--z", "1"])
    assert not_psd.code != 0 and "positive semidefinite" in not_psd.err


# ---- issue 12: overflow, underflow, bounds and wrong answers -------------------------------------


def one_line_error(args):
    run = run_main(args)
    assert run.code == 2 and run.err.startswith("dlcalc: error: ") and run.err.count("\n") == 1, (args, run)
    return run.err


@pytest.mark.parametrize("args, message", [
    (["marginal", "--joint", "[[1e308,1e308]]"], "at most 1"),  # the sum overflowed (OverflowError, exit 70)
    (["check-indep", "--joint", "[[1e308,1e308]]"], "at most 1"),
    (["joint", "--cond", "[[1e308,1e308]]", "--marg", "1"], "at most 1"),
    (["bayes", "--prior", "1e308,1e308", "--lik", "0.5,0.5"], "at most 1"),
    (["moments", "--values", "1,2", "--probs", "1e308,1e308"], "at most 1"),
    (["var-affine", "--A", "[[[1]]]", "--cov", "[[1]]"], "2 dimensions"),
    (["var-lin", "--a", "1", "--cov", "[[1,[2]]]"], "rows of equal length"),
    (["sample-cov", "--samples", "[[],[]]"], "empty matrix"),
    (["chebyshev", "--std", "-2", "--eps", "1"], "non-negative"),  # printed 1.0
    (["mgf", "--dist", "normal", "--mean", "1", "--std", "2", "--moment", "101"], "at most 100"),
    (["mgf", "--dist", "normal", "--mean", "1", "--std", "1e200", "--moment", "100"], "too large"),
    (["mgf", "--dist", "binomial", "--n", "1000001", "--p", "0.5", "--moment", "1"], "at most 1,000,000"),
    (["sum-pdf", "--X", "normal std=1", "--Y", "normal std=1", "--z", ",".join(["0"] * 1001)], "at most 1,000"),
    (["scale-pdf", "--X", "normal std=5e-324", "--a", "1", "--y", "0"], "overflows"),
    (["mgf-lin", "--X", "normal std=1e200", "--a", "1", "--t", "1"], "overflows"),
    (["mgf-lin", "--X", "normal std=1", "--a", "1", "--b", "800", "--t", "1"], "overflows"),
    (["sum-pdf", "--X", "normal mean=1e308 std=1e307", "--Y", "normal std=1", "--z", "0"], "too extreme"),
])
def test_issue12_inputs_are_one_line_errors(args, message):
    assert message in one_line_error(args)


def test_chebyshev_with_a_tiny_eps_or_a_huge_std_is_the_capped_bound():
    # σ²/ε² with ε = 1e-200: ε² underflowed to 0 (ZeroDivisionError, exit 70); the bound is huge, capped at 1.
    assert run_main(["chebyshev", "--var", "1", "--eps", "1e-200"]).out.strip() == "1.0"
    assert run_main(["chebyshev", "--std", "1e200", "--eps", "1"]).out.strip() == "1.0"
    assert float(run_main(["chebyshev", "--std", "1e-100", "--eps", "1e-99"]).out) == pytest.approx(0.01, rel=1e-12)


def _normal_moment(k, mu, sigma):
    """E[X^k] for X ~ N(μ, σ²) by the binomial expansion: Σ_j C(k, j) μ^(k−j) σ^j (j − 1)!! over even j."""
    from math import comb

    def double_factorial(n):
        return math.prod(range(n, 0, -2)) if n > 0 else 1

    return sum(comb(k, j) * Fraction(mu) ** (k - j) * Fraction(sigma) ** j * double_factorial(j - 1)
               for j in range(0, k + 1, 2))


def _stirling2(k, j):
    """Stirling numbers of the second kind by their recurrence (independent of any MGF)."""
    table = [[1] + [0] * k] + [[0] * (k + 1) for _ in range(k)]
    for n in range(1, k + 1):
        for m in range(1, n + 1):
            table[n][m] = m * table[n - 1][m] + table[n - 1][m - 1]
    return table[k][j]


def test_high_moments_are_exact_and_fast():
    """mgf --moment 40 took 29 s (40-fold SymPy differentiation); the power series gives the same exact
    values, checked against closed forms: normal by the binomial expansion, Poisson by Touchard
    polynomials Σ S(k,j) λ^j, Gamma by θ^k α(α+1)…(α+k−1), binomial by Σ S(k,j) n^(j falling) p^j."""
    import time

    started = time.perf_counter()
    record = json.loads(run_main(["mgf", "--dist", "normal", "--mean", "1", "--std", "2", "--moment", "40", "--json"]).out)
    assert time.perf_counter() - started < 5
    assert Fraction(record["exact"]) == _normal_moment(40, 1, 2)
    poisson = json.loads(run_main(["mgf", "--dist", "poisson", "--lambda", "3", "--moment", "30", "--json"]).out)
    assert Fraction(poisson["exact"]) == sum(_stirling2(30, j) * 3**j for j in range(31))
    gamma = json.loads(run_main(["mgf", "--dist", "gamma", "--shape", "2.5", "--rate", "2", "--moment", "25", "--json"]).out)
    assert Fraction(gamma["exact"]) == math.prod(Fraction(5, 2) + i for i in range(25)) / 2**25
    binomial = json.loads(run_main(["mgf", "--dist", "binomial", "--n", "50", "--p", "0.3", "--moment", "20", "--json"]).out)
    falling = [math.prod(range(50 - j + 1, 51)) for j in range(21)]
    assert Fraction(binomial["exact"]) == sum(_stirling2(20, j) * falling[j] * Fraction(3, 10) ** j for j in range(21))


def test_help_states_the_new_limits():
    from dlcalc.core import registry

    assert "at most 100" in registry.get("mgf").param("moment").help
    assert "at most 1,000" in registry.get("sum-pdf").param("z").help
