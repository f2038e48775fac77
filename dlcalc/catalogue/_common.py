"""Helpers shared by every catalogue module (not a catalogue area: the name starts with _).

How numbers, vectors and matrices are shown (one rule for plain and JSON output alike), input
checks for vectors and matrices, the JSON form of values that JSON cannot hold, and the proof
helpers that several areas use. Nothing here imports NumPy or SymPy at module level.
"""

from __future__ import annotations

import math
from typing import Any

from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import ABSENT, Rule

PROBABILITY_TOLERANCE = 1e-9

MAX_STEPS = 100_000  # iterative commands loop in Python: a larger --steps would hang, not answer
STEPS_BOUNDED = Rule(
    broken=lambda steps, **_: steps > MAX_STEPS,
    says=lambda steps, **_: f"--steps: at most {MAX_STEPS:,}, got {steps:,}",
)


def given(value) -> bool:
    return value is not ABSENT


def probability_vector(p: tuple[float, ...], name: str) -> tuple[float, ...]:
    """Check that ``p`` is a probability vector (entries ≥ 0 summing to 1)."""
    negative = [x for x in p if x < 0]
    if negative:
        raise DlcalcError(f"--{name}: probabilities must be non-negative, got {negative[0]}")
    total = math.fsum(p)
    if abs(total - 1.0) > PROBABILITY_TOLERANCE * max(1, len(p)):
        raise DlcalcError(f"--{name}: probabilities must sum to 1, got {total!r}")
    return p


def same_length(a: tuple, b: tuple, names: str) -> None:
    if len(a) != len(b):
        raise DlcalcError(f"{names} must have the same length, got {len(a)} and {len(b)}")


def square(matrix: tuple[tuple[float, ...], ...], name: str) -> int:
    """The size n of an n×n matrix given as --name, or an error."""
    n = len(matrix)
    if any(len(row) != n for row in matrix):
        raise DlcalcError(f"--{name}: expected a square matrix, got {n}×{len(matrix[0])}")
    return n


def finite_array(rows: Any, what: str) -> Any:
    """A MATRIX/VECTOR value -> a float NumPy array; ``what`` (e.g. "--W") names it in the error."""
    import numpy as np

    array = np.array(rows, dtype=float)
    if not np.all(np.isfinite(array)):
        raise DlcalcError(f"{what} must be finite")
    return array


def square_array(matrix: tuple[tuple[float, ...], ...], name: str) -> Any:
    """A square matrix given as --name -> a finite float NumPy array."""
    square(matrix, name)
    return finite_array(matrix, f"--{name}")


def shape_text(shape: tuple[int, ...]) -> str:
    """An array shape as 2×3×4."""
    return "×".join(str(s) for s in shape)


def the_one_given(**options: Any) -> str:
    """The name of the one option given (non-empty), or an error naming the choices."""
    present = [name for name, value in options.items() if value not in ((), None, "")]
    if len(present) != 1:
        names = ", ".join("--" + n.replace("_", "-") for n in options)
        raise DlcalcError(f"give exactly one of {names}")
    return present[0]


def natural_log(x: Any) -> Any:
    """ln of a number, or of a NumPy array (batch rows), without importing NumPy for numbers."""
    if isinstance(x, (int, float)):
        if x <= 0:
            raise DlcalcError(f"log of a non-positive number {x}")
        return math.log(x)
    import numpy as np

    return np.log(x)


# ---- showing numbers: one rule for every command, plain and JSON ---------------------------------

SIGNIFICANT = 12  # digits kept in shown floats: float noise (…0000002) never reaches the user


def rounded(values: Any, digits: int = SIGNIFICANT) -> Any:
    """Numbers for display with ``digits`` significant digits; ints stay ints, −0.0 becomes 0.0.
    Nested lists, tuples and NumPy arrays become nested lists, and in them an entry below
    10^−digits of the largest entry is float noise around an exact zero (1e-17 beside 1.0): 0.0."""
    values = _nested_lists(values)
    if not isinstance(values, list):
        return _rounded_number(values, digits)
    noise = _largest_magnitude(values) * 10.0**-digits
    return _rounded_entries(values, digits, noise)


def _nested_lists(values: Any) -> Any:
    if hasattr(values, "tolist"):
        values = values.tolist()
    if isinstance(values, (list, tuple)):
        return [_nested_lists(v) for v in values]
    return values


def _largest_magnitude(values: list) -> float:
    """The largest finite |entry| of nested lists (0.0 when there is none)."""
    magnitudes = (_largest_magnitude(v) if isinstance(v, list) else abs(float(v)) for v in values)
    return max((m for m in magnitudes if math.isfinite(m)), default=0.0)


def _rounded_entries(values: list, digits: int, noise: float) -> list:
    return [_rounded_entries(v, digits, noise) if isinstance(v, list) else
            0.0 if isinstance(v, float) and abs(v) < noise else _rounded_number(v, digits) for v in values]


def _rounded_number(x: Any, digits: int) -> Any:
    if isinstance(x, int) and not isinstance(x, bool):
        return x
    return float(f"{float(x):.{digits}g}") + 0.0


def matrix_text(matrix: Any) -> str:
    """A matrix (or tensor) in the JSON form people paste back as input: [[1.0, 2.0], [3.0, 4.0]]."""
    import json

    return json.dumps(rounded(matrix))


def vector_text(values: Any) -> str:
    """A vector in dlcalc's VECTOR input form, like per-axis outputs: 0.1,0.2,0.3."""
    return ",".join(repr(v) for v in rounded(values))


def complex_text(z: complex) -> str:
    """0.5 or 0.5+0.25i (a real number prints as a real number)."""
    z = complex(z)
    real, imag = rounded(z.real), rounded(z.imag)
    if abs(imag) <= 1e-12 * max(1.0, abs(real)):
        return repr(real)
    sign = "+" if imag >= 0 else "-"
    return f"{real!r}{sign}{abs(imag)!r}i"


def matrix_result(matrix: Any, digits: int = SIGNIFICANT, **fields: Any) -> Any:
    """A Result whose value is a matrix (a NumPy array or nested lists), printed as [[...], ...]."""
    from dlcalc.core.result import Result

    shown = rounded(matrix, digits)
    return Result(value=shown, plain=matrix_text(shown), **fields)


def vector_result(values: Any, **fields: Any) -> Any:
    """A Result whose value is a vector (a NumPy array or a list), printed as 0.1,0.2,0.3."""
    from dlcalc.core.result import Result

    shown = rounded(values)
    return Result(value=shown, plain=vector_text(shown), **fields)


def softmax_rows(scores):
    """Row-wise softmax (over the last axis), stable (max subtracted); -inf entries get weight 0."""
    import numpy as np

    shifted = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=-1, keepdims=True)


# ---- proofs --------------------------------------------------------------------------------


def symbol_matrix(name: str, rows: int, cols: int) -> Any:
    """A SymPy matrix of real symbols name_ij (entrywise calculus never uses MatrixSymbol, which
    silently drops terms; see DESIGN.md)."""
    import sympy

    return sympy.Matrix(rows, cols, lambda i, j: sympy.Symbol(f"{name}{i}{j}", real=True))
