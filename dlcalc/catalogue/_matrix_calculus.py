"""The gradient helper shared by the matrix-calculus modules (a private helper module)."""

from __future__ import annotations


def gradient(scalar, variable):
    """∂scalar/∂variable with the shape of the variable (column for a vector, X's shape for X)."""
    import sympy

    return sympy.Matrix(*variable.shape, lambda i, j: sympy.diff(scalar, variable[i, j]))
