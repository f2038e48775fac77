"""dlcalc net against PyTorch itself (skipped where torch is not installed).

The network is built in torch from the parsed spec (tests/net/net_torch.py builds each module from the
tensor that reaches it), then every row's output shape, parameter count and FlopCounterMode forward
FLOPs are compared, and the forward+backward FLOPs of the whole network. Presets run on the meta
device (shapes only, no arithmetic); random specs run on CPU, and where dlcalc refuses a spec torch
must refuse it too.
"""

from __future__ import annotations

import random
import re

import pytest

torch = pytest.importorskip("torch")

from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from dlcalc.core.errors import DlcalcError  # noqa: E402
from dlcalc.net.network import summarize  # noqa: E402
from dlcalc.net.presets import PRESETS  # noqa: E402
from net_torch import build  # noqa: E402

BATCH = 2


def compare_with_torch(text, device="cpu", train=True):
    summary = summarize(text, batch_size=BATCH, train=True)
    model, x = build(text, batch=BATCH, device=device)
    model.train()  # attention as matrix products (see conventions), BatchNorm on batch statistics
    with FlopCounterMode(display=False) as counter:
        model.counter = counter
        y = model(x)
        forward = counter.get_total_flops()
        if train and y.requires_grad:  # a network without parameters has no backward pass
            y.float().sum().backward()
        total = counter.get_total_flops()
    model.counter = None
    assert len(model.trace) == len(summary.rows)
    for got, row in zip(model.trace, summary.rows):
        assert (row.index, row.out, row.params, 2 * BATCH * row.macs) == (row.index, got["out"], got["params"], got["flops"]), row.text
    totals = summary.totals()
    assert totals["params"] == sum(p.numel() for p in model.parameters())
    assert totals["buffers"] == sum(b.numel() for b in model.buffers())
    assert totals["flops"] == forward
    if train:
        assert totals["train_flops"] == total
    return summary


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_preset_matches_torch_row_by_row(preset):
    compare_with_torch("@" + preset, device="meta")


# ---- random specs --------------------------------------------------------------------------

def _choice(rng, *options):
    return rng.choice(options)


def random_image_layer(rng, depth=0):
    kind = rng.randrange(12 if depth < 2 else 9)
    if kind <= 2:
        words = [f"conv {rng.choice((2, 4, 6))} k{rng.randint(1, 4)}"]
        if rng.random() < 0.2:
            words.append("psame")
        else:
            words.append(f"s{rng.randint(1, 3)} p{rng.randint(0, 2)}")
        words += [f"d{rng.randint(1, 2)}"] * (rng.random() < 0.3) + [f"g{rng.choice((1, 2))}"] * (rng.random() < 0.3)
        words += ["nobias"] * (rng.random() < 0.3)
        return " ".join(words)
    if kind == 3:
        return f"{_choice(rng, 'maxpool', 'avgpool')} k{rng.randint(1, 3)} s{rng.randint(1, 3)} p{rng.randint(0, 2)}" + \
            (" ceil" if rng.random() < 0.4 else "")
    if kind == 4:
        return f"tconv {rng.choice((2, 4))} k{rng.randint(1, 3)} s{rng.randint(1, 2)} p{rng.randint(0, 1)}" + \
            (f" op{rng.randint(0, 1)}" if rng.random() < 0.3 else "")
    if kind == 5:
        return _choice(rng, "bn", "relu", "gelu", "gn 2", "identity", "dropout 0.1")
    if kind == 6:
        return f"up {rng.randint(1, 2)}"
    if kind == 7:
        return _choice(rng, "maxpool k2 d2 s1", "avgpool k2", "conv 4 k3x1 p1x0", "conv 2 k2x3 s2x1")
    if kind == 8:
        return "relu*2"
    if kind == 9:
        return f"res[{random_image_layer(rng, depth + 1)}, {random_image_layer(rng, depth + 1)}]"
    if kind == 10:
        return f"res[{random_image_layer(rng, depth + 1)} | conv {rng.choice((2, 4))} k1]"
    return f"cat[{random_image_layer(rng, depth + 1)} | {random_image_layer(rng, depth + 1)}]"


def random_image_spec(rng):
    rank = rng.choice((1, 2, 2, 2, 3))
    shape = [rng.choice((2, 4))] + [rng.randint(3, 12) for _ in range(rank)]
    layers = [random_image_layer(rng) for _ in range(rng.randint(1, 5))]
    if rng.random() < 0.5:
        layers += [_choice(rng, "gap", "flatten", "adaptiveavg 2"), "flatten", f"fc {rng.randint(1, 5)}"]
    return f"in {'x'.join(map(str, shape))}, " + ", ".join(layers)


