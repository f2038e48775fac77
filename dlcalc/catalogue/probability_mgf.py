"""Probability (sheet §1), moment generating functions: the MGF of a named distribution, at t, and
its moments; and each MGF proven from its definition (a sum over the support, or an integral).

Distribution parameters are named explicitly (``--std`` vs ``--var``, ``--shape/--scale/--rate``)
because the sheet mixes conventions (E04, E05).
"""

from __future__ import annotations

from dlcalc.catalogue._common import ABSENT, given
from dlcalc.catalogue._laws import check_dist_params, positive_value
from dlcalc.catalogue._probability import positives
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, INT, Param, choice, erratum, formula, identity
from dlcalc.core.result import Result

SECTION = "1"

# ---- moment generating functions -------------------------------------------------------------

_DIST_PARAMS = {
    "bernoulli": ("p",),
    "normal": ("mean", "std", "var"),
    "binomial": ("n", "p"),
    "gamma": ("shape", "scale", "rate"),
    "poisson": ("lambda",),
}


def _exact(x):
    """A float option as an exact rational (0.3 -> 3/10), so moments come out exact."""
    import sympy

    return sympy.Rational(repr(float(x)))


def _one_of(supplied, first, second, dist):
    if (first in supplied) == (second in supplied):
        raise DlcalcError(f"{dist}: give exactly one of --{first} and --{second}")
    return first if first in supplied else second


def _need(supplied, name, dist):
    if name not in supplied:
        raise DlcalcError(f"{dist}: --{name} is required")
    return supplied[name]


def _probability(p):
    if not 0 <= p <= 1:
        raise DlcalcError(f"--p must lie in [0, 1], got {p}")
    return _exact(p)


def _positive(supplied, name):
    return _exact(positive_value(supplied, name))


def mgf_expression(dist, supplied, t, for_series=False):
    """(M(t), the t-domain as text, the domain's upper bound or None) for the named distribution.
    ``for_series`` writes the rate-Gamma MGF as (1 − t/β)^(−α), whose constant term is 1: SymPy
    splits (β/(β − t))^α into irrational constant factors when α is not whole."""
    import sympy

    check_dist_params(dist, supplied, _DIST_PARAMS[dist])
    if dist == "bernoulli":
        p = _probability(_need(supplied, "p", dist))
        return p * sympy.exp(t) + 1 - p, "all t", None
    if dist == "binomial":
        n = _need(supplied, "n", dist)
        if n < 0 or n != int(n):
            raise DlcalcError(f"--n must be a whole number ≥ 0, got {n}")
        p = _probability(_need(supplied, "p", dist))
        return (p * sympy.exp(t) + 1 - p) ** int(n), "all t", None
    if dist == "normal":
        mean = _exact(_need(supplied, "mean", dist))
        spread = _one_of(supplied, "std", "var", dist)
        var = _positive(supplied, spread) ** (2 if spread == "std" else 1)
        return sympy.exp(mean * t + var * t**2 / 2), "all t", None
    if dist == "gamma":
        _need(supplied, "shape", dist)
        shape = _positive(supplied, "shape")
        convention = _one_of(supplied, "scale", "rate", dist)
        value = _positive(supplied, convention)
        if convention == "scale":
            return (1 - value * t) ** (-shape), f"t < 1/scale = {sympy.sstr(1 / value)}", 1 / value
        closed = (1 - t / value) ** (-shape) if for_series else (value / (value - t)) ** shape
        return closed, f"t < rate = {sympy.sstr(value)}", value
    lam = _positive({"lambda": _need(supplied, "lambda", dist)}, "lambda")
    return sympy.exp(lam * (sympy.exp(t) - 1)), "all t", None


MAX_MOMENT = 100  # E[X^K] for K ≤ 100 is exact and takes well under a second (O(K²) series arithmetic)
MAX_TRIALS = 1_000_000


