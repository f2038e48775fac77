"""Matrix calculus of vector functions: the sheet's non-conforming forms, layouts checked by NumPy finite
differences, and stacked identities whose every block is checked (an altered block is refuted)."""

from __future__ import annotations

import numpy as np
import pytest
from sympy.matrices.exceptions import ShapeError

from dlcalc.catalogue import matrix_calculus_vectors as vectors
from dlcalc.core.proof import prove_matrices_equal
from dlcalc.deriv import finite_diff


@pytest.mark.parametrize("build", [vectors.ftg_statement, vectors.normsq_statement])
def test_layout_identities_need_the_transposes(build):
    # verify proves m = 3 ≠ n and refutes the sheet's form at m = n (sheet_version); here: the sheet's form
    # does not even conform when m ≠ n, and the correct one holds at m = n too.
    with pytest.raises(ShapeError):  # E22 with m ≠ n
        build(sheet=True)
    assert prove_matrices_equal(*build(m=2)).proven


# ---- DER-JAC, DER-DENOM, DER-CONST ---------------------------------------------------------------


def test_jacobian_is_m_by_n_and_the_sheets_n_by_m_does_not_conform():
    with pytest.raises(ShapeError):  # E21: an n×m matrix cannot act on v ∈ ℝⁿ (n ≠ m)
        vectors.jacobian_statement(sheet=True)


def test_jacobian_layout_by_finite_differences():
    """The same f as the proof, in NumPy: the numerical derivative of f: ℝ² → ℝ³ is 3×2 and J v
    matches the directional difference quotient (numerator layout)."""
    def f(points):  # (B, 2, 1) -> (B, 3, 1)
        x1, x2 = points[:, 0, 0], points[:, 1, 0]
        return np.stack([x1**2 * x2, np.sin(x1), x1 + np.exp(x2)], axis=1)[:, :, None]

    x, v = np.array([[0.7], [-0.4]]), np.array([0.3, 1.1])
    jac = finite_diff.jacobian(f, x)[:, 0, :, 0]
    assert jac.shape == (3, 2)
    x1, x2 = x[:, 0]
    exact = np.array([[2 * x1 * x2, x1**2], [np.cos(x1), 0.0], [1.0, np.exp(x2)]])
    assert np.allclose(jac, exact, atol=1e-8)
    h = 1e-6
    quotient = (f((x + h * v[:, None])[None]) - f((x - h * v[:, None])[None]))[0, :, 0] / (2 * h)
    assert np.allclose(quotient, exact @ v, atol=1e-8)


def test_denominator_layout_chain_rule_reverses_the_order():
    with pytest.raises(ShapeError):  # the numerator order gives 3×3 where 2×2 belongs
        vectors.denominator_statement(reversed_order=False)


def test_jacobian_of_a_constant_is_zero_and_a_wrong_claim_is_refuted():
    assert not prove_matrices_equal(*vectors.constant_statement(claimed_zero=False)).proven
    assert np.allclose(finite_diff.jacobian(lambda p: np.ones((len(p), 3, 1)) * 5.0, np.zeros((2, 1))), 0.0)


# ---- DER-ATX, DER-XTX, DER-BTAX, DER-HADAMARD, DER-XTA, DER-AF, DER-TRX, DER-TRAXTB -------------
# Each row is one block of a stacked identity; replacing that block by an altered closed form
# must make the entrywise proof fail, so the proof really checks every row it claims.


def _altered(rhs, rows, block):
    changed = rhs.copy()
    changed[rows, :] = block
    return changed


def test_linear_forms_blocks_each_checked():
    import sympy

    from dlcalc.catalogue._common import symbol_matrix

    lhs, rhs = vectors.linear_forms_statement()
    x, a = symbol_matrix("x", 3, 1), symbol_matrix("a", 3, 1)
    big_a, b = symbol_matrix("A", 2, 3), symbol_matrix("b", 2, 1)
    assert lhs[3:6, :] == a  # ∇(xᵀa) = a, entry by entry
    assert not prove_matrices_equal(lhs, _altered(rhs, slice(3, 6), x)).proven  # ∇(xᵀa) = x: wrong
    assert not prove_matrices_equal(lhs, _altered(rhs, slice(6, 9), x)).proven  # ∇(xᵀx) = x: factor 2 lost
    assert not prove_matrices_equal(lhs, _altered(rhs, slice(9, 12), sympy.Matrix([b[0], b[1], 0]))).proven
    with pytest.raises(ShapeError):  # ∇(bᵀAx) = Ab does not even conform for A 2×3
        big_a * b


def test_linear_maps_blocks_each_checked():
    import sympy

    from dlcalc.catalogue._common import symbol_matrix

    lhs, rhs = vectors.linear_maps_statement()
    a, c = symbol_matrix("a", 2, 1), sympy.Symbol("c", real=True)
    # x∘a: the Jacobian is diag(a), not a broadcast row of a (off-diagonal entries must be 0)
    assert not prove_matrices_equal(lhs, _altered(rhs, slice(0, 2), a * sympy.ones(1, 2))).proven
    # c f: dropping the scalar c is refuted
    assert not prove_matrices_equal(lhs, _altered(rhs, slice(12, 15), rhs[12:15, :] / c)).proven
    # xᵀA read as the column Aᵀx has Jacobian Aᵀ (3×2); A itself (2×3) has the wrong shape
    x, tall = symbol_matrix("x", 2, 1), symbol_matrix("B", 2, 3)
    row_as_column = (x.T * tall).T
    assert prove_matrices_equal(row_as_column.jacobian(x), tall.T).proven
    assert not prove_matrices_equal(row_as_column.jacobian(x), tall).proven
