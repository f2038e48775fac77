"""Matrix-calculus identities (sheet §4), proven entry by entry at small concrete sizes.

Conventions (catalogue §1.3): J_f ∈ ℝ^{m×n} is the numerator-layout Jacobian of f: ℝⁿ → ℝᵐ;
the gradient of a scalar is a column with the shape of the variable; for a scalar function of a
matrix X the gradient has the shape of X. Every derivative is taken with ``diff`` on explicit
scalar symbols (never SymPy's MatrixSymbol calculus, which silently drops terms), and the sizes
are chosen unequal (m ≠ n) so that a transposed or mis-shaped formula cannot pass by accident.
The ``*_statement`` functions take a ``sheet`` flag where the sheet states the identity wrongly,
so a test can see the wrong version refuted.
"""

from __future__ import annotations

from dlcalc.catalogue._common import declare_identity, symbol_matrix
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, Param, choice, erratum, formula
from dlcalc.core.result import Result

SECTION = "4"
N, M = 2, 3  # x ∈ ℝ², f, g: ℝ² → ℝ³


def _x():
    return symbol_matrix("x", N, 1)


def gradient(scalar, variable):
    """∂scalar/∂variable with the shape of the variable (column for a vector, X's shape for X)."""
    import sympy

    return sympy.Matrix(*variable.shape, lambda i, j: sympy.diff(scalar, variable[i, j]))


def _vector_field(x, which: str, m: int = M):
    """Two fixed nonlinear maps ℝ² → ℝᵐ (f and g, m ≤ 3) used as the 'arbitrary' functions."""
    import sympy

    x1, x2 = x
    if which == "f":
        return sympy.Matrix([x1**2 * x2, sympy.sin(x1), x1 + sympy.exp(x2)][:m])
    return sympy.Matrix([x1 * x2, x2**3, sympy.cos(x1 - x2)][:m])


def _map_from_r3(y):
    """A fixed nonlinear map ℝ³ → ℝ² (the outer f of the two-map chain rules)."""
    import sympy

    return sympy.Matrix([y[0] * y[1] + sympy.sin(y[2]), y[0] ** 2 - y[2]])


def _scalar_of(x, which: str):
    import sympy

    x1, x2 = x
    return x1**2 * sympy.exp(x2) if which == "u" else sympy.sin(x1 * x2) + x2


def chain_statement():
    """J_{f∘g}(x) vs J_f(g(x))·J_g(x), with g: ℝ² → ℝ³ and f: ℝ³ → ℝ²."""
    x, y = _x(), symbol_matrix("y", M, 1)
    g, f = _vector_field(x, "g"), _map_from_r3(y)
    at_g = dict(zip(y, g))
    return f.subs(at_g).jacobian(x), f.jacobian(y).subs(at_g) * g.jacobian(x)


def chain3_statement(sheet: bool = False):
    """J of f(g(h(x))) vs J_f(g(h)) J_g(h) J_h (h: ℝ²→ℝ³, g: ℝ³→ℝ², f: ℝ²→ℝ²).

    The sheet's J_f·J_h drops J_g; with these sizes it does not even conform (SymPy raises ShapeError)."""
    import sympy

    x, y, z = _x(), symbol_matrix("y", M, 1), symbol_matrix("z", N, 1)
    h = _vector_field(x, "f")
    g = sympy.Matrix([y[0] * y[2], y[1] + y[2] ** 2])
    f = sympy.Matrix([sympy.exp(z[0]) * z[1], z[0] - z[1] ** 3])
    at_h, at_gh = dict(zip(y, h)), dict(zip(z, g.subs(dict(zip(y, h)))))
    composed = f.subs(dict(zip(z, g))).subs(at_h)
    jf, jg, jh = f.jacobian(z).subs(at_gh), g.jacobian(y).subs(at_h), h.jacobian(x)
    return composed.jacobian(x), (jf * jh if sheet else jf * jg * jh)


def product_statement():
    x = _x()
    u, v = _scalar_of(x, "u"), _scalar_of(x, "v")
    return gradient(u * v, x), u * gradient(v, x) + v * gradient(u, x)


def composition_statement():
    """∇u(v(x)) vs u'(v)∇v with u = log(1 + s²)."""
    import sympy

    x, s = _x(), sympy.Symbol("s", real=True)
    v = _scalar_of(x, "v")
    u = sympy.log(1 + s**2)
    return gradient(u.subs(s, v), x), sympy.diff(u, s).subs(s, v) * gradient(v, x)


