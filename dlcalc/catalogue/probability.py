"""Probability (sheet §1): discrete rules, moments, MGFs, Gaussians, estimators, Chebyshev, and
continuous laws (normal, uniform, exponential, Laplace) for densities of aX + b and X + Y and the
MGF of a linear combination.

Distribution parameters are named explicitly (``--std`` vs ``--var``, ``--shape/--scale/--rate``)
because the sheet mixes conventions (G5, E04, E05). Numeric commands use NumPy or math only;
``mgf`` and the identities use SymPy.
"""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

from dlcalc.catalogue._common import (ABSENT, declare_identity, finite_array, given, matrix_result,
                                     matrix_text, probability_vector, rounded, same_length, square, vector_text)
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLAG, FLOAT, INT, MATRIX, TEXT, VECTOR, Kind, Param, choice, erratum, formula
from dlcalc.core.result import Result

SECTION = "1"
_E01 = erratum(
    "E01",
    title="stripped | characters (conditioning bars, absolute values, norms)",
    sheet="P(X, Y) = P(Y X)P(X);  P(X, Y Z) = P(X Z)P(Y Z);  \\ A\\ _F = sqrt(Tr(AᵀA))",
    correct="P(X,Y) = P(Y∣X)P(X); P(X,Y∣Z) = P(X∣Z)P(Y∣Z); P(Y∣X) = P(X∣Y)P(Y)/P(X); "
    "‖f(x1)−f(x2)‖ ≤ L‖x1−x2‖; ‖A‖_F = sqrt(Tr(AᵀA))",
    command="dlcalc bayes --prior 0.01,0.99 --lik 0.9,0.05",
)


def _np_matrix(matrix, name):
    return finite_array(matrix, f"--{name}: entries")


# ---- discrete rules ------------------------------------------------------------------------

_JOINT = Param("joint", MATRIX, "joint probabilities P(X=x_i, Y=y_j): rows are x, columns y")


def _joint(joint):
    table = _np_matrix(joint, "joint")
    probability_vector(tuple(table.ravel().tolist()), "joint")
    return table


def marginal(joint, axis):
    table = _joint(joint)
    # Summing out Y (the columns) leaves P(X); summing out X leaves P(Y).
    values = table.sum(axis=1 if axis == "x" else 0)
    return rounded(values)


formula(
    name="marginal",
    section=SECTION,
    catalogue_id="PROB-SUM",
    summary="Marginal distribution from a joint table (sum rule)",
    params=(_JOINT, Param("of", choice("x", "y"), "which marginal: x (row sums) or y (column sums)", default="x")),
    formula="P(X=x_i) = Σ_j P(X=x_i, Y=y_j)",
    latex=r"P(X=x_i) = \sum_j P(X=x_i, Y=y_j)",
    compute=lambda joint, of: marginal(joint, of),
    examples=(
        ("--joint '[[0.1,0.2],[0.3,0.4]]'", "0.3,0.7"),
        ("--joint '[[0.1,0.2],[0.3,0.4]]' --of y", "0.4,0.6"),
    ),
)


def joint_from_conditional(cond, marg):
    import numpy as np

    table = _np_matrix(cond, "cond")
    px = probability_vector(marg, "marg")
    if table.shape[0] != len(px):
        raise DlcalcError(f"--cond has {table.shape[0]} rows (values of X) but --marg has {len(px)} entries")
    for i, row in enumerate(table):
        probability_vector(tuple(row.tolist()), f"cond row {i + 1}")
    joint = table * np.array(px)[:, None]
    return matrix_result(joint,
                  steps=["P(X=x_i, Y=y_j) = P(Y=y_j ∣ X=x_i)·P(X=x_i)"])


formula(
    name="joint",
    section=SECTION,
    catalogue_id="PROB-PRODUCT",
    summary="Joint table from a conditional table and a marginal (product rule)",
    params=(
        Param("cond", MATRIX, "P(Y=y_j ∣ X=x_i): one row per value of X, each row sums to 1"),
        Param("marg", VECTOR, "P(X=x_i)"),
    ),
    formula="P(X,Y) = P(Y∣X)·P(X)",
    latex=r"P(X,Y) = P(Y \mid X)\,P(X)",
    compute=joint_from_conditional,
    errata=(_E01,),
    examples=(("--cond '[[0.5,0.5],[0.25,0.75]]' --marg 0.4,0.6", "[[0.2, 0.2], [0.15, 0.45]]"),),
)


def check_independence(joint, x_values, y_values):
    import numpy as np

    table = _joint(joint)
    px, py = table.sum(axis=1), table.sum(axis=0)
    gaps = np.abs(table - np.outer(px, py))
    gap = float(gaps.max())
    independent = gap <= 1e-12
    i, j = np.unravel_index(gaps.argmax(), table.shape)
    steps = [f"max |P(x,y) − P(x)P(y)| = {gap:.6g}"]
    if not independent:
        steps.append(f"witness: P(x{i + 1}, y{j + 1}) = {table[i, j]:.6g} but P(x{i + 1})P(y{j + 1}) = "
                     f"{px[i] * py[j]:.6g}")
    extra = {"max_gap": gap, "witness": None if independent else [int(i), int(j)]}
    if given(x_values) and given(y_values):
        if len(x_values) != table.shape[0] or len(y_values) != table.shape[1]:
            raise DlcalcError("--x-values and --y-values must match the rows and columns of --joint")
        x, y = np.array(x_values), np.array(y_values)
        cov = float(x @ table @ y - (px @ x) * (py @ y))
        extra["cov"] = round(cov, 15) + 0.0
        steps.append(f"Cov(X,Y) = E[XY] − E[X]E[Y] = {extra['cov']!r}"
                     + ("  (uncorrelated yet dependent: zero covariance does not imply independence)"
                        if abs(cov) < 1e-12 and not independent else ""))
    return Result(value=independent,
                  plain="independent" if independent else "dependent", steps=steps, extra=extra,
                  holds=independent)


