"""Convergence: Robbins–Monro on the p-family, the mini-batch variance by simulation, gradient flow
against Runge–Kutta, Newton's step, and the rate bounds on real runs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import as_json, plain, run_main
from dlcalc.catalogue import optim_convergence


@pytest.mark.parametrize("p, holds", [("0.4", False), ("1/2", False), ("0.51", True), ("3/4", True), ("1", True), ("1.2", False), ("2", False)])
def test_robbins_monro_power_family(p, holds):
    """α_t = t^−p satisfies both conditions iff ½ < p ≤ 1 (catalogue OPT-RM)."""
    run = run_main(["robbins-monro", "--alpha", f"1/t**({p})"])
    assert run.code == (0 if holds else 1)


def test_robbins_monro_names_the_failing_condition():
    sheet = run_main(["robbins-monro", "--alpha", "1/sqrt(t)"])
    assert sheet.code == 1 and "Σ α_t² = ∞" in sheet.out  # E36
    fast = run_main(["robbins-monro", "--alpha", "1/t**2", "--json"])
    assert json.loads(fast.out)["sum_alpha"] == "pi**2/6"
    assert run_main(["robbins-monro", "--alpha", "0.1/t"]).out == "satisfied\n"


@pytest.mark.parametrize("text", ["__import__('os').system('true')", "t.real", "[t]", "lambda: 1", "t if t else 1", "x/t", "2**10**10", "t^2", "1" * 3000])
def test_robbins_monro_refuses_unsafe_or_bad_expressions(text):
    run = run_main(["robbins-monro", "--alpha", text])
    assert run.code == 2 and run.err.startswith("dlcalc: error:")


def test_minibatch_variance_by_simulation():
    rng = np.random.default_rng(5)
    population = rng.normal(size=50) * 3
    var = float(np.var(population))
    with_replacement = [rng.choice(population, 8).mean() for _ in range(40_000)]
    without = [rng.choice(population, 8, replace=False).mean() for _ in range(40_000)]
    assert np.var(with_replacement) == pytest.approx(as_json(["minibatch-variance", "--var", repr(var), "--batch-size", "8"])["result"], rel=0.03)
    assert np.var(without) == pytest.approx(as_json(["minibatch-variance", "--var", repr(var * 50 / 49), "--batch-size", "8", "--population", "50"])["result"], rel=0.03)


def rk4_flow(h, x, T, steps=4000):
    """Integrate ẋ = −Hx with classical Runge–Kutta, independently of the matrix exponential."""
    dt = T / steps
    for _ in range(steps):
        k1 = -h @ x
        k2 = -h @ (x + dt / 2 * k1)
        k3 = -h @ (x + dt / 2 * k2)
        k4 = -h @ (x + dt * k3)
        x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x


def test_gradient_flow_against_runge_kutta_and_gd_against_iteration():
    h = np.array([[2.0, 0.5], [0.5, 1.0]])
    record = as_json(["gradient-flow", "--H", json.dumps(h.tolist()), "--x0", "1,-1", "--T", "2", "--eta", "0.1"])["result"]
    assert record["flow"] == pytest.approx(rk4_flow(h, np.array([1.0, -1.0]), 2.0).tolist(), abs=1e-10)
    x = np.array([1.0, -1.0])
    for _ in range(20):
        x = x - 0.1 * h @ x
    assert record["gd"] == pytest.approx(x.tolist(), abs=1e-11)
    finer = as_json(["gradient-flow", "--H", json.dumps(h.tolist()), "--x0", "1,-1", "--T", "2", "--eta", "0.001"])["result"]
    assert finer["gap"] < record["gap"] / 50  # Euler's error is O(η)


@pytest.mark.parametrize("seed", range(4))
def test_newton_step_lands_on_the_minimiser(seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(3, 3))
    h, b, theta = a @ a.T + 0.5 * np.eye(3), rng.normal(size=3), rng.normal(size=3)
    args = ["newton-step", "--H", json.dumps(h.tolist()), "--b", json.dumps(b.tolist()), "--theta", json.dumps(theta.tolist())]
    record = as_json(args)
    # The minimiser by running gradient descent to convergence (a second, independent method)
    x, eta = theta.copy(), 1 / np.linalg.eigvalsh(h).max()
    for _ in range(20_000):
        x = x - eta * (h @ x + b)
    assert np.allclose(record["result"], x, atol=1e-8)
    half = as_json([*args, "--eta", "0.5"])
    assert np.allclose(half["result"], (theta + x) / 2, atol=1e-8)


def test_newton_step_rejects_singular_and_warns_on_indefinite():
    assert run_main(["newton-step", "--H", "[[1,0],[0,0]]", "--b", "1,1", "--theta", "0,0"]).code == 2
    run = run_main(["newton-step", "--H", "[[1,0],[0,-1]]", "--b", "1,1", "--theta", "0,0"])
    assert run.code == 0 and "not positive definite" in run.err


def _nesterov(h, x0, steps):
    """FISTA-style Nesterov with η = 1/L, as in the textbook bound 2L‖x0 − x*‖²/(k+1)²."""
    eta, x, y, t = 1 / np.linalg.eigvalsh(h).max(), x0.copy(), x0.copy(), 1.0
    values = []
    for _ in range(steps):
        x_next = y - eta * (h @ y)
        t_next = (1 + math.sqrt(1 + 4 * t * t)) / 2
        y, x, t = x_next + (t - 1) / t_next * (x_next - x), x_next, t_next
        values.append(0.5 * float(x @ h @ x))
    return values


def test_rate_bounds_hold_on_real_runs():
    """f = ½xᵀHx (f* = 0, x* = 0): GD and Nesterov stay below the table's bounds at every k."""
    h = np.diag([0.01, 0.3, 1.0])  # L = 1, μ = 0.01
    x0 = np.array([1.0, -2.0, 0.5])
    radius = float(np.linalg.norm(x0))
    nesterov = _nesterov(h, x0, 200)
    x = x0.copy()
    for k in range(1, 201):
        x = x - h @ x
        bounds = optim_convergence.rate_bounds(k, 1.0, 0.01, radius, 1.0)
        gap = 0.5 * float(x @ h @ x)
        assert gap <= bounds["convex"] + 1e-15 and gap <= bounds["strongly_convex"] + 1e-15
        assert nesterov[k - 1] <= bounds["nesterov"] + 1e-15


