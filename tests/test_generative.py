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


# ---- DDPM posterior, reverse step and loss; GAN generator loss; FA by EM; the latent marginal --------------


def linear_alpha_bars(T, start, end):
    """ᾱ_0..ᾱ_T by an explicit running product (ᾱ_0 = 1), and β_1..β_T."""
    betas = [start + (end - start) * (i - 1) / (T - 1) if T > 1 else start for i in range(1, T + 1)]
    alpha_bars = [1.0]
    for beta in betas:
        alpha_bars.append(alpha_bars[-1] * (1 - beta))
    return betas, alpha_bars


def record_of(args):
    return json.loads(out([*args, "--json"]))


def test_ddpm_posterior_by_conditioning_the_joint_gaussian():
    T, start, end = 10, 0.05, 0.4
    betas, alpha_bars = linear_alpha_bars(T, start, end)
    x0, xt = np.array([1.5, -0.3]), np.array([0.2, 0.9])
    for t in (2, 5, 10):
        a, ab, abp = 1 - betas[t - 1], alpha_bars[t], alpha_bars[t - 1]
        # (x_{t−1}, x_t) given x₀ is jointly Gaussian: x_t = √α_t x_{t−1} + √β_t ε
        c11, c12, c22 = 1 - abp, math.sqrt(a) * (1 - abp), 1 - ab
        mean = math.sqrt(abp) * x0 + c12 / c22 * (xt - math.sqrt(ab) * x0)
        record = record_of(["ddpm-posterior", "--T", T, "--t", t, "--beta-start", start, "--beta-end", end,
                            "--x0", "1.5,-0.3", "--xt", "0.2,0.9"])
        assert np.allclose(record["result"]["mean"], mean, rtol=1e-10)
        assert record["result"]["variance"] == pytest.approx(c11 - c12**2 / c22, rel=1e-10)
    assert run_main(["ddpm-posterior", "--t", "3", "--x0", "1,2", "--xt", "1"]).code == 2


def test_ddpm_posterior_by_monte_carlo():
    rng = np.random.default_rng(21)
    betas, alpha_bars = linear_alpha_bars(3, 0.2, 0.6)
    x0, n = 1.0, 2_000_000
    x1 = math.sqrt(alpha_bars[1]) * x0 + math.sqrt(1 - alpha_bars[1]) * rng.standard_normal(n)
    x2 = math.sqrt(1 - betas[1]) * x1 + math.sqrt(betas[1]) * rng.standard_normal(n)
    near = np.abs(x2 - 0.5) < 0.01  # condition on x₂ ≈ 0.5
    record = record_of(["ddpm-posterior", "--T", 3, "--t", 2, "--beta-start", 0.2, "--beta-end", 0.6,
                        "--x0", 1, "--xt", 0.5])
    assert x1[near].mean() == pytest.approx(record["result"]["mean"][0], abs=0.01)
    assert x1[near].var() == pytest.approx(record["result"]["variance"], abs=0.01)


def test_ddpm_reverse_with_the_true_noise_is_the_posterior_mean():
    T, start, end, t = 50, 1e-3, 0.2, 17
    _, alpha_bars = linear_alpha_bars(T, start, end)
    x0, eps = np.array([0.7, -1.2, 0.1]), np.array([0.3, 0.5, -2.0])
    xt = math.sqrt(alpha_bars[t]) * x0 + math.sqrt(1 - alpha_bars[t]) * eps
    common = ["--T", T, "--t", t, "--beta-start", start, "--beta-end", end, "--xt", ",".join(map(repr, xt.tolist()))]
    posterior = record_of(["ddpm-posterior", *common, "--x0", "0.7,-1.2,0.1"])
    reverse = record_of(["ddpm-reverse", *common, "--eps-pred", "0.3,0.5,-2", "--sigma", "posterior", "--z", "1,0,-1"])
    assert np.allclose(reverse["result"]["mean"], posterior["result"]["mean"], rtol=1e-9, atol=1e-12)
    assert reverse["result"]["variance"] == pytest.approx(posterior["result"]["variance"], rel=1e-10)
    assert np.allclose(reverse["x0_hat"], x0)
    step = math.sqrt(reverse["result"]["variance"]) * np.array([1, 0, -1])
    assert np.allclose(reverse["result"]["sample"], np.array(reverse["result"]["mean"]) + step)
    beta_t = start + (end - start) * (t - 1) / (T - 1)
    assert record_of(["ddpm-reverse", *common, "--eps-pred", "0,0,0"])["result"]["variance"] == pytest.approx(beta_t)


