"""Generative models (sheet §19): the VAE's Gaussian KL and reparameterisation, factor analysis and
PPCA, normalising flows and RealNVP couplings, the GAN optimum, DDPM schedules, bits per dimension.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import (finite_array, matrix_result, matrix_text, probability_vector, rounded,
                                     square_array, the_one_given, vector_result, vector_text)
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLAG, FLOAT, INT, MATRIX, TEXT, VECTOR, Param, Rule, choice, erratum, formula
from dlcalc.core.result import Result

# ---- VAE: KL term and reparameterisation -----------------------------------------------------------


def vae_kl(mu, sigma, logvar):
    source = the_one_given(sigma=sigma, logvar=logvar)
    variances = [s * s for s in sigma] if source == "sigma" else [math.exp(v) for v in logvar]
    if len(variances) != len(mu):
        raise DlcalcError(f"--mu has {len(mu)} values but --{source} has {len(variances)}")
    if any(v <= 0 for v in variances):
        raise DlcalcError("the standard deviations must be positive")
    terms = [0.5 * (v + m * m - 1 - math.log(v)) for m, v in zip(mu, variances)]
    total = sum(terms)
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


def gaussian_kl_statement(variant="correct"):
    """(lhs, rhs): ∫ q ln(q/p) for q = N(μ, σ²), p = N(0, 1), and the closed form.

    variant 'log-sigma' uses ln σ in place of ln σ² (a common slip) and must be refuted."""
    import sympy

    z = sympy.Symbol("z", real=True)
    mu = sympy.Symbol("mu", real=True)
    sigma = sympy.Symbol("sigma", positive=True)
    q = sympy.exp(-(z - mu) ** 2 / (2 * sigma**2)) / sympy.sqrt(2 * sympy.pi * sigma**2)
    # ln q − ln p written out (a polynomial in z), so that the integral is of Gaussian moments
    log_ratio = -(z - mu) ** 2 / (2 * sigma**2) - sympy.log(sigma) + z**2 / 2
    kl = sympy.integrate(sympy.expand(q * log_ratio), (z, -sympy.oo, sympy.oo))
    log_var = sympy.log(sigma) if variant == "log-sigma" else sympy.log(sigma**2)
    return kl, (sigma**2 + mu**2 - 1 - log_var) / 2


def prove_gaussian_kl(variant="correct"):
    from dlcalc.core.proof import prove_equal

    return prove_equal(*gaussian_kl_statement(variant), method="integrate", points=6)


formula(
    name="vae-kl-closed-form",
    section="19.1",
    catalogue_id="GEN-KL-GAUSS",
    summary="KL(N(μ, σ²) ‖ N(0, 1)) = ½(σ² + μ² − 1 − ln σ²), proven by integrating q ln(q/p)",
    params=(),
    formula="∫ q ln(q/p) dz = ½(σ² + μ² − 1 − ln σ²)",
    latex=r"\int q \ln\frac{q}{p}\,dz = \tfrac12(\sigma^2 + \mu^2 - 1 - \ln\sigma^2)",
    kind="identity",
    prove=prove_gaussian_kl,
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


# ---- factor analysis and PPCA ------------------------------------------------------------------------


def _fa_inputs(W, psi, mu):
    import numpy as np

    loadings = finite_array(W, "--W")
    if loadings.ndim == 1:
        loadings = loadings[:, None]
    n = loadings.shape[0]
    noise = np.array(psi, dtype=float)
    if noise.shape != (n,) or np.any(noise < 0):
        raise DlcalcError(f"--psi needs {n} non-negative noise variances (the diagonal of Ψ)")
    mean = np.zeros(n) if mu == () else np.array(mu, dtype=float)
    if mean.shape != (n,):
        raise DlcalcError(f"--mu needs {n} values")
    return loadings, noise, mean


def fa_marginal(W, psi, mu):
    import numpy as np

    loadings, noise, mean = _fa_inputs(W, psi, mu)
    covariance = loadings @ loadings.T + np.diag(noise)
    return matrix_result(covariance,
                         steps=["x = μ + Wz + η ⇒ x ~ N(μ, WWᵀ + Ψ)"], extra={"mean": rounded(mean)})


_PSI = Param("psi", VECTOR, "noise variances, the diagonal of Ψ")
_W = Param("W", MATRIX, "loadings W (n×m)")

formula(
    name="fa-marginal",
    section="19.2",
    catalogue_id="GEN-FA",
    summary="Factor analysis marginal: x ~ N(μ, WWᵀ + Ψ) (prints the covariance)",
    params=(_W, _PSI, Param("mu", VECTOR, "mean μ (default 0)", default=())),
    formula="x = μ + Wz + η, z ~ N(0, I), η ~ N(0, Ψ) ⇒ x ~ N(μ, WWᵀ + Ψ)",
    latex=r"x \sim \mathcal N(\mu, WW^\top + \Psi)",
    compute=fa_marginal,
    examples=(("--W '1;2' --psi 0.5,0.5", "[[1.5, 2.0], [2.0, 4.5]]"),),
)


def fa_posterior(W, psi, mu, x):
    import numpy as np

    loadings, noise, mean = _fa_inputs(W, psi, mu)
    point = np.array(x, dtype=float)
    if point.shape != mean.shape:
        raise DlcalcError(f"--x needs {len(mean)} values")
    m = loadings.shape[1]
    gain = loadings.T @ np.linalg.inv(loadings @ loadings.T + np.diag(noise))
    post_mean, post_cov = gain @ (point - mean), np.eye(m) - gain @ loadings
    agreement = None
    if np.all(noise > 0):  # the m×m form (I + WᵀΨ⁻¹W)⁻¹ needs Ψ invertible
        small = np.linalg.inv(np.eye(m) + loadings.T @ np.diag(1 / noise) @ loadings)
        other_mean = small @ loadings.T @ np.diag(1 / noise) @ (point - mean)
        agreement = float(max(np.max(abs(other_mean - post_mean)), np.max(abs(small - post_cov))))
    plain = f"mean={vector_text(post_mean)} cov={matrix_text(post_cov)}"
    return Result(value={"mean": rounded(post_mean), "cov": rounded(post_cov)},
                  plain=plain,
                  steps=["μ_(z|x) = Wᵀ(WWᵀ + Ψ)⁻¹(x − μ),  Σ_(z|x) = I − Wᵀ(WWᵀ + Ψ)⁻¹W"]
                  + ([f"the m×m form (I + WᵀΨ⁻¹W)⁻¹ agrees to {agreement:.1g}"] if agreement is not None else []),
                  extra={"agreement_with_mxm_form": agreement})


formula(
    name="fa-posterior",
    section="19.2",
    catalogue_id="GEN-FA-POST",
    summary="Factor analysis posterior p(z∣x): mean Wᵀ(WWᵀ+Ψ)⁻¹(x−μ), covariance I − Wᵀ(WWᵀ+Ψ)⁻¹W",
    params=(_W, _PSI, Param("x", VECTOR, "observation x"), Param("mu", VECTOR, "mean μ (default 0)", default=())),
    formula="μ_{z|x} = Wᵀ(WWᵀ + Ψ)⁻¹(x − μ), Σ_{z|x} = I − Wᵀ(WWᵀ + Ψ)⁻¹W",
    latex=r"\mu_{z\mid x} = W^\top(WW^\top+\Psi)^{-1}(x-\mu)",
    compute=fa_posterior,
    examples=(("--W '1;1' --psi 1,1 --x 3,3", "mean=2.0 cov=[[0.333333333333]]", "(1 + 2)⁻¹·(3 + 3) and (1 + 2)⁻¹"),),
)


def fixed_signs(W):
    """W with each column's largest entry positive (loadings are defined only up to sign)."""
    import numpy as np

    return W * np.where(W[np.argmax(abs(W), axis=0), np.arange(W.shape[1])] < 0, -1, 1)


def _data_and_latent_size(X, m):
    data = finite_array(X, "--X")
    if data.ndim != 2 or data.shape[0] < 2:
        raise DlcalcError("--X needs at least two rows (samples) of features")
    if m >= data.shape[1]:
        raise DlcalcError(f"--m must be smaller than the number of features {data.shape[1]}")
    return data


