"""Theory (sheet §17): PAC-Bayes, Langevin dynamics, the empirical NTK and its training dynamics,
the NNGP kernel of ReLU networks.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import (finite_array, matrix_result, natural_log, rounded, the_one_given, vector_result,
                                     vector_text)
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import AXES, FLAG, FLOAT, INT, MATRIX, VECTOR, Param, Rule, choice, erratum, formula
from dlcalc.core.result import Result

# ---- PAC-Bayes ----------------------------------------------------------------------------------


def pac_bayes_complexity(kl, n, delta):
    """sqrt((KL(Q‖P) + ln(2√n/δ)) / (2n)): Maurer's (2004) form of McAllester's bound."""
    return ((kl + natural_log(2 * n**0.5 / delta)) / (2 * n)) ** 0.5


def pac_bayes(emp_risk, kl, n, delta):
    return emp_risk + pac_bayes_complexity(kl, n, delta)


def sheet_pac_bayes(emp_risk, kl, n, delta):
    """The sheet's R̂ + 2s·KL + ln(2s/δ) (E76): grows with the sample size."""
    return emp_risk + 2 * n * kl + natural_log(2 * n / delta)


_E76 = erratum(
    "E76",
    title="PAC-Bayes bound",
    sheet="E_Q[R(f)] ≤ R_emp(Q) + 2s·KL(Q‖P) + ln(2s/δ)",
    correct="with probability ≥ 1 − δ over an i.i.d. sample of size s, for all Q: E_Q[R] ≤ E_Q[R̂] + "
    "sqrt((KL(Q‖P) + ln(2√s/δ))/(2s)) (Maurer 2004 form of McAllester). The sheet lost the square root "
    "and the division by 2s: its term grows with s",
    command="dlcalc pac-bayes --emp-risk 0.05 --kl 3.912 --n 200 --delta 0.05",
)

formula(
    name="pac-bayes",
    vectorised=True,
    section="17.4",
    catalogue_id="TH-PACBAYES",
    summary="PAC-Bayes bound on the expected risk of a posterior Q (Maurer/McAllester)",
    params=(
        Param("emp-risk", FLOAT, "empirical risk E_Q[R̂] (loss in [0, 1])", minimum=0),
        Param("kl", FLOAT, "KL(Q‖P) in nats", minimum=0),
        Param("n", INT, "sample size s", aliases=("s",), minimum=1),
        Param("delta", FLOAT, "confidence parameter δ ∈ (0, 1)", default=0.05),
    ),
    formula="E_Q[R] ≤ E_Q[R̂] + sqrt((KL(Q‖P) + ln(2√s/δ)) / (2s))  w.p. ≥ 1 − δ",
    latex=r"\mathbb E_Q[R] \le \mathbb E_Q[\hat R] + \sqrt{\frac{\mathrm{KL}(Q\|P) + \ln(2\sqrt s/\delta)}{2s}}",
    compute=pac_bayes,
    present=rounded,
    show=lambda emp_risk, kl, n, delta: f"{emp_risk:g} + sqrt(({kl:g} + ln(2√{n}/{delta:g}))/(2·{n})) = "
    f"{rounded(pac_bayes(emp_risk, kl, n, delta))}   (the sheet's form: "
    f"{rounded(sheet_pac_bayes(emp_risk, kl, n, delta))})",
    rules=(
        Rule(broken=lambda delta, **_: (delta <= 0) | (delta >= 1),
             says=lambda delta, **_: f"--delta must lie in (0, 1), got {delta}"),
        Rule(broken=lambda emp_risk, **_: emp_risk > 1,
             says=lambda emp_risk, **_: f"--emp-risk must be at most 1 (a loss in [0, 1]), got {emp_risk}"),
    ),
    errata=(_E76,),
    sheet_says="R_emp(Q) + 2s·KL(Q‖P) + ln(2s/δ)",
    examples=(
        ("--emp-risk 0.05 --kl 3.912 --n 200 --delta 0.05", "0.210078403739"),
        ("--emp-risk 0 --kl 0 --n 100 --delta 0.05", "0.17308183826", "even KL = 0 costs sqrt(ln(2√s/δ)/2s)"),
    ),
    notes="Variants use ln(s/δ) or 2(s − 1); all are O(sqrt(KL/s)). The bound is vacuous above 1.",
)