def random_sequence_spec(rng):
    dim = rng.choice((4, 6, 8))
    layers = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(7)
        if kind == 0:
            dim = rng.choice((4, 6, 8))
            layers.append(f"fc {dim}" + (" nobias" if rng.random() < 0.3 else ""))
        elif kind in (1, 2):
            op = _choice(rng, "lstm", "gru", "rnn")
            hidden = rng.randint(2, 6)
            words = [f"{op} {hidden}", f"L{rng.randint(1, 2)}"]
            bi = rng.random() < 0.5
            words += ["bi"] * bi + ["nobias"] * (rng.random() < 0.2)
            out = hidden
            if op == "lstm" and rng.random() < 0.4:
                out = rng.randint(1, hidden - 1) if hidden > 1 else 0
                words.append(f"proj{out}" if out else "")
            layers.append(" ".join(w for w in words if w))
            dim = out * (1 + bi) if out else hidden * (1 + bi)
            if dim % 2:
                layers.append("fc 4")
                dim = 4
        elif kind == 3:
            layers.append(f"mha {_choice(rng, 1, 2)}" + (" nobias" if rng.random() < 0.3 else ""))
        elif kind == 4:
            layers.append(f"tblock {_choice(rng, 1, 2)} ff{rng.randint(3, 9)}" + (" pre" if rng.random() < 0.5 else ""))
        elif kind == 5:
            layers.append(_choice(rng, "ln", "rms", "gelu", "softmax", "dropout 0.0"))
        else:
            layers.append(f"res[fc {dim}, relu]")
    return f"in {rng.randint(1, 6)}x{rng.choice((4, 6, 8))}, " + ", ".join(layers)


def agree_or_both_refuse(text):
    try:
        summarize(text)
    except DlcalcError as err:
        with pytest.raises(Exception):  # noqa: B017 - torch's refusals are RuntimeError or ValueError
            build(text, batch=BATCH)
        return err.message
    compare_with_torch(text)
    return None


@pytest.mark.parametrize("seed", range(12))
def test_random_image_specs_match_torch(seed):
    rng = random.Random(seed)
    outcomes = [agree_or_both_refuse(random_image_spec(rng)) for _ in range(15)]
    assert outcomes.count(None) >= 3  # most seeds give several valid networks


@pytest.mark.parametrize("seed", range(6))
def test_random_sequence_specs_match_torch(seed):
    rng = random.Random(seed)
    for _ in range(8):
        agree_or_both_refuse(random_sequence_spec(rng))


@pytest.mark.parametrize("text", [
    "in 3x224x224, conv 64 k7 s2 p3 nobias, bn, relu, maxpool k3 s2 p2",
    "in 6x8x8, conv 4 k3 g4",
    "in 3x8x8, conv 4 k3 s2 psame",
    "in 3x4x4, conv 4 k7",
    "in 3x4x4, tconv 4 k3 s2 op2",
    "in 10x8, lstm 8 proj8",
    "in 10x64, mha 5",
    "in 6x4x4, gn 4",
    "in 64x56x56, res[conv 128 k3 s2 p1 nobias, bn]",
])
def test_what_dlcalc_refuses_torch_refuses(text):
    with pytest.raises(DlcalcError):
        summarize(text)
    with pytest.raises(Exception):  # noqa: B017
        build(text, batch=BATCH)


def test_specs_with_every_construct_match_torch():
    for text in [
        "in 8x32x32, save a, conv 8 k3 p1, add a, save b, maxpool k2, up 2, cat b, conv 4 k3 psame",
        "in 4x20x20, save s, conv 4 k3, conv 4 k3, cat s crop, conv 2 k1",
        "in 3x16x12x12, conv 4 k3 p1 s2, bn, relu, maxpool k2, gap, flatten, fc 3",
        "in 16x100, conv 8 k5 d2, bn, avgpool k3 s2 ceil, adaptiveavg 6, flatten, fc 10",
        "in 8x10x10, tconv 4 k3 s2 p1 op1 g2, gn 2, rms, ln, silu, tanh, sigmoid, softmax",
        "in 12, embed 50 16, lstm 8 L2 bi proj4, fc 16, mha 4, tblock 2 ff32, tblock 4 pre gelu, ln, first, fc 3",
        "in 4x8x8, tokens, cls, pos, tblock 2 ff8 pre, first, fc 2",
        "in 5x7, lstm 6 L4 bi proj4, gru 5 L3, rnn 3 L3 bi nobias, fc 2",  # stacked layers past the second
        "in 64x13x13, cat[identity | maxpool k5 s1 p2 | maxpool k9 s1 p4], res[conv 192 k1 nobias, bn | identity]",
    ]:
        compare_with_torch(text)


