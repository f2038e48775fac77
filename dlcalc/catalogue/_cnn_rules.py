"""Single-layer CNN rules shared by the cnn_* and convolution_* modules (and by generative's
receptive fields): output sizes, the layer-spec parser, one axis of a receptive field, and the
parameter count of one conv or linear layer. Not a catalogue area: it declares no formula.

The size functions use only arithmetic that works on Python ints and on NumPy integer arrays
alike, so batch mode evaluates them over all rows at once.
"""

from __future__ import annotations

from functools import reduce
from operator import mul

from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import SAME, erratum

# Cited by pool-out (cnn_sizes) and pool (convolution_backprop): registered with the rules both use.
E49 = erratum(
    "E49",
    title="max-pooling indexing",
    sheet="x_{ij}^max = max{x_{i+k}} (a stray j and no stride)",
    correct="x_i^max = max{x_{s·i+k} : 0 ≤ k < r}; the output size follows the conv formula "
    "with K = r and S = s (usually s = r)",
    command="dlcalc pool-out --I 32 --K 2",
)


def prod(values):
    """Product of per-axis values (ints or NumPy arrays)."""
    return reduce(mul, values, 1)


def effective_kernel(K, d):
    return d * (K - 1) + 1


# ---- convolution sizes ---------------------------------------------------------------------


def same_padding_total(K, d):
    return d * (K - 1)


def conv_padding_total(P, K, d):
    # 'same' (the SAME sentinel) pads d(K-1) in total; a number P pads 2P. Written as a sum of
    # masked terms so that it works on ints and on NumPy arrays alike.
    return (P == SAME) * same_padding_total(K, d) + (P != SAME) * (2 * P)


def conv_out_size(I, K, S, P, d):
    return (I + conv_padding_total(P, K, d) - d * (K - 1) - 1) // S + 1


# ---- layer specs and receptive fields --------------------------------------------------------

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


def _spread(support, copies, step):
    """support | support << step | … | support << (copies − 1)·step: the offsets a kernel of ``copies``
    taps reaches, by doubling, in O(log copies) big-integer steps (a loop over the taps is quadratic)."""
    result, block, count, offset = 0, support, 1, 0  # block holds ``count`` consecutive copies
    while copies:
        if copies & 1:
            result |= block << offset
            offset += count * step
        copies >>= 1
        if copies:
            block |= block << (count * step)
            count *= 2
    return result


def receptive_field_axis(layers):
    """Per-layer (r, j, start, nonzero) along one axis; layers hold scalars k, s, d, (pb, pa)."""
    r, j, start, support = 1, 1, 0, 1  # support: bit t set <=> offset t of the field contributes
    rows = []
    for layer in layers:
        k, s, d, (pad_before, _) = layer["k"], layer["s"], layer["d"], layer["p"]
        r += (k - 1) * d * j
        start -= pad_before * j
        if support is not None and r <= _NONZERO_LIMIT:
            support = _spread(support, k, d * j)
        else:
            support = None
        j *= s
        rows.append({"r": r, "j": j, "start": start, "nonzero": None if support is None else support.bit_count()})
    return rows


# ---- parameters of one layer -------------------------------------------------------------------


def kernel_volume(K, dims):
    """K×K×… entries: one K value spans ``dims`` axes; several K values give the axes."""
    return prod(K) if len(K) > 1 else K[0] ** dims


def conv_params(c_in, c_out, K, dims, groups, no_bias):
    return c_out * (c_in // groups) * kernel_volume(K, dims) + (1 - no_bias) * c_out


def fc_params(in_, out, no_bias):
    return in_ * out + (1 - no_bias) * out
