"""Convolutional networks: output sizes, padding, receptive fields, parameter counts (sheet §12).

Sizes follow PyTorch's Conv*/ConvTranspose*/MaxPool*/AvgPool* exactly, including the
configurations PyTorch refuses. The size functions use only arithmetic that works on Python ints
and on NumPy integer arrays alike, so batch mode evaluates them over all rows at once.
"""

from __future__ import annotations

from functools import reduce
from operator import mul, or_

from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import AXES, FLAG, INT, PADDING, SAME, TEXT, Param, Rule, erratum, formula
from dlcalc.core.result import Result, Table

# ---- shared parameters ---------------------------------------------------------------------

_I = Param("I", AXES, "input size (per axis: 224,224)", aliases=("input",), minimum=1)
_K = Param("K", AXES, "kernel size (per axis: 3,5)", aliases=("kernel",), minimum=1)
_S = Param("S", AXES, "stride", default=(1,), aliases=("stride",), minimum=1)
_D = Param("d", AXES, "dilation", default=(1,), aliases=("dilation",), minimum=1)
_C_IN = Param("c-in", INT, "input channels", aliases=("in-channels",), minimum=1)
_NO_BIAS = Param("no-bias", FLAG, "count no bias terms", default=False)


def _prod(values):
    """Product of per-axis values (ints or NumPy arrays)."""
    return reduce(mul, values, 1)


def _effective_kernel(K, d):
    return d * (K - 1) + 1


# ---- convolution ---------------------------------------------------------------------------


def _same_padding_total(K, d):
    return d * (K - 1)


def _conv_padding_total(P, K, d):
    # 'same' (the SAME sentinel) pads d(K-1) in total; a number P pads 2P. Written as a sum of
    # masked terms so that it works on ints and on NumPy arrays alike.
    return (P == SAME) * _same_padding_total(K, d) + (P != SAME) * (2 * P)


def conv_out_size(I, K, S, P, d):
    return (I + _conv_padding_total(P, K, d) - d * (K - 1) - 1) // S + 1


def _conv_show(I, K, S, P, d):
    pad = _conv_padding_total(P, K, d)
    return f"⌊({I} + {pad} − {d}·({K} − 1) − 1) / {S}⌋ + 1 = {conv_out_size(I, K, S, P, d)}"


_E46 = erratum(
    "E46",
    title="'Same padding' is not 'padding with zeros'",
    sheet="Same Padding = padding with zeros",
    correct="'same' means the padding that keeps O = I at stride 1: d(K−1) zeros in total, "
    "(K−1)/2 per side for odd K; even K needs asymmetric padding. Zero is only the fill value.",
    command="dlcalc same-padding --K 4",
)

formula(
    name="conv-out",
    section="12.8",
    catalogue_id="CNN-OUT CNN-PAD CNN-VALID",
    summary="Output size of a convolution (PyTorch Conv1d/2d/3d)",
    params=(
        _I,
        _K,
        _S,
        Param(
            "P",
            PADDING,
            "padding per side, or 'same' / 'valid' as in PyTorch",
            default=(0,),
            aliases=("padding",),
            minimum=0,
        ),
        _D,
    ),
    formula="O = ⌊(I + 2P − d(K − 1) − 1) / S⌋ + 1",
    latex=r"O = \left\lfloor \frac{I + 2P - d(K-1) - 1}{S} \right\rfloor + 1",
    compute=conv_out_size,
    elementwise=True,
    show=_conv_show,
    rules=(
        Rule(
            broken=lambda P, S, **_: (P == SAME) & (S != 1),
            says=lambda S, **_: f"padding 'same' needs stride 1 (PyTorch refuses it for strided "
            f"convolutions), got S={S}",
        ),
        Rule(
            broken=lambda I, K, S, P, d: conv_out_size(I, K, S, P, d) < 1,
            says=lambda I, K, S, P, d: f"output size {conv_out_size(I, K, S, P, d)} < 1: the "
            f"dilated kernel d(K−1)+1 = {_effective_kernel(K, d)} is larger than the padded "
            f"input I + 2P = {I + _conv_padding_total(P, K, d)}",
        ),
    ),
    examples=(
        ("--I 32 --K 3 --S 2", "15"),
        ("--I 224,224 --K 7 --S 2 --P 3", "112,112"),
        ("--I 10 --K 4 --P same", "10", "even kernel: one more zero at the end"),
        ("--I 32 --K 3 --d 2", "28"),
        ("--input 16,16,16 --kernel 3 --padding 1", "16,16,16"),
    ),
    notes="'same' pads d(K−1) zeros in total; for an odd total the extra zero goes at the end "
    "(PyTorch). 'valid' is P = 0.",
)


