"""Analysis (sheet §2), claims checked on a grid: the Polyak–Łojasiewicz inequality, strict convexity
and its minimisers, local vs global minima, convexity of a function and of a set; and the identities
behind conic combinations and maxima of convex functions.

A grid can refute a claim with a witness; it cannot prove it everywhere (each command says so).
"""

from __future__ import annotations

import math

from dlcalc.catalogue._analysis import E11, numeric_function, parse_function, point
from dlcalc.catalogue._common import vector_text
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, INT, TEXT, VECTOR, Param, Rule, claim, identity
from dlcalc.core.result import Result

SECTION = "2"

_BOX_RULE = Rule(broken=lambda low, high, **_: low >= high, says=lambda low, high, **_: f"--low ({low}) must be below --high ({high})")


def box_grid(low, high, points, dims):
    """All points of a regular grid on [low, high]^dims, one per row."""
    import numpy as np

    axes = [np.linspace(low, high, points)] * dims
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, dims)


def pl_check(f, vars, mu, fstar, low, high, points):
    """Check ½‖∇f‖² ≥ μ(f − f*) on a grid over the box [low, high]^d (a witness if it fails)."""
    import numpy as np

    expression, symbols = parse_function(f, vars)
    value, grad = numeric_function(expression, symbols)
    grid = box_grid(low, high, points, len(symbols))
    worst, witness, values = math.inf, None, []
    for x in grid:
        g = grad(x)
        values.append(value(x))
        gap = 0.5 * float(np.dot(g, g)) - mu * (values[-1] - fstar)
        if gap < worst:
            worst, witness = gap, x
    below = min(values)
    holds = worst >= -1e-12 and below >= fstar - 1e-12
    steps = [f"min over {len(grid)} grid points of ½‖∇f‖² − μ(f − f*) = {worst:.6g} at {vector_text(witness)}",
             "PL does not need convexity: x² + 3 sin²x is PL (μ = 1/32) yet not convex",
             "a grid can refute the inequality (a witness), not prove it everywhere"]
    if below < fstar - 1e-12:
        steps.append(f"f goes below the given f* = {fstar} (min on the grid {below:.6g}): f* is wrong")
    return Result(value=holds, plain="holds on the grid" if holds else
                  f"violated at {vector_text(witness)}", steps=steps,
                  extra={"min_gap": worst, "witness": witness.tolist()}, holds=holds)


claim(
    name="pl-check",
    section=SECTION,
    catalogue_id="ANA-PL",
    summary="Check the Polyak–Łojasiewicz inequality ½‖∇f‖² ≥ μ(f − f*) on a grid (exit 1 with a witness)",
    params=(Param("f", TEXT, 'the function, e.g. "x**2 + 3*sin(x)**2"'), Param("vars", TEXT, "its variables: x or x,y"),
            Param("mu", FLOAT, "the PL constant μ > 0", minimum=0), Param("fstar", FLOAT, "the minimum value f*", default=0.0),
            Param("low", FLOAT, "the box's lower bound per axis", default=-5.0),
            Param("high", FLOAT, "the box's upper bound per axis", default=5.0),
            Param("points", INT, "grid points per axis", default=201, minimum=2)),
    formula="½‖∇f(x)‖² ≥ μ(f(x) − f*) ∀x;  μ-strongly convex ⟹ μ-PL (not conversely)",
    latex=r"\tfrac12\|\nabla f(x)\|^2 \ge \mu\,(f(x) - f^*)",
    compute=pl_check,
    uses_sympy=True,
    rules=(_BOX_RULE,),
    examples=(('--f "x**2 + 3*sin(x)**2" --vars x --mu 0.03125', "holds on the grid", "PL although not convex"),
              ('--f "x**2 + 3*sin(x)**2" --vars x --mu 1 --points 11', "violated at -2.0", "½f'(−2)² − f(−2) ≈ −4.98")),
)


# ---- strict convexity and minimisers; local minima of convex functions ----------------------------

