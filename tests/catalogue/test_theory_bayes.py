"""Bayesian learning: Langevin variances by iterating the covariance recursion and by simulation, one
Langevin step by hand, the posterior predictive by Bayes' rule."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import plain, run_main


def covariance_by_iteration(M, g, c, rounds=300_000):
    S = np.zeros_like(M)
    Q = c * c * np.outer(g, g)
    for _ in range(rounds):
        S = M @ S @ M.T + Q
    return S


def test_langevin_exact_variance_matches_the_iterated_recursion():
    eta, gamma, sigma2, T = 0.05, 1.0, 4.0, 1.5
    # v' = (1 − ηγ)v − ηθ/σ² + √(2γηT)ε; θ' = θ + ηv' — written out here, state (θ, v)
    M = np.array([[1 - eta**2 / sigma2, eta * (1 - eta * gamma)], [-eta / sigma2, 1 - eta * gamma]])
    expected = covariance_by_iteration(M, np.array([eta, 1.0]), math.sqrt(2 * gamma * eta * T), 20_000)[0, 0]
    got = float(plain(["langevin", "--target-var", sigma2, "--gamma", gamma, "--eta", eta, "--temperature", T]))
    assert got == pytest.approx(expected, rel=1e-9)
    assert got == pytest.approx(T * sigma2, rel=0.05)  # close to the target for a small step


def test_langevin_sheet_noise_collapses_and_simulation_agrees():
    sheet = float(plain(["langevin", "--target-var", 4, "--eta", 0.01, "--noise", "sheet"]))
    assert sheet < 0.1  # E74: the catalogue measured 0.0802 against the target 4
    record = json.loads(plain(["langevin", "--target-var", 4, "--eta", 0.05, "--method", "sgld", "--chains", 4000,
                             "--steps", 2000, "--json"]))
    a = 1 - 0.05 / 4  # SGLD on θ²/8: θ' = aθ + √(2η)ε ⇒ Var = 2η/(1 − a²)
    assert record["result"] == pytest.approx(2 * 0.05 / (1 - a * a), rel=1e-10)
    assert record["simulated_variance"] == pytest.approx(record["result"], rel=0.08)


def test_posterior_predictive_by_bayes_rule():
    prior, lik, pred = [0.2, 0.5, 0.3], [0.9, 0.1, 0.4], [0.7, 0.2, 0.5]
    evidence = sum(p * l for p, l in zip(prior, lik))
    expected = sum(p * l / evidence * q for p, l, q in zip(prior, lik, pred))
    got = float(plain(["posterior-predictive", "--prior", "0.2,0.5,0.3", "--likelihood", "0.9,0.1,0.4",
                     "--predictive", "0.7,0.2,0.5"]))
    assert got == pytest.approx(expected, rel=1e-11)


def test_langevin_step_by_hand():
    theta, v, grad, eps, gamma, eta, T = [0.5, -1.0], [0.2, 0.0], [1.0, -2.0], [0.3, -0.7], 0.8, 0.05, 2.0
    new_v = [(1 - eta * gamma) * vi - eta * gi + math.sqrt(2 * gamma * eta * T) * ei
             for vi, gi, ei in zip(v, grad, eps)]
    new_theta = [ti + eta * vi for ti, vi in zip(theta, new_v)]
    record = json.loads(plain(["langevin-step", "--theta", "0.5,-1", "--v", "0.2,0", "--grad", "1,-2",
                             "--eps", "0.3,-0.7", "--gamma", gamma, "--eta", eta, "--temperature", T, "--json"]))
    assert np.allclose(record["result"]["v"], new_v) and np.allclose(record["result"]["theta"], new_theta)


def test_the_simulation_is_bounded():
    run = run_main(["langevin", "--chains", "1", "--steps", "100000000"])
    assert run.code == 2 and "--steps: must be at most 1,000,000" in run.err
    run = run_main(["langevin", "--chains", "100000000"])
    assert run.code == 2 and "--chains: must be at most 1,000,000" in run.err


def test_coefficients_beyond_the_float_range_are_refused():
    run = run_main(["langevin", "--target-var", "5e-324"])  # 1/σ² = ∞
    assert run.code == 2 and "beyond the float range" in run.err
