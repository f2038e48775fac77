"""Matrix calculus (sheet §4), matrix variables: gradients of aᵀXb, aᵀXᵀb, aᵀXᵀXb and of traces in
X (gradient layout: the shape of X), the derivative of Xa, proven entry by entry with X not square;
and subgradients of convex piecewise-linear functions.
"""

from __future__ import annotations

from dlcalc.catalogue._common import symbol_matrix
from dlcalc.catalogue._matrix_calculus import gradient
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, Param, choice, claim, erratum, identity
from dlcalc.core.result import Result

SECTION = "4"


def _matrix_setup():
    """X ∈ ℝ^{3×2}, a ∈ ℝ³, b ∈ ℝ² so that aᵀXb is defined and X is not square."""
    return symbol_matrix("X", 3, 2), symbol_matrix("a", 3, 1), symbol_matrix("b", 2, 1)


def axb_statement():
    x, a, b = _matrix_setup()
    return gradient((a.T * x * b)[0], x), a * b.T


def axtb_statement(sheet: bool = False):
    """∂(aᵀXᵀb)/∂X vs b aᵀ (E24: the sheet says abᵀ); here a ∈ ℝ², b ∈ ℝ³ so aᵀXᵀb is defined."""
    x = symbol_matrix("X", 3, 2)
    a, b = symbol_matrix("a", 2, 1), symbol_matrix("b", 3, 1)
    return gradient((a.T * x.T * b)[0], x), (a * b.T if sheet else b * a.T)


def axtxb_statement():
    x = symbol_matrix("X", 3, 2)
    a, b = symbol_matrix("a", 2, 1), symbol_matrix("b", 2, 1)
    return gradient((a.T * x.T * x * b)[0], x), x * (a * b.T + b * a.T)


def trace_gradients_statement():
    """∂Tr(X)/∂X = I, ∂Tr(AXB)/∂X = AᵀBᵀ, ∂Tr(AXᵀB)/∂X = BA (X 3×2; stacked)."""
    import sympy

    square = symbol_matrix("Y", 3, 3)
    x = symbol_matrix("X", 3, 2)
    a, b = symbol_matrix("A", 4, 3), symbol_matrix("B", 2, 4)
    c, d = symbol_matrix("C", 4, 2), symbol_matrix("D", 3, 4)
    lhs = sympy.Matrix.vstack(gradient(square.trace(), square), gradient((a * x * b).trace(), x).T,
                              gradient((c * x.T * d).trace(), x).T)
    rhs = sympy.Matrix.vstack(sympy.eye(3), (a.T * b.T).T, (d * c).T)
    return lhs, rhs


def xa_statement():
    """y = Xa (X 2×3): the Jacobian w.r.t. the row-major vec(X) vs I_m ⊗ aᵀ, and ∂y/∂a vs X (stacked)."""
    import sympy

    x, a = symbol_matrix("X", 2, 3), symbol_matrix("a", 3, 1)
    y = x * a
    vec_row = sympy.Matrix([x[i, j] for i in range(2) for j in range(3)])
    kron = sympy.Matrix(sympy.BlockDiagMatrix(a.T, a.T))  # I_2 ⊗ aᵀ
    return sympy.Matrix.hstack(y.jacobian(vec_row), y.jacobian(a)), sympy.Matrix.hstack(kron, x)


_E24 = erratum(
    "E24",
    title="∂(aᵀXᵀb)/∂X",
    sheet="∂/∂x[aᵀXᵀb] = abᵀ",
    correct="baᵀ, because aᵀXᵀb = bᵀXa; for non-square X the sheet's abᵀ does not even have X's shape",
    command="dlcalc verify grad-a-xt-b",
)


_E25 = erratum(
    "E25",
    title="§4.4 writes ∂/∂x for a matrix variable",
    sheet="∂/∂x[aᵀXb] = abᵀ …",
    correct="∂/∂X; the results are in gradient layout (the shape of X)",
    command="dlcalc verify grad-a-x-b",
)


_E26 = erratum(
    "E26",
    title="'vector-by-matrix' derivative ∂(Xa)/∂x = xᵀ",
    sheet="∂/∂x[Xa] = xᵀ",
    correct="∂(Xa)_i/∂X_jk = δ_ij a_k, i.e. I_m ⊗ aᵀ w.r.t. the row-major vec(X); and ∂(Xa)/∂a = X",
    command="dlcalc verify jacobian-xa",
)