def box_params(points: int, note: str = "") -> tuple:
    """--low, --high (default box [−3, 3] per axis) and --points, for the grid claims."""
    return (Param("low", FLOAT, "the box's lower bound per axis", default=-3.0),
            Param("high", FLOAT, "the box's upper bound per axis", default=3.0),
            Param("points", INT, "grid points per axis" + note, default=points, minimum=2))


def _hessian_function(expression, symbols):
    """x -> the Hessian at x as a d×d NumPy array (a constant Hessian broadcasts)."""
    import numpy as np
    import sympy

    # A kink (abs, max) gives DiracDelta terms at isolated points: the grid sees f'' off them.
    matrix = sympy.hessian(expression, symbols).replace(sympy.DiracDelta, lambda *args: sympy.S.Zero)
    hessian_of = sympy.lambdify(symbols, matrix, "numpy")
    return lambda x: np.array(hessian_of(*x), dtype=float).reshape(len(symbols), len(symbols))


def _root_by_bisection(fn, low, high, steps=200):
    """A sign change of fn in [low, high] (fn(low) < 0 ≤ fn(high)), to full precision."""
    for _ in range(steps):
        middle = (low + high) / 2
        if middle in (low, high):
            break
        low, high = (middle, high) if fn(middle) < 0 else (low, middle)
    return high


def strict_convexity(f, low, high, points):
    import numpy as np

    expression, symbols = parse_function(f, "x")
    _, grad = numeric_function(expression, symbols)
    hessian_at = _hessian_function(expression, symbols)
    xs = np.linspace(low, high, points)
    second = np.array([hessian_at([v])[0, 0] for v in xs])
    first = np.array([grad([v])[0] for v in xs])
    tolerance = 1e-12 * max(1.0, float(np.abs(second).max()))
    flat = np.abs(second) <= tolerance
    strict = bool(np.all(second >= -tolerance)) and not bool(np.any(flat[1:] & flat[:-1]))
    minimisers = [_root_by_bisection(lambda v: grad([v])[0], xs[i], xs[i + 1])
                  for i in range(points - 1) if first[i] < 0 <= first[i + 1]]
    shown = ", ".join(f"{m:.6g}" for m in minimisers) or "none"
    steps = [f"f'' {'>' if strict else 'is not >'} 0 on the grid of {points} points in [{low!r}, {high!r}]"
             + ("" if strict else f" (min f'' = {second.min():.6g} at x = {xs[second.argmin()]:.6g})"),
             f"minimisers (f' changes sign from − to +): {shown}",
             "strictly convex ⟹ at most one minimiser, and perhaps none (exp(x)): not 'a unique global minimum' (E11)"]
    if not minimisers:
        edge = high if first[-1] < 0 else low if first[0] > 0 else None
        if edge is not None:
            steps.append(f"f keeps decreasing towards x = {edge!r}: no minimiser in the box")
    holds = not strict or len(minimisers) <= 1
    return Result(value={"strictly_convex": strict, "minimisers": len(minimisers)},
                  steps=steps, extra={"at": [float(m) for m in minimisers], "min_second_derivative": float(second.min())},
                  holds=holds)


claim(
    name="strict-convexity",
    section=SECTION,
    catalogue_id="ANA-STRICT",
    summary="Strict convexity of f(x) on an interval and its minimisers: at most one, maybe none (exit 1 if more)",
    params=(Param("f", TEXT, 'the function of x, e.g. "exp(x)"'), Param("low", FLOAT, "the interval's lower end", default=-5.0),
            Param("high", FLOAT, "the interval's upper end", default=5.0),
            Param("points", INT, "grid points", default=2001, minimum=3)),
    formula="f strictly convex ⟹ at most one minimiser; it need not have one (exp(x))",
    latex=r"f \text{ strictly convex} \implies |\arg\min f| \le 1",
    compute=strict_convexity,
    uses_sympy=True,
    rules=(_BOX_RULE,),
    errata=(E11,),
    examples=(('--f "exp(x)"', "strictly_convex=true minimisers=0", "strictly convex, no minimiser (E11)"),
              ('--f "(x - 1)**2"', "strictly_convex=true minimisers=1"),
              ('--f "cos(x)"', "strictly_convex=false minimisers=2", "minima at ±π: not convex, so no contradiction")),
    notes="A grid check (f'' on the grid, sign changes of f'): it can miss features finer than the grid.",
)


