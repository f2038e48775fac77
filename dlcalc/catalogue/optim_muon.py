"""Optimisers, Muon (sheet §11.3): orthogonalise a momentum matrix by SVD or Newton–Schulz
iterations (``muon-orth``) and take a whole Muon step (``muon-step``).
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import ABSENT, finite_array, given, matrix_result, rounded
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, INT, MATRIX, Param, choice, erratum, formula

SECTION = "11.3"


# ---- Muon ---------------------------------------------------------------------------------------

# Quintic Newton–Schulz coefficients tuned for speed of convergence near 0 (the Muon reference).
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def newton_schulz(m, steps, coefficients=NS_COEFFICIENTS):
    """Approximate the polar factor UVᵀ by quintic iterations X ← aX + (bXXᵀ + c(XXᵀ)²)X."""
    import numpy as np

    a, b, c = coefficients
    x = m / (np.linalg.norm(m) + 1e-7)  # the Frobenius norm bounds σ_max, so σ ≤ 1 to start
    wide = x.shape[0] > x.shape[1]
    if wide:
        x = x.T  # iterate on the smaller Gram matrix
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if wide else x


def polar_factor(m):
    """UVᵀ from the thin SVD (all singular values 1)."""
    import numpy as np

    u, _, vt = np.linalg.svd(m, full_matrices=False)
    return u @ vt


def muon_orth(matrix, method, ns_steps):
    import numpy as np

    m = np.array(matrix, dtype=float)
    p = polar_factor(m) if method == "svd" else newton_schulz(m, ns_steps)
    singular = np.linalg.svd(p, compute_uv=False)
    rows, cols = m.shape
    steps = [f"singular values of M: {', '.join(f'{s:.4g}' for s in np.linalg.svd(m, compute_uv=False))}",
             f"singular values of orth(M): {', '.join(f'{s:.4g}' for s in singular)}"
             + (" (Newton–Schulz only pushes them near 1)" if method != "svd" else ""),
             f"Muon's update: W ← W − η·s·orth(M) with s = sqrt(d_out/d_in) = {math.sqrt(rows / cols):.4g} "
             f"(reference code: max(1, d_out/d_in)^½ = {math.sqrt(max(1, rows / cols)):.4g})"]
    return matrix_result(p, digits=10,
                  steps=steps, extra={"singular_values": rounded(singular)})


_E41 = erratum(
    "E41",
    title="Muon's 'orthogonalize' undefined; full-SVD shapes",
    sheet="orthogonalize via SVD M = UΣVᵀ with U ∈ O(m), V ∈ O(n)",
    correct="orth(M) = UVᵀ from the thin SVD (U m×r, V n×r), the polar factor; in practice ~5 quintic "
    "Newton–Schulz steps, which only push the singular values near 1; scale sqrt(d_out/d_in)",
    command="dlcalc muon-orth --matrix '[[3,0],[0,1],[0,0]]' --method svd",
)

formula(
    name="muon-orth",
    section=SECTION,
    catalogue_id="OPT-MUON",
    summary="Muon's orthogonalisation of a momentum matrix: UVᵀ by SVD or Newton–Schulz",
    params=(
        Param("matrix", MATRIX, "the (momentum) matrix M", aliases=("M",)),
        Param("method", choice("svd", "newton-schulz"), "exact polar factor, or quintic Newton–Schulz", default="svd"),
        Param("ns-steps", INT, "Newton–Schulz iterations (at most 1,000; about 5 are used in practice)", default=5,
              minimum=0, maximum=1000),
    ),
    formula="orth(M) = UVᵀ where M = UΣVᵀ (thin SVD);  W ← W − η·sqrt(d_out/d_in)·orth(μM_{t−1} + ∇W)",
    latex=r"\mathrm{orth}(M) = UV^\top,\quad M = U\Sigma V^\top",
    compute=muon_orth,
    errata=(_E41,),
    examples=(("--matrix '[[3,0],[0,1],[0,0]]'", "[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]"),
              ("--matrix '[[0,2],[-5,0]]'", "[[0.0, 1.0], [-1.0, 0.0]]")),
)


def muon_step(W, grad, momentum, mu, eta, method, ns_steps, scale):
    """M_t = μM_{t−1} + ∇W;  W ← W − η·s·orth(M_t), s = sqrt(d_out/d_in) (or the reference max(1, ·)^½)."""
    import numpy as np

    w, g = finite_array(W, "--W"), finite_array(grad, "--grad")
    previous = np.zeros_like(g) if not given(momentum) else finite_array(momentum, "--momentum")
    if not (w.shape == g.shape == previous.shape):
        raise DlcalcError(f"--W, --grad and --momentum must have the same shape, got "
                          f"{w.shape[0]}×{w.shape[1]}, {g.shape[0]}×{g.shape[1]}, {previous.shape[0]}×{previous.shape[1]}")
    m = mu * previous + g
    p = polar_factor(m) if method == "svd" else newton_schulz(m, ns_steps)
    d_out, d_in = w.shape
    s = math.sqrt(d_out / d_in) if scale == "paper" else math.sqrt(max(1.0, d_out / d_in))
    new, orth = w - eta * s * p, rounded(p, 10)
    return matrix_result(new, digits=10, extra={"momentum": rounded(m), "orth": orth, "scale": s},
                         steps=[f"M_t = μM_{{t−1}} + ∇W = {rounded(m.tolist())}",
                                f"orth(M_t) by {method}: {orth}",
                                f"s = {'sqrt(d_out/d_in)' if scale == 'paper' else 'max(1, d_out/d_in)^½'} = {s!r} "
                                f"(W is d_out×d_in = {d_out}×{d_in});  W ← W − η·s·orth(M_t)"])


formula(
    name="muon-step",
    section=SECTION,
    catalogue_id="OPT-MUON",
    summary="One Muon update: momentum, orthogonalisation (as muon-orth), W ← W − η·s·orth(M)",
    params=(
        Param("W", MATRIX, "the weights W (d_out×d_in)"),
        Param("grad", MATRIX, "the gradient ∇_W L, same shape"),
        Param("momentum", MATRIX, "the previous momentum M_{t−1} (default zeros)", default=ABSENT),
        Param("mu", FLOAT, "momentum μ", default=0.95, minimum=0),
        Param("eta", FLOAT, "learning rate η", default=0.02, minimum=0),
        Param("method", choice("svd", "newton-schulz"), "exact polar factor, or quintic Newton–Schulz", default="svd"),
        Param("ns-steps", INT, "Newton–Schulz iterations (at most 1,000; about 5 are used in practice)", default=5,
              minimum=0, maximum=1000),
        Param("scale", choice("paper", "reference"), "s = sqrt(d_out/d_in), or the reference code's max(1, d_out/d_in)^½",
              default="paper"),
    ),
    formula="M_t = μM_{t−1} + ∇_W L;  W_{t+1} = W_t − η·s·orth(M_t),  orth(M) = UVᵀ (thin SVD),  s = sqrt(d_out/d_in)",
    latex=r"M_t = \mu M_{t-1} + \nabla_W\mathcal{L},\quad W_{t+1} = W_t - \eta\, s\, \mathrm{orth}(M_t)",
    compute=muon_step,
    errata=(_E41,),
    examples=(
        ("--W '[[1,0],[0,1]]' --grad '[[3,0],[0,1]]' --eta 0.1", "[[0.9, 0.0], [0.0, 0.9]]", "orth = I, s = 1"),
        ("--W '[[0,0],[0,0],[0,0]]' --grad '[[3,0],[0,1],[0,0]]' --eta 1",
         "[[-1.224744871, 0.0], [0.0, -1.224744871], [0.0, 0.0]]", "s = sqrt(3/2)"),
        ("--W '[[0,0],[0,0],[0,0]]' --grad '[[0,0],[0,0],[0,0]]' --momentum '[[0,2],[-5,0],[0,0]]' --mu 0.5 --eta 1",
         "[[0.0, -1.224744871], [1.224744871, 0.0], [0.0, 0.0]]", "M = ½·M_{t−1}: orth = [[0,1],[−1,0],[0,0]]"),
    ),
)
