"""Linear models and MLPs: least squares against np.polyfit and the ridge closed form, the perceptron
against Novikoff's bound on random separable data, and parameter counts by building the weights."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import as_json, run_main
from dlcalc.catalogue import linear_models as lm
from dlcalc.deriv import finite_diff



def test_least_squares_matches_polyfit():
    rng = np.random.default_rng(1)
    x = rng.uniform(-2, 2, size=30)
    y = 0.5 - 1.5 * x + 2.0 * x**2 + rng.normal(scale=0.1, size=30)
    design = np.column_stack([np.ones_like(x), x, x**2])
    w = as_json(["least-squares", "--X", json.dumps(design.tolist()), "--y", ",".join(repr(float(v)) for v in y)])["result"]
    assert w == pytest.approx(np.polyfit(x, y, 2)[::-1].tolist(), abs=1e-9)


def test_ridge_matches_the_one_dimensional_closed_form():
    x, y, lam = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.5, 7.0]), 0.7
    w = as_json(["least-squares", "--X", json.dumps([[v] for v in x]), "--y", "2,2.5,7", "--ridge", str(lam)])["result"]
    assert w == [pytest.approx(x @ y / (x @ x + lam), rel=5e-12)]  # shown with 12 significant digits


def test_singular_design_asks_for_ridge():
    run = run_main(["least-squares", "--X", "[[1,2],[2,4]]", "--y", "1,2"])
    assert run.code == 2 and "--ridge" in run.err


@pytest.mark.parametrize("seed", range(5))
def test_perceptron_separates_within_novikoffs_bound(seed):
    rng = np.random.default_rng(seed)
    w_true = rng.normal(size=3)
    x = rng.normal(size=(60, 3))
    margins = x @ w_true / np.linalg.norm(w_true)
    keep = np.abs(margins) > 0.3  # a guaranteed margin γ* ≥ 0.3
    x, labels = x[keep], np.sign(margins[keep])
    record = as_json(["perceptron", "--X", json.dumps(x.tolist()), "--y", ",".join(str(int(v)) for v in labels), "--epochs", "1000"])
    assert record["separated"]
    w = np.array(record["result"])
    assert (labels * (x @ w) > 0).all()
    radius, gamma = np.linalg.norm(x, axis=1).max(), np.abs(margins[keep]).min()
    assert record["mistakes"] <= (radius / gamma) ** 2


def test_perceptron_reports_inseparable_data():
    run = run_main(["perceptron", "--X", "[[1,0],[1,0]]", "--y", "1,-1", "--epochs", "5"])
    assert run.code == 1


@pytest.mark.parametrize("sizes", [(784, 256, 10), (3, 5, 5, 2), (1, 1)])
def test_mlp_params_by_building_the_weights(sizes):
    weights = [np.zeros((n_out, n_in)) for n_in, n_out in zip(sizes, sizes[1:])]
    biases = [np.zeros(n_out) for n_out in sizes[1:]]
    assert lm.mlp_params(sizes, False).value == sum(w.size for w in weights) + sum(b.size for b in biases)
    assert lm.mlp_params(sizes, True).value == sum(w.size for w in weights)


# ---- backpropagation (§11.1) against finite differences --------------------------------------------


def _loss(weights, biases, x, y, act, output):
    """½‖ŷ − y‖² by a forward pass written here, independently of the command (NumPy only)."""
    fns = {"identity": lambda a: a, "sigmoid": lambda a: 1 / (1 + np.exp(-a)), "tanh": np.tanh,
           "softplus": lambda a: np.log1p(np.exp(a)), "relu": lambda a: np.maximum(a, 0.0)}
    h = x
    for l, (w, b) in enumerate(zip(weights, biases), start=1):
        h = fns[output if l == len(weights) else act](w @ h + b)
    return 0.5 * float(np.sum((h - y) ** 2))


def _numeric_gradients(weights, biases, x, y, act, output):
    """∂L/∂W^l by dlcalc.deriv.finite_diff's central differences, one layer's weights at a time."""
    def loss_of_layer(l):
        def losses(points):  # a batch of candidate W^l -> the loss at each, shaped (B, 1, 1)
            return np.array([_loss([*weights[:l], w, *weights[l + 1:]], biases, x, y, act, output)
                             for w in points])[:, None, None]
        return losses

    return [finite_diff.jacobian(loss_of_layer(l), w)[0, 0] for l, w in enumerate(weights)]


@pytest.mark.parametrize("sizes, act, output, seed", [
    ((3, 4, 2), "tanh", "identity", 0), ((2, 5, 3, 1), "sigmoid", "sigmoid", 1), ((4, 3, 3, 2), "softplus", "tanh", 2),
    ((3, 6, 2), "relu", "identity", 3),
])
def test_backprop_matches_finite_differences(sizes, act, output, seed):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(n_out, n_in)) for n_in, n_out in zip(sizes, sizes[1:])]
    biases = [rng.normal(size=n_out) for n_out in sizes[1:]]
    x, y = rng.normal(size=sizes[0]), rng.normal(size=sizes[-1])
    args = ["backprop", *[a for w in weights for a in ("--W", json.dumps(w.tolist()))],
            *[a for b in biases for a in ("--b", ",".join(map(repr, b.tolist())))],
            "--x", ",".join(map(repr, x.tolist())), "--y", ",".join(map(repr, y.tolist())),
            "--act", act, "--output", output, "--json"]
    record = json.loads(run_main(args).out)
    expected = _numeric_gradients(weights, biases, x, y, act, output)
    assert len(record["result"]) == len(weights)
    for got, want in zip(record["result"], expected):
        assert np.allclose(np.array(got), want, atol=1e-6)
    assert record["loss"] == pytest.approx(_loss(weights, biases, x, y, act, output), rel=1e-12)
    # ∂L/∂b^l = δ^l, by finite differences on the last bias
    step, last = 1e-6, biases[-1]
    bumped = [*biases[:-1], last + step * np.eye(len(last))[0]]
    lowered = [*biases[:-1], last - step * np.eye(len(last))[0]]
    numeric = (_loss(weights, bumped, x, y, act, output) - _loss(weights, lowered, x, y, act, output)) / (2 * step)
    assert record["deltas"][-1][0] == pytest.approx(numeric, abs=1e-6)


def test_backprop_a_wrong_rule_would_be_caught():
    """Dropping φ'(a^l) from the hidden δ (a common slip) disagrees with finite differences."""
    rng = np.random.default_rng(5)
    weights = [rng.normal(size=(3, 2)), rng.normal(size=(1, 3))]
    biases = [np.zeros(3), np.zeros(1)]
    x, y = rng.normal(size=2), np.array([0.3])
    pre, post = lm.mlp_forward(weights, biases, x, "tanh", "identity")
    deltas, _ = lm.mlp_backward(weights, pre, post, y, "tanh", "identity")
    wrong = np.outer(weights[1].T @ deltas[1], x)
    assert not np.allclose(wrong, _numeric_gradients(weights, biases, x, y, "tanh", "identity")[0], atol=1e-4)


