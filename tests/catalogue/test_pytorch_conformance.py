"""Output sizes against PyTorch itself, where PyTorch is installed (it is not a dependency).

Run with PyTorch available: `pip install torch && pytest tests/catalogue/test_pytorch_conformance.py`.
Without it this module is skipped; the brute-force tests in test_cnn_sizes.py always run.
"""

from __future__ import annotations

import itertools
import warnings

import pytest

from dlcalc.core import registry
from dlcalc.core.errors import DlcalcError
from dlcalc.core.evaluate import evaluate

torch = pytest.importorskip("torch")
F = torch.nn.functional

REFUSED = "refused"


def ours(name, **options):
    try:
        return evaluate(registry.get(name), {k.replace("_", "-"): str(v) for k, v in options.items()}).value
    except DlcalcError:
        return REFUSED


def theirs(function, *args, **kwargs):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function(*args, **kwargs).shape[-1]
    except (RuntimeError, ValueError):
        return REFUSED


CONFIGS = list(itertools.product(range(1, 13), range(1, 6), range(1, 4), range(1, 3)))  # I, K, S, d


def test_conv_out_equals_conv1d():
    for (size, kernel, stride, dilation), padding in itertools.product(CONFIGS, [0, 1, 2, 3, "same", "valid"]):
        expected = theirs(F.conv1d, torch.zeros(1, 1, size), torch.zeros(1, 1, kernel),
                          stride=stride, padding=padding, dilation=dilation)
        assert ours("conv-out", I=size, K=kernel, S=stride, P=padding, d=dilation) == expected


def test_convtranspose_out_equals_conv_transpose1d():
    for (size, kernel, stride, dilation), padding, extra in itertools.product(CONFIGS, range(4), range(3)):
        expected = theirs(F.conv_transpose1d, torch.zeros(1, 1, size), torch.zeros(1, 1, kernel), stride=stride,
                          padding=padding, dilation=dilation, output_padding=extra)
        got = ours("convtranspose-out", I=size, K=kernel, S=stride, P=padding, d=dilation, output_padding=extra)
        assert got == expected


def test_pool_out_equals_max_and_avg_pool1d():
    for (size, kernel, stride, dilation), padding, ceil in itertools.product(CONFIGS, range(4), (False, True)):
        options = dict(I=size, K=kernel, S=stride, P=padding, d=dilation)
        got = ours("pool-out", **options, **({"ceil_mode": "true"} if ceil else {}))
        x = torch.zeros(1, 1, size)
        assert got == theirs(F.max_pool1d, x, kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil)
        if dilation == 1:  # AvgPool has no dilation
            assert got == theirs(F.avg_pool1d, x, kernel, stride=stride, padding=padding, ceil_mode=ceil)


def test_two_dimensional_sizes_equal_conv2d():
    for (h, w), kernel, stride in itertools.product([(7, 9), (32, 17)], [(3, 5), (1, 2)], [(1, 2), (2, 3)]):
        expected = list(F.conv2d(torch.zeros(1, 1, h, w), torch.zeros(1, 1, *kernel), stride=stride).shape[-2:])
        got = ours("conv-out", I=f"{h},{w}", K=",".join(map(str, kernel)), S=",".join(map(str, stride)))
        assert got == expected
