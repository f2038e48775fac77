"""Matrix calculus in a matrix variable: gradients by NumPy finite differences (no SymPy), trace
gradients' transposed variants refuted, and subgradients against their definition."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import run_main
from dlcalc.catalogue import matrix_calculus_matrices as matrices
from dlcalc.catalogue._matrix_calculus import gradient
from dlcalc.core.proof import prove_matrices_equal
from dlcalc.deriv import finite_diff


def numeric_gradient(f, x):
    """Central differences by dlcalc.deriv.finite_diff (NumPy only), for a scalar f of a matrix."""
    return finite_diff.jacobian(lambda points: np.array([f(p) for p in points])[:, None, None], x)[0, 0]


def test_matrix_gradients_by_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 2))
    a2, b3, a3, b2 = rng.normal(size=2), rng.normal(size=3), rng.normal(size=3), rng.normal(size=2)
    assert np.allclose(numeric_gradient(lambda m: a3 @ m @ b2, x), np.outer(a3, b2), atol=1e-7)
    assert np.allclose(numeric_gradient(lambda m: a2 @ m.T @ b3, x), np.outer(b3, a2), atol=1e-7)
    c2 = rng.normal(size=2)
    assert np.allclose(numeric_gradient(lambda m: a2 @ m.T @ m @ c2, x), x @ (np.outer(a2, c2) + np.outer(c2, a2)), atol=1e-6)
    big_a, big_b = rng.normal(size=(4, 3)), rng.normal(size=(2, 4))
    assert np.allclose(numeric_gradient(lambda m: np.trace(big_a @ m @ big_b), x), big_a.T @ big_b.T, atol=1e-6)


def test_xa_kronecker_form_by_finite_differences():
    rng = np.random.default_rng(1)
    x, a = rng.normal(size=(2, 3)), rng.normal(size=3)
    jac = finite_diff.jacobian(lambda points: points @ a[:, None], x).reshape(2, 6)  # d(Xa)/d vec_row(X)
    assert np.allclose(jac, np.kron(np.eye(2), a[None, :]), atol=1e-8)


@pytest.mark.parametrize("fn, x, g, verdict", [
    ("abs", 0, 1.0, 0), ("abs", 0, -1.01, 1), ("abs", -2, -1, 0), ("relu", 0, 0.0, 0), ("relu", 0, -0.1, 1),
    ("hinge", 1, -0.5, 0), ("hinge", 1, 0.1, 1),
])
def test_subgradient_claims_against_the_definition(fn, x, g, verdict):
    f = {"abs": abs, "relu": lambda t: max(t, 0.0), "hinge": lambda t: max(0.0, 1 - t)}[fn]
    ys = np.linspace(-5, 5, 2001)
    by_definition = all(f(y) >= f(x) + g * (y - x) - 1e-12 for y in ys)
    assert by_definition == (verdict == 0)
    assert run_main(["subgradient", "--fn", fn, "--x", str(x), "--g", str(g)]).code == verdict


def test_trace_gradients_and_transposed_variants_refuted():
    import sympy

    from dlcalc.catalogue._common import symbol_matrix

    lhs, rhs = matrices.trace_gradients_statement()
    ones_block = rhs.copy()
    ones_block[0:3, :] = sympy.ones(3, 3)
    assert not prove_matrices_equal(lhs, ones_block).proven  # ∂Tr X/∂X ≠ 𝟙
    # ∂Tr(AXᵀB)/∂X = BA; with square X the tempting AᵀBᵀ (= (BA)ᵀ) conforms but is wrong
    x, a, b = symbol_matrix("X", 3, 3), symbol_matrix("A", 4, 3), symbol_matrix("B", 3, 4)
    grad = gradient((a * x.T * b).trace(), x)
    assert prove_matrices_equal(grad, b * a).proven
    assert not prove_matrices_equal(grad, a.T * b.T).proven
