"""Discrete convolution and cross-correlation (sheet §12.2, §12.3, the K = 4 example of §12.8,
§12.10.2): conv1d, convolve2d, xcorr1d, the conv2d layer, the Toeplitz matrix, 1-D layouts.
Conventions in _convolution.py; NumPy only, imported inside the functions."""

from __future__ import annotations

from dlcalc.catalogue._cnn_rules import conv_out_size
from dlcalc.catalogue._common import rounded, shape_text
from dlcalc.catalogue._convolution import (H_KERNEL, MAX_VECTORISED, MODE, MODE_PARAM, X_SIGNAL, agree, array_result,
                                           as_matrix, as_vector, bounded, convolve, crop, full_convolution, mode_window)
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import AXES, INT, MATRIX, VECTOR, Param, choice, erratum, formula
from dlcalc.core.result import Result

SECTION = "12.2"

# ---- conv1d --------------------------------------------------------------------------------


def conv1d(x, h, mode):
    x, h = as_vector(x, "x"), as_vector(h, "h")
    out = convolve(x, h, mode)
    start, _ = mode_window(len(x), len(h), mode, max(len(x), len(h)))
    swapped = convolve(h, x, mode)
    return array_result(
        out,
        steps=[f"(x∗h)[u] = Σ_t x[t]·h[u − t], {mode}: u = {start}…{start + len(out) - 1} of the full range 0…{len(x) + len(h) - 2}",
               "commutative: h∗x gives the same " + ("values" if agree(out, swapped) else "values up to rounding")],
        extra={"first_index": start},
    )


formula(
    name="conv1d",
    section=SECTION,
    catalogue_id="CNN-DCONV",
    summary="Discrete 1-D convolution (the true one, kernel flipped), as NumPy's np.convolve",
    params=(X_SIGNAL, H_KERNEL, MODE_PARAM),
    formula="(x∗h)[u] = Σ_t x[t]·h[u − t] = Σ_t x[u − t]·h[t]",
    latex=r"(f * h)[u] = \sum_{t} f[t]\, h[u-t] = \sum_{t} f[u-t]\, h[t]",
    compute=conv1d,
    examples=(
        ("--x 1,2,3 --h 1,0,-1", "1.0,2.0,2.0,-2.0,-3.0"),
        ("--x 1,2,3 --h 1,0,-1 --mode valid", "2.0"),
        ("--x 1,2,3,4 --h 1,1 --mode same", "1.0,3.0,5.0,7.0"),
    ),
    notes="full: length n + m − 1; valid: |n − m| + 1; same: max(n, m), centred as np.convolve.",
)


# ---- n-dimensional (2-D) convolution -------------------------------------------------------


_E44 = erratum(
    "E44",
    title="multidimensional discrete convolution domain",
    sheet="f, h: ℝ^d → ℝ, evaluated with round brackets f(t1, …, td)",
    correct="f, h: ℤ^d → ℝ (arrays), with square brackets: (f∗h)[u] = Σ_{t∈ℤ^d} f[t]·h[u − t]",
    command="dlcalc convolve2d --x '[[1,2],[3,4]]' --h '[[1,1],[1,1]]'",
)


def _valid_fits(x, h):
    smaller = all(a <= b for a, b in zip(x.shape, h.shape))
    larger = all(a >= b for a, b in zip(x.shape, h.shape))
    if not (smaller or larger):
        raise DlcalcError(f"valid mode needs one input at least as large as the other on every axis, "
                          f"got {shape_text(x.shape)} and {shape_text(h.shape)}")


def convolve2d(x, h, mode):
    x, h = as_matrix(x, "x"), as_matrix(h, "h")
    if mode == "valid":
        _valid_fits(x, h)
    out = convolve(x, h, mode, same_as_first=True)
    return array_result(out, steps=[
        "(x∗h)[u, v] = Σ_t Σ_s x[t, s]·h[u − t, v − s]   (indices in ℤ², zero outside the arrays)",
        f"{mode}: {shape_text(x.shape)} ∗ {shape_text(h.shape)} → {shape_text(out.shape)}"])