def convtranspose_out_size(I, K, S, P, d, output_padding):
    return (I - 1) * S - 2 * P + d * (K - 1) + output_padding + 1


def _convtranspose_show(I, K, S, P, d, output_padding):
    out = convtranspose_out_size(I, K, S, P, d, output_padding)
    return f"({I} − 1)·{S} − 2·{P} + {d}·({K} − 1) + {output_padding} + 1 = {out}"


formula(
    name="convtranspose-out",
    section="12.8",
    catalogue_id="CNN-OUT",
    summary="Output size of a transposed convolution (PyTorch ConvTranspose1d/2d/3d)",
    params=(
        _I,
        _K,
        _S,
        Param("P", AXES, "padding per side", default=(0,), aliases=("padding",), minimum=0),
        _D,
        Param("output-padding", AXES, "extra size added to one side", default=(0,), minimum=0),
    ),
    formula="O = (I − 1)·S − 2P + d(K − 1) + output_padding + 1",
    latex=r"O = (I-1)S - 2P + d(K-1) + p_{\mathrm{out}} + 1",
    compute=convtranspose_out_size,
    elementwise=True,
    show=_convtranspose_show,
    rules=(
        Rule(
            broken=lambda S, d, output_padding, **_: (output_padding >= S) & (output_padding >= d),
            says=lambda S, d, output_padding, **_: f"output padding must be smaller than either "
            f"stride or dilation (PyTorch), got output-padding={output_padding} with S={S}, d={d}",
        ),
        Rule(
            broken=lambda **v: convtranspose_out_size(**v) < 1,
            says=lambda **v: f"output size {convtranspose_out_size(**v)} < 1: the padding "
            f"2P = {2 * v['P']} removes more than the transposed convolution produces",
        ),
    ),
    examples=(
        ("--I 15 --K 3 --S 2", "31"),
        ("--I 16,16 --K 4 --S 2 --P 1", "32,32"),
        ("--I 15 --K 3 --S 2 --output-padding 1", "32"),
    ),
    notes="Inverts conv-out's size map: a conv with the same K, S, P, d maps O back to I.",
)


# ---- pooling -------------------------------------------------------------------------------


def pool_out_size(I, K, S, P, d, ceil_mode):
    # PyTorch's pooling_output_shape: in ceil mode, round up, but drop a last window that would
    # start inside the right padding.
    rounded_up = (ceil_mode * (S - 1) + I + 2 * P - d * (K - 1) - 1) // S + 1
    starts_in_padding = (ceil_mode & ((rounded_up - 1) * S >= I + P)) * 1
    return rounded_up - starts_in_padding


def _pool_show(I, K, S, P, d, ceil_mode):
    out = pool_out_size(I, K, S, P, d, ceil_mode)
    if ceil_mode:
        return f"⌈({I} + 2·{P} − {d}·({K} − 1) − 1) / {S}⌉ + 1 = {out}"
    return f"⌊({I} + 2·{P} − {d}·({K} − 1) − 1) / {S}⌋ + 1 = {out}"


_E49 = erratum(
    "E49",
    title="max-pooling indexing",
    sheet="x_{ij}^max = max{x_{i+k}} (a stray j and no stride)",
    correct="x_i^max = max{x_{s·i+k} : 0 ≤ k < r}; the output size follows the conv formula "
    "with K = r and S = s (usually s = r)",
    command="dlcalc pool-out --I 32 --K 2",
)

