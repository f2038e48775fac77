"""Test-side builder: the network of a parsed spec, built in PyTorch from the spec's own words.

Each layer becomes the torch module the spec language names, constructed from the *actual* tensor that
reaches it (so the channels, features and shapes come from torch, not from dlcalc). Running it records,
per row in dlcalc's order (layers, then the merge of res/cat), the output shape, the module's parameter
count and FlopCounterMode's forward FLOPs.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from dlcalc.net.network import load_spec

torch.set_num_threads(1)  # tiny tensors: threads only cost time on a shared machine
from dlcalc.net.spec import Group, Layer, Ref, Save

_ACTIVATIONS = {"relu": nn.ReLU, "relu6": nn.ReLU6, "gelu": nn.GELU, "silu": nn.SiLU, "sigmoid": nn.Sigmoid,
                "tanh": nn.Tanh, "identity": nn.Identity}


class SelfAttention(nn.Module):
    def __init__(self, dim, heads, bias):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, bias=bias, batch_first=True)

    def forward(self, x):
        return self.attn(x, x, x, need_weights=True)[0]  # the products run as bmm: FlopCounterMode sees them


class Recurrent(nn.Module):
    def __init__(self, module):
        super().__init__()
        self.rnn = module

    def forward(self, x):
        # oneDNN's fused CPU LSTM is invisible to FlopCounterMode; the reference kernel runs the products
        with torch.backends.mkldnn.flags(enabled=False):
            return self.rnn(x)[0]


class ClassToken(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.token = nn.Parameter(torch.zeros(1, 1, dim))

    def forward(self, x):
        return torch.cat([self.token.expand(x.shape[0], -1, -1), x], dim=1)


class Positions(nn.Module):
    def __init__(self, steps, dim):
        super().__init__()
        self.table = nn.Parameter(torch.zeros(1, steps, dim))

    def forward(self, x):
        return x + self.table


class Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def _axes(value):
    """A spec value as torch takes it: one number for all axes, or a tuple with one per axis."""
    if isinstance(value, tuple):
        return value[0] if len(value) == 1 else value
    return value


def make_module(layer: Layer, x: torch.Tensor) -> nn.Module:
    op, o = layer.op, dict(layer.options)
    bias = "nobias" not in layer.flags
    n = x.dim() - 2  # spatial axes
    if op == "conv":
        padding = o.get("p", 0)
        padding = padding if isinstance(padding, str) else _axes(padding)
        cls = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[n - 1]
        return cls(x.shape[1], layer.args[0], _axes(o["k"]), stride=_axes(o.get("s", 1)), padding=padding,
                   dilation=_axes(o.get("d", 1)), groups=o.get("g", 1), bias=bias)
    if op == "tconv":
        cls = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)[n - 1]
        return cls(x.shape[1], layer.args[0], _axes(o["k"]), stride=_axes(o.get("s", 1)), padding=_axes(o.get("p", 0)),
                   output_padding=_axes(o.get("op", 0)), dilation=_axes(o.get("d", 1)), groups=o.get("g", 1), bias=bias)
    if op == "maxpool":
        cls = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)[n - 1]
        return cls(_axes(o["k"]), stride=_axes(o.get("s")), padding=_axes(o.get("p", 0)), dilation=_axes(o.get("d", 1)),
                   ceil_mode="ceil" in layer.flags)
    if op == "avgpool":
        cls = (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)[n - 1]
        return cls(_axes(o["k"]), stride=_axes(o.get("s")), padding=_axes(o.get("p", 0)), ceil_mode="ceil" in layer.flags)
    if op in ("gap", "adaptiveavg"):
        cls = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)[n - 1]
        size = 1 if op == "gap" else layer.args[0]
        return cls(size if isinstance(size, int) else (size * n if len(size) == 1 else size))
    if op == "flatten":
        return nn.Flatten()
    if op == "up":
        scale = layer.args[0]
        return nn.Upsample(scale_factor=float(scale[0]) if len(scale) == 1 else tuple(map(float, scale)), mode="nearest")
    if op == "bn":
        return (nn.BatchNorm1d, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)[x.dim() - 2](x.shape[1])
    if op == "ln":
        return nn.LayerNorm(x.shape[-1])
    if op == "gn":
        return nn.GroupNorm(layer.args[0], x.shape[1])
    if op == "rms":
        return nn.RMSNorm(x.shape[-1])
    if op in _ACTIVATIONS:
        return _ACTIVATIONS[op]()
    if op == "softmax":
        return nn.Softmax(dim=-1)
    if op == "dropout":
        return nn.Dropout(float(layer.args[0]) if layer.args else 0.5)
    if op == "fc":
        return nn.Linear(x.shape[-1], layer.args[0], bias=bias)
    if op == "embed":
        return nn.Embedding(*layer.args)
    if op in ("lstm", "gru", "rnn"):
        cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[op]
        extra = {"proj_size": o["proj"]} if o.get("proj") else {}
        return Recurrent(cls(x.shape[-1], layer.args[0], num_layers=o.get("l", 1), bias=bias, batch_first=True,
                             bidirectional="bi" in layer.flags, **extra))
    if op == "mha":
        return SelfAttention(x.shape[-1], layer.args[0], bias)
    if op == "tblock":
        dim = x.shape[-1]
        return nn.TransformerEncoderLayer(dim, layer.args[0], dim_feedforward=o.get("ff", 4 * dim), batch_first=True,
                                          norm_first="pre" in layer.flags,
                                          activation="gelu" if "gelu" in layer.flags else "relu")
    if op == "tokens":
        return Lambda(lambda t: t.flatten(2).transpose(1, 2))
    if op == "cls":
        return ClassToken(x.shape[-1])
    if op == "pos":
        return Positions(x.shape[1], x.shape[2])
    if op == "first":
        return Lambda(lambda t: t[:, 0])
    raise AssertionError(f"no torch module for {op}")


def _centre_crop(saved, like):
    slices = [slice(None), slice(None)]
    for big, small in zip(saved.shape[2:], like.shape[2:]):
        start = (big - small) // 2
        slices.append(slice(start, start + small))
    return saved[tuple(slices)]


class SpecNet(nn.Module):
    """Runs the spec tree; modules are created on the first call, from the tensors that reach them."""

    def __init__(self, items):
        super().__init__()
        self.items = items
        self.layers = nn.ModuleList()
        self.counter = None

    def forward(self, x):
        self.next, self.saved, self.trace = 0, {}, []
        return self._items(self.items, x)

    def _flops(self):
        return self.counter.get_total_flops() if self.counter is not None else 0

    def _record(self, y, params=0, flops=0):
        self.trace.append({"out": tuple(y.shape[1:]), "params": params, "flops": flops})
        return y

    def _items(self, items, x):
        for item in items:
            x = self._item(item, x)
        return x

    def _item(self, item, x):
        if isinstance(item, Layer):
            if self.next == len(self.layers):
                with torch.device(x.device):
                    self.layers.append(make_module(item, x))
            module = self.layers[self.next]
            self.next += 1
            before = self._flops()
            y = module(x)
            return self._record(y, sum(p.numel() for p in module.parameters()), self._flops() - before)
        if isinstance(item, Save):
            self.saved[item.name] = x
            return x
        if isinstance(item, Ref):
            saved = self.saved[item.name]
            if item.crop:
                saved = _centre_crop(saved, x)
            return self._record(x + saved if item.kind == "add" else torch.cat([x, saved], dim=1))
        assert isinstance(item, Group)
        outs = [self._items(branch, x) for branch in item.branches]
        if item.kind == "seq":
            return outs[0]
        if item.kind == "res":
            return self._record(outs[0] + (outs[1] if len(outs) == 2 else x))
        return self._record(torch.cat(outs, dim=1))


def build(text: str, batch: int = 2, device: str = "cpu", input_shape=None):
    """(model, example input) for a spec; the model is built by one forward pass."""
    spec = load_spec(text)
    shape = input_shape or spec.input
    first = spec.items[0]
    if isinstance(first, Layer) and first.op == "embed":
        x = torch.randint(0, first.args[0], (batch, *shape), device=device)
    else:
        x = torch.randn(batch, *shape, device=device)
    model = SpecNet(spec.items)
    model(x)
    return model, x