def descend(value, grad, x0, iterations=20_000, tolerance=1e-10):
    """Gradient descent with backtracking (Armijo) from x0 to a stationary point."""
    import numpy as np

    x = np.array(x0, dtype=float)
    for _ in range(iterations):
        g = np.array(grad(x))
        if np.linalg.norm(g) < tolerance:
            break
        step = 1.0
        while value(x - step * g) > value(x) - 0.5 * step * float(g @ g) and step > 1e-16:
            step /= 2
        new = x - step * g
        if step <= 1e-16 or value(new) >= value(x):  # the decrease is below f's rounding: Newton polishes from here
            break
        x = new
    return x


def newton_polish(grad, hessian_at, x, steps=20):
    """A few Newton steps where the Hessian is positive definite: GD's Armijo test stalls once the
    decrease is below f's rounding (‖∇f‖ ~ 1e-8), Newton's step does not."""
    import numpy as np

    for _ in range(steps):
        h = hessian_at(x)
        if np.linalg.eigvalsh(h).min() <= 0:
            break
        x = x - np.linalg.solve(h, np.array(grad(x)))
    return x


def min_curvature(hessian_at, grid):
    """The smallest Hessian eigenvalue over the grid points (≥ 0 everywhere ⟺ convex there)."""
    import numpy as np

    return float(min(np.linalg.eigvalsh(hessian_at(p)).min() for p in grid))


def local_global(f, vars, x0, low, high, points):
    import numpy as np

    expression, symbols = parse_function(f, vars)
    point(x0, symbols, "--x0")
    value, grad = numeric_function(expression, symbols)
    hessian_at = _hessian_function(expression, symbols)
    x = newton_polish(grad, hessian_at, descend(value, grad, x0))
    local = bool(np.linalg.norm(grad(x)) < 1e-8 and np.linalg.eigvalsh(hessian_at(x)).min() >= -1e-9)
    grid = box_grid(low, high, points, len(symbols))
    values = np.array([value(p) for p in grid])
    is_global = bool(value(x) <= values.min() + 1e-9 * (1 + abs(value(x))))
    lowest = min_curvature(hessian_at, grid)
    convex = bool(lowest >= -1e-9)
    holds = not (convex and local and not is_global)
    where = ",".join(f"{v:.6g}" for v in x)
    steps = [f"gradient descent from x0 stops at x = {where}, f = {value(x):.6g} ({'a local minimum' if local else 'not a local minimum'})",
             f"grid minimum on [{low!r}, {high!r}]^{len(symbols)}: {values.min():.6g} at {','.join(f'{v:.6g}' for v in grid[values.argmin()])}",
             f"∇²f ⪰ 0 on the grid: {convex} (min eigenvalue {lowest:.6g})",
             "convex ⟹ every local minimum is global" + ("" if convex else "; without convexity a local minimum can be worse")]
    return Result(value={"x": where, "local": local, "global": is_global, "convex": convex},
                  steps=steps, extra={"f": value(x), "grid_min": float(values.min())}, holds=holds)