formula(
    name="check-indep",
    section=SECTION,
    catalogue_id="PROB-INDEP PROB-INDEP-COV",
    summary="Decide whether X and Y are independent from their joint table (exit 1 if dependent)",
    params=(
        _JOINT,
        Param("x-values", VECTOR, "values of X (rows), to report Cov(X,Y)", default=ABSENT),
        Param("y-values", VECTOR, "values of Y (columns), to report Cov(X,Y)", default=ABSENT),
    ),
    formula="X ⊥ Y ⟺ P(x,y) = P(x)P(y) for all x, y;  X ⊥ Y ⟹ Cov(X,Y) = 0 (not conversely)",
    latex=r"X \perp Y \iff P(x,y) = P(x)P(y)",
    compute=check_independence,
    kind="claim",
    examples=(
        ("--joint '[[0.12,0.28],[0.18,0.42]]'", "independent"),
        ("--joint '[[0,0.25],[0.5,0],[0,0.25]]' --x-values -1,0,1 --y-values 0,1", "dependent",
         "Y = X²: Cov = 0 but dependent (PROB-INDEP-COV)"),
    ),
    notes="Exit status 0 when independent, 1 when dependent (the witness cell is shown).",
)


def bayes(prior, lik):
    same_length(prior, lik, "--prior and --lik")
    probability_vector(prior, "prior")
    if any(not 0 <= v <= 1 for v in lik):
        raise DlcalcError("--lik: likelihoods P(X∣Y_i) must lie in [0, 1]")
    evidence = math.fsum(a * b for a, b in zip(prior, lik))
    if evidence == 0:
        raise DlcalcError("the evidence P(X) = Σ P(X∣Y_i)P(Y_i) is 0: the observation is impossible")
    posterior = [a * b / evidence for a, b in zip(prior, lik)]
    return Result(value=posterior, extra={"evidence": evidence},
                  steps=[f"P(X) = Σ P(X∣Y_i)P(Y_i) = {evidence!r}", "P(Y_i∣X) = P(X∣Y_i)P(Y_i)/P(X)"])


formula(
    name="bayes",
    section=SECTION,
    catalogue_id="PROB-BAYES",
    summary="Posterior P(Y_i ∣ X) from a prior and likelihoods (Bayes' rule)",
    params=(
        Param("prior", VECTOR, "prior P(Y_i), summing to 1"),
        Param("lik", VECTOR, "likelihoods P(X ∣ Y_i), one per hypothesis"),
    ),
    formula="P(Y_i∣X) = P(X∣Y_i)P(Y_i) / Σ_j P(X∣Y_j)P(Y_j)",
    latex=r"P(Y_i \mid X) = \frac{P(X \mid Y_i) P(Y_i)}{\sum_j P(X \mid Y_j) P(Y_j)}",
    compute=bayes,
    errata=(_E01,),
    examples=(
        ("--prior 0.01,0.99 --lik 0.9,0.05", "0.15384615384615385,0.8461538461538461",
         "a 90%-sensitive test with 5% false positives, 1% prevalence: P(ill ∣ +) = 2/13"),
        ("--prior 0.5,0.5 --lik 0.5,0.5", "0.5,0.5"),
    ),
)


def moments(values, probs):
    same_length(values, probs, "--values and --probs")
    probability_vector(probs, "probs")
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


def _cov_matrix(cov, name="cov"):
    import numpy as np

    sigma = _np_matrix(cov, name)
    square(cov, name)
    if not np.allclose(sigma, sigma.T, rtol=1e-10, atol=1e-12):
        raise DlcalcError(f"--{name}: a covariance matrix must be symmetric")
    return sigma


def var_linear(a, cov):
    import numpy as np

    sigma = _cov_matrix(cov)
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
    sigma = _cov_matrix(cov)
    a = _np_matrix(A, "A")
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
    x = _np_matrix(samples, "samples")
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


# ---- Gaussians -----------------------------------------------------------------------------


def mvn_pdf(x, mu, cov, log):
    import numpy as np

    sigma = _cov_matrix(cov)
    same_length(x, mu, "--x and --mu")
    if len(x) != sigma.shape[0]:
        raise DlcalcError(f"--x has {len(x)} entries but --cov is {sigma.shape[0]}×{sigma.shape[0]}")
    try:
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        raise DlcalcError("--cov must be positive definite for a density (it is singular or indefinite)") from None
    # Solve with the Cholesky factor rather than inverting: stable for ill-conditioned Σ.
    white = np.linalg.solve(chol, np.array(x) - np.array(mu))
    log_det = 2 * float(np.log(np.diag(chol)).sum())
    log_density = -0.5 * (len(x) * math.log(2 * math.pi) + log_det + float(white @ white))
    return log_density if log else math.exp(log_density)


