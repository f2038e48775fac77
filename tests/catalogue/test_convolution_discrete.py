"""Discrete convolution and cross-correlation (sheet §12.2, §12.3, §12.8, §12.10.2), each compared with a
method written separately here: NumPy's np.convolve / np.correlate, explicit loops over the defining
sums, or PyTorch's conv1d where it is installed. Also the registration, errata and bad-input checks
of the three convolution_* modules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_main
from dlcalc.catalogue import convolution_discrete as cd
from dlcalc.core.errors import DlcalcError

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
    assert np.allclose(value(cd.conv1d(x, h, mode)), np.convolve(x, h, mode))


@FAST
@given(signal, signal, modes)
def test_xcorr1d_is_np_correlate(x, h, mode):
    if mode == "valid" and len(h) > len(x):  # NumPy swaps the inputs here; PyTorch (and dlcalc) refuse
        with pytest.raises(DlcalcError, match="kernel no longer than the input"):
            cd.xcorr1d(x, h, mode)
        return
    assert np.allclose(value(cd.xcorr1d(x, h, mode)), np.correlate(x, h, mode))


def test_a_kernel_longer_than_the_input_is_refused_in_valid_mode():
    run = run_main(["xcorr1d", "--x", "1,2,3", "--h", "1,1,1,1,1"])
    assert run.code == 2 and run.out == ""
    assert run.err == ("dlcalc: error: valid mode (PyTorch conv1d) needs a kernel no longer than the input: "
                       "len(h) = 5 > len(x) = 3 (use --mode full or same)\n")


def test_valid_mode_agrees_with_pytorch_conv1d_and_refuses_what_it_refuses():
    torch = pytest.importorskip("torch")
    conv1d = torch.nn.functional.conv1d

    def torch_valid(x, h):
        return conv1d(torch.tensor([[x]], dtype=torch.float64), torch.tensor([[h]], dtype=torch.float64))[0, 0].tolist()

    assert np.allclose(value(cd.xcorr1d((1, 2, 3, 4), (1, -1), "valid")), torch_valid([1, 2, 3, 4], [1, -1]))
    assert np.allclose(value(cd.xcorr1d((1, 2, 3), (0, 1, 2), "valid")), torch_valid([1, 2, 3], [0, 1, 2]))
    with pytest.raises(RuntimeError):
        torch_valid([1, 2, 3], [1, 1, 1, 1, 1])
    with pytest.raises(DlcalcError):
        cd.xcorr1d((1, 2, 3), (1, 1, 1, 1, 1), "valid")


def test_long_signals_are_answered_fast_and_checked_by_the_defining_sum():
    """60,000 × 100 products: six million terms, refused while the check summed them in Python."""
    rng = np.random.default_rng(1)
    x, h = rng.integers(-3, 4, 60_000).astype(float), rng.integers(-3, 4, 100).astype(float)
    result = cd.xcorr1d(tuple(x), tuple(h), "valid")
    assert np.allclose(value(result), np.correlate(x, h, "valid"))
    assert "(checked against the defining sum)" in result.steps[1] and "(checked)" in result.steps[2]
    swapped = cd.xcorr1d(tuple(h), tuple(x), "full")  # the long input as the kernel: the other loop
    assert np.allclose(value(swapped), np.correlate(h, x, "full"))


@FAST
@given(signal, signal)
def test_xcorr_valid_is_the_sliding_inner_product(x, h):
    """PyTorch's conv1d: y[u] = Σ_t h[t] x[u + t], u = 0…n−m (a loop, no library)."""
    if len(h) > len(x):
        return
    expected = [sum(h[t] * x[u + t] for t in range(len(h))) for u in range(len(x) - len(h) + 1)]
    assert np.allclose(value(cd.xcorr1d(x, h, "valid")), expected)


@FAST
@given(signal, signal)
def test_xcorr_is_not_commutative_but_reverses(x, h):
    result = cd.xcorr1d(x, h, "full")
    assert np.allclose(result.extra["swapped_full"][::-1], result.value)  # (h⋆x)[u] = (x⋆h)[−u]
    assert np.allclose(np.correlate(h, x, "full")[::-1], result.value)


def test_xcorr_differs_from_conv_unless_kernel_symmetric():
    assert cd.xcorr1d((1, 2, 3), (0, 1, 2), "full").value != cd.conv1d((1, 2, 3), (0, 1, 2), "full").value
    symmetric = cd.xcorr1d((1, 2, 3), (1, 2, 1), "full")
    assert symmetric.extra["symmetric_kernel"] and symmetric.value == cd.conv1d((1, 2, 3), (1, 2, 1), "full").value


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
    assert np.allclose(value(cd.convolve2d(rows(x), rows(h), "full")), convolution_by_definition(x, h))


@FAST
@given(signal, signal, signal, signal, modes)
def test_convolve2d_modes_on_separable_inputs(a, b, c, d, mode):
    """outer(a, b) ∗ outer(c, d) = outer(a∗c, b∗d) per mode; scipy's convolve2d modes equal
    np.convolve's when the signal is the longer input on each axis."""
    a, c = (a, c) if len(a) >= len(c) else (c, a)
    b, d = (b, d) if len(b) >= len(d) else (d, b)
    out = value(cd.convolve2d(rows(np.outer(a, b)), rows(np.outer(c, d)), mode))
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
    assert np.allclose(value(cd.conv2d(rows(x), rows(w), stride, padding, dilation)).reshape(expected.shape), expected)


def test_conv2d_is_convolve2d_with_the_rotated_kernel():
    x, w = np.arange(16.0).reshape(4, 4), np.array([[1.0, 2.0], [0.0, -1.0]])
    assert np.allclose(value(cd.conv2d(rows(x), rows(w), 1, 0, 1)),
                       value(cd.convolve2d(rows(x), rows(np.rot90(w, 2)), "valid")))


# ---- Toeplitz ------------------------------------------------------------------------------


@FAST
@given(signal, st.integers(1, 7), modes, st.integers(0, 10**6))
def test_toeplitz_times_x_is_the_convolution(h, n, mode, seed):
    x = np.random.default_rng(seed).normal(size=n)
    T = value(cd.toeplitz(h, n, mode)).reshape(-1, n)
    assert np.allclose(T @ x, np.convolve(x, h, mode))


# ---- layout ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(32, 100, 300), (7, 5), (1, 2, 3)])
def test_conv1d_layout_is_the_transpose(shape):
    perm = cd.conv1d_layout(shape, "channels-last").extra["permutation"]
    assert tuple(cd.conv1d_layout(shape, "channels-last").value) == np.empty(shape).transpose(perm).shape
    assert tuple(cd.conv1d_layout(tuple(cd.conv1d_layout(shape, "channels-last").value), "channels-first").value) == shape


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
    (["xcorr1d", "--x", ",".join(["1"] * 20_000), "--h", ",".join(["1"] * 20_000)], "too large: 400,000,000 terms"),
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

    mine = [f for f in registry.formulas() if f.module.startswith("dlcalc.catalogue.convolution_")]
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
