"""Backpropagation through convolutions and pooling (sheet §12.5, §12.6): receptive-field sets, the
weight and input gradients as convolutions with rot180, weight sharing, rot180, pooling and its
gradient routing. Conventions in _convolution.py; NumPy only, imported inside the functions."""

from __future__ import annotations

from dlcalc.catalogue._cnn_rules import E49, conv_out_size
from dlcalc.catalogue._common import ABSENT, given, rounded, shape_text, vector_text
from dlcalc.catalogue._convolution import (MAX_VECTORISED, X_SIGNAL, array_result, as_matrix, as_vector, bounded,
                                           convolve, crop, full_convolution, lookup, max_difference)
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import INT, MATRIX, VECTOR, Param, choice, erratum, formula
from dlcalc.core.result import Result, Table

# ---- receptive-field sets ------------------------------------------------------------------


_E47 = erratum(
    "E47",
    title="receptive-field gradient statement",
    sheet="∀ j ≠ 𝓘_l^i: ∂𝓛/∂x^l_{aj} = 0",
    correct="∀ j ∉ 𝓘_l^i: ∂x_i^l/∂x_j^{l−1} = 0 (an output unit does not depend on inputs outside its "
    "receptive field 𝓘_l^i = {j : W^l_ij ≠ 0})",
    command="dlcalc rf-set --W '1,1,0,0;0,1,1,0;0,0,1,1' --W '1,1,0;0,1,1'",
)


def rf_set(W):
    import numpy as np

    layers = [np.abs(as_matrix(w, "W")) for w in W]
    reach = layers[0]
    for number, layer in enumerate(layers[1:], start=2):
        if layer.shape[1] != reach.shape[0]:
            raise DlcalcError(f"--W number {number} has {layer.shape[1]} columns but layer {number - 1} "
                              f"has {reach.shape[0]} outputs")
        reach = (layer > 0).astype(float) @ (reach > 0).astype(float)  # a path of nonzero weights
    sets = [[int(j) for j in np.flatnonzero(row)] for row in reach]
    plain = " ".join("{" + ",".join(map(str, s)) + "}" for s in sets)
    table = Table(columns=["output i", "receptive field 𝓘_i"], rows=[[i, plain.split(" ")[i]] for i in range(len(sets))])
    return Result(value=sets, plain=plain, table=table,
                  steps=["𝓘_i = {j : W_ij ≠ 0}; through layers, j reaches i along a path of nonzero weights",
                         "∂x_i/∂x_j = 0 for every j ∉ 𝓘_i"])


formula(
    name="rf-set",
    section="12.5",
    catalogue_id="CNN-RF-SET",
    summary="Receptive-field index sets {j : W_ij ≠ 0} of each output, through one or more layer matrices",
    params=(Param("W", MATRIX, "a layer's weight matrix (e.g. from conv-toeplitz); repeat for a stack, "
                  "first layer first", multiple=True),),
    formula="𝓘_i = {j : W_ij ≠ 0};  ∂x_i/∂x_j = 0 for j ∉ 𝓘_i",
    latex=r"\mathcal{I}_l^i = \{ j : W^l_{ij} \neq 0 \},\quad \frac{\partial x^l_i}{\partial x^{l-1}_j} = 0 \;\forall j \notin \mathcal{I}_l^i",
    compute=rf_set,
    errata=(_E47,),
    examples=(
        ("--W '1,0,0;2,1,0;0,2,1;0,0,2'", "{0} {0,1} {1,2} {2}", "the full conv with h = 1,2"),
        ("--W '1,1,0,0;0,1,1,0;0,0,1,1' --W '1,1,0;0,1,1'", "{0,1,2} {1,2,3}", "two valid 2-tap layers: 3 inputs"),
    ),
    notes="Sets are structural: a path of nonzero weights counts even if values happen to cancel.",
)



# ---- backpropagation through a convolution -------------------------------------------------