formula(
    name="mvn-pdf",
    section=SECTION,
    catalogue_id="PROB-MVN",
    summary="Density (or log-density) of a multivariate normal N(μ, Σ) at x",
    params=(
        Param("x", VECTOR, "the point x"),
        Param("mu", VECTOR, "the mean μ"),
        Param("cov", MATRIX, "the covariance Σ (positive definite)"),
        Param("log", FLAG, "print the log-density", default=False),
    ),
    formula="N(x; μ, Σ) = (2π)^{−d/2} det(Σ)^{−1/2} exp(−½ (x − μ)ᵀ Σ⁻¹ (x − μ))",
    latex=r"\mathcal{N}(x;\mu,\Sigma) = (2\pi)^{-d/2}\det(\Sigma)^{-1/2} e^{-\frac12 (x-\mu)^\top\Sigma^{-1}(x-\mu)}",
    compute=mvn_pdf,
    examples=(
        ("--x 0 --mu 0 --cov 1", "0.3989422804014327", "1/√(2π)"),
        ("--x 0,0 --mu 0,0 --cov '[[1,0],[0,1]]' --log", "-1.8378770664093453", "−ln(2π)"),
    ),
)


def parse_indices(text: str, size: int) -> list[int]:
    """'0', '0,2', '0:2' (half-open, 0-based) -> sorted distinct indices below ``size``."""
    indices: set[int] = set()
    for part in text.split(","):
        start, colon, stop = part.strip().partition(":")
        try:
            first = int(start)
            last = int(stop) if colon else first + 1
        except ValueError:
            raise DlcalcError(f"--given: expected 0-based indices like 0 or 0,2 or 0:2, got {text!r}") from None
        if not 0 <= first < last <= size:
            raise DlcalcError(f"--given: indices must lie in 0..{size - 1}, got {part.strip()!r}")
        indices.update(range(first, last))
    if len(indices) == size:
        raise DlcalcError("--given: conditioning on every variable leaves nothing to describe")
    return sorted(indices)


def gauss_conditional(mu, cov, given, z):
    """(mean, cov) of a2 ∣ a1 = z by the Schur complement, and by the precision matrix."""
    import numpy as np

    sigma = _cov_matrix(cov)
    if len(mu) != sigma.shape[0]:
        raise DlcalcError(f"--mu has {len(mu)} entries but --cov is {sigma.shape[0]}×{sigma.shape[0]}")
    if np.linalg.eigvalsh(sigma).min() < -1e-10 * max(1.0, np.abs(sigma).max()):
        raise DlcalcError("--cov is not positive semidefinite, so it is not a covariance matrix")
    a = parse_indices(given, len(mu))
    b = [i for i in range(len(mu)) if i not in a]
    if len(z) != len(a):
        raise DlcalcError(f"--z has {len(z)} entries but --given names {len(a)} variables")
    m = np.array(mu)
    s11, s12, s22 = sigma[np.ix_(a, a)], sigma[np.ix_(a, b)], sigma[np.ix_(b, b)]
    if np.linalg.matrix_rank(s11) < len(a):
        raise DlcalcError("Σ11 (the covariance of the given variables) is singular; cannot condition")
    gain = np.linalg.solve(s11, s12).T  # Σ21 Σ11⁻¹
    mean = m[b] + gain @ (np.array(z) - m[a])
    schur = s22 - gain @ s12
    return mean, schur, a, b


def gauss_conditional_precision(mu, cov, a, b, z):
    """The same conditional from the precision Λ = Σ⁻¹: cov = Λ22⁻¹, mean = u2 − Λ22⁻¹Λ21(z − u1)."""
    import numpy as np

    precision = np.linalg.inv(np.array(cov, dtype=float))
    l22, l21 = precision[np.ix_(b, b)], precision[np.ix_(b, a)]
    cov2 = np.linalg.inv(l22)
    mean = np.array(mu)[b] - cov2 @ l21 @ (np.array(z) - np.array(mu)[a])
    return mean, cov2


def gauss_cond(mu, cov, given, z):
    import numpy as np

    mean, schur, a, b = gauss_conditional(mu, cov, given, z)
    steps = [f"conditioning on {a}, describing {b}",
             "mean = u2 + Σ21 Σ11⁻¹ (z − u1);  cov = Σ22 − Σ21 Σ11⁻¹ Σ12 (Schur complement)"]
    warnings, agreement = [], None
    if abs(np.linalg.det(np.array(cov, dtype=float))) > 1e-300:
        mean2, cov2 = gauss_conditional_precision(mu, cov, a, b, z)
        agreement = float(max(np.abs(mean - mean2).max(), np.abs(schur - cov2).max()))
        steps.append(f"cross-check with the precision matrix Λ = Σ⁻¹: max difference {agreement:.2g}")
        if agreement > 1e-8 * max(1.0, float(np.abs(schur).max()), float(np.abs(mean).max())):
            warnings.append(f"the Schur and precision forms differ by {agreement:.3g}: Σ is ill-conditioned")
    else:
        steps.append("Σ is singular: the precision-matrix cross-check is not available")
    value = {"mean": rounded(mean), "cov": rounded(schur)}
    return Result(value=value, steps=steps, warnings=warnings,
                  plain=f"mean={vector_text(mean)} cov={matrix_text(schur)}",
                  extra={"given": a, "rest": b, "precision_check": agreement})


