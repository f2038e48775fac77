"""Generative models, normalising flows (sheet §19.3): an affine flow's log-density by the change of
variables, and RealNVP's affine coupling.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import finite_array, rounded, square_array, vector_text
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import INT, MATRIX, VECTOR, Param, formula
from dlcalc.core.result import Result


# ---- normalising flows -------------------------------------------------------------------------------


def standard_normal_logpdf(z):
    return float(-0.5 * (z @ z) - 0.5 * len(z) * math.log(2 * math.pi))


def flow_logpdf(A, b, x):
    import numpy as np

    matrix = square_array(A, "A")
    shift = np.zeros(matrix.shape[0]) if b == () else np.array(b, dtype=float)
    point = np.array(x, dtype=float)
    if shift.shape != (matrix.shape[0],) or point.shape != shift.shape:
        raise DlcalcError(f"--b and --x need {matrix.shape[0]} values")
    sign, log_det = np.linalg.slogdet(matrix)
    if sign == 0:
        raise DlcalcError("A is singular: x = Az + b is not invertible")
    z = np.linalg.solve(matrix, point - shift)
    value = standard_normal_logpdf(z) - log_det
    return Result(value=rounded(value),
                  steps=["x = f(z) = Az + b, z ~ N(0, I):  ln p_x(x) = ln p_z(f⁻¹(x)) − ln|det ∂f/∂z|",
                         f"z = {vector_text(z)}, ln|det A| = {rounded(log_det)}"],
                  extra={"z": rounded(z), "log_abs_det": rounded(log_det)})


formula(
    name="flow-logpdf",
    section="19.3",
    catalogue_id="GEN-FLOW",
    summary="Log-density of an affine flow x = Az + b, z ~ N(0, I), by the change of variables",
    params=(
        Param("A", MATRIX, "invertible matrix A"),
        Param("x", VECTOR, "point x"),
        Param("b", VECTOR, "shift b (default 0)", default=()),
    ),
    formula="ln p_x(x) = ln p_z(f⁻¹(x)) − ln|det ∂f/∂z|",
    latex=r"\ln p_x(x) = \ln p_z(f^{-1}(x)) - \ln\left|\det \frac{\partial f}{\partial z}\right|",
    compute=flow_logpdf,
    examples=(
        ("--A '2' --x 0", "-1.61208571376", "ln N(0; 0, 4) = −½ln(2π) − ln 2"),
        ("--A '1,0;0,1' --x 0,0", "-1.83787706641", "−ln(2π)"),
    ),
)


def coupling(x, d, s_weights, t_weights):
    import numpy as np

    point = np.array(x, dtype=float)
    D = len(point)
    if not 0 < d < D:
        raise DlcalcError(f"--d must lie between 1 and {D - 1}")
    S, T = finite_array(s_weights, "--s-weights"), finite_array(t_weights, "--t-weights")
    if S.shape != (D - d, d) or T.shape != (D - d, d):
        raise DlcalcError(f"--s-weights and --t-weights must be {D - d}×{d} (s, t: ℝ^{d} → ℝ^{D - d})")
    y = coupling_forward(point, d, S, T)
    log_det = float(np.sum(S @ point[:d]))
    back = coupling_inverse(y, d, S, T)
    return Result(value={"y": rounded(y), "logdet": rounded(log_det)},
                  plain=f"y={vector_text(y)} logdet={rounded(log_det)!r}",
                  steps=["y_(1:d) = x_(1:d);  y_(d+1:D) = x_(d+1:D) ⊙ exp(s(x_(1:d))) + t(x_(1:d))",
                         "the Jacobian is triangular: ln|det J| = Σ_j s_j(x_(1:d))",
                         f"inverse (y − t) ⊙ exp(−s) recovers x to {float(np.max(abs(back - point))):.1g}"],
                  extra={"inverse": rounded(back)})


def coupling_forward(x, d, S, T):
    import numpy as np

    head = x[:d]
    return np.concatenate([head, x[d:] * np.exp(S @ head) + T @ head])


def coupling_inverse(y, d, S, T):
    import numpy as np

    head = y[:d]
    return np.concatenate([head, (y[d:] - T @ head) * np.exp(-(S @ head))])


formula(
    name="coupling",
    section="19.3",
    catalogue_id="GEN-REALNVP",
    summary="RealNVP affine coupling with linear s, t: output y and ln|det J| = Σ s(x_1:d)",
    params=(
        Param("x", VECTOR, "input x ∈ ℝ^D"),
        Param("d", INT, "the first d coordinates pass through", minimum=1),
        Param("s-weights", MATRIX, "s(x_1:d) = S·x_1:d, S is (D−d)×d"),
        Param("t-weights", MATRIX, "t(x_1:d) = T·x_1:d, T is (D−d)×d"),
    ),
    formula="y_{d+1:D} = x_{d+1:D} ⊙ exp(s(x_{1:d})) + t(x_{1:d}); ln|det J| = Σ_j s_j(x_{1:d})",
    latex=r"\ln\lvert\det J\rvert = \sum_j s_j(x_{1:d})",
    compute=coupling,
    examples=(("--x 1,2 --d 1 --s-weights '0.5' --t-weights '1'", "y=1.0,4.2974425414 logdet=0.5",
               "2·e^0.5 + 1"),),
)