def test_ddpm_loss_by_an_explicit_loop():
    rng = np.random.default_rng(5)
    eps, pred = rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    total = 0.0
    for row in range(6):
        total += sum((eps[row, j] - pred[row, j]) ** 2 for j in range(4))
    record = record_of(["ddpm-loss", "--eps", json.dumps(eps.tolist()), "--eps-pred", json.dumps(pred.tolist())])
    assert record["result"] == pytest.approx(total / 6, rel=1e-11)
    assert record["mse_per_element"] == pytest.approx(total / 24, rel=1e-11)
    assert run_main(["ddpm-loss", "--eps", "1,2", "--eps-pred", "1,2,3"]).code == 2


def test_gan_generator_loss_gradients_by_finite_differences():
    d = np.array([0.01, 0.3, 0.9])
    logits = np.log(d / (1 - d))
    per_sample = {"non-saturating": lambda a: -np.log(1 / (1 + np.exp(-a))),
                  "saturating": lambda a: np.log(1 - 1 / (1 + np.exp(-a)))}
    for form, loss in per_sample.items():
        record = record_of(["gan-generator-loss", "--D", "0.01,0.3,0.9", "--form", form])
        assert record["result"] == pytest.approx(float(np.mean(loss(logits))), rel=1e-11)
        h = 1e-6
        assert np.allclose(record["logit_gradient"], (loss(logits + h) - loss(logits - h)) / (2 * h), atol=1e-8)
    # the saturating gradient vanishes where D(G(z)) ≈ 0; the non-saturating one does not
    assert abs(record_of(["gan-generator-loss", "--D", "1e-6", "--form", "saturating"])["logit_gradient"][0]) < 1e-5
    # agrees with gan-value's non-saturating loss for p_g uniform over the batch
    batch = "0.01,0.3,0.9,0.5"
    value = record_of(["gan-value", "--pdata", "0.1,0.2,0.3,0.4", "--pg", "0.25,0.25,0.25,0.25", "--D", batch])
    assert record_of(["gan-generator-loss", "--D", batch])["result"] == pytest.approx(value["non_saturating_loss"])
    assert run_main(["gan-generator-loss", "--D", "0.5,1"]).code == 2


def fa_data(seed, W, psi, count):
    rng = np.random.default_rng(seed)
    W, psi = np.array(W), np.array(psi)
    return rng.standard_normal((count, W.shape[1])) @ W.T + rng.standard_normal((count, len(psi))) * np.sqrt(psi)


def fa_fit_record(X, m, *extra):
    record = record_of(["fa-fit", "--X", json.dumps(X.tolist()), "--m", m, *extra])
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
    ppca = record_of(["ppca-fit", "--X", json.dumps(X.tolist()), "--m", 1])
    W_ppca = np.array(ppca["result"]["W"])
    assert np.allclose(psi, ppca["result"]["sigma2"], rtol=1e-6)
    assert np.allclose(W @ W.T, W_ppca @ W_ppca.T, atol=1e-6)
    # without the constraint the noise variances differ, and the fit is at least as good
    _, psi_free, free = fa_fit_record(X, 1)
    assert np.ptp(psi_free) > 1e-3
    assert free["loglik"] >= record_of(["fa-fit", "--X", json.dumps(X.tolist()), "--m", 1, "--isotropic"])["loglik"]


def test_fa_fit_recovers_an_exactly_representable_covariance():
    # 3 features, 1 factor: exactly identified; S = wwᵀ + Ψ is reproduced exactly
    X = np.array([[3, 0, 0], [-3, 0, 0], [0, 2, 0], [0, -2, 0], [0, 0, 1], [0, 0, -1], [2, 4, 2], [-2, -4, -2]], float)
    S = X.T @ X / len(X)
    W, psi, _ = fa_fit_record(X, 1)
    assert np.allclose(W @ W.T + np.diag(psi), S, atol=1e-9)
    assert run_main(["fa-fit", "--X", "1,2;3,4", "--m", "2"]).code == 2