formula(
    name="pool-out",
    section="12.6",
    catalogue_id="CNN-POOL",
    summary="Output size of max or average pooling (PyTorch MaxPool*/AvgPool*)",
    params=(
        _I,
        _K,
        Param("S", AXES, "stride", default="=K", aliases=("stride",), minimum=1),
        Param("P", AXES, "padding per side, at most K/2", default=(0,), aliases=("padding",), minimum=0),
        Param("d", AXES, "dilation (max pooling only)", default=(1,), aliases=("dilation",), minimum=1),
        Param("ceil-mode", FLAG, "round the output size up, as ceil_mode=True", default=False),
    ),
    formula="O = ⌊(I + 2P − d(K − 1) − 1) / S⌋ + 1   (⌈·⌉ with --ceil-mode)",
    latex=r"O = \left\lfloor \frac{I + 2P - d(K-1) - 1}{S} \right\rfloor + 1",
    compute=pool_out_size,
    elementwise=True,
    show=_pool_show,
    errata=(_E49,),
    rules=(
        Rule(
            broken=lambda K, P, **_: 2 * P > K,
            says=lambda K, P, **_: f"padding must be at most half the kernel size (PyTorch), "
            f"got P={P} with K={K}",
        ),
        Rule(
            broken=lambda **v: pool_out_size(**v) < 1,
            says=lambda **v: f"output size {pool_out_size(**v)} < 1: the dilated kernel "
            f"{_effective_kernel(v['K'], v['d'])} is larger than the padded input "
            f"{v['I'] + 2 * v['P']}",
        ),
    ),
    examples=(
        ("--I 32 --K 2", "16"),
        ("--I 112,112 --K 3 --S 2 --P 1", "56,56", "ResNet's stem max-pool"),
        ("--I 5 --K 2 --ceil-mode", "3"),
        ("--I 6 --K 2 --S 2 --P 1 --ceil-mode", "4", "the window starting in the padding is dropped"),
    ),
    notes="Max and average pooling share sizes; PyTorch's AvgPool has no dilation.",
)


# ---- padding -------------------------------------------------------------------------------


def same_padding(K, d):
    total = _same_padding_total(K, d)
    before = total // 2
    return before, total - before


def _same_padding_present(split):
    before, after = split
    return str(before) if before == after else f"{before}:{after}"


formula(
    name="same-padding",
    section="12.4",
    catalogue_id="CNN-SAME",
    summary="Padding that keeps the size at stride 1 ('same'); before:after when asymmetric",
    params=(_K, _D),
    formula="total d(K − 1); before = ⌊total/2⌋, after = total − before",
    latex=r"P_{\mathrm{total}} = d(K-1),\; P_{\mathrm{before}} = \lfloor P_{\mathrm{total}}/2 \rfloor",
    compute=same_padding,
    elementwise=True,
    present=_same_padding_present,
    show=lambda K, d: f"total {_same_padding_total(K, d)} = {d}·({K} − 1) → "
    f"{_same_padding_present(same_padding(K, d))}",
    errata=(_E46,),
    examples=(
        ("--K 3", "1"),
        ("--K 4", "1:2", "even kernel: the extra zero goes at the end, as in PyTorch"),
        ("--K 3,4 --d 2,1", "2,1:2"),
    ),
)


# ---- receptive field -----------------------------------------------------------------------

_LAYER_KEYS = {"k": "kernel", "s": "stride", "d": "dilation", "p": "padding"}
_NONZERO_LIMIT = 1 << 27  # the hole count is a bitmask of the field; beyond this, skip it


