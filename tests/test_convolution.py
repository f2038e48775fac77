"""Convolution, cross-correlation, backprop through a convolution, pooling (sheet §12.1–12.6).

Every numeric command is compared with a method written separately here: NumPy's np.convolve /
np.correlate / np.fft, explicit loops over the defining sums, finite differences of a loss, or a
reshape-based pooling. Every identity is proven, and an altered statement must fail.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_main
from dlcalc.catalogue import convolution as cv
from dlcalc.catalogue._common import ABSENT
from dlcalc.core.proof import prove_equal

FAST = settings(max_examples=40, deadline=None)
numbers = st.integers(-5, 5).map(float)
signal = st.lists(numbers, min_size=1, max_size=7).map(tuple)
modes = st.sampled_from(["full", "valid", "same"])


def value(result):
    return np.array(result.value, dtype=float)


def rows(array):
    return tuple(tuple(float(v) for v in row) for row in np.asarray(array))


# ---- 1-D convolution and correlation against NumPy ----------------------------------------


@FAST
@given(signal, signal, modes)
def test_conv1d_is_np_convolve(x, h, mode):
    assert np.allclose(value(cv.conv1d(x, h, mode)), np.convolve(x, h, mode))


@FAST
@given(signal, signal, modes)
def test_xcorr1d_is_np_correlate(x, h, mode):
    assert np.allclose(value(cv.xcorr1d(x, h, mode)), np.correlate(x, h, mode))


@FAST
@given(signal, signal)
def test_xcorr_valid_is_the_sliding_inner_product(x, h):
    """PyTorch's conv1d: y[u] = Σ_t h[t] x[u + t], u = 0…n−m (a loop, no library)."""
    if len(h) > len(x):
        return
    expected = [sum(h[t] * x[u + t] for t in range(len(h))) for u in range(len(x) - len(h) + 1)]
    assert np.allclose(value(cv.xcorr1d(x, h, "valid")), expected)


@FAST
@given(signal, signal)
def test_xcorr_is_not_commutative_but_reverses(x, h):
    result = cv.xcorr1d(x, h, "full")
    assert np.allclose(result.extra["swapped_full"][::-1], result.value)  # (h⋆x)[u] = (x⋆h)[−u]
    assert np.allclose(np.correlate(h, x, "full")[::-1], result.value)


def test_xcorr_differs_from_conv_unless_kernel_symmetric():
    assert cv.xcorr1d((1, 2, 3), (0, 1, 2), "full").value != cv.conv1d((1, 2, 3), (0, 1, 2), "full").value
    symmetric = cv.xcorr1d((1, 2, 3), (1, 2, 1), "full")
    assert symmetric.extra["symmetric_kernel"] and symmetric.value == cv.conv1d((1, 2, 3), (1, 2, 1), "full").value


# ---- 2-D ------------------------------------------------------------------------------------


def convolution_by_definition(x, h):
    """(x∗h)[u, v] = Σ_t Σ_s x[t, s] h[u − t, v − s], four loops."""
    out = np.zeros((x.shape[0] + h.shape[0] - 1, x.shape[1] + h.shape[1] - 1))
    for u, v, t, s in np.ndindex(*out.shape, *x.shape):
        if 0 <= u - t < h.shape[0] and 0 <= v - s < h.shape[1]:
            out[u, v] += x[t, s] * h[u - t, v - s]
    return out


@FAST
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(0, 10**6))
def test_convolve2d_full_is_the_defining_sum(r, c, p, q, seed):
    rng = np.random.default_rng(seed)
    x, h = rng.integers(-3, 4, (r, c)).astype(float), rng.integers(-3, 4, (p, q)).astype(float)
    assert np.allclose(value(cv.convolve2d(rows(x), rows(h), "full")), convolution_by_definition(x, h))


@FAST
@given(signal, signal, signal, signal, modes)
def test_convolve2d_modes_on_separable_inputs(a, b, c, d, mode):
    """outer(a, b) ∗ outer(c, d) = outer(a∗c, b∗d) per mode; scipy's convolve2d modes equal
    np.convolve's when the signal is the longer input on each axis."""
    a, c = (a, c) if len(a) >= len(c) else (c, a)
    b, d = (b, d) if len(b) >= len(d) else (d, b)
    out = value(cv.convolve2d(rows(np.outer(a, b)), rows(np.outer(c, d)), mode))
    assert np.allclose(out, np.outer(np.convolve(a, c, mode), np.convolve(b, d, mode)))


