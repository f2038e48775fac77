"""Matrix calculus (sheet §4), vector functions: the Jacobian's shape and layouts, chain rules, and
the gradients of products, compositions, inner products and linear and quadratic forms, proven entry
by entry at small concrete sizes.

Conventions (catalogue §1.3): J_f ∈ ℝ^{m×n} is the numerator-layout Jacobian of f: ℝⁿ → ℝᵐ;
the gradient of a scalar is a column with the shape of the variable. Every derivative is taken with
``diff`` on explicit scalar symbols (never SymPy's MatrixSymbol calculus, which silently drops terms),
and the sizes are chosen unequal (m ≠ n) so that a transposed or mis-shaped formula cannot pass by
accident. Where the sheet states an identity wrongly, its ``sheet_version`` builds the sheet's form:
tests see it refuted, or see that it does not even conform.
"""

from __future__ import annotations

from dlcalc.catalogue._common import symbol_matrix
from dlcalc.catalogue._matrix_calculus import gradient
from dlcalc.core.registry import erratum, identity

SECTION = "4"
N, M = 2, 3  # x ∈ ℝ², f, g: ℝ² → ℝ³


def _x():
    return symbol_matrix("x", N, 1)


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


_E27 = erratum(
    "E27",
    title="∂(a f)/∂x with a bold a",
    sheet="∂(a f)/∂x = a ∂f/∂x (a bold)",
    correct="for a scalar a: a J_f; for a matrix A: ∂(A f)/∂x = A J_f; for a vector a and scalar f: a(∇f)ᵀ",
    command="dlcalc verify jacobian-linear-maps",
)


identity(
    name="jacobian-shape",
    section=SECTION,
    catalogue_id="DER-JAC OPT-JAC",
    summary="The numerator-layout Jacobian is m×n: J_f v is the first-order change of f along v",
    formula="(∂f/∂x)_ij = ∂f_i/∂x_j ∈ ℝ^{m×n};  d/dε f(x + εv)|₀ = J_f v;  the gradient of a scalar is a 1×n row",
    latex=r"\left(\frac{\partial f}{\partial x}\right)_{ij} = \frac{\partial f_i}{\partial x_j} \in \mathbb{R}^{m\times n}",
    build=jacobian_statement,
    method="entrywise diff",
    sheet_version=lambda: jacobian_statement(sheet=True),
    errata=(_E21,),
)


identity(
    name="jacobian-denominator",
    section=SECTION,
    catalogue_id="DER-DENOM",
    summary="Denominator layout is the transpose J_fᵀ, and its chain rule reverses the order",
    formula="(∂f/∂x)_ij = ∂f_j/∂x_i ∈ ℝ^{n×m} = J_fᵀ;  ∂f(g(x))/∂x = (∂g/∂x)(∂f/∂g)",
    latex=r"\left(\frac{\partial f}{\partial x}\right)_{ij} = \frac{\partial f_j}{\partial x_i} = (J_f^\top)_{ij}",
    build=denominator_statement,
    method="entrywise diff",
)


identity(
    name="jacobian-constant",
    section=SECTION,
    catalogue_id="DER-CONST",
    summary="The Jacobian of a constant is 0 and of x itself is I",
    formula="∂a/∂x = 0 (m×n);  ∂x/∂x = I",
    latex=r"\frac{\partial a}{\partial x} = 0,\quad \frac{\partial x}{\partial x} = I",
    build=constant_statement,
    method="entrywise diff",
)


identity(
    name="chain-rule",
    section=SECTION,
    catalogue_id="DER-CHAIN",
    summary="Chain rule for Jacobians",
    formula="J_{f∘g}(x) = J_f(g(x))·J_g(x)",
    latex=r"J_{f\circ g}(x) = J_f(g(x))\,J_g(x)",
    build=chain_statement,
    method="entrywise diff",
    errata=(_E21,),
)


identity(
    name="chain-rule-3",
    section=SECTION,
    catalogue_id="DER-CHAIN3",
    summary="Chain rule through three maps",
    formula="∂f(g(h(x)))/∂x = J_f(g(h)) J_g(h) J_h",
    latex=r"J_{f\circ g\circ h} = J_f\,J_g\,J_h",
    build=chain3_statement,
    method="entrywise diff",
    sheet_version=lambda: chain3_statement(sheet=True),
    errata=(_E23,),
)