def _layer_value(key, text):
    """'3' -> (3,), '3x5' -> (3, 5); padding '1:0' -> ((1, 0),)."""
    values = []
    for part in text.split("x"):
        before, _, after = part.partition(":")
        try:
            numbers = (int(before), int(after if after else before))
        except ValueError:
            raise DlcalcError(f"{key}={text}: expected whole numbers") from None
        if after and key != "p":
            raise DlcalcError(f"{key}={text}: only the padding p takes before:after")
        lowest = 0 if key == "p" else 1
        if min(numbers) < lowest:
            raise DlcalcError(f"{key}={text}: {_LAYER_KEYS[key]} must be at least {lowest}")
        values.append(numbers if key == "p" else numbers[0])
    return tuple(values)


def parse_layers(spec):
    """'k=3,s=1; k=2,s=2' -> a list of dicts with per-axis tuples for k, s, d, p."""
    layers = []
    for number, chunk in enumerate(part for part in spec.split(";") if part.strip()):
        layer = {"k": None, "s": (1,), "d": (1,), "p": ((0, 0),)}
        for item in chunk.split(","):
            key, sep, value = item.strip().partition("=")
            key = key.strip().lower()
            if not sep or key not in _LAYER_KEYS:
                raise DlcalcError(
                    f"layer {number + 1}: expected key=value with keys k, s, d, p, got {item.strip()!r}"
                )
            layer[key] = _layer_value(key, value.strip())
        if layer["k"] is None:
            raise DlcalcError(f"layer {number + 1}: the kernel size k is required")
        layers.append(layer)
    if not layers:
        raise DlcalcError("no layers given")
    return layers


def _broadcast_axes(layers):
    axes = {len(v) for layer in layers for v in layer.values()}
    ndim = max(axes)
    if axes - {1, ndim}:
        mixed = " and ".join(map(str, sorted(axes - {1})))
        raise DlcalcError(f"layers mix {mixed} axes; use one value or {ndim} values")
    return ndim, [{k: v * ndim if len(v) == 1 else v for k, v in layer.items()} for layer in layers]


def receptive_field_axis(layers):
    """Per-layer (r, j, start, nonzero) along one axis; layers hold scalars k, s, d, (pb, pa)."""
    r, j, start, support = 1, 1, 0, 1  # support: bit t set <=> offset t of the field contributes
    rows = []
    for layer in layers:
        k, s, d, (pad_before, _) = layer["k"], layer["s"], layer["d"], layer["p"]
        r += (k - 1) * d * j
        start -= pad_before * j
        if support is not None and r <= _NONZERO_LIMIT:
            support = reduce(lambda acc, t: acc | (support << (t * d * j)), range(k), 0)
        else:
            support = None
        j *= s
        rows.append({"r": r, "j": j, "start": start, "nonzero": None if support is None else support.bit_count()})
    return rows


def _show_cell(value):
    return "×".join(map(str, value)) if isinstance(value, list) else str(value)


def receptive_field(layers):
    ndim, layers = _broadcast_axes(parse_layers(" ; ".join(layers)))
    per_axis = [
        receptive_field_axis([{k: v[a] for k, v in layer.items()} for layer in layers]) for a in range(ndim)
    ]

    def merge(values):  # one value, or a list with one per axis
        return list(values) if ndim > 1 else values[0]

    table_rows = [
        {key: merge([axis[i][key] for axis in per_axis]) for key in ("r", "j", "start", "nonzero")}
        for i in range(len(layers))
    ]
    final = table_rows[-1]
    table = Table(
        columns=["layer", "k", "s", "d", "p", "r", "j", "start", "nonzero"],
        rows=[
            [
                i + 1,
                *(_show_cell(merge(layer[key])) for key in ("k", "s", "d")),
                _show_cell(merge([str(b) if b == a else f"{b}:{a}" for b, a in layer["p"]])),
                *(_show_cell(row[key]) for key in ("r", "j", "start", "nonzero")),
            ]
            for i, (layer, row) in enumerate(zip(layers, table_rows))
        ],
        title="r: field size, j: jump, start: first input of unit 0",
    )
    too_large = None in (final["nonzero"] if ndim > 1 else [final["nonzero"]])
    return Result(
        name="receptive-field",
        inputs={},
        value=final["r"],
        table=table,
        extra={**final, "layers": table_rows},
        warnings=["the field is too large to count its holes; nonzero is null"] if too_large else [],
    )