def conv2d_by_loops(x, w, stride, padding, dilation):
    x = np.pad(x, padding)
    size = [(n - dilation * (k - 1) - 1) // stride + 1 for n, k in zip(x.shape, w.shape)]
    out = np.zeros(size)
    for i, j in np.ndindex(*size):
        out[i, j] = sum(x[stride * i + dilation * k, stride * j + dilation * l] * w[k, l]
                        for k, l in np.ndindex(*w.shape))
    return out


@FAST
@given(st.integers(3, 6), st.integers(3, 6), st.integers(1, 3), st.integers(1, 2), st.integers(0, 2),
       st.integers(1, 2), st.integers(0, 10**6))
def test_conv2d_is_the_sliding_window_sum(r, c, k, stride, padding, dilation, seed):
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=(r, c)), rng.normal(size=(k, k))
    if dilation * (k - 1) + 1 > min(r, c) + 2 * padding:
        return
    expected = conv2d_by_loops(x, w, stride, padding, dilation)
    assert np.allclose(value(cv.conv2d(rows(x), rows(w), stride, padding, dilation)).reshape(expected.shape), expected)


def test_conv2d_is_convolve2d_with_the_rotated_kernel():
    x, w = np.arange(16.0).reshape(4, 4), np.array([[1.0, 2.0], [0.0, -1.0]])
    assert np.allclose(value(cv.conv2d(rows(x), rows(w), 1, 0, 1)),
                       value(cv.convolve2d(rows(x), rows(np.rot90(w, 2)), "valid")))


# ---- Toeplitz, receptive-field sets ---------------------------------------------------------


@FAST
@given(signal, st.integers(1, 7), modes, st.integers(0, 10**6))
def test_toeplitz_times_x_is_the_convolution(h, n, mode, seed):
    x = np.random.default_rng(seed).normal(size=n)
    T = value(cv.toeplitz(h, n, mode)).reshape(-1, n)
    assert np.allclose(T @ x, np.convolve(x, h, mode))


@FAST
@given(st.integers(0, 10**6))
def test_rf_set_is_the_dependency_pattern(seed):
    """Positive weights cannot cancel: j is in the field of i iff (W2 W1)[i, j] > 0, and iff
    perturbing x_j changes output i."""
    rng = np.random.default_rng(seed)
    w1 = rng.uniform(0.5, 1, (4, 5)) * (rng.random((4, 5)) < 0.4)
    w2 = rng.uniform(0.5, 1, (3, 4)) * (rng.random((3, 4)) < 0.5)
    sets = cv.rf_set([rows(w1), rows(w2)]).value
    x = rng.normal(size=5)
    for i in range(3):
        changed = [j for j in range(5) if (w2 @ w1 @ (x + np.eye(5)[j]))[i] != (w2 @ w1 @ x)[i]]
        assert sets[i] == changed == list(np.flatnonzero((w2 @ w1)[i] > 0))


# ---- shift equivariance, circular convolution, LTI -------------------------------------------


@FAST
@given(signal, signal, st.integers(-4, 4))
def test_shift_equivariance_on_z(x, h, delta):
    result = cv.shift_check(x, h, delta, False)
    assert result.value["equivariant"] and result.exit_code == 0
    # with NumPy: conv of the zero-padded, shifted input equals the shifted conv
    pad = 5
    shifted = np.roll(np.pad(x, pad), -delta)
    assert np.allclose(np.convolve(shifted, h), np.roll(np.convolve(np.pad(x, pad), h), -delta))
    nonzero = np.any(np.convolve(x, h) != 0)
    assert result.value["invariant"] == (delta == 0 or not nonzero)


@FAST
@given(st.lists(numbers, min_size=2, max_size=6), st.integers(-3, 3), st.integers(0, 10**6))
def test_shift_equivariance_circular(x, delta, seed):
    h = np.random.default_rng(seed).normal(size=2)
    result = cv.shift_check(tuple(x), tuple(h), delta, True)
    assert result.value["equivariant"]
    circ = lambda a: np.real(np.fft.ifft(np.fft.fft(a) * np.fft.fft(h, len(a))))  # noqa: E731
    invariant = np.allclose(circ(np.roll(x, -delta)), circ(np.array(x)))
    assert result.value["invariant"] == invariant


@FAST
@given(signal, signal, st.integers(0, 6))
def test_circular_conv_is_wrapped_linear_conv(x, h, extra):
    n = max(len(x), len(h)) + extra
    wrapped = np.zeros(n)
    for i, v in enumerate(np.convolve(x, h)):  # fold the linear convolution onto N points
        wrapped[i % n] += v
    result = cv.circular_conv(x, h, n)
    assert np.allclose(value(result), wrapped)
    assert np.allclose(result.extra["via_fft"], wrapped)
    assert result.extra["equals_linear"] == (n >= len(x) + len(h) - 1)


def test_circular_conv_default_length():
    assert cv.circular_conv((1, 2, 3), (1, 1), ABSENT).value == [4.0, 3.0, 5.0]


