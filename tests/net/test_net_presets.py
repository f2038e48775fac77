"""dlcalc net presets against published figures (torchvision's model cards, the papers)."""

from __future__ import annotations

import pytest

from dlcalc.net.network import summarize
from dlcalc.net.presets import PRESETS

# torchvision's published `num_params` (docs.pytorch.org/vision/stable/models.html, each weight's card);
# LeNet-5 ReLU/max-pool variant 61,706 (the issue); U-Net: counted by hand below.
PUBLISHED = {
    "lenet5": 61_706,
    "alexnet": 61_100_840,
    "vgg11": 132_863_336,
    "vgg13": 133_047_848,
    "vgg16": 138_357_544,
    "vgg19": 143_667_240,
    "vgg16-bn": 138_365_992,
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "resnet101": 44_549_160,
    "resnet152": 60_192_808,
    "mobilenet-v2": 3_504_872,
    "densenet121": 7_978_856,
    "vit-b16": 86_567_656,
}

# torchvision's published GFLOPS (which are multiply-adds, to two decimals) at 224×224
PUBLISHED_GMACS = {"alexnet": 0.71, "vgg16": 15.47, "resnet18": 1.81, "resnet50": 4.09, "resnet152": 11.51,
                   "mobilenet-v2": 0.30, "densenet121": 2.83, "vit-b16": 17.56}


def unet_params_by_hand():
    """Ronneberger et al. 2015: double 3×3 convs with bias, 2×2 up-convs halving the channels, 1×1 to 2 classes."""
    def conv(c_in, c_out, k):
        return c_out * c_in * k * k + c_out

    widths = (64, 128, 256, 512, 1024)
    total, c_in = 0, 1
    for width in widths:
        total += conv(c_in, width, 3) + conv(width, width, 3)
        c_in = width
    for width in reversed(widths[:-1]):
        total += conv(2 * width, width, 2)  # the up-conv: ConvTranspose2d(2w, w, 2) has the same count
        total += conv(2 * width, width, 3) + conv(width, width, 3)
    return total + conv(64, 2, 1)


def test_every_preset_is_checked():
    assert set(PUBLISHED) | {"unet", "unet-valid"} == set(PRESETS)


@pytest.mark.parametrize("preset", sorted(PUBLISHED))
def test_preset_parameter_total_is_the_published_one(preset):
    assert summarize("@" + preset).totals()["params"] == PUBLISHED[preset]


@pytest.mark.parametrize("preset", sorted(PUBLISHED_GMACS))
def test_preset_macs_round_to_the_published_gflops(preset):
    assert round(summarize("@" + preset).totals()["macs"] / 1e9, 2) == PUBLISHED_GMACS[preset]


def test_unet_padded_and_valid():
    padded, valid = summarize("@unet"), summarize("@unet-valid")
    assert padded.totals()["params"] == valid.totals()["params"] == unet_params_by_hand() == 31_030_658
    assert padded.input == (1, 256, 256) and padded.rows[-1].out == (2, 256, 256)
    assert valid.input == (1, 572, 572) and valid.rows[-1].out == (2, 388, 388)  # the paper's Figure 1
    # the paper's Figure 1: the bottom of the U is 1024 channels at 28×28 (valid) or 16×16 (padded)
    assert (1024, 28, 28) in [r.out for r in valid.rows] and (1024, 16, 16) in [r.out for r in padded.rows]


def test_output_shapes_and_vit_tokens():
    for preset in PUBLISHED:
        if preset != "lenet5":
            assert summarize("@" + preset).rows[-1].out == (1000,)
    vit = summarize("@vit-b16")
    assert (197, 768) in [r.out for r in vit.rows]  # 14·14 patches + the class token
