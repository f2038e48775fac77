"""Linear recurrent units (sheet §13.1.3): A = PΛP⁻¹, stability, the state by three routes, and the
identities behind them (proven by SymPy, imported only inside the statement builders)."""

from __future__ import annotations

from dlcalc.catalogue._common import complex_text, finite_array, rounded, shape_text, square_array
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import MATRIX, Param, erratum, formula, identity
from dlcalc.core.result import Result

# ---- linear recurrent units ------------------------------------------------------------------


def _diagonalise(A):
    """A = P Λ P⁻¹ with NumPy's eigenvectors; refuse a defective (non-diagonalisable) A."""
    import numpy as np

    eigenvalues, P = np.linalg.eig(A)
    if np.linalg.cond(P) > 1e10:
        raise DlcalcError("A is not diagonalisable (its eigenvectors are linearly dependent); "
                          "an LRU needs A = PΛP⁻¹")
    return eigenvalues, P


def lru_states(A, B, xs):
    """Final state z^T three ways: the recurrence, the diagonal basis, the convolution sum."""
    import numpy as np

    eigenvalues, P = _diagonalise(A)
    P_inv = np.linalg.inv(P)
    z = np.zeros(A.shape[0])
    xi = np.zeros(A.shape[0], dtype=complex)
    B_tilde = P_inv @ B
    for x in xs:
        z = A @ z + B @ x
        xi = eigenvalues * xi + B_tilde @ x
    T = len(xs)
    conv = sum(np.linalg.matrix_power(A, k) @ B @ xs[T - 1 - k] for k in range(T))
    return z, (P @ xi), conv


def lru(A, B, x):
    import numpy as np

    matrix = square_array(A, "A")
    eigenvalues, P = _diagonalise(matrix)
    residual = float(np.max(abs(P @ np.diag(eigenvalues) @ np.linalg.inv(P) - matrix)))
    stable = bool(np.all(abs(eigenvalues) < 1))
    value = {"eigenvalues": [complex_text(v) for v in eigenvalues], "stable": stable}
    steps = [f"A = PΛP⁻¹ with Λ = diag({', '.join(value['eigenvalues'])}), "
             f"max |PΛP⁻¹ − A| = {residual:.2g}",
             "stable (|λ_i| < 1)" if stable else "not stable: some |λ_i| ≥ 1"]
    extra = {"P": [[complex_text(v) for v in row] for row in P], "reconstruction_error": residual}
    if x is not None:
        if B is None:
            raise DlcalcError("--x needs --B (the input matrix)")
        inputs = finite_array(x, "--x")
        B_matrix = finite_array(B, "--B")
        if inputs.ndim == 1:
            inputs = inputs[:, None]
        if B_matrix.shape != (matrix.shape[0], inputs.shape[1]):
            raise DlcalcError(f"--B must be {matrix.shape[0]}×{inputs.shape[1]} (state × input), "
                              f"got {shape_text(B_matrix.shape)}")
        direct, diagonal, conv = lru_states(matrix, B_matrix, inputs)
        agreement = float(max(np.max(abs(diagonal - direct)), np.max(abs(conv - direct))))
        value["z"] = rounded(direct)
        extra["agreement"] = agreement
        steps.append(f"z^T by z^(t+1) = Az^t + Bx^t, by ξ^(t+1) = Λξ^t + P⁻¹Bx^t with z = Pξ, and by "
                     f"Σ A^k B x^(T−1−k): agree to {agreement:.2g}")
    return Result(value=value, steps=steps, extra=extra)


_E60 = erratum(
    "E60",
    title="LRU diagonalisation garbled",
    sheet="z^{t+1} = Λξ^t + B̃x^t; 'if A = PAP⁻¹'",
    correct="A = PΛP⁻¹, ξ^t = P⁻¹z^t, ξ^{t+1} = Λξ^t + B̃x^t with B̃ = P⁻¹B, and z^t = Pξ^t; "
    "z^t = Σ_k A^k B x^{t−1−k}; stable iff |λ_i| < 1",
    command="dlcalc lru --A '[[0.5,0.2],[0,0.3]]' --B '[[1],[1]]' --x '1;0;0'",
)

