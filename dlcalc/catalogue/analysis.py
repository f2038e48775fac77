"""Analysis and optimisation theory (sheet §2): Cauchy–Schwarz, convergence rates of gradient
descent, the best fixed step, Lipschitz constants of linear maps, the symbolic identities
(log-derivative trick, Taylor's formula with both remainders, conic combinations and maxima of convex
functions, the descent lemma), and grid claims: convexity of a function or a set, PL, strict
convexity and its minimisers, local vs global minima.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import STEPS_BOUNDED, declare_identity, same_length, symbol_matrix, vector_text
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, INT, MATRIX, TEXT, VECTOR, Param, Rule, erratum, formula
from dlcalc.core.result import Result, Table
from dlcalc.core.deadline import TimeUp, time_limit

SECTION = "2"
_ABSENT_K = -1  # --k not given


# ---- convergence of gradient descent ---------------------------------------------------------


def linear_rate_iterations(rate: float, eps: float) -> int:
    """Smallest k with rate^k ≤ eps (rate in [0, 1))."""
    if rate == 0:
        return 1 if eps < 1 else 0
    if eps >= 1:
        return 0
    k = math.ceil(math.log(eps) / math.log(rate))
    # Guard the floating-point ceiling: step to the exact smallest k.
    while k > 0 and rate ** (k - 1) <= eps:
        k -= 1
    while rate**k > eps:
        k += 1
    return k


def gd_rate(mu, L, eps, k):
    rate = 1 - mu / L
    kappa = L / mu
    iterations = linear_rate_iterations(rate, eps)
    value = {"rate": rate, "kappa": kappa, "iterations": iterations}
    steps = [
        f"c = 1 − μ/L = 1 − {mu!r}/{L!r} = {rate!r}   (κ = L/μ = {kappa!r}; the sheet's 'O(e^k)' is O(c^k), E13)",
        f"f(x_k) − f* ≤ c^k (f(x_0) − f*);  c^k ≤ {eps!r} from k = {iterations}",
        f"best fixed step for a quadratic, 2/(L + μ), contracts by (κ − 1)/(κ + 1) = {(kappa - 1) / (kappa + 1)!r} per step",
    ]
    if k != _ABSENT_K:
        value["bound"] = rate**k
        steps.append(f"after k = {k}: c^k = {rate**k!r}")
    return Result(value=value, steps=steps)


_E13 = erratum(
    "E13",
    title="strongly convex rate 'O(e^k) for some c < 1'",
    sheet="linear convergence rate (O(e^k) for some c < 1)",
    correct="O(c^k) with c < 1; with η = 1/L: f(x_k) − f* ≤ (1 − μ/L)^k (f(x_0) − f*)",
    command="dlcalc gd-rate --mu 1 --L 50 --eps 1e-6",
)
_E17 = erratum(
    "E17",
    title="'L is the Lipschitz constant'",
    sheet="step size α = 1/L (where L is the Lipschitz constant)",
    correct="L is the Lipschitz constant of ∇f (L-smoothness), not of f; with η = 1/L, "
    "f(x_{k+1}) ≤ f(x_k) − ‖∇f(x_k)‖²/(2L)",
    command="dlcalc gd-rate --mu 1 --L 10",
)

formula(
    name="gd-rate",
    section=SECTION,
    catalogue_id="ANA-SC-RATE ANA-PL-RATE",
    summary="Linear rate of gradient descent (step 1/L) on μ-strongly convex or μ-PL, L-smooth f",
    params=(
        Param("mu", FLOAT, "strong convexity (or PL) constant μ > 0", minimum=1e-300),
        Param("L", FLOAT, "smoothness constant L (Lipschitz constant of ∇f)", minimum=1e-300),
        Param("eps", FLOAT, "target ratio (f(x_k) − f*)/(f(x_0) − f*)", default=1e-6, minimum=1e-300),
        Param("k", INT, "also print the bound after k steps", default=_ABSENT_K),
    ),
    formula="f(x_k) − f* ≤ (1 − μ/L)^k (f(x_0) − f*),  κ = L/μ,  k ≥ log ε / log(1 − μ/L)",
    latex=r"f(x_k) - f^* \le \left(1 - \frac{\mu}{L}\right)^k \big(f(x_0) - f^*\big)",
    compute=gd_rate,
    rules=(Rule(broken=lambda mu, L, **_: mu > L, says=lambda mu, L, **_: f"μ = {mu} cannot exceed L = {L} (μ ≤ L always)"),),
    errata=(_E13, _E17),
    examples=(
        ("--mu 1 --L 2 --eps 0.125", "rate=0.5 kappa=2.0 iterations=3", "(1/2)^3 = 1/8"),
        ("--mu 1 --L 10 --eps 0.5", "rate=0.9 kappa=10.0 iterations=7", "0.9^6 = 0.531, 0.9^7 = 0.478"),
    ),
)


def best_step(mu, L):
    kappa = L / mu
    best = 2 / (L + mu)
    value = {"step": best, "rate": (kappa - 1) / (kappa + 1), "rate_at_1_over_L": 1 - 1 / kappa}
    return Result(value=value, steps=[
        "min over η of max(|1 − ημ|, |1 − ηL|) is at η = 2/(L + μ), rate (κ − 1)/(κ + 1)",
        "any η in (0, 2/L) decreases an L-smooth f; η = 1/L is safe, not optimal (E34)"])


_E34 = erratum(
    "E34",
    title="'GD with fixed step size η ≤ 1/L is optimal'",
    sheet="Gradient descent with fixed step size η ≤ 1/L is optimal",
    correct="η ≤ 1/L gives the descent-lemma bound and any η < 2/L decreases f; for a μ-strongly convex "
    "quadratic the best fixed step is 2/(L + μ), rate (κ−1)/(κ+1) instead of 1 − 1/κ",
    command="dlcalc best-step --mu 1 --L 50",
)

formula(
    name="best-step",
    section="11.3",
    catalogue_id="OPT-STEP",
    summary="Best fixed GD step on a μ-strongly convex, L-smooth quadratic, and its rate",
    params=(Param("mu", FLOAT, "smallest curvature μ > 0", minimum=1e-300), Param("L", FLOAT, "largest curvature L", minimum=1e-300)),
    formula="η* = 2/(L + μ), rate (κ − 1)/(κ + 1);  at η = 1/L the rate is 1 − 1/κ",
    latex=r"\eta^\ast = \frac{2}{L + \mu},\quad \rho = \frac{\kappa - 1}{\kappa + 1}",
    compute=best_step,
    rules=(Rule(broken=lambda mu, L: mu > L, says=lambda mu, L: f"μ = {mu} cannot exceed L = {L}"),),
    errata=(_E34,),
    examples=(("--mu 1 --L 3", "step=0.5 rate=0.5 rate_at_1_over_L=0.6666666666666667"),),
)


# ---- Cauchy–Schwarz and Lipschitz constants ----------------------------------------------------


def cauchy_schwarz(u, v):
    same_length(u, v, "--u and --v")
    inner = math.fsum(a * b for a, b in zip(u, v))
    bound = math.hypot(*u) * math.hypot(*v)  # hypot scales: no underflow for tiny entries
    holds = abs(inner) <= bound * (1 + 1e-12)
    return Result(value={"inner": inner, "bound": bound},
                  steps=[f"⟨u,v⟩ = {inner!r} ≤ |⟨u,v⟩| = {abs(inner)!r} ≤ ‖u‖‖v‖ = {bound!r}",
                         "equality iff u and v are parallel; ⟨u,v⟩ itself may be negative (E08)"],
                  holds=holds)


_E08 = erratum(
    "E08",
    title="Cauchy–Schwarz chain with stripped bars",
    sheet="⟨u,v⟩ ≤ ⟨u,v⟩ ≤ \\ u\\ \\ v\\ ;  0 ≤ ⟨u,v⟩ ≤ …",
    correct="⟨u,v⟩ ≤ |⟨u,v⟩| ≤ ‖u‖‖v‖ and 0 ≤ |⟨u,v⟩|; read literally '0 ≤ ⟨u,v⟩' is false (u = −v)",
    command="dlcalc cauchy-schwarz --u 1,0 --v -1,0",
)

formula(
    name="cauchy-schwarz",
    section=SECTION,
    catalogue_id="ANA-CS ANA-CS-SUM",
    summary="Both sides of the Cauchy–Schwarz inequality |⟨u,v⟩| ≤ ‖u‖‖v‖",
    params=(Param("u", VECTOR, "vector u"), Param("v", VECTOR, "vector v")),
    formula="⟨u,v⟩ ≤ |⟨u,v⟩| ≤ ‖u‖‖v‖;  (Σ x_i y_i)² ≤ (Σ x_i²)(Σ y_i²)",
    latex=r"|\langle u, v\rangle| \le \|u\|\,\|v\|",
    compute=cauchy_schwarz,
    kind="claim",
    errata=(_E08,),
    examples=(("--u 3,4 --v 4,3", "inner=24.0 bound=25.0"), ("--u 1,0 --v -1,0", "inner=-1.0 bound=1.0")),
)


def cauchy_schwarz_expectation(x, y):
    same_length(x, y, "--x and --y")
    n = len(x)
    exy = math.fsum(a * b for a, b in zip(x, y)) / n
    ex2, ey2, ex = (math.fsum(a * a for a in x) / n, math.fsum(b * b for b in y) / n, math.fsum(x) / n)
    correct, sheet = ex2 * ey2, ex * ex * ey2
    steps = [f"E[XY]² = {exy * exy!r} ≤ E[X²]E[Y²] = {correct!r}",
             f"the sheet's E[X]²E[Y²] = {sheet!r}: " + ("violated here (E09)" if exy * exy > sheet else "holds here, by chance")]
    return Result(value={"lhs": exy * exy, "bound": correct},
                  steps=steps, extra={"sheet_bound": sheet},
                  holds=exy * exy <= correct * (1 + 1e-12))


_E09 = erratum(
    "E09",
    title="Cauchy–Schwarz for expectations",
    sheet="E[XY]² ≤ E[X]² E[Y²]",
    correct="E[XY]² ≤ E[X²]·E[Y²]; the sheet's version fails for X = Y = ±1 (1 ≤ 0)",
    command="dlcalc cauchy-schwarz-expectation --x 1,-1 --y 1,-1",
)

formula(
    name="cauchy-schwarz-expectation",
    section=SECTION,
    catalogue_id="ANA-CS-EXP",
    summary="E[XY]² ≤ E[X²]E[Y²] on paired samples (equally likely), with the sheet's wrong bound",
    params=(Param("x", VECTOR, "samples of X"), Param("y", VECTOR, "paired samples of Y")),
    formula="E[XY]² ≤ E[X²]·E[Y²]",
    latex=r"\mathbb{E}[XY]^2 \le \mathbb{E}[X^2]\,\mathbb{E}[Y^2]",
    compute=cauchy_schwarz_expectation,
    kind="claim",
    errata=(_E09,),
    examples=(("--x 1,-1 --y 1,-1", "lhs=1.0 bound=1.0", "the sheet's bound E[X]²E[Y²] is 0 here"),),
)


def lipschitz_linear(matrix):
    import numpy as np

    a = np.array(matrix, dtype=float)
    singular = np.linalg.svd(a, compute_uv=False)
    return Result(value=float(singular[0]),
                  steps=["‖Ax − Ay‖ ≤ σ_max(A)‖x − y‖, attained along the top right-singular vector",
                         f"singular values: {', '.join(f'{s:.6g}' for s in singular)}"])


_E16 = erratum(
    "E16",
    title="Lipschitz definition mixes metric spaces and ℝⁿ",
    sheet="(X, d_X), (Y, d_Y) … ∀x1, x2 ∈ ℝⁿ: ‖f(x1) − f(x2)‖ ≤ L‖x1 − x2‖",
    correct="∀x1, x2 ∈ X: d_Y(f(x1), f(x2)) ≤ L·d_X(x1, x2); for f(x) = Ax, L = σ_max(A)",
    command="dlcalc lipschitz --matrix '[[3,0],[0,1]]'",
)

formula(
    name="lipschitz",
    section=SECTION,
    catalogue_id="ANA-LIPSCHITZ",
    summary="Lipschitz constant (Euclidean) of a linear map x ↦ Ax: the largest singular value",
    params=(Param("matrix", MATRIX, "the matrix A", aliases=("A",)),),
    formula="L = σ_max(A) = ‖A‖₂",
    latex=r"L = \sigma_{\max}(A)",
    compute=lipschitz_linear,
    errata=(_E16,),
    examples=(("--matrix '[[3,0],[0,1]]'", "3.0"), ("--matrix '[[1,1],[1,1]]'", "2.0")),
)


# ---- identities --------------------------------------------------------------------------------


def log_trick_statement():
    """∇_θ p_θ(x) vs p_θ(x)∇_θ log p_θ(x), for a Gaussian density in its mean and std."""
    import sympy

    x, mu = sympy.symbols("x mu", real=True)
    sigma = sympy.Symbol("sigma", positive=True)
    p = sympy.exp(-(x - mu) ** 2 / (2 * sigma**2)) / sympy.sqrt(2 * sympy.pi * sigma**2)
    lhs = sympy.Matrix([sympy.diff(p, v) for v in (mu, sigma)])
    rhs = sympy.Matrix([p * sympy.diff(sympy.log(p), v) for v in (mu, sigma)])
    return lhs, rhs


def taylor_statement(remainder: str = "integral", n: int = 3):
    """f(x) vs its order-n Taylor polynomial at x0 plus the integral remainder, for f = exp(2x)·sin x.

    ``remainder='lagrange-at-x0'`` uses the Lagrange form with ξ = x0, which is *not* an identity
    (a test checks that it is refuted)."""
    import sympy

    x, x0, t = sympy.symbols("x x0 t", real=True)

    def f(s):
        return sympy.exp(2 * s) * sympy.sin(s)

    polynomial = sum(sympy.diff(f(x0), x0, k) / sympy.factorial(k) * (x - x0) ** k for k in range(n + 1))
    derivative = sympy.diff(f(t), t, n + 1)
    if remainder == "integral":
        rest = sympy.integrate(derivative / sympy.factorial(n) * (x - t) ** n, (t, x0, x))
    else:
        rest = derivative.subs(t, x0) / sympy.factorial(n + 1) * (x - x0) ** (n + 1)
    return f(x), polynomial + rest


_E15 = erratum(
    "E15",
    title="'Taylor–Lagrange' over the integral remainder",
    sheet="Taylor-Lagrange formula: … + ∫_{x0}^{x} f^{(n+1)}(t)/n!·(x−t)^n dt",
    correct="the formula is right and is the integral form; the Lagrange form of the remainder is "
    "f^{(n+1)}(ξ)/(n+1)!·(x−x0)^{n+1} for some ξ between x0 and x",
    command="dlcalc verify taylor-integral",
)

declare_identity(SECTION, "log-trick", "ANA-LOGTRICK", "The log-derivative trick ∇p = p ∇log p (Gaussian in μ and σ)",
                 "∇_θ p_θ(x) = p_θ(x) ∇_θ log p_θ(x)", r"\nabla_\theta p_\theta = p_\theta \nabla_\theta \log p_\theta",
                 log_trick_statement, "differentiate")
declare_identity(SECTION, "taylor-integral", "ANA-TAYLOR", "Taylor's formula with the integral remainder (f = e^{2x} sin x, n = 3)",
                 "f(x) = Σ_{k≤n} f^{(k)}(x0)/k!·(x−x0)^k + ∫_{x0}^{x} f^{(n+1)}(t)/n!·(x−t)^n dt",
                 r"f(x) = \sum_{k=0}^n \frac{f^{(k)}(x_0)}{k!}(x-x_0)^k + \int_{x_0}^x \frac{f^{(n+1)}(t)}{n!}(x-t)^n dt",
                 taylor_statement, "integral", errata=(_E15,))


# ---- functions given as expressions (SymPy builds them; NumPy evaluates) -------------------------


def parse_function(f, variables):
    """'x**2 + 3*y**2' with 'x,y' -> (SymPy expression, list of symbols)."""
    import sympy

    from dlcalc.core.scalar_expr import parse_scalar

    names = [v.strip() for v in variables.split(",") if v.strip()]
    if not names or len(set(names)) != len(names) or any(not n.isidentifier() for n in names):
        raise DlcalcError(f"--vars: expected distinct variable names like x,y, got {variables!r}")
    symbols = [sympy.Symbol(n, real=True) for n in names]
    return parse_scalar(f, dict(zip(names, symbols)), what="--f"), symbols


def _point(at, symbols, name="--at"):
    if len(at) != len(symbols):
        raise DlcalcError(f"{name} has {len(at)} values for {len(symbols)} variables")
    return dict(zip(symbols, at))


def hessian(f, vars, at):
    import numpy as np
    import sympy

    from dlcalc.catalogue.linalg import definiteness

    expression, symbols = parse_function(f, vars)
    matrix = sympy.hessian(expression, symbols)
    values = np.array(matrix.subs(_point(at, symbols)).evalf(), dtype=float)
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


def _numeric_function(expression, symbols):
    """A NumPy function of a point (and its gradient) from a SymPy expression built by our parser."""
    import sympy

    value = sympy.lambdify(symbols, expression, "numpy")
    grad = sympy.lambdify(symbols, [sympy.diff(expression, s) for s in symbols], "numpy")
    return (lambda x: float(value(*x))), (lambda x: [float(g) for g in grad(*x)])


def gradient_descent(f, vars, x0, eta, steps, every):
    import numpy as np

    expression, symbols = parse_function(f, vars)
    _point(x0, symbols, "--x0")
    value, grad = _numeric_function(expression, symbols)
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


_E11 = erratum(
    "E11",
    title="strict convexity 'guarantees a unique global minimum'",
    sheet="strictly convex functions have a unique global minimum",
    correct="a strictly convex function has at most one minimiser and need not have one (exp(x) has none); "
    "existence needs e.g. strong convexity or coercivity",
    command='dlcalc gd --f "exp(x)" --vars x --x0 0 --eta 1 --steps 1000',
)

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
    errata=(_E11,),
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

    try:
        with time_limit(30):
            solutions = sympy.solve([sympy.diff(lagrangian, u) for u in unknowns], unknowns, dict=True)
    except TimeUp:
        raise DlcalcError("SymPy could not solve ∇𝓛 = 0 within 30 s") from None
    real = [s for s in solutions if all(v.is_real is not False for v in s.values())]
    points = [{str(u): sympy.sstr(s[u]) for u in unknowns if u in s} for s in real]
    values = [sympy.sstr(sympy.nsimplify(objective.subs({k: v for k, v in s.items() if k != gamma}))) for s in real]
    plain = "; ".join(" ".join(f"{k}={v}" for k, v in p.items()) for p in points) or "no stationary point"
    return Result(value=points, plain=plain,
                  steps=[f"𝓛 = {sympy.sstr(lagrangian)}", "∇𝓛 = 0 at: " + plain, f"f there: {', '.join(values)}"],
                  extra={"f_values": values})


formula(
    name="lagrange",
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
    value, _ = _numeric_function(expression, symbols)
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

formula(
    name="jensen",
    section=SECTION,
    catalogue_id="ANA-JENSEN",
    summary="Both sides of Jensen's inequality f(Σλ_i x_i) ≤ Σλ_i f(x_i) (exit 1 if violated)",
    params=(Param("f", TEXT, 'the function of x, e.g. "exp(x)"'), Param("x", VECTOR, "the points x_i"),
            Param("weights", VECTOR, "the weights λ_i (≥ 0, sum 1)")),
    formula="f convex ⟹ f(Σλ_i x_i) ≤ Σλ_i f(x_i), f(E X) ≤ E f(X)",
    latex=r"f\Big(\sum_i\lambda_i x_i\Big) \le \sum_i \lambda_i f(x_i)",
    compute=jensen,
    kind="claim",
    uses_sympy=True,
    errata=(_E10,),
    examples=(('--f "x**2" --x 0,2 --weights 0.5,0.5', "f_of_mean=1.0 mean_of_f=2.0"),
              ('--f "log(x)" --x 1,3 --weights 0.5,0.5', "f_of_mean=0.6931471805599453 mean_of_f=0.5493061443340549",
               "log is concave: the inequality reverses (exit 1)")),
)


def _quadratic():
    """f(v) = ½vᵀHv + bᵀv in 2-D with a general symmetric H: (f, H, x, ∇f(x))."""
    import sympy

    x, b = symbol_matrix("x", 2, 1), symbol_matrix("b", 2, 1)
    h11, h12, h22 = sympy.symbols("h11 h12 h22", real=True)
    h = sympy.Matrix([[h11, h12], [h12, h22]])

    def f(v):
        return ((v.T * h * v) / 2 + b.T * v)[0]

    return f, h, x, h * x + b


def first_order_gap_statement(strong: bool = False):
    """f(y) − f(x) − ∇f(x)ᵀ(y − x) vs ½(y − x)ᵀH(y − x) for a quadratic f = ½xᵀHx + bᵀx (2-D).

    This is the first-order condition's gap; it is ≥ 0 iff H ⪰ 0 and ≥ (μ/2)‖y − x‖² iff H ⪰ μI."""
    f, h, x, grad = _quadratic()
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


