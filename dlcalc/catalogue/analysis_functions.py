"""Analysis (sheet §2), functions given as expressions: the Hessian and the second-order convexity
test, gradient descent with a per-step table, Lagrange multipliers, Jensen's inequality, and the
first-order convexity gap and composition rule (proven by SymPy).
"""

from __future__ import annotations

import math

from dlcalc.catalogue._analysis import E11, numeric_function, parse_function, point, quadratic
from dlcalc.catalogue._common import STEPS_BOUNDED, same_length, symbol_matrix
from dlcalc.catalogue._definiteness import definiteness
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, INT, TEXT, VECTOR, Param, claim, erratum, formula, identity
from dlcalc.core.result import Result, Table

SECTION = "2"

def hessian(f, vars, at):
    import numpy as np
    import sympy


    expression, symbols = parse_function(f, vars)
    matrix = sympy.hessian(expression, symbols)
    values = np.array(matrix.subs(point(at, symbols)).evalf(), dtype=float)
    if not np.isfinite(values).all():
        raise DlcalcError("the Hessian is not finite at this point")
    eigenvalues = np.linalg.eigvalsh(values)
    verdict = definiteness(eigenvalues)
    constant = not matrix.free_symbols
    steps = [f"∇²f = {sympy.sstr(matrix.tolist())}", f"eigenvalues at the point: {', '.join(f'{v:.6g}' for v in eigenvalues)}",
             "convex ⟺ ∇²f ⪰ 0 everywhere (f'' ≥ 0, not f' ≥ 0: E12); μ-strongly convex ⟺ ∇²f ⪰ μI"]
    if constant:
        steps.append(f"the Hessian is constant, so f is {'convex' if verdict.startswith('positive') else 'not convex'} "
                     f"everywhere" + (f", μ = λ_min = {eigenvalues.min():.6g}" if verdict == "positive definite" else ""))
    return Result(value=verdict, steps=steps,
                  extra={"hessian": values.tolist(), "eigenvalues": eigenvalues.tolist(), "mu": float(eigenvalues.min()),
                         "constant": constant})


_E12 = erratum(
    "E12",
    title="'f'(x) ≥ 0' as a property of convex functions",
    sheet="f'(x) ≥ 0",
    correct="f''(x) ≥ 0, or ∇²f(x) ⪰ 0, for twice-differentiable f; f' ≥ 0 means monotone (x² is convex, f'(−1) = −2)",
    command='dlcalc hessian --f "x**2" --vars x --at -1',
)

formula(
    name="hessian",
    section=SECTION,
    catalogue_id="ANA-SOC ANA-STRONG",
    summary="Hessian of f at a point and its definiteness (second-order convexity test; μ = λ_min)",
    params=(Param("f", TEXT, 'the function, e.g. "x**2 + 3*y**2" or "log(1 + exp(x))"'),
            Param("vars", TEXT, "its variables, comma-separated: x,y"), Param("at", VECTOR, "the point")),
    formula="∇²f(x) ⪰ 0 ∀x ⟺ f convex;  ∇²f ⪰ μI ⟺ μ-strongly convex",
    latex=r"\nabla^2 f(x) \succeq 0\ \forall x \iff f \text{ convex}",
    compute=hessian,
    uses_sympy=True,
    errata=(_E12,),
    examples=(('--f "x**2 + 3*y**2" --vars x,y --at 0,0', "positive definite"),
              ('--f "x**2" --vars x --at -1', "positive definite", "convex although f'(−1) = −2 < 0"),
              ('--f "x**2 - y**2" --vars x,y --at 1,1', "indefinite")),
)


def gradient_descent(f, vars, x0, eta, steps, every):
    import numpy as np

    expression, symbols = parse_function(f, vars)
    point(x0, symbols, "--x0")
    value, grad = numeric_function(expression, symbols)
    x = np.array(x0, dtype=float)
    rows = [[0, f"{value(x):.6g}", f"{np.linalg.norm(grad(x)):.6g}"]]
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            x = x - eta * np.array(grad(x))
            if not np.isfinite(x).all():
                rows.append([t, "diverged", ""])
                break
            if t % every == 0 or t == steps:
                rows.append([t, f"{value(x):.6g}", f"{np.linalg.norm(grad(x)):.6g}"])
    final = [round(float(v), 12) + 0.0 for v in x] if np.isfinite(x).all() else None
    return Result(value=final if final is not None else "diverged",
                  table=Table(columns=["t", "f(x_t)", "‖∇f(x_t)‖"], rows=rows, title=f"gradient descent, η = {eta}"),
                  steps=["θ_{t+1} = θ_t − η∇f(θ_t);  any η in (0, 2/L) decreases an L-smooth f, η = 1/L gives "
                         "f(x_{t+1}) ≤ f(x_t) − ‖∇f‖²/(2L)"],
                  extra={"f": value(x) if final is not None else None})

