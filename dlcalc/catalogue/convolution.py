"""Convolution and cross-correlation (sheet §12.1–12.6, the K = 4 example of §12.8, §12.10.2).

Discrete signals are finite arrays on ℤ: an array ``a`` whose first entry sits at index ``origin``
is the function t ↦ a[t − origin] on its support and 0 elsewhere. Convolution is the true one,
(f∗h)[u] = Σ_t f[t] h[u − t]; cross-correlation, (h⋆f)[u] = Σ_t h[t] f[u + t], is what CNN layers
(PyTorch's conv1d/conv2d) compute. Modes follow NumPy (1-D) and scipy.signal.convolve2d (2-D).

The numeric commands use NumPy only, imported inside the functions; SymPy appears only in the
``prove`` functions of the identities (continuous convolution and the Fourier transform).
"""

from __future__ import annotations

from dlcalc.catalogue._common import (
    ABSENT,
    declare_identity,
    finite_array,
    given,
    matrix_result,
    rounded,
    shape_text,
    vector_result,
    vector_text,
)
from dlcalc.catalogue.cnn import conv_out_size
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import AXES, FLAG, INT, MATRIX, VECTOR, Param, choice, erratum, formula
from dlcalc.core.result import Result, Table

SECTION = "12.2"
TOLERANCE = 1e-9  # relative: two computed arrays agree when max |a − b| ≤ TOLERANCE · scale
MAX_TERMS = 2_000_000  # products summed term by term (the checks by definition): more is an error, not a hang
MAX_VECTORISED = 100_000_000  # products computed by NumPy array operations

MODE = choice("full", "valid", "same")
_X = Param("x", VECTOR, "the signal x (f), e.g. 1,2,3")
_H = Param("h", VECTOR, "the kernel h, e.g. 1,0,-1")
_MODE = Param("mode", MODE, "full (every overlap), valid (full overlap only) or same (NumPy's "
              "np.convolve: the length of the longer input, centred)", default="full")


# ---- arrays and their display --------------------------------------------------------------


def _vector(values, name):
    return finite_array(values, f"--{name}")


_matrix = _vector  # a MATRIX value arrives as nested rows; the check is the same


def array_result(array, **fields):
    """A Result for a NumPy array: a vector (1-D) prints as 0.1,0.2, a matrix (2-D) as [[...], ...]."""
    return (vector_result if array.ndim == 1 else matrix_result)(array, **fields)


def bounded(terms, what, limit=MAX_TERMS):
    """Refuse inputs whose sums would take too long (an error, not a hang)."""
    if terms > limit:
        raise DlcalcError(f"{what} too large: {terms:,} terms to sum (at most {limit:,})")


def max_difference(a, b):
    import numpy as np

    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)), initial=0.0))