_E07 = erratum(
    "E07",
    title="Gaussian partition: garbled blocks, 'Σ12 p.s.d.'",
    sheet="Σ12 ∈ ℝ^{e×f} p.s.d., Σ21 ∈ ℝ^{f×e} p.s.d.",
    correct="Σ21 = Σ12ᵀ; the off-diagonal blocks are rectangular, so 'p.s.d.' is meaningless for them; "
    "the whole Σ is PSD and Σ11 must be invertible to condition",
    command="dlcalc gauss-cond --mu 0,0,0 --cov '[[2,1,0],[1,2,1],[0,1,2]]' --given 0 --z 1",
)

formula(
    name="gauss-cond",
    section=SECTION,
    catalogue_id="PROB-GAUSS-COND PROB-GAUSS-JOINT",
    summary="Conditional mean and covariance of a Gaussian given some coordinates (Schur complement)",
    params=(
        Param("mu", VECTOR, "the mean [u1; u2]"),
        Param("cov", MATRIX, "the covariance Σ (symmetric PSD)"),
        Param("given", TEXT, "0-based indices of the observed variables a1: 0 or 0,2 or 0:2 (half-open)"),
        Param("z", VECTOR, "the observed values a1 = z, one per given index"),
    ),
    formula="a2 ∣ a1 = z ~ N(u2 + Σ21 Σ11⁻¹ (z − u1), Σ22 − Σ21 Σ11⁻¹ Σ12)",
    latex=r"a_2 \mid a_1 = z \sim \mathcal{N}\big(u_2 + \Sigma_{21}\Sigma_{11}^{-1}(z-u_1),\ \Sigma_{22} - \Sigma_{21}\Sigma_{11}^{-1}\Sigma_{12}\big)",
    compute=gauss_cond,
    errata=(_E07,),
    examples=(
        ("--mu 0,0 --cov '[[1,0.5],[0.5,1]]' --given 0 --z 1", "mean=0.5 cov=[[0.75]]"),
        ("--mu 1,2,3 --cov '[[1,0,0],[0,1,0],[0,0,1]]' --given 0:2 --z 5,5", "mean=3.0 cov=[[1.0]]",
         "independent coordinates: conditioning changes nothing"),
    ),
)


def chebyshev(var, std, eps):
    if given(var) == given(std):
        raise DlcalcError("give exactly one of --var and --std")
    variance = var if given(var) else std * std
    if variance < 0:
        raise DlcalcError("the variance must be non-negative")
    bound = variance / (eps * eps)
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


def _check_dist_params(dist, supplied, allowed):
    stray = [name for name in supplied if name not in allowed]
    if stray:
        raise DlcalcError(f"--{stray[0]} does not apply to {dist} (its parameters: "
                          f"{', '.join('--' + a for a in allowed)})")


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


def _positive_value(supplied, name):
    value = supplied[name]
    if value <= 0:
        raise DlcalcError(f"--{name} must be positive, got {value}")
    return value


def _positive(supplied, name):
    return _exact(_positive_value(supplied, name))


def mgf_expression(dist, supplied, t):
    """(M(t), the t-domain as text, the domain's upper bound or None) for the named distribution."""
    import sympy

    _check_dist_params(dist, supplied, _DIST_PARAMS[dist])
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
        return (value / (value - t)) ** shape, f"t < rate = {sympy.sstr(value)}", value
    lam = _positive({"lambda": _need(supplied, "lambda", dist)}, "lambda")
    return sympy.exp(lam * (sympy.exp(t) - 1)), "all t", None


def mgf(dist, p, mean, std, var, n, shape, scale, rate, lambda_, t, moment):
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
        extra["at_t"] = float(at_t)
        steps.append(f"M({t!r}) = {sympy.sstr(sympy.nsimplify(at_t))} = {float(at_t)!r}")
        value = float(at_t)
    if given(moment):
        exact = sympy.simplify(sympy.diff(expression, symbol, moment).subs(symbol, 0))
        extra["moment"], extra["exact"] = float(exact), sympy.sstr(exact)
        steps.append(f"E[X^{moment}] = M^({moment})(0) = {sympy.sstr(exact)}")
        value = float(exact)
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
        Param("n", INT, "number of trials (binomial)", default=ABSENT),
        Param("shape", FLOAT, "shape α (gamma)", default=ABSENT),
        Param("scale", FLOAT, "scale β (gamma; mean αβ)", default=ABSENT),
        Param("rate", FLOAT, "rate β = 1/scale (gamma; mean α/β)", default=ABSENT),
        Param("lambda", FLOAT, "rate λ (poisson)", default=ABSENT),
        Param("t", FLOAT, "evaluate the MGF at t", default=ABSENT),
        Param("moment", INT, "the K-th moment E[X^K] = M^(K)(0)", default=ABSENT, minimum=0),
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


def _positives(names):
    import sympy

    return sympy.symbols(names, positive=True)


def mgf_bernoulli_statement():
    """E[e^{tX}] summed over {0, 1} vs p e^t + 1 − p."""
    import sympy

    p, t = _positives("p"), sympy.Symbol("t", real=True)
    return (1 - p) * sympy.exp(0 * t) + p * sympy.exp(t), p * sympy.exp(t) + 1 - p