def ftg_statement(sheet: bool = False, m: int = M):
    """∇(fᵀg) vs J_fᵀg + J_gᵀf for f, g: ℝ² → ℝᵐ.

    E22: the sheet's J_f g + J_g f does not conform for m ≠ n (ShapeError), and is wrong for m = n."""
    x = _x()
    f, g = _vector_field(x, "f", m), _vector_field(x, "g", m)
    jf, jg = f.jacobian(x), g.jacobian(x)
    return gradient((f.T * g)[0], x), (jf * g + jg * f if sheet else jf.T * g + jg.T * f)


def ftag_statement():
    x, a = _x(), symbol_matrix("a", M, M)
    f, g = _vector_field(x, "f"), _vector_field(x, "g")
    return gradient((f.T * a * g)[0], x), f.jacobian(x).T * a * g + g.jacobian(x).T * a.T * f


def normsq_statement(sheet: bool = False, m: int = M):
    """∇‖f‖² vs 2J_fᵀf for f: ℝ² → ℝᵐ (E22: the sheet's 2J_f f; ShapeError for m ≠ n, wrong for m = n)."""
    x = _x()
    f = _vector_field(x, "f", m)
    jf = f.jacobian(x)
    return gradient((f.T * f)[0], x), 2 * (jf if sheet else jf.T) * f


def linear_forms_statement():
    """∇(aᵀx) = a, ∇(xᵀa) = a, ∇(xᵀx) = 2x, ∇(bᵀAx) = Aᵀb, ∇(xᵀAx) = (A + Aᵀ)x, stacked as one
    5n-vector (blocks of n = 3 rows in that order; A is 2×3 so that Ab would not conform)."""
    import sympy

    n = 3
    x, a, b, big_a = symbol_matrix("x", n, 1), symbol_matrix("a", n, 1), symbol_matrix("b", 2, 1), symbol_matrix("A", 2, n)
    square = symbol_matrix("S", n, n)
    lhs = sympy.Matrix.vstack(gradient((a.T * x)[0], x), gradient((x.T * a)[0], x), gradient((x.T * x)[0], x),
                              gradient((b.T * big_a * x)[0], x), gradient((x.T * square * x)[0], x))
    rhs = sympy.Matrix.vstack(a, a, 2 * x, big_a.T * b, (square + square.T) * x)
    return lhs, rhs


def affine_statement():
    """∇[(Ax + b)ᵀC(Dx + e)] vs DᵀCᵀ(Ax + b) + AᵀC(Dx + e), with A 3×2, C 3×4, D 4×2."""
    x = _x()
    a, b, c, d, e = symbol_matrix("A", 3, N), symbol_matrix("b", 3, 1), symbol_matrix("C", 3, 4), symbol_matrix("D", 4, N), symbol_matrix("e", 4, 1)
    scalar = ((a * x + b).T * c * (d * x + e))[0]
    return gradient(scalar, x), d.T * c.T * (a * x + b) + a.T * c * (d * x + e)


def uf_statement():
    """∂(u f)/∂x vs u J_f + f (∇u)ᵀ (numerator layout)."""
    x = _x()
    u, f = _scalar_of(x, "u"), _vector_field(x, "f")
    return (u * f).jacobian(x), u * f.jacobian(x) + f * gradient(u, x).T


def linear_maps_statement():
    """∂(x∘a)/∂x = diag(a), ∂(Ax)/∂x = A, ∂(Aᵀx)/∂x = Aᵀ (= ∂(xᵀA)/∂x, xᵀA read as the column Aᵀx),
    ∂x/∂x = I, ∂(A f)/∂x = A J_f, ∂(c f)/∂x = c J_f for a scalar constant c (stacked; row blocks of
    2, 3, 3, 2, 2, 3)."""
    import sympy

    x, a, c = _x(), symbol_matrix("a", N, 1), sympy.Symbol("c", real=True)
    wide, tall = symbol_matrix("A", M, N), symbol_matrix("B", N, M)
    f = _vector_field(x, "f")
    lhs = sympy.Matrix.vstack(x.multiply_elementwise(a).jacobian(x), (wide * x).jacobian(x), (tall.T * x).jacobian(x),
                              x.jacobian(x), (tall * f).jacobian(x), (c * f).jacobian(x))
    rhs = sympy.Matrix.vstack(sympy.diag(*a), wide, tall.T, sympy.eye(N), tall * f.jacobian(x), c * f.jacobian(x))
    return lhs, rhs


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


