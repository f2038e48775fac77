"""Theory, Bayesian learning (sheet §17.2): Langevin dynamics (the stationary variance of a
discretised sampler, and one step) and the posterior predictive over discrete hypotheses.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import rounded, vector_text
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, INT, VECTOR, Param, Rule, choice, erratum, formula
from dlcalc.core.result import Result


# ---- Langevin dynamics ---------------------------------------------------------------------------

# The target is a Gaussian energy E(θ) = θ²/(2σ²), so ∇E = θ/σ² and p(θ) ∝ exp(−E/T) has variance Tσ².
# Each scheme is a linear recursion s' = M s + c·g·ε in the state s (θ, v or θ alone).


def langevin_noise_scale(gamma, eta, temperature, noise):
    if noise == "sheet":
        return 2 * gamma * eta  # E74: the sheet's 2γη·ε
    return math.sqrt(2 * gamma * eta * temperature)


def langevin_recursion(target_var, gamma, eta, temperature, noise, method):
    """(M, g, c) of the linear recursion s' = M s + c·g·ε for the Gaussian energy."""
    import numpy as np

    curvature = 1 / target_var
    if method == "sgld":
        scale = 2 * eta if noise == "sheet" else math.sqrt(2 * eta * temperature)
        return np.array([[1 - eta * curvature]]), np.array([1.0]), scale
    c = langevin_noise_scale(gamma, eta, temperature, noise)
    friction = 1 - eta * gamma
    # v' = friction·v − η θ/σ² + cε ;  θ' = θ + η v'
    M = np.array([[1 - eta**2 * curvature, eta * friction], [-eta * curvature, friction]])
    return M, np.array([eta, 1.0]), c


def stationary_covariance(M, g, c):
    """Σ = MΣMᵀ + c²ggᵀ (a discrete Lyapunov equation), solved through vec(Σ)."""
    import numpy as np

    if not np.all(np.isfinite(M)):  # 1/σ² or η² overflows
        raise DlcalcError("the chain's coefficients are beyond the float range: --target-var is too small or --eta too large")
    if max(abs(np.linalg.eigvals(M))) >= 1:
        raise DlcalcError("the chain does not settle (the step size is too large for this energy)")
    n = len(g)
    Q = c**2 * np.outer(g, g)
    vec = np.linalg.solve(np.eye(n * n) - np.kron(M, M), Q.reshape(-1))
    return vec.reshape(n, n)