def mgf_binomial_statement(n: int = 6):
    """E[e^{tX}] summed over k = 0..n vs (p e^t + 1 − p)^n, for a concrete n."""
    import sympy

    p, t = _positives("p"), sympy.Symbol("t", real=True)
    expectation = sum(sympy.binomial(n, k) * p**k * (1 - p) ** (n - k) * sympy.exp(k * t) for k in range(n + 1))
    return expectation, (p * sympy.exp(t) + 1 - p) ** n


def mgf_normal_statement(variance_form: bool = True):
    """∫ e^{tx} N(x; μ, σ²) dx vs exp(μt + σ²t²/2) (σ the standard deviation)."""
    import sympy

    x, mu, t = sympy.symbols("x mu t", real=True)
    sigma = _positives("sigma")
    density = sympy.exp(-(x - mu) ** 2 / (2 * sigma**2)) / sympy.sqrt(2 * sympy.pi * sigma**2)
    integral = sympy.integrate(sympy.exp(t * x) * density, (x, -sympy.oo, sympy.oo))
    spread = sigma**2 if variance_form else sigma
    return integral, sympy.exp(mu * t + spread * t**2 / 2)


def mgf_gamma_statement(form: str = "scale"):
    """∫ e^{tx} Gamma(x; α, scale β) dx vs the closed form; ``form`` 'scale', 'rate' or 'sheet'.

    t is written as 1/β − u with u > 0, which is exactly the domain t < 1/β where the MGF exists.
    """
    import sympy

    alpha, beta, u, x = _positives("alpha beta u x")
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
    lam, y = _positives("lambda y")
    t = sympy.Symbol("t", real=True)
    series = sympy.Sum(y**k / sympy.factorial(k), (k, 0, sympy.oo)).doit()
    return sympy.exp(-lam) * series.subs(y, lam * sympy.exp(t)), sympy.exp(lam * (sympy.exp(t) - 1))


def mgf_linear_statement():
    """Y = a1 X1 + a2 X2 with independent Bernoulli X_i: E[e^{tY}] over the 4 outcomes vs Π M_i(a_i t)."""
    import sympy

    p1, p2 = _positives("p1 p2")
    a1, a2, t = sympy.symbols("a1 a2 t", real=True)
    expectation = sum(
        (p1 if x1 else 1 - p1) * (p2 if x2 else 1 - p2) * sympy.exp(t * (a1 * x1 + a2 * x2))
        for x1 in (0, 1) for x2 in (0, 1)
    )

    def bernoulli(p, s):
        return p * sympy.exp(s) + 1 - p

    return expectation, bernoulli(p1, a1 * t) * bernoulli(p2, a2 * t)


def _three_point():
    """A general distribution on three points: values x_i, probabilities p1, p2, 1 − p1 − p2."""
    import sympy

    xs = sympy.symbols("x1:4", real=True)
    p1, p2 = _positives("p1 p2")
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


def cdf_pdf_statement():
    """d/dt of the normal CDF ½(1 + erf((t − μ)/(σ√2))) vs the normal density."""
    import sympy

    t, mu = sympy.symbols("t mu", real=True)
    sigma = _positives("sigma")
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

    alpha, beta, x = _positives("alpha beta x")
    density = x ** (alpha - 1) * sympy.exp(-x / beta) / (sympy.gamma(alpha) * beta**alpha)
    return sympy.integrate(x * density, (x, 0, sympy.oo)), alpha * beta



def _identity(*args, **kwargs):
    declare_identity(SECTION, *args, **kwargs)


_E03 = erratum(
    "E03",
    title="scaled density",
    sheet="f_{αγ}(z) = (1/α) f_Y(z/α)",
    correct="f_{αY}(z) = f_Y(z/α)/|α| for α ≠ 0 (for α < 0 the sheet's form is negative)",
    command="dlcalc verify scaled-density",
)

_identity("mgf-bernoulli", "PROB-MGF-BERN", "MGF of Bernoulli(p)", "E[e^{tX}] = p e^t + 1 − p, X ~ Be(p)",
          r"M(t) = p e^t + 1 - p", mgf_bernoulli_statement, "sum over the support")
_identity("mgf-binomial", "PROB-MGF-BIN", "MGF of Binomial(n, p) (checked for n = 6)",
          "E[e^{tX}] = (p e^t + 1 − p)^n, X ~ Bin(n, p)", r"M(t) = (p e^t + 1 - p)^n",
          mgf_binomial_statement, "sum over the support (n = 6)")
_identity("mgf-normal", "PROB-MGF-NORM", "MGF of N(μ, σ²) with σ the standard deviation",
          "E[e^{tX}] = exp(μt + σ²t²/2), X ~ N(μ, σ²)", r"M(t) = e^{\mu t + \sigma^2 t^2/2}",
          mgf_normal_statement, "integral", errata=(_E04,))
_identity("mgf-gamma", "PROB-MGF-GAMMA", "MGF of Gamma(shape α, scale β); (β/(β − t))^α with a rate",
          "E[e^{tX}] = (1 − βt)^{−α} for t < 1/β, X ~ Gamma(shape α, scale β)",
          r"M(t) = (1 - \beta t)^{-\alpha},\ t < 1/\beta", mgf_gamma_statement, "integral", errata=(_E05,))
_identity("mgf-gamma-rate", "PROB-MGF-GAMMA", "MGF of Gamma(shape α, rate β)",
          "E[e^{tX}] = (β/(β − t))^α for t < β, X ~ Gamma(shape α, rate β)",
          r"M(t) = \left(\frac{\beta}{\beta - t}\right)^{\alpha}", lambda: mgf_gamma_statement("rate"),
          "integral", errata=(_E05,))
