"""Helpers shared by the convolution_* modules (not a catalogue area: it declares no formula).

Discrete signals are finite arrays on ℤ: an array ``a`` whose first entry sits at index ``origin``
is the function t ↦ a[t − origin] on its support and 0 elsewhere. Convolution is the true one,
(f∗h)[u] = Σ_t f[t] h[u − t]; cross-correlation, (h⋆f)[u] = Σ_t h[t] f[u + t], is what CNN layers
(PyTorch's conv1d/conv2d) compute. Modes follow NumPy (1-D) and scipy.signal.convolve2d (2-D).
NumPy is imported inside the functions.
"""

from __future__ import annotations

from dlcalc.catalogue._common import finite_array, matrix_result, vector_result
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import VECTOR, Param, choice

TOLERANCE = 1e-9  # relative: two computed arrays agree when max |a − b| ≤ TOLERANCE · scale
MAX_TERMS = 2_000_000  # products summed term by term (the checks by definition): more is an error, not a hang
MAX_VECTORISED = 100_000_000  # products computed by NumPy array operations

MODE = choice("full", "valid", "same")
X_SIGNAL = Param("x", VECTOR, "the signal x (f), e.g. 1,2,3")
H_KERNEL = Param("h", VECTOR, "the kernel h, e.g. 1,0,-1")
MODE_PARAM = Param("mode", MODE, "full (every overlap), valid (full overlap only) or same (NumPy's "
                   "np.convolve: the length of the longer input, centred)", default="full")


# ---- arrays and their display --------------------------------------------------------------


def as_array(values, name, most_axes):
    """A VECTOR/MATRIX value -> a finite float array of at most ``most_axes`` axes, or a one-line
    error: a ragged or over-nested value such as [1,[2]] is refused here, not by NumPy."""
    try:
        array = finite_array(values, f"--{name}")
    except (ValueError, TypeError):
        raise DlcalcError(f"--{name}: expected rows of numbers of equal length, not a ragged or nested value") from None
    if array.ndim > most_axes:
        raise DlcalcError(f"--{name}: expected {'a vector' if most_axes == 1 else 'a vector or a matrix'}, "
                          f"got {array.ndim} nested levels")
    return array


def as_vector(values, name):
    return as_array(values, name, 1)


def as_matrix(values, name):
    return as_array(values, name, 2)


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
    if h.size > x.size:  # commutative: loop over the smaller array, at most √MAX_VECTORISED steps
        x, h = h, x
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


def lookup(a, t, period):
    """a[t] for a signal on 0…len−1 (0 outside), or periodic with the given period."""
    if period:
        t %= period
    return a[t] if 0 <= t < len(a) else 0.0
