"""Probability moments: mean, variance, covariance of linear maps, sample estimators and Chebyshev
against definitions, NumPy and simulation; moment identities refuted when altered."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_json, run_main
from dlcalc.catalogue import probability_moments as moments_module
from dlcalc.core.proof import prove_equal


def test_moments_against_the_definition():
    values, probs = [1.0, 2.0, 7.0], [0.2, 0.5, 0.3]
    mean = sum(v * p for v, p in zip(values, probs))
    var = sum((v - mean) ** 2 * p for v, p in zip(values, probs))
    result = run_json(["moments", "--values", "1,2,7", "--probs", "0.2,0.5,0.3"])["result"]
    assert result == {"mean": pytest.approx(mean), "var": pytest.approx(var)}


def test_var_lin_against_simulation():
    cov = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, -0.3], [0.0, -0.3, 0.5]])
    a = np.array([1.0, -2.0, 3.0])
    rng = np.random.default_rng(2)
    samples = rng.multivariate_normal(np.zeros(3), cov, size=300_000)
    simulated = float(np.var(samples @ a))
    computed = run_json(["var-lin", "--a", "1,-2,3", "--cov", json.dumps(cov.tolist())])["result"]
    assert computed == pytest.approx(a @ cov @ a, rel=1e-12)
    assert computed == pytest.approx(simulated, rel=0.02)


def test_var_affine_against_numpy_cov_of_transformed_samples():
    A = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]])
    cov = np.array([[1.0, 0.3], [0.3, 2.0]])
    rng = np.random.default_rng(3)
    x = rng.multivariate_normal([0, 0], cov, size=200_000)
    computed = np.array(run_json(["var-affine", "--A", json.dumps(A.tolist()), "--cov", json.dumps(cov.tolist())])["result"])
    assert np.allclose(computed, np.cov((x @ A.T).T), rtol=0.03, atol=0.03)


@pytest.mark.parametrize("ddof", [0, 1])
def test_sample_cov_matches_numpy(ddof):
    rng = np.random.default_rng(4)
    samples = rng.normal(size=(7, 3))
    result = run_json(["sample-cov", "--samples", json.dumps(samples.tolist()), "--ddof", str(ddof)])
    assert np.allclose(result["result"], np.cov(samples.T, ddof=ddof), atol=1e-11)
    assert np.allclose(result["mean"], samples.mean(axis=0), atol=1e-11)


def test_mle_cov_is_biased_by_n_minus_1_over_n():
    """E06: the average of the MLE over many samples of size n is (n−1)/n σ²."""
    rng = np.random.default_rng(5)
    n = 5
    estimates = [moments_module.sample_cov(tuple((float(v),) for v in rng.normal(size=n)), 0).value[0][0] for _ in range(4000)]
    assert np.mean(estimates) == pytest.approx((n - 1) / n, abs=0.03)


def test_chebyshev_bound_holds_by_simulation():
    rng = np.random.default_rng(7)
    x = rng.exponential(scale=2.0, size=200_000)  # mean 2, variance 4
    for eps in (2.5, 4.0, 6.0):
        frequency = float(np.mean(np.abs(x - 2.0) >= eps))
        assert frequency <= run_json(["chebyshev", "--var", "4", "--eps", str(eps)])["result"]
    assert run_json(["chebyshev", "--std", "2", "--eps", "4"])["result"] == 0.25


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


def test_covariance_with_itself_is_the_variance_not_the_second_moment():
    assert not prove_equal(*moments_module.covariance_self_statement(second_moment=True)).proven
    samples = np.random.default_rng(3).normal(size=(50, 1))  # independent check: numpy's cov(x, x) = var(x)
    assert np.cov(samples[:, 0], samples[:, 0], ddof=0)[0, 1] == pytest.approx(np.var(samples[:, 0]))


def test_sample_mean_is_the_mle_of_the_mean():
    """PROB-MLE-MEAN: μ̂ = (1/n)Σx_i, and it maximises the Gaussian log-likelihood (gradient Σ(x_i − μ) = 0)."""
    samples = np.array([[1.0, 2.0], [3.0, -1.0], [5.0, 2.5]])
    record = run_json(["sample-cov", "--samples", json.dumps(samples.tolist())])
    assert record["mean"] == pytest.approx([3.0, 3.5 / 3])
    assert np.allclose((samples - np.array(record["mean"])).sum(axis=0), 0.0)


def test_chebyshev_with_a_tiny_eps_or_a_huge_std_is_the_capped_bound():
    # σ²/ε² with ε = 1e-200: ε² underflowed to 0 (ZeroDivisionError, exit 70); the bound is huge, capped at 1.
    assert run_main(["chebyshev", "--var", "1", "--eps", "1e-200"]).out.strip() == "1.0"
    assert run_main(["chebyshev", "--std", "1e200", "--eps", "1"]).out.strip() == "1.0"
    assert float(run_main(["chebyshev", "--std", "1e-100", "--eps", "1e-99"]).out) == pytest.approx(0.01, rel=1e-12)
