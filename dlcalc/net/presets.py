"""Preset networks as spec text (``dlcalc net @resnet50 --expand`` shows them written out).

Each follows the torchvision implementation (or the paper, for LeNet-5 and U-Net); the tests compare
their parameter totals with the published figures and build them in torch.
"""

from __future__ import annotations

from dlcalc.core.errors import DlcalcError

# LeNet-5, the common ReLU / max-pool variant on 32×32 inputs (61,706 parameters)
LENET5 = """in 1x32x32
conv 6 k5, relu, maxpool k2
conv 16 k5, relu, maxpool k2
flatten, fc 120, relu, fc 84, relu, fc 10"""

# torchvision.models.alexnet
ALEXNET = """in 3x224x224
conv 64 k11 s4 p2, relu, maxpool k3 s2
conv 192 k5 p2, relu, maxpool k3 s2
conv 384 k3 p1, relu, conv 256 k3 p1, relu, conv 256 k3 p1, relu, maxpool k3 s2
adaptiveavg 6x6, flatten
dropout 0.5, fc 4096, relu, dropout 0.5, fc 4096, relu, fc 1000"""

_VGG_CONFIGS = {  # torchvision's cfgs: widths per stage, each stage ends with a 2×2 max-pool
    "vgg11": ((64, 1), (128, 1), (256, 2), (512, 2), (512, 2)),
    "vgg13": ((64, 2), (128, 2), (256, 2), (512, 2), (512, 2)),
    "vgg16": ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)),
    "vgg19": ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4)),
}

_VGG_HEAD = "adaptiveavg 7x7, flatten\nfc 4096, relu, dropout 0.5, fc 4096, relu, dropout 0.5, fc 1000"


def _vgg(stages, batch_norm: bool) -> str:
    unit = "conv {w} k3 p1, bn, relu" if batch_norm else "conv {w} k3 p1, relu"
    lines = ["in 3x224x224"]
    for width, count in stages:
        conv = unit.format(w=width)
        lines.append((f"[{conv}]*{count}" if count > 1 else conv) + ", maxpool k2")
    return "\n".join(lines + [_VGG_HEAD])


# torchvision.models.resnet: (block, blocks per stage); the stride sits on the 3×3 conv (ResNet v1.5)
_RESNETS = {
    "resnet18": ("basic", (2, 2, 2, 2)), "resnet34": ("basic", (3, 4, 6, 3)),
    "resnet50": ("bottleneck", (3, 4, 6, 3)), "resnet101": ("bottleneck", (3, 4, 23, 3)),
    "resnet152": ("bottleneck", (3, 8, 36, 3)),
}


def _resnet_body(width: int, stride: int, kind: str) -> tuple[str, int]:
    s = f" s{stride}" if stride > 1 else ""
    if kind == "basic":
        return f"conv {width} k3{s} p1 nobias, bn, relu, conv {width} k3 p1 nobias, bn", width
    return (f"conv {width} k1 nobias, bn, relu, conv {width} k3{s} p1 nobias, bn, relu, "
            f"conv {4 * width} k1 nobias, bn"), 4 * width


def _resnet(kind: str, blocks) -> str:
    lines = ["in 3x224x224", "conv 64 k7 s2 p3 nobias, bn, relu, maxpool k3 s2 p1"]
    channels = 64
    for stage, (count, width) in enumerate(zip(blocks, (64, 128, 256, 512))):
        stride = 1 if stage == 0 else 2
        body, out = _resnet_body(width, stride, kind)
        if stride > 1 or out != channels:
            s = f" s{stride}" if stride > 1 else ""
            lines.append(f"[res[{body} | conv {out} k1{s} nobias, bn], relu]")
        else:
            lines.append(f"[res[{body}], relu]")
        if count > 1:
            lines.append(f"[res[{_resnet_body(width, 1, kind)[0]}], relu]*{count - 1}")
        channels = out
    return "\n".join(lines + ["gap, flatten, fc 1000"])


# torchvision.models.mobilenet_v2: (expansion t, channels c, repeats n, first stride s)
_MOBILENET_V2 = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                 (6, 320, 1, 1))


