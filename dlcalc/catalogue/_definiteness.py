"""Definiteness of a symmetric matrix from its eigenvalues, shared by linear algebra (psd, cholesky,
gram) and analysis (hessian): a private helper module, so that no area imports another area."""

from __future__ import annotations


def zero_tolerance(values, size):
    """Values within this of 0 count as 0: relative to the largest, as numpy's matrix_rank does
    (so that scaling a matrix never changes its class)."""
    import numpy as np

    scale = float(np.abs(values).max()) if len(values) else 0.0
    return scale * size * np.finfo(float).eps * 16


def classify_signs(values, tol) -> str:
    """Classify by the signs of eigenvalues (values within tol are zero)."""
    positive = any(v > tol for v in values)
    negative = any(v < -tol for v in values)
    zero = any(abs(v) <= tol for v in values)
    if positive and negative:
        return "indefinite"
    if negative:
        return "negative semidefinite" if zero else "negative definite"
    if positive:
        return "positive semidefinite" if zero else "positive definite"
    return "positive semidefinite"  # the zero matrix is both PSD and NSD


def definiteness(eigenvalues) -> str:
    """The class of a symmetric matrix from its eigenvalues (those within zero_tolerance count as 0)."""
    return classify_signs(eigenvalues, zero_tolerance(eigenvalues, len(eigenvalues)))