def ppca_fit(X, m, sigma2):
    import numpy as np

    data = _data_and_latent_size(X, m)
    covariance = np.cov(data, rowvar=False, bias=True)  # the MLE uses 1/s
    eigenvalues, vectors = np.linalg.eigh(covariance)
    eigenvalues, vectors = eigenvalues[::-1], vectors[:, ::-1]
    noise = float(eigenvalues[m:].mean()) if sigma2 < 0 else sigma2
    rho = np.sqrt(np.maximum(0.0, eigenvalues[:m] - noise))
    W = fixed_signs(vectors[:, :m] * rho)
    return Result(value={"sigma2": rounded(noise), "W": rounded(W)},
                  plain=f"sigma2={rounded(noise)!r} W={matrix_text(W)}",
                  steps=["σ² = mean of the discarded eigenvalues of the sample covariance (1/s)",
                         "w_i = ρ_i u_i with ρ_i = √max(0, λ_i − σ²), unique up to a rotation R"],
                  extra={"eigenvalues": rounded(eigenvalues), "mean": rounded(data.mean(axis=0))})


_E82 = erratum(
    "E82",
    title="PPCA optimum ρ_i = max{0, √(λ_i − σ²)}",
    sheet="ρ_i = max{0, sqrt(λ_i − σ²)}",
    correct="ρ_i = sqrt(max{0, λ_i − σ²}) (the sheet's form takes the root of a negative number when "
    "λ_i < σ²); the optimum is unique only up to a rotation R. The MLE of σ² is the mean of the "
    "discarded eigenvalues",
    command="dlcalc ppca-fit --X '2,0;-2,0;0,1;0,-1' --m 1 --sigma2 3",
)
_E80 = erratum(
    "E80",
    title="factor-analysis estimation wording",
    sheet="x ~ N(μ, WWᵀ + Σ), μ = (1/s)Σx_i; 'MLE: μ, W ← log p(μ, W∣S)'",
    correct="μ̂ = (1/s)Σx_i is the MLE of μ, not its definition; the MLE maximises log p(S∣μ, W) "
    "(maximising log p(μ, W∣S) would be MAP)",
    command="dlcalc ppca-fit --X '2,0;-2,0;0,1;0,-1' --m 1",
)

formula(
    name="ppca-fit",
    section="19.2",
    catalogue_id="GEN-PPCA-MLE",
    summary="PPCA maximum likelihood: σ² and W = U_m diag(√max(0, λ_i − σ²)) from data",
    params=(
        Param("X", MATRIX, "data, one sample per row"),
        Param("m", INT, "latent dimension", minimum=1),
        Param("sigma2", FLOAT, "fix σ² instead of estimating it (default: the MLE)", default=-1.0),
    ),
    formula="σ² = (1/(n−m)) Σ_{i>m} λ_i;  w_i = u_i √max(0, λ_i − σ²)",
    latex=r"w_i = u_i\sqrt{\max(0, \lambda_i - \sigma^2)}",
    compute=ppca_fit,
    errata=(_E82, _E80),
    sheet_says="ρ_i = max{0, √(λ_i − σ²)}",
    examples=(
        ("--X '2,0;-2,0;0,1;0,-1' --m 1", "sigma2=0.5 W=[[1.22474487139], [0.0]]", "eigenvalues 2 and 0.5 (1/s): ρ = √1.5"),
        ("--X '2,0;-2,0;0,1;0,-1' --m 1 --sigma2 3", "sigma2=3.0 W=[[0.0], [0.0]]", "λ < σ²: ρ = 0, no NaN"),
    ),
    notes="W prints as a matrix [[...], ...]. The columns' signs are fixed so that each column's largest entry "
    "is positive.",
)


def gaussian_loglik(S, C, count):
    """Σ_i ln N(x_i; x̄, C) over ``count`` samples with sample covariance S (1/s): the FA/PPCA likelihood."""
    import numpy as np

    _, log_det = np.linalg.slogdet(C)
    return float(-0.5 * count * (len(S) * math.log(2 * math.pi) + log_det + np.trace(np.linalg.solve(C, S))))


def fa_em_step(S, W, psi, isotropic):
    """One EM step for factor analysis (Ghahramani & Hinton 1996) on the sample covariance S:
    β = Wᵀ(WWᵀ + Ψ)⁻¹, W ← Sβᵀ(I − βW + βSβᵀ)⁻¹, Ψ ← diag(S − WβS) (its mean for PPCA)."""
    import numpy as np

    beta = W.T @ np.linalg.inv(W @ W.T + np.diag(psi))
    W_new = S @ beta.T @ np.linalg.inv(np.eye(W.shape[1]) - beta @ W + beta @ S @ beta.T)
    residual = np.diag(S - W_new @ beta @ S)
    return W_new, np.full(len(psi), residual.mean()) if isotropic else residual


def fa_fit(X, m, isotropic, iters, tol):
    import numpy as np

    data = _data_and_latent_size(X, m)
    S = np.cov(data, rowvar=False, bias=True)
    floor = 1e-9 * float(np.trace(S)) / len(S)  # keeps Ψ invertible (a Heywood case drives ψ_i to 0)
    if floor == 0:
        raise DlcalcError("--X has no variance")
    eigenvalues, vectors = np.linalg.eigh(S)
    W = vectors[:, ::-1][:, :m] * np.sqrt(np.maximum(eigenvalues[::-1][:m], floor))  # start: PCA loadings
    psi = np.full(len(S), np.diag(S).mean()) if isotropic else np.diag(S).copy()
    history = [gaussian_loglik(S, W @ W.T + np.diag(psi), len(data))]
    scale = 1 + float(np.max(np.diag(S)))
    for _ in range(iters):
        W_new, psi_new = fa_em_step(S, W, psi, isotropic)
        psi_new = np.maximum(psi_new, floor)
        # WWᵀ, not W: with m > 1 the likelihood cannot tell W from WQ, and W may drift along the rotations
        change = max(float(np.max(abs(W_new @ W_new.T - W @ W.T))), float(np.max(abs(psi_new - psi))))
        W, psi = W_new, psi_new
        history.append(gaussian_loglik(S, W @ W.T + np.diag(psi), len(data)))
        if change <= tol * scale:
            break
    W, converged = fixed_signs(W), change <= tol * scale
    return Result(value={"psi": rounded(psi), "W": rounded(W)},
                  warnings=[] if converged else [f"EM did not converge in {iters} iterations (raise --iters)"],
                  plain=f"psi={vector_text(psi)} W={matrix_text(W)}",
                  steps=["EM on the sample covariance S (1/s); μ̂ = x̄ is the MLE of μ",
                         f"{len(history) - 1} iterations; log-likelihood {rounded(history[0])} → "
                         f"{rounded(history[-1])}"],
                  extra={"loglik": rounded(history[-1]), "iterations": len(history) - 1, "loglik_history": history,
                         "mean": rounded(data.mean(axis=0)), "converged": converged})


formula(
    name="fa-fit",
    section="19.2",
    catalogue_id="GEN-FA-MLE",
    summary="Factor analysis maximum likelihood by EM: W and Ψ = diag(ψ) from data (Ψ = σ²I gives PPCA)",
    params=(
        Param("X", MATRIX, "data, one sample per row"),
        Param("m", INT, "latent dimension", minimum=1),
        Param("isotropic", FLAG, "constrain Ψ = σ²I (PPCA)", default=False),
        Param("iters", INT, "most EM iterations", default=100000, minimum=1),
        Param("tol", FLOAT, "stop when no entry of WWᵀ or Ψ moves more than tol·(1 + max S_ii)", default=1e-13,
              minimum=0),
    ),
    formula="(μ̂, Ŵ, Ψ̂) = argmax Σ_i ln N(x_i; μ, WWᵀ + Ψ);  μ̂ = x̄;  EM: β = Wᵀ(WWᵀ+Ψ)⁻¹, "
    "W ← Sβᵀ(I − βW + βSβᵀ)⁻¹, Ψ ← diag(S − WβS)",
    latex=r"\hat W, \hat\Psi = \arg\max \sum_i \ln \mathcal N(x_i;\bar x, WW^\top + \Psi)",
    compute=fa_fit,
    errata=(_E80,),
    sheet_says="MLE: μ, W ← log p(μ, W∣S)",
    examples=(
        ("--X '2,2,2;-2,-2,-2;2,0,0;-2,0,0;0,2,0;0,-2,0;0,0,2;0,0,-2' --m 1", "psi=1.0,1.0,1.0 W=[[1.0], [1.0], [1.0]]",
         "S = (uuᵀ + 4I)/4 with u = (2,2,2): exactly WWᵀ + Ψ, W = 1, Ψ = I"),
    ),
    notes="EM starts from the PCA loadings with Ψ = diag(S); each step cannot lower the likelihood. --json adds the "
    "log-likelihood per iteration. With m > 1, W is one maximiser among its rotations WQ.",
)