claim(
    name="local-global",
    section=SECTION,
    catalogue_id="ANA-LOCGLOB",
    summary="Descend from x0 to a local minimum and compare it with the grid's global one (convex: always global)",
    params=(Param("f", TEXT, 'the function, e.g. "x**4 - 2*x**2 + 0.5*x"'), Param("vars", TEXT, "its variables: x or x,y"),
            Param("x0", VECTOR, "the starting point of the descent"), *box_params(61)),
    formula="f convex, x* a local minimum ⟹ f(x*) ≤ f(y) ∀y",
    latex=r"f \text{ convex},\ x^\ast \text{ local min} \implies x^\ast \in \arg\min f",
    compute=local_global,
    uses_sympy=True,
    rules=(_BOX_RULE,),
    examples=(('--f "x**4 - 2*x**2 + 0.5*x" --vars x --x0 1', "x=0.930403 local=true global=false convex=false",
               "a non-convex double well: the right well is a worse local minimum"),
              ('--f "(x - 1)**2 + (x - y)**2" --vars x,y --x0 2.5,-2', "x=1,1 local=true global=true convex=true")),
    notes="Exit 1 only if f is convex on the grid and a local minimum is not global (which the theorem forbids).",
)


# ---- convexity of a function and of a set on a grid; conic combinations, max, descent lemma --------

_LAMBDAS = (0.25, 0.5, 0.75)
_MAX_GRID = 2000  # grid points; every pair of them is checked for each λ


def _vectorised(expression, symbols):
    """points (k×d) -> the expression at each point (k values), by NumPy."""
    import numpy as np
    import sympy

    fn = sympy.lambdify(symbols, expression, "numpy")
    return lambda points: np.broadcast_to(np.asarray(fn(*points.T), dtype=float), (len(points),))


def _grid_for(symbols, low, high, points):
    if points ** len(symbols) > _MAX_GRID:
        raise DlcalcError(f"--points {points} in {len(symbols)} dimensions is more than {_MAX_GRID} grid points")
    return box_grid(low, high, points, len(symbols))


def worst_combination(grid, gap):
    """min over pairs i < j of grid points and λ ∈ {¼, ½, ¾} of gap(i, j, λ, z) with z = λx_i + (1−λ)x_j:
    (value, (x_i, x_j, λ))."""
    import numpy as np

    first, second = np.triu_indices(len(grid), 1)
    worst, where = math.inf, None
    for lam in _LAMBDAS:
        values = gap(first, second, lam, lam * grid[first] + (1 - lam) * grid[second])
        if np.isnan(values).any():
            raise DlcalcError("the expression is not defined at some λx + (1−λ)x' of grid points")
        k = int(np.argmin(values))
        if values[k] < worst:
            worst, where = float(values[k]), (grid[first[k]], grid[second[k]], lam)
    return worst, where


def _witness_text(where):
    x, y, lam = where
    return f"x = {vector_text(x)}, x' = {vector_text(y)}, λ = {lam}"


def convexity_check(f, vars, low, high, points):
    import numpy as np

    expression, symbols = parse_function(f, vars)
    value = _vectorised(expression, symbols)
    grid = _grid_for(symbols, low, high, points)
    with np.errstate(all="ignore"):
        at_grid = value(grid)
        if not np.isfinite(at_grid).all():
            raise DlcalcError("f is not finite everywhere on the box")
        worst, where = worst_combination(grid, lambda i, j, lam, z: lam * at_grid[i] + (1 - lam) * at_grid[j] - value(z))
    holds = worst >= -1e-10 * max(1.0, float(np.abs(at_grid).max()))
    steps = [f"min over pairs of {len(grid)} grid points and λ ∈ {{¼, ½, ¾}} of λf(x) + (1−λ)f(x') − f(λx + (1−λ)x') "
             f"= {worst:.6g} at {_witness_text(where)}",
             "f is convex ⟺ this gap is ≥ 0 for all x, x' and λ ∈ [0, 1]; a grid can refute it (a witness), not prove it"]
    return Result(value=bool(holds),
                  plain="convex on the grid" if holds else "not convex", steps=steps,
                  extra={"min_gap": worst, "witness": [where[0].tolist(), where[1].tolist(), where[2]]},
                  holds=holds)


