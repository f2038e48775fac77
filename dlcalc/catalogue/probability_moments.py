"""Probability (sheet §1), moments: mean and variance of a discrete variable, variances of linear
and affine maps, the sample mean and covariance (MLE and unbiased), Chebyshev's bound, and the
moment rules proven on a general three-point law.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import ABSENT, given, matrix_result, rounded, same_length, vector_text
from dlcalc.catalogue._probability import cov_matrix, np_matrix, positives, probabilities
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, INT, MATRIX, VECTOR, Param, erratum, formula, identity
from dlcalc.core.result import Result

SECTION = "1"

def moments(values, probs):
    same_length(values, probs, "--values and --probs")
    probabilities(probs, "probs")
    mean = math.fsum(x * p for x, p in zip(values, probs))
    second = math.fsum(x * x * p for x, p in zip(values, probs))
    central = math.fsum((x - mean) ** 2 * p for x, p in zip(values, probs))
    return Result(value={"mean": mean, "var": central},
                  steps=[f"E[X] = {mean!r},  E[X²] = {second!r}",
                         f"Var[X] = E[(X − E X)²] = {central!r};  E[X²] − E[X]² = {second - mean * mean!r}"],
                  extra={"second_moment": second})


formula(
    name="moments",
    section=SECTION,
    catalogue_id="PROB-VAR",
    summary="Mean and variance of a discrete random variable",
    params=(Param("values", VECTOR, "the values x_i"), Param("probs", VECTOR, "their probabilities P(X=x_i)")),
    formula="E[X] = Σ x_i p_i;  Var[X] = E[(X − E X)²] = E[X²] − E[X]²",
    latex=r"\mathrm{Var}[X] = \mathbb{E}[X^2] - \mathbb{E}[X]^2",
    compute=moments,
    examples=(
        ("--values 0,1 --probs 0.75,0.25", "mean=0.25 var=0.1875", "Bernoulli(1/4): p(1 − p) = 3/16"),
        ("--values 1,2,3,4,5,6 --probs 0.25,0.25,0.125,0.125,0.125,0.125", "mean=3.0 var=3.0"),
    ),
)


# ---- variance of linear maps ---------------------------------------------------------------


def var_linear(a, cov):
    import numpy as np

    sigma = cov_matrix(cov)
    if len(a) != sigma.shape[0]:
        raise DlcalcError(f"--a has {len(a)} entries but --cov is {sigma.shape[0]}×{sigma.shape[0]}")
    w = np.array(a)
    value = float(w @ sigma @ w)
    diagonal = float(np.sum(w**2 * np.diag(sigma)))
    return Result(value=value, extra={"diagonal_part": diagonal},
                  steps=[f"Σ a_i² Var[X_i] = {diagonal!r},  2 Σ_{{i<j}} a_i a_j Cov(X_i,X_j) = {value - diagonal!r}"])


formula(
    name="var-lin",
    section=SECTION,
    catalogue_id="PROB-VAR-SUM",
    summary="Variance of a linear combination Σ a_i X_i from the covariance matrix",
    params=(Param("a", VECTOR, "coefficients a_i"), Param("cov", MATRIX, "covariance matrix of X")),
    formula="Var[Σ a_i X_i] = Σ a_i² Var[X_i] + 2 Σ_{i<j} a_i a_j Cov(X_i,X_j) = aᵀΣa",
    latex=r"\mathrm{Var}\Big[\sum_i a_i X_i\Big] = \mathbf{a}^\top \Sigma \mathbf{a}",
    compute=var_linear,
    examples=(
        ("--a 1,1 --cov '[[1,0.5],[0.5,2]]'", "4.0", "1 + 2 + 2·0.5"),
        ("--a 1,-1 --cov '[[1,1],[1,1]]'", "0.0", "X − X has no variance"),
    ),
)


def var_affine(A, cov):
    sigma = cov_matrix(cov)
    a = np_matrix(A, "A")
    if a.shape[1] != sigma.shape[0]:
        raise DlcalcError(f"--A has {a.shape[1]} columns but --cov is {sigma.shape[0]}×{sigma.shape[0]}")
    value = a @ sigma @ a.T
    return matrix_result(value)


formula(
    name="var-affine",
    section=SECTION,
    catalogue_id="PROB-VAR-AFFINE",
    summary="Covariance of AX + b from the covariance of X",
    params=(Param("A", MATRIX, "the matrix A"), Param("cov", MATRIX, "covariance matrix of X")),
    formula="Var[AX + b] = A Var[X] Aᵀ",
    latex=r"\mathrm{Var}[AX + b] = A\,\mathrm{Var}[X]\,A^\top",
    compute=var_affine,
    examples=(("--A '[[1,1],[1,-1]]' --cov '[[1,0],[0,1]]'", "[[2.0, 0.0], [0.0, 2.0]]"),),
)


# ---- estimators ----------------------------------------------------------------------------


def sample_cov(samples, ddof):
    x = np_matrix(samples, "samples")
    n = x.shape[0]
    if n <= ddof:
        raise DlcalcError(f"need more than {ddof} samples (rows) for ddof={ddof}")
    mean = x.mean(axis=0)
    centred = x - mean
    cov = centred.T @ centred / (n - ddof)
    return matrix_result(cov,
                  extra={"mean": rounded(mean), "n": n},
                  steps=[f"μ̂ = {vector_text(mean)}",
                         f"Σ̂ = 1/(n − {ddof}) Σ_i (x_i − μ̂)(x_i − μ̂)ᵀ with n = {n}"
                         + ("  (MLE, biased: E[Σ̂] = (n−1)/n Σ)" if ddof == 0 else "  (unbiased)")])


_E06 = erratum(
    "E06",
    title="covariance estimator: missing index, and it is the biased MLE",
    sheet="Σ̂ = (1/n) Σ (x − μ̂)(x − μ̂)ᵀ",
    correct="Σ̂ = (1/n) Σ_i (x_i − μ̂)(x_i − μ̂)ᵀ is the MLE, biased: E[Σ̂] = (n−1)/n·Σ; "
    "the unbiased estimator divides by n − 1",
    command="dlcalc sample-cov --samples '[[0],[2]]' --ddof 1",
)

formula(
    name="sample-cov",
    section=SECTION,
    catalogue_id="PROB-MLE-COV PROB-MLE-MEAN",
    summary="Sample mean and covariance of rows of samples (MLE with --ddof 0, unbiased with 1)",
    params=(
        Param("samples", MATRIX, "one sample per row, one variable per column (or @file.csv)"),
        Param("ddof", INT, "divide by n − ddof: 0 is the MLE, 1 the unbiased estimator", default=0, minimum=0),
    ),
    formula="μ̂ = (1/n) Σ_i x_i;  Σ̂ = 1/(n − ddof) Σ_i (x_i − μ̂)(x_i − μ̂)ᵀ",
    latex=r"\hat\Sigma = \frac{1}{n - \delta} \sum_i (x_i - \hat\mu)(x_i - \hat\mu)^\top",
    compute=sample_cov,
    errata=(_E06,),
    examples=(
        ("--samples '[[0],[2]]'", "[[1.0]]"),
        ("--samples '[[0],[2]]' --ddof 1", "[[2.0]]"),
        ("--samples '[[1,2],[3,6]]'", "[[1.0, 2.0], [2.0, 4.0]]"),
    ),
)


def chebyshev(var, std, eps):
    if given(var) == given(std):
        raise DlcalcError("give exactly one of --var and --std")
    if given(std) and std < 0:
        raise DlcalcError("--std: a standard deviation must be non-negative")
    if given(var) and var < 0:
        raise DlcalcError("the variance must be non-negative")
    variance = var if given(var) else std * std
    ratio = (std if given(std) else math.sqrt(var)) / eps
    # σ²/ε² as the sheet writes it, unless ε² underflows (ε < 1e-162) or σ² overflows: then (σ/ε)·(σ/ε).
    bound = variance / (eps * eps) if eps * eps > 0 and math.isfinite(variance) else ratio * ratio
    return Result(value=min(1.0, bound), extra={"raw_bound": bound},
                  steps=[f"σ²/ε² = {variance!r}/{eps!r}² = {bound!r}" + ("  (capped at 1)" if bound > 1 else "")])


formula(
    name="chebyshev",
    section=SECTION,
    catalogue_id="PROB-CHEB",
    summary="Chebyshev's bound on P(|X − μ| ≥ ε)",
    params=(
        Param("var", FLOAT, "the variance σ²", default=ABSENT),
        Param("std", FLOAT, "the standard deviation σ", default=ABSENT),
        Param("eps", FLOAT, "the deviation ε > 0", minimum=1e-300),
    ),
    formula="P(|X − μ| ≥ ε) ≤ σ²/ε²",
    latex=r"P(|X-\mu| \ge \varepsilon) \le \frac{\sigma^2}{\varepsilon^2}",
    compute=chebyshev,
    examples=(("--std 1 --eps 2", "0.25"), ("--var 4 --eps 1", "1.0", "vacuous: capped at 1")),
)


def _three_point():
    """A general distribution on three points: values x_i, probabilities p1, p2, 1 − p1 − p2."""
    import sympy

    xs = sympy.symbols("x1:4", real=True)
    p1, p2 = positives("p1 p2")
    return xs, (p1, p2, 1 - p1 - p2)


def _expect(values, probs):
    return sum(v * p for v, p in zip(values, probs))


def variance_statement():
    """E[(X − EX)²] vs E[X²] − E[X]² on a general three-point distribution."""
    xs, ps = _three_point()
    mean = _expect(xs, ps)
    return _expect([(x - mean) ** 2 for x in xs], ps), _expect([x**2 for x in xs], ps) - mean**2


def covariance_statement():
    """E[(X − EX)(Y − EY)] vs E[XY] − EX·EY for a joint distribution on three points."""
    import sympy

    xs, ps = _three_point()
    ys = sympy.symbols("y1:4", real=True)
    ex, ey = _expect(xs, ps), _expect(ys, ps)
    central = _expect([(x - ex) * (y - ey) for x, y in zip(xs, ys)], ps)
    return central, _expect([x * y for x, y in zip(xs, ys)], ps) - ex * ey


def covariance_self_statement(second_moment: bool = False):
    """Cov(X,X) by the shortcut E[XY] − EX·EY at Y = X vs Var[X] = E[(X − EX)²] (three-point law).

    ``second_moment=True`` compares with E[X²] instead, which a test sees refuted."""
    import sympy

    xs, ps = _three_point()
    ys = sympy.symbols("y1:4", real=True)
    shortcut = covariance_statement()[1].subs(dict(zip(ys, xs)), simultaneous=True)
    mean = _expect(xs, ps)
    target = _expect([x**2 for x in xs], ps) if second_moment else _expect([(x - mean) ** 2 for x in xs], ps)
    return shortcut, target


def affine_variance_statement():
    """Var[aX + b] vs a²·Var[X] on a three-point distribution."""
    import sympy

    xs, ps = _three_point()
    a, b = sympy.symbols("a b", real=True)

    def var(values):
        mean = _expect(values, ps)
        return _expect([(v - mean) ** 2 for v in values], ps)

    return var([a * x + b for x in xs]), a**2 * var(xs)


identity(
    name="variance-shortcut",
    section=SECTION,
    catalogue_id="PROB-VAR",
    summary="Var[X] = E[X²] − E[X]²",
    formula="E[(X − E X)²] = E[X²] − E[X]²",
    latex=r"\mathrm{Var}[X] = \mathbb{E}[X^2] - \mathbb{E}[X]^2",
    build=variance_statement,
    method="expand (3-point law)",
)

identity(
    name="covariance-shortcut",
    section=SECTION,
    catalogue_id="PROB-COV",
    summary="Cov(X,Y) = E[XY] − E[X]E[Y] (Cov(X,X) = Var[X] with Y = X)",
    formula="E[(X − EX)(Y − EY)] = E[XY] − EX·EY",
    latex=r"\mathrm{Cov}(X,Y) = \mathbb{E}[XY] - \mathbb{E}X\,\mathbb{E}Y",
    build=covariance_statement,
    method="expand (3-point law)",
)

identity(
    name="covariance-self",
    section=SECTION,
    catalogue_id="PROB-COV-SELF",
    summary="Cov(X,X) = Var[X]",
    formula="Cov(X,X) = E[X·X] − EX·EX = E[(X − EX)²] = Var[X]",
    latex=r"\mathrm{Cov}(X,X) = \mathrm{Var}[X]",
    build=covariance_self_statement,
    method="expand (3-point law)",
)

identity(
    name="variance-affine",
    section=SECTION,
    catalogue_id="PROB-VAR-AFFINE",
    summary="Var[aX + b] = a² Var[X]",
    formula="Var[aX + b] = a² Var[X]",
    latex=r"\mathrm{Var}[aX+b] = a^2\,\mathrm{Var}[X]",
    build=affine_variance_statement,
    method="expand (3-point law)",
)
