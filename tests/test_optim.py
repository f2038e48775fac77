"""Optimisers and schedules against closed forms (constant gradients), independent re-implementations
(NumPy, the Sutskever form of Nesterov), the exact polar factor, and the Robbins–Monro p-family."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import run_main
from dlcalc.catalogue import optim


def result(args):
    run = run_main([*args, "--json"])
    assert run.code in (0, 1), run.err
    return json.loads(run.out)


def grads_arg(rows):
    return json.dumps([list(map(float, r)) for r in rows])


# ---- constant gradients have closed forms -------------------------------------------------------


def test_adam_with_constant_gradient_moves_alpha_per_step():
    """m̂_t = g and v̂_t = g² exactly when g is constant, so each step is α·g/(|g| + ε)."""
    g = np.array([0.3, -2.0, 5.0])
    theta = result(["adam", "--grads", grads_arg([g] * 7), "--alpha", "0.01", "--eps", "1e-8"])["result"]
    assert theta == pytest.approx((-7 * 0.01 * g / (np.abs(g) + 1e-8)).tolist(), rel=1e-9)


def test_adam_without_bias_correction_first_step_is_3_16_alpha():
    """E40: m_1 = 0.1g, v_1 = 0.001g², so the step is 0.1/sqrt(0.001)·α ≈ 3.162α."""
    theta = result(["adam", "--grads", "1", "--alpha", "1", "--eps", "0", "--no-bias-correction"])["result"]
    assert theta == [pytest.approx(-0.1 / math.sqrt(0.001), rel=1e-12)]


def reference_adam(grads, alpha, b1, b2, eps, decay=0.0):
    """An independent, vectorised Adam/AdamW with explicit bias-correction powers."""
    theta = np.zeros(grads.shape[1])
    m = v = np.zeros(grads.shape[1])
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - alpha * (m / (1 - b1**t) / (np.sqrt(v / (1 - b2**t)) + eps) + decay * theta)
    return theta


def test_adam_and_adamw_match_a_reference_on_random_gradients():
    grads = np.random.default_rng(1).normal(size=(25, 4))
    adam = result(["adam", "--grads", grads_arg(grads), "--alpha", "0.05", "--beta1", "0.8", "--beta2", "0.99"])["result"]
    assert adam == pytest.approx(reference_adam(grads, 0.05, 0.8, 0.99, 1e-8).tolist(), abs=1e-11)
    adamw = result(["adamw", "--grads", grads_arg(grads), "--theta0", "0,0,0,0", "--alpha", "0.05", "--weight-decay", "0.1"])["result"]
    assert adamw == pytest.approx(reference_adam(grads, 0.05, 0.9, 0.999, 1e-8, 0.1).tolist(), abs=1e-11)


def test_adamw_decay_is_decoupled_from_the_adaptive_scale():
    """With zero gradients Adam's normalised step is 0 and AdamW shrinks θ by (1 − αλ) per step."""
    theta = result(["adamw", "--grads", grads_arg([[0.0]] * 5), "--theta0", "3", "--alpha", "0.1", "--weight-decay", "0.2"])["result"]
    assert theta == [pytest.approx(3 * (1 - 0.02) ** 5, rel=1e-12)]


def test_rmsprop_constant_gradient_closed_form():
    g, beta, alpha, steps = 2.0, 0.9, 0.01, 6
    expected = -sum(alpha * g / math.sqrt((1 - beta**t) * g * g) for t in range(1, steps + 1))
    theta = result(["rmsprop", "--grads", grads_arg([[g]] * steps), "--alpha", str(alpha), "--beta", str(beta), "--eps", "0"])["result"]
    assert theta == [pytest.approx(expected, rel=1e-12)]


def test_adagrad_constant_gradient_closed_form():
    expected = -sum(1 / math.sqrt(t) for t in range(1, 9))  # Σ g²/… = t g², step α g/(g sqrt t)
    theta = result(["adagrad", "--grads", grads_arg([[4.0]] * 8), "--alpha", "1", "--eps", "0"])["result"]
    assert theta == [pytest.approx(expected, rel=1e-12)]


def test_momentum_constant_gradient_closed_form():
    eta, beta, g, steps = 0.1, 0.9, 1.0, 10
    velocities = [-eta * g * (1 - beta**t) / (1 - beta) for t in range(1, steps + 1)]
    theta = result(["momentum", "--grads", grads_arg([[g]] * steps), "--eta", str(eta), "--beta", str(beta)])["result"]
    assert theta == [pytest.approx(sum(velocities), rel=1e-12)]


# ---- the quadratic --------------------------------------------------------------------------------