formula(
    name="gd",
    section="11.3",
    catalogue_id="OPT-GD",
    summary="Run gradient descent on a function given as an expression, with a per-step table",
    params=(Param("f", TEXT, 'the function, e.g. "(x - 1)**2 + 10*y**2"'), Param("vars", TEXT, "its variables: x,y"),
            Param("x0", VECTOR, "the starting point"), Param("eta", FLOAT, "step size η", default=0.1, minimum=0),
            Param("steps", INT, "number of steps", default=100, minimum=1),
            Param("every", INT, "table spacing", default=10, minimum=1)),
    formula="θ_{t+1} = θ_t − η ∇J(θ_t)",
    latex=r"\theta_{t+1} = \theta_t - \eta\nabla J(\theta_t)",
    compute=gradient_descent,
    rules=(STEPS_BOUNDED,),
    uses_sympy=True,
    errata=(E11,),
    examples=(('--f "x**2" --vars x --x0 1 --eta 0.25 --steps 2', "0.25", "x ← x/2 per step"),
              ('--f "(x - 3)**2 + y**2" --vars x,y --x0 0,1 --eta 0.5 --steps 1', "3.0,0.0", "η = 1/L jumps to the minimum")),
)


def lagrange(f, g, c, vars):
    import sympy

    objective, symbols = parse_function(f, vars)
    constraint, _ = parse_function(g, vars)
    gamma = sympy.Symbol("gamma", real=True)
    lagrangian = objective - gamma * (constraint - sympy.Rational(repr(c)))
    unknowns = [*symbols, gamma]

    solutions = sympy.solve([sympy.diff(lagrangian, u) for u in unknowns], unknowns, dict=True)
    real = [s for s in solutions if all(v.is_real is not False for v in s.values())]
    points = [{str(u): sympy.sstr(s[u]) for u in unknowns if u in s} for s in real]
    values = [sympy.sstr(sympy.nsimplify(objective.subs({k: v for k, v in s.items() if k != gamma}))) for s in real]
    plain = "; ".join(" ".join(f"{k}={v}" for k, v in p.items()) for p in points) or "no stationary point"
    return Result(value=points, plain=plain,
                  steps=[f"𝓛 = {sympy.sstr(lagrangian)}", "∇𝓛 = 0 at: " + plain, f"f there: {', '.join(values)}"],
                  extra={"f_values": values})


formula(
    name="lagrange",
    time_limit=30,  # solving ∇𝓛 = 0
    section=SECTION,
    catalogue_id="ANA-LAGRANGE",
    summary="Stationary points of f subject to g = c by Lagrange multipliers (solved by SymPy)",
    params=(Param("f", TEXT, 'the objective, e.g. "x*y"'), Param("g", TEXT, 'the constraint function, e.g. "x + y"'),
            Param("c", FLOAT, "the constraint level c", default=0.0), Param("vars", TEXT, "the variables: x,y")),
    formula="𝓛(x, y, γ) = f(x, y) − γ(g(x, y) − c);  ∇𝓛 = 0",
    latex=r"\mathcal{L}(x, y, \gamma) = f(x,y) - \gamma\,(g(x,y) - c)",
    compute=lagrange,
    uses_sympy=True,
    examples=(('--f "x*y" --g "x + y" --c 2 --vars x,y', "x=1 y=1 gamma=1"),),
)


def jensen(f, x, weights):
    expression, symbols = parse_function(f, "x")
    same_length(x, weights, "--x and --weights")
    if any(w < 0 for w in weights) or abs(math.fsum(weights) - 1) > 1e-9:
        raise DlcalcError("--weights must be non-negative and sum to 1")
    value, _ = numeric_function(expression, symbols)
    mean = math.fsum(w * v for w, v in zip(weights, x))
    left, right = value([mean]), math.fsum(w * value([v]) for w, v in zip(weights, x))
    holds = left <= right + 1e-12 * max(1.0, abs(right))
    return Result(value={"f_of_mean": left, "mean_of_f": right},
                  steps=[f"f(Σλx) = {left!r} {'≤' if holds else '>'} Σλf(x) = {right!r}",
                         "holds for every convex f; reversed for concave f" + ("" if holds else ": so f is not convex")],
                  holds=holds)