_E48 = erratum(
    "E48",
    title="backprop-as-convolution derivation",
    sheet="∂𝓡/∂w_i = Σ_k δ_k y_{k−i} = Σ_k δ_k y_{−(k−i)} = Σ_k δ_k rot180(y)_{k−i} = (δ ∗ rot180(y))_i",
    correct="∂𝓡/∂w_i = Σ_k δ_k x_{k−i} = Σ_k δ_k rot180(x)_{i−k} = (δ ∗ rot180(x))_i: the final line is "
    "right, two middle steps are wrong and cancel. The input gradient is δ ∗ rot180(w) (a full convolution)",
    command="dlcalc conv-weight-grad --x 1,2,3 --delta 1,2",
)

_GRAD_MODE = Param("mode", choice("valid", "full"), "the forward convolution y = x∗w: valid (as in a CNN "
                   "layer, δ has n − m + 1 entries) or full (n + m − 1)", default="valid")
_DELTA = Param("delta", VECTOR, "δ = ∂𝓡/∂y, one entry per output y_k")


def _other_length(known, outputs, mode):
    """The length of the missing factor of y = x∗w from the known one and len(y)."""
    length = known - outputs + 1 if mode == "valid" else outputs - known + 1
    if length < 1 or (mode == "valid" and length > known):
        raise DlcalcError(f"--delta has {outputs} entries, which no {mode} convolution with a length-{known} "
                          "input gives" + (f" (at most {known})" if mode == "valid" else f" (at least {known})"))
    return length


def conv_gradient(other, delta, origin, length):
    """(δ ∗ rot180(other)) at indices 0…length−1, where δ starts at index ``origin`` and other at 0."""
    full = full_convolution(delta, other[::-1])  # its first entry sits at origin − (len(other) − 1)
    start = len(other) - 1 - origin
    return full[start: start + length]


def _forward(x, w, mode):
    return convolve(x, w, mode) if mode == "full" else crop(full_convolution(x, w), [(len(w) - 1, len(x) - len(w) + 1)])


FD_POINTS = 32  # coordinates checked by finite differences (evenly spaced)


def _finite_difference(loss, size, cost):
    """Central differences of a scalar function of ``size`` variables, at 0, for up to FD_POINTS
    coordinates: (indices, derivatives), or None when ``cost`` (products per evaluation of
    ``loss``) makes the check too slow. Exact up to rounding for the linear losses used here."""
    import numpy as np

    indices = np.unique(np.linspace(0, size - 1, min(size, FD_POINTS)).astype(int))
    if 2 * len(indices) * cost > MAX_VECTORISED:
        return None
    step = 1e-3
    values = [(loss(step * _unit(size, i)) - loss(-step * _unit(size, i))) / (2 * step) for i in indices]
    return indices, np.array(values)


def _unit(size, i):
    import numpy as np

    e = np.zeros(size)
    e[i] = 1.0
    return e


def _gradient_result(grad, check, formula_line, **fields):
    steps = fields.setdefault("steps", [])
    steps.insert(0, formula_line)
    if check is None:
        steps.append("finite-difference check skipped: the input is too large")
    else:
        indices, values = check
        error = max_difference(grad[indices], values)
        steps.append(f"finite differences of 𝓡 = Σ_k δ_k y_k at {len(indices)} coordinates agree to {error:.2g}")
        fields.setdefault("extra", {})["finite_difference_max_error"] = error
    return array_result(grad, **fields)


def _kernel_problem(x, delta, mode):
    """Arrays x and δ, the kernel length m of y = x∗w, and the index of y's first entry."""
    x, delta = as_vector(x, "x"), as_vector(delta, "delta")
    m = _other_length(len(x), len(delta), mode)
    return x, delta, m, (0 if mode == "full" else m - 1)


