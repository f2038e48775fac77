"""Activations (sheet §6 and the tanh block of §5), plus the ones §6 lacks (GELU, SiLU, leaky ReLU,
ELU, softplus): values, derivatives, and the sigmoid/tanh identities.

The functions are written with NumPy so that batch mode evaluates a whole column at once; a
single call gets a plain float back.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._activation_functions import activation_derivative, activation_value, sigmoid
from dlcalc.catalogue._common import finite_array, matrix_result
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, VECTOR, Param, Rule, choice, erratum, formula, identity

SECTION = "6"
FUNCTIONS = ("relu", "leaky-relu", "sigmoid", "tanh", "softplus", "gelu", "silu", "elu")


def _scalar(value):
    """NumPy 0-d results -> float (a batch keeps its array)."""
    import numpy as np

    return float(value) if np.ndim(value) == 0 else value


def per_function(compute, fn, x, *args):
    """Apply ``compute(fn, x, ...)``; in batch mode ``fn`` is a column, so go one name at a time."""
    import numpy as np

    if isinstance(fn, str):
        return _scalar(compute(fn, x, *args))
    x = np.broadcast_to(np.asarray(x, dtype=float), np.shape(fn))
    out = np.empty(np.shape(fn))
    for name in np.unique(fn):
        mask = fn == name
        out[mask] = compute(str(name), x[mask], *(np.broadcast_to(a, np.shape(fn))[mask] for a in args))
    return out


_FN = Param("fn", choice(*FUNCTIONS), "the activation", aliases=("function",))
_X = Param("x", FLOAT, "the input x")
_ALPHA = Param("alpha", FLOAT, "slope (leaky-relu) or scale (elu) for x < 0", default=0.01)
# The variants, as PyTorch defines them: gelu(x, approximate='tanh') and nn.Softplus(beta, threshold).
_VARIANTS = (
    Param("approximate", choice("none", "tanh"), "gelu: exact xΦ(x), or PyTorch's approximate='tanh' "
          "½x(1 + tanh(√(2/π)(x + 0.044715x³)))", default="none"),
    Param("beta", FLOAT, "softplus: β in (1/β)·log(1 + e^{βx}), β > 0 (nn.Softplus's beta)", default=1.0),
    Param("threshold", FLOAT, "softplus: the value is x where βx > threshold (nn.Softplus uses 20); "
          "the default inf never switches: the exact function", default=math.inf),
)
_BETA_POSITIVE = Rule(broken=lambda beta, **_: beta <= 0, says=lambda beta, **_: f"--beta must be > 0, got {beta}")

formula(
    name="activation",
    vectorised=True,
    section=SECTION,
    catalogue_id="ACT-RELU ACT-SIG",
    summary="Value of an activation: relu, leaky-relu, sigmoid, tanh, softplus, gelu, silu, elu",
    params=(_FN, _X, _ALPHA, *_VARIANTS),
    formula="ReLU max(x,0); σ(x) = 1/(1+e^{−x}); tanh; softplus (1/β)log(1+e^{βx}); GELU xΦ(x) "
    "(tanh form ½x(1 + tanh(√(2/π)(x + 0.044715x³)))); SiLU xσ(x); ELU α(eˣ−1) for x<0",
    latex=r"\mathrm{ReLU}(x) = \max(x, 0),\ \sigma(x) = \frac{1}{1+e^{-x}},\ \mathrm{GELU}(x) = x\Phi(x)",
    compute=lambda fn, x, alpha, approximate, beta, threshold: per_function(activation_value, fn, x, alpha, approximate,
                                                                            beta, threshold),
    rules=(_BETA_POSITIVE,),
    examples=(
        ("--fn relu --x -2", "0.0"),
        ("--fn sigmoid --x 0", "0.5"),
        ("--fn tanh --x 0", "0.0"),
        ("--fn leaky-relu --x -2 --alpha 0.1", "-0.2"),
        ("--fn gelu --x 0", "0.0"),
        ("--fn softplus --x 0", "0.6931471805599453", "ln 2"),
        ("--fn gelu --x 1 --approximate tanh", "0.8411919906082768", "½(1 + tanh(√(2/π)·1.044715))"),
        ("--fn softplus --x 1 --beta 2 --threshold 1", "1.0", "βx = 2 > 1: the linear branch"),
    ),
)


def derivative(fn, x, alpha, at_kink, approximate, beta, threshold):
    return per_function(activation_derivative, fn, x, alpha, at_kink, approximate, beta, threshold)


def _kink_note(fn, x, **_):
    if fn in ("relu", "leaky-relu", "elu") and x == 0:
        return (f"{fn} is not differentiable at 0: the one-sided derivatives differ (subdifferential "
                "[0, 1] for relu); the value shown is the --at-kink convention (frameworks use 0)")
    return f"{fn}'({x!r})"


_E32 = erratum(
    "E32",
    title="ReLU derivative at 0",
    sheet="ReLU'(x) = 0 if x ≤ 0; 1 if x ≥ 0 (both at 0)",
    correct="0 for x < 0 and 1 for x > 0; not differentiable at 0, subdifferential [0, 1]; frameworks use 0",
    command="dlcalc activation-grad --fn relu --x 0",
)

formula(
    name="activation-grad",
    vectorised=True,
    section=SECTION,
    catalogue_id="ACT-RELU-D",
    summary="Derivative of an activation at x (the kink of ReLU-like functions follows --at-kink)",
    params=(_FN, _X, _ALPHA,
            Param("at-kink", FLOAT, "value used at x = 0 for relu, leaky-relu, elu (a subgradient)", default=0.0),
            *_VARIANTS),
    formula="ReLU' = 1 (x>0), 0 (x<0), undefined at 0;  σ' = σ(1−σ);  tanh' = 1 − tanh²;  softplus' = σ(βx)",
    latex=r"\sigma'(x) = \sigma(x)(1-\sigma(x)),\quad \tanh'(x) = 1 - \tanh^2 x",
    compute=derivative,
    rules=(_BETA_POSITIVE,),
    show=_kink_note,
    errata=(_E32,),
    examples=(
        ("--fn sigmoid --x 0", "0.25"),
        ("--fn tanh --x 0", "1.0"),
        ("--fn relu --x 3", "1.0"),
        ("--fn relu --x 0", "0.0", "not differentiable: the framework convention"),
        ("--fn relu --x 0 --at-kink 0.5", "0.5", "any value in [0, 1] is a subgradient"),
        ("--fn softplus --x 0", "0.5"),
        ("--fn gelu --x 0", "0.5"),
        ("--fn gelu --x 0 --approximate tanh", "0.5"),
        ("--fn softplus --x 0 --beta 3", "0.5", "σ(βx) = σ(0)"),
    ),
)


MAX_JACOBIAN_SIZE = 1000  # the answer is the whole n×n matrix: a million numbers at the limit


def sigmoid_jacobian(z):
    """∂σ(z)/∂z for the elementwise sigmoid: diag(σ(z) ⊙ (1 − σ(z))) (n×n, numerator layout)."""
    import numpy as np

    if len(z) > MAX_JACOBIAN_SIZE:
        raise DlcalcError(f"--z has {len(z):,} entries: at most {MAX_JACOBIAN_SIZE:,} (the Jacobian printed is n×n)")
    s = sigmoid(finite_array(z, "--z"))
    return matrix_result(np.diag(s * (1 - s)),
                         steps=[f"σ(z) = {', '.join(f'{v:.6g}' for v in s)}",
                                "elementwise: ∂σ(z_i)/∂z_j = 0 for i ≠ j, so J = diag(σ(z) ⊙ (1 − σ(z)))"])


formula(
    name="sigmoid-jacobian",
    section=SECTION,
    catalogue_id="ACT-SIG-D",
    summary="Jacobian of the vector sigmoid at z: diag(σ(z)(1 − σ(z)))",
    params=(Param("z", VECTOR, "the input vector z"),),
    formula="∂σ(z)/∂z = diag(σ(z) ⊙ (1 − σ(z)))",
    latex=r"\frac{\partial \sigma(z)}{\partial z} = \mathrm{diag}\big(\sigma(z)\odot(1-\sigma(z))\big)",
    compute=sigmoid_jacobian,
    examples=(("--z 0,0", "[[0.25, 0.0], [0.0, 0.25]]"),
              ("--z 0,1.0986122886681098", "[[0.25, 0.0], [0.0, 0.1875]]", "σ(ln 3) = ¾: ¾·¼")),
)


# ---- identities ------------------------------------------------------------------------------


def _x():
    import sympy

    return sympy.Symbol("x", real=True)


def _sigma(x):
    import sympy

    return 1 / (1 + sympy.exp(-x))


def tanh_derivative_statement():
    import sympy

    x = _x()
    tanh = (sympy.exp(x) - sympy.exp(-x)) / (sympy.exp(x) + sympy.exp(-x))
    return sympy.diff(tanh, x), 1 - tanh**2


def sigmoid_derivative_statement():
    import sympy

    x = _x()
    return sympy.diff(_sigma(x), x), _sigma(x) * (1 - _sigma(x))


def logit_statement():
    """σ⁻¹(σ(x)) vs x, with σ⁻¹(y) = ln(y/(1−y))."""
    import sympy

    x = _x()
    y = _sigma(x)
    return sympy.log(y / (1 - y)), x


def sigmoid_tanh_derivative_statement():
    import sympy

    x = _x()
    return sympy.diff(_sigma(x), x), (1 - sympy.tanh(x / 2) ** 2) / 4


def sigmoid_symmetry_statement():
    x = _x()
    return _sigma(-x), 1 - _sigma(x)


def tanh_sigmoid_link_statement():
    """tanh(x) vs 2σ(2x) − 1."""
    import sympy

    x = _x()
    return sympy.tanh(x).rewrite(sympy.exp), 2 * _sigma(2 * x) - 1


_E31 = erratum(
    "E31",
    title="duplicated and misplaced blocks; the sigmoid–tanh connection has no formula",
    sheet="'Connection between Sigmoid and Tanh (Equal Representation Strength)' with no formula; "
    "tanh defined in §5; an empty 'D. (Tanh)' in §6",
    correct="tanh(x) = 2σ(2x) − 1, equivalently σ(x) = (1 + tanh(x/2))/2",
    command="dlcalc verify tanh-sigmoid-link",
)

identity(name="tanh-derivative", section=SECTION, catalogue_id="ACT-TANH", summary="tanh' = 1 − tanh²",
         formula="d/dx tanh x = 1 − tanh² x", latex=r"\tanh'(x) = 1 - \tanh^2 x", build=tanh_derivative_statement,
         errata=(_E31,))
identity(name="sigmoid-derivative", section=SECTION, catalogue_id="ACT-SIG-D", summary="σ' = σ(1 − σ)",
         formula="σ'(x) = σ(x)(1 − σ(x))", latex=r"\sigma'(x) = \sigma(x)(1-\sigma(x))",
         build=sigmoid_derivative_statement)
identity(name="logit-inverse", section=SECTION, catalogue_id="ACT-LOGIT",
         summary="The logit ln(y/(1−y)) inverts the sigmoid", formula="σ⁻¹(y) = ln(y/(1 − y))",
         latex=r"\sigma^{-1}(y) = \ln\frac{y}{1-y}", build=logit_statement)
identity(name="sigmoid-tanh-derivative", section=SECTION, catalogue_id="ACT-SIG-TANH-D",
         summary="σ'(x) = ¼(1 − tanh²(x/2))", formula="σ'(x) = ¼ tanh'(x/2) = ¼(1 − tanh²(x/2))",
         latex=r"\sigma'(x) = \tfrac14\big(1 - \tanh^2(x/2)\big)", build=sigmoid_tanh_derivative_statement,
         method="rewrite(exp) + simplify")
identity(name="sigmoid-symmetry", section=SECTION, catalogue_id="ACT-SIG-SYM", summary="σ(−x) = 1 − σ(x)",
         formula="σ(−x) = 1 − σ(x)", latex=r"\sigma(-x) = 1 - \sigma(x)", build=sigmoid_symmetry_statement)
identity(name="tanh-sigmoid-link", section=SECTION, catalogue_id="ACT-LINK",
         summary="tanh(x) = 2σ(2x) − 1 (tanh and sigmoid networks are equivalent)", formula="tanh(x) = 2σ(2x) − 1",
         latex=r"\tanh x = 2\sigma(2x) - 1", build=tanh_sigmoid_link_statement, errata=(_E31,))