_E51 = erratum(
    "E51",
    title="dilated receptive field 'grows exponentially with the dilation factor d'",
    sheet="the receptive field grows exponentially with the dilation factor d",
    correct="it grows exponentially with depth when the dilation doubles per layer (2^L for k=2, "
    "2^(L+1)−1 for k=3); a fixed dilation d gives linear growth 1 + d(k−1)L",
    command='dlcalc receptive-field --layers "k=3,d=1; k=3,d=2; k=3,d=4"',
)

formula(
    name="receptive-field",
    section="12.5",
    catalogue_id="CNN-RF CNN-VGG CNN-DILATED CNN-WAVENET",
    summary="Receptive field of a stack of conv/pool layers: size, jump, start, holes",
    params=(
        Param(
            "layers",
            TEXT,
            "layers separated by ';', each key=value with k (kernel), s (stride, 1), d (dilation, "
            "1), p (padding, 0; 1:0 for before:after); per axis with x: k=3x5",
            aliases=("layer",),
            multiple=True,
        ),
    ),
    formula="r_l = r_{l−1} + (k_l − 1)·d_l·j_{l−1},  j_l = j_{l−1}·s_l,  start_l = start_{l−1} − p_l·j_{l−1}",
    latex=r"r_l = r_{l-1} + (k_l - 1)\,d_l\,j_{l-1},\quad j_l = j_{l-1} s_l",
    compute=receptive_field,
    batch_rows=False,
    errata=(_E51,),
    examples=(
        ("--layers 'k=3,s=1; k=2,s=2; k=3,d=2,p=1'", "12"),
        ("--layers 'k=3; k=3; k=3'", "7", "three 3×3 convs see 7×7 (VGG)"),
        ("--layer k=7,s=2,p=3 --layer k=3,s=2,p=1", "11", "ResNet stem: conv 7/2 then max-pool 3/2"),
        ("--layers 'k=2,d=1; k=2,d=2; k=2,d=4; k=2,d=8'", "16", "WaveNet-style doubling dilations: 2^L"),
        ("--layers 'k=3x5; k=3,s=2'", "5,7"),
    ),
    notes="nonzero counts the inputs inside the field that reach the output: dilation leaves holes.",
)


# ---- parameter counts ----------------------------------------------------------------------


def kernel_volume(K, dims):
    """K×K×… entries: one K value spans ``dims`` axes; several K values give the axes."""
    return _prod(K) if len(K) > 1 else K[0] ** dims