def _sheet_middle_step(x, delta, origin, m):
    """The sheet's Σ_k δ_k rot180(x)_(k−i) = Σ_k δ_k x_(i−k), which is not the gradient (E48)."""
    import numpy as np

    return np.array([sum(d * lookup(x, i - origin - k, 0) for k, d in enumerate(delta)) for i in range(m)])


def conv_weight_grad(x, delta, mode):
    import numpy as np

    x, delta, m, origin = _kernel_problem(x, delta, mode)
    grad = conv_gradient(x, delta, origin, m)
    check = _finite_difference(lambda w: float(np.dot(delta, _forward(x, w, mode))), m, len(x) * m)
    sheet = rounded(_sheet_middle_step(x, delta, origin, m))
    return _gradient_result(
        grad, check, f"∂𝓡/∂w_i = Σ_k δ_k x_(k−i) = (δ ∗ rot180(x))_i, i = 0…{m - 1}",
        steps=[f"the sheet's middle step Σ_k δ_k rot180(x)_(k−i) would give {vector_text(sheet)} (E48)"],
        extra={"sheet_middle_step": sheet})


formula(
    name="conv-weight-grad",
    section="12.5",
    catalogue_id="CNN-BP-W",
    summary="Gradient of the loss w.r.t. the kernel of y = x∗w: δ ∗ rot180(x), checked by finite differences",
    params=(X_SIGNAL, _DELTA, _GRAD_MODE),
    formula="∂𝓡/∂w_i = Σ_k δ_k x_{k−i} = (δ ∗ rot180(x))_i,  δ = ∂𝓡/∂y",
    latex=r"\frac{\partial \mathcal{R}}{\partial w_i} = \sum_k \delta_k x_{k-i} = (\delta * \mathrm{rot180}(x))_i",
    compute=conv_weight_grad,
    errata=(_E48,),
    examples=(
        ("--x 1,2,3 --delta 1,2", "8.0,5.0", "w has 2 taps: y₁ = 2w₀ + w₁, y₂ = 3w₀ + 2w₁"),
        ("--x 1,2 --delta 1,0,0 --mode full", "1.0,0.0", "y₀ = x₀w₀ only"),
    ),
    notes="Valid mode: the 'valid' part of δ ∗ rot180(x). PyTorch's conv layers are cross-correlations: "
    "there ∂𝓡/∂w = x ⋆ δ (xcorr1d --x X --h DELTA).",
)


def conv_input_grad(w, delta, mode):
    import numpy as np

    w, delta = as_vector(w, "w"), as_vector(delta, "delta")
    n = len(delta) + len(w) - 1 if mode == "valid" else _other_length(len(w), len(delta), "full")
    origin = 0 if mode == "full" else len(w) - 1
    grad = conv_gradient(w, delta, origin, n)
    check = _finite_difference(lambda x: float(np.dot(delta, _forward(x, w, mode))), n, n * len(w))
    return _gradient_result(grad, check,
                            f"∂𝓡/∂x_j = Σ_k δ_k w_(k−j) = (δ ∗ rot180(w))_j, j = 0…{n - 1}"
                            + ("  (the full convolution)" if mode == "valid" else ""))


formula(
    name="conv-input-grad",
    section="12.5",
    catalogue_id="CNN-BP-X",
    summary="Gradient of the loss w.r.t. the input of y = x∗w: the full convolution δ ∗ rot180(w)",
    params=(Param("w", VECTOR, "the kernel w"), _DELTA, _GRAD_MODE),
    formula="∂𝓡/∂x_j = Σ_k δ_k w_{k−j} = (δ ∗ rot180(w))_j",
    latex=r"\frac{\partial \mathcal{R}}{\partial x_j} = \sum_k \delta_k w_{k-j} = (\delta * \mathrm{rot180}(w))_j",
    compute=conv_input_grad,
    errata=(_E48,),
    examples=(
        ("--w 1,-1 --delta 1,2", "-1.0,-1.0,2.0", "x has 3 entries"),
        ("--w 1,2 --delta 1,1", "2.0,3.0,1.0"),
    ),
    notes="The sheet calls this 'analogous'. In valid mode it is conv1d(delta, rot180(w), mode full).",
)


