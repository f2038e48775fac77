"""Autoregressive models against independent computations: bits per dimension by hand, MADE's
autoregressive property by a finite-difference Jacobian, masked receptive fields by composing the
convolutions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import as_json, plain, run_main
from dlcalc.catalogue import generative_autoregressive


def test_bits_per_dim():
    assert float(plain(["bits-per-dim", "--nll", 3072 * math.log(2) * 3.5, "--dims", 3072])) == pytest.approx(3.5)
    assert float(plain(["bits-per-dim", "--nll", 100, "--dims", 50, "--base", 2])) == 2.0


def made_jacobian(masks, x, rng):
    """A MADE with random weights ⊙ masks (tanh hidden layers), differentiated by central differences."""
    weights = [rng.standard_normal(np.shape(m)) * np.array(m) for m in masks]

    def net(v):
        for W in weights[:-1]:
            v = np.tanh(W @ v + 0.1)
        return weights[-1] @ v

    h = 1e-6
    return np.column_stack([(net(x + h * e) - net(x - h * e)) / (2 * h) for e in np.eye(len(x))])


@pytest.mark.parametrize("order, hidden", [("1,2,3,4", ["1,2,3,1,2,3", "2,1,3,3,1"]), ("3,1,4,2", ["2,2,1,3"]),
                                           ("2,1", ["1,1"])])
def test_made_masks_are_autoregressive_by_a_finite_difference_jacobian(order, hidden):
    args = ["made", "--order", order] + [arg for h in hidden for arg in ("--hidden", h)]
    record = as_json(args)
    degrees = np.array([int(v) for v in order.split(",")])
    rng = np.random.default_rng(1)
    J = made_jacobian(record["masks"], rng.standard_normal(len(degrees)), rng)
    allowed = degrees[:, None] > degrees[None, :]
    assert np.all(abs(J[~allowed]) < 1e-9)  # ∂ŷ_i/∂x_j = 0 unless m_j < m_i
    assert np.array_equal(abs(J) > 1e-7, np.array(record["result"]) == 1)  # the printed dependencies are real
    assert record["autoregressive"]


def test_made_with_a_non_strict_output_mask_is_not_autoregressive():
    masks = generative_autoregressive.made_masks([1, 2, 3], [[1, 2, 2]], strict_output=False)
    J = made_jacobian(masks, np.array([0.3, -0.2, 0.5]), np.random.default_rng(2))
    assert abs(J[1, 1]) > 1e-6  # output 2 sees its own input: the altered rule fails
    assert run_main(["made", "--order", "1,1,2", "--hidden", "1"]).code == 2
    assert run_main(["made", "--order", "1,2,3", "--hidden", "3"]).code == 2


def masked_conv_matrix(length, k, d, mask, rng):
    """A 1-D masked convolution as a length×length matrix: centred taps at offsets (i − c)·d (causal: all k taps
    at offsets −(k−1−i)·d); mask A zeroes the centre and the future, B the future only."""
    M = np.zeros((length, length))
    for i in range(k):
        offset = -(k - 1 - i) * d if mask == "causal" else (i - (k - 1) // 2) * d
        if (mask == "a" and offset >= 0) or (mask == "b" and offset > 0):
            continue
        w = rng.uniform(0.5, 1.5)
        for t in range(length):
            if 0 <= t + offset < length:
                M[t, t + offset] = w
    return M


@pytest.mark.parametrize("layers, first", [("k=2,d=1; k=2,d=2; k=2,d=4", "causal"), ("k=3; k=3; k=3", "a"),
                                           ("k=5,d=2; k=3; k=7,d=3", "a"), ("k=3,d=2; k=5", "b"),
                                           ("k=3,d=3; k=2", "causal")])
def test_masked_receptive_field_by_composing_the_convolutions(layers, first):
    rng, length = np.random.default_rng(4), 80
    total = np.eye(length)
    for number, layer in enumerate(layers.split(";")):
        spec = dict(item.strip().split("=") for item in layer.split(","))
        mask = first if number == 0 else ("causal" if first == "causal" else "b")
        total = masked_conv_matrix(length, int(spec["k"]), int(spec.get("d", 1)), mask, rng) @ total
    seen = np.nonzero(total[length - 1])[0] - (length - 1)  # offsets that reach the last output
    record = as_json(["masked-receptive-field", "--layers", layers, "--first", first])
    assert (record["result"]["from"], record["result"]["to"]) == (seen.min(), seen.max())
    assert record["result"]["size"] == seen.max() - seen.min() + 1 and record["nonzero"] == len(seen)
    assert seen.max() <= (-1 if first == "a" else 0)  # causal: never the future (nor x_t under mask A)


def test_masked_receptive_field_rejects_what_it_cannot_mask():
    assert run_main(["masked-receptive-field", "--layers", "k=2", "--first", "a"]).code == 2
    assert run_main(["masked-receptive-field", "--layers", "k=3,s=2"]).code == 2


def test_made_sizes_are_bounded():
    run = run_main(["made", "--order", ",".join(map(str, range(1, 4098))), "--hidden", "1"])
    assert run.code == 2 and "at most 4,096" in run.err
