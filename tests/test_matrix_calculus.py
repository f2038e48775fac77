"""Matrix-calculus identities: proven entrywise, refuted in the sheet's versions, and the matrix
gradients checked again with NumPy finite differences (no SymPy involved)."""

from __future__ import annotations

import numpy as np
import pytest
from sympy.matrices.exceptions import ShapeError

from conftest import run_main
from dlcalc.catalogue import matrix_calculus as mc
from dlcalc.symbolic.proof import prove_matrices_equal
from dlcalc.numeric import finite_diff


def test_chain_rules_and_the_sheets_dropped_factor():
    assert prove_matrices_equal(*mc.chain_statement()).proven
    assert prove_matrices_equal(*mc.chain3_statement()).proven
    with pytest.raises(ShapeError):  # E23: J_f J_h does not even conform
        mc.chain3_statement(sheet=True)


@pytest.mark.parametrize("build", [mc.ftg_statement, mc.normsq_statement])
def test_layout_identities_need_the_transposes(build):
    assert prove_matrices_equal(*build()).proven
    with pytest.raises(ShapeError):  # E22 with m ≠ n
        build(sheet=True)
    assert prove_matrices_equal(*build(m=2)).proven
    assert not prove_matrices_equal(*build(sheet=True, m=2)).proven  # E22 with m = n: transposes missing


def test_grad_a_xt_b_is_b_at_not_a_bt():
    assert prove_matrices_equal(*mc.axtb_statement()).proven
    assert not prove_matrices_equal(*mc.axtb_statement(sheet=True)).proven  # E24


def numeric_gradient(f, x):
    """Central differences by dlcalc.numeric.finite_diff (NumPy only), for a scalar f of a matrix."""
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
