"""Generative models, factor analysis and PPCA (sheet §19.2): marginal and posterior, maximum
likelihood (PPCA in closed form, factor analysis by EM), the σ² → 0 limit, rotation invariance.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import finite_array, matrix_result, matrix_text, rounded, vector_text
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLAG, FLOAT, INT, MATRIX, VECTOR, Param, Rule, erratum, formula, identity
from dlcalc.core.result import Result


# ---- factor analysis and PPCA ------------------------------------------------------------------------


MAX_DIMENSION = 2000  # n×n covariances are formed, inverted and decomposed: 4e6 entries, about a second


def dimension_checked(size, what):
    if size > MAX_DIMENSION:
        raise DlcalcError(f"{what} is {size:,}: at most {MAX_DIMENSION:,} (an n×n matrix is formed)")
    return size


def loadings_array(W):
    """--W as an n×m array (a column for m = 1), both sizes bounded."""
    loadings = finite_array(W, "--W")
    if loadings.ndim == 1:
        loadings = loadings[:, None]
    dimension_checked(loadings.shape[0], "the number of rows of --W (observed dimensions)")
    dimension_checked(loadings.shape[1], "the number of columns of --W (latent dimensions)")
    return loadings


def _fa_inputs(W, psi, mu):
    import numpy as np

    loadings = loadings_array(W)
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


def sample_covariance(data):
    """The sample covariance with 1/s (the MLE's), or an error where its entries overflow (|x| ≳ 1e154)."""
    import numpy as np

    with np.errstate(over="ignore", invalid="ignore"):
        covariance = np.cov(data, rowvar=False, bias=True)
    if not np.all(np.isfinite(covariance)):
        raise DlcalcError("the sample covariance of --X is beyond the float range (1.8e308): rescale the data")
    return covariance


def _data_and_latent_size(X, m):
    data = finite_array(X, "--X")
    if data.ndim != 2 or data.shape[0] < 2:
        raise DlcalcError("--X needs at least two rows (samples) of features")
    dimension_checked(data.shape[1], "the number of features (columns of --X)")
    if m >= data.shape[1]:
        raise DlcalcError(f"--m must be smaller than the number of features {data.shape[1]}")
    return data


def ppca_fit(X, m, sigma2):
    import numpy as np

    data = _data_and_latent_size(X, m)
    covariance = sample_covariance(data)
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


MAX_EM_ITERATIONS = 100_000  # about 60 µs each (3 features): at most ~10 s
MAX_EM_WORK = 1e11  # iterations × features³: each EM step inverts a features × features matrix


def fa_fit(X, m, isotropic, iters, tol):
    import numpy as np

    data = _data_and_latent_size(X, m)
    if iters * data.shape[1] ** 3 > MAX_EM_WORK:
        raise DlcalcError(f"--iters × features³ = {iters * data.shape[1] ** 3:.3g} is at most {MAX_EM_WORK:.0e} "
                          "(each EM step inverts a features × features matrix): lower --iters")
    S = sample_covariance(data)
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
        Param("iters", INT, f"most EM iterations (at most {MAX_EM_ITERATIONS:,}, and iters × features³ at most "
              f"{MAX_EM_WORK:.0e})", default=100000, minimum=1, maximum=MAX_EM_ITERATIONS),
        Param("tol", FLOAT, "stop when no entry of WWᵀ or Ψ moves more than tol·(1 + max S_ii); tol > 0",
              default=1e-13),
    ),
    formula="(μ̂, Ŵ, Ψ̂) = argmax Σ_i ln N(x_i; μ, WWᵀ + Ψ);  μ̂ = x̄;  EM: β = Wᵀ(WWᵀ+Ψ)⁻¹, "
    "W ← Sβᵀ(I − βW + βSβᵀ)⁻¹, Ψ ← diag(S − WβS)",
    latex=r"\hat W, \hat\Psi = \arg\max \sum_i \ln \mathcal N(x_i;\bar x, WW^\top + \Psi)",
    compute=fa_fit,
    rules=(Rule(broken=lambda tol, **_: tol <= 0, says=lambda tol, **_: f"--tol must be positive, got {tol}"),),
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

    loadings = loadings_array(W)
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


def fa_rotation_statement():
    """((WQ)(WQ)ᵀ, WWᵀ) for a 3×2 W and a 2×2 rotation Q(θ), the left side expanded."""
    import sympy

    theta = sympy.Symbol("theta", real=True)
    W = sympy.Matrix(3, 2, lambda i, j: sympy.Symbol(f"w{i}{j}"))
    Q = sympy.Matrix([[sympy.cos(theta), -sympy.sin(theta)], [sympy.sin(theta), sympy.cos(theta)]])
    return ((W * Q) * (W * Q).T).applyfunc(sympy.expand), W * W.T


identity(
    name="fa-rotation",
    section="19.2",
    catalogue_id="GEN-FA-ROT",
    summary="Factor loadings are identifiable only up to rotation: (WQ)(WQ)ᵀ = WWᵀ for orthogonal Q",
    formula="QQᵀ = I ⇒ (WQ)(WQ)ᵀ = WWᵀ",
    latex=r"(WQ)(WQ)^\top = WW^\top",
    build=fa_rotation_statement,
    method="trigsimp",
)