def pinv_check(W):
    import numpy as np

    loadings = finite_array(W, "--W")
    if loadings.ndim == 1:
        loadings = loadings[:, None]
    gram = loadings.T @ loadings
    pinv = np.linalg.pinv(loadings)
    orthogonal = bool(np.allclose(gram, np.diag(np.diag(gram))))
    orthonormal = bool(np.allclose(gram, np.eye(gram.shape[0])))
    equal = bool(np.allclose(pinv, loadings.T))
    verdict = "W+ = W^T" if equal else "W+ != W^T"
    return Result(value=verdict,
                  steps=[f"columns orthogonal: {orthogonal}; orthonormal (WᵀW = I): {orthonormal}",
                         "σ² → 0: Wᵀ(WWᵀ + σ²I)⁻¹ → W⁺, so μ_(z|x) → W⁺(x − μ) and Σ_(z|x) → 0"],
                  extra={"pinv": rounded(pinv), "orthogonal_columns": orthogonal,
                         "orthonormal_columns": orthonormal, "pinv_equals_transpose": equal})


_E81 = erratum(
    "E81",
    title="PPCA '(if W has orthogonal columns W⁺ = Wᵀ)'",
    sheet="if W has orthogonal columns W⁺ = Wᵀ",
    correct="W⁺ = Wᵀ iff the columns are orthonormal (WᵀW = I)",
    command="dlcalc ppca-limit --W '2,0;0,1;0,0'",
)

formula(
    name="ppca-limit",
    section="19.2",
    catalogue_id="GEN-PPCA-LIM",
    summary="PPCA's σ² → 0 limit uses W⁺: is W⁺ = Wᵀ? (only for orthonormal columns)",
    params=(_W,),
    formula="Wᵀ(WWᵀ + σ²I)⁻¹ → W⁺ as σ² → 0; W⁺ = Wᵀ ⟺ WᵀW = I",
    latex=r"W^\top(WW^\top + \sigma^2 I)^{-1} \to W^+",
    compute=pinv_check,
    errata=(_E81,),
    sheet_says="orthogonal columns ⇒ W⁺ = Wᵀ",
    examples=(
        ("--W '2,0;0,1;0,0'", "W+ != W^T", "orthogonal but not orthonormal"),
        ("--W '1,0;0,1;0,0'", "W+ = W^T"),
    ),
)


# ---- normalising flows -------------------------------------------------------------------------------


def standard_normal_logpdf(z):
    return float(-0.5 * (z @ z) - 0.5 * len(z) * math.log(2 * math.pi))


def flow_logpdf(A, b, x):
    import numpy as np

    matrix = square_array(A, "A")
    shift = np.zeros(matrix.shape[0]) if b == () else np.array(b, dtype=float)
    point = np.array(x, dtype=float)
    if shift.shape != (matrix.shape[0],) or point.shape != shift.shape:
        raise DlcalcError(f"--b and --x need {matrix.shape[0]} values")
    sign, log_det = np.linalg.slogdet(matrix)
    if sign == 0:
        raise DlcalcError("A is singular: x = Az + b is not invertible")
    z = np.linalg.solve(matrix, point - shift)
    value = standard_normal_logpdf(z) - log_det
    return Result(value=rounded(value),
                  steps=["x = f(z) = Az + b, z ~ N(0, I):  ln p_x(x) = ln p_z(f⁻¹(x)) − ln|det ∂f/∂z|",
                         f"z = {vector_text(z)}, ln|det A| = {rounded(log_det)}"],
                  extra={"z": rounded(z), "log_abs_det": rounded(log_det)})


formula(
    name="flow-logpdf",
    section="19.3",
    catalogue_id="GEN-FLOW",
    summary="Log-density of an affine flow x = Az + b, z ~ N(0, I), by the change of variables",
    params=(
        Param("A", MATRIX, "invertible matrix A"),
        Param("x", VECTOR, "point x"),
        Param("b", VECTOR, "shift b (default 0)", default=()),
    ),
    formula="ln p_x(x) = ln p_z(f⁻¹(x)) − ln|det ∂f/∂z|",
    latex=r"\ln p_x(x) = \ln p_z(f^{-1}(x)) - \ln\left|\det \frac{\partial f}{\partial z}\right|",
    compute=flow_logpdf,
    examples=(
        ("--A '2' --x 0", "-1.61208571376", "ln N(0; 0, 4) = −½ln(2π) − ln 2"),
        ("--A '1,0;0,1' --x 0,0", "-1.83787706641", "−ln(2π)"),
    ),
)


def coupling(x, d, s_weights, t_weights):
    import numpy as np

    point = np.array(x, dtype=float)
    D = len(point)
    if not 0 < d < D:
        raise DlcalcError(f"--d must lie between 1 and {D - 1}")
    S, T = finite_array(s_weights, "--s-weights"), finite_array(t_weights, "--t-weights")
    if S.shape != (D - d, d) or T.shape != (D - d, d):
        raise DlcalcError(f"--s-weights and --t-weights must be {D - d}×{d} (s, t: ℝ^{d} → ℝ^{D - d})")
    y = coupling_forward(point, d, S, T)
    log_det = float(np.sum(S @ point[:d]))
    back = coupling_inverse(y, d, S, T)
    return Result(value={"y": rounded(y), "logdet": rounded(log_det)},
                  plain=f"y={vector_text(y)} logdet={rounded(log_det)!r}",
                  steps=["y_(1:d) = x_(1:d);  y_(d+1:D) = x_(d+1:D) ⊙ exp(s(x_(1:d))) + t(x_(1:d))",
                         "the Jacobian is triangular: ln|det J| = Σ_j s_j(x_(1:d))",
                         f"inverse (y − t) ⊙ exp(−s) recovers x to {float(np.max(abs(back - point))):.1g}"],
                  extra={"inverse": rounded(back)})


def coupling_forward(x, d, S, T):
    import numpy as np

    head = x[:d]
    return np.concatenate([head, x[d:] * np.exp(S @ head) + T @ head])


def coupling_inverse(y, d, S, T):
    import numpy as np

    head = y[:d]
    return np.concatenate([head, (y[d:] - T @ head) * np.exp(-(S @ head))])


formula(
    name="coupling",
    section="19.3",
    catalogue_id="GEN-REALNVP",
    summary="RealNVP affine coupling with linear s, t: output y and ln|det J| = Σ s(x_1:d)",
    params=(
        Param("x", VECTOR, "input x ∈ ℝ^D"),
        Param("d", INT, "the first d coordinates pass through", minimum=1),
        Param("s-weights", MATRIX, "s(x_1:d) = S·x_1:d, S is (D−d)×d"),
        Param("t-weights", MATRIX, "t(x_1:d) = T·x_1:d, T is (D−d)×d"),
    ),
    formula="y_{d+1:D} = x_{d+1:D} ⊙ exp(s(x_{1:d})) + t(x_{1:d}); ln|det J| = Σ_j s_j(x_{1:d})",
    latex=r"\ln\lvert\det J\rvert = \sum_j s_j(x_{1:d})",
    compute=coupling,
    examples=(("--x 1,2 --d 1 --s-weights '0.5' --t-weights '1'", "y=1.0,4.2974425414 logdet=0.5",
               "2·e^0.5 + 1"),),
)


# ---- GANs --------------------------------------------------------------------------------------------


def gan_dstar(pdata, pg):
    import numpy as np

    p, q = np.array(pdata, dtype=float), np.array(pg, dtype=float)
    if p.shape != q.shape or np.any(p < 0) or np.any(q < 0) or np.any(p + q == 0):
        raise DlcalcError("--pdata and --pg need the same number of non-negative values, not both 0 anywhere")
    d_star = p / (p + q)
    extra = {}
    steps = ["D*(x) = p_data(x) / (p_data(x) + p_g(x))"]
    if abs(p.sum() - 1) < 1e-9 and abs(q.sum() - 1) < 1e-9:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = float(np.nansum(p * np.log(d_star)) + np.nansum(q * np.log(1 - d_star)))
            m = (p + q) / 2
            jsd = float(0.5 * np.nansum(p * np.log(p / m)) + 0.5 * np.nansum(q * np.log(q / m)))
        extra = {"value_at_optimum": rounded(value), "jsd": rounded(jsd)}
        steps.append(f"C(G) = V(D*, G) = {rounded(value)} = −log 4 + 2·JSD = {rounded(-math.log(4) + 2 * jsd)}")
    return vector_result(d_star, steps=steps, extra=extra)


