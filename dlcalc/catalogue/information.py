"""Information theory (sheet §5): entropy, cross-entropy, KL divergence, Jensen–Shannon divergence.

Discrete distributions are given as probability vectors; ``differential-entropy`` covers the
continuous laws of _laws.py (and can be negative, E30). The logarithm base is explicit
(``--base 2|e|10``, default e) and the unit is always stated: nats, bits or hartleys.
Conventions: 0·log 0 = 0; KL(p‖q) = ∞ where q(x) = 0 < p(x).
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import ABSENT, given, same_length
from dlcalc.catalogue._laws import continuous_law
from dlcalc.catalogue._probability import probabilities
from dlcalc.core.registry import FLOAT, VECTOR, Param, choice, claim, erratum, formula, identity
from dlcalc.core.result import Result

UNITS = {"e": "nats", "2": "bits", "10": "hartleys"}

BASE = Param("base", choice("e", "2", "10"), "logarithm base: e (nats), 2 (bits) or 10 (hartleys)", default="e")
_P = Param("p", VECTOR, "distribution p, e.g. 0.5,0.25,0.25 (entries ≥ 0 summing to 1)")
_Q = Param("q", VECTOR, "distribution q, same length as p")


def log_base(base: str) -> float:
    """ln(base): divide a value in nats by this to get it in the given base."""
    return {"e": 1.0, "2": math.log(2), "10": math.log(10)}[base]


def entropy_nats(p) -> float:
    return -math.fsum(x * math.log(x) for x in p if x > 0)


def _rules_out(p, q) -> bool:
    """q(x) = 0 where p(x) > 0: cross-entropy and KL are then infinite."""
    return any(x > 0 and y == 0 for x, y in zip(p, q))


def cross_entropy_nats(p, q) -> float:
    if _rules_out(p, q):
        return math.inf
    return -math.fsum(x * math.log(y) for x, y in zip(p, q) if x > 0)


def kl_nats(p, q) -> float:
    if _rules_out(p, q):
        return math.inf
    return math.fsum(x * math.log(x / y) for x, y in zip(p, q) if x > 0)


def jsd_nats(p, q) -> float:
    m = [(x + y) / 2 for x, y in zip(p, q)]
    return kl_nats(p, m) / 2 + kl_nats(q, m) / 2


def _in_base(name: str, nats: float, base: str, steps: list[str], extra: dict | None = None) -> Result:
    value = nats / log_base(base) + 0.0  # + 0.0 turns −0.0 (from −Σ over zeros) into 0.0
    return Result(
        value=value,
        plain=repr(value) if math.isfinite(value) else str(value),
        steps=steps + [f"= {value!r} {UNITS[base]} (log base {base})"],
        extra={"base": base, "unit": UNITS[base], **(extra or {})},
    )


def _pair(p, q):
    same_length(p, q, "--p and --q")
    return probabilities(p, "p"), probabilities(q, "q")


# ---- entropy -------------------------------------------------------------------------------


def entropy(p, base):
    probabilities(p, "p")
    return _in_base("entropy", entropy_nats(p), base, ["H(p) = −Σ p(x) log p(x)   (0·log 0 = 0)"])


_E30 = erratum(
    "E30",
    title="entropy ≥ 0 holds for discrete distributions only",
    sheet="H(p) ≥ 0 (unqualified)",
    correct="H(p) ≥ 0 for a discrete p; differential entropy can be negative: N(0, 0.1²) has "
    "h = ½ ln(2πe·0.01) ≈ −0.884 nats",
    command="dlcalc entropy --p 0.5,0.25,0.25 --base 2",
)

formula(
    name="entropy",
    section="5",
    catalogue_id="INFO-H",
    summary="Shannon entropy of a discrete distribution",
    params=(_P, BASE),
    formula="H(p) = −Σ p(x) log p(x)",
    latex=r"H(p) = -\sum_x p(x) \log p(x)",
    compute=entropy,
    errata=(_E30,),
    examples=(
        ("--p 0.5,0.5", "0.6931471805599453", "ln 2 nats"),
        ("--p 0.5,0.25,0.25 --base 2", "1.5", "1.5 bits"),
        ("--p 0.25,0.25,0.25,0.25 --base 2", "2.0"),
        ("--p 1,0", "0.0", "a certain outcome carries no information"),
    ),
)


# ---- cross-entropy -------------------------------------------------------------------------


def cross_entropy(p, q, base):
    p, q = _pair(p, q)
    nats = cross_entropy_nats(p, q)
    h, kl = entropy_nats(p), kl_nats(p, q)
    steps = [
        "H(p,q) = −Σ p(x) log q(x) = H(p) + KL(p‖q)",
        f"H(p) = {h / log_base(base)!r},  KL(p‖q) = {kl / log_base(base)!r}",
    ]
    extra = {"entropy": h / log_base(base), "kl": kl / log_base(base)}
    return _in_base("cross-entropy", nats, base, steps, extra)


formula(
    name="cross-entropy",
    infinite_ok=True,  # an infinite answer is the true one here
    section="5",
    catalogue_id="INFO-CE",
    summary="Cross-entropy H(p,q) of two discrete distributions, with its H(p) + KL split",
    params=(_P, _Q, BASE),
    formula="H(p,q) = −Σ p(x) log q(x) = H(p) + KL(p‖q)",
    latex=r"H(p,q) = -\sum_x p(x)\log q(x) = H(p) + D_{\mathrm{KL}}(p\,\|\,q)",
    compute=cross_entropy,
    examples=(
        ("--p 1,0 --q 0.5,0.5 --base 2", "1.0", "one bit: the loss of a 50/50 guess"),
        ("--p 0.5,0.5 --q 0.5,0.5", "0.6931471805599453", "H(p,p) = H(p)"),
        ("--p 0.5,0.5 --q 1,0", "inf", "q rules out an outcome p allows"),
    ),
)


def cross_entropy_split():
    """H(p,q) and H(p) + KL(p‖q) for three outcomes, as SymPy expressions."""
    import sympy

    p = sympy.symbols("p1:4", positive=True)
    q = sympy.symbols("q1:4", positive=True)
    cross = -sum(a * sympy.log(b) for a, b in zip(p, q))
    split = -sum(a * sympy.log(a) for a in p) + sum(a * sympy.log(a / b) for a, b in zip(p, q))
    return cross, split


identity(
    name="cross-entropy-split",
    section="5",
    catalogue_id="INFO-CE-DECOMP",
    summary="Cross-entropy equals entropy plus KL divergence",
    formula="H(p,q) = H(p) + KL(p‖q)",
    latex=r"H(p,q) = H(p) + D_{\mathrm{KL}}(p\,\|\,q)",
    build=cross_entropy_split,
    method="expand_log + simplify",
)


# ---- KL ------------------------------------------------------------------------------------


def kl(p, q, base):
    p, q = _pair(p, q)
    reverse = kl_nats(q, p) / log_base(base)
    steps = ["KL(p‖q) = Σ p(x) log(p(x)/q(x))   (∞ where q(x) = 0 < p(x))",
             f"not symmetric: KL(q‖p) = {reverse!r}"]
    return _in_base("kl", kl_nats(p, q), base, steps, {"reverse": reverse})


_E29 = erratum(
    "E29",
    title="KL(p, y) = 0 ⟺ p ≡ q",
    sheet="KL(p, y) = 0 ⟺ p ≡ q",
    correct="KL(p‖q) = 0 ⟺ p = q (almost everywhere); KL ≥ 0 always",
    command="dlcalc kl --p 0.5,0.5 --q 0.5,0.5",
)

formula(
    name="kl",
    infinite_ok=True,  # an infinite answer is the true one here
    section="5",
    catalogue_id="INFO-KL INFO-KL-AC",
    summary="Kullback–Leibler divergence KL(p‖q) of two discrete distributions",
    params=(_P, _Q, BASE),
    formula="KL(p‖q) = Σ p(x) log(p(x)/q(x))",
    latex=r"D_{\mathrm{KL}}(p\,\|\,q) = \sum_x p(x) \log \frac{p(x)}{q(x)}",
    compute=kl,
    errata=(_E29,),
    examples=(
        ("--p 0.5,0.5 --q 0.5,0.5", "0.0", "KL(p‖p) = 0"),
        ("--p 1,0 --q 0.5,0.5 --base 2", "1.0"),
        ("--p 0.5,0.5 --q 1,0", "inf", "p is not absolutely continuous w.r.t. q"),
    ),
)


# ---- JSD -----------------------------------------------------------------------------------


def jsd(p, q, base):
    p, q = _pair(p, q)
    steps = ["JSD(p,q) = ½ KL(p‖m) + ½ KL(q‖m),  m = (p + q)/2",
             f"range [0, ln 2] nats = [0, 1] bit, whatever the alphabet size (here {len(p)})"]
    return _in_base("jsd", jsd_nats(p, q), base, steps, {"maximum": math.log(2) / log_base(base)})


_E28 = erratum(
    "E28",
    title="JSD range [0, log n]",
    sheet="JSD(P,Q) ∈ [0, log(n)]",
    correct="JSD ∈ [0, ln 2] nats, i.e. [0, 1] bit, for any alphabet size; the maximum is reached "
    "at disjoint supports",
    command="dlcalc jsd --p 1,0,0,0,0,0,0,0,0,0 --q 0,1,0,0,0,0,0,0,0,0 --base 2",
)

formula(
    name="jsd",
    section="5",
    catalogue_id="INFO-JSD",
    summary="Jensen–Shannon divergence of two discrete distributions (at most ln 2)",
    params=(_P, _Q, BASE),
    formula="JSD(p,q) = ½ KL(p‖m) + ½ KL(q‖m),  m = ½(p + q);  0 ≤ JSD ≤ ln 2",
    latex=r"\mathrm{JSD}(p,q) = \tfrac12 D_{\mathrm{KL}}(p\,\|\,m) + \tfrac12 D_{\mathrm{KL}}(q\,\|\,m),\ m = \tfrac12(p+q)",
    compute=jsd,
    errata=(_E28,),
    examples=(
        ("--p 1,0 --q 0,1 --base 2", "1.0", "disjoint supports: the maximum, 1 bit"),
        ("--p 1,0,0,0,0,0,0,0,0,0 --q 0,1,0,0,0,0,0,0,0,0", "0.6931471805599453",
         "ln 2, not ln 10, with ten outcomes (E28)"),
        ("--p 0.5,0.5 --q 0.5,0.5", "0.0"),
    ),
)


def cross_entropy_minimiser_statement(at_p: bool = True):
    """∇_q of H(p, q) on the simplex (q3 = 1 − q1 − q2) at q = p vs 0: q = p is the stationary point
    (and H is convex in q, so the minimiser). ``at_p=False`` evaluates at the uniform q instead."""
    import sympy

    p1, p2, q1, q2 = sympy.symbols("p1 p2 q1 q2", positive=True)
    p, q = (p1, p2, 1 - p1 - p2), (q1, q2, 1 - q1 - q2)
    cross = -sum(a * sympy.log(b) for a, b in zip(p, q))
    point = {q1: p1, q2: p2} if at_p else {q1: sympy.Rational(1, 3), q2: sympy.Rational(1, 3)}
    return sympy.Matrix([sympy.diff(cross, v) for v in (q1, q2)]).subs(point), sympy.zeros(2, 1)


identity(
    name="cross-entropy-minimiser",
    section="5",
    catalogue_id="INFO-CE-MIN",
    summary="argmin over q of H(p, q) is p",
    formula="∇_q H(p, q) = 0 at q = p on the simplex (H convex in q, so argmin_q H(p,q) = p)",
    latex=r"\arg\min_q H(p, q) = p",
    build=cross_entropy_minimiser_statement,
    method="differentiate",
)


# ---- KL claims: zero iff equal, and not symmetric ------------------------------------------------


def _shown(value: float) -> float:
    return value + 0.0


def kl_zero(p, q):
    """KL(p‖q) = 0 ⟺ p = q, on one pair: the two sides of the equivalence must agree."""
    p, q = _pair(p, q)
    divergence = kl_nats(p, q)
    equal = all(x == y for x, y in zip(p, q))
    pinsker = 0.5 * math.fsum(abs(x - y) for x, y in zip(p, q)) ** 2  # KL ≥ ½‖p − q‖₁² (nats)
    holds = equal == (divergence == 0)
    steps = [f"KL(p‖q) = {divergence!r} nats;  p {'=' if equal else '≠'} q",
             f"Pinsker: KL(p‖q) ≥ ½‖p − q‖₁² = {pinsker!r} > 0 whenever p ≠ q (Gibbs: KL ≥ 0, = 0 only at p = q)"]
    if not holds:
        steps.append("the two sides disagree only through floating-point rounding (p and q differ in the last digits)")
    return Result(value={"kl": _shown(divergence), "equal": equal}, steps=steps,
                  extra={"pinsker_bound": pinsker}, holds=holds)


claim(
    name="kl-zero",
    section="5",
    catalogue_id="INFO-KL-ZERO",
    summary="KL(p‖q) = 0 exactly when p = q: decide both sides for a pair (exit 1 if they disagree)",
    params=(_P, _Q),
    formula="KL(p‖q) = 0 ⟺ p = q;  KL(p‖q) ≥ ½‖p − q‖₁² (Pinsker)",
    latex=r"D_{\mathrm{KL}}(p\,\|\,q) = 0 \iff p = q",
    compute=kl_zero,
    errata=(_E29,),
    examples=(
        ("--p 0.5,0.5 --q 0.5,0.5", "kl=0.0 equal=true"),
        ("--p 1,0 --q 0.5,0.5", "kl=0.6931471805599453 equal=false", "ln 2 > 0 because p ≠ q"),
    ),
    notes="Exit 0 when KL = 0 and p = q, or KL > 0 and p ≠ q (always, up to rounding).",
)


def kl_asymmetry(p, q, base):
    p, q = _pair(p, q)
    forward, reverse = kl_nats(p, q) / log_base(base), kl_nats(q, p) / log_base(base)
    differ = forward != reverse and not math.isclose(forward, reverse, rel_tol=1e-12, abs_tol=1e-15)
    steps = [f"KL(p‖q) = {forward!r},  KL(q‖p) = {reverse!r} {UNITS[base]}",
             "a witness that KL is not symmetric (JSD is)" if differ else
             "equal for this pair (e.g. p = q, or q a permutation-mirror of p): no witness"]
    return Result(value={"forward": _shown(forward), "reverse": _shown(reverse)},
                  steps=steps, extra={"base": base, "unit": UNITS[base], "asymmetric": differ},
                  holds=differ)


claim(
    name="kl-asymmetry",
    infinite_ok=True,  # an infinite answer is the true one here
    section="5",
    catalogue_id="INFO-KL-ASYM",
    summary="KL is not symmetric: KL(p‖q) and KL(q‖p) for a pair (exit 0 if they differ: a witness)",
    params=(_P, _Q, BASE),
    formula="KL(p‖q) ≠ KL(q‖p) in general",
    latex=r"D_{\mathrm{KL}}(p\,\|\,q) \ne D_{\mathrm{KL}}(q\,\|\,p)",
    compute=kl_asymmetry,
    examples=(
        ("--p 1,0 --q 0.5,0.5 --base 2", "forward=1.0 reverse=inf", "q puts mass where p has none"),
        ("--p 0.5,0.5 --q 0.25,0.75 --base 2", "forward=0.20751874963942185 reverse=0.18872187554086714",
         "1 − ½log₂3 against ¾log₂1.5 − ¼"),
        ("--p 0.3,0.7 --q 0.7,0.3", "forward=0.33891914415488145 reverse=0.33891914415488145",
         "a mirrored pair is symmetric: no witness (exit 1)"),
    ),
    notes="Exit 0 when KL(p‖q) ≠ KL(q‖p) (the pair witnesses the asymmetry), 1 when they are equal.",
)


# ---- differential entropy ------------------------------------------------------------------------

_H_FORMULAS = {"normal": "h = ½ ln(2πeσ²)", "uniform": "h = ln(b − a)", "exponential": "h = 1 − ln λ = 1 + ln(scale)",
               "laplace": "h = 1 + ln(2b)"}


def differential_entropy_nats(dist, **parameters):
    """h(X) in nats of the named law (the laws live in _laws, shared with the probability densities)."""
    return continuous_law(dist, {k: v for k, v in parameters.items() if given(v)}).entropy


def differential_entropy(dist, std, var, low, high, rate, scale, base):
    nats = differential_entropy_nats(dist, std=std, var=var, low=low, high=high, rate=rate, scale=scale)
    steps = [f"{_H_FORMULAS[dist]}  (h(X) = −∫ f log f)"]
    if nats < 0:
        steps.append("negative: differential entropy, unlike discrete entropy, can be < 0 (E30)")
    return _in_base("differential-entropy", nats, base, steps)


formula(
    name="differential-entropy",
    section="5",
    catalogue_id="INFO-H",
    summary="Differential entropy of a normal, uniform, exponential or Laplace distribution (can be negative)",
    params=(
        Param("dist", choice("normal", "uniform", "exponential", "laplace"), "the distribution"),
        Param("std", FLOAT, "standard deviation σ (normal)", default=ABSENT),
        Param("var", FLOAT, "variance σ² (normal)", default=ABSENT),
        Param("low", FLOAT, "lower end a (uniform)", default=ABSENT),
        Param("high", FLOAT, "upper end b (uniform)", default=ABSENT),
        Param("rate", FLOAT, "rate λ (exponential; mean 1/λ)", default=ABSENT),
        Param("scale", FLOAT, "scale: 1/λ (exponential) or b (laplace, density e^{−|x−μ|/b}/(2b))", default=ABSENT),
        BASE,
    ),
    formula="h(X) = −∫ f log f:  N ½ ln(2πeσ²);  U[a,b] ln(b − a);  Exp(λ) 1 − ln λ;  Laplace(b) 1 + ln(2b)",
    latex=r"h(X) = -\int f(x)\log f(x)\,dx,\quad h(\mathcal{N}(\mu,\sigma^2)) = \tfrac12\ln(2\pi e\sigma^2)",
    compute=differential_entropy,
    errata=(_E30,),
    examples=(
        ("--dist normal --std 0.1", "-0.8836465597893729", "½ ln(2πe·0.01): negative (E30)"),
        ("--dist uniform --low 0 --high 8 --base 2", "3.0"),
        ("--dist exponential --rate 1", "1.0"),
        ("--dist laplace --scale 0.5", "1.0", "1 + ln 1"),
    ),
)
