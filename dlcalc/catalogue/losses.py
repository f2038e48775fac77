"""Losses and softmax (the sheet's missing §9, catalogue §1.16): softmax, log-sum-exp,
softmax cross-entropy and binary cross-entropy with their gradients, MSE, Huber, label smoothing,
and the identities behind them (shift invariance, softmax Jacobian, ∂CE/∂z = softmax(z) − y).

Everything is computed the stable way (subtract the maximum; log1p for softplus).
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import probability_vector, rounded, same_length, vector_text
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, INT, VECTOR, Param, choice, formula, identity
from dlcalc.core.result import Result

SECTION = "9"


def logsumexp(z) -> float:
    m = max(z)
    if math.isinf(m):
        return m
    return m + math.log(math.fsum(math.exp(v - m) for v in z))


def softmax(z, temperature: float = 1.0) -> list[float]:
    scaled = [v / temperature for v in z]
    m = max(scaled)
    weights = [math.exp(v - m) for v in scaled]
    total = math.fsum(weights)
    return [w / total for w in weights]


def _softmax_command(z, temperature):
    if temperature <= 0:
        raise DlcalcError("--temperature must be positive")
    return Result(value=softmax(z, temperature),
                  steps=[f"softmax(z/T)_i = exp(z_i/T − m)/Σ_j exp(z_j/T − m), m = max z/T = {max(z) / temperature!r}"])


formula(
    name="softmax",
    section=SECTION,
    catalogue_id="LOSS-SOFTMAX",
    summary="Softmax of logits (with temperature), computed stably",
    params=(Param("z", VECTOR, "logits z"), Param("temperature", FLOAT, "temperature T > 0", default=1.0, aliases=("T",))),
    formula="softmax(z)_i = e^{z_i/T} / Σ_j e^{z_j/T}  (= the same with z − max z)",
    latex=r"\mathrm{softmax}(z)_i = \frac{e^{z_i/T}}{\sum_j e^{z_j/T}}",
    compute=_softmax_command,
    examples=(
        ("--z 0,0", "0.5,0.5"),
        ("--z 0,0,0,0", "0.25,0.25,0.25,0.25"),
        ("--z 1000,1000", "0.5,0.5", "no overflow: the maximum is subtracted first"),
        ("--z 0,0.6931471805599453", "0.3333333333333333,0.6666666666666666", "e^0 : e^{ln 2} = 1 : 2"),
    ),
)

formula(
    name="logsumexp",
    section=SECTION,
    catalogue_id="LOSS-LSE",
    summary="log Σ exp(z_i), computed stably as m + log Σ exp(z_i − m)",
    params=(Param("z", VECTOR, "values z"),),
    formula="logsumexp(z) = m + log Σ_i e^{z_i − m},  m = max_i z_i",
    latex=r"\log\sum_i e^{z_i} = m + \log\sum_i e^{z_i - m}",
    compute=logsumexp,
    examples=(("--z 0,0", "0.6931471805599453"), ("--z 1000,1000", "1000.6931471805599", "no overflow")),
)


def _target(y, size):
    """A class index (one number) or a probability vector -> a probability vector."""
    if len(y) == 1 and size > 1:
        index = y[0]
        if index != int(index) or not 0 <= index < size:
            raise DlcalcError(f"--y: a class index must be a whole number in 0..{size - 1}, got {index}")
        return [1.0 if i == int(index) else 0.0 for i in range(size)]
    same_length(tuple(y), tuple(range(size)), "--y and --z")
    return list(probability_vector(tuple(y), "y"))


def softmax_cross_entropy(z, y):
    target = _target(y, len(z))
    lse = logsumexp(z)
    loss = math.fsum(t * (lse - v) for t, v in zip(target, z))
    probs = softmax(z)
    gradient = [p - t for p, t in zip(probs, target)]
    return Result(value=loss,
                  steps=["CE = −Σ y_i log softmax(z)_i = logsumexp(z) − yᵀz  (for Σy = 1)",
                         f"∂CE/∂z = softmax(z) − y = {vector_text(gradient)}"],
                  extra={"gradient": rounded(gradient), "softmax": rounded(probs)})


formula(
    name="softmax-ce",
    section=SECTION,
    catalogue_id="LOSS-CE-GRAD",
    summary="Softmax cross-entropy of logits against a class index or target distribution, and its gradient",
    params=(Param("z", VECTOR, "logits z"), Param("y", VECTOR, "the target: a class index (0-based) or a distribution")),
    formula="CE(z, y) = −Σ y_i log softmax(z)_i = logsumexp(z) − yᵀz;  ∂CE/∂z = softmax(z) − y",
    latex=r"\mathcal{L} = \log\sum_j e^{z_j} - y^\top z,\quad \nabla_z\mathcal{L} = \mathrm{softmax}(z) - y",
    compute=softmax_cross_entropy,
    examples=(
        ("--z 0,0 --y 0", "0.6931471805599453", "a 50/50 guess costs ln 2"),
        ("--z 0,0,0,0 --y 2", "1.3862943611198906", "ln 4"),
    ),
)


def binary_cross_entropy(logit, y):
    if not 0 <= y <= 1:
        raise DlcalcError("--y must lie in [0, 1]")
    # BCE(σ(z), y) = softplus(z) − yz, which never takes the log of 0.
    loss = max(logit, 0.0) + math.log1p(math.exp(-abs(logit))) - y * logit
    sig = 1 / (1 + math.exp(-logit)) if logit >= 0 else math.exp(logit) / (1 + math.exp(logit))
    return Result(value=loss, extra={"gradient": sig - y},
                  steps=["BCE = −y log σ(z) − (1−y) log(1 − σ(z)) = softplus(z) − yz",
                         f"∂BCE/∂z = σ(z) − y = {sig - y!r}"])


formula(
    name="bce",
    section="7",
    catalogue_id="LIN-BCE-GRAD",
    summary="Binary cross-entropy of a logit (logistic regression) and its gradient σ(z) − y",
    params=(Param("logit", FLOAT, "the logit z", aliases=("z",)), Param("y", FLOAT, "the label in [0, 1]")),
    formula="BCE(σ(z), y) = softplus(z) − yz;  ∂/∂z = σ(z) − y",
    latex=r"\mathrm{BCE}(\sigma(z), y) = \log(1+e^z) - yz,\quad \partial_z = \sigma(z) - y",
    compute=binary_cross_entropy,
    examples=(("--logit 0 --y 1", "0.6931471805599453"), ("--logit 0 --y 0.5", "0.6931471805599453")),
)


def regression_loss(pred, target, kind, delta):
    same_length(pred, target, "--pred and --target")
    residuals = [p - t for p, t in zip(pred, target)]
    if kind == "mse":
        terms = [r * r for r in residuals]
    elif kind == "mae":
        terms = [abs(r) for r in residuals]
    else:  # Huber: quadratic near 0, linear beyond delta, continuous with a continuous derivative
        terms = [0.5 * r * r if abs(r) <= delta else delta * (abs(r) - 0.5 * delta) for r in residuals]
    return math.fsum(terms) / len(terms)


formula(
    name="regression-loss",
    section=SECTION,
    catalogue_id="LOSS-MSE",
    summary="Mean squared error, mean absolute error or Huber loss of predictions",
    params=(
        Param("pred", VECTOR, "predictions"),
        Param("target", VECTOR, "targets"),
        Param("kind", choice("mse", "mae", "huber"), "the loss", default="mse"),
        Param("delta", FLOAT, "Huber threshold δ", default=1.0, minimum=0),
    ),
    formula="MSE = mean r²;  MAE = mean |r|;  Huber = mean(½r² if |r| ≤ δ else δ(|r| − ½δ)),  r = pred − target",
    latex=r"\frac1n\sum_i r_i^2,\quad \frac1n\sum_i \begin{cases}\tfrac12 r_i^2 & |r_i|\le\delta\\ \delta(|r_i| - \tfrac12\delta)\end{cases}",
    compute=regression_loss,
    examples=(("--pred 1,2 --target 0,0", "2.5"), ("--pred 3 --target 0 --kind huber --delta 1", "2.5"),
              ("--pred 0.5 --target 0 --kind huber", "0.125")),
)


MAX_CLASSES = 1_000_000  # the answer lists one probability per class: bounded like every size


def label_smoothing(classes, index, eps):
    if not 0 <= index < classes:
        raise DlcalcError(f"--index must lie in 0..{classes - 1}")
    if not 0 <= eps <= 1:
        raise DlcalcError("--eps must lie in [0, 1]")
    return rounded([(1 - eps) * (i == index) + eps / classes for i in range(classes)])


formula(
    name="label-smoothing",
    section=SECTION,
    catalogue_id="LOSS-SMOOTH",
    summary="Label-smoothed target distribution",
    params=(Param("classes", INT, f"number of classes K (at most {MAX_CLASSES:,}: one output value each)", minimum=1,
                  maximum=MAX_CLASSES),
            Param("index", INT, "the true class (0-based)", minimum=0),
            Param("eps", FLOAT, "smoothing ε", default=0.1)),
    formula="y_i = (1 − ε)·[i = c] + ε/K",
    latex=r"y_i = (1-\varepsilon)\,\mathbb{1}[i = c] + \varepsilon/K",
    compute=label_smoothing,
    examples=(("--classes 4 --index 0 --eps 0.2", "0.85,0.05,0.05,0.05"),),
)


# ---- identities ------------------------------------------------------------------------------


def _logits(n: int = 3):
    import sympy

    return sympy.Matrix(sympy.symbols(f"z1:{n + 1}", real=True))


def _softmax_sym(z):
    import sympy

    total = sum(sympy.exp(v) for v in z)
    return sympy.Matrix([sympy.exp(v) / total for v in z])


def softmax_shift_statement():
    import sympy

    z, c = _logits(), sympy.Symbol("c", real=True)
    return _softmax_sym(z + c * sympy.ones(len(z), 1)), _softmax_sym(z)


def softmax_jacobian_statement():
    """The Jacobian of softmax vs diag(s) − ssᵀ."""
    import sympy

    z = _logits()
    s = _softmax_sym(z)
    return s.jacobian(z), sympy.diag(*s) - s * s.T


def softmax_ce_gradient_statement():
    """∇_z of −Σ y_i log softmax(z)_i vs softmax(z) − y, for a target y on the simplex."""
    import sympy

    z = _logits()
    y1, y2 = sympy.symbols("y1 y2", positive=True)
    y = sympy.Matrix([y1, y2, 1 - y1 - y2])
    s = _softmax_sym(z)
    loss = -sum(y[i] * sympy.log(s[i]) for i in range(3))
    return sympy.Matrix([sympy.diff(loss, v) for v in z]), s - y


def logsumexp_shift_statement():
    import sympy

    z = _logits()
    m = sympy.Symbol("m", real=True)
    return sympy.log(sum(sympy.exp(v) for v in z)), m + sympy.log(sum(sympy.exp(v - m) for v in z))


def bce_gradient_statement():
    import sympy

    z, y = sympy.Symbol("z", real=True), sympy.Symbol("y", positive=True)
    s = 1 / (1 + sympy.exp(-z))
    loss = -y * sympy.log(s) - (1 - y) * sympy.log(1 - s)
    return sympy.diff(loss, z), s - y


def softplus_derivative_statement():
    import sympy

    x = sympy.Symbol("x", real=True)
    return sympy.diff(sympy.log(1 + sympy.exp(x)), x), 1 / (1 + sympy.exp(-x))


identity(name="softmax-shift", section=SECTION, catalogue_id="LOSS-SOFTMAX-SHIFT",
         summary="Softmax is invariant to adding a constant to every logit", formula="softmax(z + c·1) = softmax(z)",
         latex=r"\mathrm{softmax}(z + c\mathbf{1}) = \mathrm{softmax}(z)", build=softmax_shift_statement)
identity(name="softmax-jacobian", section=SECTION, catalogue_id="LOSS-SOFTMAX-JAC", summary="Jacobian of softmax",
         formula="∂softmax(z)/∂z = diag(s) − ssᵀ", latex=r"\frac{\partial s}{\partial z} = \mathrm{diag}(s) - ss^\top",
         build=softmax_jacobian_statement)
identity(name="softmax-ce-gradient", section=SECTION, catalogue_id="LOSS-CE-GRAD",
         summary="Gradient of softmax cross-entropy",
         formula="∂/∂z [−Σ y_i log softmax(z)_i] = softmax(z) − y  (Σ y_i = 1)",
         latex=r"\nabla_z \mathrm{CE} = \mathrm{softmax}(z) - y", build=softmax_ce_gradient_statement)
identity(name="logsumexp-shift", section=SECTION, catalogue_id="LOSS-LSE",
         summary="The stable log-sum-exp is exact for any shift m", formula="log Σ e^{z_i} = m + log Σ e^{z_i − m}",
         latex=r"\log\sum_i e^{z_i} = m + \log\sum_i e^{z_i-m}", build=logsumexp_shift_statement,
         method="expand_log + simplify")
identity(name="bce-gradient", section="7", catalogue_id="LIN-BCE-GRAD",
         summary="Gradient of binary cross-entropy in the logit", formula="∂BCE(σ(z), y)/∂z = σ(z) − y",
         latex=r"\partial_z \mathrm{BCE}(\sigma(z), y) = \sigma(z) - y", build=bce_gradient_statement)
identity(name="softplus-derivative", section=SECTION, catalogue_id="LOSS-SOFTPLUS", summary="softplus' = σ",
         formula="d/dx log(1 + eˣ) = σ(x)", latex=r"\frac{d}{dx}\log(1+e^x) = \sigma(x)",
         build=softplus_derivative_statement)
