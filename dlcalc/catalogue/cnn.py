"""Convolutional networks: parameters of classic CNNs by component (sheet §12.10.1)."""

from __future__ import annotations

from dlcalc.catalogue._cnn_rules import conv_params, fc_params
from dlcalc.catalogue._cnn_rules import parse_layers, receptive_field_axis  # noqa: F401  generative's import, until it
# imports them from _cnn_rules (its owner's change); delete then
from dlcalc.core.registry import Param, choice, formula
from dlcalc.core.result import Result, Table


# ---- whole networks --------------------------------------------------------------------------
# Layer lists of the torchvision implementations; their published totals are the tests' reference.

_VGG_WIDTHS = {
    "vgg11": (64, 128, 256, 256, 512, 512, 512, 512),
    "vgg16": (64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512),
    "vgg19": (64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512),
}
_RESNET_BLOCKS = {"resnet18": ("basic", (2, 2, 2, 2)), "resnet34": ("basic", (3, 4, 6, 3)),
                  "resnet50": ("bottleneck", (3, 4, 6, 3))}
CNN_PRESETS = ("alexnet", *_VGG_WIDTHS, *_RESNET_BLOCKS)


def _conv(c_in, c_out, k, bias=True):
    return conv_params(c_in, c_out, (k,), 2, 1, not bias)


def _batchnorm(channels):
    return 2 * channels  # scale and shift; running statistics are buffers, not parameters


def _classifier(features):
    return fc_params(features, 4096, False) + fc_params(4096, 4096, False) + fc_params(4096, 1000, False)


def _alexnet():
    convs = [(3, 64, 11), (64, 192, 5), (192, 384, 3), (384, 256, 3), (256, 256, 3)]
    return {"conv": sum(_conv(*c) for c in convs), "fc": _classifier(256 * 6 * 6)}


def _vgg(widths):
    c_in, conv = 3, 0
    for width in widths:
        conv, c_in = conv + _conv(c_in, width, 3), width
    return {"conv": conv, "fc": _classifier(512 * 7 * 7)}


def _resnet_block(kind, c_in, width, stride):
    """(conv, batchnorm, output channels) of one residual block, with its projection shortcut."""
    if kind == "basic":
        layers, c_out = [(c_in, width, 3), (width, width, 3)], width
    else:  # bottleneck: 1×1 down, 3×3, 1×1 up by 4
        layers, c_out = [(c_in, width, 1), (width, width, 3), (width, 4 * width, 1)], 4 * width
    if stride != 1 or c_in != c_out:
        layers.append((c_in, c_out, 1))
    conv = sum(_conv(a, b, k, bias=False) for a, b, k in layers)
    return conv, sum(_batchnorm(b) for _, b, _ in layers), c_out


def _resnet(kind, blocks):
    conv, bn, c_in = _conv(3, 64, 7, bias=False), _batchnorm(64), 64
    for stage, (count, width) in enumerate(zip(blocks, (64, 128, 256, 512))):
        for block in range(count):
            stride = 2 if stage > 0 and block == 0 else 1
            block_conv, block_bn, c_in = _resnet_block(kind, c_in, width, stride)
            conv, bn = conv + block_conv, bn + block_bn
    return {"conv": conv, "batchnorm": bn, "fc": fc_params(c_in, 1000, False)}


def cnn_components(preset):
    if preset == "alexnet":
        return _alexnet()
    if preset in _VGG_WIDTHS:
        return _vgg(_VGG_WIDTHS[preset])
    return _resnet(*_RESNET_BLOCKS[preset])


def cnn_model_params(preset):
    components = cnn_components(preset)
    total = sum(components.values())
    table = Table(
        columns=["component", "parameters", "share"],
        rows=[[name, f"{count:,}", f"{100 * count / total:.1f} %"] for name, count in components.items()],
        title=f"{preset} (torchvision, 1000 classes)",
    )
    return Result(value=total, table=table,
                  extra={"total": total, "components": components})


formula(
    name="cnn-model-params",
    section="12.10.1",
    catalogue_id="CNN-FC-SHARE",
    summary="Parameters of classic CNNs (AlexNet, VGG, ResNet) by component, as in torchvision",
    params=(Param("preset", choice(*CNN_PRESETS), "the network: " + ", ".join(CNN_PRESETS), positional=True),),
    formula="Σ conv c_out(c_in·K² + 1) + Σ batchnorm 2C + Σ fc (n_in + 1)n_out",
    latex=r"N = \sum_{\mathrm{conv}} C_{\mathrm{out}}(C_{\mathrm{in}}K^2 + 1) + \sum_{\mathrm{fc}} (n_{\mathrm{in}}+1)n_{\mathrm{out}}",
    compute=cnn_model_params,
    examples=(
        ("vgg16", "138357544", "89.4 % of it in the fully connected layers"),
        ("resnet18", "11689512"),
    ),
)