def _entrywise_jacobian(f, x, layout: str = "numerator"):
    """∂f/∂x built entry by entry: numerator (∂f_i/∂x_j, m×n) or denominator (∂f_j/∂x_i, n×m)."""
    import sympy

    if layout == "numerator":
        return sympy.Matrix(len(f), len(x), lambda i, j: sympy.diff(f[i], x[j]))
    return sympy.Matrix(len(x), len(f), lambda i, j: sympy.diff(f[j], x[i]))


def jacobian_statement(sheet: bool = False):
    """First-order change of f: ℝ² → ℝ³ along v, d/dε f(x + εv) at ε = 0, vs J_f v with the m×n
    Jacobian (∂f_i/∂x_j); and of a scalar u: d/dε u(x + εv) vs (1×n row ∇uᵀ)·v (stacked).

    E21: the sheet's n×m matrix (sheet=True) does not conform with v (ShapeError)."""
    import sympy

    x, v, eps = _x(), symbol_matrix("v", N, 1), sympy.Symbol("epsilon", real=True)
    moved = dict(zip(x, x + eps * v))
    f, u = _vector_field(x, "f"), _scalar_of(x, "u")
    directional = sympy.Matrix.vstack(f.subs(moved, simultaneous=True).diff(eps),
                                      sympy.Matrix([u.subs(moved, simultaneous=True).diff(eps)])).subs(eps, 0)
    jf = _entrywise_jacobian(f, x, "denominator" if sheet else "numerator")
    row = _entrywise_jacobian(sympy.Matrix([u]), x)
    return directional, sympy.Matrix.vstack(jf * v, row * v)


def denominator_statement(reversed_order: bool = True):
    """Denominator layout: (∂f/∂x)_ij = ∂f_j/∂x_i equals J_fᵀ, and its chain rule runs the other way,
    ∂f(g(x))/∂x = (∂g/∂x)(∂f/∂g) (g: ℝ² → ℝ³, f: ℝ³ → ℝ²; side by side). ``reversed_order=False``
    keeps the numerator order (∂f/∂g)(∂g/∂x): a 3×3 matrix where the 2×2 belongs (ShapeError)."""
    import sympy

    x, y = _x(), symbol_matrix("y", M, 1)
    g, f = _vector_field(x, "g"), _map_from_r3(y)
    at_g = dict(zip(y, g))
    d_composed = _entrywise_jacobian(f.subs(at_g, simultaneous=True), x, "denominator")
    d_g, d_f = _entrywise_jacobian(g, x, "denominator"), _entrywise_jacobian(f, y, "denominator").subs(at_g, simultaneous=True)
    chain = d_g * d_f if reversed_order else d_f * d_g
    return (sympy.Matrix.hstack(d_g, d_composed),
            sympy.Matrix.hstack(g.jacobian(x).T, chain))


def constant_statement(claimed_zero: bool = True):
    """∂a/∂x = 0 for a constant a ∈ ℝ³ (symbols free of x), and ∂x/∂x = I (stacked).
    ``claimed_zero=False`` claims ∂a/∂x is all ones instead, which a test sees refuted."""
    import sympy

    x, a = _x(), symbol_matrix("a", M, 1)
    constant_part = sympy.zeros(M, N) if claimed_zero else sympy.ones(M, N)
    return (sympy.Matrix.vstack(_entrywise_jacobian(a, x), _entrywise_jacobian(x, x)),
            sympy.Matrix.vstack(constant_part, sympy.eye(N)))


_E21 = erratum(
    "E21",
    title="numerator-layout Jacobian shape",
    sheet="(∂f/∂x)_ij := ∂f_i/∂x_j, ∂f/∂x ∈ ℝ^{n×m} for f: ℝⁿ → ℝᵐ",
    correct="∈ ℝ^{m×n} (as §11.2 itself states); the denominator layout is the n×m transpose",
    command="dlcalc verify chain-rule",
)
_E22 = erratum(
    "E22",
    title="§4.2 identities mix layouts",
    sheet="∂(fᵀg)/∂x = J_f g + J_g f;  ∂‖f‖²/∂x = 2J_f f",
    correct="with J_f the m×n numerator Jacobian: ∇(fᵀg) = J_fᵀg + J_gᵀf and ∇‖f‖² = 2J_fᵀf",
    command="dlcalc verify grad-f-dot-g grad-norm-squared",
)
_E23 = erratum(
    "E23",
    title="triple chain rule drops the middle factor",
    sheet="∂/∂x f(g(h(x))) = ∂f/∂g (g(h(x))) ∂h/∂x",
    correct="J_f(g(h(x)))·J_g(h(x))·J_h(x)",
    command="dlcalc verify chain-rule-3",
)
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
_E27 = erratum(
    "E27",
    title="∂(a f)/∂x with a bold a",
    sheet="∂(a f)/∂x = a ∂f/∂x (a bold)",
    correct="for a scalar a: a J_f; for a matrix A: ∂(A f)/∂x = A J_f; for a vector a and scalar f: a(∇f)ᵀ",
    command="dlcalc verify jacobian-linear-maps",
)