formula(
    name="convolve2d",
    section=SECTION,
    catalogue_id="CNN-DCONV-ND",
    summary="Discrete 2-D convolution (kernel flipped on both axes), as scipy.signal.convolve2d",
    params=(Param("x", MATRIX, "the signal, e.g. [[1,2],[3,4]] or 1,2;3,4"),
            Param("h", MATRIX, "the kernel"),
            Param("mode", MODE, "full, valid or same (the shape of x, centred)", default="full")),
    formula="(x∗h)[u₁, u₂] = Σ_{t₁} Σ_{t₂} x[t₁, t₂]·h[u₁ − t₁, u₂ − t₂]",
    latex=r"(f * h)[\mathbf{u}] = \sum_{\mathbf{t} \in \mathbb{Z}^d} f[\mathbf{t}]\, h[\mathbf{u} - \mathbf{t}]",
    compute=convolve2d,
    errata=(_E44,),
    examples=(
        ("--x '[[1,2],[3,4]]' --h '[[1,1],[1,1]]'", "[[1.0, 3.0, 2.0], [4.0, 10.0, 6.0], [3.0, 7.0, 4.0]]"),
        ("--x '1,2,3;4,5,6;7,8,9' --h '1,0;0,-1' --mode valid", "[[4.0, 4.0], [4.0, 4.0]]",
         "the kernel is flipped: conv2d (cross-correlation) gives −4"),
    ),
    notes="d = 2 here (a MATRIX input); the definition is the same on ℤ^d for any d.",
)


# ---- cross-correlation ---------------------------------------------------------------------


_E45 = erratum(
    "E45",
    title="cross-correlation notation and identity",
    sheet="(h * f)[u] := Σ h[t] f[u+t] (the convolution star), then (h̃ * f)[u] = (f * h̃)[u] with h̃(t) = h(−t)",
    correct="(h⋆f)[u] = Σ_t h[t] f[u+t] = (h̃∗f)[u], h̃[t] = h[−t]: correlation is convolution with the "
    "flipped kernel. It is not commutative: (h⋆f)[u] = (f⋆h)[−u]; the sheet's displayed line is only "
    "the commutativity of ∗",
    command="dlcalc xcorr1d --x 1,2,3 --h 0,1,2 --mode full",
)


def correlation_window(n, m, mode):
    """(start, length) inside the full correlation, as np.correlate: for 'same' with a longer
    kernel NumPy swaps the inputs and reverses the result, so the centre rounds up."""
    start, length = mode_window(n, m, mode, max(n, m))
    if mode == "same" and m > n:
        start = (n + m - length) // 2
    return start, length


def correlate(x, h, mode):
    """(h⋆x)[u] = Σ_t h[t] x[u + t] in a mode, as np.correlate(x, h, mode): x ∗ h̃, h̃ = h flipped."""
    return crop(full_convolution(x, h[::-1]), [correlation_window(len(x), len(h), mode)])


def xcorr1d(x, h, mode):
    x, h = as_vector(x, "x"), as_vector(h, "h")
    if mode == "valid" and len(h) > len(x):  # np.correlate would swap the inputs; PyTorch refuses
        raise DlcalcError(f"valid mode (PyTorch conv1d) needs a kernel no longer than the input: "
                          f"len(h) = {len(h)} > len(x) = {len(x)} (use --mode full or same)")
    bounded(len(x) * len(h), "--x and --h are", MAX_VECTORISED)
    out = correlate(x, h, mode)
    by_sum = _correlation_by_definition(x, h)
    other_way = _correlation_by_definition(h, x)  # (x⋆h)[u], u over the full range
    symmetric = agree(h, h[::-1])
    start, _ = correlation_window(len(x), len(h), mode)
    first_lag = start - (len(h) - 1)
    steps = [
        f"(h⋆x)[u] = Σ_t h[t]·x[u + t], {mode}: u = {first_lag}…{first_lag + len(out) - 1}",
        "= (h̃∗x)[u] with h̃[t] = h[−t]: conv1d with the flipped kernel "
        + ("(checked against the defining sum)" if agree(crop(by_sum, [(start, len(out))]), out) else "(MISMATCH)"),
        "not commutative: (h⋆x)[u] = (x⋆h)[−u] " + ("(checked)" if agree(by_sum, other_way[::-1]) else "(MISMATCH)"),
        "symmetric kernel: correlation = convolution" if symmetric
        else "the kernel is not symmetric: conv1d gives different values",
    ]
    return array_result(out, steps=steps, extra={
        "first_lag": first_lag, "symmetric_kernel": symmetric,
        "swapped_full": rounded(other_way)})


def _correlation_by_definition(x, h):
    """The full (h⋆x)[u] for u = −(m−1)…n−1 from the defining sum Σ_t h[t]·x[u + t]: the term
    h[t]·x[s] belongs to lag u = s − t. One NumPy step per entry of the shorter input, so the
    Python loop runs min(n, m) ≤ √MAX_VECTORISED times."""
    import numpy as np

    n, m = len(x), len(h)
    out = np.zeros(n + m - 1)  # index u + m − 1
    if m <= n:
        for t in range(m):  # h[t] meets x[s] at index s − t + m − 1, for every s at once
            out[m - 1 - t: m - 1 - t + n] += h[t] * x
    else:
        for s in range(n):  # x[s] meets h[t] at index s + m − 1 − t, for every t at once
            out[s: s + m] += x[s] * h[::-1]
    return out