def _inverted_residual(c_in: int, c_out: int, t: int, stride: int) -> str:
    hidden = c_in * t
    expand = f"conv {hidden} k1 nobias, bn, relu6, " if t != 1 else ""
    s = f" s{stride}" if stride > 1 else ""
    body = f"{expand}conv {hidden} k3{s} p1 g{hidden} nobias, bn, relu6, conv {c_out} k1 nobias, bn"
    return f"res[{body}]" if stride == 1 and c_in == c_out else f"[{body}]"


def _mobilenet_v2() -> str:
    lines = ["in 3x224x224", "conv 32 k3 s2 p1 nobias, bn, relu6"]
    channels = 32
    for t, c, n, s in _MOBILENET_V2:
        lines.append(_inverted_residual(channels, c, t, s))
        if n > 1:
            lines.append(f"{_inverted_residual(c, c, t, 1)}*{n - 1}")
        channels = c
    return "\n".join(lines + ["conv 1280 k1 nobias, bn, relu6", "gap, flatten, dropout 0.2, fc 1000"])


def _densenet121() -> str:
    """torchvision.models.densenet121: growth 32, blocks (6, 12, 24, 16), bottleneck 4·32, compression 0.5."""
    growth, channels = 32, 64
    lines = ["in 3x224x224", "conv 64 k7 s2 p3 nobias, bn, relu, maxpool k3 s2 p1"]
    for index, count in enumerate((6, 12, 24, 16)):
        layer = f"cat[identity | bn, relu, conv {4 * growth} k1 nobias, bn, relu, conv {growth} k3 p1 nobias]"
        lines.append(f"{layer}*{count}")
        channels += count * growth
        if index < 3:
            channels //= 2
            lines.append(f"bn, relu, conv {channels} k1 nobias, avgpool k2 s2")
    return "\n".join(lines + ["bn, relu, gap, flatten, fc 1000"])


# U-Net (Ronneberger et al. 2015): 1 input channel, 2 classes; `unet` pads its 3×3 convs, `unet-valid`
# keeps the paper's unpadded convs and centre-crops the skips (572 -> 388)
def _unet(padded: bool) -> str:
    pad, crop = (" p1", "") if padded else ("", " crop")
    double = "conv {c} k3" + pad + ", relu, conv {c} k3" + pad + ", relu"
    lines = ["in 1x256x256" if padded else "in 1x572x572"]
    for level, width in enumerate((64, 128, 256, 512)):
        lines.append(f"{double.format(c=width)}, save e{level + 1}, maxpool k2")
    lines.append(double.format(c=1024))
    for level, width in zip((4, 3, 2, 1), (512, 256, 128, 64)):
        lines.append(f"tconv {width} k2 s2, cat e{level}{crop}, {double.format(c=width)}")
    return "\n".join(lines + ["conv 2 k1"])


# torchvision.models.vit_b_16: 16×16 patches, class token, learned positions, 12 pre-norm blocks
VIT_B16 = """in 3x224x224
conv 768 k16 s16, tokens, cls, pos, dropout 0.0
tblock 12 ff3072 pre gelu*12
ln, first, fc 1000"""

PRESETS = {
    "lenet5": LENET5,
    "alexnet": ALEXNET,
    **{name: _vgg(stages, False) for name, stages in _VGG_CONFIGS.items()},
    "vgg16-bn": _vgg(_VGG_CONFIGS["vgg16"], True),
    **{name: _resnet(kind, blocks) for name, (kind, blocks) in _RESNETS.items()},
    "mobilenet-v2": _mobilenet_v2(),
    "densenet121": _densenet121(),
    "unet": _unet(True),
    "unet-valid": _unet(False),
    "vit-b16": VIT_B16,
}


def preset_text(name: str) -> str:
    from dlcalc.net.spec import closest, excerpt

    text = PRESETS.get(name.lower())
    if text is None:
        raise DlcalcError(f"no preset named {excerpt(name, 30)!r} (presets: {', '.join(PRESETS)})"
                          + closest(name, PRESETS))
    return text