# ---- where FlopCounterMode itself sees no products (stated in the conventions) -----------

def test_flop_counter_sees_nothing_in_cpu_lstm_but_the_products_without_onednn():
    lstm, x = torch.nn.LSTM(12, 7, batch_first=True), torch.randn(BATCH, 5, 12)
    with FlopCounterMode(display=False) as counter:
        lstm(x)
    assert counter.get_total_flops() == 0  # the oneDNN kernel: one fused op FlopCounterMode has no formula for
    with torch.backends.mkldnn.flags(enabled=False), FlopCounterMode(display=False) as counter:
        lstm(x)
    assert counter.get_total_flops() == 2 * BATCH * summarize("in 5x12, lstm 7").totals()["macs"]


def test_flop_counter_misses_the_fused_attention_core():
    attention, x = torch.nn.MultiheadAttention(12, 3, batch_first=True), torch.randn(BATCH, 5, 12)
    with FlopCounterMode(display=False) as counter:
        attention(x, x, x, need_weights=False)
    projections = 2 * BATCH * 4 * 5 * 12 * 12
    assert counter.get_total_flops() == projections  # Q·Kᵀ and A·V ran in the fused kernel, uncounted
    assert summarize("in 5x12, mha 3", batch_size=BATCH).totals()["flops"] == projections + 2 * BATCH * 2 * 25 * 12


# ---- receptive field: a gradient trace -----------------------------------------------------

def resnet_trunk(preset):
    """The preset without its head, with one channel everywhere (the field does not depend on widths) and
    average instead of max pooling (max pooling routes the gradient to one input per window)."""
    text = PRESETS[preset].replace("\ngap, flatten, fc 1000", "")
    return re.sub(r"conv \d+", "conv 1", text).replace("maxpool", "avgpool")


@pytest.mark.parametrize("preset", ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"])
def test_resnet_receptive_field_against_a_gradient_trace(preset):
    trunk = resnet_trunk(preset)
    r, j, start = summarize(trunk).rows[-1].rf[0]
    unit = -(start // j) + 1  # an output unit whose field lies inside the input
    size = ((start + unit * j + r + 8) // 32 + 1) * 32
    width = 32  # the trace runs along the height; the width only has to survive the strides
    assert summarize(trunk, input_shape=f"3x{size}x{size}").rows[-1].rf == ((r, j, start),) * 2
    model, _ = build(trunk, batch=1, input_shape=(3, size, width))
    model = model.double().eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.fill_(1.0 / parameter[0].numel() if parameter.dim() > 1 else 0.0)
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.fill_(1.0)
    x = torch.ones(1, 3, size, width, dtype=torch.float64, requires_grad=True)
    model(x)[0, :, unit, 0].sum().backward()
    hits = torch.nonzero(x.grad[0].abs().sum(dim=(0, 2))).flatten()
    assert (int(hits.min()) - unit * j, int(hits.max()) - int(hits.min()) + 1) == (start, r)


# ---- --convention torchinfo against torchinfo itself ---------------------------------------

@pytest.mark.parametrize("text", ["@lenet5", "@resnet18", "@mobilenet-v2", "@vit-b16", "in 10x32, lstm 16 L2 bi, fc 8",
                                  "in 10x32, gru 16, mha 4, tblock 4 ff64", "in 12, embed 50 16, ln, rms, fc 4",
                                  "in 8x10x10, tconv 4 k3 s2 p1 op1 g2, gn 2, up 2, conv 3 k3"])
def test_torchinfo_convention_reproduces_torchinfo(text):
    torchinfo = pytest.importorskip("torchinfo")
    model, x = build(text, batch=BATCH)
    stats = torchinfo.summary(model.eval(), input_data=x, verbose=0, depth=10)
    totals = summarize(text, batch_size=BATCH, convention="torchinfo").totals()
    assert totals["macs"] == stats.total_mult_adds
    assert totals["params"] == stats.total_params
    assert totals["param_bytes"] == stats.total_param_bytes
    assert totals["activation_bytes"] == stats.total_output_bytes
    assert 0 <= stats.total_input - totals["input_bytes"] <= 128  # torchinfo adds sys.getsizeof's object overhead
