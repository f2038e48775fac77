"""Factor analysis and PPCA against independent computations: the marginal by Monte Carlo, the
posterior by conditioning a joint Gaussian, the fitted models as maxima of a likelihood written here."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import as_json, plain, run_main
from _densities import gaussian_logpdf


def test_factor_analysis_marginal_by_monte_carlo_and_posterior_by_conditioning():
    rng = np.random.default_rng(2)
    W, psi, mu = np.array([[1.0, 0.5], [0.2, -1.0], [0.7, 0.7]]), np.array([0.3, 0.5, 0.2]), np.array([1.0, 0, -1])
    z = rng.standard_normal((400_000, 2))
    x = mu + z @ W.T + rng.standard_normal((400_000, 3)) * np.sqrt(psi)
    cov = np.array(json.loads(plain(["fa-marginal", "--W", json.dumps(W.tolist()), "--psi", "0.3,0.5,0.2", "--mu", "1,0,-1"])))
    assert np.allclose(cov, np.cov(x, rowvar=False), atol=0.02)
    # posterior from the joint Gaussian of (z, x) by the Schur complement
    joint = np.block([[np.eye(2), W.T], [W, W @ W.T + np.diag(psi)]])
    point = np.array([2.0, -0.5, 0.3])
    gain = joint[:2, 2:] @ np.linalg.inv(joint[2:, 2:])
    record = json.loads(plain(["fa-posterior", "--W", json.dumps(W.tolist()), "--psi", "0.3,0.5,0.2", "--mu", "1,0,-1",
                             "--x", "2,-0.5,0.3", "--json"]))
    assert np.allclose(record["result"]["mean"], gain @ (point - mu))
    assert np.allclose(record["result"]["cov"], np.eye(2) - gain @ joint[2:, :2])
    assert record["agreement_with_mxm_form"] < 1e-10


def ppca_loglik(X, W, sigma2):
    cov = W @ W.T + sigma2 * np.eye(X.shape[1])
    mean = X.mean(axis=0)
    return sum(gaussian_logpdf(x, mean, cov) for x in X)


def test_ppca_fit_is_a_maximum_of_the_likelihood():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((60, 3)) @ np.array([[2.0, 0.3, 0.1], [0.0, 1.0, 0.4], [0.0, 0.0, 0.3]])
    record = json.loads(plain(["ppca-fit", "--X", json.dumps(X.tolist()), "--m", 1, "--json"]))
    W, sigma2 = np.array(record["result"]["W"]), record["result"]["sigma2"]
    best = ppca_loglik(X, W, sigma2)
    for _ in range(200):
        W_try = W + 0.05 * rng.standard_normal(W.shape)
        s_try = sigma2 * math.exp(0.1 * rng.standard_normal())
        assert ppca_loglik(X, W_try, s_try) <= best + 1e-9
    rotated = -W  # a 1-D rotation (reflection) is equally good
    assert ppca_loglik(X, rotated, sigma2) == pytest.approx(best)


def test_ppca_limit_needs_orthonormal_columns():
    assert plain(["ppca-limit", "--W", "2,0;0,1;0,0"]) == "W+ != W^T"
    assert plain(["ppca-limit", "--W", "0.6,0;0.8,0;0,1"]) == "W+ = W^T"


def fa_data(seed, W, psi, count):
    rng = np.random.default_rng(seed)
    W, psi = np.array(W), np.array(psi)
    return rng.standard_normal((count, W.shape[1])) @ W.T + rng.standard_normal((count, len(psi))) * np.sqrt(psi)


def fa_fit_record(X, m, *extra):
    record = as_json(["fa-fit", "--X", json.dumps(X.tolist()), "--m", m, *extra])
    return np.array(record["result"]["W"]), np.array(record["result"]["psi"]), record


def test_fa_fit_em_increases_the_likelihood_to_a_maximum():
    X = fa_data(31, [[1.0, 0.0], [0.8, 0.5], [0.0, 1.2], [0.5, -0.7], [0.3, 0.3]], [0.2, 0.5, 0.1, 0.4, 0.3], 300)
    W, psi, record = fa_fit_record(X, 2)
    history = record["loglik_history"]
    assert all(b >= a - 1e-9 * abs(a) for a, b in zip(history, history[1:])) and history[-1] > history[0]
    assert record["converged"]
    cov_of = lambda W_, psi_: W_ @ W_.T + np.diag(psi_)  # noqa: E731
    best = sum(gaussian_logpdf(x, X.mean(axis=0), cov_of(W, psi)) for x in X)  # independent of the EM code
    assert best == pytest.approx(record["loglik"], rel=1e-9)
    rng = np.random.default_rng(3)
    for _ in range(100):  # a local maximum: small perturbations never do better
        W_try, psi_try = W + 0.02 * rng.standard_normal(W.shape), psi * np.exp(0.05 * rng.standard_normal(psi.shape))
        assert sum(gaussian_logpdf(x, X.mean(axis=0), cov_of(W_try, psi_try)) for x in X) <= best + 1e-7


def test_fa_fit_with_isotropic_noise_is_ppca():
    X = fa_data(8, [[2.0], [1.0], [-0.5], [0.7]], [0.3, 0.3, 0.3, 0.3], 200)
    W, psi, _ = fa_fit_record(X, 1, "--isotropic")
    ppca = as_json(["ppca-fit", "--X", json.dumps(X.tolist()), "--m", 1])
    W_ppca = np.array(ppca["result"]["W"])
    assert np.allclose(psi, ppca["result"]["sigma2"], rtol=1e-6)
    assert np.allclose(W @ W.T, W_ppca @ W_ppca.T, atol=1e-6)
    # without the constraint the noise variances differ, and the fit is at least as good
    _, psi_free, free = fa_fit_record(X, 1)
    assert np.ptp(psi_free) > 1e-3
    assert free["loglik"] >= as_json(["fa-fit", "--X", json.dumps(X.tolist()), "--m", 1, "--isotropic"])["loglik"]


def test_fa_fit_recovers_an_exactly_representable_covariance():
    # 3 features, 1 factor: exactly identified; S = wwᵀ + Ψ is reproduced exactly
    X = np.array([[3, 0, 0], [-3, 0, 0], [0, 2, 0], [0, -2, 0], [0, 0, 1], [0, 0, -1], [2, 4, 2], [-2, -4, -2]], float)
    S = X.T @ X / len(X)
    W, psi, _ = fa_fit_record(X, 1)
    assert np.allclose(W @ W.T + np.diag(psi), S, atol=1e-9)
    assert run_main(["fa-fit", "--X", "1,2;3,4", "--m", "2"]).code == 2


@pytest.mark.parametrize("tol", ["-0", "0", "-1e-9"])
def test_fa_fit_needs_a_positive_tolerance(tol):
    run = run_main(["fa-fit", "--X", "2,2,2;-2,-2,-2;2,0,0;-2,0,0", "--m", "1", f"--tol={tol}"])
    assert run.code == 2 and "--tol must be positive" in run.err


def test_fa_sizes_are_bounded():
    wide = ",".join(["1"] * 2001)  # one row, 2,001 latent columns: WᵀW would be 2,001 × 2,001
    run = run_main(["ppca-limit", "--W", wide])
    assert run.code == 2 and "at most 2,000" in run.err
    tall = ";".join(["1"] * 2001)  # 2,001 observed dimensions: WWᵀ + Ψ would be 2,001 × 2,001
    run = run_main(["fa-marginal", "--W", tall, "--psi", ",".join(["1"] * 2001)])
    assert run.code == 2 and "at most 2,000" in run.err
    data = json.dumps(np.eye(200).tolist())  # 200 features: 1e5 EM steps of 200³ is too much work
    run = run_main(["fa-fit", "--X", data, "--m", "1", "--iters", "100000"])
    assert run.code == 2 and "lower --iters" in run.err
    run = run_main(["fa-fit", "--X", "1,0;0,1;1,1", "--m", "1", "--iters", "100001"])
    assert run.code == 2 and "--iters: must be at most 100,000" in run.err
    huge = "2,2,2;-2,-1e200,-2;2,0,0;-2,0,0"  # the covariance overflows: refused, not 1e5 steps of NaN
    for command in ("fa-fit", "ppca-fit"):
        run = run_main([command, "--X", huge, "--m", "1"])
        assert run.code == 2 and "beyond the float range" in run.err
