"""Convolutional networks: parameter counts of one layer, and conv vs fully and locally connected
layers with the same outputs (sheet §12.9, §12.11)."""

from __future__ import annotations

from functools import reduce
from operator import or_

from dlcalc.catalogue._cnn_rules import conv_params, fc_params, kernel_volume, prod
from dlcalc.core.registry import AXES, FLAG, INT, Param, Rule, erratum, formula
from dlcalc.core.result import Result, Table

_C_IN = Param("c-in", INT, "input channels", aliases=("in-channels",), minimum=1)
_NO_BIAS = Param("no-bias", FLAG, "count no bias terms", default=False)


# ---- parameter counts ----------------------------------------------------------------------


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
    vectorised=True,
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


formula(
    name="fc-params",
    vectorised=True,
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
    return prod(i - k + 1 for i, k in zip(I, K))


def locally_connected_params(I, c_in, K, filters, no_bias):
    return _output_positions(I, K) * filters * (prod(K) * c_in + (1 - no_bias))


def dense_equivalent_params(I, c_in, K, filters, no_bias):
    return _output_positions(I, K) * filters * (prod(I) * c_in + (1 - no_bias))


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
    vectorised=True,
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
        "conv": filters * (prod(K) * c_in + bias),
        "fully-connected": dense_equivalent_params(I, c_in, K, filters, no_bias),
        "locally-connected": locally_connected_params(I, c_in, K, filters, no_bias),
    }
    sheet = {"conv": counts["conv"], "fully-connected": None, "locally-connected": None}
    if len(I) == 2:
        sheet["fully-connected"] = _sheet_count(I, c_in, K, filters, prod(I) * c_in)
        sheet["locally-connected"] = _sheet_count(I, c_in, K, filters, prod(K) * c_in)
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
