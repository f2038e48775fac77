"""Checks and symbols shared by the probability modules and information theory (a private helper
module: no area imports another area)."""

from __future__ import annotations

from typing import Any

from dlcalc.catalogue._common import probability_vector
from dlcalc.catalogue._matrices import real_matrix
from dlcalc.core.errors import DlcalcError


def probabilities(p: tuple[float, ...], name: str) -> tuple[float, ...]:
    """``p`` checked as a probability vector. An entry above 1 is refused before summing, so that
    huge entries (1e308) are an input error rather than an overflow of the sum."""
    if all(x >= 0 for x in p):
        above = next((x for x in p if x > 1), None)
        if above is not None:
            raise DlcalcError(f"--{name}: probabilities must be at most 1, got {above!r}")
    return probability_vector(p, name)


def np_matrix(matrix: Any, name: str) -> Any:
    """A MATRIX option --name as a finite 2-D float array."""
    return real_matrix(matrix, f"--{name}")


def cov_matrix(cov: Any, name: str = "cov") -> Any:
    """A covariance option: a finite, square, symmetric float array."""
    import numpy as np

    sigma = real_matrix(cov, f"--{name}", square=True)
    if not np.allclose(sigma, sigma.T, rtol=1e-10, atol=1e-12):
        raise DlcalcError(f"--{name}: a covariance matrix must be symmetric")
    return sigma


def positives(names: str) -> Any:
    """Positive real SymPy symbols, for the identities' statements."""
    import sympy

    return sympy.symbols(names, positive=True)