claim(
    name="convexity-check",
    section=SECTION,
    catalogue_id="ANA-CVXFN",
    summary="Search a grid for a violation of f(λx + (1−λ)x') ≤ λf(x) + (1−λ)f(x') (exit 1 with a witness)",
    params=(Param("f", TEXT, 'the function, e.g. "x**2 + abs(y)"'), Param("vars", TEXT, "its variables: x or x,y"),
            *box_params(41, f" (at most {_MAX_GRID} in all)")),
    formula="f convex ⟺ f(λx + (1−λ)x') ≤ λf(x) + (1−λ)f(x') ∀x, x', λ ∈ [0, 1]",
    latex=r"f(\lambda x + (1-\lambda)x') \le \lambda f(x) + (1-\lambda) f(x')",
    compute=convexity_check,
    uses_sympy=True,
    rules=(_BOX_RULE,),
    examples=(('--f "x**2 + abs(y)" --vars x,y --points 9', "convex on the grid"),
              ('--f "x**3" --vars x --low -1 --high 1 --points 3', "not convex",
               "x = −1, x' = 0, λ = ½: f(−½) = −⅛ > ½f(−1) + ½f(0) = −½"),
              ('--f "-(x**2)" --vars x', "not convex", "αf with α = −1 < 0 loses convexity (ANA-CONIC needs α ≥ 0)")),
    notes="A grid check with λ ∈ {¼, ½, ¾}: it refutes convexity with a witness, it cannot prove it.",
)


def _relations(text, symbols):
    """'x**2 + y**2 <= 1; y >= x' -> one expression g_k per relation, with the set {g_k ≤ 0 ∀k}."""
    from dlcalc.core.scalar_expr import parse_scalar

    names = {s.name: s for s in symbols}
    constraints = []
    for part in (p.strip() for p in text.split(";")):
        if part.count("<=") + part.count(">=") != 1:
            raise DlcalcError(f"--set: each relation needs exactly one <= or >=, got {part!r}")
        left, right = part.split("<=") if "<=" in part else part.split(">=")[::-1]
        constraints.append(parse_scalar(left, names, what="--set") - parse_scalar(right, names, what="--set"))
    return constraints


def convex_set_check(set, vars, low, high, points):
    import numpy as np

    _, symbols = parse_function("0", vars)
    constraints = [_vectorised(g, symbols) for g in _relations(set, symbols)]
    grid = _grid_for(symbols, low, high, points)

    def slack(z):  # ≥ 0 exactly on the set (the most violated constraint, negated); undefined counts as outside
        return np.nan_to_num(-np.max([g(z) for g in constraints], axis=0), nan=-np.inf)

    with np.errstate(all="ignore"):
        members = grid[slack(grid) >= 0]
        if len(members) < 2:
            raise DlcalcError("fewer than 2 grid points of the box lie in the set")
        worst, where = worst_combination(members, lambda i, j, lam, z: slack(z))
    holds = not worst < -1e-12
    steps = [f"{len(members)} of {len(grid)} grid points lie in S = {{{set}}}",
             f"most violated combination λx + (1−λ)x' of two of them: {_witness_text(where)} "
             f"(the worst constraint exceeds its bound by {max(-worst, 0.0):.6g})",
             "S is convex ⟺ λx + (1−λ)x' ∈ S for all x, x' ∈ S (the set itself, E10) and λ ∈ [0, 1]"]
    return Result(value=bool(holds),
                  plain="convex on the grid" if holds else "not convex", steps=steps,
                  extra={"members": int(len(members)), "witness": None if holds else [where[0].tolist(), where[1].tolist(), where[2]]},
                  holds=holds)


