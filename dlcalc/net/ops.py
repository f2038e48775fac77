"""The layers of the spec language: their options, PyTorch's shape rules and refusals, and counts.

Each operation maps to one PyTorch module and reads the shape (without batch) as that module does.
``apply(layer, shape)`` returns the output shape and the counts of one sample:
- params, buffers: as ``module.parameters()`` / ``module.buffers()``;
- macs: the multiply-adds of the matrix products FlopCounterMode sees in the forward pass;
- bwd_always / bwd_if_grad: the multiply-adds of the backward products, those always computed
  (weight gradients, inner products whose inputs depend on weights) and those computed only when
  the layer's input requires a gradient (the input gradient of the first parametrised layer);
- torchinfo_macs: torchinfo's count (parameters × output positions, see conventions);
- rf: ('keep' | None | per-axis (kernel, stride, dilation, padding before)) for the receptive field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from math import prod

from dlcalc.core.errors import DlcalcError
from dlcalc.net.spec import Layer, closest, excerpt, parse_int

# ---- declarations --------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    name: str
    positional: tuple = ()  # (name, kind, required)
    options: tuple = ()  # (name, kind, default)
    flags: tuple = ()
    summary: str = ""


_CONV_OPTS = (("k", "axes", None), ("s", "axes", (1,)), ("p", "pad", (0,)), ("d", "axes", (1,)), ("g", "int", 1))
_RNN = (("H", "int", True),)
_POINTWISE = ("relu", "relu6", "gelu", "silu", "sigmoid", "tanh", "softmax", "identity")

OPS = {op.name: op for op in (
    Op("conv", (("C", "int", True),), _CONV_OPTS, ("nobias",), "Conv1d/2d/3d"),
    Op("tconv", (("C", "int", True),), _CONV_OPTS[:2] + (("p", "axes", (0,)), ("op", "axes", (0,))) + _CONV_OPTS[3:],
       ("nobias",), "ConvTranspose1d/2d/3d"),
    Op("maxpool", (), (("k", "axes", None), ("s", "axes", None), ("p", "axes", (0,)), ("d", "axes", (1,))),
       ("ceil",), "MaxPool1d/2d/3d"),
    Op("avgpool", (), (("k", "axes", None), ("s", "axes", None), ("p", "axes", (0,))), ("ceil",), "AvgPool1d/2d/3d"),
    Op("gap", summary="AdaptiveAvgPool to 1 per spatial axis"),
    Op("adaptiveavg", (("S", "axes", True),), summary="AdaptiveAvgPool to S"),
    Op("flatten", summary="Flatten(start_dim=1)"),
    Op("up", (("S", "axes", True),), summary="Upsample(scale_factor=S, mode='nearest')"),
    Op("bn", summary="BatchNorm1d/2d/3d"),
    Op("ln", summary="LayerNorm over the last dim"),
    Op("gn", (("G", "int", True),), summary="GroupNorm(G, C)"),
    Op("rms", summary="RMSNorm over the last dim"),
    *(Op(name, summary=name) for name in _POINTWISE),
    Op("dropout", (("P", "prob", False),), summary="Dropout(P)"),
    Op("fc", (("N", "int", True),), (), ("nobias",), "Linear on the last dim"),
    Op("embed", (("V", "int", True), ("D", "int", True)), summary="Embedding(V, D)"),
    Op("lstm", _RNN, (("l", "int", 1), ("proj", "int", 0)), ("bi", "nobias"), "LSTM(batch_first=True)"),
    Op("gru", _RNN, (("l", "int", 1),), ("bi", "nobias"), "GRU(batch_first=True)"),
    Op("rnn", _RNN, (("l", "int", 1),), ("bi", "nobias"), "RNN(batch_first=True)"),
    Op("mha", (("H", "int", True),), (), ("nobias",), "MultiheadAttention self-attention"),
    Op("tblock", (("H", "int", True),), (("ff", "int", None),), ("pre", "gelu"), "TransformerEncoderLayer"),
    Op("tokens", summary="C×H×W -> (H·W)×C: x.flatten(2).transpose(1, 2)"),
    Op("cls", summary="prepend a learned class token: T×d -> (T+1)×d"),
    Op("pos", summary="add a learned position embedding (T·d parameters)"),
    Op("first", summary="keep the first token: T×d -> d"),
)}
# Not layers, but words the parser knows (for did-you-mean)
KEYWORDS = ("in", "res", "cat", "save", "add")


# ---- parsing one layer ---------------------------------------------------------------------


def _value(kind: str, text: str, what: str):
    if kind == "int":
        return parse_int(text, what, minimum=0)
    if kind == "prob":
        if not re.fullmatch(r"(0|1)(\.\d{0,12})?|\.\d{1,12}", text):
            raise DlcalcError(f"{what}: expected a probability such as 0.5, got {excerpt(text, 20)!r}")
        if float(text) > 1:
            raise DlcalcError(f"{what}: dropout probability has to be between 0 and 1, but got {text}")
        return text
    if kind == "pad" and text.lower() in ("same", "valid"):
        return text.lower()
    return tuple(parse_int(part, what, minimum=0) for part in text.lower().split("x"))


def parse_layer(words: list[str]) -> Layer:
    name = words[0].lower()
    op = OPS.get(name)
    if name == "in":
        raise DlcalcError(f"{excerpt(' '.join(words))!r}: 'in SHAPE' must be the first item")
    if op is None:
        raise DlcalcError(f"unknown operation {excerpt(words[0], 30)!r} in {excerpt(' '.join(words))!r}"
                          + closest(name, [*OPS, *KEYWORDS]))
    text = excerpt(" ".join(words))
    args, options, flags = [], {}, set()
    rest = words[1:]
    for pname, kind, _ in op.positional:
        if rest and re.match(r"[\d.]", rest[0]):
            args.append(_value(kind, rest.pop(0), f"{text!r}: {pname}"))
    missing = [p for p, _, required in op.positional[len(args):] if required]
    if missing:
        raise DlcalcError(f"{text!r}: {name} needs {' '.join(p for p, _, _ in op.positional)}, e.g. "
                          f"{_EXAMPLES.get(name, name)!r}")
    by_length = sorted(op.options, key=lambda o: -len(o[0]))
    for word in rest:
        lower = word.lower()
        if lower in op.flags:
            flags.add(lower)
            continue
        for oname, kind, _ in by_length:
            value = lower[len(oname):]
            if lower.startswith(oname) and value and (value[0].isdigit() or kind == "pad"):
                if oname in options:
                    raise DlcalcError(f"{text!r}: option {oname!r} given twice")
                options[oname] = _value(kind, value, f"{text!r}: {oname}")
                break
        else:
            valid = [o for o, _, _ in op.options] + list(op.flags)
            hint = closest(re.sub(r"\d.*", "", lower), valid) or closest(lower, valid)
            accepted = ", ".join(f"{o}N" for o, _, _ in op.options) + (", " if op.options and op.flags else "") + ", ".join(op.flags)
            raise DlcalcError(f"{text!r}: unknown option {excerpt(word, 20)!r} for {name} "
                              f"(options: {accepted or 'none'}){hint}")
    for oname, _, default in op.options:
        if default is None and oname == "k" and oname not in options:
            raise DlcalcError(f"{text!r}: {name} needs a kernel size, e.g. {_EXAMPLES[name]!r}")
    ordered = tuple((o, options[o]) for o, _, _ in op.options if o in options)
    return Layer(name, tuple(args), ordered, tuple(f for f in op.flags if f in flags))


_EXAMPLES = {"conv": "conv 64 k3 p1", "tconv": "tconv 64 k2 s2", "maxpool": "maxpool k2", "avgpool": "avgpool k2",
             "adaptiveavg": "adaptiveavg 6x6", "up": "up 2", "gn": "gn 32", "fc": "fc 10", "embed": "embed 30522 768",
             "lstm": "lstm 256", "gru": "gru 256", "rnn": "rnn 256", "mha": "mha 8", "tblock": "tblock 8 ff2048"}


def _show(value) -> str:
    if isinstance(value, tuple):
        return "x".join(map(str, value))
    return str(value)


def layer_text(layer: Layer) -> str:
    parts = [layer.op, *map(_show, layer.args)]
    parts += [("L" if name == "l" else name) + _show(value) for name, value in layer.options]
    return " ".join(parts + list(layer.flags))


# ---- counting ------------------------------------------------------------------------------


@dataclass
class Out:
    shape: tuple
    params: int = 0
    buffers: int = 0
    macs: int = 0
    bwd_always: int = 0
    bwd_if_grad: int = 0
    torchinfo_macs: int | None = None  # None: params × batch (torchinfo's rule for most modules)
    torchinfo_params: int | None = None  # parameters of the leaf modules torchinfo sees (None: params)
    torchinfo_outputs: int | None = None  # output elements of those leaves (None: the output, if params)
    rf: object = "keep"


def _per_axis(value, axes: int, what: str) -> tuple:
    if len(value) == 1:
        return value * axes
    if len(value) != axes:
        raise DlcalcError(f"{what} has {len(value)} values for {axes} spatial axes")
    return value


def _spatial(layer: Layer, shape: tuple, module: str) -> tuple:
    """(channels, spatial sizes) for modules that take C×L, C×H×W or C×D×H×W."""
    if not 2 <= len(shape) <= 4:
        raise DlcalcError(f"{module} needs a C×L, C×H×W or C×D×H×W input, got {_show(shape)}")
    return shape[0], shape[1:]


def _options(layer: Layer, axes: int, names) -> dict:
    op = OPS[layer.op]
    values = {}
    for oname, kind, default in op.options:
        if oname not in names:
            continue
        value = layer.option(oname, default)
        if kind in ("axes", "pad") and isinstance(value, tuple):
            value = _per_axis(value, axes, f"option {oname}")
        values[oname] = value
    return values


def _at_least_one(name, values):
    if min(values) < 1:
        raise DlcalcError(f"{name} must be at least 1, got {_show(values)}")


def _conv(layer: Layer, shape: tuple) -> Out:
    (c_out,), bias = layer.args, "nobias" not in layer.flags
    c_in, size = _spatial(layer, shape, f"Conv{len(shape) - 1}d")
    o = _options(layer, len(size), ("k", "s", "p", "d", "g"))
    k, s, d, g = o["k"], o["s"], o["d"], o["g"]
    for name, values in (("kernel size", k), ("stride", s), ("dilation", d)):
        _at_least_one(name, values)
    _check_groups(c_in, c_out, g)
    if o["p"] == "same":
        if max(s) > 1:
            raise DlcalcError("padding='same' is not supported for strided convolutions")
        before = tuple(di * (ki - 1) // 2 for ki, di in zip(k, d))
        total = tuple(di * (ki - 1) for ki, di in zip(k, d))
    else:
        before = (0,) * len(size) if o["p"] == "valid" else o["p"]
        total = tuple(2 * p for p in before)
    span = tuple(di * (ki - 1) + 1 for ki, di in zip(k, d))
    padded = tuple(i + t for i, t in zip(size, total))
    if any(sp > pa for sp, pa in zip(span, padded)):
        raise DlcalcError(f"kernel size {_show(span)} (dilated) can't be greater than the padded input {_show(padded)}")
    out = tuple((pa - sp) // st + 1 for pa, sp, st in zip(padded, span, s))
    weight = c_out * (c_in // g) * prod(k)
    macs = prod(out) * weight
    return Out((c_out, *out), params=weight + c_out * bias, macs=macs, bwd_always=macs * g, bwd_if_grad=macs,
               torchinfo_macs=(weight + c_out * bias) * prod(out), rf=tuple(zip(k, s, d, before)))


def _check_groups(c_in, c_out, g):
    if g < 1:
        raise DlcalcError("groups must be a positive integer")
    if c_out < 1:
        raise DlcalcError("out_channels must be at least 1")
    if c_in % g:
        raise DlcalcError(f"in_channels {c_in} must be divisible by groups {g}")
    if c_out % g:
        raise DlcalcError(f"out_channels {c_out} must be divisible by groups {g}")


def _tconv(layer: Layer, shape: tuple) -> Out:
    (c_out,), bias = layer.args, "nobias" not in layer.flags
    c_in, size = _spatial(layer, shape, f"ConvTranspose{len(shape) - 1}d")
    o = _options(layer, len(size), ("k", "s", "p", "op", "d", "g"))
    k, s, p, op, d, g = o["k"], o["s"], o["p"], o["op"], o["d"], o["g"]
    for name, values in (("kernel size", k), ("stride", s), ("dilation", d)):
        _at_least_one(name, values)
    _check_groups(c_in, c_out, g)
    for opi, si, di in zip(op, s, d):
        if opi >= si and opi >= di:
            raise DlcalcError(f"output padding {opi} must be smaller than either stride {si} or dilation {di}")
    out = tuple((i - 1) * si - 2 * pi + di * (ki - 1) + opi + 1 for i, si, pi, di, ki, opi in zip(size, s, p, d, k, op))
    if min(out) < 1:
        raise DlcalcError(f"output size {_show(out)} is too small")
    weight = c_in * (c_out // g) * prod(k)
    macs = prod(size) * weight  # FlopCounterMode counts a transposed conv over its input positions
    return Out((c_out, *out), params=weight + c_out * bias, macs=macs, bwd_always=macs * g, bwd_if_grad=macs,
               torchinfo_macs=(weight + c_out * bias) * prod(out), rf=None)


def _pool(layer: Layer, shape: tuple) -> Out:
    module = "MaxPool" if layer.op == "maxpool" else "AvgPool"
    _, size = _spatial(layer, shape, f"{module}{len(shape) - 1}d")
    o = _options(layer, len(size), ("k", "s", "p", "d"))
    k = o["k"]
    s = k if o["s"] is None else o["s"]  # the stride defaults to the kernel size, as in torch
    p, d = o["p"], o.get("d", (1,) * len(size))
    for name, values in (("kernel size", k), ("stride", s), ("dilation", d)):
        _at_least_one(name, values)
    for pi, ki in zip(p, k):
        if 2 * pi > ki:
            raise DlcalcError(f"padding {pi} > half the kernel ({ki // 2})")
    ceil = "ceil" in layer.flags
    out = []
    for i, ki, si, pi, di in zip(size, k, s, p, d):
        span = di * (ki - 1) + 1
        o_size = (i + 2 * pi - span + (si - 1) * ceil) // si + 1
        if ceil and (o_size - 1) * si >= i + pi:  # a last window starting in the right padding is dropped
            o_size -= 1
        if o_size < 1:
            raise DlcalcError(f"output size {o_size} is too small: window {span} over padded input {i + 2 * pi}")
        out.append(o_size)
    return Out((shape[0], *out), rf=tuple(zip(k, s, d, p)))


def _adaptive(layer: Layer, shape: tuple) -> Out:
    _, size = _spatial(layer, shape, "AdaptiveAvgPool")
    target = (1,) * len(size) if layer.op == "gap" else _per_axis(layer.args[0], len(size), "adaptiveavg")
    _at_least_one("output size", target)
    return Out((shape[0], *target), rf=None)


def _up(layer: Layer, shape: tuple) -> Out:
    _, size = _spatial(layer, shape, "Upsample")
    scale = _per_axis(layer.args[0], len(size), "up")
    _at_least_one("scale factor", scale)
    return Out((shape[0], *(i * f for i, f in zip(size, scale))), rf=None)


def _flatten(layer: Layer, shape: tuple) -> Out:
    return Out((prod(shape),), rf=None)


def _norm(layer: Layer, shape: tuple) -> Out:
    if layer.op == "bn":
        if len(shape) > 4:
            raise DlcalcError(f"BatchNorm takes at most C×D×H×W, got {_show(shape)}")
        c = shape[0]
        return Out(shape, params=2 * c, buffers=2 * c + 1)
    if layer.op == "gn":
        (groups,) = layer.args
        if groups < 1 or shape[0] % groups:
            raise DlcalcError(f"num_channels {shape[0]} must be divisible by num_groups {groups}")
        return Out(shape, params=2 * shape[0])
    last = shape[-1]
    return Out(shape, params=2 * last if layer.op == "ln" else last)


def _pointwise(layer: Layer, shape: tuple) -> Out:
    return Out(shape)


def _fc(layer: Layer, shape: tuple) -> Out:
    (n,), bias = layer.args, "nobias" not in layer.flags
    if n < 1:
        raise DlcalcError("out_features must be at least 1")
    macs = prod(shape) * n
    return Out((*shape[:-1], n), params=shape[-1] * n + n * bias, macs=macs, bwd_always=macs, bwd_if_grad=macs, rf=None)


def _embed(layer: Layer, shape: tuple) -> Out:
    vocab, dim = layer.args
    _at_least_one("num_embeddings and embedding_dim", (vocab, dim))
    return Out((*shape, dim), params=vocab * dim, rf=None)


def _sequence(shape: tuple, module: str) -> tuple:
    if len(shape) != 2:
        raise DlcalcError(f"{module} needs a T×d input (batch_first), got {_show(shape)}")
    return shape


_GATES = {"lstm": 4, "gru": 3, "rnn": 1}
MAX_RNN_LAYERS = 10_000


def _recurrent_layer(steps, width, gate_rows, state, hidden, proj, directions, bias) -> tuple:
    """(params, macs, backward weight and state gradients, input gradient) of one stacked layer."""
    per_step = gate_rows * width + gate_rows * state + hidden * proj
    # backward: every weight gradient; h's gradient except at step 0 (h0 = 0 needs none); the projection's input
    backward = directions * (steps * per_step + (steps - 1) * gate_rows * state + steps * hidden * proj)
    return (directions * (per_step + 2 * gate_rows * bias), directions * steps * per_step, backward,
            directions * steps * gate_rows * width)


def _recurrent(layer: Layer, shape: tuple) -> Out:
    steps, features = _sequence(shape, layer.op.upper())
    (hidden,) = layer.args
    num_layers, proj = layer.option("l", 1), layer.option("proj", 0)
    directions, bias = 1 + ("bi" in layer.flags), "nobias" not in layer.flags
    _at_least_one("hidden_size and num_layers", (hidden, num_layers))
    if num_layers > MAX_RNN_LAYERS:
        raise DlcalcError(f"num_layers {num_layers} is over the limit {MAX_RNN_LAYERS:,}")
    if proj and proj >= hidden:
        raise DlcalcError(f"proj_size {proj} has to be smaller than hidden_size {hidden}")
    gate_rows = _GATES[layer.op] * hidden
    state = proj or hidden  # the recurrent state h fed back at each step
    common = (gate_rows, state, hidden, proj, directions, bias)
    # layer 0 reads the input; layers 1.. all read the previous layer's output and are alike, so they are
    # counted once and multiplied (closed form: a spec may hold 100,000 of these)
    params, macs, bwd_always, bwd_if_grad = _recurrent_layer(steps, features, *common)
    upper = _recurrent_layer(steps, state * directions, *common)
    rest = num_layers - 1
    params, macs = params + rest * upper[0], macs + rest * upper[1]
    bwd_always += rest * (upper[2] + upper[3])  # an upper layer's input depends on weights: always computed
    return Out((steps, state * directions), params=params, macs=macs, bwd_always=bwd_always, bwd_if_grad=bwd_if_grad,
               torchinfo_macs=steps * params, rf=None)


def _attention(shape: tuple, heads: int, module: str) -> tuple:
    steps, dim = _sequence(shape, module)
    if heads < 1 or dim % heads:
        raise DlcalcError(f"embed_dim {dim} must be divisible by num_heads {heads}")
    projections = 4 * steps * dim * dim  # q, k, v in one packed product, then out_proj
    core = 2 * steps * steps * dim  # Q·Kᵀ and A·V over all heads
    return steps, dim, projections, core


def _mha(layer: Layer, shape: tuple) -> Out:
    steps, dim, projections, core = _attention(shape, layer.args[0], "MultiheadAttention")
    bias = "nobias" not in layer.flags
    in_proj = 3 * steps * dim * dim
    return Out(shape, params=4 * dim * dim + 4 * dim * bias, macs=projections + core,
               bwd_always=projections + (projections - in_proj) + 2 * core, bwd_if_grad=in_proj,
               torchinfo_macs=0, torchinfo_params=0, torchinfo_outputs=0, rf=None)


def _tblock(layer: Layer, shape: tuple) -> Out:
    steps, dim, projections, core = _attention(shape, layer.args[0], "TransformerEncoderLayer")
    ff = layer.option("ff") or 4 * dim
    if ff < 1:
        raise DlcalcError("dim_feedforward must be at least 1")
    feedforward = 2 * steps * dim * ff
    in_proj = 3 * steps * dim * dim
    attention_params = 4 * dim * dim + 4 * dim
    ff_params = 2 * dim * ff + ff + dim
    # pre-norm: the attention reads norm1(x), which depends on weights, so its input gradient is always computed
    first_input = 0 if "pre" in layer.flags else in_proj
    return Out(shape, params=attention_params + ff_params + 4 * dim, macs=projections + core + feedforward,
               bwd_always=projections + (projections - first_input) + 2 * core + 2 * feedforward,
               bwd_if_grad=first_input, torchinfo_macs=ff_params + 4 * dim, torchinfo_params=ff_params + 4 * dim,
               torchinfo_outputs=steps * ff + 3 * steps * dim, rf=None)  # linear1, linear2, norm1, norm2


def _tokens(layer: Layer, shape: tuple) -> Out:
    if len(shape) < 2:
        raise DlcalcError(f"tokens needs C×H×W (or C×L, C×D×H×W), got {_show(shape)}")
    return Out((prod(shape[1:]), shape[0]), rf=None)


def _cls(layer: Layer, shape: tuple) -> Out:
    steps, dim = _sequence(shape, layer.op)
    if layer.op == "cls":
        return Out((steps + 1, dim), params=dim, torchinfo_macs=0, rf=None)
    if layer.op == "pos":
        return Out(shape, params=steps * dim, torchinfo_macs=0, rf=None)
    return Out((dim,), rf=None)


_RULES = {"conv": _conv, "tconv": _tconv, "maxpool": _pool, "avgpool": _pool, "gap": _adaptive,
          "adaptiveavg": _adaptive, "up": _up, "flatten": _flatten, "bn": _norm, "ln": _norm, "gn": _norm,
          "rms": _norm, "dropout": _pointwise, "fc": _fc, "embed": _embed, "lstm": _recurrent, "gru": _recurrent,
          "rnn": _recurrent, "mha": _mha, "tblock": _tblock, "tokens": _tokens, "cls": _cls, "pos": _cls,
          "first": _cls, **{name: _pointwise for name in _POINTWISE}}


def apply(layer: Layer, shape: tuple) -> Out:
    """The output shape and counts of one layer on one sample of ``shape``."""
    return _RULES[layer.op](layer, shape)