def test_latent_marginal_integrates_to_one_and_matches_sampling_the_prior():
    prior, means, stds = [0.2, 0.5, 0.3], [-2.0, 0.5, 3.0], [0.5, 1.0, 2.0]
    args = ["--prior", "0.2,0.5,0.3", "--means", "-2,0.5,3", "--stds", "0.5,1,2"]
    grid = np.linspace(-20, 25, 901)
    density = np.array([float(out(["latent-marginal", *args, "--x", x])) for x in grid[::10]])
    assert np.sum((density[1:] + density[:-1]) / 2 * np.diff(grid[::10])) == pytest.approx(1, abs=2e-3)
    rng = np.random.default_rng(17)  # p(x) = E_{z~p(z)}[p(x∣z)]
    z = rng.choice(3, size=400_000, p=prior)
    mc = np.mean(np.exp(-(1.2 - np.array(means)[z]) ** 2 / (2 * np.array(stds)[z] ** 2))
                 / (np.array(stds)[z] * math.sqrt(2 * math.pi)))
    record = record_of(["latent-marginal", *args, "--x", 1.2])
    assert record["result"] == pytest.approx(mc, rel=5e-3)
    assert sum(record["posterior"]) == pytest.approx(1)
    assert record["log_px"] == pytest.approx(math.log(record["result"]))
    assert run_main(["latent-marginal", "--prior", "0.5,0.6", "--means", "0,1", "--stds", "1,1", "--x", "0"]).code == 2


def made_jacobian(masks, x, rng):
    """A MADE with random weights ⊙ masks (tanh hidden layers), differentiated by central differences."""
    weights = [rng.standard_normal(np.shape(m)) * np.array(m) for m in masks]

    def net(v):
        for W in weights[:-1]:
            v = np.tanh(W @ v + 0.1)
        return weights[-1] @ v

    h = 1e-6
    return np.column_stack([(net(x + h * e) - net(x - h * e)) / (2 * h) for e in np.eye(len(x))])


@pytest.mark.parametrize("order, hidden", [("1,2,3,4", ["1,2,3,1,2,3", "2,1,3,3,1"]), ("3,1,4,2", ["2,2,1,3"]),
                                           ("2,1", ["1,1"])])
def test_made_masks_are_autoregressive_by_a_finite_difference_jacobian(order, hidden):
    args = ["made", "--order", order] + [arg for h in hidden for arg in ("--hidden", h)]
    record = record_of(args)
    degrees = np.array([int(v) for v in order.split(",")])
    rng = np.random.default_rng(1)
    J = made_jacobian(record["masks"], rng.standard_normal(len(degrees)), rng)
    allowed = degrees[:, None] > degrees[None, :]
    assert np.all(abs(J[~allowed]) < 1e-9)  # ∂ŷ_i/∂x_j = 0 unless m_j < m_i
    assert np.array_equal(abs(J) > 1e-7, np.array(record["result"]) == 1)  # the printed dependencies are real
    assert record["autoregressive"]


def test_made_with_a_non_strict_output_mask_is_not_autoregressive():
    masks = generative.made_masks([1, 2, 3], [[1, 2, 2]], strict_output=False)
    J = made_jacobian(masks, np.array([0.3, -0.2, 0.5]), np.random.default_rng(2))
    assert abs(J[1, 1]) > 1e-6  # output 2 sees its own input: the altered rule fails
    assert run_main(["made", "--order", "1,1,2", "--hidden", "1"]).code == 2
    assert run_main(["made", "--order", "1,2,3", "--hidden", "3"]).code == 2


