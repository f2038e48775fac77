"""GAN formulas against independent computations: the optimal discriminator by grid search, the value
by its definition, the generator losses' gradients by finite differences."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import as_json, plain, run_main


def test_gan_optimal_discriminator_by_grid_search():
    grid = np.linspace(1e-6, 1 - 1e-6, 1_000_001)
    for a, b in ((0.3, 0.2), (0.05, 0.9), (1.0, 1.0)):
        best = grid[np.argmax(a * np.log(grid) + b * np.log(1 - grid))]
        assert float(plain(["gan-dstar", "--pdata", a, "--pg", b])) == pytest.approx(best, abs=2e-6)
    p, q = np.array([0.1, 0.6, 0.3]), np.array([0.4, 0.4, 0.2])
    m = (p + q) / 2
    jsd = 0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m))
    record = json.loads(plain(["gan-dstar", "--pdata", "0.1,0.6,0.3", "--pg", "0.4,0.4,0.2", "--json"]))
    assert record["value_at_optimum"] == pytest.approx(-math.log(4) + 2 * jsd, abs=1e-11)


def test_gan_value_for_a_given_discriminator():
    p, q, d = [0.2, 0.5, 0.3], [0.6, 0.1, 0.3], [0.3, 0.8, 0.5]
    expected = sum(a * math.log(b) for a, b in zip(p, d)) + sum(a * math.log(1 - b) for a, b in zip(q, d))
    assert float(plain(["gan-value", "--pdata", "0.2,0.5,0.3", "--pg", "0.6,0.1,0.3", "--D", "0.3,0.8,0.5"])) == \
        pytest.approx(expected, rel=1e-11)


def test_gan_generator_loss_gradients_by_finite_differences():
    d = np.array([0.01, 0.3, 0.9])
    logits = np.log(d / (1 - d))
    per_sample = {"non-saturating": lambda a: -np.log(1 / (1 + np.exp(-a))),
                  "saturating": lambda a: np.log(1 - 1 / (1 + np.exp(-a)))}
    for form, loss in per_sample.items():
        record = as_json(["gan-generator-loss", "--D", "0.01,0.3,0.9", "--form", form])
        assert record["result"] == pytest.approx(float(np.mean(loss(logits))), rel=1e-11)
        h = 1e-6
        assert np.allclose(record["logit_gradient"], (loss(logits + h) - loss(logits - h)) / (2 * h), atol=1e-8)
    # the saturating gradient vanishes where D(G(z)) ≈ 0; the non-saturating one does not
    assert abs(as_json(["gan-generator-loss", "--D", "1e-6", "--form", "saturating"])["logit_gradient"][0]) < 1e-5
    # agrees with gan-value's non-saturating loss for p_g uniform over the batch
    batch = "0.01,0.3,0.9,0.5"
    value = as_json(["gan-value", "--pdata", "0.1,0.2,0.3,0.4", "--pg", "0.25,0.25,0.25,0.25", "--D", batch])
    assert as_json(["gan-generator-loss", "--D", batch])["result"] == pytest.approx(value["non_saturating_loss"])
    assert run_main(["gan-generator-loss", "--D", "0.5,1"]).code == 2
