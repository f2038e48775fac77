"""VAE formulas against independent computations: the KL by numerical integration, the
reparameterisation against the covariance it must reproduce, the ELBO by Monte Carlo, a latent marginal
by integration and by sampling the prior."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import as_json, plain, run_main


def numbers(text):
    return [float(v) for v in text.split(",")]


def test_vae_kl_by_numerical_integration():
    z = np.linspace(-30, 30, 600_001)
    for mu, sigma in ((0.0, 1.0), (1.5, 0.3), (-2.0, 2.5)):
        q = np.exp(-(z - mu) ** 2 / (2 * sigma**2)) / math.sqrt(2 * math.pi * sigma**2)
        p = np.exp(-z**2 / 2) / math.sqrt(2 * math.pi)
        integrand = q * (np.log(q + 1e-300) - np.log(p))
        integral = float(np.sum((integrand[1:] + integrand[:-1]) / 2 * np.diff(z)))  # the trapezoid rule
        assert float(plain(["vae-kl", "--mu", mu, "--sigma", sigma])) == pytest.approx(integral, abs=1e-6)
    # the sum over dimensions, and the log-variance form
    assert float(plain(["vae-kl", "--mu", "1,0", "--logvar=0,-1"])) == pytest.approx(0.5 + 0.5 * (math.exp(-1) + 1 - 1))


def test_reparameterisation_reproduces_the_covariance():
    cov = [[4.0, 1.2, 0.0], [1.2, 2.0, -0.5], [0.0, -0.5, 1.0]]
    columns = [np.array(numbers(plain(["reparam", "--mu", "0,0,0", "--cov", json.dumps(cov), "--eps", e])))
               for e in ("1,0,0", "0,1,0", "0,0,1")]
    L = np.column_stack(columns)  # z − μ = Lε, read off column by column
    assert np.allclose(L @ L.T, cov)
    assert numbers(plain(["reparam", "--mu", "1,1", "--sigma", "2,0.5", "--eps", "-1,4"])) == [-1.0, 3.0]
    assert run_main(["reparam", "--mu", "0,0", "--cov", "1,2;2,1", "--eps", "1,1"]).code == 2


def test_elbo_by_monte_carlo_and_the_gap_identity():
    rng = np.random.default_rng(12)
    x, m, s = 1.3, 0.2, 0.9
    z = m + s * rng.standard_normal(1_000_000)
    log_joint = -0.5 * np.log(2 * np.pi) - z**2 / 2 - 0.5 * np.log(2 * np.pi) - (x - z) ** 2 / 2
    log_q = -0.5 * np.log(2 * np.pi * s * s) - (z - m) ** 2 / (2 * s * s)
    record = json.loads(plain(["elbo", "--x", x, "--q-mean", m, "--q-std", s, "--json"]))
    assert record["result"] == pytest.approx(np.mean(log_joint - log_q), abs=3e-3)
    assert record["log_evidence"] == pytest.approx(-0.5 * math.log(4 * math.pi) - x * x / 4)
    assert record["gap"] == pytest.approx(record["kl_to_posterior"]) and record["gap"] > 0


def test_latent_marginal_integrates_to_one_and_matches_sampling_the_prior():
    prior, means, stds = [0.2, 0.5, 0.3], [-2.0, 0.5, 3.0], [0.5, 1.0, 2.0]
    args = ["--prior", "0.2,0.5,0.3", "--means", "-2,0.5,3", "--stds", "0.5,1,2"]
    grid = np.linspace(-20, 25, 901)
    density = np.array([float(plain(["latent-marginal", *args, "--x", x])) for x in grid[::10]])
    assert np.sum((density[1:] + density[:-1]) / 2 * np.diff(grid[::10])) == pytest.approx(1, abs=2e-3)
    rng = np.random.default_rng(17)  # p(x) = E_{z~p(z)}[p(x∣z)]
    z = rng.choice(3, size=400_000, p=prior)
    mc = np.mean(np.exp(-(1.2 - np.array(means)[z]) ** 2 / (2 * np.array(stds)[z] ** 2))
                 / (np.array(stds)[z] * math.sqrt(2 * math.pi)))
    record = as_json(["latent-marginal", *args, "--x", 1.2])
    assert record["result"] == pytest.approx(mc, rel=5e-3)
    assert sum(record["posterior"]) == pytest.approx(1)
    assert record["log_px"] == pytest.approx(math.log(record["result"]))
    assert run_main(["latent-marginal", "--prior", "0.5,0.6", "--means", "0,1", "--stds", "1,1", "--x", "0"]).code == 2


def test_vae_kl_beyond_the_float_range_is_refused_and_tiny_sigmas_are_exact():
    for args in (["--mu", "1e308", "--sigma", "1"], ["--mu", "0", "--sigma", "1e200"], ["--mu", "0", "--logvar", "800"]):
        run = run_main(["vae-kl", *args])
        assert run.code == 2 and "beyond the float range" in run.err
    # σ = 1e-200: σ² underflows to 0 but ln σ² = −921.03…; ½(σ² + μ² − 1 − ln σ²) in 50 digits
    import mpmath

    exact = (mpmath.mpf("1e-400") - 1 - mpmath.log(mpmath.mpf("1e-400"))) / 2
    assert float(plain(["vae-kl", "--mu", 0, "--sigma", 1e-200])) == pytest.approx(float(exact), rel=1e-11)
