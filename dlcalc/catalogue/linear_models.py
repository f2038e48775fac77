"""Linear models and MLPs (the sheet's missing §7–§8, catalogue §1.16): least squares by the normal
equations, the perceptron and Novikoff's mistake bound, MLP parameter counts, and backpropagation
(the δ-rule of the missing §11.1) on given weights.
"""

from __future__ import annotations

import json
import math

from dlcalc.catalogue._activation_functions import activation_derivative, activation_value
from dlcalc.catalogue._common import ABSENT, finite_array, given, rounded, shape_text, vector_text
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLAG, FLOAT, INT, MATRIX, VECTOR, AXES, Param, Rule, choice, claim, formula
from dlcalc.core.result import Result, Table


MAX_FEATURES = 2000  # XᵀX is formed and solved: 4e6 entries at the limit


def least_squares(X, y, ridge):
    import numpy as np

    a, b = np.array(X, dtype=float), np.array(y, dtype=float)
    if a.shape[0] != len(b):
        raise DlcalcError(f"--X has {a.shape[0]} rows but --y has {len(b)} entries")
    if a.shape[1] > MAX_FEATURES:
        raise DlcalcError(f"--X has {a.shape[1]:,} columns: at most {MAX_FEATURES:,} (XᵀX is columns × columns)")
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
    return Result(value=value, warnings=warnings,
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
    examples=(("--X '[[1,0],[1,1],[1,2]]' --y 1,3,5", "1.0,2.0", "y = 1 + 2x exactly"),
              ("--X '[[1]]' --y 2 --ridge 1", "1.0", "2/(1 + 1)")),
)


MAX_PERCEPTRON_STEPS = 10_000_000  # the rule visits the examples one by one in Python


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
        extra["novikoff_bound"] = novikoff_bound(radius, margin)
        steps.append(f"margin of the found w: γ_w = {margin:.6g}; Novikoff: mistakes ≤ (R/γ*)² ≤ (R/γ_w)² = "
                     f"{extra['novikoff_bound']:.6g}")
    value = rounded(w)
    return Result(value=value, steps=steps,
                  table=Table(columns=["epoch", "mistakes", "w"], rows=rows, title="perceptron rule w ← w + η y x"),
                  extra=extra, holds=separated)


claim(
    name="perceptron",
    section="7",
    catalogue_id="LIN-PERCEPTRON",
    summary="Train a perceptron (no bias; add a column of ones) and check Novikoff's mistake bound",
    params=(Param("X", MATRIX, "examples, one per row"), Param("y", VECTOR, "labels −1 or +1"),
            Param("epochs", INT, f"maximum passes over the data (epochs × rows at most {MAX_PERCEPTRON_STEPS:,})",
                  default=100, minimum=1, maximum=MAX_PERCEPTRON_STEPS),
            Param("eta", FLOAT, "learning rate η", default=1.0, minimum=0)),
    formula="on a mistake (y wᵀx ≤ 0): w ← w + η y x;  #mistakes ≤ (R/γ)²",
    latex=r"w \leftarrow w + \eta\, y\, x,\quad \#\text{mistakes} \le (R/\gamma)^2",
    compute=perceptron,
    rules=(Rule(broken=lambda X, epochs, **_: epochs * len(X) > MAX_PERCEPTRON_STEPS,
                says=lambda X, epochs, **_: f"--epochs × the {len(X)} rows of --X is at most {MAX_PERCEPTRON_STEPS:,} "
                f"(one Python step each), got {epochs * len(X):,}"),),
    examples=(("--X '[[1,1],[1,-1],[-1,1],[-1,-1]]' --y 1,1,-1,-1", "2.0,0.0",
               "mistakes on the first two points: w = (1,1), then (2,0)"),),
    notes="Exit 1 if the data were not separated within --epochs.",
)


def novikoff_bound(R, gamma):
    return (R / gamma) ** 2