@FAST
@given(st.lists(numbers, min_size=1, max_size=6), st.integers(0, 10**6))
def test_lti_check_recognises_circulants(h, seed):
    n = len(h)
    T = np.column_stack([np.roll(h, j) for j in range(n)])  # column j: h shifted j places
    result = cv.lti_check(rows(T))
    assert result.value["shift-equivariant"] and result.value["convolution"]
    assert np.allclose(result.value["kernel"], h)
    x = np.random.default_rng(seed).normal(size=n)
    assert np.allclose(T @ x, np.real(np.fft.ifft(np.fft.fft(h) * np.fft.fft(x))))


def test_lti_check_rejects_a_position_dependent_operator():
    T = np.diag([1.0, 2.0, 3.0])
    result = cv.lti_check(rows(T))
    assert result.value == {"shift-equivariant": False, "convolution": False} and result.exit_code == 0


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
    dw = value(cv.conv_weight_grad(tuple(x), tuple(delta), mode))
    dx = value(cv.conv_input_grad(tuple(w), tuple(delta), mode))
    assert np.allclose(dw, numeric_gradient(loss_w, w), atol=1e-6)
    assert np.allclose(dx, numeric_gradient(loss_x, x), atol=1e-6)
    # the sum over uses of each shared weight is the same gradient
    assert np.allclose(value(cv.weight_sharing_grad(tuple(x), tuple(delta), mode)), dw)


def test_valid_input_gradient_is_a_full_convolution_with_the_flipped_kernel():
    w, delta = np.array([1.0, 2.0, -1.0]), np.array([0.5, -2.0, 3.0])
    assert np.allclose(value(cv.conv_input_grad(tuple(w), tuple(delta), "valid")), np.convolve(delta, w[::-1], "full"))


def test_the_finite_difference_check_is_reported_and_skipped_when_too_large():
    small = cv.conv_input_grad((1.0, 2.0), (1.0, -1.0, 2.0), "valid")
    assert small.extra["finite_difference_max_error"] < 1e-9
    big = cv.conv_input_grad((1.0, 2.0) * 25, (1.0,) * 40_000, "valid")  # 32·2·(40049·50) products
    assert "finite_difference_max_error" not in big.extra and "skipped" in big.steps[-1]
    assert big.value[:3] == [2.0, 3.0, 5.0]  # δ ∗ rot180(w), rot180(w) = 2,1,2,1,…: 2, 2+1, 2+1+2


def test_the_sheets_middle_step_is_not_the_gradient():
    result = cv.conv_weight_grad((1, 2, 3), (1, 2), "valid")
    assert result.value == [8.0, 5.0]  # R = y1 + 2 y2 with y1 = 2w0 + w1, y2 = 3w0 + 2w1
    assert result.extra["sheet_middle_step"] == [0.0, 1.0]


# ---- rot180 and pooling -----------------------------------------------------------------------


def test_rot180():
    m = np.arange(6.0).reshape(2, 3)
    assert np.array_equal(value(cv.rot180(rows(m))), np.rot90(m, 2))
    assert cv.rot180(((1.0, 2.0, 3.0),)).value == [3.0, 2.0, 1.0]


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
    result = cv.pool((tuple(x),), r, s, mode, (tuple(g),))
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
    result = cv.pool(rows(x), r, r, mode, rows(g)) if a * r > 1 else None
    if result is None:
        return
    out = np.array(result.value["pooled"]).reshape(pooled.shape)
    assert np.allclose(out, pooled)
    loss = lambda v: float(np.sum(g * (v.reshape(a, r, b, r).max(axis=(1, 3)) if mode == "max"  # noqa: E731
                                       else v.reshape(a, r, b, r).mean(axis=(1, 3)))))
    fd = numeric_gradient(lambda v: loss(v.reshape(x.shape)), x.ravel(), 1e-6).reshape(x.shape)
    assert np.allclose(np.array(result.value["grad"]).reshape(x.shape), fd, atol=1e-5)


def test_pool_ties_go_to_the_first_maximum():
    assert cv.pool(((1.0, 3.0, 3.0, 0.0),), 2, 1, "max", ((1.0, 1.0, 1.0),)).value["grad"] == [0.0, 2.0, 1.0, 0.0]


# ---- layout ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(32, 100, 300), (7, 5), (1, 2, 3)])
def test_conv1d_layout_is_the_transpose(shape):
    perm = cv.conv1d_layout(shape, "channels-last").extra["permutation"]
    assert tuple(cv.conv1d_layout(shape, "channels-last").value) == np.empty(shape).transpose(perm).shape
    assert tuple(cv.conv1d_layout(tuple(cv.conv1d_layout(shape, "channels-last").value), "channels-first").value) == shape


# ---- identities ------------------------------------------------------------------------------


