"""Continuous laws shared by the probability densities (scale-pdf, sum-pdf, mgf-lin) and information's
differential-entropy (a private helper module: no area imports another area).

Each law declares only what is specific to it. Location defaults to 0. Where σ², b − a, 1/scale or 2b
underflow or overflow, the entropy is computed from the parameter the user gave (ln σ, ln(scale)), so
that a tiny or huge parameter gives its value instead of log 0.
"""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT

CONTINUOUS_PARAMS = {
    "normal": ("mean", "std", "var"),
    "uniform": ("low", "high"),
    "exponential": ("rate", "scale"),
    "laplace": ("mean", "scale"),
}

LAW_HELP = ("a distribution: 'normal mean=0 std=1' (or var=), 'uniform low=0 high=1', 'exponential rate=2' "
            "(or scale=), 'laplace mean=0 scale=1'")

_HALF_LOG_2_PI_E = 0.5 * math.log(2 * math.pi * math.e)


class Law(NamedTuple):
    """A continuous distribution: density (NumPy), MGF (math, with its domain), entropy (nats),
    the points where the density jumps or kinks, and an interval holding all but ~e^−40 of its mass."""

    text: str
    pdf: Callable[[Any], Any]
    mgf: Callable[[float], float]
    mgf_domain: tuple[float, float]
    entropy: float
    breaks: tuple[float, ...]
    support: tuple[float, float]


def check_dist_params(dist, supplied, allowed):
    stray = [name for name in supplied if name not in allowed]
    if stray:
        raise DlcalcError(f"--{stray[0]} does not apply to {dist} (its parameters: "
                          f"{', '.join('--' + a for a in allowed)})")


def positive_value(supplied, name):
    value = supplied[name]
    if value <= 0:
        raise DlcalcError(f"--{name} must be positive, got {value}")
    return value


def _only_one(supplied, names, dist):
    present = [n for n in names if n in supplied]
    if len(present) != 1:
        raise DlcalcError(f"{dist}: give exactly one of {', '.join('--' + n for n in names)}")
    return present[0]


def _normal_law(supplied):
    import numpy as np

    mean = supplied.get("mean", 0.0)
    spread = _only_one(supplied, ("std", "var"), "normal")
    given = positive_value(supplied, spread)
    std = given if spread == "std" else math.sqrt(given)
    var = given if spread == "var" else std * std
    if 1e-300 < var < 1e300:
        entropy = 0.5 * math.log(2 * math.pi * math.e * var)
    else:  # 2πeσ² underflows to 0 or a subnormal (σ = 5e-324), or overflows: the same value from ln σ
        entropy = _HALF_LOG_2_PI_E + (math.log(given) if spread == "std" else 0.5 * math.log(given))
    root_2pi = math.sqrt(2 * math.pi)
    return Law(f"N({mean!r}, {var!r})", lambda x: np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * root_2pi),
               lambda t: math.exp(mean * t + (std * t) ** 2 / 2), (-math.inf, math.inf),
               entropy, (), (mean - 40 * std, mean + 40 * std))


def _uniform_law(supplied):
    import numpy as np

    if "low" not in supplied or "high" not in supplied or supplied["high"] <= supplied["low"]:
        raise DlcalcError("uniform: give --low and --high with low < high")
    a, b = supplied["low"], supplied["high"]
    width = b - a
    entropy = math.log(width) if width < math.inf else math.log(b / 2 - a / 2) + math.log(2)  # b − a may overflow

    def mgf(t):
        return 1.0 if t == 0 else math.expm1(t * (b - a)) * math.exp(t * a) / (t * (b - a))

    return Law(f"U[{a!r}, {b!r}]", lambda x: np.where((x >= a) & (x <= b), 1 / (b - a), 0.0), mgf,
               (-math.inf, math.inf), entropy, (a, b), (a, b))


def _exponential_law(supplied):
    import numpy as np

    which = _only_one(supplied, ("rate", "scale"), "exponential")
    given = positive_value(supplied, which)
    rate = given if which == "rate" else 1 / given
    entropy = 1 - math.log(rate) if 0 < rate < math.inf else 1 + math.log(given)  # 1/scale overflows below 5.6e-309
    return Law(f"Exp(rate {rate!r})", lambda x: np.where(x >= 0, rate * np.exp(-rate * np.maximum(x, 0)), 0.0),
               lambda t: rate / (rate - t), (-math.inf, rate), entropy, (0.0,), (0.0, 45 / rate))


def _laplace_law(supplied):
    import numpy as np

    mean = supplied.get("mean", 0.0)
    if "scale" not in supplied:
        raise DlcalcError("laplace: --scale is required")
    b = positive_value(supplied, "scale")
    return Law(f"Laplace({mean!r}, {b!r})", lambda x: np.exp(-np.abs(x - mean) / b) / (2 * b),
               lambda t: math.exp(mean * t) / (1 - b * b * t * t), (-1 / b, 1 / b),
               1 + (math.log(2 * b) if 2 * b < math.inf else math.log(2) + math.log(b)),
               (mean,), (mean - 45 * b, mean + 45 * b))


_LAWS = {"normal": _normal_law, "uniform": _uniform_law, "exponential": _exponential_law, "laplace": _laplace_law}


def continuous_law(dist, supplied):
    """The Law named ``dist`` from its parameters (a dict of the given ones), checked."""
    check_dist_params(dist, supplied, CONTINUOUS_PARAMS[dist])
    return _LAWS[dist](supplied)


def law_from_spec(text, option):
    """'normal mean=1 std=2' -> a Law (the option name for messages)."""
    words = text.replace(",", " ").split()
    if not words or words[0].lower() not in _LAWS:
        raise DlcalcError(f"{option}: expected a distribution like 'normal mean=0 std=1', one of {', '.join(_LAWS)}; got {text!r}")
    supplied = {}
    for word in words[1:]:
        key, sep, number = word.partition("=")
        if not sep:
            raise DlcalcError(f"{option}: expected key=value, got {word!r}")
        try:
            supplied[key.strip().lower()] = FLOAT.parse(number)
        except DlcalcError as err:
            raise DlcalcError(f"{option}: {key}: {err.message}") from None
    try:
        law = continuous_law(words[0].lower(), supplied)
    except DlcalcError as err:
        raise DlcalcError(f"{option} {text!r}: {err.message.replace('--', '')}") from None
    low, high = law.support
    if not (math.isfinite(low) and math.isfinite(high) and low < high):  # e.g. std=1e308, or rate=inf from scale=5e-324
        raise DlcalcError(f"{option} {text!r}: the parameters are too extreme for floating point (its range overflows)")
    return law