_identity("mgf-poisson", "PROB-MGF-POIS", "MGF of Poisson(λ)", "E[e^{tX}] = exp(λ(e^t − 1)), X ~ Pois(λ)",
          r"M(t) = e^{\lambda(e^t - 1)}", mgf_poisson_statement, "series")
_identity("mgf-linear", "PROB-MGF-LIN", "MGF of a linear combination of independent variables (Bernoulli case)",
          "Y = Σ a_i X_i, X_i independent ⟹ M_Y(t) = Π M_{X_i}(a_i t)", r"M_Y(t) = \prod_i M_{X_i}(a_i t)",
          mgf_linear_statement, "sum over the joint support")
_identity("variance-shortcut", "PROB-VAR", "Var[X] = E[X²] − E[X]²", "E[(X − E X)²] = E[X²] − E[X]²",
          r"\mathrm{Var}[X] = \mathbb{E}[X^2] - \mathbb{E}[X]^2", variance_statement, "expand (3-point law)")
_identity("covariance-shortcut", "PROB-COV", "Cov(X,Y) = E[XY] − E[X]E[Y] (Cov(X,X) = Var[X] with Y = X)",
          "E[(X − EX)(Y − EY)] = E[XY] − EX·EY", r"\mathrm{Cov}(X,Y) = \mathbb{E}[XY] - \mathbb{E}X\,\mathbb{E}Y",
          covariance_statement, "expand (3-point law)")
_identity("covariance-self", "PROB-COV-SELF", "Cov(X,X) = Var[X]", "Cov(X,X) = E[X·X] − EX·EX = E[(X − EX)²] = Var[X]",
          r"\mathrm{Cov}(X,X) = \mathrm{Var}[X]", covariance_self_statement, "expand (3-point law)")
_identity("variance-affine", "PROB-VAR-AFFINE", "Var[aX + b] = a² Var[X]", "Var[aX + b] = a² Var[X]",
          r"\mathrm{Var}[aX+b] = a^2\,\mathrm{Var}[X]", affine_variance_statement, "expand (3-point law)")
_identity("cdf-derivative", "PROB-CDF-PDF", "The derivative of the CDF is the density (normal case)",
          "d/dt F_X(t) = f_X(t)", r"\frac{d}{dt}F_X(t) = f_X(t)", cdf_pdf_statement, "differentiate")
_identity("scaled-density", "PROB-SCALE", "Density of αY: f_Y(z/α)/|α| (checked for α < 0, Y ~ N(0,1))",
          "f_{αY}(z) = f_Y(z/α)/|α|, α ≠ 0", r"f_{\alpha Y}(z) = \frac{1}{|\alpha|} f_Y(z/\alpha)",
          scaled_density_statement, "differentiate the CDF", errata=(_E03,))
_identity("sum-density", "PROB-SUM-PDF", "Density of a sum of independent variables is a convolution (normal case)",
          "f_{X+Y}(z) = ∫ f_X(t) f_Y(z − t) dt", r"f_{X+Y}(z) = \int f_X(t) f_Y(z-t)\,dt",
          convolution_statement, "integral")
_identity("mean-integral", "PROB-MEAN", "E[X] = ∫ t f(t) dt (Gamma case: αβ)", "E[X] = ∫ t f_X(t) dt",
          r"\mathbb{E}[X] = \int t f_X(t)\,dt", mean_statement, "integral")


# ---- conditional independence --------------------------------------------------------------------


def _joint3(text):
    """A 3-D joint table P(X=x, Y=y, Z=z) as JSON nested lists [x][y][z], or @file.npy."""
    import json

    import numpy as np

    text = text.strip()
    try:
        array = np.load(text[1:], allow_pickle=False) if text.startswith("@") else np.array(json.loads(text), dtype=float)
    except (OSError, ValueError) as err:
        raise DlcalcError(f"expected a 3-D table like [[[0.1,0.1],[0.1,0.2]],[[...]]] or @file.npy ({err})") from None
    if array.ndim != 3:
        raise DlcalcError(f"expected a 3-D table (x, y, z), got {array.ndim} dimensions")
    return tuple(array.astype(float).ravel().tolist()), array.shape


JOINT3 = Kind("TABLE3", _joint3)


def check_conditional_independence(joint3):
    import numpy as np

    flat, shape = joint3
    probability_vector(flat, "joint3")
    p = np.array(flat).reshape(shape)
    pz = p.sum(axis=(0, 1))
    worst, witness = 0.0, None
    for z in np.flatnonzero(pz > 0):
        conditional = p[:, :, z] / pz[z]
        product = np.outer(conditional.sum(axis=1), conditional.sum(axis=0))
        gap = float(np.abs(conditional - product).max())
        if gap > worst:
            worst, witness = gap, int(z)
    holds = worst <= 1e-12
    steps = [f"max over z of |P(x,y∣z) − P(x∣z)P(y∣z)| = {worst:.6g}"]
    if not holds:
        steps.append(f"witness: z = {witness}")
    return Result(value=holds,
                  plain="conditionally independent" if holds else "conditionally dependent",
                  steps=steps, extra={"max_gap": worst, "witness_z": witness}, holds=holds)


