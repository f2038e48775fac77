"""Activation functions and their derivatives with NumPy (not a catalogue area: the name starts with _).

Shared by the activation commands and by backpropagation through an MLP. Every function takes a
number or an array (batch rows) and returns an array; the variants follow PyTorch's definitions:
``torch.nn.functional.gelu(x, approximate=...)`` and ``torch.nn.Softplus(beta, threshold)``.
"""

from __future__ import annotations

import math


# GELU's tanh approximation (Hendrycks & Gimpel 2016; PyTorch's approximate='tanh'):
# ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
GELU_TANH_SCALE = math.sqrt(2 / math.pi)
GELU_TANH_CUBIC = 0.044715


def _erfc(x):
    import numpy as np

    return np.vectorize(math.erfc, otypes=[float])(x)


def sigmoid(x):
    import numpy as np

    # Two branches so that neither exp overflows: σ(x) = 1/(1+e^{−x}) = e^{x}/(1+e^{x}).
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def softplus(x):
    import numpy as np

    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def normal_cdf(x):
    # Φ(x) = ½ erfc(−x/√2): no cancellation in the left tail, unlike ½(1 + erf(x/√2)).
    return 0.5 * _erfc(-x / math.sqrt(2))


def _tanh_argument(x):
    return GELU_TANH_SCALE * (x + GELU_TANH_CUBIC * x**3)


def gelu(x, approximate):
    import numpy as np

    exact = x * normal_cdf(x)
    with np.errstate(over="ignore"):  # x³ overflows only where σ is 0 or 1 anyway
        # ½x(1 + tanh u) = x·σ(2u): the same function, without 1 + tanh u cancelling in the left tail
        tanh_form = x * sigmoid(2 * _tanh_argument(x))
    return np.where(np.asarray(approximate) == "tanh", tanh_form, exact)


def gelu_derivative(x, approximate):
    import numpy as np

    exact = normal_cdf(x) + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    with np.errstate(over="ignore", invalid="ignore"):
        s = sigmoid(2 * _tanh_argument(x))
        slope = s * (1 - s)  # σ'(2u)·2u'(x) with u' = √(2/π)(1 + 3·0.044715x²); 0 far out, where u' may be ∞
        tanh_form = s + np.where(slope > 0, 2 * x * slope * GELU_TANH_SCALE * (1 + 3 * GELU_TANH_CUBIC * x * x), 0.0)
    return np.where(np.asarray(approximate) == "tanh", tanh_form, exact)


def softplus_beta(x, beta, threshold):
    """torch.nn.Softplus: (1/β)·log(1 + e^{βx}), and x itself where βx > threshold (+∞: never)."""
    import numpy as np

    scaled = beta * x
    return np.where(scaled > threshold, x, softplus(scaled) / beta)


def softplus_beta_derivative(x, beta, threshold):
    import numpy as np

    scaled = beta * x
    return np.where(scaled > threshold, 1.0, sigmoid(scaled))


def activation_value(fn, x, alpha, approximate="none", beta=1.0, threshold=math.inf):
    import numpy as np

    x = np.asarray(x, dtype=float)
    values = {
        "relu": lambda: np.maximum(x, 0.0),
        "leaky-relu": lambda: np.where(x > 0, x, alpha * x),
        "sigmoid": lambda: sigmoid(x),
        "tanh": lambda: np.tanh(x),
        "softplus": lambda: softplus_beta(x, beta, threshold),
        "gelu": lambda: gelu(x, approximate),
        "silu": lambda: x * sigmoid(x),
        "elu": lambda: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))),
    }
    return values[fn]()


def activation_derivative(fn, x, alpha, at_kink, approximate="none", beta=1.0, threshold=math.inf):
    import numpy as np

    x = np.asarray(x, dtype=float)
    s = sigmoid(x)
    derivatives = {
        # At the kink x = 0 ReLU-like functions have no derivative; --at-kink picks the convention.
        "relu": lambda: np.where(x > 0, 1.0, np.where(x < 0, 0.0, at_kink)),
        "leaky-relu": lambda: np.where(x > 0, 1.0, np.where(x < 0, alpha, at_kink)),
        "sigmoid": lambda: s * (1 - s),
        "tanh": lambda: 1 - np.tanh(x) ** 2,
        "softplus": lambda: softplus_beta_derivative(x, beta, threshold),
        "gelu": lambda: gelu_derivative(x, approximate),
        "silu": lambda: s * (1 + x * (1 - s)),
        "elu": lambda: np.where(x > 0, 1.0, np.where(x < 0, alpha * np.exp(np.minimum(x, 0)), at_kink)),
    }
    return derivatives[fn]()