_IDENTITIES = (
    ("jacobian-shape", "DER-JAC OPT-JAC", "The numerator-layout Jacobian is m×n: J_f v is the first-order change of f along v",
     "(∂f/∂x)_ij = ∂f_i/∂x_j ∈ ℝ^{m×n};  d/dε f(x + εv)|₀ = J_f v;  the gradient of a scalar is a 1×n row",
     r"\left(\frac{\partial f}{\partial x}\right)_{ij} = \frac{\partial f_i}{\partial x_j} \in \mathbb{R}^{m\times n}",
     jacobian_statement, (_E21,)),
    ("jacobian-denominator", "DER-DENOM", "Denominator layout is the transpose J_fᵀ, and its chain rule reverses the order",
     "(∂f/∂x)_ij = ∂f_j/∂x_i ∈ ℝ^{n×m} = J_fᵀ;  ∂f(g(x))/∂x = (∂g/∂x)(∂f/∂g)",
     r"\left(\frac{\partial f}{\partial x}\right)_{ij} = \frac{\partial f_j}{\partial x_i} = (J_f^\top)_{ij}",
     denominator_statement, ()),
    ("jacobian-constant", "DER-CONST", "The Jacobian of a constant is 0 and of x itself is I",
     "∂a/∂x = 0 (m×n);  ∂x/∂x = I", r"\frac{\partial a}{\partial x} = 0,\quad \frac{\partial x}{\partial x} = I",
     constant_statement, ()),
    ("chain-rule", "DER-CHAIN", "Chain rule for Jacobians", "J_{f∘g}(x) = J_f(g(x))·J_g(x)",
     r"J_{f\circ g}(x) = J_f(g(x))\,J_g(x)", chain_statement, (_E21,)),
    ("chain-rule-3", "DER-CHAIN3", "Chain rule through three maps", "∂f(g(h(x)))/∂x = J_f(g(h)) J_g(h) J_h",
     r"J_{f\circ g\circ h} = J_f\,J_g\,J_h", chain3_statement, (_E23,)),
    ("grad-product", "DER-PROD", "Gradient of a product", "∇(uv) = u∇v + v∇u", r"\nabla(uv) = u\nabla v + v\nabla u",
     product_statement, ()),
    ("grad-composition", "DER-COMP", "Gradient of a composition with a scalar function", "∇u(v(x)) = u'(v)∇v",
     r"\nabla u(v(x)) = u'(v)\nabla v", composition_statement, ()),
    ("grad-f-dot-g", "DER-FTG", "Gradient of fᵀg", "∇(fᵀg) = J_fᵀg + J_gᵀf", r"\nabla(f^\top g) = J_f^\top g + J_g^\top f",
     ftg_statement, (_E22,)),
    ("grad-f-a-g", "DER-FTAG", "Gradient of fᵀAg", "∇(fᵀAg) = J_fᵀAg + J_gᵀAᵀf",
     r"\nabla(f^\top A g) = J_f^\top A g + J_g^\top A^\top f", ftag_statement, ()),
    ("grad-norm-squared", "DER-NORMSQ", "Gradient of ‖f(x)‖²", "∇‖f(x)‖² = 2J_fᵀf", r"\nabla\|f\|^2 = 2J_f^\top f",
     normsq_statement, (_E22,)),
    ("grad-linear-forms", "DER-XTAX DER-ATX DER-XTX DER-BTAX", "Gradients of aᵀx, xᵀx, bᵀAx and xᵀAx",
     "∇(aᵀx) = ∇(xᵀa) = a;  ∇(xᵀx) = 2x;  ∇(bᵀAx) = Aᵀb;  ∇(xᵀAx) = (A + Aᵀ)x",
     r"\nabla(x^\top A x) = (A + A^\top)x", linear_forms_statement, ()),
    ("grad-affine-product", "DER-AFFINE", "Gradient of (Ax + b)ᵀC(Dx + e)",
     "∇[(Ax + b)ᵀC(Dx + e)] = DᵀCᵀ(Ax + b) + AᵀC(Dx + e)",
     r"\nabla[(Ax+b)^\top C(Dx+e)] = D^\top C^\top(Ax+b) + A^\top C(Dx+e)", affine_statement, ()),
    ("jacobian-scalar-times-vector", "DER-UF", "Jacobian of a scalar times a vector function",
     "∂(u f)/∂x = u J_f + f (∇u)ᵀ", r"\frac{\partial(uf)}{\partial x} = uJ_f + f(\nabla u)^\top", uf_statement, ()),
    ("jacobian-linear-maps", "DER-AX DER-HADAMARD DER-XTA DER-AF", "Jacobians of x∘a, Ax, Aᵀx (xᵀA), x, A f(x) and c f(x)",
     "∂(x∘a)/∂x = diag(a);  ∂(Ax)/∂x = A;  ∂(xᵀA)/∂x = ∂(Aᵀx)/∂x = Aᵀ;  ∂x/∂x = I;  ∂(A f)/∂x = A J_f;  "
     "∂(c f)/∂x = c J_f (scalar c)",
     r"\frac{\partial(Ax)}{\partial x} = A", linear_maps_statement, (_E27,)),
    ("grad-a-x-b", "DER-AXB", "Gradient of aᵀXb in X", "∂(aᵀXb)/∂X = abᵀ", r"\frac{\partial a^\top X b}{\partial X} = ab^\top",
     axb_statement, (_E25,)),
    ("grad-a-xt-b", "DER-AXTB", "Gradient of aᵀXᵀb in X", "∂(aᵀXᵀb)/∂X = baᵀ",
     r"\frac{\partial a^\top X^\top b}{\partial X} = ba^\top", axtb_statement, (_E24,)),
    ("grad-a-xtx-b", "DER-AXTXB", "Gradient of aᵀXᵀXb in X", "∂(aᵀXᵀXb)/∂X = X(abᵀ + baᵀ)",
     r"\frac{\partial a^\top X^\top X b}{\partial X} = X(ab^\top + ba^\top)", axtxb_statement, ()),
    ("grad-traces", "DER-TRAXB DER-TRX DER-TRAXTB", "Gradients of Tr X, Tr(AXB) and Tr(AXᵀB)",
     "∂Tr(X)/∂X = I;  ∂Tr(AXB)/∂X = AᵀBᵀ;  ∂Tr(AXᵀB)/∂X = BA",
     r"\frac{\partial\,\mathrm{Tr}(AXB)}{\partial X} = A^\top B^\top", trace_gradients_statement, ()),
    ("jacobian-xa", "DER-XA", "Derivative of Xa in X (a 3rd-order tensor) and in a",
     "∂(Xa)/∂vec_row(X) = I_m ⊗ aᵀ;  ∂(Xa)/∂a = X", r"\frac{\partial (Xa)}{\partial\,\mathrm{vec}(X)} = I_m \otimes a^\top",
     xa_statement, (_E26,)),
)