formula(
    name="perceptron-bound",
    vectorised=True,
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
    return Result(value=sum(per_layer),
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
    examples=(("--sizes 784,256,10", "203530"), ("--sizes 2,3,1 --no-bias", "9")),
)


# ---- backpropagation: the δ-rule (the sheet's missing §11.1) -------------------------------------

LAYER_ACTIVATIONS = ("identity", "relu", "leaky-relu", "sigmoid", "tanh", "softplus", "gelu", "silu", "elu")


def activation_pair(name, a):
    """(φ(a), φ'(a)) with NumPy; φ'(0) = 0 at the ReLU kink (the framework convention, E32)."""
    import numpy as np

    if name == "identity":
        return a, np.ones_like(a)
    return activation_value(name, a, 0.01), activation_derivative(name, a, 0.01, 0.0)


def mlp_layers(W, b, x):
    """Check the shapes; (weights, biases, input) as NumPy arrays."""
    import numpy as np

    weights = [finite_array(w, f"--W (layer {l})") for l, w in enumerate(W, start=1)]
    biases = [np.zeros(w.shape[0]) for w in weights] if not given(b) else [finite_array(v, "--b") for v in b]
    if len(biases) != len(weights):
        raise DlcalcError(f"--b given {len(biases)} times for {len(weights)} layers: give one per layer or none")
    width = len(x)
    for l, (w, v) in enumerate(zip(weights, biases), start=1):
        if w.shape[1] != width:
            raise DlcalcError(f"layer {l}: W is {w.shape[0]}×{w.shape[1]} but its input has {width} entries")
        if len(v) != w.shape[0]:
            raise DlcalcError(f"layer {l}: b has {len(v)} entries but W has {w.shape[0]} rows")
        width = w.shape[0]
    return weights, biases, np.array(x, dtype=float)


def mlp_forward(weights, biases, x, act, output):
    """Pre-activations a^l and activations h^l (h^0 = x): h^l = φ(W^l h^{l−1} + b^l), ψ on the last layer."""
    pre, post = [], [x]
    for l, (w, v) in enumerate(zip(weights, biases), start=1):
        pre.append(w @ post[-1] + v)
        post.append(activation_pair(output if l == len(weights) else act, pre[-1])[0])
    return pre, post


def mlp_backward(weights, pre, post, y, act, output):
    """δ^L = (ŷ − y) ⊙ ψ'(a^L);  δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ φ'(a^l);  ∂L/∂W^l = δ^l (h^{l−1})ᵀ."""
    import numpy as np

    deltas = [(post[-1] - y) * activation_pair(output, pre[-1])[1]]
    for l in range(len(weights) - 1, 0, -1):
        deltas.insert(0, (weights[l].T @ deltas[0]) * activation_pair(act, pre[l - 1])[1])
    return deltas, [np.outer(d, h) for d, h in zip(deltas, post[:-1])]


def backprop(W, b, x, y, act, output):
    import numpy as np

    weights, biases, h0 = mlp_layers(W, b, x)
    pre, post = mlp_forward(weights, biases, h0, act, output)
    target = np.array(y, dtype=float)
    if target.shape != post[-1].shape:
        raise DlcalcError(f"--y has {len(target)} entries but the network outputs {len(post[-1])}")
    deltas, grads = mlp_backward(weights, pre, post, target, act, output)
    loss = 0.5 * float(np.sum((post[-1] - target) ** 2))
    shown = [rounded(g) for g in grads]  # each layer on its own: a vanishing layer is not noise beside a large one
    rows = [[l, shape_text(g.shape), vector_text(d), json.dumps(s)] for l, (d, g, s) in
            enumerate(zip(deltas, grads, shown), start=1)]
    return Result(value=shown, plain=json.dumps(shown),
                  steps=[f"forward: ŷ = {vector_text(post[-1])},  L = ½‖ŷ − y‖² = {loss!r}",
                         "δ^L = (ŷ − y) ⊙ ψ'(a^L);  δ^l = (W^{l+1})ᵀδ^{l+1} ⊙ φ'(a^l);  ∂L/∂W^l = δ^l (h^{l−1})ᵀ;  ∂L/∂b^l = δ^l"],
                  table=Table(columns=["layer", "W shape", "δ^l = ∂L/∂b^l", "∂L/∂W^l"], rows=rows, title="backpropagation"),
                  extra={"loss": loss, "output": rounded(post[-1]), "deltas": [rounded(d) for d in deltas]})


formula(
    name="backprop",
    section="11.1",
    catalogue_id="MLP-BACKPROP",
    summary="Backpropagation (the δ-rule) through an MLP on given weights: ∂L/∂W^l for L = ½‖ŷ − y‖²",
    params=(
        Param("W", MATRIX, "weight matrix of one layer, repeated first layer first: --W '[[1,2],[3,4]]' --W '[[1,1]]'",
              multiple=True),
        Param("b", VECTOR, "bias vector of one layer, repeated like --W (default zeros)", default=ABSENT, multiple=True),
        Param("x", VECTOR, "the input h^0 = x"),
        Param("y", VECTOR, "the target y"),
        Param("act", choice(*LAYER_ACTIVATIONS), "hidden activation φ", default="relu"),
        Param("output", choice(*LAYER_ACTIVATIONS), "output activation ψ", default="identity"),
    ),
    formula="a^l = W^l h^{l−1} + b^l, h^l = φ(a^l);  δ^L = ∇_ŷL ⊙ ψ'(a^L);  δ^l = (W^{l+1})ᵀδ^{l+1} ⊙ φ'(a^l);  "
    "∂L/∂W^l = δ^l (h^{l−1})ᵀ",
    latex=r"\delta^l = (W^{l+1})^\top \delta^{l+1} \odot \varphi'(a^l),\quad \frac{\partial L}{\partial W^l} = \delta^l (h^{l-1})^\top",
    compute=backprop,
    examples=(
        ("--W '[[1,-2],[0.5,2]]' --W '[[1,1]]' --x 1,1 --y 0", "[[[0.0, 0.0], [2.5, 2.5]], [[0.0, 6.25]]]",
         "a¹ = (−1, 2.5), h¹ = (0, 2.5), ŷ = 2.5: δ² = 2.5, δ¹ = (0, 2.5)"),
        ("--W '[[0]]' --x 1 --y 1 --output sigmoid", "[[[-0.125]]]", "ŷ = σ(0) = ½: δ = (½ − 1)·¼"),
    ),
    notes="Prints ∂L/∂W^l for every layer, first layer first; --json also gives δ^l (= ∂L/∂b^l), ŷ and L.",
)