def taylor_coefficients(expression, t, order):
    """The Taylor coefficients c_0..c_order of ``expression`` (built by mgf_expression from exact
    rationals, t, +, ×, constant powers and exp) at t = 0, as Fractions: truncated power-series
    arithmetic, so that E[X^K] = K!·c_K costs O(K²) operations where K-fold differentiation by SymPy
    took 29 s at K = 40 (issue 12)."""
    from fractions import Fraction

    import sympy

    def constant(value):
        value = sympy.Rational(value)
        return [Fraction(int(value.p), int(value.q))] + [Fraction(0)] * order

    def times(a, b):
        return [sum((a[i] * b[n - i] for i in range(n + 1)), Fraction(0)) for n in range(order + 1)]

    def exp_of(a):  # B = exp(A) with a_0 = 0:  n b_n = Σ_{j=1..n} j a_j b_{n−j}
        if a[0] != 0:
            raise ValueError("exp of a series with a constant term")
        b = [Fraction(1)] + [Fraction(0)] * order
        for n in range(1, order + 1):
            b[n] = sum((j * a[j] * b[n - j] for j in range(1, n + 1)), Fraction(0)) / n
        return b

    def power(a, exponent):  # J. C. P. Miller: n a_0 b_n = Σ_{k=1..n} ((α + 1)k − n) a_k b_{n−k}
        if a[0] == 0:
            if int(exponent) != exponent or exponent < 0:
                raise ValueError("a non-integer power of a series without a constant term")
            result = constant(1)
            for _ in range(int(exponent)):
                result = times(result, a)
            return result
        alpha = Fraction(int(exponent.p), int(exponent.q))
        first = sympy.Rational(a[0].numerator, a[0].denominator) ** exponent
        if not first.is_Rational:
            raise ValueError("an irrational leading coefficient")
        b = [Fraction(int(first.p), int(first.q))] + [Fraction(0)] * order
        for n in range(1, order + 1):
            total = sum((((alpha + 1) * k - n) * a[k] * b[n - k] for k in range(1, n + 1)), Fraction(0))
            b[n] = total / (n * a[0])
        return b

    def series(node):
        if node == t:
            return [Fraction(0), Fraction(1)] + [Fraction(0)] * (order - 1) if order else [Fraction(0)]
        if node.is_Rational:
            return constant(node)
        if node.is_Add:
            terms = [series(arg) for arg in node.args]
            return [sum(column, Fraction(0)) for column in zip(*terms)]
        if node.is_Mul:
            result = constant(1)
            for arg in node.args:
                result = times(result, series(arg))
            return result
        if node.is_Pow and node.exp.is_Rational:
            return power(series(node.base), node.exp)
        if isinstance(node, sympy.exp):
            return exp_of(series(node.args[0]))
        raise ValueError(f"no series rule for {node}")

    return series(expression)


def _as_float(exact, what):
    try:
        value = float(exact)
    except OverflowError:
        value = float("inf")
    if value != value or value in (float("inf"), float("-inf")):
        raise DlcalcError(f"{what} is too large for a floating-point number")
    return value


def mgf(dist, p, mean, std, var, n, shape, scale, rate, lambda_, t, moment):
    import math

    import sympy

    options = {"p": p, "mean": mean, "std": std, "var": var, "n": n, "shape": shape, "scale": scale,
               "rate": rate, "lambda": lambda_}
    supplied = {name: value for name, value in options.items() if given(value)}
    symbol = sympy.Symbol("t", real=True)
    expression, domain, bound = mgf_expression(dist, supplied, symbol)
    shown = sympy.sstr(expression)
    steps, extra = [f"M(t) = E[e^(tX)] = {shown}   for {domain}"], {"mgf": shown, "domain": domain}
    value: object = shown
    if given(t):
        if bound is not None and not _exact(t) < bound:
            raise DlcalcError(f"the MGF of this {dist} distribution exists only for {domain}, got t = {t}")
        at_t = expression.subs(symbol, _exact(t))
        extra["at_t"] = _as_float(at_t, f"M({t!r})")
        steps.append(f"M({t!r}) = {sympy.sstr(sympy.nsimplify(at_t))} = {extra['at_t']!r}")
        value = extra["at_t"]
    if given(moment):
        series_form = mgf_expression(dist, supplied, symbol, for_series=True)[0]
        exact = taylor_coefficients(series_form, symbol, moment)[moment] * math.factorial(moment)
        extra["moment"], extra["exact"] = _as_float(exact, f"E[X^{moment}]"), str(exact)
        steps.append(f"E[X^{moment}] = M^({moment})(0) = {exact}   (K! × the t^K coefficient of M's Taylor series)")
        value = extra["moment"]
    return Result(value=value, steps=steps, extra=extra)


