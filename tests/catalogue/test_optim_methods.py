"""Optimisers against closed forms (constant gradients), independent re-implementations (NumPy, the
Sutskever form of Nesterov) and PyTorch's own optimisers where torch is installed."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import as_json, run_main


def grads_arg(rows):
    return json.dumps([list(map(float, r)) for r in rows])


def test_adam_with_constant_gradient_moves_alpha_per_step():
    """m̂_t = g and v̂_t = g² exactly when g is constant, so each step is α·g/(|g| + ε)."""
    g = np.array([0.3, -2.0, 5.0])
    theta = as_json(["adam", "--grads", grads_arg([g] * 7), "--alpha", "0.01", "--eps", "1e-8"])["result"]
    assert theta == pytest.approx((-7 * 0.01 * g / (np.abs(g) + 1e-8)).tolist(), rel=1e-9)


def test_adam_without_bias_correction_first_step_is_3_16_alpha():
    """E40: m_1 = 0.1g, v_1 = 0.001g², so the step is 0.1/sqrt(0.001)·α ≈ 3.162α."""
    theta = as_json(["adam", "--grads", "1", "--alpha", "1", "--eps", "0", "--no-bias-correction"])["result"]
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
    adam = as_json(["adam", "--grads", grads_arg(grads), "--alpha", "0.05", "--beta1", "0.8", "--beta2", "0.99"])["result"]
    assert adam == pytest.approx(reference_adam(grads, 0.05, 0.8, 0.99, 1e-8).tolist(), abs=1e-11)
    adamw = as_json(["adamw", "--grads", grads_arg(grads), "--theta0", "0,0,0,0", "--alpha", "0.05", "--weight-decay", "0.1"])["result"]
    assert adamw == pytest.approx(reference_adam(grads, 0.05, 0.9, 0.999, 1e-8, 0.1).tolist(), abs=1e-11)


def test_adamw_decay_is_decoupled_from_the_adaptive_scale():
    """With zero gradients Adam's normalised step is 0 and AdamW shrinks θ by (1 − αλ) per step."""
    theta = as_json(["adamw", "--grads", grads_arg([[0.0]] * 5), "--theta0", "3", "--alpha", "0.1", "--weight-decay", "0.2"])["result"]
    assert theta == [pytest.approx(3 * (1 - 0.02) ** 5, rel=1e-12)]


def test_rmsprop_constant_gradient_closed_form():
    g, beta, alpha, steps = 2.0, 0.9, 0.01, 6
    expected = -sum(alpha * g / math.sqrt((1 - beta**t) * g * g) for t in range(1, steps + 1))
    theta = as_json(["rmsprop", "--grads", grads_arg([[g]] * steps), "--alpha", str(alpha), "--beta", str(beta), "--eps", "0"])["result"]
    assert theta == [pytest.approx(expected, rel=1e-12)]


def test_adagrad_constant_gradient_closed_form():
    expected = -sum(1 / math.sqrt(t) for t in range(1, 9))  # Σ g²/… = t g², step α g/(g sqrt t)
    theta = as_json(["adagrad", "--grads", grads_arg([[4.0]] * 8), "--alpha", "1", "--eps", "0"])["result"]
    assert theta == [pytest.approx(expected, rel=1e-12)]


def test_momentum_constant_gradient_closed_form():
    eta, beta, g, steps = 0.1, 0.9, 1.0, 10
    velocities = [-eta * g * (1 - beta**t) / (1 - beta) for t in range(1, steps + 1)]
    theta = as_json(["momentum", "--grads", grads_arg([[g]] * steps), "--eta", str(eta), "--beta", str(beta)])["result"]
    assert theta == [pytest.approx(sum(velocities), rel=1e-12)]


def test_nesterov_momentum_constant_gradient_closed_form():
    """PyTorch's form: b_t = μb_{t−1} + g = g(1 − μ^t)/(1 − μ), and the step is η(g + μb_t)."""
    eta, beta, g, steps = 0.1, 0.9, 2.0, 12
    step_sizes = [eta * (g + beta * g * (1 - beta**t) / (1 - beta)) for t in range(1, steps + 1)]
    theta = as_json(["momentum", "--grads", grads_arg([[g]] * steps), "--eta", eta, "--beta", beta, "--nesterov"])["result"]
    assert theta == [pytest.approx(-sum(step_sizes), rel=1e-12)]
    heavy_ball = as_json(["momentum", "--grads", grads_arg([[g]] * steps), "--eta", eta, "--beta", beta])["result"]
    assert heavy_ball[0] > theta[0]  # the look-ahead moves further along a constant gradient


@pytest.mark.parametrize("nesterov", [True, False])
def test_momentum_matches_torch_sgd(nesterov):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    grads, start = rng.normal(size=(7, 3)), rng.normal(size=3)
    weights = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.SGD([weights], lr=0.05, momentum=0.8, nesterov=nesterov)
    for g in grads:
        weights.grad = torch.tensor(g, dtype=torch.float64)
        optimiser.step()
    options = ["--nesterov"] if nesterov else []
    theta = as_json(["momentum", "--grads", grads_arg(grads), "--theta0", ",".join(map(repr, start.tolist())),
                     "--eta", 0.05, "--beta", 0.8, *options])["result"]
    assert theta == pytest.approx(weights.detach().numpy().tolist(), rel=1e-10, abs=1e-12)


def test_gd_on_quadratic_matches_the_eigen_closed_form():
    h = np.diag([1.0, 10.0])
    eta, steps = 0.05, 40
    x = (1 - eta * np.diag(h)) ** steps * np.array([1.0, 1.0])
    value = as_json(["optimise-quadratic", "--H", json.dumps(h.tolist()), "--x0", "1,1", "--eta", str(eta), "--steps", str(steps)])
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
    value = as_json(["optimise-quadratic", "--H", json.dumps(h.tolist()), "--x0", "1,-2", "--method", "nesterov",
                    "--eta", "0.02", "--beta", "0.9", "--steps", "60"])
    assert value["x"] == pytest.approx(expected.tolist(), abs=1e-10)


def test_momentum_with_beta_one_does_not_converge():
    """E38: β must be < 1."""
    args = ["optimise-quadratic", "--H", "[[1,0],[0,10]]", "--x0", "1,1", "--method", "momentum", "--eta", "0.05", "--steps", "400"]
    assert as_json([*args, "--beta", "0.9"])["result"] < 1e-10
    assert as_json([*args, "--beta", "1"])["result"] > 0.1


@pytest.mark.parametrize("command, option", [("rmsprop", "--beta"), ("adam", "--beta1"), ("adam", "--beta2"), ("adamw", "--beta2")])
def test_decay_rates_lie_in_the_unit_interval(command, option):
    """β > 1 makes (1 − β)g² negative and the square root undefined; torch.optim.Adam refuses it too."""
    run = run_main([command, "--grads", "2", option, "1e308"])
    assert run.code == 2 and f"{option}: must be at most 1" in run.err
