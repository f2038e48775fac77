"""Probability (sheet §1), densities of continuous laws: the density of aX + b (change of variables,
with |a|), of X + Y (the convolution integral, by quadrature), the MGF of a linear combination, and
the density identities (the CDF's derivative, scaling, convolution, the mean as an integral).
The laws themselves are declared in _laws (shared with information's differential-entropy).
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import rounded
from dlcalc.catalogue._laws import LAW_HELP, law_from_spec
from dlcalc.catalogue._probability import positives
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, TEXT, VECTOR, Param, erratum, formula, identity
from dlcalc.core.result import Result

SECTION = "1"

_E03 = erratum(
    "E03",
    title="scaled density",
    sheet="f_{αγ}(z) = (1/α) f_Y(z/α)",
    correct="f_{αY}(z) = f_Y(z/α)/|α| for α ≠ 0 (for α < 0 the sheet's form is negative)",
    command="dlcalc verify scaled-density",
)


def densities_result(values, digits, steps):
    """Density values, each shown to ``digits`` significant digits on its own: a tail density of
    1e-13 beside 0.3 is a value, not float noise (unlike entries of one matrix)."""
    if not all(math.isfinite(float(v)) for v in values):
        raise DlcalcError("the density overflows floating point here (the distribution is too narrow for its scale)")
    shown = [rounded(float(v), digits) for v in values]
    return Result(value=shown, plain=",".join(map(repr, shown)), steps=steps)


def scale_pdf(X, a, b, y):
    import numpy as np

    if a == 0:
        raise DlcalcError("--a must be non-zero (aX + b with a = 0 is a constant, with no density)")
    law = law_from_spec(X, "--X")
    points = np.array(y, dtype=float)
    with np.errstate(all="ignore"):  # an overflow shows as inf, which densities_result refuses
        density = law.pdf((points - b) / a) / abs(a)
    return densities_result(density, 12,
                            [f"Y = aX + b with X ~ {law.text}:  f_Y(y) = f_X((y − b)/a)/|a|,  |a| = {abs(a)!r}",
                             "for a < 0 the |a| matters: f_X(·)/a would be negative (E03)"])


formula(
    name="scale-pdf",
    section=SECTION,
    catalogue_id="PROB-SCALE",
    summary="Density of Y = aX + b at y (change of variables, with |a|)",
    params=(Param("X", TEXT, LAW_HELP), Param("a", FLOAT, "the scale a ≠ 0", aliases=("alpha",)),
            Param("b", FLOAT, "the shift b", default=0.0), Param("y", VECTOR, "the point(s) y")),
    formula="f_{aX+b}(y) = f_X((y − b)/a) / |a|,  a ≠ 0",
    latex=r"f_{aX+b}(y) = \frac{1}{|a|} f_X\!\left(\frac{y-b}{a}\right)",
    compute=scale_pdf,
    errata=(_E03,),
    examples=(
        ("--X 'exponential rate=1' --a -2 --y -2", "0.183939720586", "f_X(1)/2 = e^−1/2; the sheet's /a gives −0.18 (E03)"),
        ("--X 'uniform low=0 high=1' --a 4 --b 1 --y 0.5,3,6", "0.0,0.25,0.0", "U[1, 5]"),
    ),
)


GAUSS_NODES = 48  # Gauss–Legendre nodes per sub-interval
PIECES = 48  # sub-intervals between consecutive break points


def integrate_pieces(fn, breaks):
    """∫ fn over [breaks[0], breaks[-1]] by Gauss–Legendre on PIECES sub-intervals of each gap
    between consecutive break points (jumps and kinks of fn sit on break points)."""
    import numpy as np

    nodes, weights = np.polynomial.legendre.leggauss(GAUSS_NODES)
    total = 0.0
    for low, high in zip(breaks, breaks[1:]):
        if high <= low:
            continue
        edges = np.linspace(low, high, PIECES + 1)
        half = np.diff(edges)[:, None] / 2
        points = (edges[:-1, None] + edges[1:, None]) / 2 + half * nodes[None, :]
        total += float(np.sum(half * weights[None, :] * fn(points)))
    return total


def convolution_density(first, second, z):
    """f_{X+Y}(z) = ∫ f_X(t) f_Y(z − t) dt over where both are non-negligible."""
    low = max(first.support[0], z - second.support[1])
    high = min(first.support[1], z - second.support[0])
    if high <= low:
        return 0.0
    cuts = {low, high, *(p for p in first.breaks if low < p < high), *(z - p for p in second.breaks if low < z - p < high)}
    return integrate_pieces(lambda t: first.pdf(t) * second.pdf(z - t), sorted(cuts))


MAX_POINTS = 1_000  # each point is a quadrature of ~2,300 density pairs: 1,000 points take about a second


def sum_pdf(X, Y, z):
    if len(z) > MAX_POINTS:
        raise DlcalcError(f"--z: at most {MAX_POINTS:,} points, got {len(z):,}")
    first, second = law_from_spec(X, "--X"), law_from_spec(Y, "--Y")
    values = [convolution_density(first, second, point) for point in z]
    return densities_result(values, 10,
                            [f"X ~ {first.text}, Y ~ {second.text} independent:  f_{{X+Y}}(z) = ∫ f_X(t) f_Y(z − t) dt",
                             "Gauss–Legendre quadrature, split at the densities' jumps and kinks (10 significant digits)"])


formula(
    name="sum-pdf",
    section=SECTION,
    catalogue_id="PROB-SUM-PDF",
    summary="Density of X + Y for independent X, Y at z (the convolution integral, by quadrature)",
    params=(Param("X", TEXT, LAW_HELP), Param("Y", TEXT, "the second distribution, same form as --X"),
            Param("z", VECTOR, f"the point(s) z (at most {MAX_POINTS:,})")),
    formula="f_{X+Y}(z) = ∫ f_X(t) f_Y(z − t) dt  (X, Y independent)",
    latex=r"f_{X+Y}(z) = \int f_X(t)\, f_Y(z-t)\,dt",
    compute=sum_pdf,
    examples=(
        ("--X 'uniform low=0 high=1' --Y 'uniform low=0 high=1' --z 0.5,1,1.5", "0.5,1.0,0.5", "the triangle on [0, 2]"),
        ("--X 'normal std=1' --Y 'normal var=1' --z 0", "0.2820947918", "N(0, 2) at 0: 1/sqrt(4π)"),
        ("--X 'exponential rate=1' --Y 'exponential rate=1' --z 1", "0.3678794412", "Gamma(2, 1): z e^−z"),
    ),
)


def _finite_mgf(mgf, s, what):
    try:
        value = mgf(s)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise DlcalcError(f"{what} overflows floating point (above 1.8e308): take a smaller t")
    return value


def mgf_lin(X, a, b, t):
    if len(X) != len(a):
        raise DlcalcError(f"--a has {len(a)} coefficients for {len(X)} variables (--X given {len(X)} times)")
    laws = [law_from_spec(spec, "--X") for spec in X]
    factors = []
    for law, coefficient in zip(laws, a):
        s = coefficient * t
        low, high = law.mgf_domain
        if not low < s < high:
            raise DlcalcError(f"M_X of {law.text} exists only for {low!r} < s < {high!r}; here s = a·t = {s!r}")
        factors.append(_finite_mgf(law.mgf, s, f"M_[{law.text}]({s!r})"))
    value = _finite_mgf(lambda s: math.exp(b * s) * math.prod(factors), t, "M_Y(t)")
    return Result(value=value, extra={"factors": factors},
                  steps=["Y = Σ a_i X_i + b, X_i independent:  M_Y(t) = e^(bt) Π M_(X_i)(a_i t)",
                         " · ".join(f"M_[{law.text}]({coefficient * t!r}) = {m!r}" for law, coefficient, m in zip(laws, a, factors))
                         + f";  e^(bt) = {math.exp(b * t)!r}"])


formula(
    name="mgf-lin",
    section=SECTION,
    catalogue_id="PROB-MGF-LIN",
    summary="MGF of Y = Σ a_i X_i + b for independent X_i at t: e^{bt} Π M_{X_i}(a_i t)",
    params=(Param("X", TEXT, LAW_HELP + "; repeat --X for a sum", multiple=True),
            Param("a", VECTOR, "the coefficients a_i, one per --X"), Param("b", FLOAT, "the shift b", default=0.0),
            Param("t", FLOAT, "the argument t")),
    formula="M_{aX+b}(t) = e^{bt} M_X(at);  Y = Σ a_i X_i + b (independent) ⟹ M_Y(t) = e^{bt} Π M_{X_i}(a_i t)",
    latex=r"M_{aX+b}(t) = e^{bt} M_X(at),\quad M_{\sum_i a_i X_i}(t) = \prod_i M_{X_i}(a_i t)",
    compute=mgf_lin,
    examples=(
        ("--X 'normal mean=1 std=2' --a 3 --b -3 --t 0.5", "90.01713130052181", "3X − 3 ~ N(0, 36): e^{36·0.25/2} = e^{4.5}"),
        ("--X 'exponential rate=2' --X 'exponential rate=2' --a 1,1 --t 1", "4.0", "Gamma(2, rate 2): (2/(2 − 1))²"),
    ),
)


def cdf_pdf_statement():
    """d/dt of the normal CDF ½(1 + erf((t − μ)/(σ√2))) vs the normal density."""
    import sympy

    t, mu = sympy.symbols("t mu", real=True)
    sigma = positives("sigma")
    cdf = (1 + sympy.erf((t - mu) / (sigma * sympy.sqrt(2)))) / 2
    pdf = sympy.exp(-(t - mu) ** 2 / (2 * sigma**2)) / (sigma * sympy.sqrt(2 * sympy.pi))
    return sympy.diff(cdf, t), pdf


def scaled_density_statement(alpha_sign: int = -1, sheet: bool = False):
    """Density of Z = αY for Y ~ N(0,1): d/dz P(αY ≤ z) vs f_Y(z/α)/|α| (or the sheet's f_Y(z/α)/α)."""
    import sympy

    z = sympy.Symbol("z", real=True)
    alpha = sympy.Symbol("alpha", positive=alpha_sign > 0, negative=alpha_sign < 0)

    def cdf(s):
        return (1 + sympy.erf(s / sympy.sqrt(2))) / 2

    def pdf(s):
        return sympy.exp(-(s**2) / 2) / sympy.sqrt(2 * sympy.pi)

    # P(αY ≤ z) = F(z/α) for α > 0 and 1 − F(z/α) for α < 0 (the inequality flips).
    cdf_z = cdf(z / alpha) if alpha_sign > 0 else 1 - cdf(z / alpha)
    claimed = pdf(z / alpha) / (alpha if sheet else sympy.Abs(alpha))
    return sympy.diff(cdf_z, z), claimed


def convolution_statement():
    """f_{X+Y} for independent X, Y ~ N(0,1): ∫ f(t) f(z − t) dt vs the N(0, 2) density."""
    import sympy

    t, z = sympy.symbols("t z", real=True)

    def phi(s):
        return sympy.exp(-(s**2) / 2) / sympy.sqrt(2 * sympy.pi)

    integral = sympy.integrate(phi(t) * phi(z - t), (t, -sympy.oo, sympy.oo))
    return integral, sympy.exp(-(z**2) / 4) / sympy.sqrt(4 * sympy.pi)


def mean_statement():
    """E[X] = ∫ t f(t) dt for X ~ Gamma(α, scale β) vs M'(0) = αβ."""
    import sympy

    alpha, beta, x = positives("alpha beta x")
    density = x ** (alpha - 1) * sympy.exp(-x / beta) / (sympy.gamma(alpha) * beta**alpha)
    return sympy.integrate(x * density, (x, 0, sympy.oo)), alpha * beta


identity(
    name="cdf-derivative",
    section=SECTION,
    catalogue_id="PROB-CDF-PDF",
    summary="The derivative of the CDF is the density (normal case)",
    formula="d/dt F_X(t) = f_X(t)",
    latex=r"\frac{d}{dt}F_X(t) = f_X(t)",
    build=cdf_pdf_statement,
    method="differentiate",
)

identity(
    name="scaled-density",
    section=SECTION,
    catalogue_id="PROB-SCALE",
    summary="Density of αY: f_Y(z/α)/|α| (checked for α < 0, Y ~ N(0,1))",
    formula="f_{αY}(z) = f_Y(z/α)/|α|, α ≠ 0",
    latex=r"f_{\alpha Y}(z) = \frac{1}{|\alpha|} f_Y(z/\alpha)",
    build=scaled_density_statement,
    method="differentiate the CDF",
    sheet_version=lambda: scaled_density_statement(-1, sheet=True),
    errata=(_E03,),
)

identity(
    name="sum-density",
    section=SECTION,
    catalogue_id="PROB-SUM-PDF",
    summary="Density of a sum of independent variables is a convolution (normal case)",
    formula="f_{X+Y}(z) = ∫ f_X(t) f_Y(z − t) dt",
    latex=r"f_{X+Y}(z) = \int f_X(t) f_Y(z-t)\,dt",
    build=convolution_statement,
    method="integral",
)

identity(
    name="mean-integral",
    section=SECTION,
    catalogue_id="PROB-MEAN",
    summary="E[X] = ∫ t f(t) dt (Gamma case: αβ)",
    formula="E[X] = ∫ t f_X(t) dt",
    latex=r"\mathbb{E}[X] = \int t f_X(t)\,dt",
    build=mean_statement,
    method="integral",
)