def test_sgd_bound_holds_for_the_subgradient_method():
    """f(x) = |x − 1| (G = 1), step R/(G√k), averaged iterate: f(x̄_k) − f* ≤ RG/√k."""
    for k in (1, 10, 100, 1000):
        x, radius, total = -2.0, 3.0, 0.0
        for _ in range(k):
            total += x
            x -= radius / math.sqrt(k) * (1.0 if x > 1 else -1.0 if x < 1 else 0.0)
        assert abs(total / k - 1) <= optim_convergence.rate_bounds(k, 1.0, optim_convergence.ABSENT, radius, 1.0)["sgd"] + 1e-12


def test_rate_table_cli_and_mu_above_L():
    record = as_json(["convergence-rates", "--k", "100", "--L", "4", "--mu", "1", "--R", "2", "--G", "3"])
    assert record["result"] == pytest.approx({"convex": 4 * 4 / 200, "strongly_convex": 0.75**100 * 8,
                                              "nesterov": 32 / 101**2, "sgd": 0.6}, rel=1e-14)
    assert run_main(["convergence-rates", "--k", "1", "--L", "1", "--mu", "2"]).code == 2


def test_gradient_flow_over_a_time_beyond_the_float_range():
    """T/η = 2e308 steps overflows a float: the answer is the limit, e^{−T} = 0 and 0.5^{2e308} = 0."""
    assert plain(["gradient-flow", "--H", "[[1]]", "--x0", 39, "--T", 1e308, "--eta", 0.5]) == "flow=0.0 gd=0.0 gap=0.0"
    # a zero component along a growing direction stays 0 (no 0·∞): x0 = (1, 0), H = diag(1, −1)
    assert plain(["gradient-flow", "--H", "[[1,0],[0,-1]]", "--x0", "1,0", "--T", 1000, "--eta", 0.5]) == \
        "flow=0.0,0.0 gd=0.0,0.0 gap=0.0"


@pytest.mark.parametrize("H, eta", [("[[-1]]", 0.5), ("[[5]]", 0.5)])
def test_gradient_flow_refuses_an_iterate_beyond_the_float_range(H, eta):
    """e^{1000} (a negative eigenvalue) and (1 − 2.5)^{2000} (GD unstable) exceed 1.8e308: one-line errors."""
    run = run_main(["gradient-flow", "--H", H, "--x0", "1", "--T", "1000", "--eta", str(eta)])
    assert run.code == 2 and "beyond the float range" in run.err and run.err.count("\n") == 1