def agree(a, b):
    import numpy as np

    scale = max(1.0, float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    return np.shape(a) == np.shape(b) and max_difference(a, b) <= TOLERANCE * scale


# ---- the convolution itself ----------------------------------------------------------------


def full_convolution(x, h):
    """(x∗h)[u] = Σ_t x[t] h[u − t] for arrays of any (equal) number of axes: every overlap."""
    import numpy as np

    bounded(x.size * h.size, "the inputs are", MAX_VECTORISED)
    out = np.zeros(tuple(a + b - 1 for a, b in zip(x.shape, h.shape)))
    for index in np.ndindex(h.shape):  # add x shifted by each kernel position, weighted by h
        out[tuple(slice(i, i + n) for i, n in zip(index, x.shape))] += h[index] * x
    return out


def mode_window(n, m, mode, same_length):
    """(start, length) inside the full convolution of lengths n and m along one axis."""
    full = n + m - 1
    if mode == "full":
        return 0, full
    if mode == "valid":
        return min(n, m) - 1, abs(n - m) + 1
    return (full - same_length) // 2, same_length


def crop(full, windows):
    return full[tuple(slice(start, start + length) for start, length in windows)]


def convolve(x, h, mode, same_as_first=False):
    """Convolution in a mode: NumPy's np.convolve (same: the longer length) or, with
    ``same_as_first``, scipy.signal.convolve2d (same: the shape of x)."""
    windows = [mode_window(n, m, mode, n if same_as_first else max(n, m)) for n, m in zip(x.shape, h.shape)]
    return crop(full_convolution(x, h), windows)


# ---- conv1d --------------------------------------------------------------------------------


def conv1d(x, h, mode):
    x, h = _vector(x, "x"), _vector(h, "h")
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
    params=(_X, _H, _MODE),
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
    x, h = _matrix(x, "x"), _matrix(h, "h")
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
    x, h = _vector(x, "x"), _vector(h, "h")
    bounded(len(x) * len(h), "--x and --h are")
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
    """The full (h⋆x)[u] for u = −(m−1)…n−1, summed term by term (no flipping)."""
    import numpy as np

    n, m = len(x), len(h)
    lags = range(-(m - 1), n)
    return np.array([sum(h[t] * x[u + t] for t in range(m) if 0 <= u + t < n) for u in lags], dtype=float)


formula(
    name="xcorr1d",
    section=SECTION,
    catalogue_id="CNN-XCORR",
    summary="Discrete 1-D cross-correlation (what CNN layers call convolution): np.correlate, "
    "PyTorch conv1d in valid mode",
    params=(_X, Param("h", VECTOR, "the kernel h, e.g. 0,1,2"),
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

    x, w = _matrix(x, "x"), _matrix(w, "w")
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

    h = _vector(h, "h")
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
    params=(Param("h", VECTOR, "the kernel h"), Param("n", INT, "length of the input x", minimum=1), _MODE),
    formula="(x∗h) = T x,  T[u, j] = h[u − j]",
    latex=r"f * h = T f,\quad T_{uj} = h[u-j]",
    compute=toeplitz,
    examples=(
        ("--h 1,2 --n 3", "[[1.0, 0.0, 0.0], [2.0, 1.0, 0.0], [0.0, 2.0, 1.0], [0.0, 0.0, 2.0]]"),
        ("--h 1,0,-1 --n 4 --mode valid", "[[-1.0, 0.0, 1.0, 0.0], [0.0, -1.0, 0.0, 1.0]]"),
    ),
)


# ---- receptive-field sets ------------------------------------------------------------------


_E47 = erratum(
    "E47",
    title="receptive-field gradient statement",
    sheet="∀ j ≠ 𝓘_l^i: ∂𝓛/∂x^l_{aj} = 0",
    correct="∀ j ∉ 𝓘_l^i: ∂x_i^l/∂x_j^{l−1} = 0 (an output unit does not depend on inputs outside its "
    "receptive field 𝓘_l^i = {j : W^l_ij ≠ 0})",
    command="dlcalc rf-set --W '1,1,0,0;0,1,1,0;0,0,1,1' --W '1,1,0;0,1,1'",
)


def rf_set(W):
    import numpy as np

    layers = [np.abs(_matrix(w, "W")) for w in W]
    reach = layers[0]
    for number, layer in enumerate(layers[1:], start=2):
        if layer.shape[1] != reach.shape[0]:
            raise DlcalcError(f"--W number {number} has {layer.shape[1]} columns but layer {number - 1} "
                              f"has {reach.shape[0]} outputs")
        reach = (layer > 0).astype(float) @ (reach > 0).astype(float)  # a path of nonzero weights
    sets = [[int(j) for j in np.flatnonzero(row)] for row in reach]
    plain = " ".join("{" + ",".join(map(str, s)) + "}" for s in sets)
    table = Table(columns=["output i", "receptive field 𝓘_i"], rows=[[i, plain.split(" ")[i]] for i in range(len(sets))])
    return Result(value=sets, plain=plain, table=table,
                  steps=["𝓘_i = {j : W_ij ≠ 0}; through layers, j reaches i along a path of nonzero weights",
                         "∂x_i/∂x_j = 0 for every j ∉ 𝓘_i"])


formula(
    name="rf-set",
    section="12.5",
    catalogue_id="CNN-RF-SET",
    summary="Receptive-field index sets {j : W_ij ≠ 0} of each output, through one or more layer matrices",
    params=(Param("W", MATRIX, "a layer's weight matrix (e.g. from conv-toeplitz); repeat for a stack, "
                  "first layer first", multiple=True),),
    formula="𝓘_i = {j : W_ij ≠ 0};  ∂x_i/∂x_j = 0 for j ∉ 𝓘_i",
    latex=r"\mathcal{I}_l^i = \{ j : W^l_{ij} \neq 0 \},\quad \frac{\partial x^l_i}{\partial x^{l-1}_j} = 0 \;\forall j \notin \mathcal{I}_l^i",
    compute=rf_set,
    errata=(_E47,),
    examples=(
        ("--W '1,0,0;2,1,0;0,2,1;0,0,2'", "{0} {0,1} {1,2} {2}", "the full conv with h = 1,2"),
        ("--W '1,1,0,0;0,1,1,0;0,0,1,1' --W '1,1,0;0,1,1'", "{0,1,2} {1,2,3}", "two valid 2-tap layers: 3 inputs"),
    ),
    notes="Sets are structural: a path of nonzero weights counts even if values happen to cancel.",
)


# ---- shift equivariance --------------------------------------------------------------------


_E43 = erratum(
    "E43",
    title="'Convs are shift-invariant'",
    sheet="Convs are shift-invariant: (f_Δ ∗ h) = (f ∗ h)_Δ",
    correct="the formula is right and says shift-EQUIVARIANT: the output shifts with the input. "
    "Invariance, (f_Δ ∗ h) = (f ∗ h), is false in general",
    command="dlcalc conv-shift-check --x 1,2,3 --h 1,1 --delta 1",
)


def _lookup(a, t, period):
    """a[t] for a signal on 0…len−1 (0 outside), or periodic with the given period."""
    if period:
        t %= period
    return a[t] if 0 <= t < len(a) else 0.0


def _conv_at(f, h, u, period, shift=0):
    """(f_shift ∗ h)[u] = Σ_t f[t + shift]·h[u − t], summed over every t that can contribute."""
    ts = range(period) if period else range(-shift - len(h), len(f) - shift + len(h))
    return float(sum(_lookup(f, t + shift, period) * _lookup(h, u - t, period) for t in ts))


def shift_check(x, h, delta, circular):
    x, h = _vector(x, "x"), _vector(h, "h")
    period = len(x) if circular else 0
    bounded(3 * (len(x) + len(h) + abs(delta)) ** 2, "--x, --h and --delta are")
    if circular and len(h) > len(x):
        raise DlcalcError(f"--circular needs the kernel no longer than x, got {len(h)} > {len(x)}")
    span = range(period) if circular else range(min(0, -delta), len(x) + len(h) - 1 + max(0, -delta))
    shifted_input = [_conv_at(x, h, u, period, shift=delta) for u in span]
    shifted_output = [_conv_at(x, h, u + delta, period) for u in span]
    unshifted = [_conv_at(x, h, u, period) for u in span]
    equivariant, invariant = agree(shifted_input, shifted_output), agree(shifted_input, unshifted)
    where = f"u = {span[0]}…{span[-1]}" + (f" (mod {period})" if circular else "")
    return Result(
        value={"equivariant": equivariant, "invariant": invariant},
        steps=[f"f_Δ(t) = f(t + Δ), Δ = {delta}; {where}",
               f"(f_Δ∗h)[u] = {vector_text(shifted_input)}",
               f"(f∗h)_Δ[u] = {vector_text(shifted_output)}  → equivariant: {str(equivariant).lower()}",
               f"(f∗h)[u]   = {vector_text(unshifted)}  → invariant: {str(invariant).lower()}"],
        extra={"shifted_input": rounded(shifted_input), "shifted_output": rounded(shifted_output),
               "unshifted": rounded(unshifted)},
        holds=equivariant,
    )


formula(
    name="conv-shift-check",
    section="12.1",
    catalogue_id="CNN-SHIFT",
    summary="Shift the input by Δ: the convolution shifts with it (equivariant), it is not unchanged (invariant)",
    params=(_X, _H, Param("delta", INT, "the shift Δ (f_Δ(t) = f(t + Δ)), any sign"),
            Param("circular", FLAG, "periodic signals of period len(x) (circular convolution)", default=False)),
    formula="(f_Δ∗h)(u) = (f∗h)_Δ(u),  f_Δ(t) = f(t + Δ)",
    latex=r"(f_\Delta * h)(u) = (f * h)_\Delta(u),\quad f_\Delta(t) = f(t+\Delta)",
    compute=shift_check,
    kind="claim",
    errata=(_E43,),
    examples=(
        ("--x 1,2,3 --h 1,1 --delta 1", "equivariant=true invariant=false"),
        ("--x 1,2,3,4 --h 1,-1 --delta 2 --circular", "equivariant=true invariant=false"),
        ("--x 2,2,2 --h 1,-1 --delta 1 --circular", "equivariant=true invariant=true",
         "a constant periodic signal is unchanged by shifts, so its output is too"),
    ),
    notes="Exit 0: equivariance holds (it always does). 'invariant' reports whether the output happens "
    "to be unchanged by the shift.",
)


# ---- circular convolution and the DFT ------------------------------------------------------


def circular_conv(x, h, n):
    import numpy as np

    x, h = _vector(x, "x"), _vector(h, "h")
    size = max(len(x), len(h)) if not given(n) else n
    bounded(size * size, "--n is")
    if size < max(len(x), len(h)):
        raise DlcalcError(f"--n {size} is shorter than the inputs ({len(x)} and {len(h)})")
    direct = np.array([_conv_at(x, h, u, size) for u in range(size)], dtype=float)
    via_fft = np.real(np.fft.ifft(np.fft.fft(x, size) * np.fft.fft(h, size)))
    linear = size >= len(x) + len(h) - 1
    return array_result(
        direct,
        steps=["(x⊛h)[u] = Σ_t x[t]·h[(u − t) mod N], N = " + str(size),
               f"DFT(x⊛h) = DFT(x)·DFT(h): ifft(fft(x)·fft(h)) agrees to {max_difference(direct, via_fft):.2g}",
               "N ≥ len(x) + len(h) − 1: equals the linear convolution (conv1d --mode full)" if linear
               else "N < len(x) + len(h) − 1: the tail wraps around; this is not conv1d"],
        extra={"N": size, "via_fft": rounded(via_fft.tolist()), "max_difference": max_difference(direct, via_fft),
               "equals_linear": linear},
    )


_E42 = erratum(
    "E42",
    title="'Convolution Theorem: any linear, translation-invariant transformation … is a convolution'",
    sheet="T. (Convolution Theorem) Any linear, translation-invariant transformation T can be written as a "
    "convolution with a suitable h",
    correct="that is the characterisation of LTI operators (translation-invariant meaning commuting with "
    "shifts, i.e. equivariant); the convolution theorem is 𝓕(f∗h) = 𝓕f·𝓕h (DFT: circular convolution)",
    command="dlcalc lti-check --T '1,0,2;2,1,0;0,2,1'",
)

formula(
    name="circular-conv",
    section="12.1",
    catalogue_id="CNN-CONVTHM",
    summary="Circular convolution of length N, directly and by the DFT convolution theorem",
    params=(_X, _H, Param("n", INT, "period N (default: the longer input); N ≥ len(x) + len(h) − 1 gives "
                          "the linear convolution", default=ABSENT, aliases=("N",), minimum=1)),
    formula="DFT(x⊛h) = DFT(x)·DFT(h),  (x⊛h)[u] = Σ_t x[t]·h[(u − t) mod N]",
    latex=r"\mathcal{F}(f \circledast h) = \mathcal{F}f \cdot \mathcal{F}h",
    compute=circular_conv,
    errata=(_E42,),
    examples=(
        ("--x 1,2,3 --h 1,1", "4.0,3.0,5.0", "the 3 wraps round to u = 0"),
        ("--x 1,2,3 --h 1,1 --n 4", "1.0,3.0,5.0,3.0", "zero-padded: the linear convolution"),
    ),
)


# ---- LTI characterisation ------------------------------------------------------------------


def lti_check(T):
    import numpy as np

    T = _matrix(T, "T")
    n = T.shape[0]
    bounded(n * n, "--T is")
    if T.shape != (n, n):
        raise DlcalcError(f"--T must be square (an operator on signals of one length), got {shape_text(T.shape)}")
    shift = np.roll(np.eye(n), 1, axis=0)  # (shift·x)[t] = x[t − 1], periodic
    equivariant = agree(T @ shift, shift @ T)
    kernel = T[:, 0]  # the impulse response: T applied to the unit impulse
    circulant = np.array([[kernel[(u - t) % n] for t in range(n)] for u in range(n)])
    convolution = agree(T, circulant)
    value = {"shift-equivariant": equivariant, "convolution": convolution}
    if convolution:
        value["kernel"] = rounded(kernel)
    return Result(
        value=value,
        steps=["T is linear (a matrix); shift-equivariant ⟺ T·S = S·T for the cyclic shift S",
               "then T x = h ⊛ x with h = T e₀ (the impulse response), so T is a (circular) convolution",
               f"here: equivariant {str(equivariant).lower()}, T = circulant(T e₀) {str(convolution).lower()}"],
        holds=convolution == equivariant,
    )


formula(
    name="lti-check",
    section="12.1",
    catalogue_id="CNN-LTI",
    summary="Is a linear operator on periodic signals shift-equivariant, and hence a convolution "
    "(with its impulse response)?",
    params=(Param("T", MATRIX, "an n×n matrix acting on signals of length n (periodic)"),),
    formula="T linear and T·S = S·T (shift-equivariant)  ⟺  T x = h ⊛ x with h = T e₀",
    latex=r"T S_\Delta = S_\Delta T \iff T f = h \circledast f,\; h = T\delta",
    compute=lti_check,
    kind="claim",
    errata=(_E42,),
    examples=(
        ("--T '1,0,2;2,1,0;0,2,1'", "shift-equivariant=true convolution=true kernel=1.0,2.0,0.0"),
        ("--T '1,0;0,2'", "shift-equivariant=false convolution=false", "a position-dependent gain"),
    ),
    notes="Exit 0 when 'equivariant ⟺ convolution' holds, as the LTI characterisation says it must.",
)


# ---- backpropagation through a convolution -------------------------------------------------


_E48 = erratum(
    "E48",
    title="backprop-as-convolution derivation",
    sheet="∂𝓡/∂w_i = Σ_k δ_k y_{k−i} = Σ_k δ_k y_{−(k−i)} = Σ_k δ_k rot180(y)_{k−i} = (δ ∗ rot180(y))_i",
    correct="∂𝓡/∂w_i = Σ_k δ_k x_{k−i} = Σ_k δ_k rot180(x)_{i−k} = (δ ∗ rot180(x))_i: the final line is "
    "right, two middle steps are wrong and cancel. The input gradient is δ ∗ rot180(w) (a full convolution)",
    command="dlcalc conv-weight-grad --x 1,2,3 --delta 1,2",
)

_GRAD_MODE = Param("mode", choice("valid", "full"), "the forward convolution y = x∗w: valid (as in a CNN "
                   "layer, δ has n − m + 1 entries) or full (n + m − 1)", default="valid")
_DELTA = Param("delta", VECTOR, "δ = ∂𝓡/∂y, one entry per output y_k")


def _other_length(known, outputs, mode):
    """The length of the missing factor of y = x∗w from the known one and len(y)."""
    length = known - outputs + 1 if mode == "valid" else outputs - known + 1
    if length < 1 or (mode == "valid" and length > known):
        raise DlcalcError(f"--delta has {outputs} entries, which no {mode} convolution with a length-{known} "
                          "input gives" + (f" (at most {known})" if mode == "valid" else f" (at least {known})"))
    return length


def conv_gradient(other, delta, origin, length):
    """(δ ∗ rot180(other)) at indices 0…length−1, where δ starts at index ``origin`` and other at 0."""
    full = full_convolution(delta, other[::-1])  # its first entry sits at origin − (len(other) − 1)
    start = len(other) - 1 - origin
    return full[start: start + length]


def _forward(x, w, mode):
    return convolve(x, w, mode) if mode == "full" else crop(full_convolution(x, w), [(len(w) - 1, len(x) - len(w) + 1)])


FD_POINTS = 32  # coordinates checked by finite differences (evenly spaced)


def _finite_difference(loss, size, cost):
    """Central differences of a scalar function of ``size`` variables, at 0, for up to FD_POINTS
    coordinates: (indices, derivatives), or None when ``cost`` (products per evaluation of
    ``loss``) makes the check too slow. Exact up to rounding for the linear losses used here."""
    import numpy as np

    indices = np.unique(np.linspace(0, size - 1, min(size, FD_POINTS)).astype(int))
    if 2 * len(indices) * cost > MAX_VECTORISED:
        return None
    step = 1e-3
    values = [(loss(step * _unit(size, i)) - loss(-step * _unit(size, i))) / (2 * step) for i in indices]
    return indices, np.array(values)


def _unit(size, i):
    import numpy as np

    e = np.zeros(size)
    e[i] = 1.0
    return e


def _gradient_result(grad, check, formula_line, **fields):
    steps = fields.setdefault("steps", [])
    steps.insert(0, formula_line)
    if check is None:
        steps.append("finite-difference check skipped: the input is too large")
    else:
        indices, values = check
        error = max_difference(grad[indices], values)
        steps.append(f"finite differences of 𝓡 = Σ_k δ_k y_k at {len(indices)} coordinates agree to {error:.2g}")
        fields.setdefault("extra", {})["finite_difference_max_error"] = error
    return array_result(grad, **fields)


def _kernel_problem(x, delta, mode):
    """Arrays x and δ, the kernel length m of y = x∗w, and the index of y's first entry."""
    x, delta = _vector(x, "x"), _vector(delta, "delta")
    m = _other_length(len(x), len(delta), mode)
    return x, delta, m, (0 if mode == "full" else m - 1)


def _sheet_middle_step(x, delta, origin, m):
    """The sheet's Σ_k δ_k rot180(x)_(k−i) = Σ_k δ_k x_(i−k), which is not the gradient (E48)."""
    import numpy as np

    return np.array([sum(d * _lookup(x, i - origin - k, 0) for k, d in enumerate(delta)) for i in range(m)])


def conv_weight_grad(x, delta, mode):
    import numpy as np

    x, delta, m, origin = _kernel_problem(x, delta, mode)
    grad = conv_gradient(x, delta, origin, m)
    check = _finite_difference(lambda w: float(np.dot(delta, _forward(x, w, mode))), m, len(x) * m)
    sheet = rounded(_sheet_middle_step(x, delta, origin, m))
    return _gradient_result(
        grad, check, f"∂𝓡/∂w_i = Σ_k δ_k x_(k−i) = (δ ∗ rot180(x))_i, i = 0…{m - 1}",
        steps=[f"the sheet's middle step Σ_k δ_k rot180(x)_(k−i) would give {vector_text(sheet)} (E48)"],
        extra={"sheet_middle_step": sheet})


formula(
    name="conv-weight-grad",
    section="12.5",
    catalogue_id="CNN-BP-W",
    summary="Gradient of the loss w.r.t. the kernel of y = x∗w: δ ∗ rot180(x), checked by finite differences",
    params=(_X, _DELTA, _GRAD_MODE),
    formula="∂𝓡/∂w_i = Σ_k δ_k x_{k−i} = (δ ∗ rot180(x))_i,  δ = ∂𝓡/∂y",
    latex=r"\frac{\partial \mathcal{R}}{\partial w_i} = \sum_k \delta_k x_{k-i} = (\delta * \mathrm{rot180}(x))_i",
    compute=conv_weight_grad,
    errata=(_E48,),
    examples=(
        ("--x 1,2,3 --delta 1,2", "8.0,5.0", "w has 2 taps: y₁ = 2w₀ + w₁, y₂ = 3w₀ + 2w₁"),
        ("--x 1,2 --delta 1,0,0 --mode full", "1.0,0.0", "y₀ = x₀w₀ only"),
    ),
    notes="Valid mode: the 'valid' part of δ ∗ rot180(x). PyTorch's conv layers are cross-correlations: "
    "there ∂𝓡/∂w = x ⋆ δ (xcorr1d --x X --h DELTA).",
)


def conv_input_grad(w, delta, mode):
    import numpy as np

    w, delta = _vector(w, "w"), _vector(delta, "delta")
    n = len(delta) + len(w) - 1 if mode == "valid" else _other_length(len(w), len(delta), "full")
    origin = 0 if mode == "full" else len(w) - 1
    grad = conv_gradient(w, delta, origin, n)
    check = _finite_difference(lambda x: float(np.dot(delta, _forward(x, w, mode))), n, n * len(w))
    return _gradient_result(grad, check,
                            f"∂𝓡/∂x_j = Σ_k δ_k w_(k−j) = (δ ∗ rot180(w))_j, j = 0…{n - 1}"
                            + ("  (the full convolution)" if mode == "valid" else ""))


formula(
    name="conv-input-grad",
    section="12.5",
    catalogue_id="CNN-BP-X",
    summary="Gradient of the loss w.r.t. the input of y = x∗w: the full convolution δ ∗ rot180(w)",
    params=(Param("w", VECTOR, "the kernel w"), _DELTA, _GRAD_MODE),
    formula="∂𝓡/∂x_j = Σ_k δ_k w_{k−j} = (δ ∗ rot180(w))_j",
    latex=r"\frac{\partial \mathcal{R}}{\partial x_j} = \sum_k \delta_k w_{k-j} = (\delta * \mathrm{rot180}(w))_j",
    compute=conv_input_grad,
    errata=(_E48,),
    examples=(
        ("--w 1,-1 --delta 1,2", "-1.0,-1.0,2.0", "x has 3 entries"),
        ("--w 1,2 --delta 1,1", "2.0,3.0,1.0"),
    ),
    notes="The sheet calls this 'analogous'. In valid mode it is conv1d(delta, rot180(w), mode full).",
)


def weight_sharing_grad(x, delta, mode):
    import numpy as np

    x, delta, m, origin = _kernel_problem(x, delta, mode)
    bounded(len(delta) * m, "--x and --delta are")
    # uses[k][i] = δ_k·∂y_k/∂w_i = δ_k·x[k − i]: the contribution of output k to weight i
    uses = np.array([[delta[k] * _lookup(x, origin + k - i, 0) for i in range(m)] for k in range(len(delta))])
    grad = uses.sum(axis=0)
    table = Table(columns=["output k", *(f"w{i}" for i in range(m))],
                  rows=[[origin + k, *rounded(row.tolist())] for k, row in enumerate(uses)] + [["Σ", *rounded(grad.tolist())]],
                  title="δ_k·∂y_k/∂w_i per use")
    return array_result(grad, table=table,
                        steps=["∂𝓡/∂w_i = Σ_k ∂𝓡/∂y_k·∂y_k/∂w_i: one term per use of the shared weight w_i"],
                        extra={"uses": rounded(uses.tolist())})


formula(
    name="weight-sharing-grad",
    section="12.5",
    catalogue_id="CNN-WSHARE",
    summary="Gradient of a shared kernel weight as the sum over all its uses (one term per output)",
    params=(_X, _DELTA, _GRAD_MODE),
    formula="∂𝓡/∂w_i = Σ_k ∂𝓡/∂y_k · ∂y_k/∂w_i",
    latex=r"\frac{\partial \mathcal{R}}{\partial h_j} = \sum_{i} \frac{\partial \mathcal{R}}{\partial x_i}\frac{\partial x_i}{\partial h_j}",
    compute=weight_sharing_grad,
    examples=(("--x 1,2,3 --delta 1,2", "8.0,5.0", "the same as conv-weight-grad, summed use by use"),),
)


# ---- rot180 --------------------------------------------------------------------------------


def rot180(x):
    import numpy as np

    a = _matrix(x, "x")
    vector = a.shape[0] == 1
    out = a[0, ::-1] if vector else np.flip(a)
    return array_result(out, steps=[
        "rot180(x)_i = x_(−i): " + ("a vector on 0…n−1 becomes one on −(n−1)…0, read left to right" if vector
                                   else "both axes reversed (a 180° rotation of the matrix)")])


formula(
    name="rot180",
    section="12.5",
    catalogue_id="CNN-ROT",
    summary="rot180: reverse a vector, or rotate a matrix by 180° (flip both axes)",
    params=(Param("x", MATRIX, "a vector (1,2,3) or a matrix (1,2;3,4)"),),
    formula="rot180(x)_i = x_{−i}",
    latex=r"\mathrm{rot180}(\mathbf{x})_i = \mathbf{x}_{-i}",
    compute=rot180,
    examples=(("--x 1,2,3", "3.0,2.0,1.0"), ("--x '1,2;3,4'", "[[4.0, 3.0], [2.0, 1.0]]")),
)


# ---- pooling -------------------------------------------------------------------------------


def _pool_windows(shape, r, stride):
    """Every window: (output index, tuple of slices into the input)."""
    import numpy as np

    sizes = [conv_out_size(n, r, stride, 0, 1) for n in shape]
    for index in np.ndindex(*sizes):
        yield index, tuple(slice(stride * i, stride * i + r) for i in index)


def pool(x, r, stride, mode, grad):
    import numpy as np

    a = _matrix(x, "x")
    a = a[0] if a.shape[0] == 1 else a  # one row: 1-D pooling
    if r > min(a.shape):
        raise DlcalcError(f"the window r={r} is larger than the input {shape_text(a.shape)}")
    bounded(a.size * r ** a.ndim // stride ** a.ndim, "--x with this window is")
    windows = list(_pool_windows(a.shape, r, stride))
    sizes = tuple(s + 1 for s in windows[-1][0])
    pooled, routed = np.zeros(sizes), np.zeros(a.shape)
    upstream = _upstream(grad, sizes)
    for index, window in windows:
        part = a[window]
        pooled[index] = part.max() if mode == "max" else part.mean()
        if upstream is not None:
            routed[window] += _route(part, mode) * upstream[index]
    steps = [f"{mode} over windows x[s·i + k], 0 ≤ k < {r}, s = {stride}: output {shape_text(sizes)}"]
    if upstream is None:
        return array_result(pooled, steps=steps)
    steps.append("the gradient goes to the (first) argmax of each window" if mode == "max"
                 else f"the gradient is shared equally, 1/{part.size} to each entry of the window")
    forward, backward = array_result(pooled), array_result(routed)
    return Result(value={"pooled": forward.value, "grad": backward.value},
                  plain=f"pooled={forward.plain} grad={backward.plain}", steps=steps)


def _upstream(grad, sizes):
    if not given(grad):
        return None
    g = _matrix(grad, "grad")
    g = g[0] if len(sizes) == 1 and g.shape[0] == 1 else g
    if g.shape != sizes:
        raise DlcalcError(f"--grad must have the pooled shape {shape_text(sizes)}, got {shape_text(g.shape)}")
    return g


def _route(part, mode):
    """∂(pool of one window)/∂(window entries): one-hot at the first argmax, or uniform."""
    import numpy as np

    if mode == "avg":
        return np.full(part.shape, 1.0 / part.size)
    onehot = np.zeros(part.size)
    onehot[int(np.argmax(part))] = 1.0
    return onehot.reshape(part.shape)


formula(
    name="pool",
    section="12.6",
    catalogue_id="CNN-POOL",
    summary="Max or average pooling of given data, and where an upstream gradient goes (argmax routing)",
    params=(
        Param("x", MATRIX, "the input: a vector (1-D pooling) or a matrix (2-D, r×r windows)"),
        Param("r", INT, "window size r", aliases=("K",), minimum=1),
        Param("stride", INT, "stride s (default: r, non-overlapping)", default="=r", aliases=("S",), minimum=1),
        Param("mode", choice("max", "avg"), "max or avg", default="max"),
        Param("grad", MATRIX, "an upstream gradient ∂𝓡/∂(pooled), the pooled shape", default=ABSENT),
    ),
    formula="x^max_i = max{x_{s·i+k} : 0 ≤ k < r};  ∂x^max_i/∂x_j = 1 at the argmax j, else 0",
    latex=r"x^{\max}_i = \max\{ x_{s i + k} : 0 \le k < r \}",
    compute=pool,
    errata=("E49",),  # registered by the cnn module (pool-out)
    examples=(
        ("--x 1,3,2,5,4,4 --r 2", "3.0,5.0,4.0"),
        ("--x 1,3,2,5,4,4 --r 2 --grad 1,2,3", "pooled=3.0,5.0,4.0 grad=0.0,1.0,0.0,2.0,3.0,0.0",
         "a tie goes to the first maximum, as in PyTorch"),
        ("--x 1,3,2 --r 2 --stride 1 --grad 1,1", "pooled=3.0,3.0 grad=0.0,2.0,0.0",
         "overlapping windows add up"),
        ("--x 1,3,2,5,4,4 --r 2 --mode avg --grad 1,2,3", "pooled=2.0,3.5,4.0 grad=0.5,0.5,1.0,1.0,1.5,1.5"),
        ("--x '1,2;3,4' --r 2 --grad 1", "pooled=[[4.0]] grad=[[0.0, 0.0], [0.0, 1.0]]"),
    ),
    notes="Output size: conv-out with K = r, S = s, no padding (pool-out). A one-row input is 1-D.",
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


# ---- identities: continuous convolution and the Fourier transform (SymPy) ------------------


def _symbols():
    import sympy

    t, u, s = sympy.symbols("t u s", real=True)
    a, b, c = sympy.symbols("a b c", positive=True)
    return sympy, t, u, s, a, b, c


def continuous_conv(f, h, t, u, s, correlate=False):
    """(f∗h)(u) = ∫ h(s) f(u − s) ds over ℝ (with ``correlate``: ∫ h(s) f(u + s) ds), as a function of t."""
    import sympy

    inner = u + s if correlate else u - s
    value = sympy.integrate(h.subs(t, s) * f.subs(t, inner), (s, -sympy.oo, sympy.oo), conds="none")
    return sympy.simplify(value).subs(u, t)


def _gaussians():
    """f(t) = e^{−at²} and a shifted, hence not symmetric, h(t) = e^{−b(t−1)²}."""
    sympy, t, u, s, a, b, c = _symbols()
    return sympy.exp(-a * t**2), sympy.exp(-b * (t - 1) ** 2)


def conv_forms_statement(swap_to_correlation=False):
    """∫ h(s) f(u − s) ds and ∫ h(u − s) f(s) ds for two Gaussians."""
    sympy, t, u, s, a, b, c = _symbols()
    f, h = _gaussians()
    first = continuous_conv(f, h, t, u, s, correlate=swap_to_correlation)
    second = sympy.integrate(h.subs(t, u - s) * f.subs(t, s), (s, -sympy.oo, sympy.oo), conds="none").subs(u, t)
    return first, sympy.simplify(second)


def commutative_statement(correlation=False):
    """f∗h and h∗f (with ``correlation``: h⋆f and f⋆h, which differ)."""
    sympy, t, u, s, a, b, c = _symbols()
    f, h = _gaussians()
    return continuous_conv(f, h, t, u, s, correlation), continuous_conv(h, f, t, u, s, correlation)


def associative_statement(drop_last=False):
    """(f∗g)∗k and f∗(g∗k) for three centred Gaussians of widths a, b, c."""
    sympy, t, u, s, a, b, c = _symbols()
    f, g, k = (sympy.exp(-p * t**2) for p in (a, b, c))
    left = continuous_conv(continuous_conv(f, g, t, u, s), k, t, u, s)
    right = continuous_conv(f, g, t, u, s) if drop_last else continuous_conv(f, continuous_conv(g, k, t, u, s), t, u, s)
    return left, right


def fourier(f, t, u, angular=False):
    """(𝓕f)(u) = ∫ f(t) e^{−2πiut} dt over ℝ (``angular``: e^{−iut}, a different convention)."""
    import sympy

    rate = 1 if angular else 2 * sympy.pi
    return sympy.simplify(sympy.integrate(f * sympy.exp(-sympy.I * rate * u * t), (t, -sympy.oo, sympy.oo), conds="none"))


def fourier_statement(angular=False):
    """𝓕 of e^{−at²} by the defining integral, and the closed form √(π/a)·e^{−π²u²/a}."""
    sympy, t, u, s, a, b, c = _symbols()
    f, _ = _gaussians()
    return fourier(f, t, u, angular), sympy.sqrt(sympy.pi / a) * sympy.exp(-sympy.pi**2 * u**2 / a)


def convolution_theorem_statement(sum_instead=False):
    """𝓕(f∗h) and 𝓕f·𝓕h (``sum_instead``: 𝓕f + 𝓕h) for two Gaussians, one shifted."""
    sympy, t, u, s, a, b, c = _symbols()
    f, h = _gaussians()
    left = fourier(continuous_conv(f, h, t, u, s), t, u)
    ff, fh = fourier(f, t, u), fourier(h, t, u)
    return left, (ff + fh if sum_instead else ff * fh)


def linearity_statement(break_it=False):
    """T(αf + βg) and αTf + βTg for the integral transform (Tf)(u) = ∫₀^∞ e^{−ut} f(t) dt."""
    sympy, t, u, s, a, b, c = _symbols()
    alpha, beta = sympy.symbols("alpha beta", real=True)
    v = sympy.Symbol("v", positive=True)  # the transform variable, positive so that it converges

    def transform(f):
        return sympy.integrate(sympy.exp(-v * t) * f, (t, 0, sympy.oo), conds="none")

    f, g = sympy.exp(-a * t), t * sympy.exp(-b * t)
    right = alpha * transform(f) + (alpha if break_it else beta) * transform(g)
    return sympy.simplify(transform(alpha * f + beta * g)), right


declare_identity("12.1", "integral-transform-linear", "CNN-LIN",
                 "An integral transform is linear (checked for the Laplace kernel e^(−ut) on e^(−at) and t·e^(−bt))",
                 "T(αf + βg) = αTf + βTg,  (Tf)(u) = ∫ K(t, u) f(t) dt",
                 r"T(\alpha f + \beta g) = \alpha Tf + \beta Tg", linearity_statement, "integrate + simplify")
declare_identity("12.1", "conv-integral-forms", "CNN-CONV",
                 "The two integral forms of a continuous convolution agree (two Gaussians, one shifted)",
                 "(f∗h)(u) = ∫ h(t) f(u − t) dt = ∫ h(u − t) f(t) dt",
                 r"(f*h)(u) = \int h(t) f(u-t)\,dt = \int h(u-t) f(t)\,dt", conv_forms_statement,
                 "integrate + simplify")
declare_identity("12.1", "conv-commutative", "CNN-COMM-ASSOC",
                 "Continuous convolution is commutative (two Gaussians, one shifted); correlation is not",
                 "f∗h = h∗f", r"f * h = h * f", commutative_statement, "integrate + simplify")
declare_identity("12.1", "conv-associative", "CNN-COMM-ASSOC",
                 "Continuous convolution is associative (three Gaussians of different widths)",
                 "(f∗g)∗k = f∗(g∗k)", r"(f * g) * k = f * (g * k)", associative_statement, "integrate + simplify")
declare_identity("12.1", "fourier-transform", "CNN-FT",
                 "Fourier transform by its defining integral: 𝓕[e^(−at²)](u) = √(π/a)·e^(−π²u²/a)",
                 "(𝓕f)(u) = ∫ f(t) e^{−2πiut} dt",
                 r"(\mathcal{F}f)(u) = \int_{-\infty}^{\infty} f(t) e^{-2\pi i u t}\,dt", fourier_statement,
                 "integrate + simplify")
declare_identity("12.1", "convolution-theorem", "CNN-CONVTHM",
                 "The convolution theorem 𝓕(f∗h) = 𝓕f·𝓕h (two Gaussians, one shifted; all integrals evaluated)",
                 "𝓕(f∗h) = 𝓕f·𝓕h", r"\mathcal{F}(f * h) = \mathcal{F}f \cdot \mathcal{F}h",
                 convolution_theorem_statement, "integrate + simplify", errata=(_E42,))