for _name, _id, _summary, _statement, _latex, _build, _errata in _IDENTITIES:
    declare_identity(SECTION, _name, _id, _summary, _statement, _latex, _build, "entrywise diff", errata=_errata)


# ---- subgradients ------------------------------------------------------------------------------

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


formula(
    name="subgradient",
    section=SECTION,
    catalogue_id="DER-SUBGRAD",
    summary="Decide whether g is a subgradient of abs, relu or hinge (max(0, 1 − x)) at x",
    params=(Param("fn", choice(*_ONE_SIDED), "the convex function"), Param("x", FLOAT, "the point x"),
            Param("g", FLOAT, "the candidate subgradient g")),
    formula="∂f(x) = {g : f(y) ≥ f(x) + g(y − x) ∀y};  ∂|·|(0) = [−1, 1];  ∂ReLU(0) = [0, 1]",
    latex=r"\partial f(x) = \{g : f(y) \ge f(x) + g^\top (y - x)\ \forall y\}",
    compute=subgradient,
    kind="claim",
    examples=(("--fn abs --x 0 --g 0.5", "subgradient"), ("--fn relu --x 0 --g 1.1", "not a subgradient"),
              ("--fn relu --x 2 --g 1", "subgradient")),
    notes="Exit 0 if g is a subgradient, 1 if not.",
)
