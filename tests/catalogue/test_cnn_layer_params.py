"""Parameter counts of one layer (conv-params, fc-params, locally-connected-params, param-compare):
published totals of whole networks added up layer by layer, and dense matrices counted entry by entry."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_main


def count(command, **options):
    args = [command]
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            args.append(flag)
        else:
            args += [flag, str(value)]
    run = run_main(args)
    assert run.code == 0, run.err
    return int(run.out)


def conv(c_in, c_out, k, **extra):
    return count("conv-params", c_in=c_in, c_out=c_out, K=k, **extra)


def fc(n_in, n_out):
    return count("fc-params", **{"in": n_in, "out": n_out})


# Published totals (torchvision's implementations; Simonyan & Zisserman 2015 for VGG-16).
def test_alexnet_has_61_100_840_parameters():
    convs = conv(3, 64, 11) + conv(64, 192, 5) + conv(192, 384, 3) + conv(384, 256, 3) + conv(256, 256, 3)
    fcs = fc(256 * 6 * 6, 4096) + fc(4096, 4096) + fc(4096, 1000)
    assert convs + fcs == 61_100_840


def test_vgg16_has_138_357_544_parameters():
    widths = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256),
              (256, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512)]
    fcs = fc(512 * 7 * 7, 4096) + fc(4096, 4096) + fc(4096, 1000)
    assert sum(conv(a, b, 3) for a, b in widths) + fcs == 138_357_544
    assert fcs == 123_642_856  # catalogue CNN-FC-SHARE: 89.4 % of VGG-16 is in the FC layers


def test_resnet18_has_11_689_512_parameters():
    def batchnorm(channels):
        return 2 * channels  # weight and bias (running statistics are buffers, not parameters)

    total = conv(3, 64, 7, no_bias=True) + batchnorm(64)
    for c_in, c_out in ((64, 64), (64, 128), (128, 256), (256, 512)):
        for block in range(2):
            first_in = c_in if block == 0 else c_out
            total += conv(first_in, c_out, 3, no_bias=True) + batchnorm(c_out)
            total += conv(c_out, c_out, 3, no_bias=True) + batchnorm(c_out)
            if block == 0 and c_in != c_out:  # 1x1 projection shortcut
                total += conv(c_in, c_out, 1, no_bias=True) + batchnorm(c_out)
    total += fc(512, 1000)
    assert total == 11_689_512


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.lists(st.integers(1, 4), min_size=1, max_size=3),
       st.booleans(), st.integers(1, 2))
def test_conv_params_equal_the_weight_tensor_sizes(groups_in, groups_out, kernel, bias, groups):
    c_in, c_out = groups_in * groups, groups_out * groups
    weight = np.zeros((c_out, c_in // groups, *kernel))  # PyTorch's weight layout
    expected = weight.size + (c_out if bias else 0)
    options = dict(c_in=c_in, c_out=c_out, K=",".join(map(str, kernel)), groups=groups)
    if len(kernel) == 1:
        options["dims"] = 1  # a single K value is K×K unless --dims says otherwise
    got = count("conv-params", **options, **({} if bias else {"no_bias": True}))
    assert got == expected


def test_one_kernel_value_spans_dims_axes():
    assert count("conv-params", c_in=3, c_out=64, K=3) == 64 * 3 * 3 * 3 + 64  # Conv2d 3x3: 1792
    assert count("conv-params", c_in=3, c_out=64, K=3, dims=3) == 64 * 3 * 27 + 64
    run = run_main(["conv-params", "--c-in", "3", "--c-out", "4", "--K", "3,3", "--dims", "3"])
    assert run.code == 2 and run.err == "dlcalc: error: --dims 3 disagrees with --K 3,3 (2 axes)\n"


def dense_matrix_of_conv(m, n, c, p, q, filters):
    """The matrix of a valid, stride-1 conv layer: one row per output, one column per input;
    an entry is marked where the output reads that input."""
    rows = []
    for f, i, j in itertools.product(range(filters), range(m - p + 1), range(n - q + 1)):
        row = np.zeros((m, n, c), dtype=bool)
        row[i:i + p, j:j + q, :] = True
        rows.append(row.ravel())
    return np.array(rows)


@pytest.mark.parametrize("m, n, c, p, q, filters", [(6, 5, 2, 3, 2, 3), (4, 4, 1, 2, 2, 2), (5, 7, 3, 1, 4, 1)])
def test_fc_and_locally_connected_counts_from_the_dense_matrix(m, n, c, p, q, filters):
    matrix = dense_matrix_of_conv(m, n, c, p, q, filters)
    outputs = matrix.shape[0]
    options = dict(I=f"{m},{n}", c_in=c, K=f"{p},{q}", filters=filters)
    # locally connected: one weight per non-zero entry of the matrix, plus a bias per output
    assert count("locally-connected-params", **options) == int(matrix.sum()) + outputs
    assert count("locally-connected-params", **options, no_bias=True) == int(matrix.sum())
    run = run_main(["param-compare", "--I", f"{m},{n}", "--c-in", str(c), "--K", f"{p},{q}",
                    "--filters", str(filters)])
    # fully connected with the same outputs: every entry of the matrix, plus a bias per output
    assert f"fully-connected={matrix.size + outputs}" in run.out
    assert f"conv={filters * (p * q * c + 1)}" in run.out


def test_sheet_example_of_section_12_11():
    """Catalogue E53/E54: m=n=32, c=3, p=q=5, K=6."""
    run = run_main(["param-compare", "--I", "32,32", "--c-in", "3", "--K", "5", "--filters", "6", "--json"])
    import json

    got = json.loads(run.out)
    assert got["result"] == {"conv": 456, "fully-connected": 14_455_392, "locally-connected": 357_504}
    assert got["sheet"] == {"conv": 456, "fully-connected": 14_966_784, "locally-connected": 365_400}
    assert "E53" in run.err or "E53" in json.dumps(got)


def test_depthwise_and_pointwise_convolutions():
    assert count("conv-params", c_in=32, c_out=32, K=3, groups=32) == 32 * 9 + 32
    assert count("conv-params", c_in=32, c_out=64, K=1) == 32 * 64 + 64


def test_groups_must_divide_the_channels():
    run = run_main(["conv-params", "--c-in", "6", "--c-out", "4", "--K", "3", "--groups", "4"])
    assert run.code == 2
    assert run.err == "dlcalc: error: c-in=6 and c-out=4 must both be divisible by groups=4\n"


def test_locally_connected_kernel_larger_than_input_is_refused():
    run = run_main(["locally-connected-params", "--I", "4,4", "--c-in", "1", "--K", "5", "--filters", "1"])
    assert run.code == 2
    assert run.err == "dlcalc: error: kernel 5×5 is larger than the input 4×4 (valid padding, stride 1)\n"


def test_vgg_stacks_two_3x3_versus_one_5x5():
    """Catalogue CNN-VGG: two 3×3 layers have RF 5 and 18C² weights, one 5×5 has 25C²."""
    channels = 64
    two = 2 * count("conv-params", c_in=channels, c_out=channels, K=3, no_bias=True)
    one = count("conv-params", c_in=channels, c_out=channels, K=5, no_bias=True)
    assert (two, one) == (18 * channels**2, 25 * channels**2)
    assert math.isclose(two / one, 18 / 25)