_E04 = erratum(
    "E04",
    title="N(μ, σ) in the MGF table: σ is a standard deviation there",
    sheet="N(μ, σ)  exp(μt + ½σ²t²)",
    correct="exp(μt + ½σ²t²) with σ the standard deviation; the same sheet writes N(x; μ, Σ) with a "
    "covariance, so dlcalc takes --std or --var explicitly",
    command="dlcalc mgf --dist normal --mean 0 --var 4 --moment 2",
)
_E05 = erratum(
    "E05",
    title="Gamma MGF",
    sheet="Gam(α, β)  (1/(α − βt))^α for t < 1/β",
    correct="shape α, scale β: (1 − βt)^(−α) for t < 1/β; shape α, rate β: (β/(β − t))^α for t < β. "
    "The sheet's form gives M(0) = α^(−α) ≠ 1",
    command="dlcalc mgf --dist gamma --shape 3 --scale 2 --t 0",
)

formula(
    name="mgf",
    section=SECTION,
    catalogue_id="PROB-MGF",
    summary="Moment generating function of a named distribution, at t, and moments from it",
    params=(
        Param("dist", choice(*_DIST_PARAMS), "the distribution"),
        Param("p", FLOAT, "success probability (bernoulli, binomial)", default=ABSENT),
        Param("mean", FLOAT, "mean μ (normal)", default=ABSENT),
        Param("std", FLOAT, "standard deviation σ (normal)", default=ABSENT),
        Param("var", FLOAT, "variance σ² (normal)", default=ABSENT),
        Param("n", INT, f"number of trials (binomial; at most {MAX_TRIALS:,})", default=ABSENT, maximum=MAX_TRIALS),
        Param("shape", FLOAT, "shape α (gamma)", default=ABSENT),
        Param("scale", FLOAT, "scale β (gamma; mean αβ)", default=ABSENT),
        Param("rate", FLOAT, "rate β = 1/scale (gamma; mean α/β)", default=ABSENT),
        Param("lambda", FLOAT, "rate λ (poisson)", default=ABSENT),
        Param("t", FLOAT, "evaluate the MGF at t", default=ABSENT),
        Param("moment", INT, f"the K-th moment E[X^K] = M^(K)(0) (K at most {MAX_MOMENT})", default=ABSENT, minimum=0,
              maximum=MAX_MOMENT),
    ),
    formula="M_X(t) = E[e^{tX}];  M(0) = 1;  E[X^k] = M^{(k)}(0)",
    latex=r"M_X(t) = \mathbb{E}[e^{tX}],\quad \mathbb{E}[X^k] = M_X^{(k)}(0)",
    compute=mgf,
    uses_sympy=True,
    errata=(_E04, _E05),
    examples=(
        ("--dist bernoulli --p 0.3 --moment 1", "0.3"),
        ("--dist normal --mean 1 --std 2 --moment 2", "5.0", "E[X²] = μ² + σ²"),
        ("--dist normal --mean 0 --var 4 --moment 2", "4.0"),
        ("--dist binomial --n 10 --p 0.5 --moment 1", "5.0"),
        ("--dist gamma --shape 3 --scale 2 --moment 1", "6.0", "mean αβ"),
        ("--dist gamma --shape 3 --rate 2 --moment 1", "1.5", "mean α/β"),
        ("--dist gamma --shape 3 --scale 2 --t 0", "1.0", "an MGF is 1 at t = 0; the sheet's gives 3^−3"),
        ("--dist poisson --lambda 3 --moment 2", "12.0", "λ + λ²"),
        ("--dist poisson --lambda 1 --t 0", "1.0"),
    ),
)


