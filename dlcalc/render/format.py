"""Fast decimal output for batch mode: a million integers to text without a Python loop."""

from __future__ import annotations

import numpy as np

_MAX_DIGITS = 18  # 10**18 still fits in int64; longer numbers take the str() route


def format_integers(values: np.ndarray, blank: np.ndarray | None = None) -> bytes | None:
    """One decimal line per value (an empty line where ``blank``), as one bytes object.

    Digits are written right-aligned into a character matrix, one row per value; a mask then
    keeps each row's own width. Returns None for numbers too long for this route.
    """
    values = np.asarray(values, dtype=np.int64)
    magnitude = np.abs(values)
    digits = np.ones(len(values), dtype=np.int64)
    power = 10
    while power <= 10**_MAX_DIGITS and (magnitude >= power).any():
        digits += magnitude >= power
        power *= 10
    if power > 10**_MAX_DIGITS:
        return None
    width = digits + (values < 0)
    if blank is not None:
        width[blank] = 0
    columns = int(width.max(initial=0))
    matrix = np.empty((len(values), columns + 1), dtype=np.uint8)
    scale = 1
    for column in range(columns - 1, -1, -1):
        matrix[:, column] = magnitude // scale % 10 + ord("0")
        scale *= 10
    negative = np.flatnonzero((values < 0) & (width > 0))
    matrix[negative, columns - digits[negative] - 1] = ord("-")
    matrix[:, columns] = ord("\n")
    keep = np.arange(columns + 1) >= (columns - width)[:, None]
    return matrix[keep].tobytes()