formula(
    name="xcorr1d",
    section=SECTION,
    catalogue_id="CNN-XCORR",
    summary="Discrete 1-D cross-correlation (what CNN layers call convolution): np.correlate, "
    "PyTorch conv1d in valid mode",
    params=(X_SIGNAL, Param("h", VECTOR, "the kernel h, e.g. 0,1,2"),
            Param("mode", MODE, "full, valid (PyTorch conv1d, no padding) or same", default="valid")),
    formula="(h⋆x)[u] = Σ_t h[t]·x[u + t] = (h̃∗x)[u], h̃[t] = h[−t];  (h⋆x)[u] = (x⋆h)[−u]",
    latex=r"(h \star f)[u] = \sum_t h[t]\, f[u+t] = (\tilde h * f)[u],\quad (h \star f)[u] = (f \star h)[-u]",
    compute=xcorr1d,
    errata=(_E45,),
    examples=(
        ("--x 1,2,3 --h 0,1,2", "8.0", "PyTorch: conv1d(x, h) = 1·0 + 2·1 + 3·2"),
        ("--x 1,2,3 --h 0,1,2 --mode full", "2.0,5.0,8.0,3.0,0.0", "u = −2…2"),
        ("--x 1,2,3,4 --h 1,-1", "-1.0,-1.0,-1.0", "a difference filter, not flipped"),
    ),
    notes="Swapping the inputs reverses the output: xcorr1d --x H --h X --mode full prints this "
    "sequence backwards. For a symmetric kernel it equals conv1d.",
)


# ---- conv2d (cross-correlation layer) ------------------------------------------------------


def conv2d(x, w, stride, padding, dilation):
    import numpy as np

    x, w = as_matrix(x, "x"), as_matrix(w, "w")
    sizes = [conv_out_size(i, k, stride, padding, dilation) for i, k in zip(x.shape, w.shape)]
    if min(sizes) < 1:
        raise DlcalcError(f"the dilated kernel does not fit: input {shape_text(x.shape)} with padding "
                          f"{padding}, kernel {shape_text(w.shape)}, dilation {dilation}")
    bounded(w.size * sizes[0] * sizes[1], "--x and --w are", MAX_VECTORISED)
    padded = np.pad(x, padding)
    out = np.zeros(sizes)
    for k, l in np.ndindex(w.shape):  # each kernel weight meets a strided view of the input
        r, c = dilation * k, dilation * l
        out += w[k, l] * padded[r: r + stride * (sizes[0] - 1) + 1: stride, c: c + stride * (sizes[1] - 1) + 1: stride]
    return array_result(out, steps=[
        f"o(i, j) = Σ_k Σ_l X(S·i + d·k, S·j + d·l)·W(k, l)   (X zero-padded by {padding})",
        f"output {shape_text(out.shape)} = ⌊(I + 2P − d(K − 1) − 1)/S⌋ + 1 per axis"])


formula(
    name="conv2d",
    section="12.8",
    catalogue_id="CNN-K4",
    summary="A CNN conv layer on one channel: 2-D cross-correlation with stride, padding, dilation "
    "(PyTorch conv2d)",
    params=(
        Param("x", MATRIX, "the input image, e.g. 1,2,3;4,5,6;7,8,9"),
        Param("w", MATRIX, "the kernel (weights), not flipped"),
        Param("stride", INT, "stride S", default=1, aliases=("S",), minimum=1),
        Param("padding", INT, "zero padding P per side", default=0, aliases=("P",), minimum=0),
        Param("dilation", INT, "dilation d", default=1, aliases=("d",), minimum=1),
    ),
    formula="o(i, j) = Σ_k Σ_l I(S·i + d·k, S·j + d·l)·W(k, l)",
    latex=r"o(i,j) = \sum_{k}\sum_{l} I(Si + dk,\, Sj + dl)\, W(k,l)",
    compute=conv2d,
    examples=(
        ("--x '1,2,3;4,5,6;7,8,9' --w '1,2;3,4'", "[[37.0, 47.0], [67.0, 77.0]]"),
        ("--x '0,1,2,3,4;5,6,7,8,9;10,11,12,13,14;15,16,17,18,19;20,21,22,23,24' "
         "--w '1,1,1,1;1,1,1,1;1,1,1,1;1,1,1,1'", "[[144.0, 160.0], [224.0, 240.0]]",
         "the sheet's K = 4 example"),
        ("--x '1,2,3;4,5,6;7,8,9' --w '1,1;1,1' --stride 2 --padding 1", "[[1.0, 5.0], [11.0, 28.0]]"),
    ),
    notes="The sheet's K = 4 example is this with a 4×4 W. For several channels, sum conv2d over them.",
)


