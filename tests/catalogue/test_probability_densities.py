"""Densities of continuous laws: aX + b, X + Y and linear MGFs against closed forms and Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import run_json, run_main
from dlcalc.catalogue import probability_densities as densities
from dlcalc.core.proof import prove_equal


def test_scaled_density_also_holds_for_a_positive_scale():
    # verify proves α < 0 (where the sheet's form fails, E03: see test_part1_sheet_versions); α > 0 here.
    assert prove_equal(*densities.scaled_density_statement(+1)).proven


# ---- scale-pdf, sum-pdf, mgf-lin (NumPy/math) and Bayes' rule as an identity ------------------------


def _normal_pdf(x, mean, var):
    return np.exp(-((x - mean) ** 2) / (2 * var)) / np.sqrt(2 * np.pi * var)


@pytest.mark.parametrize("a, b", [(2.0, 1.0), (-0.5, 3.0), (-3.0, -1.0)])
def test_scale_pdf_of_a_normal_is_the_transformed_normal(a, b):
    ys = np.linspace(-6, 6, 13)
    got = run_json(["scale-pdf", "--X", "normal mean=1 std=2", "--a", repr(a), "--b", repr(b),
                 "--y", ",".join(map(repr, ys.tolist()))])["result"]
    assert np.allclose(got, _normal_pdf(ys, a * 1 + b, a * a * 4), rtol=1e-11, atol=1e-15)  # aX+b ~ N(aμ+b, a²σ²)


def test_scale_pdf_by_monte_carlo_for_a_negative_scale():
    rng = np.random.default_rng(0)
    samples = -1.5 * rng.laplace(0.5, 1.0, size=1_000_000) + 2.0
    edges = np.linspace(-4, 4, 41)
    counts, _ = np.histogram(samples, bins=edges)
    centres = (edges[:-1] + edges[1:]) / 2
    histogram = counts / (len(samples) * np.diff(edges))
    got = np.array(run_json(["scale-pdf", "--X", "laplace mean=0.5 scale=1", "--a", "-1.5", "--b", "2",
                          "--y", ",".join(map(repr, centres.tolist()))])["result"])
    assert np.all(got >= 0)  # E03: with a/ instead of |a| these would be negative
    assert np.abs(got - histogram).max() < 0.01


def _hypoexponential(z, l1, l2):
    return l1 * l2 / (l2 - l1) * (np.exp(-l1 * z) - np.exp(-l2 * z))


def _uniform_plus_laplace(z):
    """U[−1, 1] + Laplace(0, 1): ¼∫_{z−1}^{z+1} e^{−|u|} du, by hand in three pieces."""
    outside = np.where(z > 1, np.exp(-(z - 1)) - np.exp(-(z + 1)), np.exp(z + 1) - np.exp(z - 1))
    return np.where(np.abs(z) <= 1, 2 - np.exp(z - 1) - np.exp(-z - 1), outside) / 4


@pytest.mark.parametrize("X, Y, exact", [
    ("normal mean=1 std=0.5", "normal mean=-2 var=2", lambda z: _normal_pdf(z, -1.0, 2.25)),
    ("exponential rate=2", "exponential scale=0.5", lambda z: np.where(z > 0, 4 * z * np.exp(-2 * z), 0.0)),
    ("exponential rate=1", "exponential rate=3", lambda z: np.where(z > 0, _hypoexponential(z, 1.0, 3.0), 0.0)),
    ("uniform low=0 high=1", "uniform low=-1 high=2", lambda z: np.clip(np.minimum(z + 1, 3 - z), 0, 1) / 3),
    ("uniform low=-1 high=1", "laplace mean=0 scale=1", lambda z: _uniform_plus_laplace(z)),
])
def test_sum_pdf_against_closed_forms(X, Y, exact):
    zs = np.array([-3.0, -1.0, -0.3, 0.0, 0.4, 1.0, 1.7, 2.5, 4.0])
    got = run_json(["sum-pdf", "--X", X, "--Y", Y, "--z", ",".join(map(repr, zs.tolist()))])["result"]
    assert np.allclose(got, exact(zs), rtol=1e-9, atol=1e-10)


def test_sum_pdf_by_monte_carlo():
    rng = np.random.default_rng(1)
    samples = rng.normal(0, 0.3, size=1_000_000) + rng.exponential(1 / 1.5, size=1_000_000)
    edges = np.linspace(-0.5, 3, 36)
    counts, _ = np.histogram(samples, bins=edges)
    centres = (edges[:-1] + edges[1:]) / 2
    got = np.array(run_json(["sum-pdf", "--X", "normal std=0.3", "--Y", "exponential rate=1.5",
                          "--z", ",".join(map(repr, centres.tolist()))])["result"])
    assert np.abs(got - counts / (len(samples) * np.diff(edges))).max() < 0.02


def test_mgf_lin_against_monte_carlo_and_the_symbolic_mgf():
    rng = np.random.default_rng(2)
    n = 2_000_000
    y = 0.5 * rng.uniform(-1, 2, n) - 0.25 * rng.laplace(1, 0.5, n) + 0.3 * rng.exponential(1 / 4, n) + 0.7
    got = run_json(["mgf-lin", "--X", "uniform low=-1 high=2", "--X", "laplace mean=1 scale=0.5", "--X", "exponential rate=4",
                 "--a", "0.5,-0.25,0.3", "--b", "0.7", "--t", "1.2"])["result"]
    assert got == pytest.approx(float(np.mean(np.exp(1.2 * y))), rel=0.01)
    # one normal: e^{bt} M_X(at) against the SymPy mgf command for N(aμ + b, a²σ²)
    symbolic = run_json(["mgf", "--dist", "normal", "--mean", repr(-2 * 1.5 + 0.25), "--var", repr(4 * 0.81), "--t", "0.6"])
    numeric = run_json(["mgf-lin", "--X", "normal mean=1.5 std=0.9", "--a", "-2", "--b", "0.25", "--t", "0.6"])
    assert numeric["result"] == pytest.approx(symbolic["result"], rel=1e-13)


@pytest.mark.parametrize("args, message", [
    (["mgf-lin", "--X", "exponential rate=2", "--a", "1", "--t", "2"], "exists only for"),
    (["mgf-lin", "--X", "laplace scale=1", "--a", "1,2", "--t", "0.1"], "2 coefficients for 1"),
    (["scale-pdf", "--X", "normal std=1", "--a", "0", "--y", "1"], "non-zero"),
    (["scale-pdf", "--X", "gamma shape=2", "--a", "1", "--y", "1"], "one of normal"),
    (["scale-pdf", "--X", "normal std", "--a", "1", "--y", "1"], "key=value"),
    (["sum-pdf", "--X", "normal std=1 rate=2", "--Y", "normal std=1", "--z", "0"], "does not apply"),
])
def test_law_commands_bad_input(args, message):
    run = run_main(args)
    assert run.code == 2 and message in run.err and run.err.count("\n") == 1


def test_help_states_the_new_limits():
    from dlcalc.core import registry

    assert "at most 100" in registry.get("mgf").param("moment").help
    assert "at most 1,000" in registry.get("sum-pdf").param("z").help