def masked_conv_matrix(length, k, d, mask, rng):
    """A 1-D masked convolution as a length×length matrix: centred taps at offsets (i − c)·d (causal: all k taps
    at offsets −(k−1−i)·d); mask A zeroes the centre and the future, B the future only."""
    M = np.zeros((length, length))
    for i in range(k):
        offset = -(k - 1 - i) * d if mask == "causal" else (i - (k - 1) // 2) * d
        if (mask == "a" and offset >= 0) or (mask == "b" and offset > 0):
            continue
        w = rng.uniform(0.5, 1.5)
        for t in range(length):
            if 0 <= t + offset < length:
                M[t, t + offset] = w
    return M


@pytest.mark.parametrize("layers, first", [("k=2,d=1; k=2,d=2; k=2,d=4", "causal"), ("k=3; k=3; k=3", "a"),
                                           ("k=5,d=2; k=3; k=7,d=3", "a"), ("k=3,d=2; k=5", "b"),
                                           ("k=3,d=3; k=2", "causal")])
def test_masked_receptive_field_by_composing_the_convolutions(layers, first):
    rng, length = np.random.default_rng(4), 80
    total = np.eye(length)
    for number, layer in enumerate(layers.split(";")):
        spec = dict(item.strip().split("=") for item in layer.split(","))
        mask = first if number == 0 else ("causal" if first == "causal" else "b")
        total = masked_conv_matrix(length, int(spec["k"]), int(spec.get("d", 1)), mask, rng) @ total
    seen = np.nonzero(total[length - 1])[0] - (length - 1)  # offsets that reach the last output
    record = record_of(["masked-receptive-field", "--layers", layers, "--first", first])
    assert (record["result"]["from"], record["result"]["to"]) == (seen.min(), seen.max())
    assert record["result"]["size"] == seen.max() - seen.min() + 1 and record["nonzero"] == len(seen)
    assert seen.max() <= (-1 if first == "a" else 0)  # causal: never the future (nor x_t under mask A)


def test_masked_receptive_field_rejects_what_it_cannot_mask():
    assert run_main(["masked-receptive-field", "--layers", "k=2", "--first", "a"]).code == 2
    assert run_main(["masked-receptive-field", "--layers", "k=3,s=2"]).code == 2


# ---- the forward noising step q(x_t∣x_{t−1}) -------------------------------------------------------


def forward_step(T, t, x_prev, **extra):
    args = ["ddpm-forward", "--T", T, "--t", t, "--beta-start", 0.1, "--beta-end", 0.4, "--x-prev", x_prev, "--json"]
    for key, value in extra.items():
        args += [f"--{key}", value]
    return json.loads(out(args))["result"]


def test_ddpm_forward_steps_compose_to_the_closed_form_by_monte_carlo():
    T, x0, n = 4, 1.5, 400_000
    rng = np.random.default_rng(3)
    x = np.full(n, x0)
    for t in range(1, T + 1):
        step = forward_step(T, t, 1.0)
        coef, beta = step["mean"][0], step["variance"]
        x = coef * x + math.sqrt(beta) * rng.standard_normal(n)  # sample q(x_t∣x_{t−1})
        alpha_bar = float(np.prod(1 - np.linspace(0.1, 0.4, T)[:t]))
        assert x.mean() == pytest.approx(math.sqrt(alpha_bar) * x0, abs=5e-3)
        assert x.var() == pytest.approx(1 - alpha_bar, abs=5e-3)
        closed = json.loads(out(["ddpm-schedule", "--T", T, "--t", t, "--beta-start", 0.1, "--beta-end", 0.4, "--json"]))
        assert closed["mean_coef"] == pytest.approx(math.sqrt(alpha_bar))
        # the altered step N((1 − β_t)x_(t−1), β_t) misses the closed form's mean
        assert abs((1 - beta) - coef) > 0.01


def test_ddpm_forward_logpdf_is_the_gaussian_density():
    x_prev, xt = [0.5, -1.0, 2.0], [0.3, -0.2, 1.1]
    result = forward_step(5, 3, ",".join(map(str, x_prev)), xt=",".join(map(str, xt)))
    beta = np.linspace(0.1, 0.4, 5)[2]
    expected = gaussian_logpdf(xt, math.sqrt(1 - beta) * np.array(x_prev), beta * np.eye(3))
    assert result["variance"] == pytest.approx(beta) and result["logpdf"] == pytest.approx(expected)
    assert run_main(["ddpm-forward", "--T", 5, "--t", 6, "--x-prev", 1]).code == 2
