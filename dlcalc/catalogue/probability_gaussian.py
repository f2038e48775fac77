"""Probability (sheet §1), Gaussians: the multivariate normal density and the conditional of a
Gaussian given some coordinates (Schur complement, cross-checked with the precision matrix).
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import matrix_text, rounded, same_length, vector_text
from dlcalc.catalogue._probability import cov_matrix
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLAG, MATRIX, TEXT, VECTOR, Param, erratum, formula
from dlcalc.core.result import Result

SECTION = "1"

def mvn_pdf(x, mu, cov, log):
    import numpy as np

    sigma = cov_matrix(cov)
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

    sigma = cov_matrix(cov)
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