def test_gd_on_quadratic_matches_the_eigen_closed_form():
    h = np.diag([1.0, 10.0])
    eta, steps = 0.05, 40
    x = (1 - eta * np.diag(h)) ** steps * np.array([1.0, 1.0])
    value = result(["optimise-quadratic", "--H", json.dumps(h.tolist()), "--x0", "1,1", "--eta", str(eta), "--steps", str(steps)])
    assert value["result"] == pytest.approx(0.5 * x @ h @ x, rel=1e-10)


def sutskever_nesterov(h, x0, eta, beta, steps):
    """Nesterov in the velocity form v ← βv − η∇f(θ + βv), θ ← θ + v (the catalogue's equivalence)."""
    theta, v = np.array(x0, dtype=float), np.zeros(len(x0))
    for _ in range(steps):
        v = beta * v - eta * h @ (theta + beta * v)
        theta = theta + v
    return theta


def test_nesterov_matches_the_velocity_form():
    h = np.array([[3.0, 1.0], [1.0, 20.0]])
    expected = sutskever_nesterov(h, [1.0, -2.0], 0.02, 0.9, 60)
    value = result(["optimise-quadratic", "--H", json.dumps(h.tolist()), "--x0", "1,-2", "--method", "nesterov",
                    "--eta", "0.02", "--beta", "0.9", "--steps", "60"])
    assert value["x"] == pytest.approx(expected.tolist(), abs=1e-10)


def test_momentum_with_beta_one_does_not_converge():
    """E38: β must be < 1."""
    args = ["optimise-quadratic", "--H", "[[1,0],[0,10]]", "--x0", "1,1", "--method", "momentum", "--eta", "0.05", "--steps", "400"]
    assert result([*args, "--beta", "0.9"])["result"] < 1e-10
    assert result([*args, "--beta", "1"])["result"] > 0.1


# ---- Muon ------------------------------------------------------------------------------------------


def test_muon_svd_is_the_polar_factor():
    m = np.random.default_rng(2).normal(size=(6, 4))
    p = np.array(result(["muon-orth", "--matrix", json.dumps(m.tolist())])["result"])
    # Independent: M (MᵀM)^{-1/2} via the eigendecomposition of MᵀM.
    w, q = np.linalg.eigh(m.T @ m)
    assert np.allclose(p, m @ q @ np.diag(w**-0.5) @ q.T, atol=1e-9)
    assert np.allclose(np.linalg.svd(p, compute_uv=False), 1.0, atol=1e-9)


def test_newton_schulz_only_approximately_orthogonalises():
    m = np.random.default_rng(3).normal(size=(6, 4))
    singular = np.array(result(["muon-orth", "--matrix", json.dumps(m.tolist()), "--method", "newton-schulz"])["singular_values"])
    assert ((singular > 0.6) & (singular < 1.25)).all()
    assert not np.allclose(singular, 1.0, atol=1e-3)  # E41: not exactly orthogonal
    # The cubic iteration X ← 1.5X − 0.5XXᵀX does converge to the polar factor.
    x = optim.newton_schulz(m, 60, coefficients=(1.5, -0.5, 0.0))
    assert np.allclose(x, optim.polar_factor(m), atol=1e-8)


# ---- schedules, averaging, clipping ----------------------------------------------------------------


def test_cosine_schedule_closed_form_and_warmup():
    table = result(["lr-schedule", "--total", "8", "--peak", "2", "--floor", "0.5"])["result"]
    assert table == pytest.approx([0.5 + 0.75 * (1 + math.cos(math.pi * t / 8)) for t in range(9)])
    warm = result(["lr-schedule", "--total", "20", "--warmup", "4", "--peak", "1"])["result"]
    assert warm[:4] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert warm[4] == pytest.approx(1.0) and warm[20] == pytest.approx(0.0)


def test_polyak_average_is_the_mean_and_ema_closed_form():
    thetas = np.random.default_rng(4).normal(size=(9, 3))
    assert result(["polyak-average", "--thetas", json.dumps(thetas.tolist())])["result"] == pytest.approx(thetas.mean(axis=0).tolist(), abs=1e-11)
    ema = result(["polyak-average", "--thetas", "[[1],[0],[0]]", "--mode", "ema", "--beta", "0.5"])["result"]
    assert ema == [0.25]


def test_clipping_keeps_direction_and_caps_the_norm():
    clipped = np.array(result(["clip-grad", "--grad", "3,-4,12", "--max-norm", "2"])["result"])
    assert np.linalg.norm(clipped) == pytest.approx(2.0)
    assert np.allclose(clipped / np.linalg.norm(clipped), np.array([3, -4, 12]) / 13)


