"""Generalisation: the PAC-Bayes bound by hand (and the sheet's form growing with n), the generalisation
gap of a sample mean by Monte Carlo."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import plain, run_main
from dlcalc.catalogue import theory_generalisation


@pytest.mark.parametrize("emp, kl, n, delta", [(0.05, math.log(50), 200, 0.05), (0.1, 12.0, 10_000, 0.01),
                                               (0.0, 0.0, 1, 0.5)])
def test_pac_bayes_by_hand(emp, kl, n, delta):
    expected = emp + math.sqrt((kl + math.log(2 * math.sqrt(n) / delta)) / (2 * n))
    got = float(plain(["pac-bayes", "--emp-risk", emp, "--kl", kl, "--n", n, "--delta", delta]))
    assert got == pytest.approx(expected, rel=1e-11)


def test_pac_bayes_shrinks_with_n_unlike_the_sheet():
    bounds = [float(plain(["pac-bayes", "--emp-risk", 0.1, "--kl", 5, "--n", n])) for n in (100, 10_000, 1_000_000)]
    assert bounds[0] > bounds[1] > bounds[2] > 0.1
    sheet = [theory_generalisation.sheet_pac_bayes(0.1, 5, n, 0.05) for n in (100, 10_000)]
    assert sheet[1] > sheet[0] > 1  # E76: vacuous and growing
    assert run_main(["pac-bayes", "--emp-risk", "0.1", "--kl", "1", "--n", "10", "--delta", "1"]).code == 2


def test_generalization_gap_of_the_sample_mean_by_monte_carlo():
    """f = ȳ of n draws from N(μ, σ²) under squared loss: R[f] = σ² + (ȳ − μ)² exactly, and
    E[Gen] = σ²(1 + 1/n) − σ²(1 − 1/n) = 2σ²/n."""
    rng = np.random.default_rng(5)
    mu, sigma, n = 1.0, 2.0, 5
    train = rng.normal(mu, sigma, n)
    fit = train.mean()
    losses = ",".join(str(v) for v in (train - fit) ** 2)
    exact = sigma**2 + (fit - mu) ** 2
    by_risk = json.loads(plain(["generalization-gap", "--train-losses", losses, "--risk", str(exact), "--json"]))
    assert by_risk["result"] == pytest.approx(exact - np.mean((train - fit) ** 2))
    held_out = (rng.normal(mu, sigma, 200_000) - fit) ** 2
    by_sample = json.loads(plain(["generalization-gap", "--train-losses", losses, "--test-losses",
                                ",".join(f"{v:.17g}" for v in held_out), "--json"]))
    assert abs(by_sample["result"] - by_risk["result"]) < 4 * by_sample["standard_error"]
    gaps = []
    for _ in range(20_000):
        train = rng.normal(mu, sigma, n)
        fit = train.mean()
        gaps.append(theory_generalisation.generalization_gap(tuple((train - fit) ** 2), (), float(sigma**2 + (fit - mu) ** 2)).value)
    assert np.mean(gaps) == pytest.approx(2 * sigma**2 / n, rel=0.05)
    assert np.mean(gaps) > 0.5 * 2 * sigma**2 / n  # the reversed R_emp − R would be negative: training loss is optimistic


def test_generalization_gap_needs_one_risk_source():
    assert run_main(["generalization-gap", "--train-losses", "0,1"]).code == 2
    assert run_main(["generalization-gap", "--train-losses", "0,1", "--risk", "1", "--test-losses", "1"]).code == 2
