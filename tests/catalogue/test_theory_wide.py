"""Wide networks: the NTK by finite differences of a network written here, NTK dynamics by integrating
the ODE, the NNGP expectation by Monte Carlo and its recursion by hand, the linearisation's quadratic
error, Neal's limit by sampling random networks."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import plain, run_main
from dlcalc.catalogue import theory_wide


def network(flat, widths, x, beta):
    """f(x) for the parameter vector flat = (W1, b1, W2, b2, ...), ReLU hidden layers, 1/√fan_in scaling."""
    h, position = np.array(x, dtype=float), 0
    for layer, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
        W = flat[position:position + n_in * n_out].reshape(n_out, n_in)
        position += n_in * n_out
        b = flat[position:position + n_out]
        position += n_out
        a = W @ h / math.sqrt(n_in) + beta * b
        h = a if layer == len(widths) - 2 else np.maximum(a, 0)
    return float(h[0])


def test_ntk_equals_finite_difference_gram_matrix():
    widths, beta = [2, 7, 5, 1], 0.1
    X = [[0.3, -1.2], [1.0, 0.5], [-0.7, 0.8]]
    record = json.loads(plain(["ntk", "--widths", "2,7,5,1", "--X", json.dumps(X), "--seed", 3, "--json"]))
    params = theory_wide.init_mlp(widths, 3)  # the random initialisation is an input, not the thing tested
    flat = np.concatenate([np.concatenate([W.ravel(), b]) for W, b in params])
    h = 1e-6
    J = np.array([[(network(flat + h * e, widths, x, beta) - network(flat - h * e, widths, x, beta)) / (2 * h)
                   for e in np.eye(len(flat))] for x in X])
    assert record["parameters"] == len(flat)
    assert np.allclose(record["result"], J @ J.T, rtol=1e-6, atol=1e-8)
    assert np.allclose(record["f0"], [network(flat, widths, x, beta) for x in X])


def test_ntk_dynamics_solves_the_ode():
    K = np.array([[2.0, 0.5, 0.1], [0.5, 1.0, 0.2], [0.1, 0.2, 1.5]])
    y, f0, eta, t = np.array([1.0, -1.0, 0.5]), np.array([0.2, 0.1, 0.0]), 0.7, 1.3
    f, steps = f0.copy(), 20_000
    for _ in range(steps):  # explicit Euler on ḟ = ηK(y − f)
        f = f + (t / steps) * eta * K @ (y - f)
    got = plain(["ntk-dynamics", "--K", json.dumps(K.tolist()), "--y", "1,-1,0.5", "--f0", "0.2,0.1,0", "--t", t,
               "--eta", eta])
    assert np.allclose([float(v) for v in got.split(",")], f, atol=1e-4)
    limit = plain(["ntk-dynamics", "--K", json.dumps(K.tolist()), "--y", "1,-1,0.5", "--f0", "0.2,0.1,0", "--limit"])
    assert np.allclose([float(v) for v in limit.split(",")], y)  # E72: interpolation, no ridge


def test_relu_expectation_by_monte_carlo():
    rng = np.random.default_rng(8)
    for k11, k22, k12 in ((1.0, 1.0, 0.0), (2.0, 0.5, 0.7), (1.3, 1.3, -1.0)):
        u, v = rng.multivariate_normal([0, 0], [[k11, k12], [k12, k22]], size=400_000).T
        assert theory_wide.relu_expectation(k11, k22, k12) == pytest.approx(np.mean(np.maximum(u, 0) * np.maximum(v, 0)),
                                                                      abs=6e-3)


def test_nngp_recursion_by_hand():
    # one layer, x1 ⟂ x2 unit-norm in 2-D: K⁰ = σ_w²/2·I; E[relu(u)²] = k/2, E[relu(u)relu(v)] = k/(2π) at θ = π/2
    K = np.array(json.loads(plain(["nngp", "--x1", "1,0", "--x2", "0,1", "--depth", 1, "--sw2", 2, "--sb2", 0.1])))
    k0 = 0.1 + 2 * 0.5
    assert K[0, 0] == pytest.approx(0.1 + 2 * k0 / 2)
    cos0 = 0.1 / k0
    theta = math.acos(cos0)
    assert K[0, 1] == pytest.approx(0.1 + 2 * k0 / (2 * math.pi) * (math.sin(theta) + (math.pi - theta) * cos0))


def test_ntk_predictions_at_test_points_follow_kernel_gradient_flow():
    K = np.array([[2.0, 0.5], [0.5, 1.0]])
    k_x = np.array([[0.7, 0.2], [0.1, 0.9]])  # k(x, X) for two test inputs
    y, f0, f0_x, eta, t = np.array([1.0, -1.0]), np.array([0.1, 0.2]), np.array([0.0, 0.3]), 0.5, 2.0
    f, g, steps = f0.copy(), f0_x.copy(), 40_000
    for _ in range(steps):  # ḟ(X) = ηK(y − f(X)), ḟ(x) = ηk(x, X)(y − f(X)), by Euler
        residual = y - f
        f, g = f + (t / steps) * eta * K @ residual, g + (t / steps) * eta * k_x @ residual
    base = ["ntk-dynamics", "--K", json.dumps(K.tolist()), "--y", "1,-1", "--f0", "0.1,0.2",
            "--k-test", json.dumps(k_x.tolist()), "--f0-test", "0,0.3"]
    got = [float(v) for v in plain(base + ["--t", t, "--eta", eta]).split(",")]
    assert np.allclose(got, g, atol=1e-4)
    ridgeless = f0_x + k_x @ np.linalg.solve(K, y - f0)  # E72: no ridge term in the limit
    assert np.allclose([float(v) for v in plain(base + ["--limit"]).split(",")], ridgeless)
    ridge = f0_x + k_x @ np.linalg.solve(K + 0.5 * np.eye(2), y - f0)  # kernel *ridge* regression (the sheet)
    assert not np.allclose([float(v) for v in plain(base + ["--limit"]).split(",")], ridge, atol=1e-3)
    train = [float(v) for v in plain(["ntk-dynamics", "--K", json.dumps(K.tolist()), "--y", "1,-1", "--f0", "0.1,0.2",
                                     "--limit"]).split(",")]
    assert np.allclose(train, y)  # ridgeless: it interpolates the training targets


def test_linearisation_against_an_independent_forward_pass_and_its_quadratic_error():
    widths, beta, x = [2, 16, 8, 1], 0.1, [0.4, -0.9]
    params = theory_wide.init_mlp(widths, 3)
    flat = np.concatenate([np.concatenate([W.ravel(), b]) for W, b in params])
    direction = np.random.default_rng(8).standard_normal(len(flat))
    h = 1e-6
    grad = np.array([(network(flat + h * e, widths, x, beta) - network(flat - h * e, widths, x, beta)) / (2 * h)
                     for e in np.eye(len(flat))])
    errors = []
    for scale in (0.1, 0.01):
        delta = scale * direction / np.linalg.norm(direction)
        record = json.loads(plain(["linearize", "--widths", "2,16,8,1", "--x", "0.4,-0.9", "--scale", scale, "--act",
                                 "relu", "--seed", 3, "--direction", ",".join(map(repr, direction.tolist())),
                                 "--json"]))
        assert record["result"]["f"] == pytest.approx(network(flat + delta, widths, x, beta), rel=1e-10)
        assert record["result"]["f_lin"] == pytest.approx(network(flat, widths, x, beta) + grad @ delta, rel=1e-7)
        errors.append(record["result"]["error"])
    # O(‖Δθ‖²): a tenth of the step, a hundredth of the error
    assert errors[1] > 0 and errors[0] / errors[1] == pytest.approx(100, rel=0.05)
    assert run_main(["linearize", "--widths", "2,1", "--x", "1,1", "--scale", "1", "--direction", "1,2"]).code == 2


def test_neal_limit_by_sampling_random_networks():
    rng = np.random.default_rng(21)
    x, width, sw2, sb2, draws = np.array([0.6, -1.2]), 4, 2.0, 0.5, 400_000
    w, b = rng.standard_normal((draws, width, 2)), rng.standard_normal((draws, width))
    u = math.sqrt(sw2) * (w @ x) / math.sqrt(2) + math.sqrt(sb2) * b  # hidden pre-activations
    f = math.sqrt(sb2) * rng.standard_normal(draws) + math.sqrt(sw2 / width) * np.sum(
        rng.standard_normal((draws, width)) * np.maximum(u, 0), axis=1)
    record = json.loads(plain(["neal-limit", "--x", "0.6,-1.2", "--width", width, "--sw2", sw2, "--sb2", sb2, "--json"]))
    centred = f - f.mean()
    assert record["variance"] == pytest.approx(f.var(), rel=0.01)
    assert record["result"] == pytest.approx(np.mean(centred**4) / f.var() ** 2 - 3, rel=0.1)
    # the variance is the NNGP kernel at depth 1 (a second implementation), at any width
    nngp = json.loads(plain(["nngp", "--x1", "0.6,-1.2", "--x2", "0.6,-1.2", "--sw2", sw2, "--sb2", sb2]))
    assert record["variance"] == pytest.approx(nngp[0][0], rel=1e-11)
    # and the excess kurtosis falls as 1/n
    wide = json.loads(plain(["neal-limit", "--x", "0.6,-1.2", "--width", 400, "--sw2", sw2, "--sb2", sb2]))
    assert wide == pytest.approx(record["result"] / 100)


def test_sizes_are_bounded():
    run = run_main(["nngp", "--x1", "1", "--x2", "1", "--depth", "99999999"])
    assert run.code == 2 and "--depth: must be at most 10,000" in run.err
    rows = ";".join(["1"] * 200)  # 200 inputs × ~1.5e6 parameters: 3e8 Jacobian entries
    run = run_main(["ntk", "--widths", "1,1200,1200,1", "--X", rows])
    assert run.code == 2 and "Jacobian entries" in run.err