def conv_params(c_in, c_out, K, dims, groups, no_bias):
    return c_out * (c_in // groups) * kernel_volume(K, dims) + (1 - no_bias) * c_out


_E50 = erratum(
    "E50",
    title="channels example and 'the order of the channels doesn't matter'",
    sheet="7x7x3 input, two filters, output 3x3x2 (no kernel size or stride given); "
    "'the order of the channels hence doesn't matter'",
    correct="the 3×3 output needs e.g. K=3, S=2 or K=5, S=1; each filter is K×K×3, so K=3 with "
    "bias gives 2·(27+1) = 56 parameters. Channel order does matter for a fixed filter",
    command="dlcalc conv-params --c-in 3 --c-out 2 --K 3",
)

formula(
    name="conv-params",
    section="12.9",
    catalogue_id="CNN-CHANNELS CNN-1x1",
    summary="Parameters of a convolution layer (weights plus biases)",
    params=(
        _C_IN,
        Param("c-out", INT, "output channels (filters)", aliases=("out-channels",), minimum=1),
        Param("K", AXES, "kernel size: 3 is 3×3 (see --dims), or one per axis: 3,3,3", aliases=("kernel",), minimum=1),
        Param("dims", INT, "spatial axes of a single --K value (1: Conv1d, 2: Conv2d, 3: Conv3d)", default=2, minimum=1),
        Param("groups", INT, "groups (depthwise: groups = c-in)", default=1, minimum=1),
        _NO_BIAS,
    ),
    formula="c_out·(c_in/groups)·∏K + c_out",
    latex=r"C_{\mathrm{out}} \frac{C_{\mathrm{in}}}{g} \prod_a K_a + C_{\mathrm{out}}",
    compute=conv_params,
    show=lambda c_in, c_out, K, dims, groups, no_bias: f"{c_out}·({c_in}/{groups})·{kernel_volume(K, dims)}"
    + ("" if no_bias else f" + {c_out}")
    + f" = {conv_params(c_in, c_out, K, dims, groups, no_bias)}",
    errata=(_E50,),
    rules=(
        Rule(
            broken=lambda c_in, c_out, groups, **_: (c_in % groups != 0) | (c_out % groups != 0),
            says=lambda c_in, c_out, groups, **_: f"c-in={c_in} and c-out={c_out} must both be "
            f"divisible by groups={groups}",
        ),
        Rule(
            broken=lambda K, dims, **_: (len(K) > 1) & (dims != 2) & (dims != len(K)),
            says=lambda K, dims, **_: f"--dims {dims} disagrees with --K {','.join(map(str, K))} ({len(K)} axes)",
        ),
    ),
    examples=(
        ("--c-in 3 --c-out 64 --K 3", "1792"),
        ("--c-in 3 --c-out 2 --K 3", "56", "the sheet's 7×7×3 channels example with K=3"),
        ("--c-in 32 --c-out 32 --K 3 --groups 32 --no-bias", "288", "depthwise 3×3"),
        ("--c-in 64 --c-out 128 --K 3,3,3", "221312", "3-D convolution"),
        ("--c-in 16 --c-out 32 --K 5 --dims 1", "2592", "1-D convolution"),
    ),
)


def fc_params(in_, out, no_bias):
    return in_ * out + (1 - no_bias) * out


formula(
    name="fc-params",
    section="12.11",
    catalogue_id="CNN-P-FC",
    summary="Parameters of a fully connected (linear) layer",
    params=(
        Param("in", INT, "input features", aliases=("in-features",), minimum=1),
        Param("out", INT, "output features", aliases=("out-features",), minimum=1),
        _NO_BIAS,
    ),
    formula="in·out + out",
    latex=r"n_{\mathrm{in}} n_{\mathrm{out}} + n_{\mathrm{out}}",
    compute=fc_params,
    show=lambda in_, out, no_bias: f"{in_}·{out}" + ("" if no_bias else f" + {out}")
    + f" = {fc_params(in_, out, no_bias)}",
    examples=(("--in 9216 --out 4096", "37752832", "AlexNet's first FC layer"), ("--in 10 --out 3 --no-bias", "30")),
)


def _output_positions(I, K):
    return _prod(i - k + 1 for i, k in zip(I, K))


def locally_connected_params(I, c_in, K, filters, no_bias):
    return _output_positions(I, K) * filters * (_prod(K) * c_in + (1 - no_bias))


def dense_equivalent_params(I, c_in, K, filters, no_bias):
    return _output_positions(I, K) * filters * (_prod(I) * c_in + (1 - no_bias))


_AREA = (
    Param("I", AXES, "input size per axis (m,n)", aliases=("input",), minimum=1),
    _C_IN,
    Param("K", AXES, "kernel size per axis (p,q)", aliases=("kernel",), minimum=1),
    Param("filters", INT, "number of filters (output channels)", minimum=1),
    _NO_BIAS,
)


_KERNEL_FITS = Rule(
    broken=lambda I, K, **_: reduce(or_, (k > i for i, k in zip(I, K))),
    says=lambda I, K, **_: f"kernel {'×'.join(map(str, K))} is larger than the input "
    f"{'×'.join(map(str, I))} (valid padding, stride 1)",
)


_E53 = erratum(
    "E53",
    title="fully-connected parameter count (§12.11)",
    sheet="mnc(m−p+1)(n−q+1+1)K",
    correct="(mnc + 1)(m−p+1)(n−q+1)K with biases; mnc(m−p+1)(n−q+1)K without",
    command="dlcalc param-compare --I 32,32 --c-in 3 --K 5 --filters 6",
)
_E54 = erratum(
    "E54",
    title="locally-connected parameter count (§12.11)",
    sheet="pqc(m−p+1)(n−q+1+1)K",
    correct="(pqc + 1)(m−p+1)(n−q+1)K with biases; pqc(m−p+1)(n−q+1)K without",
    command="dlcalc locally-connected-params --I 32,32 --c-in 3 --K 5 --filters 6",
)

formula(
    name="locally-connected-params",
    section="12.11",
    catalogue_id="CNN-P-LC",
    summary="Parameters of a locally connected layer (unshared weights, valid, stride 1)",
    params=_AREA,
    formula="(pqc + 1)(m − p + 1)(n − q + 1)K",
    latex=r"(pqc + 1)(m-p+1)(n-q+1)K",
    compute=locally_connected_params,
    rules=(_KERNEL_FITS,),
    errata=(_E54,),
    examples=(("--I 32,32 --c-in 3 --K 5 --filters 6", "357504"),),
)


def _sheet_count(I, c_in, K, filters, per_position):
    """The sheet's (wrong) §12.11 counts, defined for 2-D inputs only: X·(m−p+1)(n−q+1+1)K."""
    (m, n), (p, q) = I, K
    return per_position * (m - p + 1) * (n - q + 1 + 1) * filters


def param_compare(I, c_in, K, filters, no_bias):
    bias = 1 - no_bias
    counts = {
        "conv": filters * (_prod(K) * c_in + bias),
        "fully-connected": dense_equivalent_params(I, c_in, K, filters, no_bias),
        "locally-connected": locally_connected_params(I, c_in, K, filters, no_bias),
    }
    sheet = {"conv": counts["conv"], "fully-connected": None, "locally-connected": None}
    if len(I) == 2:
        sheet["fully-connected"] = _sheet_count(I, c_in, K, filters, _prod(I) * c_in)
        sheet["locally-connected"] = _sheet_count(I, c_in, K, filters, _prod(K) * c_in)
    outputs = _output_positions(I, K) * filters
    table = Table(
        columns=["network", "parameters", "per output", "the sheet says"],
        rows=[
            [name, f"{count:,}", f"{count / outputs:,.1f}", "–" if sheet[name] is None else f"{sheet[name]:,}"]
            for name, count in counts.items()
        ],
        title=f"same {outputs:,} outputs ({'×'.join(str(i - k + 1) for i, k in zip(I, K))}×{filters})",
    )
    differs = [name for name in counts if sheet[name] not in (None, counts[name])]
    return Result(
        name="param-compare",
        inputs={},
        value=counts,
        table=table,
        extra={"outputs": outputs, "sheet": sheet},
        warnings=[f"the sheet's §12.11 counts for {' and '.join(differs)} are wrong (E53, E54: "
                  "dlcalc info param-compare)"] if differs else [],
    )


formula(
    name="param-compare",
    section="12.11",
    catalogue_id="CNN-P-CONV CNN-OUTDIMS",
    summary="Parameters of a conv layer vs fully and locally connected layers with the same outputs",
    params=_AREA,
    formula="conv K(pqc + 1);  fully connected (mnc + 1)(m−p+1)(n−q+1)K;  locally connected (pqc + 1)(m−p+1)(n−q+1)K",
    latex=r"K(pqc+1) \;\text{vs}\; (mnc+1)(m-p+1)(n-q+1)K \;\text{vs}\; (pqc+1)(m-p+1)(n-q+1)K",
    compute=param_compare,
    batch_rows=False,
    rules=(_KERNEL_FITS,),
    errata=(_E53, _E54),
    sheet_says="fully connected mnc(m−p+1)(n−q+1+1)K; locally connected pqc(m−p+1)(n−q+1+1)K",
    examples=(
        (
            "--I 32,32 --c-in 3 --K 5 --filters 6",
            "conv=456 fully-connected=14455392 locally-connected=357504",
        ),
    ),
)