# ---- Toeplitz matrix -----------------------------------------------------------------------


def toeplitz(h, n, mode):
    """T with T·x = conv1d(x, h, mode): T[u, j] = h[u + start − j] (the kernel shifted down one row
    per column)."""
    import numpy as np

    h = as_vector(h, "h")
    m = len(h)
    start, rows = mode_window(n, m, mode, max(n, m))
    bounded(rows * n, "the matrix is")
    matrix = np.zeros((rows, n))
    for u, j in np.ndindex(rows, n):
        if 0 <= u + start - j < m:
            matrix[u, j] = h[u + start - j]
    return array_result(matrix, steps=[
        f"T[u, j] = h[u + {start} − j]: column j is h moved down j rows; {rows}×{n}, banded",
        "conv1d(x, h) = T·x for every x of length " + str(n)])


formula(
    name="conv-toeplitz",
    section="12.3",
    catalogue_id="CNN-TOEPLITZ",
    summary="The banded (Toeplitz) matrix T with conv1d(x, h) = T·x",
    params=(Param("h", VECTOR, "the kernel h"), Param("n", INT, "length of the input x", minimum=1), MODE_PARAM),
    formula="(x∗h) = T x,  T[u, j] = h[u − j]",
    latex=r"f * h = T f,\quad T_{uj} = h[u-j]",
    compute=toeplitz,
    examples=(
        ("--h 1,2 --n 3", "[[1.0, 0.0, 0.0], [2.0, 1.0, 0.0], [0.0, 2.0, 1.0], [0.0, 0.0, 2.0]]"),
        ("--h 1,0,-1 --n 4 --mode valid", "[[-1.0, 0.0, 1.0, 0.0], [0.0, -1.0, 0.0, 1.0]]"),
    ),
)



# ---- 1-D layout ----------------------------------------------------------------------------


_E52 = erratum(
    "E52",
    title="1-D conv input '(Batch, Length, Channels)'",
    sheet="Input: tensor of shape (Batch, Length, Channels)",
    correct="that is channels-last, as TF/Keras Conv1D; PyTorch nn.Conv1d expects (Batch, Channels, Length)",
    command="dlcalc conv1d-layout --shape 32,100,300",
)

_LAYOUT_NAMES = {"channels-last": "(B, L, C): TF/Keras Conv1D", "channels-first": "(B, C, L): PyTorch nn.Conv1d"}


def conv1d_layout(shape, layout):
    if len(shape) not in (2, 3):
        raise DlcalcError(f"--shape needs 3 sizes (B, L, C) or 2 without the batch, got {len(shape)}")
    *batch, a, b = shape
    target = "channels-first" if layout == "channels-last" else "channels-last"
    permutation = (*range(len(batch)), len(shape) - 1, len(shape) - 2)
    return Result(value=[*batch, b, a],
                  steps=[f"{layout} {_LAYOUT_NAMES[layout]} → {target} {_LAYOUT_NAMES[target]}",
                         f"x.permute{permutation} (PyTorch) / tf.transpose(x, {list(permutation)})"],
                  extra={"layout": target, "permutation": list(permutation)})


formula(
    name="conv1d-layout",
    section="12.10.2",
    catalogue_id="CNN-1D-LAYOUT",
    summary="A 1-D conv input shape in the other framework's layout (channels-last ⟷ channels-first)",
    params=(Param("shape", AXES, "the input shape, e.g. 32,100,300 (B, L, C)", minimum=1),
            Param("layout", choice("channels-last", "channels-first"), "the layout of --shape: channels-last "
                  "(B, L, C; TF/Keras, the sheet) or channels-first (B, C, L; PyTorch)", default="channels-last")),
    formula="(B, L, C) channels-last (TF/Keras)  ⟷  (B, C, L) channels-first (PyTorch)",
    latex=r"(B, L, C) \leftrightarrow (B, C, L)",
    compute=conv1d_layout,
    errata=(_E52,),
    examples=(
        ("--shape 32,100,300", "32,300,100", "sentences of 100 tokens, 300-d embeddings, for PyTorch"),
        ("--shape 16,64,1000 --layout channels-first", "16,1000,64"),
    ),
)
