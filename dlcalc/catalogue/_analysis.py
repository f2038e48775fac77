"""Helpers shared by the analysis modules (a private helper module: no area imports another area):
functions given as expressions (SymPy builds them from our whitelisting parser; NumPy evaluates),
the 2-D quadratic of the convexity and descent-lemma proofs, and the erratum E11 that gd and
strict-convexity both show.
"""

from __future__ import annotations

from dlcalc.catalogue._common import symbol_matrix
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import erratum

def parse_function(f, variables):
    """'x**2 + 3*y**2' with 'x,y' -> (SymPy expression, list of symbols)."""
    import sympy

    from dlcalc.core.scalar_expr import parse_scalar

    names = [v.strip() for v in variables.split(",") if v.strip()]
    if not names or len(set(names)) != len(names) or any(not n.isidentifier() for n in names):
        raise DlcalcError(f"--vars: expected distinct variable names like x,y, got {variables!r}")
    symbols = [sympy.Symbol(n, real=True) for n in names]
    return parse_scalar(f, dict(zip(names, symbols)), what="--f"), symbols


def point(at, symbols, name="--at"):
    if len(at) != len(symbols):
        raise DlcalcError(f"{name} has {len(at)} values for {len(symbols)} variables")
    return dict(zip(symbols, at))


def numeric_function(expression, symbols):
    """A NumPy function of a point (and its gradient) from a SymPy expression built by our parser."""
    import sympy

    value = sympy.lambdify(symbols, expression, "numpy")
    grad = sympy.lambdify(symbols, [sympy.diff(expression, s) for s in symbols], "numpy")
    return (lambda x: float(value(*x))), (lambda x: [float(g) for g in grad(*x)])

E11 = erratum(
    "E11",
    title="strict convexity 'guarantees a unique global minimum'",
    sheet="strictly convex functions have a unique global minimum",
    correct="a strictly convex function has at most one minimiser and need not have one (exp(x) has none); "
    "existence needs e.g. strong convexity or coercivity",
    command='dlcalc gd --f "exp(x)" --vars x --x0 0 --eta 1 --steps 1000',
)

def quadratic():
    """f(v) = ½vᵀHv + bᵀv in 2-D with a general symmetric H: (f, H, x, ∇f(x))."""
    import sympy

    x, b = symbol_matrix("x", 2, 1), symbol_matrix("b", 2, 1)
    h11, h12, h22 = sympy.symbols("h11 h12 h22", real=True)
    h = sympy.Matrix([[h11, h12], [h12, h22]])

    def f(v):
        return ((v.T * h * v) / 2 + b.T * v)[0]

    return f, h, x, h * x + b
