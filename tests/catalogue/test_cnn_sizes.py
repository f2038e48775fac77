"""CNN output sizes against brute force: windows literally slid over a padded array.

The references below never use the closed-form size formulas: they build the padded input as a
list, enumerate window positions, and count the windows that PyTorch keeps. A configuration the
reference finds no window for must be refused by dlcalc (exit 2), never answered.
PyTorch itself was compared on 10,800 configurations during development (tests/catalogue/test_pytorch_conformance.py).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_main

sizes = st.integers(1, 40)
kernels = st.integers(1, 7)
strides = st.integers(1, 4)
dilations = st.integers(1, 3)
paddings = st.integers(0, 4)


def padded_input(size, before, after):
    """The input positions 0..size-1 with None for padding on each side."""
    return [None] * before + list(range(size)) + [None] * after


def window_starts(length, kernel, stride, dilation):
    """Start indices of windows that fit entirely inside an array of ``length``."""
    starts, start = [], 0
    while start + dilation * (kernel - 1) < length:
        starts.append(start)
        start += stride
    return starts


def brute_conv(size, kernel, stride, padding, dilation):
    if padding == "same":
        total = dilation * (kernel - 1)
        before, after = total // 2, total - total // 2  # PyTorch puts the odd zero at the end
    else:
        before = after = 0 if padding == "valid" else padding
    return len(window_starts(len(padded_input(size, before, after)), kernel, stride, dilation))


def brute_pool(size, kernel, stride, padding, dilation, ceil_mode):
    """PyTorch's pooling windows. Ceil mode lets a window hang over the right end by up to
    stride − 1 virtual cells, but a window may not start in the right padding."""
    overhang = stride - 1 if ceil_mode else 0
    array = padded_input(size, padding, padding + overhang)
    return sum(1 for start in window_starts(len(array), kernel, stride, dilation) if start < padding + size)


def brute_conv_transpose(size, kernel, stride, padding, dilation, output_padding):
    """Scatter every input position to the outputs it touches, then crop and extend."""
    touched = {i * stride + t * dilation for i in range(size) for t in range(kernel)}
    return max(touched) + 1 - 2 * padding + output_padding


def dlcalc_value(args):
    run = run_main(args)
    if run.code == 2:
        assert run.out == "" and run.err.startswith("dlcalc: error: ") and run.err.count("\n") == 1
        return None
    assert run.code == 0, run.err
    return int(run.out)


@settings(max_examples=300, deadline=None)
@given(sizes, kernels, strides, st.one_of(paddings, st.sampled_from(["same", "valid"])), dilations)
def test_conv_out_matches_sliding_windows(size, kernel, stride, padding, dilation):
    expected = brute_conv(size, kernel, stride, padding, dilation)
    got = dlcalc_value(["conv-out", "--I", str(size), "--K", str(kernel), "--S", str(stride),
                        "--P", str(padding), "--d", str(dilation)])
    if padding == "same" and stride > 1:
        assert got is None  # PyTorch refuses strided 'same'
    elif expected == 0:
        assert got is None
    else:
        assert got == expected


@settings(max_examples=300, deadline=None)
@given(sizes, kernels, strides, st.integers(0, 3), dilations, st.booleans())
def test_pool_out_matches_sliding_windows(size, kernel, stride, padding, dilation, ceil_mode):
    expected = brute_pool(size, kernel, stride, padding, dilation, ceil_mode)
    args = ["pool-out", "--I", str(size), "--K", str(kernel), "--S", str(stride), "--P", str(padding),
            "--d", str(dilation)] + (["--ceil-mode"] if ceil_mode else [])
    got = dlcalc_value(args)
    if 2 * padding > kernel or expected == 0:
        assert got is None  # PyTorch: padding at most half the kernel; output at least 1
    else:
        assert got == expected


@settings(max_examples=300, deadline=None)
@given(sizes, kernels, strides, st.integers(0, 3), dilations, st.integers(0, 3))
def test_convtranspose_out_matches_scatter(size, kernel, stride, padding, dilation, output_padding):
    expected = brute_conv_transpose(size, kernel, stride, padding, dilation, output_padding)
    got = dlcalc_value(["convtranspose-out", "--I", str(size), "--K", str(kernel), "--S", str(stride),
                        "--P", str(padding), "--d", str(dilation), "--output-padding", str(output_padding)])
    if output_padding >= stride and output_padding >= dilation:
        assert got is None
    elif expected < 1:
        assert got is None
    else:
        assert got == expected


@settings(max_examples=200, deadline=None)
@given(sizes, kernels, strides, st.integers(0, 3), dilations, st.integers(0, 3))
def test_convtranspose_inverts_conv_size(size, kernel, stride, padding, dilation, output_padding):
    """A conv with the same settings maps the transposed conv's output size back to its input."""
    if output_padding >= stride:
        return
    out = dlcalc_value(["convtranspose-out", "--I", str(size), "--K", str(kernel), "--S", str(stride),
                        "--P", str(padding), "--d", str(dilation), "--output-padding", str(output_padding)])
    if out is None:
        return
    assert dlcalc_value(["conv-out", "--I", str(out), "--K", str(kernel), "--S", str(stride),
                         "--P", str(padding), "--d", str(dilation)]) == size


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(sizes, kernels, strides, paddings), min_size=2, max_size=3))
def test_per_axis_sizes_are_independent(axes):
    """--I a,b --K c,d equals the axes computed one at a time."""
    joined = ["conv-out"] + [arg for i, flag in enumerate(("--I", "--K", "--S", "--P"))
                             for arg in (flag, ",".join(str(axis[i]) for axis in axes))]
    expected = [brute_conv(*axis, 1) for axis in axes]
    got = run_main(joined)
    if min(expected) == 0:
        assert got.code == 2 and "axis" in got.err
    else:
        assert got.code == 0 and got.out.strip() == ",".join(map(str, expected))


@pytest.mark.parametrize(
    "kernel, dilation, expected",
    [(1, 1, "0"), (3, 1, "1"), (4, 1, "1:2"), (5, 1, "2"), (3, 2, "2"), (2, 3, "1:2"), (6, 1, "2:3")],
)
def test_same_padding_keeps_the_size(kernel, dilation, expected):
    got = run_main(["same-padding", "--K", str(kernel), "--d", str(dilation)]).out.strip()
    assert got == expected
    before, _, after = got.partition(":")
    after = after or before
    # The padding it prints really keeps the size: slide windows over the padded input.
    for size in range(1, 12):
        array = padded_input(size, int(before), int(after))
        assert len(window_starts(len(array), kernel, 1, dilation)) == size
