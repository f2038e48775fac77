"""Generative-model formulas against independent computations: numerical integration, Monte Carlo,
direct Gaussian densities, finite-difference Jacobians, brute-force maximisation, explicit products."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import run_main
from dlcalc.catalogue import generative


def out(args):
    run = run_main(list(map(str, args)))
    assert run.code == 0, run.err
    return run.out.strip()


def numbers(text):
    return [float(v) for v in text.split(",")]


def gaussian_logpdf(x, mean, cov):
    x, mean, cov = np.asarray(x, float), np.asarray(mean, float), np.asarray(cov, float)
    diff = x - mean
    return float(-0.5 * diff @ np.linalg.inv(cov) @ diff - 0.5 * np.log(np.linalg.det(2 * np.pi * cov)))


def test_vae_kl_by_numerical_integration():
    z = np.linspace(-30, 30, 600_001)
    for mu, sigma in ((0.0, 1.0), (1.5, 0.3), (-2.0, 2.5)):
        q = np.exp(-(z - mu) ** 2 / (2 * sigma**2)) / math.sqrt(2 * math.pi * sigma**2)
        p = np.exp(-z**2 / 2) / math.sqrt(2 * math.pi)
        integrand = q * (np.log(q + 1e-300) - np.log(p))
        integral = float(np.sum((integrand[1:] + integrand[:-1]) / 2 * np.diff(z)))  # the trapezoid rule
        assert float(out(["vae-kl", "--mu", mu, "--sigma", sigma])) == pytest.approx(integral, abs=1e-6)
    # the sum over dimensions, and the log-variance form
    assert float(out(["vae-kl", "--mu", "1,0", "--logvar=0,-1"])) == pytest.approx(0.5 + 0.5 * (math.exp(-1) + 1 - 1))


def test_vae_kl_proof_and_a_wrong_closed_form():
    assert generative.prove_gaussian_kl().proven
    assert not generative.prove_gaussian_kl("log-sigma").proven


def test_reparameterisation_reproduces_the_covariance():
    cov = [[4.0, 1.2, 0.0], [1.2, 2.0, -0.5], [0.0, -0.5, 1.0]]
    columns = [np.array(numbers(out(["reparam", "--mu", "0,0,0", "--cov", json.dumps(cov), "--eps", e])))
               for e in ("1,0,0", "0,1,0", "0,0,1")]
    L = np.column_stack(columns)  # z − μ = Lε, read off column by column
    assert np.allclose(L @ L.T, cov)
    assert numbers(out(["reparam", "--mu", "1,1", "--sigma", "2,0.5", "--eps", "-1,4"])) == [-1.0, 3.0]
    assert run_main(["reparam", "--mu", "0,0", "--cov", "1,2;2,1", "--eps", "1,1"]).code == 2


def test_factor_analysis_marginal_by_monte_carlo_and_posterior_by_conditioning():
    rng = np.random.default_rng(2)
    W, psi, mu = np.array([[1.0, 0.5], [0.2, -1.0], [0.7, 0.7]]), np.array([0.3, 0.5, 0.2]), np.array([1.0, 0, -1])
    z = rng.standard_normal((400_000, 2))
    x = mu + z @ W.T + rng.standard_normal((400_000, 3)) * np.sqrt(psi)
    cov = np.array(json.loads(out(["fa-marginal", "--W", json.dumps(W.tolist()), "--psi", "0.3,0.5,0.2", "--mu", "1,0,-1"])))
    assert np.allclose(cov, np.cov(x, rowvar=False), atol=0.02)
    # posterior from the joint Gaussian of (z, x) by the Schur complement
    joint = np.block([[np.eye(2), W.T], [W, W @ W.T + np.diag(psi)]])
    point = np.array([2.0, -0.5, 0.3])
    gain = joint[:2, 2:] @ np.linalg.inv(joint[2:, 2:])
    record = json.loads(out(["fa-posterior", "--W", json.dumps(W.tolist()), "--psi", "0.3,0.5,0.2", "--mu", "1,0,-1",
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
    record = json.loads(out(["ppca-fit", "--X", json.dumps(X.tolist()), "--m", 1, "--json"]))
    W, sigma2 = np.array(record["result"]["W"]), record["result"]["sigma2"]
    best = ppca_loglik(X, W, sigma2)
    for _ in range(200):
        W_try = W + 0.05 * rng.standard_normal(W.shape)
        s_try = sigma2 * math.exp(0.1 * rng.standard_normal())
        assert ppca_loglik(X, W_try, s_try) <= best + 1e-9
    rotated = -W  # a 1-D rotation (reflection) is equally good
    assert ppca_loglik(X, rotated, sigma2) == pytest.approx(best)


def test_ppca_limit_needs_orthonormal_columns():
    assert out(["ppca-limit", "--W", "2,0;0,1;0,0"]) == "W+ != W^T"
    assert out(["ppca-limit", "--W", "0.6,0;0.8,0;0,1"]) == "W+ = W^T"


def test_flow_log_density_equals_the_gaussian_it_defines():
    A, b, x = [[2.0, 0.5], [-0.3, 1.0]], [1.0, -1.0], [0.4, 2.0]
    cov = np.array(A) @ np.array(A).T  # x = Az + b, z ~ N(0, I) ⇒ x ~ N(b, AAᵀ)
    got = float(out(["flow-logpdf", "--A", json.dumps(A), "--b", "1,-1", "--x", "0.4,2"]))
    assert got == pytest.approx(gaussian_logpdf(x, b, cov), rel=1e-10)


def test_coupling_log_determinant_by_finite_differences():
    S, T = np.array([[0.5, -0.2], [0.1, 0.3]]), np.array([[1.0, 0.0], [-0.5, 2.0]])
    x = np.array([0.3, -0.7, 1.1, 0.4])

    def forward(v):  # y₁ = x₁, y₂ = x₂ ⊙ exp(S x₁) + T x₁, written here
        return np.concatenate([v[:2], v[2:] * np.exp(S @ v[:2]) + T @ v[:2]])

    h = 1e-6
    J = np.column_stack([(forward(x + h * e) - forward(x - h * e)) / (2 * h) for e in np.eye(4)])
    record = json.loads(out(["coupling", "--x", "0.3,-0.7,1.1,0.4", "--d", 2, "--s-weights", json.dumps(S.tolist()),
                             "--t-weights", json.dumps(T.tolist()), "--json"]))
    assert record["result"]["logdet"] == pytest.approx(math.log(abs(np.linalg.det(J))), abs=1e-7)
    assert np.allclose(record["result"]["y"], forward(x)) and np.allclose(record["inverse"], x)


def test_gan_optimal_discriminator_by_grid_search():
    grid = np.linspace(1e-6, 1 - 1e-6, 1_000_001)
    for a, b in ((0.3, 0.2), (0.05, 0.9), (1.0, 1.0)):
        best = grid[np.argmax(a * np.log(grid) + b * np.log(1 - grid))]
        assert float(out(["gan-dstar", "--pdata", a, "--pg", b])) == pytest.approx(best, abs=2e-6)
    p, q = np.array([0.1, 0.6, 0.3]), np.array([0.4, 0.4, 0.2])
    m = (p + q) / 2
    jsd = 0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m))
    record = json.loads(out(["gan-dstar", "--pdata", "0.1,0.6,0.3", "--pg", "0.4,0.4,0.2", "--json"]))
    assert record["value_at_optimum"] == pytest.approx(-math.log(4) + 2 * jsd, abs=1e-11)


def test_gan_proofs_and_the_sheet_statements():
    assert generative.prove_gan_dstar().proven
    assert not generative.prove_gan_dstar("sheet").proven
    assert generative.prove_gan_value().proven
    assert not generative.prove_gan_value("-log 2").proven
    assert generative.prove_gan_jsd().proven


def schedule_fields(text):
    return {k: float(v) for k, v in (item.split("=") for item in text.split())}


def test_linear_schedule_by_explicit_products():
    T, start, end = 1000, 1e-4, 0.02
    alpha_bar = 1.0
    for i in range(1, T + 1):
        beta = start + (end - start) * (i - 1) / (T - 1)
        alpha_bar *= 1 - beta
        if i in (1, 250, 1000):
            fields = schedule_fields(out(["ddpm-schedule", "--t", i]))
            assert fields["beta"] == pytest.approx(beta, rel=1e-10)
            assert fields["alpha_bar"] == pytest.approx(alpha_bar, rel=1e-9)
            assert fields["snr"] == pytest.approx(alpha_bar / (1 - alpha_bar), rel=1e-9)
    assert alpha_bar == pytest.approx(4.04e-5, rel=0.01)  # Ho et al.'s schedule ends near 4e-5


def test_cosine_schedule_follows_the_squared_cosine():
    T, s = 1000, 0.008
    f = lambda t: math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    for t in (1, 100, 500, 900):
        assert schedule_fields(out(["ddpm-schedule", "--schedule", "cosine", "--t", t]))["alpha_bar"] == pytest.approx(
            f(t) / f(0), rel=1e-9)


def test_closed_form_by_simulating_the_chain():
    rng = np.random.default_rng(9)
    betas = [0.1, 0.3, 0.2, 0.4]
    x0 = 1.5
    x = np.full(200_000, x0)
    for beta in betas:  # x_t = √(1 − β) x_{t−1} + √β ε
        x = math.sqrt(1 - beta) * x + math.sqrt(beta) * rng.standard_normal(x.size)
    alpha_bar = math.prod(1 - b for b in betas)
    assert x.mean() == pytest.approx(math.sqrt(alpha_bar) * x0, abs=0.01)
    assert x.var() == pytest.approx(1 - alpha_bar, abs=0.01)
    assert generative.prove_ddpm_closed_form().proven
    assert not generative.prove_ddpm_closed_form(variant="short-product").proven


def test_posterior_coefficients_reproduce_the_forward_marginals():
    record = json.loads(out(["ddpm-schedule", "--T", 3, "--t", 2, "--beta-start", 0.1, "--beta-end", 0.3, "--json"]))
    post = record["posterior"]
    a1, a2 = 0.9, 0.8
    ab1, ab2 = a1, a1 * a2
    # E[x1 | x2, x0] averaged over x2 ~ q(x2|x0) must give E[x1|x0] = √ᾱ₁ x₀ (per unit x₀)
    assert post["coef_x0"] + post["coef_xt"] * math.sqrt(ab2) == pytest.approx(math.sqrt(ab1))
    # and the variances add up: Var(x1|x0) = β̃ + coef_xt²·Var(x2|x0)
    assert post["variance"] + post["coef_xt"] ** 2 * (1 - ab2) == pytest.approx(1 - ab1)


def test_bits_per_dim():
    assert float(out(["bits-per-dim", "--nll", 3072 * math.log(2) * 3.5, "--dims", 3072])) == pytest.approx(3.5)
    assert float(out(["bits-per-dim", "--nll", 100, "--dims", 50, "--base", 2])) == 2.0


def test_elbo_by_monte_carlo_and_the_gap_identity():
    rng = np.random.default_rng(12)
    x, m, s = 1.3, 0.2, 0.9
    z = m + s * rng.standard_normal(1_000_000)
    log_joint = -0.5 * np.log(2 * np.pi) - z**2 / 2 - 0.5 * np.log(2 * np.pi) - (x - z) ** 2 / 2
    log_q = -0.5 * np.log(2 * np.pi * s * s) - (z - m) ** 2 / (2 * s * s)
    record = json.loads(out(["elbo", "--x", x, "--q-mean", m, "--q-std", s, "--json"]))
    assert record["result"] == pytest.approx(np.mean(log_joint - log_q), abs=3e-3)
    assert record["log_evidence"] == pytest.approx(-0.5 * math.log(4 * math.pi) - x * x / 4)
    assert record["gap"] == pytest.approx(record["kl_to_posterior"]) and record["gap"] > 0
    assert generative.prove_elbo_gap().proven
    assert not generative.prove_elbo_gap("prior").proven


def test_gan_value_for_a_given_discriminator():
    p, q, d = [0.2, 0.5, 0.3], [0.6, 0.1, 0.3], [0.3, 0.8, 0.5]
    expected = sum(a * math.log(b) for a, b in zip(p, d)) + sum(a * math.log(1 - b) for a, b in zip(q, d))
    assert float(out(["gan-value", "--pdata", "0.2,0.5,0.3", "--pg", "0.6,0.1,0.3", "--D", "0.3,0.8,0.5"])) == \
        pytest.approx(expected, rel=1e-11)


def test_ddpm_eps_mean_and_factor_rotation_identities():
    assert generative.prove_ddpm_eps().proven
    assert not generative.prove_ddpm_eps("no-sqrt").proven
    assert generative.prove_fa_rotation().proven
    assert not generative.prove_fa_rotation("scaled").proven
