"""Optimisers, convergence (sheet §11.3 and the empty §14): a Newton step, the table of classical
convergence rates, the Robbins–Monro step-size conditions (decided symbolically), the variance of
a mini-batch gradient, and gradient flow against gradient descent.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import ABSENT, given, rounded, square_array, vector_result, vector_text
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, INT, MATRIX, TEXT, VECTOR, Param, claim, erratum, formula
from dlcalc.core.result import Result, Table

SECTION = "11.3"


# ---- Newton's method and the table of convergence rates (the empty §14) ---------------------------


def newton_step(H, b, theta, eta):
    """One (damped) Newton step on J(θ) = ½θᵀHθ + bᵀθ: θ ← θ − ηH⁻¹∇J, ∇J = Hθ + b."""
    import numpy as np

    h = square_array(H, "H")
    if len(b) != len(h) or len(theta) != len(h):
        raise DlcalcError(f"--b and --theta need {len(h)} entries to match --H")
    if not np.allclose(h, h.T):
        raise DlcalcError("--H must be symmetric (a Hessian)")
    if np.linalg.matrix_rank(h) < len(h):
        raise DlcalcError("--H is singular: the Newton step H⁻¹∇J does not exist")
    start, linear = np.array(theta, dtype=float), np.array(b, dtype=float)
    grad = h @ start + linear
    new = start - eta * np.linalg.solve(h, grad)

    def value(t):
        return 0.5 * float(t @ h @ t) + float(linear @ t)

    lowest = float(np.linalg.eigvalsh(h).min())
    warnings = [] if lowest > 0 else ["H is not positive definite: Newton's step goes to a saddle or maximum, not a minimum"]
    return vector_result(new, warnings=warnings,
                         steps=[f"∇J(θ) = Hθ + b = {vector_text(grad)}",
                                f"θ ← θ − η H⁻¹∇J(θ) = {vector_text(new)};  J: {value(start)!r} → {value(new)!r}",
                                f"∇J at the new point = {vector_text(h @ new + linear)} (0 after one full step on a quadratic)"],
                         extra={"gradient": rounded(grad), "J_before": value(start), "J_after": value(new)})


formula(
    name="newton-step",
    section="14",
    catalogue_id="OPT-NEWTON",
    summary="One Newton step θ − ηH⁻¹∇J on the quadratic J(θ) = ½θᵀHθ + bᵀθ (one full step reaches the minimiser)",
    params=(Param("H", MATRIX, "the symmetric Hessian H"), Param("b", VECTOR, "the linear term b"),
            Param("theta", VECTOR, "the current point θ"),
            Param("eta", FLOAT, "damping η (1 = the full Newton step)", default=1.0, minimum=0)),
    formula="θ ← θ − η H⁻¹∇J(θ),  ∇J = Hθ + b;  with η = 1: θ = −H⁻¹b, the minimiser for H ≻ 0",
    latex=r"\theta \leftarrow \theta - H^{-1}\nabla J(\theta)",
    compute=newton_step,
    examples=(("--H '[[2,0],[0,4]]' --b -2,-4 --theta 0,0", "1.0,1.0", "∇J = (−2, −4), H⁻¹∇J = (−1, −1)"),
              ("--H '[[2,1],[1,2]]' --b 0,0 --theta 3,-1 --eta 0.5", "1.5,-0.5", "half-way to 0")),
)


def rate_bounds(k, L, mu, R, G):
    """The classical bounds on f(x_k) − f* after k steps, with R = ‖x_0 − x*‖."""
    bounds = {"convex": L * R * R / (2 * k), "nesterov": 2 * L * R * R / (k + 1) ** 2, "sgd": R * G / math.sqrt(k)}
    if given(mu):
        bounds["strongly_convex"] = (1 - mu / L) ** k * L * R * R / 2
    return bounds


_RATE_ROWS = (
    ("convex", "GD, η = 1/L, convex L-smooth", "L‖x_0 − x*‖²/(2k)", "O(1/k)"),
    ("strongly_convex", "GD, η = 1/L, μ-strongly convex", "(1 − μ/L)^k · L‖x_0 − x*‖²/2", "O((1 − μ/L)^k)"),
    ("nesterov", "Nesterov, convex L-smooth", "2L‖x_0 − x*‖²/(k + 1)²", "O(1/k²)"),
    ("sgd", "SGD, η = R/(G√k), averaged iterate, E‖g‖² ≤ G²", "RG/√k", "O(1/√k)"),
)


def convergence_rates(k, L, mu, R, G):
    if given(mu) and mu > L:
        raise DlcalcError(f"μ = {mu} cannot exceed L = {L}")
    bounds = rate_bounds(k, L, mu, R, G)
    rows = [[label, text, order, f"{bounds[key]:.6g}"] for key, label, text, order in _RATE_ROWS if key in bounds]
    return Result(value={key: bounds[key] for key, *_ in _RATE_ROWS if key in bounds},
                  table=Table(columns=["method", "bound on f(x_k) − f*", "order", f"at k = {k}"], rows=rows,
                              title="classical convergence rates"),
                  steps=["f(x_0) − f* ≤ L‖x_0 − x*‖²/2 for L-smooth f, which turns the linear rate into the same units"])


formula(
    name="convergence-rates",
    section="14",
    catalogue_id="OPT-RATES",
    summary="Table of convergence rates (convex O(1/k), strongly convex O((1−μ/L)^k), Nesterov O(1/k²), SGD O(1/√k)) at k",
    params=(Param("k", INT, "number of iterations k", minimum=1), Param("L", FLOAT, "smoothness L", default=1.0, minimum=1e-300),
            Param("mu", FLOAT, "strong convexity μ (adds that row)", default=ABSENT, minimum=0),
            Param("R", FLOAT, "distance ‖x_0 − x*‖", default=1.0, minimum=0),
            Param("G", FLOAT, "gradient bound G (SGD: E‖g‖² ≤ G²)", default=1.0, minimum=0)),
    formula="convex L R²/(2k);  μ-SC (1 − μ/L)^k L R²/2;  Nesterov 2L R²/(k+1)²;  SGD R G/√k",
    latex=r"\frac{LR^2}{2k},\ \left(1 - \frac{\mu}{L}\right)^k \frac{LR^2}{2},\ \frac{2LR^2}{(k+1)^2},\ \frac{RG}{\sqrt{k}}",
    compute=convergence_rates,
    examples=(("--k 4", "convex=0.125 nesterov=0.08 sgd=0.5", "1/8, 2/25, 1/2"),
              ("--k 2 --L 2 --mu 1 --R 1", "convex=0.5 strongly_convex=0.25 nesterov=0.4444444444444444 sgd=0.7071067811865475",
               "(1/2)²·1 = 1/4; 4/9; 1/√2")),
)


# ---- Robbins–Monro ---------------------------------------------------------------------------------


def _series_verdict(term, t):
    """(converges: bool | None, value text) for Σ_{t≥1} term, decided by SymPy."""
    import sympy

    series = sympy.Sum(term, (t, 1, sympy.oo))
    try:
        verdict = series.is_convergent()
    except (NotImplementedError, ValueError, TypeError):
        verdict = None
    if verdict not in (sympy.true, sympy.false, True, False):
        return None, "undecided"
    if not verdict:
        return False, "∞"
    value = series.doit()
    return True, sympy.sstr(value) if not isinstance(value, sympy.Sum) else "finite"


def robbins_monro(alpha):
    import sympy

    from dlcalc.core.scalar_expr import parse_scalar

    t = sympy.Symbol("t", integer=True, positive=True)
    term = parse_scalar(alpha, {"t": t}, what="--alpha")
    if not term.has(t) and not term.is_positive:
        raise DlcalcError(f"--alpha must be positive, got {sympy.sstr(term)}")
    # Step sizes are positive; check far out, where the series' fate is decided.
    for far in (10**3, 10**6, 10**9):
        value = sympy.N(term.subs(t, far))
        if not (value.is_real and value > 0):
            raise DlcalcError(f"--alpha must be positive for large t; α_{far} = {sympy.sstr(value)}")
    first, first_value = _series_verdict(term, t)
    second, second_value = _series_verdict(term**2, t)
    if first is None or second is None:
        raise DlcalcError("SymPy could not decide whether the series converge for this α_t")
    shown = sympy.sstr(term)
    steps = [f"α_t = {shown}",
             f"Σ α_t = {first_value}: " + ("diverges, as required" if not first else "converges, so the steps stop too soon"),
             f"Σ α_t² = {second_value}: " + ("converges, as required" if second else "diverges, so the noise never averages out")]
    failures = ([f"Σ α_t = {first_value} < ∞ (needs to diverge)"] if first else []) + \
               (["Σ α_t² = ∞ (needs to converge)"] if not second else [])
    holds = not failures
    return Result(value=holds,
                  plain="satisfied" if holds else "fails: " + "; ".join(failures), steps=steps,
                  extra={"sum_alpha": first_value, "sum_alpha_squared": second_value, "alpha": shown},
                  holds=holds)


_E36 = erratum(
    "E36",
    title="Robbins–Monro example 1/√t",
    sheet="α_t = 1/√t satisfies both conditions, whereas α_t = 1/∛t satisfies the first but not the second",
    correct="1/√t fails Σα_t² < ∞ (Σ1/t = ∞), like 1/∛t; α_t = 1/t^p satisfies both iff ½ < p ≤ 1, e.g. 1/t",
    command='dlcalc robbins-monro --alpha "1/sqrt(t)"',
)
_E37 = erratum(
    "E37",
    title="Robbins–Monro 'convergence to a local minimum' (non-convex)",
    sheet="convergence to a local minimum (non-convex)",
    correct="in the non-convex case, convergence to a stationary point (a.s., under further assumptions)",
    command='dlcalc robbins-monro --alpha "1/t"',
)

claim(
    name="robbins-monro",
    time_limit=60,  # deciding two series can take SymPy a while
    section=SECTION,
    catalogue_id="OPT-RM",
    summary="Decide the Robbins–Monro step-size conditions Σα_t = ∞ and Σα_t² < ∞ (exit 1 if not)",
    params=(Param("alpha", TEXT, 'the step size as an expression in t: "1/t", "0.1/t", "1/sqrt(t)", "t**-0.75"'),),
    formula="Σ_t α_t = ∞  and  Σ_t α_t² < ∞;  α_t = t^{−p} satisfies both ⟺ ½ < p ≤ 1",
    latex=r"\sum_t \alpha_t = \infty,\quad \sum_t \alpha_t^2 < \infty",
    compute=robbins_monro,
    uses_sympy=True,
    errata=(_E36, _E37),
    examples=(
        ('--alpha "1/t"', "satisfied"),
        ('--alpha "1/sqrt(t)"', "fails: Σ α_t² = ∞ (needs to converge)", "the sheet's example (E36)"),
        ('--alpha "1/t**2"', "fails: Σ α_t = pi**2/6 < ∞ (needs to diverge)"),
    ),
)


# ---- stochastic gradients and gradient flow --------------------------------------------------------


def minibatch_variance(var, batch_size, population):
    batch = batch_size
    if population != -1 and batch > population:
        raise DlcalcError(f"--batch-size ({batch}) cannot exceed --population ({population})")
    value = var / batch
    steps = [f"Var[ḡ_B] = Var[g̃_1]/B = {var!r}/{batch} = {value!r}   (i.i.d. samples: E[ḡ_B] = ∇J, unbiased)"]
    if population != -1:
        correction = (population - batch) / (population - 1) if population > 1 else 0.0
        value *= correction
        steps.append(f"sampling without replacement from N = {population}: × (N − B)/(N − 1) = {correction!r}")
    return Result(value=value, steps=steps)


formula(
    name="minibatch-variance",
    section="11.3",
    catalogue_id="OPT-SGD",
    summary="Variance of a mini-batch gradient (i.i.d., or without replacement from N examples)",
    params=(Param("var", FLOAT, "variance of a single-example gradient (per coordinate)", minimum=0),
            Param("batch-size", INT, "batch size B (--batch is batch mode)", aliases=("B",), minimum=1),
            Param("population", INT, "dataset size N for sampling without replacement", default=-1, minimum=-1)),
    formula="Var[ḡ_B] = Var[g̃_1]/B;  without replacement × (N − B)/(N − 1)",
    latex=r"\mathrm{Var}[\bar g_B] = \frac{\mathrm{Var}[\tilde g_1]}{B}",
    compute=minibatch_variance,
    examples=(("--var 4 --batch-size 16", "0.25"), ("--var 4 --batch-size 10 --population 10", "0.0", "the full batch has no noise")),
)


def _gd_exponent(T, eta):
    """The number of GD steps T/η as a float power, and how the steps line says it. Beyond the float range
    (T = 1e308, η = 0.5) the count is +∞: x ↦ x^∞ is then the limit (0 for |x| < 1, 1 for x = ±1: every
    float that large is an even whole number)."""
    ratio = T / eta
    if math.isinf(ratio):
        return math.inf, "more than 1.8e308"
    count = round(ratio)
    if not math.isclose(count * eta, T, rel_tol=1e-9):
        raise DlcalcError(f"--T ({T}) must be a whole number of steps --eta ({eta})")
    return float(count), str(count)


def _along_eigenvectors(q, factors, components):
    """q · (factors ⊙ components), where a zero component stays 0 even if its factor is huge."""
    import numpy as np

    with np.errstate(over="ignore", invalid="ignore"):
        return q @ np.where(components == 0, 0.0, factors * components)


def gradient_flow(H, x0, T, eta):
    import numpy as np

    h = np.array(H, dtype=float)
    if h.shape != (len(x0), len(x0)) or not np.allclose(h, h.T):
        raise DlcalcError(f"--H must be a symmetric {len(x0)}×{len(x0)} matrix")
    exponent, count_text = _gd_exponent(T, eta)
    eigenvalues, q = np.linalg.eigh(h)
    components = q.T @ np.array(x0, dtype=float)
    with np.errstate(over="ignore", under="ignore"):
        flow_factors = np.exp(-eigenvalues * T)  # x(T) = e^{−HT} x0 solves ẋ = −Hx
        euler_factors = np.power(1 - eta * eigenvalues, exponent)  # GD = forward Euler
    flow, euler = _along_eigenvectors(q, flow_factors, components), _along_eigenvectors(q, euler_factors, components)
    if not (np.all(np.isfinite(flow)) and np.all(np.isfinite(euler))):
        raise DlcalcError("x(T) or the GD iterate is beyond the float range (±1.8e308): the flow grows along a "
                          "negative eigenvalue of H, GD where |1 − ηλ| > 1")
    gap = float(np.linalg.norm(flow - euler))
    value = {"flow": rounded(flow), "gd": rounded(euler), "gap": gap}
    return Result(value=value,
                  plain=f"flow={vector_text(flow)} gd={vector_text(euler)} gap={gap!r}",
                  steps=["gradient flow is the ODE ẋ = −∇f(x); for f = ½xᵀHx, x(T) = e^{−HT}x0",
                         f"GD with step η is its forward-Euler discretisation: {count_text} steps of x ← (I − ηH)x (E33)"])


_E33 = erratum(
    "E33",
    title="gradient flow 'can be seen as the numerical integration of the ODE'",
    sheet="Gradient Flow can be seen as the numerical integration of the ODE ẋ = −∇f(x)",
    correct="gradient flow is that ODE; gradient descent is its explicit (forward) Euler discretisation with step η",
    command="dlcalc gradient-flow --H '[[1,0],[0,10]]' --x0 1,1 --T 1 --eta 0.01",
)

formula(
    name="gradient-flow",
    section="11.3",
    catalogue_id="OPT-FLOW",
    summary="Gradient flow on a quadratic (exact, e^{−HT}x0) against GD, its forward-Euler discretisation",
    params=(Param("H", MATRIX, "the symmetric Hessian H of f = ½xᵀHx"), Param("x0", VECTOR, "the starting point"),
            Param("T", FLOAT, "the time T", minimum=0), Param("eta", FLOAT, "the GD step η (T/η steps)", minimum=1e-300)),
    formula="ẋ = −∇f(x);  x(T) = e^{−HT}x0;  GD: x_{k+1} = x_k − η∇f(x_k) ≈ x(kη)",
    latex=r"\dot x = -\nabla f(x),\quad x_{k+1} = x_k - \eta\nabla f(x_k)",
    compute=gradient_flow,
    errata=(_E33,),
    examples=(("--H '[[1]]' --x0 1 --T 1 --eta 0.5", "flow=0.367879441171 gd=0.25 gap=0.11787944117144233",
               "e^{−1} against (1 − 0.5)²"),),
)
