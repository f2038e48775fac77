"""Backpropagation through convolutions and pooling (sheet §12.5, §12.6): receptive-field sets by
perturbation, gradients by finite differences, pooling against reshapes and loops."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_main, run_process
from dlcalc.catalogue import convolution_backprop as cb

FAST = settings(max_examples=40, deadline=None)


def value(result):
    return np.array(result.value, dtype=float)


def rows(array):
    return tuple(tuple(float(v) for v in row) for row in np.asarray(array))


# ---- receptive-field sets -------------------------------------------------------------------


@FAST
@given(st.integers(0, 10**6))
def test_rf_set_is_the_dependency_pattern(seed):
    """Positive weights cannot cancel: j is in the field of i iff (W2 W1)[i, j] > 0, and iff
    perturbing x_j changes output i."""
    rng = np.random.default_rng(seed)
    w1 = rng.uniform(0.5, 1, (4, 5)) * (rng.random((4, 5)) < 0.4)
    w2 = rng.uniform(0.5, 1, (3, 4)) * (rng.random((3, 4)) < 0.5)
    sets = cb.rf_set([rows(w1), rows(w2)]).value
    x = rng.normal(size=5)
    for i in range(3):
        changed = [j for j in range(5) if (w2 @ w1 @ (x + np.eye(5)[j]))[i] != (w2 @ w1 @ x)[i]]
        assert sets[i] == changed == list(np.flatnonzero((w2 @ w1)[i] > 0))


# ---- backprop --------------------------------------------------------------------------------


def numeric_gradient(loss, point, step=1e-4):
    return np.array([(loss(point + step * e) - loss(point - step * e)) / (2 * step) for e in np.eye(len(point))])


def forward(x, w, mode):
    return np.convolve(x, w, mode) if mode == "full" or len(x) >= len(w) else None


sizes = st.tuples(st.integers(1, 6), st.integers(1, 4), st.sampled_from(["valid", "full"]), st.integers(0, 10**6))


@FAST
@given(sizes)
def test_weight_and_input_gradients_match_finite_differences(case):
    n, m, mode, seed = case
    if m > n:
        return
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=n), rng.normal(size=m)
    delta = rng.normal(size=len(np.convolve(x, w, mode)))
    loss_w = lambda v: float(delta @ np.convolve(x, v, mode))  # noqa: E731
    loss_x = lambda v: float(delta @ np.convolve(v, w, mode))  # noqa: E731
    dw = value(cb.conv_weight_grad(tuple(x), tuple(delta), mode))
    dx = value(cb.conv_input_grad(tuple(w), tuple(delta), mode))
    assert np.allclose(dw, numeric_gradient(loss_w, w), atol=1e-6)
    assert np.allclose(dx, numeric_gradient(loss_x, x), atol=1e-6)
    # the sum over uses of each shared weight is the same gradient
    assert np.allclose(value(cb.weight_sharing_grad(tuple(x), tuple(delta), mode)), dw)


def test_valid_input_gradient_is_a_full_convolution_with_the_flipped_kernel():
    w, delta = np.array([1.0, 2.0, -1.0]), np.array([0.5, -2.0, 3.0])
    assert np.allclose(value(cb.conv_input_grad(tuple(w), tuple(delta), "valid")), np.convolve(delta, w[::-1], "full"))


def test_the_finite_difference_check_is_reported_and_skipped_when_too_large():
    small = cb.conv_input_grad((1.0, 2.0), (1.0, -1.0, 2.0), "valid")
    assert small.extra["finite_difference_max_error"] < 1e-9
    big = cb.conv_input_grad((1.0, 2.0) * 25, (1.0,) * 40_000, "valid")  # 32·2·(40049·50) products
    assert "finite_difference_max_error" not in big.extra and "skipped" in big.steps[-1]
    assert big.value[:3] == [2.0, 3.0, 5.0]  # δ ∗ rot180(w), rot180(w) = 2,1,2,1,…: 2, 2+1, 2+1+2


def test_the_sheets_middle_step_is_not_the_gradient():
    result = cb.conv_weight_grad((1, 2, 3), (1, 2), "valid")
    assert result.value == [8.0, 5.0]  # R = y1 + 2 y2 with y1 = 2w0 + w1, y2 = 3w0 + 2w1
    assert result.extra["sheet_middle_step"] == [0.0, 1.0]


# ---- rot180 and pooling -----------------------------------------------------------------------


def test_rot180():
    m = np.arange(6.0).reshape(2, 3)
    assert np.array_equal(value(cb.rot180(rows(m))), np.rot90(m, 2))
    assert cb.rot180(((1.0, 2.0, 3.0),)).value == [3.0, 2.0, 1.0]


def pool_1d_by_loops(x, r, s, mode):
    starts = range(0, len(x) - r + 1, s)
    return [max(x[i:i + r]) if mode == "max" else sum(x[i:i + r]) / r for i in starts]


@FAST
@given(st.lists(st.floats(-5, 5), min_size=1, max_size=9), st.integers(1, 3), st.integers(1, 3),
       st.sampled_from(["max", "avg"]))
def test_pool_1d_against_loops_and_its_gradient(x, r, s, mode):
    if r > len(x):
        return
    g = np.arange(1.0, len(pool_1d_by_loops(x, r, s, mode)) + 1)
    result = cb.pool((tuple(x),), r, s, mode, (tuple(g),))
    assert np.allclose(result.value["pooled"], pool_1d_by_loops(x, r, s, mode))
    expected = np.zeros(len(x))  # routing by hand: argmax (first) or an equal share
    for k, i in enumerate(range(0, len(x) - r + 1, s)):
        if mode == "max":
            expected[i + int(np.argmax(x[i:i + r]))] += g[k]
        else:
            expected[i:i + r] += g[k] / r
    assert np.allclose(result.value["grad"], expected)


@FAST
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.sampled_from(["max", "avg"]), st.integers(0, 10**6))
def test_pool_2d_non_overlapping_and_finite_differences(a, b, r, mode, seed):
    rng = np.random.default_rng(seed)
    x, g = rng.normal(size=(a * r, b * r)), rng.normal(size=(a, b))
    blocks = x.reshape(a, r, b, r)
    pooled = blocks.max(axis=(1, 3)) if mode == "max" else blocks.mean(axis=(1, 3))
    result = cb.pool(rows(x), r, r, mode, rows(g)) if a * r > 1 else None
    if result is None:
        return
    out = np.array(result.value["pooled"]).reshape(pooled.shape)
    assert np.allclose(out, pooled)
    loss = lambda v: float(np.sum(g * (v.reshape(a, r, b, r).max(axis=(1, 3)) if mode == "max"  # noqa: E731
                                       else v.reshape(a, r, b, r).mean(axis=(1, 3)))))
    fd = numeric_gradient(lambda v: loss(v.reshape(x.shape)), x.ravel(), 1e-6).reshape(x.shape)
    assert np.allclose(np.array(result.value["grad"]).reshape(x.shape), fd, atol=1e-5)


def test_pool_ties_go_to_the_first_maximum():
    assert cb.pool(((1.0, 3.0, 3.0, 0.0),), 2, 1, "max", ((1.0, 1.0, 1.0),)).value["grad"] == [0.0, 2.0, 1.0, 0.0]


def test_rot180_refuses_a_ragged_value_in_one_line():
    for value_text, message in (("[1,[2]]", "rows must all have the same length"), ("[[[1]]]", "nested 3 deep")):
        run = run_main(["rot180", "--x", value_text])
        assert run.code == 2 and run.out == "" and run.err.count("\n") == 1 and message in run.err, run.err


def test_plain_output_through_a_real_subprocess():
    run = run_process(["pool", "--x", "1,2;3,4", "--r", "2", "--grad", "1"])
    assert (run.code, run.out) == (0, "pooled=[[4.0]] grad=[[0.0, 0.0], [0.0, 1.0]]\n")