@pytest.mark.parametrize("statement, altered", [
    (cv.linearity_statement, {"break_it": True}),
    (cv.conv_forms_statement, {"swap_to_correlation": True}),
    (cv.commutative_statement, {"correlation": True}),
    (cv.associative_statement, {"drop_last": True}),
    (cv.fourier_statement, {"angular": True}),
    (cv.convolution_theorem_statement, {"sum_instead": True}),
])
def test_identity_proven_and_altered_statement_fails(statement, altered):
    from dlcalc.core.proof import small_sampler

    assert prove_equal(*statement(), sampler=small_sampler).proven
    assert not prove_equal(*statement(**altered), sampler=small_sampler).proven


def test_identities_are_registered_with_their_statements():
    from dlcalc.core import registry

    for name in ("integral-transform-linear", "conv-integral-forms", "conv-commutative", "conv-associative",
                 "fourier-transform", "convolution-theorem"):
        formula = registry.get(name)
        assert formula.kind == "identity" and formula.prove is not None


# ---- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["conv-weight-grad", "--x", "1,2", "--delta", "1,2,3"], "--delta has 3 entries"),
    (["conv-input-grad", "--w", "1,2,3", "--delta", "1", "--mode", "full"], "--delta has 1 entries"),
    (["convolve2d", "--x", "1,2,3", "--h", "1;2", "--mode", "valid"], "valid mode needs"),
    (["conv2d", "--x", "1,2;3,4", "--w", "1,1,1;1,1,1;1,1,1"], "does not fit"),
    (["pool", "--x", "1,2", "--r", "3"], "larger than the input"),
    (["pool", "--x", "1,2,3,4", "--r", "2", "--grad", "1,2,3"], "--grad must have the pooled shape 2"),
    (["rf-set", "--W", "1,0;0,1", "--W", "1,1,1"], "--W number 2 has 3 columns"),
    (["lti-check", "--T", "1,2,3"], "--T must be square"),
    (["conv1d-layout", "--shape", "1,2,3,4"], "--shape needs 3 sizes"),
    (["circular-conv", "--x", "1,2,3", "--h", "1", "--n", "2"], "--n 2 is shorter"),
    (["conv-shift-check", "--x", "1", "--h", "1,1", "--delta", "1", "--circular"], "no longer than x"),
    (["conv1d", "--x", "1,nan", "--h", "1"], "expected a finite number"),
    (["xcorr1d", "--x", ",".join(["1"] * 3000), "--h", ",".join(["1"] * 3000)], "too large: 9,000,000 terms"),
    (["lti-check", "--T", ";".join([",".join(["0"] * 1500)] * 1500)], "--T is too large"),
    (["conv-shift-check", "--x", "1", "--h", "1", "--delta", "1000000"], "too large"),
])
def test_bad_input_is_one_line_exit_2(args, message):
    run = run_main(args)
    assert run.code == 2 and run.out == ""
    assert run.err.startswith("dlcalc: error: ") and message in run.err and run.err.count("\n") == 1


# ---- registration: every catalogue row and erratum of the task, and the erratum commands run ----

ROWS = {"CNN-LIN", "CNN-CONV", "CNN-LTI", "CNN-COMM-ASSOC", "CNN-SHIFT", "CNN-FT", "CNN-CONVTHM", "CNN-DCONV",
        "CNN-DCONV-ND", "CNN-XCORR", "CNN-TOEPLITZ", "CNN-RF-SET", "CNN-WSHARE", "CNN-BP-W", "CNN-BP-X", "CNN-ROT",
        "CNN-POOL", "CNN-K4", "CNN-1D-LAYOUT"}
ERRATA = ("E42", "E43", "E44", "E45", "E47", "E48", "E52")


def test_every_row_is_registered_and_every_erratum_cited():
    from dlcalc.core import registry

    mine = [f for f in registry.formulas() if f.module == "dlcalc.catalogue.convolution"]
    assert {f.catalogue_id for f in mine} == ROWS
    cited = {e for f in mine for e in f.errata}
    assert set(ERRATA) <= cited


@pytest.mark.parametrize("eid", ERRATA)
def test_erratum_command_runs(eid):
    import shlex

    from dlcalc.core import registry

    command = shlex.split(registry.ERRATA[eid]["command"])
    assert command[0] == "dlcalc"
    run = run_main(command[1:])
    assert run.code == 0 and run.out.count("\n") == 1, run.err


def test_verify_proves_an_identity_through_the_cli():
    run = run_main(["verify", "fourier-transform"])
    assert run.code == 0 and "fourier-transform  proven" in run.out


def test_plain_output_through_a_real_subprocess():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "dlcalc", "pool", "--x", "1,2;3,4", "--r", "2", "--grad", "1"],
                          capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, "pooled=[[4.0]] grad=[[0.0, 0.0], [0.0, 1.0]]\n")
