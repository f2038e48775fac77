"""Generative models, VAEs (sheet §19.1 and the latent-variable models of §19): the VAE's Gaussian KL
and reparameterisation, the ELBO and its gap on a Gaussian toy model, a discrete latent marginal.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import (probability_vector, rounded, square_array, the_one_given, vector_result,
                                      vector_text)
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, MATRIX, VECTOR, Param, erratum, formula, identity
from dlcalc.core.result import Result


# ---- VAE: KL term and reparameterisation -----------------------------------------------------------


def _log_variances(sigma, logvar):
    """ln σ² per dimension, from σ (as 2 ln σ: σ = 1e-200 has σ² = 0 but ln σ² = −921) or given."""
    if sigma == ():
        return list(logvar), "logvar"
    if any(s <= 0 for s in sigma):
        raise DlcalcError("the standard deviations must be positive")
    return [2 * math.log(s) for s in sigma], "sigma"


def _variance(log_variance):
    """σ² = e^{ln σ²}; beyond the float range the KL is too (it holds σ² itself)."""
    try:
        return math.exp(log_variance)
    except OverflowError:
        raise DlcalcError("σ² is beyond the float range (1.8e308), and so is the KL divergence") from None


def vae_kl(mu, sigma, logvar):
    the_one_given(sigma=sigma, logvar=logvar)
    log_variances, source = _log_variances(sigma, logvar)
    if len(log_variances) != len(mu):
        raise DlcalcError(f"--mu has {len(mu)} values but --{source} has {len(log_variances)}")
    terms = [0.5 * (_variance(lv) + m * m - 1 - lv) for m, lv in zip(mu, log_variances)]
    total = math.fsum(terms)
    if not math.isfinite(total):  # μ² or the sum overflows: the true KL exceeds every float
        raise DlcalcError("the KL divergence is beyond the float range (1.8e308): |μ| or σ is too large")
    return Result(value=rounded(total),
                  steps=["KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ (σ² + μ² − 1 − ln σ²)",
                         "per dimension: " + ", ".join(str(rounded(t)) for t in terms)],
                  extra={"per_dimension": rounded(terms)})


formula(
    name="vae-kl",
    section="19.1",
    catalogue_id="GEN-KL-GAUSS",
    summary="KL term of the VAE's ELBO: KL(N(μ, diag σ²) ‖ N(0, I)) in closed form (nats)",
    params=(
        Param("mu", VECTOR, "posterior means μ"),
        Param("sigma", VECTOR, "posterior standard deviations σ", default=()),
        Param("logvar", VECTOR, "posterior log-variances ln σ² (as encoders output); write --logvar=-1,0",
              default=()),
    ),
    formula="½ Σ_i (σ_i² + μ_i² − 1 − ln σ_i²)",
    latex=r"\tfrac12 \sum_i \left(\sigma_i^2 + \mu_i^2 - 1 - \ln \sigma_i^2\right)",
    compute=vae_kl,
    examples=(
        ("--mu 0,0 --sigma 1,1", "0.0", "q = p"),
        ("--mu 1 --sigma 1", "0.5"),
        ("--mu 0 --logvar 1", "0.35914091423", "½(e − 2)"),
    ),
    notes="`dlcalc verify vae-kl-closed-form` proves the closed form by integration.",
)


def gaussian_kl_statement():
    """(lhs, rhs): ∫ q ln(q/p) for q = N(μ, σ²), p = N(0, 1), and the closed form."""
    import sympy

    z = sympy.Symbol("z", real=True)
    mu = sympy.Symbol("mu", real=True)
    sigma = sympy.Symbol("sigma", positive=True)
    q = sympy.exp(-(z - mu) ** 2 / (2 * sigma**2)) / sympy.sqrt(2 * sympy.pi * sigma**2)
    # ln q − ln p written out (a polynomial in z), so that the integral is of Gaussian moments
    log_ratio = -(z - mu) ** 2 / (2 * sigma**2) - sympy.log(sigma) + z**2 / 2
    kl = sympy.integrate(sympy.expand(q * log_ratio), (z, -sympy.oo, sympy.oo))
    return kl, (sigma**2 + mu**2 - 1 - sympy.log(sigma**2)) / 2


identity(
    name="vae-kl-closed-form",
    section="19.1",
    catalogue_id="GEN-KL-GAUSS",
    summary="KL(N(μ, σ²) ‖ N(0, 1)) = ½(σ² + μ² − 1 − ln σ²), proven by integrating q ln(q/p)",
    formula="∫ q ln(q/p) dz = ½(σ² + μ² − 1 − ln σ²)",
    latex=r"\int q \ln\frac{q}{p}\,dz = \tfrac12(\sigma^2 + \mu^2 - 1 - \ln\sigma^2)",
    build=gaussian_kl_statement,
    method="integrate",
)


def reparameterise(mu, eps, sigma, cov):
    import numpy as np

    source = the_one_given(sigma=sigma, cov=cov)
    m, e = np.array(mu, dtype=float), np.array(eps, dtype=float)
    if e.shape != m.shape:
        raise DlcalcError(f"--eps needs {len(m)} values, one per dimension of --mu")
    if source == "sigma":
        s = np.array(sigma, dtype=float)
        if s.shape != m.shape or np.any(s <= 0):
            raise DlcalcError(f"--sigma needs {len(m)} positive values")
        z, how, factor = m + s * e, "z = μ + σ ⊙ ε (diagonal Σ)", np.diag(s)
    else:
        covariance = square_array(cov, "cov")
        if covariance.shape[0] != len(m) or not np.allclose(covariance, covariance.T):
            raise DlcalcError(f"--cov must be a symmetric {len(m)}×{len(m)} matrix")
        try:
            factor = np.linalg.cholesky(covariance)
        except np.linalg.LinAlgError:
            raise DlcalcError("--cov must be positive definite (Cholesky failed)") from None
        z, how = m + factor @ e, "z = μ + Lε with LLᵀ = Σ (Cholesky; a matrix-vector product)"
    return vector_result(z, steps=[how], extra={"L": rounded(factor)})


_E79 = erratum(
    "E79",
    title="reparameterisation 'z = μ + Σ^{1/2} ⊙ ε'",
    sheet="z = μ + Σ^{1/2} ⊙ ε",
    correct="full covariance: z = μ + Lε with LLᵀ = Σ (Cholesky) or L = Σ^{1/2}, a matrix-vector product; "
    "diagonal Σ = diag(σ²): z = μ + σ ⊙ ε",
    command="dlcalc reparam --mu 0,0 --cov '4,2;2,2' --eps 1,1",
)

formula(
    name="reparam",
    section="19.1",
    catalogue_id="GEN-REPARAM",
    summary="Reparameterised sample z = μ + σ⊙ε (diagonal) or z = μ + Lε, LLᵀ = Σ (full covariance)",
    params=(
        Param("mu", VECTOR, "mean μ"),
        Param("eps", VECTOR, "standard normal draw ε"),
        Param("sigma", VECTOR, "standard deviations (diagonal Σ)", default=()),
        Param("cov", MATRIX, "full covariance Σ", default=()),
    ),
    formula="z = μ + σ ⊙ ε;  z = μ + Lε, LLᵀ = Σ",
    latex=r"z = \mu + L\epsilon,\ LL^\top = \Sigma",
    compute=reparameterise,
    errata=(_E79,),
    sheet_says="z = μ + Σ^{1/2} ⊙ ε",
    examples=(
        ("--mu 1,2 --sigma 2,3 --eps 1,-1", "3.0,-1.0"),
        ("--mu 0,0 --cov '4,2;2,2' --eps 1,1", "2.0,2.0", "L = [[2,0],[1,1]]"),
    ),
)


# ---- the ELBO on a Gaussian toy model --------------------------------------------------------------
# z ~ N(0, 1), x∣z ~ N(z, 1): p(x) = N(0, 2), p(z∣x) = N(x/2, 1/2); q(z∣x) = N(m, s²).


def _normal_logpdf(x, mean, var):
    return -0.5 * math.log(2 * math.pi * var) - (x - mean) ** 2 / (2 * var)


def _gauss_kl(m1, v1, m2, v2):
    """KL(N(m1, v1) ‖ N(m2, v2))."""
    return 0.5 * (math.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1)


def elbo_toy(x, q_mean, q_std):
    if q_std <= 0:
        raise DlcalcError("--q-std must be positive")
    v = q_std**2
    reconstruction = -0.5 * math.log(2 * math.pi) - 0.5 * ((x - q_mean) ** 2 + v)  # E_q[ln N(x; z, 1)]
    elbo = reconstruction - _gauss_kl(q_mean, v, 0.0, 1.0)
    evidence = _normal_logpdf(x, 0.0, 2.0)
    gap = _gauss_kl(q_mean, v, x / 2, 0.5)
    return Result(value=rounded(elbo),
                  steps=["ELBO = E_q[ln p(x∣z)] − KL(q(z∣x) ‖ p(z)) ≤ ln p(x)",
                         f"ln p(x) = {rounded(evidence)}; gap ln p(x) − ELBO = {rounded(evidence - elbo)} = "
                         f"KL(q ‖ p(z∣x)) = {rounded(gap)}"],
                  extra={"log_evidence": rounded(evidence), "reconstruction": rounded(reconstruction),
                         "kl_prior": rounded(_gauss_kl(q_mean, v, 0.0, 1.0)), "gap": rounded(evidence - elbo),
                         "kl_to_posterior": rounded(gap)})


formula(
    name="elbo",
    section="19.1",
    catalogue_id="GEN-ELBO",
    summary="ELBO of a Gaussian toy model (z ~ N(0,1), x∣z ~ N(z,1)) for q = N(m, s²), with its gap",
    params=(
        Param("x", FLOAT, "observation x"),
        Param("q-mean", FLOAT, "mean m of q(z∣x)"),
        Param("q-std", FLOAT, "standard deviation s of q(z∣x)"),
    ),
    formula="ln p(x) ≥ E_q[ln p(x∣z)] − KL(q(z∣x) ‖ p(z)); the gap is KL(q(z∣x) ‖ p(z∣x))",
    latex=r"\ln p(x) - \mathrm{ELBO} = \mathrm{KL}(q(z\mid x)\,\|\,p(z\mid x))",
    compute=elbo_toy,
    examples=(
        ("--x 2 --q-mean 1 --q-std 0.707106781186548", "-2.26551212348", "q = p(z∣x): the ELBO is ln p(x)"),
    ),
    notes="`dlcalc verify elbo-gap` proves ln p(x) − ELBO = KL(q ‖ p(z∣x)) for this model by integration.",
)


def elbo_gap_statement():
    """(ln p(x) − ELBO, KL(q ‖ p(z∣x))) by integration over z for the toy model."""
    import sympy

    z, x, m = sympy.symbols("z x m", real=True)
    s = sympy.Symbol("s", positive=True)
    q = sympy.exp(-(z - m) ** 2 / (2 * s**2)) / sympy.sqrt(2 * sympy.pi * s**2)

    def log_normal(value, mean, var):
        return -sympy.log(2 * sympy.pi * var) / 2 - (value - mean) ** 2 / (2 * var)

    def expect(f):  # E_q[f] for f polynomial in z
        return sympy.simplify(sympy.integrate(sympy.expand(q * f), (z, -sympy.oo, sympy.oo)))

    log_q = log_normal(z, m, s**2)
    elbo = expect(log_normal(x, z, 1) + log_normal(z, 0, 1) - log_q)
    posterior = log_normal(z, x / 2, sympy.Rational(1, 2))
    return log_normal(x, 0, 2) - elbo, expect(log_q - posterior)


identity(
    name="elbo-gap",
    section="19.1",
    catalogue_id="GEN-ELBO",
    summary="ln p(x) − ELBO = KL(q(z∣x) ‖ p(z∣x)), proven on the Gaussian toy model by integration",
    formula="ln p(x) − (E_q[ln p(x, z)] − E_q[ln q]) = E_q[ln q − ln p(z∣x)]",
    latex=r"\ln p(x) - \mathrm{ELBO}(q) = \mathrm{KL}(q \,\|\, p(z\mid x))",
    build=elbo_gap_statement,
    method="integrate",
)


def latent_marginal(prior, means, stds, x):
    import numpy as np

    weights = np.array(probability_vector(prior, "prior"), dtype=float)
    centres, spreads = np.array(means, dtype=float), np.array(stds, dtype=float)
    if not weights.shape == centres.shape == spreads.shape or np.any(spreads <= 0):
        raise DlcalcError("--prior, --means and --stds need one value per latent state, with positive stds")
    likelihoods = np.exp(-((x - centres) ** 2) / (2 * spreads**2)) / (spreads * math.sqrt(2 * math.pi))
    joint = weights * likelihoods
    evidence = float(joint.sum())
    if evidence == 0:
        raise DlcalcError("p(x) underflows to 0: x is too far from every component")
    return Result(value=rounded(evidence),
                  steps=["p(x) = Σ_z p(x∣z) p(z) with p(x∣z) = N(x; μ_z, σ_z²) (the integral over a discrete z)",
                         f"p(z∣x) = {vector_text(joint / evidence)}"],
                  extra={"log_px": rounded(math.log(evidence)), "posterior": rounded(joint / evidence),
                         "likelihoods": rounded(likelihoods)})


formula(
    name="latent-marginal",
    section="19",
    catalogue_id="GEN-LATENT",
    summary="Marginal likelihood of a latent-variable model p(x) = Σ_z p(x∣z)p(z) (Gaussian p(x∣z)), and p(z∣x)",
    params=(
        Param("prior", VECTOR, "p(z) over the latent states"),
        Param("means", VECTOR, "mean μ_z of p(x∣z) for each state"),
        Param("stds", VECTOR, "standard deviation σ_z of p(x∣z) for each state"),
        Param("x", FLOAT, "observation x"),
    ),
    formula="p(x) = ∫ p(x∣z) p(z) dz = Σ_z p(z) N(x; μ_z, σ_z²)",
    latex=r"p(x) = \int p(x\mid z)\,p(z)\,dz",
    compute=latent_marginal,
    examples=(
        ("--prior 0.5,0.5 --means 0,0 --stds 1,1 --x 0", "0.398942280401", "1/√(2π)"),
        ("--prior 0.25,0.75 --means -1,1 --stds 1,1 --x 1", "0.312704451929",
         "0.25·φ(2) + 0.75·φ(0) = (0.25e⁻² + 0.75)/√(2π)"),
    ),
    notes="--json adds ln p(x) and the posterior p(z∣x). A continuous Gaussian latent with a linear decoder is "
    "`fa-marginal`.",
)
