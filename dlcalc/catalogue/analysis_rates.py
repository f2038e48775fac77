"""Analysis (sheet §2), rates and inequalities: convergence rates of gradient descent and the best
fixed step, Cauchy–Schwarz (for vectors and expectations), Lipschitz constants of linear maps, and
the identities of this part: the log-derivative trick, Taylor's formula with the integral remainder,
and the descent lemma.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._analysis import quadratic
from dlcalc.catalogue._common import same_length
from dlcalc.catalogue._matrices import real_matrix
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, INT, MATRIX, VECTOR, Param, Rule, claim, erratum, formula, identity
from dlcalc.core.result import Result

SECTION = "2"
_ABSENT_K = -1  # --k not given


# ---- convergence of gradient descent ---------------------------------------------------------


MAX_COUNT = 2**53  # iteration counts above this are not exact in floating point
MAX_K = 10**15


def linear_rate_iterations(rate: float, eps: float) -> int:
    """Smallest k with rate^k ≤ eps (rate in [0, 1))."""
    if rate == 0:
        return 1 if eps < 1 else 0
    if eps >= 1:
        return 0
    if rate >= 1 or math.log(eps) / math.log(rate) > MAX_COUNT:
        raise DlcalcError("more than 2^53 ≈ 9.0e15 steps are needed: the count cannot be given exactly")
    k = math.ceil(math.log(eps) / math.log(rate))
    # Guard the floating-point ceiling: step to the exact smallest k.
    while k > 0 and rate ** (k - 1) <= eps:
        k -= 1
    while rate**k > eps:
        k += 1
    return k


def contraction(mu, L):
    """(κ − 1)/(κ + 1), the best fixed step's rate; as (1 − μ/L)/(1 + μ/L) when κ = L/μ overflows."""
    kappa = L / mu
    if math.isfinite(kappa):
        return (kappa - 1) / (kappa + 1)
    q = mu / L
    return (1 - q) / (1 + q)


