"""Matrix input checks shared by the linear-algebra, analysis and probability modules (a private helper
module: no area imports another area). A MATRIX value reaches compute as nested tuples; a ragged,
over-nested (3-D) or empty one must be a one-line input error, never a NumPy exception."""

from __future__ import annotations

from typing import Any

from dlcalc.core.errors import DlcalcError


def real_matrix(rows: Any, what: str, *, square: bool = False) -> Any:
    """A MATRIX value -> a 2-D float NumPy array with at least one entry, all finite; ``what`` names
    it in errors (e.g. "--A")."""
    import numpy as np

    try:
        array = np.array(rows, dtype=float)
    except (ValueError, TypeError):
        raise DlcalcError(f"{what}: expected a matrix of numbers with rows of equal length") from None
    if array.ndim != 2:
        raise DlcalcError(f"{what}: expected a matrix (2 dimensions), got {array.ndim} dimension"
                          f"{'' if array.ndim == 1 else 's'}")
    if array.size == 0:
        raise DlcalcError(f"{what}: expected at least one entry, got an empty matrix")
    if not np.all(np.isfinite(array)):
        raise DlcalcError(f"{what}: entries must be finite")
    if square and array.shape[0] != array.shape[1]:
        raise DlcalcError(f"{what}: expected a square matrix, got {array.shape[0]}×{array.shape[1]}")
    return array