identity(
    name="grad-a-x-b",
    section=SECTION,
    catalogue_id="DER-AXB",
    summary="Gradient of aᵀXb in X",
    formula="∂(aᵀXb)/∂X = abᵀ",
    latex=r"\frac{\partial a^\top X b}{\partial X} = ab^\top",
    build=axb_statement,
    method="entrywise diff",
    errata=(_E25,),
)


identity(
    name="grad-a-xt-b",
    section=SECTION,
    catalogue_id="DER-AXTB",
    summary="Gradient of aᵀXᵀb in X",
    formula="∂(aᵀXᵀb)/∂X = baᵀ",
    latex=r"\frac{\partial a^\top X^\top b}{\partial X} = ba^\top",
    build=axtb_statement,
    method="entrywise diff",
    sheet_version=lambda: axtb_statement(sheet=True),
    errata=(_E24,),
)


identity(
    name="grad-a-xtx-b",
    section=SECTION,
    catalogue_id="DER-AXTXB",
    summary="Gradient of aᵀXᵀXb in X",
    formula="∂(aᵀXᵀXb)/∂X = X(abᵀ + baᵀ)",
    latex=r"\frac{\partial a^\top X^\top X b}{\partial X} = X(ab^\top + ba^\top)",
    build=axtxb_statement,
    method="entrywise diff",
)


identity(
    name="grad-traces",
    section=SECTION,
    catalogue_id="DER-TRAXB DER-TRX DER-TRAXTB",
    summary="Gradients of Tr X, Tr(AXB) and Tr(AXᵀB)",
    formula="∂Tr(X)/∂X = I;  ∂Tr(AXB)/∂X = AᵀBᵀ;  ∂Tr(AXᵀB)/∂X = BA",
    latex=r"\frac{\partial\,\mathrm{Tr}(AXB)}{\partial X} = A^\top B^\top",
    build=trace_gradients_statement,
    method="entrywise diff",
)


identity(
    name="jacobian-xa",
    section=SECTION,
    catalogue_id="DER-XA",
    summary="Derivative of Xa in X (a 3rd-order tensor) and in a",
    formula="∂(Xa)/∂vec_row(X) = I_m ⊗ aᵀ;  ∂(Xa)/∂a = X",
    latex=r"\frac{\partial (Xa)}{\partial\,\mathrm{vec}(X)} = I_m \otimes a^\top",
    build=xa_statement,
    method="entrywise diff",
    errata=(_E26,),
)


_ONE_SIDED = {  # (left derivative, right derivative) at x of convex piecewise-linear functions
    "abs": lambda x: (-1.0, -1.0) if x < 0 else (1.0, 1.0) if x > 0 else (-1.0, 1.0),
    "relu": lambda x: (0.0, 0.0) if x < 0 else (1.0, 1.0) if x > 0 else (0.0, 1.0),
    "hinge": lambda x: (-1.0, -1.0) if x < 1 else (0.0, 0.0) if x > 1 else (-1.0, 0.0),
}


def subgradient(fn, x, g):
    """For convex f on ℝ, ∂f(x) = [f'_−(x), f'_+(x)]; decide whether g lies in it."""
    if fn not in _ONE_SIDED:
        raise DlcalcError(f"unknown function {fn}")
    low, high = _ONE_SIDED[fn](x)
    holds = low <= g <= high
    interval = f"[{low:g}, {high:g}]" if low != high else f"{{{low:g}}}"
    return Result(value=holds, plain="subgradient" if holds else "not a subgradient",
                  steps=[f"∂{fn}({x:g}) = {interval}: g is a subgradient iff f(y) ≥ f(x) + g(y − x) for all y"],
                  extra={"subdifferential": [low, high]}, holds=holds)


claim(
    name="subgradient",
    section=SECTION,
    catalogue_id="DER-SUBGRAD",
    summary="Decide whether g is a subgradient of abs, relu or hinge (max(0, 1 − x)) at x",
    params=(Param("fn", choice(*_ONE_SIDED), "the convex function"), Param("x", FLOAT, "the point x"),
            Param("g", FLOAT, "the candidate subgradient g")),
    formula="∂f(x) = {g : f(y) ≥ f(x) + g(y − x) ∀y};  ∂|·|(0) = [−1, 1];  ∂ReLU(0) = [0, 1]",
    latex=r"\partial f(x) = \{g : f(y) \ge f(x) + g^\top (y - x)\ \forall y\}",
    compute=subgradient,
    examples=(("--fn abs --x 0 --g 0.5", "subgradient"), ("--fn relu --x 0 --g 1.1", "not a subgradient"),
              ("--fn relu --x 2 --g 1", "subgradient")),
    notes="Exit 0 if g is a subgradient, 1 if not.",
)