def gd_rate(mu, L, eps, k):
    if k != _ABSENT_K and k < 0:
        raise DlcalcError(f"--k: must be at least 0, got {k}")
    rate = 1 - mu / L
    try:
        iterations = linear_rate_iterations(rate, eps)
    except DlcalcError as err:
        raise DlcalcError(f"μ/L = {mu / L:.3g} is too small: {err.message}") from None
    kappa = L / mu  # finite here: linear_rate_iterations refuses κ beyond ~1e16
    value = {"rate": rate, "kappa": kappa, "iterations": iterations}
    steps = [
        f"c = 1 − μ/L = 1 − {mu!r}/{L!r} = {rate!r}   (κ = L/μ = {kappa!r}; the sheet's 'O(e^k)' is O(c^k), E13)",
        f"f(x_k) − f* ≤ c^k (f(x_0) − f*);  c^k ≤ {eps!r} from k = {iterations}",
        f"best fixed step for a quadratic, 2/(L + μ), contracts by (κ − 1)/(κ + 1) = {contraction(mu, L)!r} per step",
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
        Param("k", INT, f"also print the bound after k ≥ 0 steps (at most {MAX_K:,})", default=_ABSENT_K,
              maximum=MAX_K),
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
    best = 2 / (L + mu) if math.isfinite(L + mu) else (2 / L) / (1 + mu / L)  # L + μ overflows near 1.8e308
    value = {"step": best, "rate": contraction(mu, L), "rate_at_1_over_L": 1 - 1 / kappa}
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

claim(
    name="cauchy-schwarz",
    section=SECTION,
    catalogue_id="ANA-CS ANA-CS-SUM",
    summary="Both sides of the Cauchy–Schwarz inequality |⟨u,v⟩| ≤ ‖u‖‖v‖",
    params=(Param("u", VECTOR, "vector u"), Param("v", VECTOR, "vector v")),
    formula="⟨u,v⟩ ≤ |⟨u,v⟩| ≤ ‖u‖‖v‖;  (Σ x_i y_i)² ≤ (Σ x_i²)(Σ y_i²)",
    latex=r"|\langle u, v\rangle| \le \|u\|\,\|v\|",
    compute=cauchy_schwarz,
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

claim(
    name="cauchy-schwarz-expectation",
    section=SECTION,
    catalogue_id="ANA-CS-EXP",
    summary="E[XY]² ≤ E[X²]E[Y²] on paired samples (equally likely), with the sheet's wrong bound",
    params=(Param("x", VECTOR, "samples of X"), Param("y", VECTOR, "paired samples of Y")),
    formula="E[XY]² ≤ E[X²]·E[Y²]",
    latex=r"\mathbb{E}[XY]^2 \le \mathbb{E}[X^2]\,\mathbb{E}[Y^2]",
    compute=cauchy_schwarz_expectation,
    errata=(_E09,),
    examples=(("--x 1,-1 --y 1,-1", "lhs=1.0 bound=1.0", "the sheet's bound E[X]²E[Y²] is 0 here"),),
)


def lipschitz_linear(matrix):
    import numpy as np

    a = real_matrix(matrix, "--matrix")
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

def descent_lemma_statement(half: bool = True):
    """For f = ½xᵀHx + bᵀx (2-D) and the step y = x − ∇f(x)/L: f(y) − f(x) + c‖∇f‖²/L vs
    ∇fᵀ(H − LI)∇f/(2L²) with c = ½; this is ≤ 0 exactly when H ⪯ LI (∇f L-Lipschitz).
    ``half=False`` uses c = 1 (a claimed decrease of ‖∇f‖²/L), which is refuted."""
    import sympy

    f, h, x, grad = quadratic()
    big_l = sympy.Symbol("L", positive=True)
    norm_sq = (grad.T * grad)[0]
    c = sympy.Rational(1, 2) if half else 1
    return (f(x - grad / big_l) - f(x) + c * norm_sq / big_l,
            (grad.T * (h - big_l * sympy.eye(2)) * grad)[0] / (2 * big_l**2))


identity(
    name="log-trick",
    section=SECTION,
    catalogue_id="ANA-LOGTRICK",
    summary="The log-derivative trick ∇p = p ∇log p (Gaussian in μ and σ)",
    formula="∇_θ p_θ(x) = p_θ(x) ∇_θ log p_θ(x)",
    latex=r"\nabla_\theta p_\theta = p_\theta \nabla_\theta \log p_\theta",
    build=log_trick_statement,
    method="differentiate",
)

identity(
    name="taylor-integral",
    section=SECTION,
    catalogue_id="ANA-TAYLOR",
    summary="Taylor's formula with the integral remainder (f = e^{2x} sin x, n = 3)",
    formula="f(x) = Σ_{k≤n} f^{(k)}(x0)/k!·(x−x0)^k + ∫_{x0}^{x} f^{(n+1)}(t)/n!·(x−t)^n dt",
    latex=r"f(x) = \sum_{k=0}^n \frac{f^{(k)}(x_0)}{k!}(x-x_0)^k + \int_{x_0}^x \frac{f^{(n+1)}(t)}{n!}(x-t)^n dt",
    build=taylor_statement,
    method="integral",
    errata=(_E15,),
)

identity(
    name="descent-lemma",
    section=SECTION,
    catalogue_id="ANA-LSMOOTH",
    summary="Descent lemma: a 1/L step decreases f by ‖∇f‖²/(2L) (quadratic f)",
    formula="f(x − ∇f/L) − f(x) + ‖∇f‖²/(2L) = ∇fᵀ(H − LI)∇f/(2L²) ≤ 0 when ∇f is L-Lipschitz (H ⪯ LI)",
    latex=r"f(x - \tfrac1L\nabla f) \le f(x) - \tfrac{1}{2L}\|\nabla f(x)\|^2",
    build=descent_lemma_statement,
    method="expand",
    errata=(_E17,),
)
