"""Initialisation against Monte Carlo forward passes, normalisation against per-axis NumPy, and the
weight-decay identity (true for SGD, refuted for Adam: why AdamW exists)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import run_main
from dlcalc.catalogue import regularisation as reg
from dlcalc.core.proof import prove_equal


def result(args):
    run = run_main([*args, "--json"])
    assert run.code == 0, run.err
    return json.loads(run.out)


@pytest.mark.parametrize("scheme", ["he", "lecun"])
def test_signal_factor_against_random_relu_networks(scheme):
    """Average over independent networks: one network's factor drifts by ~sqrt(2/width) per layer."""
    width, layers = 800, 4
    rng = np.random.default_rng(1)
    ratios = []
    for _ in range(6):
        h = rng.normal(size=(50, width))
        start = np.mean(h**2)
        for _ in range(layers):
            w = rng.normal(scale=np.sqrt(reg.init_variance(scheme, width, width)), size=(width, width))
            h = np.maximum(h @ w.T, 0)
        ratios.append(np.mean(h**2) / start)
    expected = result(["init-signal", "--scheme", scheme, "--width", str(width), "--layers", str(layers)])["result"]
    assert np.mean(ratios) == pytest.approx(expected, rel=0.08)


def test_uniform_bound_has_the_requested_variance():
    record = result(["init", "--scheme", "xavier", "--fan-in", "100", "--fan-out", "50", "--dist", "uniform"])
    draws = np.random.default_rng(2).uniform(-record["result"], record["result"], size=1_000_000)
    assert np.var(draws) == pytest.approx(2 / 150, rel=0.01)
    assert record["var"] == pytest.approx(2 / 150)


def test_normalisations_against_numpy():
    x = np.random.default_rng(3).normal(size=(5, 4)) * 3 + 1
    batch = np.array(result(["normalise", "--x", json.dumps(x.tolist()), "--kind", "batch"])["result"])
    assert np.allclose(batch.mean(axis=0), 0, atol=1e-9) and np.allclose(batch.std(axis=0), 1, atol=1e-9)
    layer = np.array(result(["normalise", "--x", json.dumps(x.tolist()), "--kind", "layer", "--gamma", "2", "--beta", "1"])["result"])
    assert np.allclose(layer.mean(axis=1), 1, atol=1e-9) and np.allclose(layer.std(axis=1), 2, atol=1e-9)
    rms = np.array(result(["normalise", "--x", json.dumps(x.tolist()), "--kind", "rms"])["result"])
    assert np.allclose(np.sqrt((rms**2).mean(axis=1)), 1, atol=1e-9)


def test_inverted_dropout_by_simulation():
    rng = np.random.default_rng(4)
    p, x = 0.3, 2.5
    mask = rng.random(1_000_000) >= p
    assert np.mean(mask * x / (1 - p)) == pytest.approx(x, rel=0.005)
    assert prove_equal(*reg.inverted_dropout_statement()).proven


def test_l2_equals_weight_decay_for_sgd_but_not_adam():
    assert prove_equal(*reg.weight_decay_statement("sgd")).proven
    assert not prove_equal(*reg.weight_decay_statement("adam-first-step")).proven


def test_dropout_expectation_by_monte_carlo_and_by_enumerating_masks():
    import itertools

    x, p = np.array([1.5, -2.0, 0.25]), 0.4
    # exact: every mask m ∈ {0,1}³ with its probability (1 − p)^{|m|} p^{3 − |m|}
    exact = sum(np.prod([(1 - p) if k else p for k in m]) * np.array(m) * x / (1 - p)
                for m in itertools.product((0, 1), repeat=3))
    assert np.allclose(exact, x)
    for seed in range(5):
        run = run_main(["dropout-expectation", "--x", "1.5,-2,0.25", "--p", "0.4", "--samples", "200000",
                        "--seed", str(seed), "--json"])
        record = json.loads(run.out)
        assert run.code == 0
        assert np.all(np.abs(np.array(record["result"]) - x) <= 5 * np.array(record["standard_error"]))
        assert np.allclose(record["standard_error"], np.abs(x) * np.sqrt(p / (1 - p) / 200000), rtol=0.05)
        assert np.allclose(record["plain_dropout_mean"], (1 - p) * x)


def test_dropout_without_rescaling_is_refuted_by_the_same_check(monkeypatch):
    """If the 1/(1 − p) were dropped, the mean (1 − p)x would be many standard errors from x."""
    real = np.random.default_rng

    class Rescaled:  # masks that keep with probability (1 − p)² make E[m x/(1 − p)] = (1 − p)x
        def __init__(self, seed):
            self.rng = real(seed)

        def random(self, shape):
            return np.where(self.rng.random(shape) < 0.64, 0.0, 1.0)  # keep (≥ p = 0.4) with probability 0.36

    monkeypatch.setattr(np.random, "default_rng", Rescaled)
    run = run_main(["dropout-expectation", "--x", "1,2", "--p", "0.4", "--samples", "100000"])
    assert run.code == 1


def test_dropout_expectation_rejects_p_of_one():
    run = run_main(["dropout-expectation", "--x", "1", "--p", "1"])
    assert run.code == 2 and "[0, 1)" in run.err