claim(
    name="convex-set-check",
    section=SECTION,
    catalogue_id="ANA-CVXSET",
    summary="Search a grid for two points of a set whose convex combination leaves it (exit 1 with a witness)",
    params=(Param("set", TEXT, 'relations joined by ";", e.g. "x**2 + y**2 <= 1; y >= 0"'),
            Param("vars", TEXT, "the variables: x or x,y"),
            *box_params(41, f" (at most {_MAX_GRID} in all)")),
    formula="S convex ⟺ ∀x, x' ∈ S, λ ∈ [0, 1]: λx + (1−λ)x' ∈ S",
    latex=r"x, x' \in S,\ \lambda \in [0,1] \implies \lambda x + (1-\lambda)x' \in S",
    compute=convex_set_check,
    uses_sympy=True,
    rules=(_BOX_RULE,),
    examples=(('--set "x**2 + y**2 <= 1" --vars x,y --points 21', "convex on the grid"),
              ('--set "x**2 + y**2 >= 1" --vars x,y --low -2 --high 2 --points 5', "not convex",
               "(−2, −2) and (2, 2) are in the set, their midpoint (0, 0) is not")),
    notes="A grid check with λ ∈ {¼, ½, ¾}: it refutes convexity with a witness, it cannot prove it.",
)


def _values(name):
    """Real symbols name_x, name_y, name_z: a function's values at x, x' and z = λx + (1−λ)x'."""
    import sympy

    return sympy.symbols(f"{name}_x {name}_y {name}_z", real=True)


def _gap(lam, at_x, at_y, at_z):
    return lam * at_x + (1 - lam) * at_y - at_z


def conic_statement(squared_beta: bool = False):
    """Convexity gap of αf + βg vs α·gap_f + β·gap_g, for arbitrary values of f, g at x, x', z: the gap
    is ≥ 0 for α, β ≥ 0 since both gaps are. ``squared_beta`` claims β² instead, which is refuted."""
    import sympy

    lam, alpha, beta = sympy.symbols("lambda alpha beta", real=True)
    f, g = _values("f"), _values("g")
    combined = [alpha * a + beta * b for a, b in zip(f, g)]
    return _gap(lam, *combined), alpha * _gap(lam, *f) + (beta**2 if squared_beta else beta) * _gap(lam, *g)


def max_statement(drop_g_terms: bool = False):
    """Convexity gap of h = max(f, g) where f attains the max at z (h(z) = f_z; the other case swaps
    f and g), vs gap_f + λ(h(x) − f(x)) + (1−λ)(h(x') − f(x')): three terms ≥ 0, so max(f, g) is convex.
    ``drop_g_terms`` claims gap_h = gap_f, which is refuted."""
    import sympy

    lam = sympy.Symbol("lambda", real=True)
    (fx, fy, fz), (gx, gy, _) = _values("f"), _values("g")
    hx, hy = sympy.Max(fx, gx), sympy.Max(fy, gy)
    extra = 0 if drop_g_terms else lam * (hx - fx) + (1 - lam) * (hy - fy)
    return _gap(lam, hx, hy, fz), _gap(lam, fx, fy, fz) + extra


identity(
    name="conic-combination",
    section=SECTION,
    catalogue_id="ANA-CONIC",
    summary="Conic combinations of convex functions are convex",
    formula="gap_{αf+βg} = α·gap_f + β·gap_g ≥ 0 for α, β ≥ 0, where gap_h = λh(x) + (1−λ)h(x') − h(λx + (1−λ)x')",
    latex=r"\mathrm{gap}_{\alpha f+\beta g} = \alpha\,\mathrm{gap}_f + \beta\,\mathrm{gap}_g",
    build=conic_statement,
    method="expand",
)

identity(
    name="max-convex",
    section=SECTION,
    catalogue_id="ANA-MAX",
    summary="The pointwise maximum of convex functions is convex",
    formula="gap_{max(f,g)} = gap_f + λ(max(f,g)(x) − f(x)) + (1−λ)(max(f,g)(x') − f(x')) ≥ 0 when f attains the max at z",
    latex=r"\mathrm{gap}_{\max(f,g)} = \mathrm{gap}_f + \lambda(h(x) - f(x)) + (1-\lambda)(h(x') - f(x'))",
    build=max_statement,
    method="expand",
)