declare_identity(SECTION, "first-order-gap", "ANA-FOC", "First-order convexity gap of a quadratic is ½(y−x)ᵀH(y−x)",
                 "f(y) − f(x) − ∇f(x)ᵀ(y − x) = ½(y − x)ᵀH(y − x)  (≥ 0 ⟺ H ⪰ 0; ≥ μ/2‖y−x‖² ⟺ H ⪰ μI)",
                 r"f(y) - f(x) - \nabla f(x)^\top(y-x) = \tfrac12 (y-x)^\top H (y-x)", first_order_gap_statement, "expand")
declare_identity(SECTION, "convex-composition", "ANA-COMPOSE", "Second derivative of g∘f (convex non-decreasing g of convex f)",
                 "(g∘f)'' = g''(f)·f'² + g'(f)·f'' ≥ 0 when g'' ≥ 0, g' ≥ 0, f'' ≥ 0",
                 r"(g\circ f)'' = g''(f)\,f'^2 + g'(f)\,f''", composition_second_derivative_statement, "differentiate")


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
    value, grad = _numeric_function(expression, symbols)
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


formula(
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
    kind="claim",
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
    _, grad = _numeric_function(expression, symbols)
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


formula(
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
    kind="claim",
    uses_sympy=True,
    rules=(_BOX_RULE,),
    errata=(_E11,),
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
    _point(x0, symbols, "--x0")
    value, grad = _numeric_function(expression, symbols)
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


formula(
    name="local-global",
    section=SECTION,
    catalogue_id="ANA-LOCGLOB",
    summary="Descend from x0 to a local minimum and compare it with the grid's global one (convex: always global)",
    params=(Param("f", TEXT, 'the function, e.g. "x**4 - 2*x**2 + 0.5*x"'), Param("vars", TEXT, "its variables: x or x,y"),
            Param("x0", VECTOR, "the starting point of the descent"), *box_params(61)),
    formula="f convex, x* a local minimum ⟹ f(x*) ≤ f(y) ∀y",
    latex=r"f \text{ convex},\ x^\ast \text{ local min} \implies x^\ast \in \arg\min f",
    compute=local_global,
    kind="claim",
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


formula(
    name="convexity-check",
    section=SECTION,
    catalogue_id="ANA-CVXFN",
    summary="Search a grid for a violation of f(λx + (1−λ)x') ≤ λf(x) + (1−λ)f(x') (exit 1 with a witness)",
    params=(Param("f", TEXT, 'the function, e.g. "x**2 + abs(y)"'), Param("vars", TEXT, "its variables: x or x,y"),
            *box_params(41, f" (at most {_MAX_GRID} in all)")),
    formula="f convex ⟺ f(λx + (1−λ)x') ≤ λf(x) + (1−λ)f(x') ∀x, x', λ ∈ [0, 1]",
    latex=r"f(\lambda x + (1-\lambda)x') \le \lambda f(x) + (1-\lambda) f(x')",
    compute=convexity_check,
    kind="claim",
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


formula(
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
    kind="claim",
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


def descent_lemma_statement(half: bool = True):
    """For f = ½xᵀHx + bᵀx (2-D) and the step y = x − ∇f(x)/L: f(y) − f(x) + c‖∇f‖²/L vs
    ∇fᵀ(H − LI)∇f/(2L²) with c = ½; this is ≤ 0 exactly when H ⪯ LI (∇f L-Lipschitz).
    ``half=False`` uses c = 1 (a claimed decrease of ‖∇f‖²/L), which is refuted."""
    import sympy

    f, h, x, grad = _quadratic()
    big_l = sympy.Symbol("L", positive=True)
    norm_sq = (grad.T * grad)[0]
    c = sympy.Rational(1, 2) if half else 1
    return (f(x - grad / big_l) - f(x) + c * norm_sq / big_l,
            (grad.T * (h - big_l * sympy.eye(2)) * grad)[0] / (2 * big_l**2))


declare_identity(SECTION, "conic-combination", "ANA-CONIC", "Conic combinations of convex functions are convex",
                 "gap_{αf+βg} = α·gap_f + β·gap_g ≥ 0 for α, β ≥ 0, where gap_h = λh(x) + (1−λ)h(x') − h(λx + (1−λ)x')",
                 r"\mathrm{gap}_{\alpha f+\beta g} = \alpha\,\mathrm{gap}_f + \beta\,\mathrm{gap}_g", conic_statement, "expand")
declare_identity(SECTION, "max-convex", "ANA-MAX", "The pointwise maximum of convex functions is convex",
                 "gap_{max(f,g)} = gap_f + λ(max(f,g)(x) − f(x)) + (1−λ)(max(f,g)(x') − f(x')) ≥ 0 when f attains the max at z",
                 r"\mathrm{gap}_{\max(f,g)} = \mathrm{gap}_f + \lambda(h(x) - f(x)) + (1-\lambda)(h(x') - f(x'))",
                 max_statement, "expand")
declare_identity(SECTION, "descent-lemma", "ANA-LSMOOTH", "Descent lemma: a 1/L step decreases f by ‖∇f‖²/(2L) (quadratic f)",
                 "f(x − ∇f/L) − f(x) + ‖∇f‖²/(2L) = ∇fᵀ(H − LI)∇f/(2L²) ≤ 0 when ∇f is L-Lipschitz (H ⪯ LI)",
                 r"f(x - \tfrac1L\nabla f) \le f(x) - \tfrac{1}{2L}\|\nabla f(x)\|^2", descent_lemma_statement, "expand",
                 errata=(_E17,))