# ---- generalisation gap -----------------------------------------------------------------------------


def generalization_gap(train_losses, test_losses, risk):
    the_one_given(test_losses=test_losses, risk=risk)
    empirical = math.fsum(train_losses) / len(train_losses)  # R_emp[f]: exact on the training sample
    steps = [f"R_emp[f] = (1/{len(train_losses)}) Σ_(i∈S) ℓ(f(x_i), y_i) = {rounded(empirical)}"]
    extra = {"empirical_risk": rounded(empirical)}
    if test_losses != ():
        n = len(test_losses)
        expected = math.fsum(test_losses) / n  # R[f] estimated on fresh samples
        spread = math.fsum((v - expected) ** 2 for v in test_losses) / (n - 1) if n > 1 else float("nan")
        error = math.sqrt(spread / n)
        steps.append(f"R[f] ≈ mean of {n} held-out losses = {rounded(expected)} ± {rounded(error) if n > 1 else '?'} "
                     "(standard error)")
        extra["standard_error"] = rounded(error) if n > 1 else None
    else:
        expected = risk
        steps.append(f"R[f] = {rounded(expected)} (given)")
    gap = expected - empirical
    steps.append(f"Gen(f) = R[f] − R_emp[f] = {rounded(gap)}")
    return Result(value=rounded(gap), steps=steps,
                  extra={**extra, "risk": rounded(expected)})


formula(
    name="generalization-gap",
    section="17.3",
    catalogue_id="TH-GEN",
    summary="Generalisation gap Gen(f) = R[f] − R_emp[f] from training losses and held-out losses (or R)",
    params=(
        Param("train-losses", VECTOR, "per-example losses of f on its training sample S"),
        Param("test-losses", VECTOR, "per-example losses on fresh samples: their mean estimates R[f]", default=()),
        Param("risk", FLOAT, "the true risk R[f], when it is known exactly", default=()),
    ),
    formula="Gen(f) = R[f] − R_emp[f],  R[f] = E_(x,y)[ℓ(f(x), y)],  R_emp[f] = (1/n) Σ_(i∈S) ℓ(f(x_i), y_i)",
    latex=r"\mathrm{Gen}(f) = R[f] - R_{\mathrm{emp}}[f]",
    compute=generalization_gap,
    examples=(
        ("--train-losses 0.1,0.3 --test-losses 0.5,0.7,0.6", "0.4", "0.6 − 0.2"),
        ("--train-losses 0,0,1 --risk 0.5", "0.166666666667", "1/2 − 1/3"),
    ),
    notes="With --test-losses the answer is an estimate; --json gives the standard error of the R[f] estimate.",
)


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
        Param("chains", INT, "also simulate this many chains (0: exact value only)", default=0, minimum=0),
        Param("steps", INT, "simulation steps", default=10000, minimum=1),
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


# ---- the empirical neural tangent kernel --------------------------------------------------------

def _act(name):
    import numpy as np

    if name == "tanh":
        return np.tanh, lambda a: 1 - np.tanh(a) ** 2
    if name == "relu":
        return lambda a: np.maximum(a, 0), lambda a: (a > 0).astype(float)
    raise DlcalcError(f"unknown activation {name}")


def _check_widths(widths):
    """A scalar-output MLP of a size the commands can handle, or an error."""
    if widths[-1] != 1:
        raise DlcalcError("the last width must be 1 (a scalar output)")
    if sum(a * b for a, b in zip(widths, widths[1:])) > 2_000_000:
        raise DlcalcError("at most 2,000,000 weights")


