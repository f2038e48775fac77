"""Convolutional networks: output sizes, padding and receptive fields (sheet §12.4–12.6, §12.8).

Sizes follow PyTorch's Conv*/ConvTranspose*/MaxPool*/AvgPool* exactly, including the
configurations PyTorch refuses. The size functions use only arithmetic that works on Python ints
and on NumPy integer arrays alike, so batch mode evaluates them over all rows at once.
"""

from __future__ import annotations

from dlcalc.catalogue._cnn_rules import (E49, conv_out_size, conv_padding_total, effective_kernel, parse_layers,
                                         receptive_field_axis, same_padding_total)
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import AXES, FLAG, PADDING, SAME, TEXT, Param, Rule, erratum, formula
from dlcalc.core.result import Result, Table

# ---- shared parameters ---------------------------------------------------------------------

_I = Param("I", AXES, "input size (per axis: 224,224)", aliases=("input",), minimum=1)
_K = Param("K", AXES, "kernel size (per axis: 3,5)", aliases=("kernel",), minimum=1)
_S = Param("S", AXES, "stride", default=(1,), aliases=("stride",), minimum=1)
_D = Param("d", AXES, "dilation", default=(1,), aliases=("dilation",), minimum=1)


# ---- convolution ---------------------------------------------------------------------------


def _conv_show(I, K, S, P, d):
    pad = conv_padding_total(P, K, d)
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
            f"dilated kernel d(K−1)+1 = {effective_kernel(K, d)} is larger than the padded "
            f"input I + 2P = {I + conv_padding_total(P, K, d)}",
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


_E49 = E49

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
            f"{effective_kernel(v['K'], v['d'])} is larger than the padded input "
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
    total = same_padding_total(K, d)
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
    show=lambda K, d: f"total {same_padding_total(K, d)} = {d}·({K} − 1) → "
    f"{_same_padding_present(same_padding(K, d))}",
    errata=(_E46,),
    examples=(
        ("--K 3", "1"),
        ("--K 4", "1:2", "even kernel: the extra zero goes at the end, as in PyTorch"),
        ("--K 3,4 --d 2,1", "2,1:2"),
    ),
)


# ---- receptive field -----------------------------------------------------------------------


def _broadcast_axes(layers):
    axes = {len(v) for layer in layers for v in layer.values()}
    ndim = max(axes)
    if axes - {1, ndim}:
        mixed = " and ".join(map(str, sorted(axes - {1})))
        raise DlcalcError(f"layers mix {mixed} axes; use one value or {ndim} values")
    return ndim, [{k: v * ndim if len(v) == 1 else v for k, v in layer.items()} for layer in layers]




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