def weight_sharing_grad(x, delta, mode):
    import numpy as np

    x, delta, m, origin = _kernel_problem(x, delta, mode)
    bounded(len(delta) * m, "--x and --delta are")
    # uses[k][i] = δ_k·∂y_k/∂w_i = δ_k·x[k − i]: the contribution of output k to weight i
    uses = np.array([[delta[k] * lookup(x, origin + k - i, 0) for i in range(m)] for k in range(len(delta))])
    grad = uses.sum(axis=0)
    table = Table(columns=["output k", *(f"w{i}" for i in range(m))],
                  rows=[[origin + k, *rounded(row.tolist())] for k, row in enumerate(uses)] + [["Σ", *rounded(grad.tolist())]],
                  title="δ_k·∂y_k/∂w_i per use")
    return array_result(grad, table=table,
                        steps=["∂𝓡/∂w_i = Σ_k ∂𝓡/∂y_k·∂y_k/∂w_i: one term per use of the shared weight w_i"],
                        extra={"uses": rounded(uses.tolist())})


formula(
    name="weight-sharing-grad",
    section="12.5",
    catalogue_id="CNN-WSHARE",
    summary="Gradient of a shared kernel weight as the sum over all its uses (one term per output)",
    params=(X_SIGNAL, _DELTA, _GRAD_MODE),
    formula="∂𝓡/∂w_i = Σ_k ∂𝓡/∂y_k · ∂y_k/∂w_i",
    latex=r"\frac{\partial \mathcal{R}}{\partial h_j} = \sum_{i} \frac{\partial \mathcal{R}}{\partial x_i}\frac{\partial x_i}{\partial h_j}",
    compute=weight_sharing_grad,
    examples=(("--x 1,2,3 --delta 1,2", "8.0,5.0", "the same as conv-weight-grad, summed use by use"),),
)


# ---- rot180 --------------------------------------------------------------------------------


def rot180(x):
    import numpy as np

    a = as_matrix(x, "x")
    vector = a.shape[0] == 1
    out = a[0, ::-1] if vector else np.flip(a)
    return array_result(out, steps=[
        "rot180(x)_i = x_(−i): " + ("a vector on 0…n−1 becomes one on −(n−1)…0, read left to right" if vector
                                   else "both axes reversed (a 180° rotation of the matrix)")])


formula(
    name="rot180",
    section="12.5",
    catalogue_id="CNN-ROT",
    summary="rot180: reverse a vector, or rotate a matrix by 180° (flip both axes)",
    params=(Param("x", MATRIX, "a vector (1,2,3) or a matrix (1,2;3,4)"),),
    formula="rot180(x)_i = x_{−i}",
    latex=r"\mathrm{rot180}(\mathbf{x})_i = \mathbf{x}_{-i}",
    compute=rot180,
    examples=(("--x 1,2,3", "3.0,2.0,1.0"), ("--x '1,2;3,4'", "[[4.0, 3.0], [2.0, 1.0]]")),
)


# ---- pooling -------------------------------------------------------------------------------


def _pool_windows(shape, r, stride):
    """Every window: (output index, tuple of slices into the input)."""
    import numpy as np

    sizes = [conv_out_size(n, r, stride, 0, 1) for n in shape]
    for index in np.ndindex(*sizes):
        yield index, tuple(slice(stride * i, stride * i + r) for i in index)


