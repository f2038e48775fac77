"""Generative models, autoregressive models (sheet §19.6): bits per dimension, MADE masks, and the
receptive field of masked (causal) convolutions.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import matrix_text, rounded
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, INT, TEXT, VECTOR, Param, choice, formula
from dlcalc.core.result import Result


# ---- bits per dimension --------------------------------------------------------------------------------


def bits_per_dim(nll, dims, base):
    nats = nll if base == "e" else nll * math.log(2)
    return nats / (dims * math.log(2))


formula(
    name="bits-per-dim",
    section="19.6",
    catalogue_id="AR-BPD",
    summary="Bits per dimension from a negative log-likelihood: NLL / (D · ln 2)",
    params=(
        Param("nll", FLOAT, "negative log-likelihood of one sample (in --base)", minimum=0),
        Param("dims", INT, "dimensions D (e.g. 32·32·3 = 3072)", minimum=1),
        Param("base", choice("e", "2"), "unit of --nll: nats (e) or bits (2)", default="e"),
    ),
    formula="bits/dim = NLL_nats / (D ln 2)",
    latex=r"\mathrm{bpd} = \frac{\mathrm{NLL}}{D\ln 2}",
    compute=lambda nll, dims, base: bits_per_dim(nll, dims, base),
    present=rounded,
    examples=(
        ("--nll 6144 --dims 3072 --base 2", "2.0"),
        ("--nll 2129.3 --dims 3072", "0.999977392762", "≈ 1 bit per dimension"),
    ),
)


# ---- autoregressive models: MADE masks and masked convolutions -------------------------------------------


def made_masks(input_degrees, hidden_degrees, strict_output=True):
    """MADE's masks (Germain et al. 2015), each shaped (units out × units in): a hidden unit of degree m
    sees units of degree ≤ m; output d (degree m_d) sees hidden units of degree < m_d.
    strict_output=False uses ≤ for the outputs too, which breaks the autoregressive property."""
    import numpy as np

    degrees = [np.array(input_degrees)] + [np.array(h) for h in hidden_degrees]
    masks = [(after[:, None] >= before[None, :]).astype(int) for before, after in zip(degrees, degrees[1:])]
    last, outputs = degrees[-1], degrees[0]
    masks.append((outputs[:, None] > last[None, :] if strict_output else outputs[:, None] >= last[None, :]).astype(int))
    return masks


def mask_connectivity(masks):
    """Number of paths from input j to output i through the masked layers: the product of the masks."""

    paths = masks[0]
    for mask in masks[1:]:
        paths = mask @ paths
    return paths


MAX_UNITS = 4096  # masks and their product are units × units: 1.7e7 entries at the limit


def made(order, hidden):
    import numpy as np

    D = len(order)
    if max(D, *(len(h) for h in hidden)) > MAX_UNITS:
        raise DlcalcError(f"at most {MAX_UNITS:,} inputs and units per hidden layer (each mask is out × in)")
    degrees = [int(v) for v in order]
    if sorted(degrees) != list(range(1, D + 1)) or any(v != int(v) for v in order):
        raise DlcalcError(f"--order must be a permutation of 1..{D} (the input degrees)")
    layers = [[int(v) for v in h] for h in hidden]
    if any(v != int(v) or not 1 <= v <= D - 1 for h in hidden for v in h):
        raise DlcalcError(f"--hidden degrees must be whole numbers from 1 to {D - 1}")
    masks = made_masks(degrees, layers)
    connected = (mask_connectivity(masks) > 0).astype(int)
    allowed = (np.array(degrees)[:, None] > np.array(degrees)[None, :]).astype(int)
    autoregressive = bool(np.all(connected <= allowed))
    return Result(value=rounded(connected), plain=matrix_text(connected),
                  steps=["hidden: M[k, j] = 1 iff m(k) ≥ m(j);  output: M[d, k] = 1 iff m_d > m(k)",
                         "row i, column j: does output i depend on input j? (it may only if m_j < m_i)",
                         f"autoregressive: {autoregressive}; {int(connected.sum())} of {int(allowed.sum())} allowed "
                         "dependencies are realised"],
                  extra={"masks": [rounded(m) for m in masks], "autoregressive": autoregressive,
                         "complete": bool(np.array_equal(connected, allowed))})


formula(
    name="made",
    section="19.6",
    catalogue_id="AR-MADE",
    summary="MADE masks from input and hidden degrees; prints which output depends on which input",
    params=(
        Param("order", VECTOR, "degree of each input (a permutation of 1..D; 1,2,…,D is the natural order)"),
        Param("hidden", VECTOR, "degrees of one hidden layer's units (1..D−1); repeat for deeper nets",
              multiple=True),
    ),
    formula="M^{hidden}_{kj} = [m(k) ≥ m(j)],  M^{out}_{dk} = [m_d > m(k)]  ⇒  ∂ŷ_i/∂x_j = 0 unless m_j < m_i",
    latex=r"M^{\mathrm{out}}_{dk} = [m_d > m(k)],\ M_{kj} = [m(k) \ge m(j)]",
    compute=made,
    examples=(
        ("--order 1,2,3 --hidden 1,2,1,2", "[[0, 0, 0], [1, 0, 0], [1, 1, 0]]", "strictly lower triangular"),
        ("--order 3,1,2 --hidden 1,2", "[[0, 1, 1], [0, 0, 0], [0, 1, 0]]", "x₂ first, then x₃, then x₁"),
    ),
    notes="--json adds the masks (one per layer, units out × units in) and whether every allowed dependency is "
    "realised.",
)


_MASK_TAPS = {  # (taps kept of a kernel of size k, offset of the newest tap) along the sequence
    "causal": (lambda k: k, 0),  # WaveNet: k taps ending at the current position
    "b": (lambda k: (k + 1) // 2, 0),  # PixelCNN mask B: the past half and the centre
    "a": (lambda k: (k - 1) // 2, 1),  # mask A: the past half only (the first layer)
}


def masked_receptive_field(layers, first):
    from dlcalc.catalogue._cnn_rules import parse_layers, receptive_field_axis

    parsed = parse_layers(" ; ".join(layers))
    causal = []
    for number, layer in enumerate(parsed):
        if len(layer["k"]) != 1 or len(layer["d"]) != 1 or layer["s"] != (1,) or layer["p"] != ((0, 0),):
            raise DlcalcError(f"layer {number + 1}: a masked 1-D convolution takes one k and d (stride 1, no p)")
        kind = first if number == 0 else ("causal" if first == "causal" else "b")
        if kind != "causal" and layer["k"][0] % 2 == 0:
            raise DlcalcError(f"layer {number + 1}: masks A and B need an odd (centred) kernel, got k={layer['k'][0]}")
        taps, _ = _MASK_TAPS[kind]
        if taps(layer["k"][0]) < 1:
            raise DlcalcError(f"layer {number + 1}: mask A of a kernel of size 1 keeps no taps")
        causal.append({"k": taps(layer["k"][0]), "s": 1, "d": layer["d"][0], "p": (0, 0)})
    row = receptive_field_axis(causal)[-1]
    newest = -_MASK_TAPS[first][1] * parsed[0]["d"][0]
    oldest = newest - (row["r"] - 1)
    return Result(value={"size": row["r"], "from": oldest, "to": newest},
                  plain=f"size={row['r']} from={oldest} to={newest}",
                  steps=[f"each masked layer is a causal conv: {', '.join(str(c['k']) for c in causal)} taps "
                         "(mask B: (k+1)/2, mask A: (k−1)/2 and one step back, causal: k)",
                         f"receptive-field of those causal kernels: r = {row['r']}; the output at t sees "
                         f"t{oldest:+d} … t{newest:+d}" + (" (never x_t itself)" if newest < 0 else "")],
                  extra={"nonzero": row["nonzero"], "causal_kernels": [c["k"] for c in causal]})


formula(
    name="masked-receptive-field",
    section="19.6",
    catalogue_id="AR-MASKED-RF",
    summary="Receptive field of a stack of masked (causal) 1-D convolutions: which past positions an output sees",
    params=(
        Param("layers", TEXT, "layers separated by ';', each k=KERNEL[,d=DILATION] (stride 1, no padding)",
              aliases=("layer",), multiple=True),
        Param("first", choice("causal", "a", "b"), "mask of the first layer: causal (WaveNet), a (PixelCNN's mask A, "
              "excludes x_t) or b (mask B); later layers use B (or causal)", default="causal"),
    ),
    formula="mask B keeps (k+1)/2 taps, A keeps (k−1)/2 and shifts by one step; then r_l = r_{l−1} + (k_l − 1)·d_l",
    latex=r"r_l = r_{l-1} + (k_l^{\mathrm{causal}} - 1)\,d_l",
    compute=masked_receptive_field,
    examples=(
        ("--layers 'k=2,d=1; k=2,d=2; k=2,d=4; k=2,d=8'", "size=16 from=-15 to=0", "WaveNet: 2^L past positions"),
        ("--layers 'k=3; k=3; k=3' --first a", "size=3 from=-3 to=-1",
         "PixelCNN 1-D: A keeps 1 tap one step back, B keeps 2: 1 + 1 + 1"),
    ),
    notes="Uses receptive-field's recursion on the kept taps. --json adds nonzero (holes from dilation).",
)