# ---- identities: MGFs from their definition, and the moment rules ----------------------------



def mgf_bernoulli_statement():
    """E[e^{tX}] summed over {0, 1} vs p e^t + 1 − p."""
    import sympy

    p, t = positives("p"), sympy.Symbol("t", real=True)
    return (1 - p) * sympy.exp(0 * t) + p * sympy.exp(t), p * sympy.exp(t) + 1 - p


def mgf_binomial_statement(n: int = 6):
    """E[e^{tX}] summed over k = 0..n vs (p e^t + 1 − p)^n, for a concrete n."""
    import sympy

    p, t = positives("p"), sympy.Symbol("t", real=True)
    expectation = sum(sympy.binomial(n, k) * p**k * (1 - p) ** (n - k) * sympy.exp(k * t) for k in range(n + 1))
    return expectation, (p * sympy.exp(t) + 1 - p) ** n


def mgf_normal_statement(variance_form: bool = True):
    """∫ e^{tx} N(x; μ, σ²) dx vs exp(μt + σ²t²/2) (σ the standard deviation)."""
    import sympy

    x, mu, t = sympy.symbols("x mu t", real=True)
    sigma = positives("sigma")
    density = sympy.exp(-(x - mu) ** 2 / (2 * sigma**2)) / sympy.sqrt(2 * sympy.pi * sigma**2)
    integral = sympy.integrate(sympy.exp(t * x) * density, (x, -sympy.oo, sympy.oo))
    spread = sigma**2 if variance_form else sigma
    return integral, sympy.exp(mu * t + spread * t**2 / 2)


def mgf_gamma_statement(form: str = "scale"):
    """∫ e^{tx} Gamma(x; α, scale β) dx vs the closed form; ``form`` 'scale', 'rate' or 'sheet'.

    t is written as 1/β − u with u > 0, which is exactly the domain t < 1/β where the MGF exists.
    """
    import sympy

    alpha, beta, u, x = positives("alpha beta u x")
    t = 1 / beta - u
    exponent = sympy.expand(t * x - x / beta)  # e^{tx}·e^{−x/β} in one exponential
    integral = sympy.integrate(x ** (alpha - 1) * sympy.exp(exponent) / (sympy.gamma(alpha) * beta**alpha), (x, 0, sympy.oo))
    rate = 1 / beta
    closed = {
        "scale": (1 - beta * t) ** (-alpha),
        "rate": (rate / (rate - t)) ** alpha,
        "sheet": (1 / (alpha - beta * t)) ** alpha,
    }[form]
    return integral, closed


def mgf_poisson_statement():
    """Σ_k e^{tk} λ^k e^{−λ}/k! vs exp(λ(e^t − 1)), summing the exponential series in y = λe^t."""
    import sympy

    k = sympy.Symbol("k", integer=True, nonnegative=True)
    lam, y = positives("lambda y")
    t = sympy.Symbol("t", real=True)
    series = sympy.Sum(y**k / sympy.factorial(k), (k, 0, sympy.oo)).doit()
    return sympy.exp(-lam) * series.subs(y, lam * sympy.exp(t)), sympy.exp(lam * (sympy.exp(t) - 1))


