"""Parameter counts of whole networks (cnn-model-params) against published totals."""

from __future__ import annotations

import pytest

from conftest import run_main


# torchvision's published parameter counts (the `num_params` of each model's weights)
@pytest.mark.parametrize("preset, published", [
    ("alexnet", 61_100_840), ("vgg11", 132_863_336), ("vgg16", 138_357_544), ("vgg19", 143_667_240),
    ("resnet18", 11_689_512), ("resnet34", 21_797_672), ("resnet50", 25_557_032),
])
def test_cnn_presets_match_published_totals(preset, published):
    import json

    got = json.loads(run_main(["cnn-model-params", preset, "--json"]).out)
    assert got["result"] == got["total"] == published
    assert sum(got["components"].values()) == published


def test_vgg16_fully_connected_share():
    import json

    got = json.loads(run_main(["cnn-model-params", "vgg16", "--json"]).out)
    assert got["components"]["fc"] == 123_642_856  # catalogue CNN-FC-SHARE: 89.4 %
    assert round(100 * got["components"]["fc"] / got["total"], 1) == 89.4