formula(
    name="check-condindep",
    section=SECTION,
    catalogue_id="PROB-CONDINDEP",
    summary="Decide X ⊥ Y ∣ Z from a 3-D joint table (exit 1 if not)",
    params=(Param("joint3", JOINT3, "P(X=x, Y=y, Z=z) as nested lists [x][y][z], or @file.npy"),),
    formula="X ⊥ Y ∣ Z ⟺ P(X,Y∣Z) = P(X∣Z)P(Y∣Z) wherever P(Z) > 0",
    latex=r"X \perp Y \mid Z \iff P(X,Y\mid Z) = P(X\mid Z)\,P(Y\mid Z)",
    compute=check_conditional_independence,
    kind="claim",
    errata=(_E01,),
    examples=(("--joint3 '[[[0.125,0.125],[0.125,0.125]],[[0.125,0.125],[0.125,0.125]]]'", "conditionally independent"),
              ("--joint3 '[[[0.25,0],[0,0.25]],[[0,0.25],[0.25,0]]]'", "conditionally dependent",
               "X, Y fair coins, Z = X xor Y: independent, but dependent given Z")),
)


# ---- continuous laws: densities and MGFs with NumPy/math (change of variables, sums, linear MGFs) ----

# Each law declares only what is specific to it; scale-pdf, sum-pdf, mgf-lin and information's
# differential-entropy do the rest. Location defaults to 0.
CONTINUOUS_PARAMS = {
    "normal": ("mean", "std", "var"),
    "uniform": ("low", "high"),
    "exponential": ("rate", "scale"),
    "laplace": ("mean", "scale"),
}


class Law(NamedTuple):
    """A continuous distribution: density (NumPy), MGF (math, with its domain), entropy (nats),
    the points where the density jumps or kinks, and an interval holding all but ~e^−40 of its mass."""

    text: str
    pdf: Callable[[Any], Any]
    mgf: Callable[[float], float]
    mgf_domain: tuple[float, float]
    entropy: float
    breaks: tuple[float, ...]
    support: tuple[float, float]


def _only_one(supplied, names, dist):
    present = [n for n in names if n in supplied]
    if len(present) != 1:
        raise DlcalcError(f"{dist}: give exactly one of {', '.join('--' + n for n in names)}")
    return present[0]


def _normal_law(supplied):
    import numpy as np

    mean = supplied.get("mean", 0.0)
    spread = _only_one(supplied, ("std", "var"), "normal")
    var = _positive_value(supplied, spread) ** (2 if spread == "std" else 1)
    std = math.sqrt(var)
    return Law(f"N({mean!r}, {var!r})", lambda x: np.exp(-((x - mean) ** 2) / (2 * var)) / math.sqrt(2 * math.pi * var),
               lambda t: math.exp(mean * t + var * t * t / 2), (-math.inf, math.inf),
               0.5 * math.log(2 * math.pi * math.e * var), (), (mean - 40 * std, mean + 40 * std))


def _uniform_law(supplied):
    import numpy as np

    if "low" not in supplied or "high" not in supplied or supplied["high"] <= supplied["low"]:
        raise DlcalcError("uniform: give --low and --high with low < high")
    a, b = supplied["low"], supplied["high"]

    def mgf(t):
        return 1.0 if t == 0 else math.expm1(t * (b - a)) * math.exp(t * a) / (t * (b - a))

    return Law(f"U[{a!r}, {b!r}]", lambda x: np.where((x >= a) & (x <= b), 1 / (b - a), 0.0), mgf,
               (-math.inf, math.inf), math.log(b - a), (a, b), (a, b))


def _exponential_law(supplied):
    import numpy as np

    which = _only_one(supplied, ("rate", "scale"), "exponential")
    rate = _positive_value(supplied, which) ** (1 if which == "rate" else -1)
    return Law(f"Exp(rate {rate!r})", lambda x: np.where(x >= 0, rate * np.exp(-rate * np.maximum(x, 0)), 0.0),
               lambda t: rate / (rate - t), (-math.inf, rate), 1 - math.log(rate), (0.0,), (0.0, 45 / rate))


def _laplace_law(supplied):
    import numpy as np

    mean = supplied.get("mean", 0.0)
    if "scale" not in supplied:
        raise DlcalcError("laplace: --scale is required")
    b = _positive_value(supplied, "scale")
    return Law(f"Laplace({mean!r}, {b!r})", lambda x: np.exp(-np.abs(x - mean) / b) / (2 * b),
               lambda t: math.exp(mean * t) / (1 - b * b * t * t), (-1 / b, 1 / b), 1 + math.log(2 * b), (mean,),
               (mean - 45 * b, mean + 45 * b))


_LAWS = {"normal": _normal_law, "uniform": _uniform_law, "exponential": _exponential_law, "laplace": _laplace_law}


def continuous_law(dist, supplied):
    """The Law named ``dist`` from its parameters (a dict of the given ones), checked."""
    _check_dist_params(dist, supplied, CONTINUOUS_PARAMS[dist])
    return _LAWS[dist](supplied)