formula(
    name="lru",
    section="13.1.3",
    catalogue_id="RNN-LRU",
    summary="Linear recurrent unit: A = PΛP⁻¹, stability, and the state by three equal routes",
    params=(
        Param("A", MATRIX, "state matrix (n×n)"),
        Param("B", MATRIX, "input matrix (n×m)", default=()),
        Param("x", MATRIX, "inputs x^0..x^(T−1), one row per step (T×m)", default=()),
    ),
    formula="z^{t+1} = Az^t + Bx^t, A = PΛP⁻¹, ξ = P⁻¹z: ξ^{t+1} = Λξ^t + P⁻¹Bx^t; z^T = Σ_k A^k B x^{T−1−k}",
    latex=r"A = P\Lambda P^{-1},\ \xi^{t+1} = \Lambda\xi^t + P^{-1}Bx^t",
    compute=lambda A, B, x: lru(A, B or None, x or None),
    errata=(_E60,),
    examples=(
        ("--A '[[0.5,0.2],[0,0.3]]'", "eigenvalues=0.5,0.3 stable=true"),
        ("--A '[[0,-1],[1,0]]'", "eigenvalues=0.0+1.0i,0.0-1.0i stable=false", "a rotation: |λ| = 1"),
        ("--A '[[0.5,0.2],[0,0.3]]' --B '[[1],[1]]' --x '1;0;0'",
         "eigenvalues=0.5,0.3 stable=true z=0.41,0.09", "z³ = A²B·1 = (0.41, 0.09)"),
    ),
    notes="Complex eigenvalues print as a+bi. z^0 = 0; --x holds one input per row.",
)


# ---- LRU identities (proven by `dlcalc verify`) ------------------------------------------------


def _lru_symbols(n=2):
    import sympy

    P = sympy.Matrix(n, n, lambda i, j: sympy.Symbol(f"p{i}{j}"))
    lam = sympy.diag(*sympy.symbols(f"lambda0:{n}"))
    B = sympy.Matrix(n, 1, lambda i, _: sympy.Symbol(f"b{i}"))
    z = sympy.Matrix(n, 1, lambda i, _: sympy.Symbol(f"z{i}"))
    return P, lam, B, z, sympy.Symbol("x")


def _diagonal_basis_sides():
    """The recurrence Az^t + Bx^t with A = PΛP⁻¹, and Λξ^t + P⁻¹Bx^t with ξ^t = P⁻¹z^t, and P."""
    P, lam, B, z, x = _lru_symbols()
    P_inv = P.inv()
    return P * lam * P_inv * z + B * x, lam * (P_inv * z) + P_inv * B * x, P


def lru_basis_statement():
    """z^{t+1} = A z^t + B x^t written in the diagonal basis: z^{t+1} = P(Λξ^t + P⁻¹B x^t)."""
    recurrence, diagonal, P = _diagonal_basis_sides()
    return recurrence, P * diagonal


def lru_basis_sheet_version():
    """The sheet's z^{t+1} = Λξ^t + B̃x^t, without the P that takes ξ back to z (E60)."""
    recurrence, diagonal, _ = _diagonal_basis_sides()
    return recurrence, diagonal


def lru_unroll_statement(steps=3):
    """(lhs, rhs): the recurrence from z^0 = 0 after `steps` steps vs Σ_k A^k B x^{T−1−k}."""
    import sympy

    A = sympy.Matrix(2, 2, lambda i, j: sympy.Symbol(f"a{i}{j}"))
    B = sympy.Matrix(2, 1, lambda i, _: sympy.Symbol(f"b{i}"))
    xs = sympy.symbols(f"x0:{steps}")
    z = sympy.zeros(2, 1)
    for x in xs:
        z = A * z + B * x
    unrolled = sum((A**k * B * xs[steps - 1 - k] for k in range(steps)), sympy.zeros(2, 1))
    return z, unrolled


identity(
    name="lru-diagonal-basis",
    section="13.1.3",
    catalogue_id="RNN-LRU",
    summary="In the eigenbasis ξ = P⁻¹z the LRU recurrence is diagonal: z^{t+1} = P(Λξ^t + P⁻¹Bx^t)",
    formula="A = PΛP⁻¹ ⇒ Az^t + Bx^t = P(Λξ^t + B̃x^t), ξ^t = P⁻¹z^t, B̃ = P⁻¹B",
    latex=r"Az^t + Bx^t = P(\Lambda\xi^t + \tilde B x^t)",
    build=lru_basis_statement,
    sheet_version=lru_basis_sheet_version,
    errata=(_E60,),
    sheet_says="z^{t+1} = Λξ^t + B̃x^t (no P), 'A = PAP⁻¹'",
)

identity(
    name="lru-unroll",
    section="13.1.3",
    catalogue_id="RNN-LRU-CONV",
    summary="A linear recurrence from z⁰ = 0 is a convolution: z^T = Σ_k A^k B x^{T−1−k}",
    formula="z^T = Σ_{k=0}^{T−1} A^k B x^{T−1−k}",
    latex=r"z^T = \sum_{k=0}^{T-1} A^k B x^{T-1-k}",
    build=lru_unroll_statement,
    method="expand",
)
