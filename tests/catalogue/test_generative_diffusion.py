"""DDPM formulas against independent computations: schedules by explicit products, the closed form by
simulating the chain, the posterior by conditioning the joint Gaussian and by Monte Carlo."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import as_json, plain, run_main
from _densities import gaussian_logpdf


def schedule_fields(text):
    return {k: float(v) for k, v in (item.split("=") for item in text.split())}


def test_linear_schedule_by_explicit_products():
    T, start, end = 1000, 1e-4, 0.02
    alpha_bar = 1.0
    for i in range(1, T + 1):
        beta = start + (end - start) * (i - 1) / (T - 1)
        alpha_bar *= 1 - beta
        if i in (1, 250, 1000):
            fields = schedule_fields(plain(["ddpm-schedule", "--t", i]))
            assert fields["beta"] == pytest.approx(beta, rel=1e-10)
            assert fields["alpha_bar"] == pytest.approx(alpha_bar, rel=1e-9)
            assert fields["snr"] == pytest.approx(alpha_bar / (1 - alpha_bar), rel=1e-9)
    assert alpha_bar == pytest.approx(4.04e-5, rel=0.01)  # Ho et al.'s schedule ends near 4e-5


def test_cosine_schedule_follows_the_squared_cosine():
    T, s = 1000, 0.008
    f = lambda t: math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    for t in (1, 100, 500, 900):
        assert schedule_fields(plain(["ddpm-schedule", "--schedule", "cosine", "--t", t]))["alpha_bar"] == pytest.approx(
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


def test_posterior_coefficients_reproduce_the_forward_marginals():
    record = json.loads(plain(["ddpm-schedule", "--T", 3, "--t", 2, "--beta-start", 0.1, "--beta-end", 0.3, "--json"]))
    post = record["posterior"]
    a1, a2 = 0.9, 0.8
    ab1, ab2 = a1, a1 * a2
    # E[x1 | x2, x0] averaged over x2 ~ q(x2|x0) must give E[x1|x0] = √ᾱ₁ x₀ (per unit x₀)
    assert post["coef_x0"] + post["coef_xt"] * math.sqrt(ab2) == pytest.approx(math.sqrt(ab1))
    # and the variances add up: Var(x1|x0) = β̃ + coef_xt²·Var(x2|x0)
    assert post["variance"] + post["coef_xt"] ** 2 * (1 - ab2) == pytest.approx(1 - ab1)


def linear_alpha_bars(T, start, end):
    """ᾱ_0..ᾱ_T by an explicit running product (ᾱ_0 = 1), and β_1..β_T."""
    betas = [start + (end - start) * (i - 1) / (T - 1) if T > 1 else start for i in range(1, T + 1)]
    alpha_bars = [1.0]
    for beta in betas:
        alpha_bars.append(alpha_bars[-1] * (1 - beta))
    return betas, alpha_bars


def test_ddpm_posterior_by_conditioning_the_joint_gaussian():
    T, start, end = 10, 0.05, 0.4
    betas, alpha_bars = linear_alpha_bars(T, start, end)
    x0, xt = np.array([1.5, -0.3]), np.array([0.2, 0.9])
    for t in (2, 5, 10):
        a, ab, abp = 1 - betas[t - 1], alpha_bars[t], alpha_bars[t - 1]
        # (x_{t−1}, x_t) given x₀ is jointly Gaussian: x_t = √α_t x_{t−1} + √β_t ε
        c11, c12, c22 = 1 - abp, math.sqrt(a) * (1 - abp), 1 - ab
        mean = math.sqrt(abp) * x0 + c12 / c22 * (xt - math.sqrt(ab) * x0)
        record = as_json(["ddpm-posterior", "--T", T, "--t", t, "--beta-start", start, "--beta-end", end,
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
    record = as_json(["ddpm-posterior", "--T", 3, "--t", 2, "--beta-start", 0.2, "--beta-end", 0.6,
                        "--x0", 1, "--xt", 0.5])
    assert x1[near].mean() == pytest.approx(record["result"]["mean"][0], abs=0.01)
    assert x1[near].var() == pytest.approx(record["result"]["variance"], abs=0.01)


def test_ddpm_reverse_with_the_true_noise_is_the_posterior_mean():
    T, start, end, t = 50, 1e-3, 0.2, 17
    _, alpha_bars = linear_alpha_bars(T, start, end)
    x0, eps = np.array([0.7, -1.2, 0.1]), np.array([0.3, 0.5, -2.0])
    xt = math.sqrt(alpha_bars[t]) * x0 + math.sqrt(1 - alpha_bars[t]) * eps
    common = ["--T", T, "--t", t, "--beta-start", start, "--beta-end", end, "--xt", ",".join(map(repr, xt.tolist()))]
    posterior = as_json(["ddpm-posterior", *common, "--x0", "0.7,-1.2,0.1"])
    reverse = as_json(["ddpm-reverse", *common, "--eps-pred", "0.3,0.5,-2", "--sigma", "posterior", "--z", "1,0,-1"])
    assert np.allclose(reverse["result"]["mean"], posterior["result"]["mean"], rtol=1e-9, atol=1e-12)
    assert reverse["result"]["variance"] == pytest.approx(posterior["result"]["variance"], rel=1e-10)
    assert np.allclose(reverse["x0_hat"], x0)
    step = math.sqrt(reverse["result"]["variance"]) * np.array([1, 0, -1])
    assert np.allclose(reverse["result"]["sample"], np.array(reverse["result"]["mean"]) + step)
    beta_t = start + (end - start) * (t - 1) / (T - 1)
    assert as_json(["ddpm-reverse", *common, "--eps-pred", "0,0,0"])["result"]["variance"] == pytest.approx(beta_t)


def test_ddpm_loss_by_an_explicit_loop():
    rng = np.random.default_rng(5)
    eps, pred = rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    total = 0.0
    for row in range(6):
        total += sum((eps[row, j] - pred[row, j]) ** 2 for j in range(4))
    record = as_json(["ddpm-loss", "--eps", json.dumps(eps.tolist()), "--eps-pred", json.dumps(pred.tolist())])
    assert record["result"] == pytest.approx(total / 6, rel=1e-11)
    assert record["mse_per_element"] == pytest.approx(total / 24, rel=1e-11)
    assert run_main(["ddpm-loss", "--eps", "1,2", "--eps-pred", "1,2,3"]).code == 2


def forward_step(T, t, x_prev, **extra):
    args = ["ddpm-forward", "--T", T, "--t", t, "--beta-start", 0.1, "--beta-end", 0.4, "--x-prev", x_prev, "--json"]
    for key, value in extra.items():
        args += [f"--{key}", value]
    return json.loads(plain(args))["result"]


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
        closed = json.loads(plain(["ddpm-schedule", "--T", T, "--t", t, "--beta-start", 0.1, "--beta-end", 0.4, "--json"]))
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


@pytest.mark.parametrize("command", ["ddpm-schedule", "ddpm-posterior", "ddpm-forward", "ddpm-reverse"])
def test_the_number_of_steps_is_bounded(command):
    run = run_main([command, "--T", "100000000000", "--t", "1"])  # 745 GiB of schedule, were it allowed
    assert run.code == 2 and "--T: must be at most 1,000,000" in run.err