_E83 = erratum(
    "E83",
    title="GAN optimal discriminator",
    sheet="D*(x) = (exp(𝓛_data(x)/p_data(x)) + p_p(x)) / (p_data(x) + p_p(x))",
    correct="D*(x) = p_data(x)/(p_data(x) + p_g(x)), from argmax_y a ln y + b ln(1 − y) = a/(a + b). The "
    "value −log 4 at p_g = p_data is right: C(G) = −log 4 + 2·JSD(p_data‖p_g)",
    command="dlcalc gan-dstar --pdata 0.3,0.7 --pg 0.2,0.8",
)

formula(
    name="gan-dstar",
    section="19.4",
    catalogue_id="GEN-GAN-DSTAR",
    summary="Optimal GAN discriminator D* = p_data/(p_data + p_g), and C(G) = −log 4 + 2·JSD",
    params=(Param("pdata", VECTOR, "p_data at the points (or a distribution)"),
            Param("pg", VECTOR, "p_g at the same points")),
    formula="D*(x) = p_data(x) / (p_data(x) + p_g(x))",
    latex=r"D^*(x) = \frac{p_{\mathrm{data}}(x)}{p_{\mathrm{data}}(x) + p_g(x)}",
    compute=gan_dstar,
    errata=(_E83,),
    sheet_says="(exp(𝓛_data/p_data) + p_p)/(p_data + p_p)",
    examples=(
        ("--pdata 0.3 --pg 0.2", "0.6"),
        ("--pdata 0.5,0.5 --pg 0.5,0.5", "0.5,0.5", "p_g = p_data: D* = ½, C = −log 4"),
    ),
    notes="When both vectors sum to 1, --json adds C(G) = V(D*, G) and the JSD (nats).",
)


def gan_dstar_statement(candidate="correct"):
    """(derivative at the candidate, 0) for maximising a ln y + b ln(1 − y) over y ∈ (0, 1).

    'correct' is a/(a + b); 'sheet' is the sheet's (exp(l/a) + b)/(a + b) with l = 𝓛_data."""
    import sympy

    a, b, l = sympy.symbols("a b l", positive=True)
    y = sympy.Symbol("y", positive=True)
    objective = a * sympy.log(y) + b * sympy.log(1 - y)
    choice_ = a / (a + b) if candidate == "correct" else (sympy.exp(l / a) + b) / (a + b)
    return sympy.diff(objective, y).subs(y, choice_), sympy.Integer(0)


def prove_gan_dstar(candidate="correct"):
    import sympy

    from dlcalc.core.proof import Proof, prove_equal

    proof = prove_equal(*gan_dstar_statement(candidate), method="first-order condition")
    if not proof.proven:
        return proof
    a, b, y = sympy.symbols("a b y", positive=True)
    curvature = sympy.diff(a * sympy.log(y) + b * sympy.log(1 - y), y, 2)
    concave = sympy.simplify(curvature.subs(y, a / (a + b))).is_negative
    return proof if concave else Proof(False, proof.method, "the stationary point is not a maximum")


formula(
    name="gan-optimal-discriminator",
    section="19.4",
    catalogue_id="GEN-GAN-DSTAR",
    summary="argmax_y a ln y + b ln(1 − y) = a/(a + b), hence D* = p_data/(p_data + p_g)",
    params=(),
    formula="d/dy [a ln y + b ln(1 − y)] = 0 at y = a/(a + b), and the function is concave",
    latex=r"\arg\max_y\, a\ln y + b\ln(1-y) = \frac{a}{a+b}",
    kind="identity",
    prove=prove_gan_dstar,
    errata=(_E83,),
    sheet_says="D* = (exp(𝓛_data/p_data) + p_p)/(p_data + p_p)",
)


def gan_value_statement(claimed="-log 4"):
    """(integrand of V(D*, G) at p_g = p_data, claimed value · p): pointwise, so ∫ gives −log 4."""
    import sympy

    p = sympy.Symbol("p", positive=True)
    d_star = p / (p + p)
    integrand = p * sympy.log(d_star) + p * sympy.log(1 - d_star)
    value = -sympy.log(4) if claimed == "-log 4" else -sympy.log(2)
    return integrand, value * p


def prove_gan_value(claimed="-log 4"):
    from dlcalc.core.proof import prove_equal

    return prove_equal(*gan_value_statement(claimed), method="simplify (pointwise; ∫p = 1)")


def gan_jsd_statement():
    """Pointwise: p ln(p/(p+q)) + q ln(q/(p+q)) = −(p+q) ln 2 + p ln(p/m) + q ln(q/m), m = (p+q)/2.

    Integrated (∫p = ∫q = 1) this is C(G) = −log 4 + 2·JSD(p‖q)."""
    import sympy

    p, q = sympy.symbols("p q", positive=True)
    m = (p + q) / 2
    lhs = p * sympy.log(p / (p + q)) + q * sympy.log(q / (p + q))
    return lhs, -(p + q) * sympy.log(2) + p * sympy.log(p / m) + q * sympy.log(q / m)


formula(
    name="gan-value-at-optimum",
    section="19.4",
    catalogue_id="GEN-GAN-C",
    summary="With D = D* and p_g = p_data the GAN value is −log 4 (the sheet is right here)",
    params=(),
    formula="V(D*, G) = ∫ p ln ½ + p ln ½ = −log 4 when p_g = p_data",
    latex=r"V(D^*, G)\big|_{p_g = p_{\mathrm{data}}} = -\log 4",
    kind="identity",
    prove=prove_gan_value,
)

def prove_gan_jsd():
    from dlcalc.core.proof import prove_equal

    return prove_equal(*gan_jsd_statement(), method="expand_log (pointwise)")


formula(
    name="gan-value-jsd",
    section="19.4",
    catalogue_id="GEN-GAN-C",
    summary="C(G) = V(D*, G) = −log 4 + 2·JSD(p_data‖p_g), proven pointwise",
    params=(),
    formula="p ln(p/(p+q)) + q ln(q/(p+q)) = −(p+q) ln 2 + p ln(p/m) + q ln(q/m), m = (p+q)/2",
    latex=r"C(G) = -\log 4 + 2\,\mathrm{JSD}(p_{\mathrm{data}}\|p_g)",
    kind="identity",
    prove=prove_gan_jsd,
)


# ---- DDPM --------------------------------------------------------------------------------------------


def linear_betas(T, beta_start, beta_end):
    import numpy as np

    return np.linspace(beta_start, beta_end, T)


def cosine_alpha_bars(T, s):
    """Nichol & Dhariwal 2021: ᾱ_t = f(t)/f(0), f(t) = cos²(((t/T + s)/(1 + s))·π/2), t = 0..T."""
    import numpy as np

    steps = np.arange(T + 1) / T
    f = np.cos((steps + s) / (1 + s) * np.pi / 2) ** 2
    return f / f[0]


def noise_schedule(kind, T, beta_start, beta_end, s):
    """β_1..β_T and ᾱ_0..ᾱ_T (ᾱ_0 = 1) as arrays."""
    import numpy as np

    if kind == "linear":
        betas = linear_betas(T, beta_start, beta_end)
    else:
        alpha_bars = cosine_alpha_bars(T, s)
        betas = np.minimum(1 - alpha_bars[1:] / alpha_bars[:-1], 0.999)  # clipped as in the paper
    return betas, np.concatenate([[1.0], np.cumprod(1 - betas)])


def schedule_at(schedule, T, t, beta_start, beta_end, s):
    """(β_t, ᾱ_t, ᾱ_{t−1}) of the chosen schedule at step t (1 ≤ t ≤ T)."""
    if t > T:
        raise DlcalcError(f"--t must be at most --T {T}")
    betas, alpha_bars = noise_schedule(schedule, T, beta_start, beta_end, s)
    return float(betas[t - 1]), float(alpha_bars[t]), float(alpha_bars[t - 1])


def posterior_terms(beta, alpha_bar, previous):
    """q(x_{t−1} | x_t, x₀) = N(c₀·x₀ + c_t·x_t, β̃): (c₀, c_t, β̃) from β_t, ᾱ_t and ᾱ_{t−1}."""
    alpha = 1 - beta
    return (math.sqrt(previous) * beta / (1 - alpha_bar), math.sqrt(alpha) * (1 - previous) / (1 - alpha_bar),
            (1 - previous) * beta / (1 - alpha_bar))


