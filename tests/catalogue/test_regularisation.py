"""Initialisation against Monte Carlo forward passes, normalisation against per-axis NumPy, and the
weight-decay identity refuted for Adam (why AdamW exists), and RMSNorm's scaling at the float range's ends."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import as_json, run_main
from dlcalc.catalogue import regularisation as reg
from dlcalc.core.proof import prove_statement



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
    expected = as_json(["init-signal", "--scheme", scheme, "--width", str(width), "--layers", str(layers)], codes=(0,))["result"]
    assert np.mean(ratios) == pytest.approx(expected, rel=0.08)


def test_uniform_bound_has_the_requested_variance():
    record = as_json(["init", "--scheme", "xavier", "--fan-in", "100", "--fan-out", "50", "--dist", "uniform"], codes=(0,))
    draws = np.random.default_rng(2).uniform(-record["result"], record["result"], size=1_000_000)
    assert np.var(draws) == pytest.approx(2 / 150, rel=0.01)
    assert record["var"] == pytest.approx(2 / 150)


def test_normalisations_against_numpy():
    x = np.random.default_rng(3).normal(size=(5, 4)) * 3 + 1
    batch = np.array(as_json(["normalise", "--x", json.dumps(x.tolist()), "--kind", "batch"], codes=(0,))["result"])
    assert np.allclose(batch.mean(axis=0), 0, atol=1e-9) and np.allclose(batch.std(axis=0), 1, atol=1e-9)
    layer = np.array(as_json(["normalise", "--x", json.dumps(x.tolist()), "--kind", "layer", "--gamma", "2", "--beta", "1"], codes=(0,))["result"])
    assert np.allclose(layer.mean(axis=1), 1, atol=1e-9) and np.allclose(layer.std(axis=1), 2, atol=1e-9)
    rms = np.array(as_json(["normalise", "--x", json.dumps(x.tolist()), "--kind", "rms"], codes=(0,))["result"])
    assert np.allclose(np.sqrt((rms**2).mean(axis=1)), 1, atol=1e-9)


def test_inverted_dropout_by_simulation():
    rng = np.random.default_rng(4)
    p, x = 0.3, 2.5
    mask = rng.random(1_000_000) >= p
    assert np.mean(mask * x / (1 - p)) == pytest.approx(x, rel=0.005)


def test_l2_is_not_weight_decay_for_adam():
    """For SGD the two agree (weight-decay-sgd, proven by test_verify); after one Adam step, where the
    penalty's gradient passes through the normalisation, they differ: why AdamW exists."""
    import sympy

    theta, g, eta, lam = sympy.symbols("theta g eta lambda", positive=True)
    coupled = theta - eta * (g + lam * theta) / sympy.sqrt((g + lam * theta) ** 2)  # Adam's first step ~ η·sign
    decoupled = theta - eta * (g / sympy.sqrt(g**2) + lam * theta)
    assert not prove_statement(lambda: (coupled, decoupled)).proven


@pytest.mark.parametrize("rows", ["[[1e-200]]", "[[1e-200, 3e-200]]", "[[1e200, -3e200]]", "[[3e-310, 4e-310]]"])
def test_rms_norm_scales_before_squaring(rows):
    """RMSNorm is scale-invariant with ε = 0: tiny or huge rows give what [[1]] or [[1, 3]] gives, where
    squaring first underflows to 0/0 (or overflows to ∞/∞)."""
    values = np.array(json.loads(rows))
    unit = values / np.abs(values).max()  # the same row at a harmless scale
    expected = unit / np.sqrt((unit**2).mean())
    got = np.array(as_json(["normalise", "--x", rows, "--kind", "rms", "--eps", "0"], codes=(0,))["result"])
    assert np.allclose(got, expected, rtol=1e-11, atol=0)
    # and LayerNorm of the same rows: centred first, then the same scaled root mean square
    centred = unit - unit.mean()
    if np.any(centred):
        got = np.array(as_json(["normalise", "--x", rows, "--kind", "layer"], codes=(0,))["result"])
        assert np.allclose(got, centred / np.sqrt((centred**2).mean()), rtol=1e-11, atol=0)


def test_rms_norm_matches_pytorch():
    torch = pytest.importorskip("torch")
    rows = [[3.0, 4.0, -1.0], [1e-3, 2e-3, 0.0]]
    expected = torch.nn.functional.rms_norm(torch.tensor(rows, dtype=torch.float64), (3,), eps=1e-6)
    got = np.array(as_json(["normalise", "--x", json.dumps(rows), "--kind", "rms", "--eps", "1e-6"], codes=(0,))["result"])
    assert np.allclose(got, expected.numpy(), rtol=1e-10, atol=0)


def test_a_zero_row_with_eps_0_is_refused_and_with_eps_is_0():
    assert run_main(["normalise", "--x", "[[0,0]]", "--kind", "rms"]).code == 2
    assert as_json(["normalise", "--x", "[[0,0]]", "--kind", "rms", "--eps", "1"], codes=(0,))["result"] == [[0.0, 0.0]]


def test_dropout_masks_are_bounded():
    run = run_main(["dropout-expectation", "--x", "1,2", "--p", "0.5", "--samples", "99999999"])
    assert run.code == 2 and "at most 100,000,000" in run.err


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