def mgf_linear_statement():
    """Y = a1 X1 + a2 X2 with independent Bernoulli X_i: E[e^{tY}] over the 4 outcomes vs Π M_i(a_i t)."""
    import sympy

    p1, p2 = positives("p1 p2")
    a1, a2, t = sympy.symbols("a1 a2 t", real=True)
    expectation = sum(
        (p1 if x1 else 1 - p1) * (p2 if x2 else 1 - p2) * sympy.exp(t * (a1 * x1 + a2 * x2))
        for x1 in (0, 1) for x2 in (0, 1)
    )

    def bernoulli(p, s):
        return p * sympy.exp(s) + 1 - p

    return expectation, bernoulli(p1, a1 * t) * bernoulli(p2, a2 * t)


identity(
    name="mgf-bernoulli",
    section=SECTION,
    catalogue_id="PROB-MGF-BERN",
    summary="MGF of Bernoulli(p)",
    formula="E[e^{tX}] = p e^t + 1 − p, X ~ Be(p)",
    latex=r"M(t) = p e^t + 1 - p",
    build=mgf_bernoulli_statement,
    method="sum over the support",
)

identity(
    name="mgf-binomial",
    section=SECTION,
    catalogue_id="PROB-MGF-BIN",
    summary="MGF of Binomial(n, p) (checked for n = 6)",
    formula="E[e^{tX}] = (p e^t + 1 − p)^n, X ~ Bin(n, p)",
    latex=r"M(t) = (p e^t + 1 - p)^n",
    build=mgf_binomial_statement,
    method="sum over the support (n = 6)",
)

identity(
    name="mgf-normal",
    section=SECTION,
    catalogue_id="PROB-MGF-NORM",
    summary="MGF of N(μ, σ²) with σ the standard deviation",
    formula="E[e^{tX}] = exp(μt + σ²t²/2), X ~ N(μ, σ²)",
    latex=r"M(t) = e^{\mu t + \sigma^2 t^2/2}",
    build=mgf_normal_statement,
    method="integral",
    sheet_version=lambda: mgf_normal_statement(variance_form=False),
    errata=(_E04,),
)

identity(
    name="mgf-gamma",
    section=SECTION,
    catalogue_id="PROB-MGF-GAMMA",
    summary="MGF of Gamma(shape α, scale β); (β/(β − t))^α with a rate",
    formula="E[e^{tX}] = (1 − βt)^{−α} for t < 1/β, X ~ Gamma(shape α, scale β)",
    latex=r"M(t) = (1 - \beta t)^{-\alpha},\ t < 1/\beta",
    build=mgf_gamma_statement,
    method="integral",
    sheet_version=lambda: mgf_gamma_statement("sheet"),
    errata=(_E05,),
)

identity(
    name="mgf-gamma-rate",
    section=SECTION,
    catalogue_id="PROB-MGF-GAMMA",
    summary="MGF of Gamma(shape α, rate β)",
    formula="E[e^{tX}] = (β/(β − t))^α for t < β, X ~ Gamma(shape α, rate β)",
    latex=r"M(t) = \left(\frac{\beta}{\beta - t}\right)^{\alpha}",
    build=lambda: mgf_gamma_statement("rate"),
    method="integral",
    errata=(_E05,),
)

identity(
    name="mgf-poisson",
    section=SECTION,
    catalogue_id="PROB-MGF-POIS",
    summary="MGF of Poisson(λ)",
    formula="E[e^{tX}] = exp(λ(e^t − 1)), X ~ Pois(λ)",
    latex=r"M(t) = e^{\lambda(e^t - 1)}",
    build=mgf_poisson_statement,
    method="series",
)

identity(
    name="mgf-linear",
    section=SECTION,
    catalogue_id="PROB-MGF-LIN",
    summary="MGF of a linear combination of independent variables (Bernoulli case)",
    formula="Y = Σ a_i X_i, X_i independent ⟹ M_Y(t) = Π M_{X_i}(a_i t)",
    latex=r"M_Y(t) = \prod_i M_{X_i}(a_i t)",
    build=mgf_linear_statement,
    method="sum over the joint support",
)