def ddpm_schedule(schedule, T, t, beta_start, beta_end, s):
    beta, alpha_bar, previous = schedule_at(schedule, T, t, beta_start, beta_end, s)
    alpha = 1 - beta
    value = {"beta": rounded(beta), "alpha": rounded(alpha), "alpha_bar": rounded(alpha_bar),
             "snr": rounded(alpha_bar / (1 - alpha_bar))}
    posterior = dict(zip(("coef_x0", "coef_xt", "variance"), rounded(posterior_terms(beta, alpha_bar, previous))))
    return Result(
        value=value,
        steps=[f"α_t = 1 − β_t; ᾱ_t = Π_(i=1..{t}) α_i = {rounded(alpha_bar)}",
               f"x_t = √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε = {rounded(math.sqrt(alpha_bar))}·x₀ + "
               f"{rounded(math.sqrt(1 - alpha_bar))}·ε",
               f"posterior q(x_(t−1)|x_t, x₀): mean {posterior['coef_x0']}·x₀ + {posterior['coef_xt']}·x_t, "
               f"variance β̃ = {posterior['variance']}"],
        extra={"mean_coef": rounded(math.sqrt(alpha_bar)), "std": rounded(math.sqrt(1 - alpha_bar)),
               "posterior": posterior},
    )


_SCHEDULE = (
    Param("schedule", choice("linear", "cosine"), "linear (Ho et al.) or cosine (Nichol & Dhariwal)",
          default="linear"),
    Param("T", INT, "number of steps", default=1000, minimum=1),
    Param("t", INT, "step t (1..T)", minimum=1),
    Param("beta-start", FLOAT, "linear: β_1", default=1e-4),
    Param("beta-end", FLOAT, "linear: β_T", default=0.02),
    Param("s", FLOAT, "cosine: offset s", default=0.008, minimum=0),
)
_SCHEDULE_RULES = (
    Rule(broken=lambda beta_start, beta_end, **_: (beta_start <= 0) | (beta_end >= 1) | (beta_start > beta_end),
         says=lambda beta_start, beta_end, **_: f"need 0 < beta-start ≤ beta-end < 1, got {beta_start}, {beta_end}"),
)

_E84 = erratum(
    "E84",
    title="DDPM ᾱ_t index range",
    sheet="ᾱ_t = Π α_i",
    correct="ᾱ_t = Π_{i=1}^{t} α_i; the closed form x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε is exact",
    command="dlcalc ddpm-schedule --t 1000",
)

formula(
    name="ddpm-schedule",
    section="19.5",
    catalogue_id="GEN-DDPM-CF",
    summary="DDPM noise schedule at step t: β_t, α_t, ᾱ_t = Π_{i≤t} α_i, SNR, closed-form x_t and posterior",
    params=_SCHEDULE,
    formula="α_t = 1 − β_t, ᾱ_t = Π_{i=1}^{t} α_i, x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε, SNR = ᾱ_t/(1 − ᾱ_t)",
    latex=r"\bar\alpha_t = \prod_{i=1}^{t}\alpha_i,\ x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon",
    compute=ddpm_schedule,
    rules=_SCHEDULE_RULES,
    errata=(_E84,),
    examples=(
        ("--t 1", "beta=0.0001 alpha=0.9999 alpha_bar=0.9999 snr=9999.0"),
        ("--T 2 --t 2 --beta-start 0.1 --beta-end 0.5", "beta=0.5 alpha=0.5 alpha_bar=0.45 snr=0.818181818182",
         "0.9·0.5; 0.45/0.55"),
    ),
)


def ddpm_closed_form_statement(steps=3, variant="correct"):
    """(lhs, rhs) pairs for composing x_t = √α_t x_{t−1} + √β_t ε_t, β_t = 1 − α_t, from x₀:
    the mean coefficient and the variance after `steps` steps, against √ᾱ and 1 − ᾱ.

    variant 'short-product' uses ᾱ = Π_{i=1}^{t−1} α_i (a wrong index range) and must be refuted."""
    import sympy

    alphas = sympy.symbols(f"alpha1:{steps + 1}", positive=True)
    mean, variance = sympy.Integer(1), sympy.Integer(0)
    for a in alphas:  # independent Gaussian noise: variances add
        mean, variance = sympy.sqrt(a) * mean, a * variance + (1 - a)
    included = alphas if variant == "correct" else alphas[:-1]
    alpha_bar = sympy.Mul(*included)
    return (mean, sympy.sqrt(alpha_bar)), (variance, 1 - alpha_bar)


def prove_ddpm_closed_form(steps=3, variant="correct"):
    from dlcalc.core.proof import Proof, prove_equal

    (mean, mean_claim), (variance, variance_claim) = ddpm_closed_form_statement(steps, variant)
    for what, lhs, rhs in (("mean", mean, mean_claim), ("variance", variance, variance_claim)):
        proof = prove_equal(lhs, rhs, method="composition of Gaussian steps",
                            sampler=lambda symbol, rng: rng.uniform(0.01, 0.99))
        if not proof.proven:
            return Proof(False, proof.method, f"{what}: {proof.detail}")
    return Proof(True, proof.method, f"after {steps} steps: mean √ᾱ x₀, variance 1 − ᾱ")


formula(
    name="ddpm-closed-form",
    section="19.5",
    catalogue_id="GEN-DDPM-CF",
    summary="Composing q(x_t∣x_{t−1}) gives x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε with ᾱ_t = Π_{i=1}^{t} α_i",
    params=(),
    formula="mean coefficient Π√α_i = √ᾱ_t; variance α_t·v_{t−1} + β_t = 1 − ᾱ_t",
    latex=r"x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon",
    kind="identity",
    prove=prove_ddpm_closed_form,
    errata=(_E84,),
)


def _paired_vectors(first, second, names):
    """Two VECTOR values of the same length as float arrays, or an error naming both options."""
    import numpy as np

    a, b = np.array(first, dtype=float), np.array(second, dtype=float)
    if a.shape != b.shape:
        raise DlcalcError(f"{names} need the same number of values, got {a.size} and {b.size}")
    return a, b


def _gaussian_text(mean, variance):
    return f"mean={vector_text(mean)} variance={rounded(variance)!r}"


def ddpm_posterior(schedule, T, t, beta_start, beta_end, s, x0, xt):
    start, current = _paired_vectors(x0, xt, "--x0 and --xt")
    coef_x0, coef_xt, variance = posterior_terms(*schedule_at(schedule, T, t, beta_start, beta_end, s))
    mean = coef_x0 * start + coef_xt * current
    return Result(value={"mean": rounded(mean), "variance": rounded(variance)},
                  plain=_gaussian_text(mean, variance),
                  steps=["μ̃ = √ᾱ_(t−1)·β_t/(1 − ᾱ_t)·x₀ + √α_t·(1 − ᾱ_(t−1))/(1 − ᾱ_t)·x_t, "
                         "β̃ = (1 − ᾱ_(t−1))·β_t/(1 − ᾱ_t)",
                         f"μ̃ = {rounded(coef_x0)}·x₀ + {rounded(coef_xt)}·x_t"],
                  extra={"coef_x0": rounded(coef_x0), "coef_xt": rounded(coef_xt)})


formula(
    name="ddpm-posterior",
    section="19.5",
    catalogue_id="GEN-DDPM-POST",
    summary="DDPM forward posterior q(x_{t−1}∣x_t, x₀) = N(μ̃, β̃I) for a schedule at step t",
    params=_SCHEDULE + (Param("x0", VECTOR, "clean sample x₀"), Param("xt", VECTOR, "noisy sample x_t")),
    formula="μ̃ = √ᾱ_{t−1}β_t/(1−ᾱ_t)·x₀ + √α_t(1−ᾱ_{t−1})/(1−ᾱ_t)·x_t,  β̃ = (1−ᾱ_{t−1})β_t/(1−ᾱ_t)",
    latex=r"\tilde\mu = \frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1-\bar\alpha_t}x_0 + "
    r"\frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}x_t,\ "
    r"\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t",
    compute=ddpm_posterior,
    rules=_SCHEDULE_RULES,
    examples=(
        ("--T 2 --t 2 --beta-start 0.1 --beta-end 0.5 --x0 1 --xt 0", "mean=0.862439361864 variance=0.0909090909091",
         "ᾱ₁ = 0.9, ᾱ₂ = 0.45: √0.9·0.5/0.55 and 0.1·0.5/0.55"),
        ("--t 1 --x0 1,2 --xt 5,5", "mean=1.0,2.0 variance=0.0", "ᾱ₀ = 1: at t = 1 the posterior is x₀ itself"),
    ),
)


