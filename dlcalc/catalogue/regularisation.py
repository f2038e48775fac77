"""Regularisation, normalisation and initialisation (the sheet's missing §10, catalogue §1.16):
Xavier/He/LeCun initialisation scales, how the signal's second moment evolves through ReLU layers,
BatchNorm/LayerNorm/RMSNorm, the identities for inverted dropout and weight decay, and inverted
dropout's expectation by Monte Carlo.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import matrix_result, rounded, vector_result
from dlcalc.core.registry import FLOAT, INT, MATRIX, VECTOR, Param, Rule, choice, claim, formula, identity
from dlcalc.core.result import Result

SECTION = "10"
SCHEMES = ("he", "xavier", "lecun")


def init_variance(scheme, fan_in, fan_out):
    if scheme == "he":
        return 2 / fan_in
    if scheme == "xavier":
        return 2 / (fan_in + fan_out)
    return 1 / fan_in


def init_scale(scheme, fan_in, fan_out, dist):
    var = init_variance(scheme, fan_in, fan_out)
    std = math.sqrt(var)
    bound = math.sqrt(3 * var)  # U(−a, a) has variance a²/3
    value = std if dist == "normal" else bound
    return Result(value=value, extra={"var": var, "std": std, "uniform_bound": bound},
                  steps=[f"Var(W) = {var!r}" + (f";  U(−a, a) with a = sqrt(3·Var) = {bound!r}" if dist == "uniform" else
                                                f";  std = {std!r}")])


formula(
    name="init",
    section=SECTION,
    catalogue_id="REG-INIT",
    summary="Initialisation scale: He (ReLU), Xavier/Glorot or LeCun; std of a normal or bound of a uniform",
    params=(
        Param("scheme", choice(*SCHEMES), "he: Var = 2/fan_in; xavier: 2/(fan_in + fan_out); lecun: 1/fan_in"),
        Param("fan-in", INT, "inputs per unit", minimum=1),
        Param("fan-out", INT, "outputs per unit (xavier)", default=1, minimum=1),
        Param("dist", choice("normal", "uniform"), "normal: print the std; uniform: the bound a of U(−a, a)", default="normal"),
    ),
    formula="He Var(W) = 2/n_in;  Xavier Var(W) = 2/(n_in + n_out);  LeCun Var(W) = 1/n_in;  uniform bound sqrt(3 Var)",
    latex=r"\mathrm{Var}(W) = \frac{2}{n_{\mathrm{in}}}\ \text{(He)},\quad \frac{2}{n_{\mathrm{in}} + n_{\mathrm{out}}}\ \text{(Xavier)}",
    compute=init_scale,
    examples=(("--scheme he --fan-in 2", "1.0"), ("--scheme xavier --fan-in 3 --fan-out 3 --dist uniform", "1.0"),
              ("--scheme lecun --fan-in 4", "0.5")),
)


def init_signal(scheme, width, layers):
    """E[h_L²]/E[h_0²] through L ReLU layers of a given width, biases 0: each layer multiplies the
    second moment by n·Var(W)·½ (half of a symmetric pre-activation survives the ReLU)."""
    per_layer = width * init_variance(scheme, width, width) / 2
    factor = per_layer**layers
    return Result(value=factor,
                  steps=[f"per layer: E[h_l²] = n·Var(W)·½·E[h_{{l−1}}²] = {per_layer!r}·E[h_{{l−1}}²]",
                         f"after {layers} layers: {per_layer!r}^{layers} = {factor!r}"
                         + ("  (He keeps it at 1)" if scheme == "he" else "")])


formula(
    name="init-signal",
    section=SECTION,
    catalogue_id="REG-INIT",
    summary="How the signal's second moment scales through L ReLU layers for an initialisation",
    params=(Param("scheme", choice(*SCHEMES), "the initialisation"), Param("width", INT, "units per layer", minimum=1),
            Param("layers", INT, "number of layers L", minimum=0)),
    formula="E[h_L²]/E[h_0²] = (n·Var(W)/2)^L for ReLU layers",
    latex=r"\frac{\mathbb{E}[h_L^2]}{\mathbb{E}[h_0^2]} = \left(\frac{n\,\mathrm{Var}(W)}{2}\right)^L",
    compute=init_signal,
    examples=(("--scheme he --width 256 --layers 20", "1.0"),
              ("--scheme lecun --width 256 --layers 20", "9.5367431640625e-07", "halves at every layer: 2^−20")),
)


def scaled_by_spread(centred, eps, axis):
    """centred / sqrt(mean(centred²) + ε) along ``axis``, without squaring the raw values: the root
    mean square is c·sqrt(mean((x/c)²)) with c = max |x|, and sqrt(r² + ε) is hypot(r, √ε). So
    1e-200 is not squared to 0 (0/0) nor 1e200 to ∞; a constant slice with ε = 0 is 0/0 (NaN, refused)."""
    import numpy as np

    scale = np.max(np.abs(centred), axis=axis, keepdims=True)
    scale = np.where(scale > 0, scale, 1.0)  # a zero slice has spread 0
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = centred / scale
        spread = scale * np.sqrt((unit**2).mean(axis=axis, keepdims=True))
        return centred / np.hypot(spread, math.sqrt(eps))


def normalise(x, kind, eps, gamma, beta):
    import numpy as np

    a = np.array(x, dtype=float)
    if kind == "batch":  # per feature (column), over the batch (rows); biased variance
        out = scaled_by_spread(a - a.mean(axis=0), eps, axis=0)
    elif kind == "layer":  # per sample (row), over its features
        out = scaled_by_spread(a - a.mean(axis=1, keepdims=True), eps, axis=1)
    else:  # RMSNorm: no centring
        out = scaled_by_spread(a, eps, axis=1)
    out = gamma * out + beta
    where = {"batch": "each column over the rows (the batch)", "layer": "each row over its columns",
             "rms": "each row by its root mean square"}[kind]
    return matrix_result(out,
                  steps=[f"{kind} norm normalises {where}; biased variance (÷n), then y = γx̂ + β"])


formula(
    name="normalise",
    section=SECTION,
    catalogue_id="REG-NORM",
    summary="BatchNorm, LayerNorm or RMSNorm of a batch (rows = samples, columns = features)",
    params=(
        Param("x", MATRIX, "activations, one sample per row"),
        Param("kind", choice("batch", "layer", "rms"), "which normalisation", default="batch"),
        Param("eps", FLOAT, "ε added to the variance", default=0.0, minimum=0),
        Param("gamma", FLOAT, "scale γ", default=1.0),
        Param("beta", FLOAT, "shift β", default=0.0),
    ),
    formula="x̂ = (x − μ)/sqrt(σ² + ε), y = γx̂ + β; BN: μ, σ² per feature over the batch; LN: per sample; "
    "RMS: x/sqrt(mean x² + ε)",
    latex=r"\hat x = \frac{x - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}},\quad y = \gamma \hat x + \beta",
    compute=normalise,
    examples=(("--x '[[1,2],[3,6]]' --kind batch", "[[-1.0, -1.0], [1.0, 1.0]]"),
              ("--x '[[1,3]]' --kind layer", "[[-1.0, 1.0]]"),
              ("--x '[[3,4]]' --kind rms --eps 0", "[[0.848528137424, 1.1313708499]]",
               "rms = sqrt(12.5): 3/3.5355, 4/3.5355")),
)


# ---- identities ------------------------------------------------------------------------------


def inverted_dropout_statement():
    """E[m·x/(1 − p)] with m ~ Bernoulli(1 − p) (keep) vs x."""
    import sympy

    p = sympy.Symbol("p", positive=True)
    x = sympy.Symbol("x", real=True)
    keep = 1 - p
    return keep * (x / keep) + p * 0, x


def weight_decay_statement():
    """One SGD step with an L2 penalty (λ/2)‖θ‖² in the loss vs one step of decoupled decay.

    (For Adam the two differ: the penalty's gradient passes through the normalisation; hence AdamW.)"""
    import sympy

    theta, g, eta, lam = sympy.symbols("theta g eta lambda", positive=True)
    return theta - eta * (g + lam * theta), (1 - eta * lam) * theta - eta * g


identity(name="inverted-dropout", section=SECTION, catalogue_id="REG-DROPOUT",
         summary="Inverted dropout keeps the expectation: E[m x/(1 − p)] = x",
         formula="m ~ Bernoulli(1 − p):  E[m·x/(1 − p)] = x", latex=r"\mathbb{E}\left[\frac{m x}{1-p}\right] = x",
         build=inverted_dropout_statement, method="expectation over m")
identity(name="weight-decay-sgd", section=SECTION, catalogue_id="REG-WD",
         summary="For SGD an L2 penalty equals decoupled weight decay (not for Adam: AdamW)",
         formula="θ − η(g + λθ) = (1 − ηλ)θ − ηg", latex=r"\theta - \eta(g + \lambda\theta) = (1-\eta\lambda)\theta - \eta g",
         build=weight_decay_statement, method="expand")


# ---- inverted dropout by Monte Carlo ------------------------------------------------------------


MAX_MASK_ENTRIES = 100_000_000  # samples × len(x) booleans and floats: about 1 GB at the limit


def dropout_expectation(x, p, samples, seed):
    """Average m ⊙ x/(1 − p) over sampled keep-masks m ~ Bernoulli(1 − p); compare with x within
    4 standard errors (the claim E[m x/(1 − p)] = x), and show plain dropout's (1 − p)x."""
    import numpy as np

    from dlcalc.core.errors import DlcalcError

    if not 0 <= p < 1:
        raise DlcalcError(f"--p must lie in [0, 1), got {p}")
    values = np.array(x, dtype=float)
    rng = np.random.default_rng(seed)
    masks = rng.random((samples, len(values))) >= p  # keep with probability 1 − p
    scaled = masks * values / (1 - p)
    mean = scaled.mean(axis=0)
    error = scaled.std(axis=0, ddof=1) / math.sqrt(samples) if samples > 1 else np.full(len(values), math.inf)
    gap = np.abs(mean - values)
    holds = bool(np.all(gap <= 4 * error + 1e-12 * np.abs(values)))
    return vector_result(mean,
                         steps=[f"mean of m·x/(1 − p) over {samples} masks: {', '.join(f'{v:.6g}' for v in mean)}",
                                f"x = {', '.join(f'{v:.6g}' for v in values)};  |difference| ≤ 4 standard errors: {holds}",
                                f"without the 1/(1 − p): E[m x] = (1 − p)x = {', '.join(f'{v:.6g}' for v in (1 - p) * values)}"],
                         extra={"standard_error": rounded(error), "plain_dropout_mean": rounded((1 - p) * values)},
                         holds=holds)


claim(
    name="dropout-expectation",
    section=SECTION,
    catalogue_id="REG-DROPOUT",
    summary="Inverted dropout keeps E[m x/(1 − p)] = x: a Monte-Carlo check (exit 1 if off by > 4 standard errors)",
    params=(Param("x", VECTOR, "the activations x"), Param("p", FLOAT, "drop probability p in [0, 1)", minimum=0),
            Param("samples", INT, "number of sampled masks (samples × entries of x at most 1e8)", default=100_000,
                  minimum=1, maximum=MAX_MASK_ENTRIES),
            Param("seed", INT, "random seed", default=0, minimum=0)),
    formula="m ~ Bernoulli(1 − p):  E[m·x/(1 − p)] = x  (plain dropout: E[m·x] = (1 − p)x)",
    latex=r"\mathbb{E}\left[\frac{m x}{1-p}\right] = x,\quad m \sim \mathrm{Bernoulli}(1-p)",
    compute=dropout_expectation,
    rules=(Rule(broken=lambda x, samples, **_: samples * len(x) > MAX_MASK_ENTRIES,
                says=lambda x, samples, **_: f"--samples × the {len(x)} entries of --x is at most {MAX_MASK_ENTRIES:,} "
                f"(the masks are held in memory), got {samples * len(x):,}"),),
    examples=(("--x 1,2 --p 0 --samples 10", "1.0,2.0", "p = 0 keeps everything"),
              ("--x 2 --p 0.5 --samples 4 --seed 1", "3.0",
               "masks keep, keep, drop, keep: (4 + 4 + 0 + 4)/4, within 4 standard errors (1 each) of 2")),
)
