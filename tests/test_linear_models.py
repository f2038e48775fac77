"""Linear models and MLPs: least squares against np.polyfit and the ridge closed form, the perceptron
against Novikoff's bound on random separable data, and parameter counts by building the weights."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import run_main
from dlcalc.catalogue import linear_models as lm


def result(args):
    run = run_main([*args, "--json"])
    assert run.code in (0, 1), run.err
    return json.loads(run.out)


def test_least_squares_matches_polyfit():
    rng = np.random.default_rng(1)
    x = rng.uniform(-2, 2, size=30)
    y = 0.5 - 1.5 * x + 2.0 * x**2 + rng.normal(scale=0.1, size=30)
    design = np.column_stack([np.ones_like(x), x, x**2])
    w = result(["least-squares", "--X", json.dumps(design.tolist()), "--y", ",".join(repr(float(v)) for v in y)])["result"]
    assert w == pytest.approx(np.polyfit(x, y, 2)[::-1].tolist(), abs=1e-9)


def test_ridge_matches_the_one_dimensional_closed_form():
    x, y, lam = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.5, 7.0]), 0.7
    w = result(["least-squares", "--X", json.dumps([[v] for v in x]), "--y", "2,2.5,7", "--ridge", str(lam)])["result"]
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
    record = result(["perceptron", "--X", json.dumps(x.tolist()), "--y", ",".join(str(int(v)) for v in labels), "--epochs", "1000"])
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