def ddpm_forward(schedule, T, t, beta_start, beta_end, s, x_prev, xt):
    previous = finite_array(x_prev, "--x-prev")
    beta = schedule_at(schedule, T, t, beta_start, beta_end, s)[0]
    mean = math.sqrt(1 - beta) * previous
    value, plain = {"mean": rounded(mean), "variance": rounded(beta)}, _gaussian_text(mean, beta)
    steps = [f"q(x_t∣x_(t−1)) = N(√(1 − β_t)·x_(t−1), β_t I) with β_{t} = {rounded(beta)}",
             "Var x_t = (1 − β_t)·Var x_(t−1) + β_t: a unit variance stays 1"]
    if xt != ():
        current, _ = _paired_vectors(xt, x_prev, "--xt and --x-prev")
        log_density = float(-0.5 * ((current - mean) ** 2).sum() / beta - 0.5 * current.size * math.log(2 * math.pi * beta))
        value["logpdf"], plain = rounded(log_density), plain + f" logpdf={rounded(log_density)!r}"
        steps.append(f"ln q(x_t∣x_(t−1)) = −‖x_t − √(1 − β_t)x_(t−1)‖²/(2β_t) − (d/2)·ln(2πβ_t) = {rounded(log_density)}")
    return Result(value=value, plain=plain, steps=steps)


formula(
    name="ddpm-forward",
    section="19.5",
    catalogue_id="GEN-DDPM-FWD",
    summary="One DDPM noising step q(x_t∣x_{t−1}) = N(√(1 − β_t)x_{t−1}, β_t I), and its log-density at x_t",
    params=_SCHEDULE + (Param("x-prev", VECTOR, "the previous sample x_{t−1}"),
                        Param("xt", VECTOR, "evaluate ln q(x_t∣x_{t−1}) at this x_t", default=())),
    formula="q(x_t∣x_{t−1}) = N(√(1 − β_t)·x_{t−1}, β_t I)",
    latex=r"q(x_t\mid x_{t-1}) = \mathcal N\big(\sqrt{1-\beta_t}\,x_{t-1},\ \beta_t I\big)",
    compute=ddpm_forward,
    rules=_SCHEDULE_RULES,
    examples=(
        ("--T 2 --t 2 --beta-start 0.1 --beta-end 0.5 --x-prev 2", "mean=1.41421356237 variance=0.5", "√0.5·2"),
        ("--T 2 --t 2 --beta-start 0.1 --beta-end 0.5 --x-prev 0 --xt 0",
         "mean=0.0 variance=0.5 logpdf=-0.572364942925", "−½ ln(2π·0.5) = −½ ln π"),
    ),
)


def ddpm_reverse(schedule, T, t, beta_start, beta_end, s, xt, eps_pred, z, sigma):
    current, predicted = _paired_vectors(xt, eps_pred, "--xt and --eps-pred")
    beta, alpha_bar, previous = schedule_at(schedule, T, t, beta_start, beta_end, s)
    mean = (current - beta / math.sqrt(1 - alpha_bar) * predicted) / math.sqrt(1 - beta)
    variance = beta if sigma == "beta" else posterior_terms(beta, alpha_bar, previous)[2]
    x0_hat = (current - math.sqrt(1 - alpha_bar) * predicted) / math.sqrt(alpha_bar)
    value, plain = {"mean": rounded(mean), "variance": rounded(variance)}, _gaussian_text(mean, variance)
    if z != ():
        noise, _ = _paired_vectors(z, xt, "--z and --xt")
        sample = mean + math.sqrt(variance) * noise
        value["sample"], plain = rounded(sample), plain + f" sample={vector_text(sample)}"
    return Result(value=value, plain=plain,
                  steps=["μ_θ(x_t, t) = (x_t − β_t/√(1 − ᾱ_t)·ε_θ)/√α_t;  x_(t−1) = μ_θ + σ_t z",
                         f"σ_t² = {'β_t' if sigma == 'beta' else 'β̃_t'} = {rounded(variance)}",
                         f"the implied x̂₀ = (x_t − √(1 − ᾱ_t)ε_θ)/√ᾱ_t = {vector_text(x0_hat)}"],
                  extra={"x0_hat": rounded(x0_hat)})


formula(
    name="ddpm-reverse",
    section="19.5",
    catalogue_id="GEN-DDPM-REV",
    summary="DDPM reverse step p_θ(x_{t−1}∣x_t) = N(μ_θ, σ_t²I) from a noise prediction ε_θ (and a sample)",
    params=_SCHEDULE + (
        Param("xt", VECTOR, "noisy sample x_t"),
        Param("eps-pred", VECTOR, "the network's noise prediction ε_θ(x_t, t)"),
        Param("z", VECTOR, "a standard normal draw z: also print the sample x_{t−1} = μ_θ + σ_t z", default=()),
        Param("sigma", choice("beta", "posterior"), "σ_t² = β_t or the posterior variance β̃_t", default="beta"),
    ),
    formula="μ_θ = (x_t − β_t/√(1−ᾱ_t)·ε_θ)/√α_t,  x_{t−1} = μ_θ + σ_t z,  σ_t² ∈ {β_t, β̃_t}",
    latex=r"\mu_\theta = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}"
    r"\epsilon_\theta\Big),\ x_{t-1} = \mu_\theta + \sigma_t z",
    compute=ddpm_reverse,
    rules=_SCHEDULE_RULES,
    examples=(
        ("--T 2 --t 2 --beta-start 0.1 --beta-end 0.5 --xt 1 --eps-pred 0", "mean=1.41421356237 variance=0.5",
         "ε_θ = 0: x_t/√α_t = √2"),
        ("--T 1 --t 1 --beta-start 0.36 --beta-end 0.36 --xt 1 --eps-pred 1 --z 1",
         "mean=0.5 variance=0.36 sample=1.1", "(1 − 0.36/0.6)/0.8 = 0.5; + 0.6·1"),
    ),
    notes="Ho et al.'s sampler (Algorithm 2) uses z = 0 at t = 1. With ε_θ the true noise, μ_θ equals the "
    "posterior mean of `ddpm-posterior` (`dlcalc verify ddpm-eps-mean`).",
)


def ddpm_loss(eps, eps_pred):
    import numpy as np

    noise, predicted = finite_array(eps, "--eps"), finite_array(eps_pred, "--eps-pred")
    if noise.shape != predicted.shape:
        raise DlcalcError(f"--eps and --eps-pred must have the same shape, got {noise.shape} and {predicted.shape}")
    per_sample = np.sum((noise - predicted) ** 2, axis=1)
    return Result(value=rounded(float(per_sample.mean())),
                  steps=["L_simple = (1/N) Σ_n ‖ε_n − ε_θ(√ᾱ_t x₀ + √(1 − ᾱ_t) ε_n, t_n)‖² (one row per draw)",
                         f"per draw: {vector_text(per_sample)}"],
                  extra={"per_sample": rounded(per_sample),
                         "mse_per_element": rounded(float(per_sample.mean()) / noise.shape[1])})


formula(
    name="ddpm-loss",
    section="19.5",
    catalogue_id="GEN-DDPM-LOSS",
    summary="DDPM simple loss L_simple: mean over draws of ‖ε − ε_θ‖² (one row per draw of t, x₀, ε)",
    params=(
        Param("eps", MATRIX, "the noise ε drawn for each sample (one row per draw)"),
        Param("eps-pred", MATRIX, "the network's predictions ε_θ(x_t, t), same shape"),
    ),
    formula="L_simple = E_{t,x₀,ε} ‖ε − ε_θ(√ᾱ_t x₀ + √(1−ᾱ_t) ε, t)‖²",
    latex=r"L_{\mathrm{simple}} = \mathbb E_{t,x_0,\epsilon}\big\|\epsilon - "
    r"\epsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon, t)\big\|^2",
    compute=ddpm_loss,
    examples=(
        ("--eps '1,0;0,1' --eps-pred '0.5,0;0,0'", "0.625", "(0.25 + 1)/2"),
    ),
    notes="--json adds the per-element mean (what torch.nn.functional.mse_loss returns), L_simple / D.",
)


# ---- bits per dimension --------------------------------------------------------------------------------


def bits_per_dim(nll, dims, base):
    nats = nll if base == "e" else nll * math.log(2)
    return nats / (dims * math.log(2))