def init_mlp(widths, seed):
    """Standard normal weights and biases; the forward pass scales by 1/√fan_in (NTK parametrisation)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((n_out, n_in)), rng.standard_normal(n_out)) for n_in, n_out in zip(widths, widths[1:])]


def _mlp_forward(params, x, act, beta):
    """The forward pass for one input: a^l = W h/√n + β b, h = φ(a), the last layer linear (scalar
    output). Returns the layer inputs h^0..h^L (h^L = f(x)) and the pre-activations a^1..a^L."""
    import numpy as np

    phi, _ = _act(act)
    hs, pre = [x], []
    for index, (W, b) in enumerate(params):
        a = W @ hs[-1] / np.sqrt(len(hs[-1])) + beta * b
        pre.append(a)
        hs.append(a if index == len(params) - 1 else phi(a))
    return hs, pre


def mlp_output(params, x, act, beta):
    """f(x) for one input."""
    hs, _ = _mlp_forward(params, x, act, beta)
    return float(hs[-1][0])


def mlp_parameter_gradient(params, x, act, beta):
    """∇_θ f(x) by backpropagation, flattened in the order (W1, b1, W2, b2, ...)."""
    import numpy as np

    _, dphi = _act(act)
    hs, pre = _mlp_forward(params, x, act, beta)
    delta = np.ones(1)  # ∂f/∂a^L
    grads = []
    for index in reversed(range(len(params))):
        W, _ = params[index]
        h = hs[index]
        grads.append((np.outer(delta, h) / np.sqrt(len(h)), beta * delta))
        if index:
            delta = (W.T @ delta) / np.sqrt(len(h)) * dphi(pre[index - 1])
    return np.concatenate([np.concatenate([gW.ravel(), gb]) for gW, gb in reversed(grads)])


def empirical_ntk(widths, X, act, beta, seed):
    import numpy as np

    inputs = finite_array(X, "--X")
    if inputs.ndim == 1:
        inputs = inputs[:, None]
    if inputs.shape[1] != widths[0]:
        raise DlcalcError(f"--X rows need {widths[0]} features (the first width), got {inputs.shape[1]}")
    _check_widths(widths)
    params = init_mlp(widths, seed)
    J = np.array([mlp_parameter_gradient(params, x, act, beta) for x in inputs])
    K = J @ J.T
    outputs = [mlp_output(params, x, act, beta) for x in inputs]
    return matrix_result(K,
                         steps=[f"k(x, ξ) = ⟨∇_θ f(x), ∇_θ f(ξ)⟩ over {J.shape[1]} parameters (seed {seed})"],
                         extra={"f0": rounded(outputs), "parameters": int(J.shape[1])})


_WIDTHS = Param("widths", AXES, "layer widths, input first, output 1 last: 2,64,64,1", minimum=1)
_MLP_OPTIONS = (
    Param("act", choice("tanh", "relu"), "hidden activation", default="relu"),
    Param("beta", FLOAT, "bias scale β (a = Wh/√n + βb)", default=0.1, minimum=0),
    Param("seed", INT, "random initialisation seed (θ₀)", default=0, minimum=0),
)

formula(
    name="ntk",
    section="17.1",
    catalogue_id="TH-NTK",
    summary="Empirical neural tangent kernel K_ij = ⟨∇_θf(x_i), ∇_θf(x_j)⟩ of a random MLP",
    params=(_WIDTHS, Param("X", MATRIX, "inputs, one row each"), *_MLP_OPTIONS),
    formula="k(x, ξ) = ⟨∇_θ f(x; θ₀), ∇_θ f(ξ; θ₀)⟩, a^l = W^l h^{l−1}/√n_{l−1} + βb^l, W, b ~ N(0, 1)",
    latex=r"k(x,\xi) = \langle \nabla_\theta f(x;\theta_0), \nabla_\theta f(\xi;\theta_0)\rangle",
    compute=empirical_ntk,
    examples=(
        ("--widths 1,1 --X '1;2' --beta 1", "[[2.0, 3.0], [3.0, 5.0]]", "f = w·x + b: k(x, ξ) = xξ + 1"),
    ),
    notes="The value depends on the seed; as the widths grow it concentrates around the deterministic "
    "limit kernel.",
)


def _unflatten(params, flat):
    """A flat vector in the order (W1, b1, W2, b2, ...) -> a list of (W, b) shaped like params."""
    shaped, start = [], 0
    for W, b in params:
        shaped.append((flat[start:start + W.size].reshape(W.shape), flat[start + W.size:start + W.size + b.size]))
        start += W.size + b.size
    return shaped


def linearize(widths, x, scale, direction, act, beta, seed):
    import numpy as np

    _check_widths(widths)
    point = np.array(x, dtype=float)
    if point.shape != (widths[0],):
        raise DlcalcError(f"--x needs {widths[0]} values (the first width)")
    params = init_mlp(widths, seed)
    count = sum(W.size + b.size for W, b in params)
    step = np.random.default_rng(seed + 1).standard_normal(count) if direction == () else np.array(direction, float)
    if step.shape != (count,) or not np.any(step):
        raise DlcalcError(f"--direction needs {count} values, not all 0 (W1, b1, W2, b2, ... flattened row by row)")
    delta = scale * step / np.linalg.norm(step)  # ‖Δθ‖ = scale
    f0 = mlp_output(params, point, act, beta)
    gradient = mlp_parameter_gradient(params, point, act, beta)
    f_lin = f0 + float(gradient @ delta)
    moved = [(W + dW, b + db) for (W, b), (dW, db) in zip(params, _unflatten(params, delta))]
    f_true = mlp_output(moved, point, act, beta)
    shown = rounded([f_true, f_lin, abs(f_true - f_lin)])  # an error at rounding level shows as 0.0
    return Result(value=dict(zip(("f", "f_lin", "error"), shown)),
                  steps=["f_lin(x; θ) = f(x; θ₀) + ∇_θ f(x; θ₀)ᵀ(θ − θ₀)  (the sheet's β = θ − θ₀)",
                         f"f(x; θ₀) = {rounded(f0)}; ‖Δθ‖ = {rounded(scale)} over {count} parameters; the error is "
                         "O(‖Δθ‖²)"],
                  extra={"f0": rounded(f0), "parameters": count,
                         "gradient_norm": rounded(float(np.linalg.norm(gradient)))})


formula(
    name="linearize",
    section="17.1",
    catalogue_id="TH-LIN",
    summary="First-order (NTK) linearisation of a random MLP around θ₀, against its true output at θ₀ + Δθ",
    params=(
        _WIDTHS,
        Param("x", VECTOR, "the input x"),
        Param("scale", FLOAT, "the step size ‖Δθ‖", minimum=0),
        Param("direction", VECTOR, "direction of Δθ, all parameters flattened (W1, b1, W2, b2, ...; default: "
              "random from seed + 1)", default=()),
        *_MLP_OPTIONS,
    ),
    formula="f_lin(x; θ) = f(x; θ₀) + ∇_θ f(x; θ₀)ᵀ(θ − θ₀);  f(x; θ) − f_lin(x; θ) = O(‖θ − θ₀‖²)",
    latex=r"f_{\mathrm{lin}}(x;\theta) = f(x;\theta_0) + \nabla_\theta f(x;\theta_0)^\top(\theta-\theta_0)",
    compute=linearize,
    examples=(
        ("--widths 1,1 --x 2 --scale 0.5 --direction 1,0 --beta 1", "f=1.1193555789 f_lin=1.1193555789 error=0.0",
         "f = 2w + b is linear in θ: w += 0.5 adds 1 to f(θ₀) = 0.119355578895 (seed 0)"),
    ),
    notes="The initialisation is the one `ntk` uses for the same seed, so ∇_θ f is the feature map of its kernel.",
)


def _test_predictions(k_test, f0_test, eigenvalues, U, residual, eta, t, limit):
    """f_t(x) = f₀(x) + k(x,X)·K⁻¹(I − e^{−ηKt})(y − f₀(X)); the factor is ηt on K's null space, and
    K⁺ (ridgeless regression) in the limit t → ∞."""
    import numpy as np

    cross = finite_array(k_test, "--k-test")
    cross = cross[None, :] if cross.ndim == 1 else cross
    start = np.array(f0_test, dtype=float) if f0_test != () else np.zeros(cross.shape[0])
    if cross.shape[1] != len(residual) or start.shape != (cross.shape[0],):
        raise DlcalcError(f"--k-test needs {len(residual)} columns and --f0-test one value per row")
    positive = eigenvalues > 1e-12 * max(1.0, float(eigenvalues.max()))
    safe = np.where(positive, eigenvalues, 1.0)
    if limit:
        factor = np.where(positive, 1 / safe, 0.0)
    else:
        factor = np.where(positive, -np.expm1(-eta * t * safe) / safe, eta * t)
    return start + cross @ (U @ (factor * (U.T @ residual)))


def ntk_dynamics(K, y, f0, t, eta, limit, k_test, f0_test):
    import numpy as np

    kernel = finite_array(K, "--K")
    targets, start = np.array(y, dtype=float), np.array(f0, dtype=float)
    n = len(targets)
    if kernel.shape != (n, n) or start.shape != (n,):
        raise DlcalcError(f"--K must be {n}×{n} and --f0 have {n} values (one per --y)")
    if not np.allclose(kernel, kernel.T):
        raise DlcalcError("--K must be symmetric")
    eigenvalues, U = np.linalg.eigh(kernel)
    if eigenvalues.min() < -1e-10 * max(1.0, eigenvalues.max()):
        raise DlcalcError("--K must be positive semi-definite")
    # e^{−ηKt} through the eigen-decomposition (K symmetric); t = ∞ keeps only the null space
    decay = np.where(eigenvalues > 1e-12, 0.0, 1.0) if limit else np.exp(-eta * t * eigenvalues)
    f = targets + U @ (decay * (U.T @ (start - targets)))
    extra = {}
    if k_test != ():
        predictions = _test_predictions(k_test, f0_test, eigenvalues, U, targets - start, eta, t, limit)
        extra = {"test_predictions": rounded(predictions), "train_outputs": rounded(f)}
        f = predictions
    return vector_result(f, extra=extra,
                         steps=["ḟ = ηK(y − f) ⇒ f_t = y + e^(−ηKt)(f₀ − y)"
                                + ("; t → ∞: f = y on the training set (ridgeless, interpolating)" if limit else "")])


_E72 = erratum(
    "E72",
    title="NTK training 'identical to kernel ridge regression'",
    sheet="the training dynamics become identical to Kernel Ridge Regression; ḟ = K(θ)(y − f)",
    correct="gradient flow on the squared loss gives ḟ = ηK(y − f), f_t = y + e^{−ηKt}(f₀ − y); as t → ∞ "
    "it converges to ridgeless kernel regression f₀(x) + k(x,X)K⁻¹(y − f₀(X)), which interpolates",
    command="dlcalc ntk-dynamics --K '2,1;1,2' --y 1,0 --f0 0,0 --limit",
)

formula(
    name="ntk-dynamics",
    section="17.1",
    catalogue_id="TH-NTK-DYN TH-NTK-LIMIT",
    summary="Outputs on the training set under NTK gradient flow: f_t = y + e^{−ηKt}(f₀ − y)",
    params=(
        Param("K", MATRIX, "NTK Gram matrix on the training inputs (n×n)"),
        Param("y", VECTOR, "targets"),
        Param("f0", VECTOR, "initial outputs f₀"),
        Param("t", FLOAT, "training time", default=1.0, minimum=0),
        Param("eta", FLOAT, "learning rate η", default=1.0, minimum=0),
        Param("limit", FLAG, "t → ∞", default=False),
        Param("k-test", MATRIX, "k(x, X) for test inputs, one row each: print their predictions instead", default=()),
        Param("f0-test", VECTOR, "f₀ at the test inputs (default 0)", default=()),
    ),
    formula="f_t = y + e^{−ηKt}(f₀ − y); at test x: f_t(x) = f₀(x) + k(x,X)K⁻¹(I − e^{−ηKt})(y − f₀(X))",
    latex=r"f_t = y + e^{-\eta K t}(f_0 - y)",
    compute=ntk_dynamics,
    errata=(_E72,),
    examples=(
        ("--K '1,0;0,2' --y 1,1 --f0 0,0 --t 1", "0.632120558829,0.864664716763", "1 − e^{−1}, 1 − e^{−2}"),
        ("--K '2,1;1,2' --y 1,0 --f0 0,0 --limit", "1.0,0.0", "interpolates"),
        ("--K '2,1;1,2' --y 1,0 --f0 0,0 --limit --k-test '1,1'", "0.333333333333",
         "ridgeless: (1,1)·K⁻¹·(1,0) = (1,1)·(2,−1)/3"),
    ),
)


# ---- NNGP kernel -----------------------------------------------------------------------------------


def relu_expectation(k11, k22, k12):
    """E[relu(u)relu(v)] for (u, v) ~ N(0, [[k11, k12], [k12, k22]]): the arc-cosine kernel."""
    norm = math.sqrt(k11 * k22)
    if norm == 0:
        return 0.0
    cos_theta = max(-1.0, min(1.0, k12 / norm))
    theta = math.acos(cos_theta)
    return norm / (2 * math.pi) * (math.sin(theta) + (math.pi - theta) * cos_theta)


_VARIANCES = (Param("sw2", FLOAT, "weight variance σ_w²", default=2.0, minimum=0),
              Param("sb2", FLOAT, "bias variance σ_b²", default=0.0, minimum=0))


def nngp_relu(x1, x2, depth, sw2, sb2):
    if len(x1) != len(x2):
        raise DlcalcError("--x1 and --x2 need the same length")
    d = len(x1)
    dot = lambda a, b: sum(p * q for p, q in zip(a, b)) / d  # noqa: E731
    k11, k22, k12 = (sb2 + sw2 * dot(x1, x1), sb2 + sw2 * dot(x2, x2), sb2 + sw2 * dot(x1, x2))
    rows = [[0, k11, k12, k22]]
    for layer in range(1, depth + 1):
        k11, k22, k12 = (sb2 + sw2 * relu_expectation(k11, k11, k11), sb2 + sw2 * relu_expectation(k22, k22, k22),
                         sb2 + sw2 * relu_expectation(k11, k22, k12))
        rows.append([layer, k11, k12, k22])
    K = [[k11, k12], [k12, k22]]
    return matrix_result(K,
                         steps=["K⁰ = σ_b² + σ_w² x·x'/d;  K^l = σ_b² + σ_w²·E_{(u,v)~N(0,K^{l−1})}[relu(u)relu(v)]",
                                "E = √(k11 k22)/(2π)·(sin θ + (π − θ) cos θ), cos θ = k12/√(k11 k22)"],
                         extra={"per_layer": [rounded(r) for r in rows]})


def neal_limit(x, width, sw2, sb2):
    q = sb2 + sw2 * sum(v * v for v in x) / len(x)  # the variance of each hidden pre-activation
    variance = sb2 + sw2 * q / 2  # E relu(u)² = q/2: the NNGP kernel K¹(x, x), at every width
    if variance == 0:
        raise DlcalcError("f(x) is 0 for every network (x = 0 and σ_b² = 0)")
    # 4th cumulant of (σ_w/√n) Σ_j v_j relu(u_j): 3σ_w⁴(E relu⁴ − (E relu²)²)/n, E relu(u)⁴ = 3q²/2
    excess = 3 * sw2**2 * (1.5 * q * q - q * q / 4) / width / variance**2
    return Result(value=rounded(excess),
                  steps=["f(x) = σ_b b + (σ_w/√n) Σ_j v_j relu(u_j), u_j = σ_w w_jᵀx/√d + σ_b b_j, all weights N(0, 1)",
                         f"Var f(x) = σ_b² + σ_w² q/2 = {rounded(variance)} for every width n (the NNGP kernel)",
                         f"excess kurtosis 15σ_w⁴q²/(4n·Var²) = {rounded(excess)}: 0 only as n → ∞, "
                         "where f is Gaussian"],
                  extra={"variance": rounded(variance), "preactivation_variance": rounded(q)})


formula(
    name="neal-limit",
    section="17.2",
    catalogue_id="TH-NEAL",
    summary="Distance of a random 1-hidden-layer ReLU net from its Gaussian (Neal) limit: excess kurtosis of f(x)",
    params=(
        Param("x", VECTOR, "the input x"),
        Param("width", INT, "hidden width n", minimum=1),
        *_VARIANCES,
    ),
    formula="Var f(x) = σ_b² + σ_w² q/2 (any n);  excess kurtosis = 15σ_w⁴q²/(4n(σ_b² + σ_w² q/2)²) → 0,  "
    "q = σ_b² + σ_w²‖x‖²/d",
    latex=r"\kappa_4 = \frac{15\,\sigma_w^4 q^2}{4n\,(\sigma_b^2 + \sigma_w^2 q/2)^2} \to 0",
    compute=neal_limit,
    examples=(
        ("--x 1 --width 15 --sw2 1", "1.0", "σ_b = 0: the excess kurtosis is 15/n"),
        ("--x 1,1 --width 100 --sw2 2 --sb2 1", "0.084375", "q = 3, Var = 4: 15·4·9/(4·100·16) = 540/6400"),
    ),
    notes="Neal (1996): with i.i.d. priors f tends to GP(0, k) as the width grows; the kernel is `nngp --depth 1`. "
    "--json adds Var f(x).",
)


_E75 = erratum(
    "E75",
    title="'Deep GPs' kernel recursion",
    sheet="K_i(x,x') = E[φ(f_{i−1}(x))φ(f_{i−1}(x'))], labelled 'Deep GPs'",
    correct="this is the NNGP recursion K^l = σ_b² + σ_w²·E_{f~GP(0,K^{l−1})}[φ(f(x))φ(f(x'))] (Lee et al. 2018); "
    "deep GPs are compositions of GPs and not Gaussian. For ReLU the expectation is the arc-cosine kernel",
    command="dlcalc nngp --x1 1,0 --x2 0,1 --depth 2 --sw2 2 --sb2 0.1",
)

formula(
    name="nngp",
    section="17.3",
    catalogue_id="TH-NNGP",
    summary="NNGP kernel of a deep ReLU network at two inputs (arc-cosine recursion)",
    params=(
        Param("x1", VECTOR, "first input"),
        Param("x2", VECTOR, "second input"),
        Param("depth", INT, "hidden layers L", default=1, minimum=0),
        *_VARIANCES,
    ),
    formula="K^l = σ_b² + σ_w² E_{(u,v)~N(0,K^{l−1})}[relu(u)relu(v)]",
    latex=r"K^l(x,x') = \sigma_b^2 + \sigma_w^2\,\mathbb E[\phi(u)\phi(v)]",
    compute=nngp_relu,
    errata=(_E75,),
    examples=(
        ("--x1 1,0 --x2 0,1 --depth 1 --sw2 2 --sb2 0", "[[1.0, 0.318309886184], [0.318309886184, 1.0]]",
         "orthogonal unit-norm inputs: 2·(1/2π) = 1/π"),
    ),
    notes="The output is the 2×2 kernel [[K(x1,x1), K(x1,x2)], [K(x2,x1), K(x2,x2)]] after L layers.",
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