def law_from_spec(text, option):
    """'normal mean=1 std=2' -> a Law (the option name for messages)."""
    words = text.replace(",", " ").split()
    if not words or words[0].lower() not in _LAWS:
        raise DlcalcError(f"{option}: expected a distribution like 'normal mean=0 std=1', one of {', '.join(_LAWS)}; got {text!r}")
    supplied = {}
    for word in words[1:]:
        key, sep, number = word.partition("=")
        if not sep:
            raise DlcalcError(f"{option}: expected key=value, got {word!r}")
        try:
            supplied[key.strip().lower()] = FLOAT.parse(number)
        except DlcalcError as err:
            raise DlcalcError(f"{option}: {key}: {err.message}") from None
    try:
        return continuous_law(words[0].lower(), supplied)
    except DlcalcError as err:
        raise DlcalcError(f"{option} {text!r}: {err.message.replace('--', '')}") from None


_LAW_HELP = "a distribution: 'normal mean=0 std=1' (or var=), 'uniform low=0 high=1', 'exponential rate=2' (or scale=), 'laplace mean=0 scale=1'"


def densities_result(values, digits, steps):
    """Density values, each shown to ``digits`` significant digits on its own: a tail density of
    1e-13 beside 0.3 is a value, not float noise (unlike entries of one matrix)."""
    shown = [rounded(float(v), digits) for v in values]
    return Result(value=shown, plain=",".join(map(repr, shown)), steps=steps)


def scale_pdf(X, a, b, y):
    import numpy as np

    if a == 0:
        raise DlcalcError("--a must be non-zero (aX + b with a = 0 is a constant, with no density)")
    law = law_from_spec(X, "--X")
    points = np.array(y, dtype=float)
    density = law.pdf((points - b) / a) / abs(a)
    return densities_result(density, 12,
                            [f"Y = aX + b with X ~ {law.text}:  f_Y(y) = f_X((y − b)/a)/|a|,  |a| = {abs(a)!r}",
                             "for a < 0 the |a| matters: f_X(·)/a would be negative (E03)"])


formula(
    name="scale-pdf",
    section=SECTION,
    catalogue_id="PROB-SCALE",
    summary="Density of Y = aX + b at y (change of variables, with |a|)",
    params=(Param("X", TEXT, _LAW_HELP), Param("a", FLOAT, "the scale a ≠ 0", aliases=("alpha",)),
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


def sum_pdf(X, Y, z):
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
    params=(Param("X", TEXT, _LAW_HELP), Param("Y", TEXT, "the second distribution, same form as --X"),
            Param("z", VECTOR, "the point(s) z")),
    formula="f_{X+Y}(z) = ∫ f_X(t) f_Y(z − t) dt  (X, Y independent)",
    latex=r"f_{X+Y}(z) = \int f_X(t)\, f_Y(z-t)\,dt",
    compute=sum_pdf,
    examples=(
        ("--X 'uniform low=0 high=1' --Y 'uniform low=0 high=1' --z 0.5,1,1.5", "0.5,1.0,0.5", "the triangle on [0, 2]"),
        ("--X 'normal std=1' --Y 'normal var=1' --z 0", "0.2820947918", "N(0, 2) at 0: 1/sqrt(4π)"),
        ("--X 'exponential rate=1' --Y 'exponential rate=1' --z 1", "0.3678794412", "Gamma(2, 1): z e^−z"),
    ),
)


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
        factors.append(law.mgf(s))
    value = math.exp(b * t) * math.prod(factors)
    return Result(value=value, extra={"factors": factors},
                  steps=["Y = Σ a_i X_i + b, X_i independent:  M_Y(t) = e^(bt) Π M_(X_i)(a_i t)",
                         " · ".join(f"M_[{law.text}]({coefficient * t!r}) = {m!r}" for law, coefficient, m in zip(laws, a, factors))
                         + f";  e^(bt) = {math.exp(b * t)!r}"])


formula(
    name="mgf-lin",
    section=SECTION,
    catalogue_id="PROB-MGF-LIN",
    summary="MGF of Y = Σ a_i X_i + b for independent X_i at t: e^{bt} Π M_{X_i}(a_i t)",
    params=(Param("X", TEXT, _LAW_HELP + "; repeat --X for a sum", multiple=True),
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


def bayes_statement(normalised: bool = True):
    """Posterior P(Y_i ∣ X = x) by definition, P(x, Y_i)/P(x), from a joint table of 3 hypotheses ×
    2 outcomes, vs Bayes' P(x∣Y_i)P(Y_i)/Σ_j P(x∣Y_j)P(Y_j). ``normalised=False`` drops the evidence."""
    import sympy

    seen = sympy.symbols("j1:4", positive=True)  # P(X = x, Y = y_i)
    unseen = sympy.symbols("k1:4", positive=True)  # P(X = x', Y = y_i)
    prior = [j + k for j, k in zip(seen, unseen)]
    likelihood = [j / p for j, p in zip(seen, prior)]
    evidence = sum(l * p for l, p in zip(likelihood, prior)) if normalised else 1
    definition = sympy.Matrix([j / sum(seen) for j in seen])
    return definition, sympy.Matrix([l * p / evidence for l, p in zip(likelihood, prior)])


_identity("bayes-rule", "PROB-BAYES", "Bayes' rule from the definition of conditional probability (3 hypotheses)",
          "P(Y_i∣X) = P(X∣Y_i)P(Y_i)/P(X) = P(X∣Y_i)P(Y_i)/Σ_j P(X∣Y_j)P(Y_j)",
          r"P(Y_i \mid X) = \frac{P(X \mid Y_i) P(Y_i)}{\sum_j P(X \mid Y_j) P(Y_j)}", bayes_statement,
          "simplify (general joint table)", errata=(_E01,))