formula(
    name="bits-per-dim",
    section="19.6",
    catalogue_id="AR-BPD",
    summary="Bits per dimension from a negative log-likelihood: NLL / (D · ln 2)",
    params=(
        Param("nll", FLOAT, "negative log-likelihood of one sample (in --base)", minimum=0),
        Param("dims", INT, "dimensions D (e.g. 32·32·3 = 3072)", minimum=1),
        Param("base", choice("e", "2"), "unit of --nll: nats (e) or bits (2)", default="e"),
    ),
    formula="bits/dim = NLL_nats / (D ln 2)",
    latex=r"\mathrm{bpd} = \frac{\mathrm{NLL}}{D\ln 2}",
    compute=lambda nll, dims, base: bits_per_dim(nll, dims, base),
    present=rounded,
    examples=(
        ("--nll 6144 --dims 3072 --base 2", "2.0"),
        ("--nll 2129.3 --dims 3072", "0.999977392762", "≈ 1 bit per dimension"),
    ),
)


# ---- autoregressive models: MADE masks and masked convolutions -------------------------------------------


def made_masks(input_degrees, hidden_degrees, strict_output=True):
    """MADE's masks (Germain et al. 2015), each shaped (units out × units in): a hidden unit of degree m
    sees units of degree ≤ m; output d (degree m_d) sees hidden units of degree < m_d.
    strict_output=False uses ≤ for the outputs too, which breaks the autoregressive property."""
    import numpy as np

    degrees = [np.array(input_degrees)] + [np.array(h) for h in hidden_degrees]
    masks = [(after[:, None] >= before[None, :]).astype(int) for before, after in zip(degrees, degrees[1:])]
    last, outputs = degrees[-1], degrees[0]
    masks.append((outputs[:, None] > last[None, :] if strict_output else outputs[:, None] >= last[None, :]).astype(int))
    return masks


def mask_connectivity(masks):
    """Number of paths from input j to output i through the masked layers: the product of the masks."""

    paths = masks[0]
    for mask in masks[1:]:
        paths = mask @ paths
    return paths


def made(order, hidden):
    import numpy as np

    D = len(order)
    degrees = [int(v) for v in order]
    if sorted(degrees) != list(range(1, D + 1)) or any(v != int(v) for v in order):
        raise DlcalcError(f"--order must be a permutation of 1..{D} (the input degrees)")
    layers = [[int(v) for v in h] for h in hidden]
    if any(v != int(v) or not 1 <= v <= D - 1 for h in hidden for v in h):
        raise DlcalcError(f"--hidden degrees must be whole numbers from 1 to {D - 1}")
    masks = made_masks(degrees, layers)
    connected = (mask_connectivity(masks) > 0).astype(int)
    allowed = (np.array(degrees)[:, None] > np.array(degrees)[None, :]).astype(int)
    autoregressive = bool(np.all(connected <= allowed))
    return Result(value=rounded(connected), plain=matrix_text(connected),
                  steps=["hidden: M[k, j] = 1 iff m(k) ≥ m(j);  output: M[d, k] = 1 iff m_d > m(k)",
                         "row i, column j: does output i depend on input j? (it may only if m_j < m_i)",
                         f"autoregressive: {autoregressive}; {int(connected.sum())} of {int(allowed.sum())} allowed "
                         "dependencies are realised"],
                  extra={"masks": [rounded(m) for m in masks], "autoregressive": autoregressive,
                         "complete": bool(np.array_equal(connected, allowed))})


formula(
    name="made",
    section="19.6",
    catalogue_id="AR-MADE",
    summary="MADE masks from input and hidden degrees; prints which output depends on which input",
    params=(
        Param("order", VECTOR, "degree of each input (a permutation of 1..D; 1,2,…,D is the natural order)"),
        Param("hidden", VECTOR, "degrees of one hidden layer's units (1..D−1); repeat for deeper nets",
              multiple=True),
    ),
    formula="M^{hidden}_{kj} = [m(k) ≥ m(j)],  M^{out}_{dk} = [m_d > m(k)]  ⇒  ∂ŷ_i/∂x_j = 0 unless m_j < m_i",
    latex=r"M^{\mathrm{out}}_{dk} = [m_d > m(k)],\ M_{kj} = [m(k) \ge m(j)]",
    compute=made,
    examples=(
        ("--order 1,2,3 --hidden 1,2,1,2", "[[0, 0, 0], [1, 0, 0], [1, 1, 0]]", "strictly lower triangular"),
        ("--order 3,1,2 --hidden 1,2", "[[0, 1, 1], [0, 0, 0], [0, 1, 0]]", "x₂ first, then x₃, then x₁"),
    ),
    notes="--json adds the masks (one per layer, units out × units in) and whether every allowed dependency is "
    "realised.",
)


