"""The proof engine: SymPy proves, a spot check at random points guards the proof."""

from __future__ import annotations

import sympy

from dlcalc.core.proof import prove_equal, prove_matrices_equal, spot_check

x, y = sympy.symbols("x y", real=True)


def test_a_true_identity_with_huge_values_is_proven():
    # e^(50x²) reaches e^450 on the sample range: only a relative tolerance accepts the rounding
    proof = prove_equal(sympy.exp(25 * x**2) ** 2, sympy.exp(50 * x**2))
    assert proof.proven and "spot check" in proof.method


def test_a_false_identity_is_refuted_with_a_witness():
    proof = prove_equal(sympy.sin(x) ** 2, 1 - sympy.cos(x) ** 2 + x / 1000)
    assert not proof.proven
    assert "differs by" in proof.detail and "x=" in proof.detail


def test_spot_check_assigns_symbols_that_cancel():
    assert spot_check(x + y, y + x)[0]


def test_matrices_entry_by_entry():
    a = sympy.Matrix([[x, y], [0, 1]])
    assert prove_matrices_equal(a.T.T, a).proven
    wrong = prove_matrices_equal(a, a + sympy.Matrix([[0, 0], [0, x]]))
    assert not wrong.proven and wrong.detail.startswith("entry (1,1)")
    assert "shapes differ: 2×2 vs 1×2" in prove_matrices_equal(a, sympy.Matrix([[x, y]])).detail
