"""Printed forms are simplified NumPy syntax, and their values match a finite difference computed
here independently (plain NumPy, no dlcalc evaluator)."""

from __future__ import annotations

import numpy as np
import pytest

from dlcalc.deriv.check import check_derivative


def fd_gradient(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        grad[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


@pytest.mark.parametrize(
    "expr,wrt,printed",
    [
        ("x.T@A@x", "x", "(A + A.T)@x"),
        ("norm(A@x - b)**2", "x", "2*A.T@(A@x - b)"),
        ("a.T@X.T@X@b", "X", "X@(a@b.T + b@a.T)"),
        ("-y.T@log(softmax(z))", "z", "sum(y)*softmax(z) - y"),
        ("c.T@tanh(W@x + b)", "b", "(1 - tanh(W@x + b)**2)*c"),
        ("log(det(X))", "X", "inv(X).T"),
    ],
)
def test_printed_forms(expr, wrt, printed):
    assert check_derivative(expr, wrt).plain == printed


def test_printed_gradient_values_match_independent_fd():
    rng = np.random.default_rng(7)
    A, x, b = rng.standard_normal((3, 3)), rng.standard_normal(3), rng.standard_normal(3)
    # (A + A.T)@x and 2*A.T@(A@x - b), the printed forms above, against FD of the plain functions
    assert np.allclose((A + A.T) @ x, fd_gradient(lambda v: v @ A @ v, x), atol=1e-6)
    assert np.allclose(2 * A.T @ (A @ x - b), fd_gradient(lambda v: np.sum((A @ v - b) ** 2), x), atol=1e-5)
    z, y = rng.standard_normal(4), rng.standard_normal(4)
    softmax = np.exp(z) / np.exp(z).sum()
    expected = np.sum(y) * softmax - y
    assert np.allclose(expected, fd_gradient(lambda v: -y @ (v - np.log(np.exp(v).sum())), z), atol=1e-6)
