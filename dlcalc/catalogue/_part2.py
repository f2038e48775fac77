"""Small helpers shared by the part-2 catalogue modules (rnn, transformers, graphs, theory,
tensor_chain, generative). Not a catalogue area itself (the leading underscore keeps it out of
discovery). No NumPy or SymPy at module level.
"""

from __future__ import annotations

from dlcalc.errors import DlcalcError

SIGNIFICANT = 12  # digits kept in printed floats: float noise (…0000002) never reaches the user


def rounded(x):
    """A float with SIGNIFICANT digits (−0.0 becomes 0.0), or an int unchanged."""
    if isinstance(x, int) and not isinstance(x, bool):
        return x
    value = float(f"{float(x):.{SIGNIFICANT}g}")
    return value + 0.0


def rounded_all(values):
    """Nested lists / arrays of numbers -> nested lists of rounded floats."""
    if hasattr(values, "tolist"):
        values = values.tolist()
    if isinstance(values, (list, tuple)):
        return [rounded_all(v) for v in values]
    return rounded(values)


def complex_text(z) -> str:
    """0.5 or 0.5+0.25i (a real number prints as a real number)."""
    z = complex(z)
    real, imag = rounded(z.real), rounded(z.imag)
    if abs(imag) <= 1e-12 * max(1.0, abs(real)):
        return repr(real)
    sign = "+" if imag >= 0 else "-"
    return f"{real!r}{sign}{abs(imag)!r}i"


def as_array(rows, what: str):
    """A MATRIX/VECTOR value -> a float NumPy array, with a finite check."""
    import numpy as np

    array = np.array(rows, dtype=float)
    if not np.all(np.isfinite(array)):
        raise DlcalcError(f"{what} must be finite")
    return array


def square(rows, what: str):
    array = as_array(rows, what)
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise DlcalcError(f"{what} must be a square matrix, got shape {'×'.join(map(str, array.shape))}")
    return array


def shape_text(shape) -> str:
    return "×".join(str(s) for s in shape)


def matrix_plain(rows) -> str:
    """A matrix as one line in dlcalc's input syntax: rows separated by ';' (1,2;3,4)."""
    return ";".join(",".join(repr(rounded(v)) for v in row) for row in rounded_all(rows))


def vector_plain(values) -> str:
    return ",".join(repr(rounded(v)) for v in rounded_all(values))


def one_of(**given) -> str:
    """The name of the one option given (non-empty), or an error naming the choices."""
    present = [name for name, value in given.items() if value not in ((), None, "")]
    names = ", ".join("--" + n.replace("_", "-") for n in given)
    if len(present) != 1:
        raise DlcalcError(f"give exactly one of {names}")
    return present[0]


def log(x):
    """Natural log of a number, or of a NumPy array (batch rows), without importing NumPy for numbers."""
    import math

    if isinstance(x, (int, float)):
        if x <= 0:
            raise DlcalcError(f"log of a non-positive number {x}")
        return math.log(x)
    import numpy as np

    return np.log(x)
