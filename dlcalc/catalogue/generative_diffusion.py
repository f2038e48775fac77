"""Generative models, diffusion (sheet §19.5): DDPM noise schedules, the closed form of the forward
process, its posterior, forward and reverse steps, the simple loss and the ε-parameterised mean.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import finite_array, rounded, vector_text
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, INT, MATRIX, VECTOR, Param, Rule, choice, erratum, formula, identity
from dlcalc.core.result import Result


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


MAX_STEPS = 1_000_000  # the schedule is held as arrays of T entries (8 MB each at the limit)
_SCHEDULE = (
    Param("schedule", choice("linear", "cosine"), "linear (Ho et al.) or cosine (Nichol & Dhariwal)",
          default="linear"),
    Param("T", INT, f"number of steps (at most {MAX_STEPS:,}: the schedule is tabulated)", default=1000, minimum=1,
          maximum=MAX_STEPS),
    Param("t", INT, "step t (1..T)", minimum=1, maximum=MAX_STEPS),
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


def _composed_steps(steps=3):
    """The mean coefficient and the variance after composing x_t = √α_t x_{t−1} + √β_t ε_t, β_t = 1 − α_t,
    ``steps`` times from x₀, and the α's."""
    import sympy

    alphas = sympy.symbols(f"alpha1:{steps + 1}", positive=True)
    mean, variance = sympy.Integer(1), sympy.Integer(0)
    for a in alphas:  # independent Gaussian noise: variances add
        mean, variance = sympy.sqrt(a) * mean, a * variance + (1 - a)
    return sympy.Matrix([mean, variance]), alphas


def _closed_form(alpha_bar):
    import sympy

    return sympy.Matrix([sympy.sqrt(alpha_bar), 1 - alpha_bar])


def ddpm_closed_form_statement():
    """(mean coefficient, variance) after three composed steps against (√ᾱ_t, 1 − ᾱ_t), ᾱ_t = Π_{i=1}^{t} α_i."""
    import sympy

    composed, alphas = _composed_steps()
    return composed, _closed_form(sympy.Mul(*alphas))


def ddpm_closed_form_sheet_version():
    """The sheet leaves the range of ᾱ_t = Π α_i open (E84); Π_{i=1}^{t−1} α_i, one short, is refuted."""
    import sympy

    composed, alphas = _composed_steps()
    return composed, _closed_form(sympy.Mul(*alphas[:-1]))


identity(
    name="ddpm-closed-form",
    section="19.5",
    catalogue_id="GEN-DDPM-CF",
    summary="Composing q(x_t∣x_{t−1}) gives x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε with ᾱ_t = Π_{i=1}^{t} α_i",
    formula="mean coefficient Π√α_i = √ᾱ_t; variance α_t·v_{t−1} + β_t = 1 − ᾱ_t",
    latex=r"x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon",
    build=ddpm_closed_form_statement,
    method="composition of Gaussian steps",
    sheet_version=ddpm_closed_form_sheet_version,
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


def ddpm_eps_statement():
    """(μ̃(x_t, x₀) with x₀ = (x_t − √(1−ᾱ_t) ε)/√ᾱ_t, the ε-form (x_t − β_t/√(1−ᾱ_t)·ε)/√α_t), ᾱ_t = α_t·ᾱ_{t−1}."""
    import sympy

    a, abar_prev = sympy.symbols("alpha abar_prev", positive=True)
    xt, eps = sympy.symbols("x_t epsilon", real=True)
    abar, beta = a * abar_prev, 1 - a
    x0 = (xt - sympy.sqrt(1 - abar) * eps) / sympy.sqrt(abar)
    posterior_mean = sympy.sqrt(abar_prev) * beta / (1 - abar) * x0 + sympy.sqrt(a) * (1 - abar_prev) / (1 - abar) * xt
    return posterior_mean, (xt - beta / sympy.sqrt(1 - abar) * eps) / sympy.sqrt(a)


identity(
    name="ddpm-eps-mean",
    section="19.5",
    catalogue_id="GEN-DDPM-EPS",
    summary="DDPM posterior mean in the ε-parameterisation: μ̃ = (x_t − β_t/√(1−ᾱ_t)·ε)/√α_t",
    formula="μ̃(x_t, x₀(x_t, ε)) = (x_t − β_t/√(1 − ᾱ_t)·ε)/√α_t",
    latex=r"\tilde\mu = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon\Big)",
    build=ddpm_eps_statement,
)