_E10 = erratum(
    "E10",
    title="convex-set quantifier over Σ",
    sheet="∀x, x' ∈ Σ, ∀λ ∈ [0, 1]: λx + (1 − λ)x' ∈ S",
    correct="∀x, x' ∈ S (the set itself), λx + (1 − λ)x' ∈ S; Jensen's inequality evaluates f at such combinations",
    command='dlcalc jensen --f "x**2" --x 0,2 --weights 0.5,0.5',
)

claim(
    name="jensen",
    section=SECTION,
    catalogue_id="ANA-JENSEN",
    summary="Both sides of Jensen's inequality f(Σλ_i x_i) ≤ Σλ_i f(x_i) (exit 1 if violated)",
    params=(Param("f", TEXT, 'the function of x, e.g. "exp(x)"'), Param("x", VECTOR, "the points x_i"),
            Param("weights", VECTOR, "the weights λ_i (≥ 0, sum 1)")),
    formula="f convex ⟹ f(Σλ_i x_i) ≤ Σλ_i f(x_i), f(E X) ≤ E f(X)",
    latex=r"f\Big(\sum_i\lambda_i x_i\Big) \le \sum_i \lambda_i f(x_i)",
    compute=jensen,
    uses_sympy=True,
    errata=(_E10,),
    examples=(('--f "x**2" --x 0,2 --weights 0.5,0.5', "f_of_mean=1.0 mean_of_f=2.0"),
              ('--f "log(x)" --x 1,3 --weights 0.5,0.5', "f_of_mean=0.6931471805599453 mean_of_f=0.5493061443340549",
               "log is concave: the inequality reverses (exit 1)")),
)


def first_order_gap_statement(strong: bool = False):
    """f(y) − f(x) − ∇f(x)ᵀ(y − x) vs ½(y − x)ᵀH(y − x) for a quadratic f = ½xᵀHx + bᵀx (2-D).

    This is the first-order condition's gap; it is ≥ 0 iff H ⪰ 0 and ≥ (μ/2)‖y − x‖² iff H ⪰ μI."""
    f, h, x, grad = quadratic()
    y = symbol_matrix("y", 2, 1)
    gap = f(y) - f(x) - (grad.T * (y - x))[0]
    return gap, ((y - x).T * h * (y - x))[0] / (1 if strong else 2)


def composition_second_derivative_statement():
    """(g∘f)'' vs g''(f)·f'² + g'(f)·f'': why convex non-decreasing g of convex f is convex."""
    import sympy

    x, s = sympy.Symbol("x", real=True), sympy.Symbol("s", real=True)
    f = sympy.exp(x) + x**2
    g = sympy.log(1 + sympy.exp(s))  # convex and non-decreasing
    composed = g.subs(s, f)
    return sympy.diff(composed, x, 2), (sympy.diff(g, s, 2).subs(s, f) * sympy.diff(f, x) ** 2
                                        + sympy.diff(g, s).subs(s, f) * sympy.diff(f, x, 2))


identity(
    name="first-order-gap",
    section=SECTION,
    catalogue_id="ANA-FOC",
    summary="First-order convexity gap of a quadratic is ½(y−x)ᵀH(y−x)",
    formula="f(y) − f(x) − ∇f(x)ᵀ(y − x) = ½(y − x)ᵀH(y − x)  (≥ 0 ⟺ H ⪰ 0; ≥ μ/2‖y−x‖² ⟺ H ⪰ μI)",
    latex=r"f(y) - f(x) - \nabla f(x)^\top(y-x) = \tfrac12 (y-x)^\top H (y-x)",
    build=first_order_gap_statement,
    method="expand",
)

identity(
    name="convex-composition",
    section=SECTION,
    catalogue_id="ANA-COMPOSE",
    summary="Second derivative of g∘f (convex non-decreasing g of convex f)",
    formula="(g∘f)'' = g''(f)·f'² + g'(f)·f'' ≥ 0 when g'' ≥ 0, g' ≥ 0, f'' ≥ 0",
    latex=r"(g\circ f)'' = g''(f)\,f'^2 + g'(f)\,f''",
    build=composition_second_derivative_statement,
    method="differentiate",
)