@pytest.mark.parametrize("args, message", [
    (["--W", "[[1,2]]", "--x", "1", "--y", "0"], "input has 1 entries"),
    (["--W", "[[1]]", "--W", "[[1]]", "--b", "0", "--x", "1", "--y", "0"], "one per layer"),
    (["--W", "[[1],[2]]", "--x", "1", "--y", "0"], "network outputs 2"),
])
def test_backprop_bad_input(args, message):
    run = run_main(["backprop", *args])
    assert run.code == 2 and message in run.err and run.err.count("\n") == 1


def test_backprop_shows_a_vanishing_layer_instead_of_zeroing_it():
    """Through eight sigmoid layers with weight 0.01, δ shrinks by 0.01·¼ per layer: the first layer's
    gradient is ~10^−18 of the largest one, and it must still be shown (not rounded to 0 as noise)."""
    args = ["backprop", *(a for _ in range(8) for a in ("--W", "[[0.01]]")), "--W", "[[1e9]]",
            "--x", "1", "--y", "0", "--act", "sigmoid", "--json"]
    grads = [g[0][0] for g in json.loads(run_main(args).out)["result"]]
    assert grads[0] != 0.0 and abs(grads[0]) < 1e-12 * max(map(abs, grads))
    # by hand: ∂L/∂W¹ / ∂L/∂W² = δ¹x / δ²h¹ = W²σ'(a¹)·1/σ(a¹) = 0.01·(1 − σ(0.01))
    assert grads[0] / grads[1] == pytest.approx(0.01 * (1 - 1 / (1 + math.exp(-0.01))), rel=1e-9)


def test_perceptron_steps_are_bounded():
    run = run_main(["perceptron", "--X", "1,1;2,2", "--y", "1,-1", "--epochs", "9999999"])
    assert run.code == 2 and "at most 10,000,000" in run.err


def test_least_squares_columns_are_bounded():
    run = run_main(["least-squares", "--X", ",".join(["1"] * 2001), "--y", "1"])  # XᵀX would be 2,001²
    assert run.code == 2 and "at most 2,000" in run.err