def pool(x, r, stride, mode, grad):
    import numpy as np

    a = as_matrix(x, "x")
    a = a[0] if a.shape[0] == 1 else a  # one row: 1-D pooling
    if r > min(a.shape):
        raise DlcalcError(f"the window r={r} is larger than the input {shape_text(a.shape)}")
    bounded(a.size * r ** a.ndim // stride ** a.ndim, "--x with this window is")
    windows = list(_pool_windows(a.shape, r, stride))
    sizes = tuple(s + 1 for s in windows[-1][0])
    pooled, routed = np.zeros(sizes), np.zeros(a.shape)
    upstream = _upstream(grad, sizes)
    for index, window in windows:
        part = a[window]
        pooled[index] = part.max() if mode == "max" else part.mean()
        if upstream is not None:
            routed[window] += _route(part, mode) * upstream[index]
    steps = [f"{mode} over windows x[s·i + k], 0 ≤ k < {r}, s = {stride}: output {shape_text(sizes)}"]
    if upstream is None:
        return array_result(pooled, steps=steps)
    steps.append("the gradient goes to the (first) argmax of each window" if mode == "max"
                 else f"the gradient is shared equally, 1/{part.size} to each entry of the window")
    forward, backward = array_result(pooled), array_result(routed)
    return Result(value={"pooled": forward.value, "grad": backward.value},
                  plain=f"pooled={forward.plain} grad={backward.plain}", steps=steps)


def _upstream(grad, sizes):
    if not given(grad):
        return None
    g = as_matrix(grad, "grad")
    g = g[0] if len(sizes) == 1 and g.shape[0] == 1 else g
    if g.shape != sizes:
        raise DlcalcError(f"--grad must have the pooled shape {shape_text(sizes)}, got {shape_text(g.shape)}")
    return g


def _route(part, mode):
    """∂(pool of one window)/∂(window entries): one-hot at the first argmax, or uniform."""
    import numpy as np

    if mode == "avg":
        return np.full(part.shape, 1.0 / part.size)
    onehot = np.zeros(part.size)
    onehot[int(np.argmax(part))] = 1.0
    return onehot.reshape(part.shape)


formula(
    name="pool",
    section="12.6",
    catalogue_id="CNN-POOL",
    summary="Max or average pooling of given data, and where an upstream gradient goes (argmax routing)",
    params=(
        Param("x", MATRIX, "the input: a vector (1-D pooling) or a matrix (2-D, r×r windows)"),
        Param("r", INT, "window size r", aliases=("K",), minimum=1),
        Param("stride", INT, "stride s (default: r, non-overlapping)", default="=r", aliases=("S",), minimum=1),
        Param("mode", choice("max", "avg"), "max or avg", default="max"),
        Param("grad", MATRIX, "an upstream gradient ∂𝓡/∂(pooled), the pooled shape", default=ABSENT),
    ),
    formula="x^max_i = max{x_{s·i+k} : 0 ≤ k < r};  ∂x^max_i/∂x_j = 1 at the argmax j, else 0",
    latex=r"x^{\max}_i = \max\{ x_{s i + k} : 0 \le k < r \}",
    compute=pool,
    errata=(E49,),
    examples=(
        ("--x 1,3,2,5,4,4 --r 2", "3.0,5.0,4.0"),
        ("--x 1,3,2,5,4,4 --r 2 --grad 1,2,3", "pooled=3.0,5.0,4.0 grad=0.0,1.0,0.0,2.0,3.0,0.0",
         "a tie goes to the first maximum, as in PyTorch"),
        ("--x 1,3,2 --r 2 --stride 1 --grad 1,1", "pooled=3.0,3.0 grad=0.0,2.0,0.0",
         "overlapping windows add up"),
        ("--x 1,3,2,5,4,4 --r 2 --mode avg --grad 1,2,3", "pooled=2.0,3.5,4.0 grad=0.5,0.5,1.0,1.0,1.5,1.5"),
        ("--x '1,2;3,4' --r 2 --grad 1", "pooled=[[4.0]] grad=[[0.0, 0.0], [0.0, 1.0]]"),
    ),
    notes="Output size: conv-out with K = r, S = s, no padding (pool-out). A one-row input is 1-D.",
)