def simulate_chain(M, g, c, chains, steps, seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    state = np.zeros((chains, len(g)))
    for _ in range(steps):
        state = state @ M.T + c * rng.standard_normal((chains, 1)) * g
    return float(state[:, 0].var())


def langevin(target_var, gamma, eta, temperature, noise, method, chains, steps, seed):
    M, g, c = langevin_recursion(target_var, gamma, eta, temperature, noise, method)
    variance = float(stationary_covariance(M, g, c)[0, 0])
    target = temperature * target_var
    extra = {"target_variance": rounded(target), "noise_scale": rounded(c)}
    steps_shown = [
        ("v' = (1 − ηγ)v − η∇E(θ) + " + ("2γη·ε (the sheet)" if noise == "sheet" else "√(2γηT)·ε")
         + ", θ' = θ + ηv'") if method == "underdamped" else
        ("θ' = θ − η∇E(θ) + " + ("2η·ε (the sheet's scale)" if noise == "sheet" else "√(2ηT)·ε")),
        f"exact stationary Var(θ) of the chain: {rounded(variance)}; target Tσ² = {rounded(target)}",
    ]
    if chains:
        sampled = simulate_chain(M, g, c, chains, steps, seed)
        extra["simulated_variance"] = rounded(sampled)
        steps_shown.append(f"simulated: {chains} chains × {steps} steps → Var(θ) = {rounded(sampled)}")
    warnings = []
    if abs(variance - target) > 0.1 * target:
        warnings.append(f"the chain's variance {rounded(variance)} misses the target {rounded(target)}"
                        + (" (E74: the noise must scale like √η)" if noise == "sheet" else ""))
    return Result(value=rounded(variance), steps=steps_shown,
                  warnings=warnings, extra=extra)


_E74 = erratum(
    "E74",
    title="Langevin dynamics noise term",
    sheet="v_{t+1} = (1 − ηγ)v_t − η∇Ẽ(θ) + 2γηε, ε ~ N(0, I) (and no θ update)",
    correct="v_{t+1} = (1 − ηγ)v_t − η∇Ẽ(θ_t) + sqrt(2γηT)·ε and θ_{t+1} = θ_t + ηv_{t+1}; the noise "
    "standard deviation must scale like sqrt(η). Overdamped (SGLD): θ ← θ − η∇E + sqrt(2η)ε",
    command="dlcalc langevin --target-var 4 --gamma 1 --eta 0.01 --noise sheet",
)

formula(
    name="langevin",
    section="17.2",
    catalogue_id="TH-LANGEVIN",
    summary="Stationary variance of a (discretised) Langevin sampler on a Gaussian target, exact and simulated",
    params=(
        Param("target-var", FLOAT, "σ² of the target: energy E(θ) = θ²/(2σ²)", default=1.0),
        Param("gamma", FLOAT, "friction γ (underdamped)", default=1.0, minimum=0),
        Param("eta", FLOAT, "step size η", default=0.01),
        Param("temperature", FLOAT, "temperature T", default=1.0, aliases=("T",), minimum=0),
        Param("noise", choice("correct", "sheet"), "noise scale: √(2γηT) (correct) or the sheet's 2γη",
              default="correct"),
        Param("method", choice("underdamped", "sgld"), "underdamped (with velocity) or overdamped SGLD",
              default="underdamped"),
        Param("chains", INT, "also simulate this many chains (0: exact value only; at most 1,000,000)", default=0,
              minimum=0, maximum=1_000_000),
        Param("steps", INT, "simulation steps (at most 1,000,000; chains × steps at most 5e8)", default=10000, minimum=1,
              maximum=1_000_000),
        Param("seed", INT, "random seed of the simulation", default=0, minimum=0),
    ),
    formula="v' = (1 − ηγ)v − η∇E(θ) + √(2γηT)ε, θ' = θ + ηv'; stationary Var(θ) ≈ Tσ²",
    latex=r"v_{t+1} = (1-\eta\gamma)v_t - \eta\nabla E(\theta_t) + \sqrt{2\gamma\eta T}\,\epsilon,\ "
    r"\theta_{t+1} = \theta_t + \eta v_{t+1}",
    compute=langevin,
    rules=(
        Rule(broken=lambda target_var, **_: target_var <= 0,
             says=lambda target_var, **_: f"--target-var must be > 0, got {target_var}"),
        Rule(broken=lambda eta, **_: eta <= 0, says=lambda eta, **_: f"--eta must be > 0, got {eta}"),
        Rule(broken=lambda chains, steps, **_: chains * steps > 5e8,
             says=lambda chains, steps, **_: "at most 5e8 chain-steps (chains × steps)"),
    ),
    errata=(_E74,),
    sheet_says="noise 2γη·ε; no θ update",
    examples=(
        ("--target-var 4 --gamma 1 --eta 0.01", "4.00002512579"),
        ("--target-var 4 --gamma 1 --eta 0.01 --noise sheet", "0.0800005025157", "E74: temperature collapses"),
        ("--target-var 4 --eta 0.01 --method sgld", "4.00500625782"),
    ),
    notes="The exact value solves the stationary covariance of the linear recursion (a discrete Lyapunov "
    "equation); --chains N adds a simulation.",
)


def langevin_step(theta, v, grad, eps, gamma, eta, temperature):
    import numpy as np

    position, velocity, gradient, noise = (np.array(a, dtype=float) for a in (theta, v, grad, eps))
    if not (position.shape == velocity.shape == gradient.shape == noise.shape):
        raise DlcalcError("--theta, --v, --grad and --eps need the same length")
    new_v = (1 - eta * gamma) * velocity - eta * gradient + math.sqrt(2 * gamma * eta * temperature) * noise
    new_theta = position + eta * new_v
    return Result(value={"theta": rounded(new_theta), "v": rounded(new_v)},
                  plain=f"theta={vector_text(new_theta)} v={vector_text(new_v)}",
                  steps=["v' = (1 − ηγ)v − η∇E(θ) + √(2γηT)·ε;  θ' = θ + ηv'",
                         f"noise scale √(2γηT) = {rounded(math.sqrt(2 * gamma * eta * temperature))} "
                         f"(the sheet's 2γη = {rounded(2 * gamma * eta)})"])


formula(
    name="langevin-step",
    section="17.2",
    catalogue_id="TH-LANGEVIN",
    summary="One underdamped Langevin step with the correct noise √(2γηT)·ε and the θ update",
    params=(
        Param("theta", VECTOR, "position θ_t"),
        Param("v", VECTOR, "velocity v_t"),
        Param("grad", VECTOR, "gradient ∇E(θ_t)"),
        Param("eps", VECTOR, "standard normal draw ε"),
        Param("gamma", FLOAT, "friction γ", default=1.0, minimum=0),
        Param("eta", FLOAT, "step size η", default=0.01, minimum=0),
        Param("temperature", FLOAT, "temperature T", default=1.0, aliases=("T",), minimum=0),
    ),
    formula="v_{t+1} = (1 − ηγ)v_t − η∇E(θ_t) + √(2γηT)ε, θ_{t+1} = θ_t + ηv_{t+1}",
    latex=r"v_{t+1} = (1-\eta\gamma)v_t - \eta\nabla E(\theta_t) + \sqrt{2\gamma\eta T}\,\epsilon",
    compute=langevin_step,
    errata=(_E74,),
    examples=(
        ("--theta 1 --v 0 --grad 0.5 --eps 1 --gamma 1 --eta 0.02", "theta=1.0038 v=0.19",
         "v' = −0.02·0.5 + √0.04·1 = 0.19; θ' = 1 + 0.02·0.19"),
    ),
)


# ---- Bayesian prediction -------------------------------------------------------------------------


def posterior_predictive(prior, likelihood, predictive):
    import numpy as np

    p, lik, pred = (np.array(v, dtype=float) for v in (prior, likelihood, predictive))
    if not (p.shape == lik.shape == pred.shape):
        raise DlcalcError("--prior, --likelihood and --predictive need one value per hypothesis θ_k")
    if np.any(p < 0) or abs(p.sum() - 1) > 1e-9:
        raise DlcalcError("--prior must be a distribution (non-negative, summing to 1)")
    if np.any(lik < 0) or np.any(pred < 0) or np.any(pred > 1):
        raise DlcalcError("likelihoods must be ≥ 0 and --predictive probabilities in [0, 1]")
    evidence = float(p @ lik)
    if evidence == 0:
        raise DlcalcError("the data have probability 0 under every hypothesis")
    posterior = p * lik / evidence
    value = float(posterior @ pred)
    return Result(value=rounded(value),
                  steps=["p(θ∣S) = p(S∣θ)p(θ)/p(S);  p(y∣x, S) = Σ_k p(y∣x, θ_k) p(θ_k∣S)",
                         f"posterior {vector_text(posterior)}, evidence p(S) = {rounded(evidence)}"],
                  extra={"posterior": rounded(posterior), "evidence": rounded(evidence),
                         "prior_predictive": rounded(float(p @ pred))})


_E73 = erratum(
    "E73",
    title="predictive distribution",
    sheet="p(y∣x) = ∫ p(y∣x,θ) p(θ∣S) dθ",
    correct="the left-hand side is p(y∣x, S): the prediction depends on the data through the posterior",
    command="dlcalc posterior-predictive --prior 0.5,0.5 --likelihood 0.25,0.75 --predictive 0.25,0.75",
)

formula(
    name="posterior-predictive",
    section="17.2",
    catalogue_id="TH-BAYES",
    summary="Posterior predictive p(y∣x, S) = Σ_k p(y∣x, θ_k) p(θ_k∣S) over a discrete set of hypotheses",
    params=(
        Param("prior", VECTOR, "prior p(θ_k)"),
        Param("likelihood", VECTOR, "likelihood of the data p(S∣θ_k)"),
        Param("predictive", VECTOR, "p(y∣x, θ_k) for the outcome y of interest"),
    ),
    formula="p(θ∣S) ∝ p(S∣θ)p(θ);  p(y∣x, S) = ∫ p(y∣x, θ) p(θ∣S) dθ",
    latex=r"p(y\mid x, S) = \int p(y\mid x,\theta)\,p(\theta\mid S)\,d\theta",
    compute=posterior_predictive,
    errata=(_E73,),
    examples=(
        ("--prior 0.5,0.5 --likelihood 0.25,0.75 --predictive 0.25,0.75", "0.625",
         "posterior (¼, ¾): ¼·¼ + ¾·¾"),
    ),
)