# ---- Robbins–Monro ---------------------------------------------------------------------------------


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
    assert np.var(with_replacement) == pytest.approx(result(["minibatch-variance", "--var", repr(var), "--batch-size", "8"])["result"], rel=0.03)
    assert np.var(without) == pytest.approx(result(["minibatch-variance", "--var", repr(var * 50 / 49), "--batch-size", "8", "--population", "50"])["result"], rel=0.03)


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
    record = result(["gradient-flow", "--H", json.dumps(h.tolist()), "--x0", "1,-1", "--T", "2", "--eta", "0.1"])["result"]
    assert record["flow"] == pytest.approx(rk4_flow(h, np.array([1.0, -1.0]), 2.0).tolist(), abs=1e-10)
    x = np.array([1.0, -1.0])
    for _ in range(20):
        x = x - 0.1 * h @ x
    assert record["gd"] == pytest.approx(x.tolist(), abs=1e-11)
    finer = result(["gradient-flow", "--H", json.dumps(h.tolist()), "--x0", "1,-1", "--T", "2", "--eta", "0.001"])["result"]
    assert finer["gap"] < record["gap"] / 50  # Euler's error is O(η)


# ---- Muon's full step, Newton's method, the rate table ----------------------------------------------


def _polar_by_eigh(m):
    """M (MᵀM)^{−1/2} from an eigendecomposition (independent of the SVD the command uses)."""
    values, vectors = np.linalg.eigh(m.T @ m)
    return m @ vectors @ np.diag(values**-0.5) @ vectors.T


@pytest.mark.parametrize("shape, scale", [((4, 3), "paper"), ((3, 5), "paper"), ((6, 2), "reference"), ((2, 6), "reference")])
def test_muon_step_against_an_independent_polar_factor(shape, scale):
    rng = np.random.default_rng(sum(shape))
    w, g, prev = (rng.normal(size=shape) for _ in range(3))
    record = result(["muon-step", "--W", json.dumps(w.tolist()), "--grad", json.dumps(g.tolist()),
                     "--momentum", json.dumps(prev.tolist()), "--mu", "0.9", "--eta", "0.05", "--scale", scale])
    m = 0.9 * prev + g
    polar = _polar_by_eigh(m) if shape[0] >= shape[1] else _polar_by_eigh(m.T).T
    d_out, d_in = shape
    s = math.sqrt(d_out / d_in) if scale == "paper" else math.sqrt(max(1, d_out / d_in))
    assert np.allclose(record["result"], w - 0.05 * s * polar, atol=1e-9)
    assert np.allclose(record["momentum"], m, atol=1e-11)


def test_muon_step_newton_schulz_is_close_to_the_exact_step():
    rng = np.random.default_rng(7)
    w, g = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    args = ["muon-step", "--W", json.dumps(w.tolist()), "--grad", json.dumps(g.tolist()), "--eta", "0.02"]
    exact = np.array(result(args)["result"])
    approx = np.array(result([*args, "--method", "newton-schulz"])["result"])
    step = np.linalg.norm(exact - w)
    assert np.linalg.norm(approx - exact) < 0.5 * step  # NS only pushes σ near 1, so close but not equal
    assert run_main(["muon-step", "--W", "[[1,2]]", "--grad", "[[1],[2]]"]).code == 2


@pytest.mark.parametrize("seed", range(4))
def test_newton_step_lands_on_the_minimiser(seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(3, 3))
    h, b, theta = a @ a.T + 0.5 * np.eye(3), rng.normal(size=3), rng.normal(size=3)
    args = ["newton-step", "--H", json.dumps(h.tolist()), "--b", json.dumps(b.tolist()), "--theta", json.dumps(theta.tolist())]
    record = result(args)
    # The minimiser by running gradient descent to convergence (a second, independent method)
    x, eta = theta.copy(), 1 / np.linalg.eigvalsh(h).max()
    for _ in range(20_000):
        x = x - eta * (h @ x + b)
    assert np.allclose(record["result"], x, atol=1e-8)
    half = result([*args, "--eta", "0.5"])
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
        bounds = optim.rate_bounds(k, 1.0, 0.01, radius, 1.0)
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
        assert abs(total / k - 1) <= optim.rate_bounds(k, 1.0, optim.ABSENT, radius, 1.0)["sgd"] + 1e-12


def test_rate_table_cli_and_mu_above_L():
    record = result(["convergence-rates", "--k", "100", "--L", "4", "--mu", "1", "--R", "2", "--G", "3"])
    assert record["result"] == pytest.approx({"convex": 4 * 4 / 200, "strongly_convex": 0.75**100 * 8,
                                              "nesterov": 32 / 101**2, "sgd": 0.6}, rel=1e-14)
    assert run_main(["convergence-rates", "--k", "1", "--L", "1", "--mu", "2"]).code == 2