identity(
    name="grad-product",
    section=SECTION,
    catalogue_id="DER-PROD",
    summary="Gradient of a product",
    formula="∇(uv) = u∇v + v∇u",
    latex=r"\nabla(uv) = u\nabla v + v\nabla u",
    build=product_statement,
    method="entrywise diff",
)


identity(
    name="grad-composition",
    section=SECTION,
    catalogue_id="DER-COMP",
    summary="Gradient of a composition with a scalar function",
    formula="∇u(v(x)) = u'(v)∇v",
    latex=r"\nabla u(v(x)) = u'(v)\nabla v",
    build=composition_statement,
    method="entrywise diff",
)


identity(
    name="grad-f-dot-g",
    section=SECTION,
    catalogue_id="DER-FTG",
    summary="Gradient of fᵀg",
    formula="∇(fᵀg) = J_fᵀg + J_gᵀf",
    latex=r"\nabla(f^\top g) = J_f^\top g + J_g^\top f",
    build=ftg_statement,
    method="entrywise diff",
    sheet_version=lambda: ftg_statement(sheet=True, m=N),
    errata=(_E22,),
)


identity(
    name="grad-f-a-g",
    section=SECTION,
    catalogue_id="DER-FTAG",
    summary="Gradient of fᵀAg",
    formula="∇(fᵀAg) = J_fᵀAg + J_gᵀAᵀf",
    latex=r"\nabla(f^\top A g) = J_f^\top A g + J_g^\top A^\top f",
    build=ftag_statement,
    method="entrywise diff",
)


identity(
    name="grad-norm-squared",
    section=SECTION,
    catalogue_id="DER-NORMSQ",
    summary="Gradient of ‖f(x)‖²",
    formula="∇‖f(x)‖² = 2J_fᵀf",
    latex=r"\nabla\|f\|^2 = 2J_f^\top f",
    build=normsq_statement,
    method="entrywise diff",
    sheet_version=lambda: normsq_statement(sheet=True, m=N),
    errata=(_E22,),
)


identity(
    name="grad-linear-forms",
    section=SECTION,
    catalogue_id="DER-XTAX DER-ATX DER-XTX DER-BTAX",
    summary="Gradients of aᵀx, xᵀx, bᵀAx and xᵀAx",
    formula="∇(aᵀx) = ∇(xᵀa) = a;  ∇(xᵀx) = 2x;  ∇(bᵀAx) = Aᵀb;  ∇(xᵀAx) = (A + Aᵀ)x",
    latex=r"\nabla(x^\top A x) = (A + A^\top)x",
    build=linear_forms_statement,
    method="entrywise diff",
)


identity(
    name="grad-affine-product",
    section=SECTION,
    catalogue_id="DER-AFFINE",
    summary="Gradient of (Ax + b)ᵀC(Dx + e)",
    formula="∇[(Ax + b)ᵀC(Dx + e)] = DᵀCᵀ(Ax + b) + AᵀC(Dx + e)",
    latex=r"\nabla[(Ax+b)^\top C(Dx+e)] = D^\top C^\top(Ax+b) + A^\top C(Dx+e)",
    build=affine_statement,
    method="entrywise diff",
)


identity(
    name="jacobian-scalar-times-vector",
    section=SECTION,
    catalogue_id="DER-UF",
    summary="Jacobian of a scalar times a vector function",
    formula="∂(u f)/∂x = u J_f + f (∇u)ᵀ",
    latex=r"\frac{\partial(uf)}{\partial x} = uJ_f + f(\nabla u)^\top",
    build=uf_statement,
    method="entrywise diff",
)


identity(
    name="jacobian-linear-maps",
    section=SECTION,
    catalogue_id="DER-AX DER-HADAMARD DER-XTA DER-AF",
    summary="Jacobians of x∘a, Ax, Aᵀx (xᵀA), x, A f(x) and c f(x)",
    formula="∂(x∘a)/∂x = diag(a);  ∂(Ax)/∂x = A;  ∂(xᵀA)/∂x = ∂(Aᵀx)/∂x = Aᵀ;  ∂x/∂x = I;  ∂(A f)/∂x = A J_f;  "
     "∂(c f)/∂x = c J_f (scalar c)",
    latex=r"\frac{\partial(Ax)}{\partial x} = A",
    build=linear_maps_statement,
    method="entrywise diff",
    errata=(_E27,),
)