_MASK_TAPS = {  # (taps kept of a kernel of size k, offset of the newest tap) along the sequence
    "causal": (lambda k: k, 0),  # WaveNet: k taps ending at the current position
    "b": (lambda k: (k + 1) // 2, 0),  # PixelCNN mask B: the past half and the centre
    "a": (lambda k: (k - 1) // 2, 1),  # mask A: the past half only (the first layer)
}


def masked_receptive_field(layers, first):
    from dlcalc.catalogue.cnn import parse_layers, receptive_field_axis

    parsed = parse_layers(" ; ".join(layers))
    causal = []
    for number, layer in enumerate(parsed):
        if len(layer["k"]) != 1 or len(layer["d"]) != 1 or layer["s"] != (1,) or layer["p"] != ((0, 0),):
            raise DlcalcError(f"layer {number + 1}: a masked 1-D convolution takes one k and d (stride 1, no p)")
        kind = first if number == 0 else ("causal" if first == "causal" else "b")
        if kind != "causal" and layer["k"][0] % 2 == 0:
            raise DlcalcError(f"layer {number + 1}: masks A and B need an odd (centred) kernel, got k={layer['k'][0]}")
        taps, _ = _MASK_TAPS[kind]
        if taps(layer["k"][0]) < 1:
            raise DlcalcError(f"layer {number + 1}: mask A of a kernel of size 1 keeps no taps")
        causal.append({"k": taps(layer["k"][0]), "s": 1, "d": layer["d"][0], "p": (0, 0)})
    row = receptive_field_axis(causal)[-1]
    newest = -_MASK_TAPS[first][1] * parsed[0]["d"][0]
    oldest = newest - (row["r"] - 1)
    return Result(value={"size": row["r"], "from": oldest, "to": newest},
                  plain=f"size={row['r']} from={oldest} to={newest}",
                  steps=[f"each masked layer is a causal conv: {', '.join(str(c['k']) for c in causal)} taps "
                         "(mask B: (k+1)/2, mask A: (k−1)/2 and one step back, causal: k)",
                         f"receptive-field of those causal kernels: r = {row['r']}; the output at t sees "
                         f"t{oldest:+d} … t{newest:+d}" + (" (never x_t itself)" if newest < 0 else "")],
                  extra={"nonzero": row["nonzero"], "causal_kernels": [c["k"] for c in causal]})


formula(
    name="masked-receptive-field",
    section="19.6",
    catalogue_id="AR-MASKED-RF",
    summary="Receptive field of a stack of masked (causal) 1-D convolutions: which past positions an output sees",
    params=(
        Param("layers", TEXT, "layers separated by ';', each k=KERNEL[,d=DILATION] (stride 1, no padding)",
              aliases=("layer",), multiple=True),
        Param("first", choice("causal", "a", "b"), "mask of the first layer: causal (WaveNet), a (PixelCNN's mask A, "
              "excludes x_t) or b (mask B); later layers use B (or causal)", default="causal"),
    ),
    formula="mask B keeps (k+1)/2 taps, A keeps (k−1)/2 and shifts by one step; then r_l = r_{l−1} + (k_l − 1)·d_l",
    latex=r"r_l = r_{l-1} + (k_l^{\mathrm{causal}} - 1)\,d_l",
    compute=masked_receptive_field,
    examples=(
        ("--layers 'k=2,d=1; k=2,d=2; k=2,d=4; k=2,d=8'", "size=16 from=-15 to=0", "WaveNet: 2^L past positions"),
        ("--layers 'k=3; k=3; k=3' --first a", "size=3 from=-3 to=-1",
         "PixelCNN 1-D: A keeps 1 tap one step back, B keeps 2: 1 + 1 + 1"),
    ),
    notes="Uses receptive-field's recursion on the kept taps. --json adds nonzero (holes from dilation).",
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


def elbo_gap_statement(variant="correct"):
    """(ln p(x) − ELBO, KL(q ‖ p(z∣x))) by integration over z for the toy model; variant 'prior'
    claims the gap is KL(q ‖ p(z)) instead, which is wrong."""
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
    target = log_normal(z, x / 2, sympy.Rational(1, 2)) if variant == "correct" else log_normal(z, 0, 1)
    return log_normal(x, 0, 2) - elbo, expect(log_q - target)


def prove_elbo_gap(variant="correct"):
    from dlcalc.core.proof import prove_equal

    return prove_equal(*elbo_gap_statement(variant), method="integrate", points=6)


formula(
    name="elbo-gap",
    section="19.1",
    catalogue_id="GEN-ELBO",
    summary="ln p(x) − ELBO = KL(q(z∣x) ‖ p(z∣x)), proven on the Gaussian toy model by integration",
    params=(),
    formula="ln p(x) − (E_q[ln p(x, z)] − E_q[ln q]) = E_q[ln q − ln p(z∣x)]",
    latex=r"\ln p(x) - \mathrm{ELBO}(q) = \mathrm{KL}(q \,\|\, p(z\mid x))",
    kind="identity",
    prove=prove_elbo_gap,
)


def gan_value(pdata, pg, D):
    import numpy as np

    p, q, d = (np.array(v, dtype=float) for v in (pdata, pg, D))
    if not (p.shape == q.shape == d.shape) or np.any((d <= 0) | (d >= 1)):
        raise DlcalcError("--pdata, --pg and --D need one value per point, with 0 < D < 1")
    value = float(p @ np.log(d) + q @ np.log(1 - d))
    non_saturating = float(-(q @ np.log(d)))
    return Result(value=rounded(value),
                  steps=["V(D, G) = E_{p_data}[log D] + E_{p_g}[log(1 − D)]",
                         f"generator losses: saturating E_{{p_g}}[log(1 − D)] = {rounded(float(q @ np.log(1 - d)))}, "
                         f"non-saturating −E_{{p_g}}[log D] = {rounded(non_saturating)}"],
                  extra={"non_saturating_loss": rounded(non_saturating)})


formula(
    name="gan-value",
    section="19.4",
    catalogue_id="GEN-GAN-V",
    summary="GAN value V(D, G) for a given discriminator on a discrete space (and the non-saturating loss)",
    params=(
        Param("pdata", VECTOR, "p_data (a distribution)"),
        Param("pg", VECTOR, "p_g (a distribution)"),
        Param("D", VECTOR, "discriminator outputs D(x) ∈ (0, 1)"),
    ),
    formula="V(D, G) = Σ_x p_data(x) log D(x) + Σ_x p_g(x) log(1 − D(x))",
    latex=r"V(D,G) = \mathbb E_{p_{\mathrm{data}}}[\log D] + \mathbb E_{p_g}[\log(1-D)]",
    compute=gan_value,
    examples=(("--pdata 0.5,0.5 --pg 0.5,0.5 --D 0.5,0.5", "-1.38629436112", "−log 4"),),
)


def gan_generator_loss(D, form):
    import numpy as np

    d = np.array(D, dtype=float)
    if np.any((d <= 0) | (d >= 1)):
        raise DlcalcError("--D: discriminator outputs must lie strictly between 0 and 1")
    if form == "non-saturating":
        loss, logit_gradient, text = float(-np.mean(np.log(d))), -(1 - d), "−(1/N) Σ ln D(G(z_i)); ∂/∂a_i = −(1 − D_i)"
    else:
        loss, logit_gradient, text = float(np.mean(np.log(1 - d))), -d, "(1/N) Σ ln(1 − D(G(z_i))); ∂/∂a_i = −D_i"
    return Result(value=rounded(loss),
                  steps=[f"{form} generator loss {text} (a_i = the discriminator's logit, D_i = σ(a_i))",
                         "early in training D(G(z)) ≈ 0: the saturating gradient −D_i vanishes, the "
                         "non-saturating −(1 − D_i) does not"],
                  extra={"logit_gradient": rounded(logit_gradient)})


formula(
    name="gan-generator-loss",
    section="19.4",
    catalogue_id="GEN-GAN-NS",
    summary="GAN generator loss on a batch of D(G(z_i)): non-saturating −E log D, or saturating E log(1 − D)",
    params=(
        Param("D", VECTOR, "discriminator outputs D(G(z_i)) ∈ (0, 1) on generated samples"),
        Param("form", choice("non-saturating", "saturating"), "which generator loss (both are minimised)",
              default="non-saturating"),
    ),
    formula="non-saturating: −E_z[log D(G(z))];  saturating (minimax): E_z[log(1 − D(G(z)))]",
    latex=r"\mathcal L_G^{\mathrm{NS}} = -\mathbb E_z[\log D(G(z))]",
    compute=gan_generator_loss,
    examples=(
        ("--D 0.5,0.5", "0.69314718056", "ln 2"),
        ("--D 0.1 --form saturating", "-0.105360515658", "ln 0.9"),
    ),
    notes="--json adds the gradient of each sample's loss with respect to the discriminator's logit.",
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


def ddpm_eps_statement(variant="correct"):
    """(μ̃(x_t, x₀) with x₀ = (x_t − √(1−ᾱ_t) ε)/√ᾱ_t, the ε-form (x_t − β_t/√(1−ᾱ_t)·ε)/√α_t).

    ᾱ_t = α_t·ᾱ_{t−1}. Variant 'no-sqrt' drops the square root on α_t in the ε-form (refuted)."""
    import sympy

    a, abar_prev = sympy.symbols("alpha abar_prev", positive=True)
    xt, eps = sympy.symbols("x_t epsilon", real=True)
    abar, beta = a * abar_prev, 1 - a
    x0 = (xt - sympy.sqrt(1 - abar) * eps) / sympy.sqrt(abar)
    posterior_mean = sympy.sqrt(abar_prev) * beta / (1 - abar) * x0 + sympy.sqrt(a) * (1 - abar_prev) / (1 - abar) * xt
    scale = sympy.sqrt(a) if variant == "correct" else a
    return posterior_mean, (xt - beta / sympy.sqrt(1 - abar) * eps) / scale


def prove_ddpm_eps(variant="correct"):
    from dlcalc.core.proof import prove_equal

    return prove_equal(*ddpm_eps_statement(variant), method="simplify",
                       sampler=lambda symbol, rng: rng.uniform(0.05, 0.95) if symbol.is_positive else rng.uniform(-2, 2))


formula(
    name="ddpm-eps-mean",
    section="19.5",
    catalogue_id="GEN-DDPM-EPS",
    summary="DDPM posterior mean in the ε-parameterisation: μ̃ = (x_t − β_t/√(1−ᾱ_t)·ε)/√α_t",
    params=(),
    formula="μ̃(x_t, x₀(x_t, ε)) = (x_t − β_t/√(1 − ᾱ_t)·ε)/√α_t",
    latex=r"\tilde\mu = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon\Big)",
    kind="identity",
    prove=prove_ddpm_eps,
)


def fa_rotation_statement(variant="orthogonal"):
    """((WQ)(WQ)ᵀ, WWᵀ) for a 3×2 W and a 2×2 rotation Q(θ); variant 'scaled' uses 2Q (not orthogonal)."""
    import sympy

    theta = sympy.Symbol("theta", real=True)
    W = sympy.Matrix(3, 2, lambda i, j: sympy.Symbol(f"w{i}{j}"))
    Q = sympy.Matrix([[sympy.cos(theta), -sympy.sin(theta)], [sympy.sin(theta), sympy.cos(theta)]])
    if variant == "scaled":
        Q = 2 * Q
    return (W * Q) * (W * Q).T, W * W.T


def prove_fa_rotation(variant="orthogonal"):
    from dlcalc.core.proof import prove_matrices_equal

    lhs, rhs = fa_rotation_statement(variant)
    return prove_matrices_equal(lhs.applyfunc(lambda e: e.expand()), rhs, method="trigsimp")


formula(
    name="fa-rotation",
    section="19.2",
    catalogue_id="GEN-FA-ROT",
    summary="Factor loadings are identifiable only up to rotation: (WQ)(WQ)ᵀ = WWᵀ for orthogonal Q",
    params=(),
    formula="QQᵀ = I ⇒ (WQ)(WQ)ᵀ = WWᵀ",
    latex=r"(WQ)(WQ)^\top = WW^\top",
    kind="identity",
    prove=prove_fa_rotation,
)
