"""Linear models and MLPs (the sheet's missing §7–§8, catalogue §1.16): least squares by the normal
equations, the perceptron and Novikoff's mistake bound, and MLP parameter counts.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import claim_exit, rounded, vector_text
from dlcalc.errors import DlcalcError
from dlcalc.registry import FLAG, FLOAT, INT, MATRIX, VECTOR, AXES, Param, formula
from dlcalc.render.result import Result, Table


def least_squares(X, y, ridge):
    import numpy as np

    a, b = np.array(X, dtype=float), np.array(y, dtype=float)
    if a.shape[0] != len(b):
        raise DlcalcError(f"--X has {a.shape[0]} rows but --y has {len(b)} entries")
    gram = a.T @ a + ridge * np.eye(a.shape[1])
    if np.linalg.matrix_rank(gram) < a.shape[1]:
        raise DlcalcError("XᵀX is singular (collinear columns or fewer rows than columns): add --ridge")
    w = np.linalg.solve(gram, a.T @ b)
    # Cross-check: least squares on [X; sqrt(λ)I] against [y; 0] solves the same problem by QR/SVD.
    stacked = np.vstack([a, math.sqrt(ridge) * np.eye(a.shape[1])])
    check = np.linalg.lstsq(stacked, np.concatenate([b, np.zeros(a.shape[1])]), rcond=None)[0]
    gap = float(np.abs(w - check).max())
    residual = float(np.sum((a @ w - b) ** 2))
    warnings = [] if gap <= 1e-8 * max(1.0, float(np.abs(w).max())) else [
        f"normal equations and lstsq differ by {gap:.3g}: XᵀX is ill-conditioned"]
    value = rounded(w)
    return Result(name="least-squares", inputs={}, value=value, warnings=warnings,
                  steps=[f"w = (XᵀX + λI)⁻¹Xᵀy with λ = {ridge!r}", f"‖Xw − y‖² = {residual:.6g}",
                         f"cross-check by lstsq on the augmented system: max difference {gap:.2g}"],
                  extra={"residual": residual})


formula(
    name="least-squares",
    section="7",
    catalogue_id="LIN-LSQ",
    summary="Least-squares (or ridge) weights by the normal equations, cross-checked by lstsq",
    params=(Param("X", MATRIX, "design matrix, one example per row (add a column of ones for a bias)"),
            Param("y", VECTOR, "targets"), Param("ridge", FLOAT, "ridge penalty λ ≥ 0", default=0.0, minimum=0)),
    formula="w = (XᵀX + λI)⁻¹ Xᵀy",
    latex=r"w = (X^\top X + \lambda I)^{-1} X^\top y",
    compute=least_squares,
    batch_rows=False,
    examples=(("--X '[[1,0],[1,1],[1,2]]' --y 1,3,5", "1.0,2.0", "y = 1 + 2x exactly"),
              ("--X '[[1]]' --y 2 --ridge 1", "1.0", "2/(1 + 1)")),
)


def perceptron(X, y, epochs, eta):
    import numpy as np

    a, labels = np.array(X, dtype=float), np.array(y, dtype=float)
    if a.shape[0] != len(labels) or not np.isin(labels, (-1.0, 1.0)).all():
        raise DlcalcError("--y must hold one label −1 or +1 per row of --X")
    w, mistakes, rows = np.zeros(a.shape[1]), 0, []
    for epoch in range(1, epochs + 1):
        errors = 0
        for x, label in zip(a, labels):
            if label * (w @ x) <= 0:  # a mistake (0 counts: the rule must move off the boundary)
                w = w + eta * label * x
                errors += 1
        mistakes += errors
        rows.append([epoch, errors, vector_text(w)])
        if errors == 0:
            break
    separated = rows[-1][1] == 0
    radius = float(np.linalg.norm(a, axis=1).max())
    steps = [f"{mistakes} mistakes in {len(rows)} epochs; R = max ‖x_i‖ = {radius:.6g}"]
    extra = {"mistakes": mistakes, "separated": separated, "weights": rounded(w)}
    if separated:
        margin = float((labels * (a @ w)).min() / np.linalg.norm(w))
        extra["novikoff_bound"] = (radius / margin) ** 2
        steps.append(f"margin of the found w: γ_w = {margin:.6g}; Novikoff: mistakes ≤ (R/γ*)² ≤ (R/γ_w)² = "
                     f"{(radius / margin) ** 2:.6g}")
    value = rounded(w)
    return Result(name="perceptron", inputs={}, value=value, steps=steps,
                  table=Table(columns=["epoch", "mistakes", "w"], rows=rows, title="perceptron rule w ← w + η y x"),
                  extra=extra, exit_code=claim_exit(separated))


formula(
    name="perceptron",
    section="7",
    catalogue_id="LIN-PERCEPTRON",
    summary="Train a perceptron (no bias; add a column of ones) and check Novikoff's mistake bound",
    params=(Param("X", MATRIX, "examples, one per row"), Param("y", VECTOR, "labels −1 or +1"),
            Param("epochs", INT, "maximum passes over the data", default=100, minimum=1),
            Param("eta", FLOAT, "learning rate η", default=1.0, minimum=0)),
    formula="on a mistake (y wᵀx ≤ 0): w ← w + η y x;  #mistakes ≤ (R/γ)²",
    latex=r"w \leftarrow w + \eta\, y\, x,\quad \#\text{mistakes} \le (R/\gamma)^2",
    compute=perceptron,
    kind="claim",
    batch_rows=False,
    examples=(("--X '[[1,1],[1,-1],[-1,1],[-1,-1]]' --y 1,1,-1,-1", "2.0,0.0",
               "mistakes on the first two points: w = (1,1), then (2,0)"),),
    notes="Exit 1 if the data were not separated within --epochs.",
)


def novikoff_bound(R, gamma):
    return (R / gamma) ** 2


formula(
    name="perceptron-bound",
    section="7",
    catalogue_id="LIN-NOVIKOFF",
    summary="Novikoff's bound on the perceptron's mistakes, (R/γ)²",
    params=(Param("R", FLOAT, "radius max ‖x_i‖", minimum=0), Param("gamma", FLOAT, "margin γ > 0", minimum=1e-300)),
    formula="#mistakes ≤ (R/γ)²",
    latex=r"\#\text{mistakes} \le \left(\frac{R}{\gamma}\right)^2",
    compute=novikoff_bound,
    examples=(("--R 1 --gamma 0.1", "100.0"), ("--R 2 --gamma 0.5", "16.0")),
)


def mlp_params(sizes, no_bias):
    if len(sizes) < 2:
        raise DlcalcError("--sizes needs at least an input and an output size")
    per_layer = [(n_in + (0 if no_bias else 1)) * n_out for n_in, n_out in zip(sizes, sizes[1:])]
    return Result(name="mlp-params", inputs={}, value=sum(per_layer),
                  steps=[" + ".join(f"({a}{'' if no_bias else ' + 1'})·{b}" for a, b in zip(sizes, sizes[1:]))
                         + f" = {sum(per_layer)}"],
                  extra={"per_layer": per_layer})


formula(
    name="mlp-params",
    section="8",
    catalogue_id="MLP-PARAMS",
    summary="Parameters of a fully connected network with the given layer sizes",
    params=(Param("sizes", AXES, "layer sizes from input to output: 784,256,10", minimum=1),
            Param("no-bias", FLAG, "layers without biases", default=False)),
    formula="Σ_l (n_{l−1} + 1)·n_l",
    latex=r"\sum_l (n_{l-1} + 1)\, n_l",
    compute=mlp_params,
    batch_rows=False,
    examples=(("--sizes 784,256,10", "203530"), ("--sizes 2,3,1 --no-bias", "9")),
)
