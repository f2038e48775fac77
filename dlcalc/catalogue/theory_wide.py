"""Theory, wide networks (sheet §17.1–17.3): the empirical neural tangent kernel, the NTK
linearisation and its training dynamics, the NNGP kernel of ReLU networks and Neal's Gaussian limit.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import finite_array, matrix_result, rounded, vector_result
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import AXES, FLAG, FLOAT, INT, MATRIX, VECTOR, Param, choice, erratum, formula
from dlcalc.core.result import Result


# ---- the empirical neural tangent kernel --------------------------------------------------------

def _act(name):
    import numpy as np

    if name == "tanh":
        return np.tanh, lambda a: 1 - np.tanh(a) ** 2
    if name == "relu":
        return lambda a: np.maximum(a, 0), lambda a: (a > 0).astype(float)
    raise DlcalcError(f"unknown activation {name}")


def _check_widths(widths):
    """A scalar-output MLP of a size the commands can handle, or an error."""
    if widths[-1] != 1:
        raise DlcalcError("the last width must be 1 (a scalar output)")
    if sum(a * b for a, b in zip(widths, widths[1:])) > 2_000_000:
        raise DlcalcError("at most 2,000,000 weights")


def init_mlp(widths, seed):
    """Standard normal weights and biases; the forward pass scales by 1/√fan_in (NTK parametrisation)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((n_out, n_in)), rng.standard_normal(n_out)) for n_in, n_out in zip(widths, widths[1:])]


def _mlp_forward(params, x, act, beta):
    """The forward pass for one input: a^l = W h/√n + β b, h = φ(a), the last layer linear (scalar
    output). Returns the layer inputs h^0..h^L (h^L = f(x)) and the pre-activations a^1..a^L."""
    import numpy as np

    phi, _ = _act(act)
    hs, pre = [x], []
    for index, (W, b) in enumerate(params):
        a = W @ hs[-1] / np.sqrt(len(hs[-1])) + beta * b
        pre.append(a)
        hs.append(a if index == len(params) - 1 else phi(a))
    return hs, pre


def mlp_output(params, x, act, beta):
    """f(x) for one input."""
    hs, _ = _mlp_forward(params, x, act, beta)
    return float(hs[-1][0])


def mlp_parameter_gradient(params, x, act, beta):
    """∇_θ f(x) by backpropagation, flattened in the order (W1, b1, W2, b2, ...)."""
    import numpy as np

    _, dphi = _act(act)
    hs, pre = _mlp_forward(params, x, act, beta)
    delta = np.ones(1)  # ∂f/∂a^L
    grads = []
    for index in reversed(range(len(params))):
        W, _ = params[index]
        h = hs[index]
        grads.append((np.outer(delta, h) / np.sqrt(len(h)), beta * delta))
        if index:
            delta = (W.T @ delta) / np.sqrt(len(h)) * dphi(pre[index - 1])
    return np.concatenate([np.concatenate([gW.ravel(), gb]) for gW, gb in reversed(grads)])


MAX_JACOBIAN_ENTRIES = 100_000_000  # the Jacobian (inputs × parameters) is held in memory


def empirical_ntk(widths, X, act, beta, seed):
    import numpy as np

    inputs = finite_array(X, "--X")
    if inputs.ndim == 1:
        inputs = inputs[:, None]
    if inputs.shape[1] != widths[0]:
        raise DlcalcError(f"--X rows need {widths[0]} features (the first width), got {inputs.shape[1]}")
    _check_widths(widths)
    params = init_mlp(widths, seed)
    count = sum(W.size + b.size for W, b in params)
    if len(inputs) * count > MAX_JACOBIAN_ENTRIES:
        raise DlcalcError(f"{len(inputs)} inputs × {count:,} parameters is at most {MAX_JACOBIAN_ENTRIES:,} "
                          "Jacobian entries")
    J = np.array([mlp_parameter_gradient(params, x, act, beta) for x in inputs])
    K = J @ J.T
    outputs = [mlp_output(params, x, act, beta) for x in inputs]
    return matrix_result(K,
                         steps=[f"k(x, ξ) = ⟨∇_θ f(x), ∇_θ f(ξ)⟩ over {J.shape[1]} parameters (seed {seed})"],
                         extra={"f0": rounded(outputs), "parameters": int(J.shape[1])})


_WIDTHS = Param("widths", AXES, "layer widths, input first, output 1 last: 2,64,64,1", minimum=1)
_MLP_OPTIONS = (
    Param("act", choice("tanh", "relu"), "hidden activation", default="relu"),
    Param("beta", FLOAT, "bias scale β (a = Wh/√n + βb)", default=0.1, minimum=0),
    Param("seed", INT, "random initialisation seed (θ₀)", default=0, minimum=0),
)

formula(
    name="ntk",
    section="17.1",
    catalogue_id="TH-NTK",
    summary="Empirical neural tangent kernel K_ij = ⟨∇_θf(x_i), ∇_θf(x_j)⟩ of a random MLP",
    params=(_WIDTHS, Param("X", MATRIX, "inputs, one row each"), *_MLP_OPTIONS),
    formula="k(x, ξ) = ⟨∇_θ f(x; θ₀), ∇_θ f(ξ; θ₀)⟩, a^l = W^l h^{l−1}/√n_{l−1} + βb^l, W, b ~ N(0, 1)",
    latex=r"k(x,\xi) = \langle \nabla_\theta f(x;\theta_0), \nabla_\theta f(\xi;\theta_0)\rangle",
    compute=empirical_ntk,
    examples=(
        ("--widths 1,1 --X '1;2' --beta 1", "[[2.0, 3.0], [3.0, 5.0]]", "f = w·x + b: k(x, ξ) = xξ + 1"),
    ),
    notes="The value depends on the seed; as the widths grow it concentrates around the deterministic "
    "limit kernel.",
)


def _unflatten(params, flat):
    """A flat vector in the order (W1, b1, W2, b2, ...) -> a list of (W, b) shaped like params."""
    shaped, start = [], 0
    for W, b in params:
        shaped.append((flat[start:start + W.size].reshape(W.shape), flat[start + W.size:start + W.size + b.size]))
        start += W.size + b.size
    return shaped


def linearize(widths, x, scale, direction, act, beta, seed):
    import numpy as np

    _check_widths(widths)
    point = np.array(x, dtype=float)
    if point.shape != (widths[0],):
        raise DlcalcError(f"--x needs {widths[0]} values (the first width)")
    params = init_mlp(widths, seed)
    count = sum(W.size + b.size for W, b in params)
    step = np.random.default_rng(seed + 1).standard_normal(count) if direction == () else np.array(direction, float)
    if step.shape != (count,) or not np.any(step):
        raise DlcalcError(f"--direction needs {count} values, not all 0 (W1, b1, W2, b2, ... flattened row by row)")
    delta = scale * step / np.linalg.norm(step)  # ‖Δθ‖ = scale
    f0 = mlp_output(params, point, act, beta)
    gradient = mlp_parameter_gradient(params, point, act, beta)
    f_lin = f0 + float(gradient @ delta)
    moved = [(W + dW, b + db) for (W, b), (dW, db) in zip(params, _unflatten(params, delta))]
    f_true = mlp_output(moved, point, act, beta)
    shown = rounded([f_true, f_lin, abs(f_true - f_lin)])  # an error at rounding level shows as 0.0
    return Result(value=dict(zip(("f", "f_lin", "error"), shown)),
                  steps=["f_lin(x; θ) = f(x; θ₀) + ∇_θ f(x; θ₀)ᵀ(θ − θ₀)  (the sheet's β = θ − θ₀)",
                         f"f(x; θ₀) = {rounded(f0)}; ‖Δθ‖ = {rounded(scale)} over {count} parameters; the error is "
                         "O(‖Δθ‖²)"],
                  extra={"f0": rounded(f0), "parameters": count,
                         "gradient_norm": rounded(float(np.linalg.norm(gradient)))})


formula(
    name="linearize",
    section="17.1",
    catalogue_id="TH-LIN",
    summary="First-order (NTK) linearisation of a random MLP around θ₀, against its true output at θ₀ + Δθ",
    params=(
        _WIDTHS,
        Param("x", VECTOR, "the input x"),
        Param("scale", FLOAT, "the step size ‖Δθ‖", minimum=0),
        Param("direction", VECTOR, "direction of Δθ, all parameters flattened (W1, b1, W2, b2, ...; default: "
              "random from seed + 1)", default=()),
        *_MLP_OPTIONS,
    ),
    formula="f_lin(x; θ) = f(x; θ₀) + ∇_θ f(x; θ₀)ᵀ(θ − θ₀);  f(x; θ) − f_lin(x; θ) = O(‖θ − θ₀‖²)",
    latex=r"f_{\mathrm{lin}}(x;\theta) = f(x;\theta_0) + \nabla_\theta f(x;\theta_0)^\top(\theta-\theta_0)",
    compute=linearize,
    examples=(
        ("--widths 1,1 --x 2 --scale 0.5 --direction 1,0 --beta 1", "f=1.1193555789 f_lin=1.1193555789 error=0.0",
         "f = 2w + b is linear in θ: w += 0.5 adds 1 to f(θ₀) = 0.119355578895 (seed 0)"),
    ),
    notes="The initialisation is the one `ntk` uses for the same seed, so ∇_θ f is the feature map of its kernel.",
)


def _test_predictions(k_test, f0_test, eigenvalues, U, residual, eta, t, limit):
    """f_t(x) = f₀(x) + k(x,X)·K⁻¹(I − e^{−ηKt})(y − f₀(X)); the factor is ηt on K's null space, and
    K⁺ (ridgeless regression) in the limit t → ∞."""
    import numpy as np

    cross = finite_array(k_test, "--k-test")
    cross = cross[None, :] if cross.ndim == 1 else cross
    start = np.array(f0_test, dtype=float) if f0_test != () else np.zeros(cross.shape[0])
    if cross.shape[1] != len(residual) or start.shape != (cross.shape[0],):
        raise DlcalcError(f"--k-test needs {len(residual)} columns and --f0-test one value per row")
    positive = eigenvalues > 1e-12 * max(1.0, float(eigenvalues.max()))
    safe = np.where(positive, eigenvalues, 1.0)
    if limit:
        factor = np.where(positive, 1 / safe, 0.0)
    else:
        factor = np.where(positive, -np.expm1(-eta * t * safe) / safe, eta * t)
    return start + cross @ (U @ (factor * (U.T @ residual)))


def ntk_dynamics(K, y, f0, t, eta, limit, k_test, f0_test):
    import numpy as np

    kernel = finite_array(K, "--K")
    targets, start = np.array(y, dtype=float), np.array(f0, dtype=float)
    n = len(targets)
    if kernel.shape != (n, n) or start.shape != (n,):
        raise DlcalcError(f"--K must be {n}×{n} and --f0 have {n} values (one per --y)")
    if not np.allclose(kernel, kernel.T):
        raise DlcalcError("--K must be symmetric")
    eigenvalues, U = np.linalg.eigh(kernel)
    if eigenvalues.min() < -1e-10 * max(1.0, eigenvalues.max()):
        raise DlcalcError("--K must be positive semi-definite")
    # e^{−ηKt} through the eigen-decomposition (K symmetric); t = ∞ keeps only the null space
    decay = np.where(eigenvalues > 1e-12, 0.0, 1.0) if limit else np.exp(-eta * t * eigenvalues)
    f = targets + U @ (decay * (U.T @ (start - targets)))
    extra = {}
    if k_test != ():
        predictions = _test_predictions(k_test, f0_test, eigenvalues, U, targets - start, eta, t, limit)
        extra = {"test_predictions": rounded(predictions), "train_outputs": rounded(f)}
        f = predictions
    return vector_result(f, extra=extra,
                         steps=["ḟ = ηK(y − f) ⇒ f_t = y + e^(−ηKt)(f₀ − y)"
                                + ("; t → ∞: f = y on the training set (ridgeless, interpolating)" if limit else "")])


_E72 = erratum(
    "E72",
    title="NTK training 'identical to kernel ridge regression'",
    sheet="the training dynamics become identical to Kernel Ridge Regression; ḟ = K(θ)(y − f)",
    correct="gradient flow on the squared loss gives ḟ = ηK(y − f), f_t = y + e^{−ηKt}(f₀ − y); as t → ∞ "
    "it converges to ridgeless kernel regression f₀(x) + k(x,X)K⁻¹(y − f₀(X)), which interpolates",
    command="dlcalc ntk-dynamics --K '2,1;1,2' --y 1,0 --f0 0,0 --limit",
)

formula(
    name="ntk-dynamics",
    section="17.1",
    catalogue_id="TH-NTK-DYN TH-NTK-LIMIT",
    summary="Outputs on the training set under NTK gradient flow: f_t = y + e^{−ηKt}(f₀ − y)",
    params=(
        Param("K", MATRIX, "NTK Gram matrix on the training inputs (n×n)"),
        Param("y", VECTOR, "targets"),
        Param("f0", VECTOR, "initial outputs f₀"),
        Param("t", FLOAT, "training time", default=1.0, minimum=0),
        Param("eta", FLOAT, "learning rate η", default=1.0, minimum=0),
        Param("limit", FLAG, "t → ∞", default=False),
        Param("k-test", MATRIX, "k(x, X) for test inputs, one row each: print their predictions instead", default=()),
        Param("f0-test", VECTOR, "f₀ at the test inputs (default 0)", default=()),
    ),
    formula="f_t = y + e^{−ηKt}(f₀ − y); at test x: f_t(x) = f₀(x) + k(x,X)K⁻¹(I − e^{−ηKt})(y − f₀(X))",
    latex=r"f_t = y + e^{-\eta K t}(f_0 - y)",
    compute=ntk_dynamics,
    errata=(_E72,),
    examples=(
        ("--K '1,0;0,2' --y 1,1 --f0 0,0 --t 1", "0.632120558829,0.864664716763", "1 − e^{−1}, 1 − e^{−2}"),
        ("--K '2,1;1,2' --y 1,0 --f0 0,0 --limit", "1.0,0.0", "interpolates"),
        ("--K '2,1;1,2' --y 1,0 --f0 0,0 --limit --k-test '1,1'", "0.333333333333",
         "ridgeless: (1,1)·K⁻¹·(1,0) = (1,1)·(2,−1)/3"),
    ),
)


# ---- NNGP kernel -----------------------------------------------------------------------------------


def relu_expectation(k11, k22, k12):
    """E[relu(u)relu(v)] for (u, v) ~ N(0, [[k11, k12], [k12, k22]]): the arc-cosine kernel."""
    norm = math.sqrt(k11 * k22)
    if norm == 0:
        return 0.0
    cos_theta = max(-1.0, min(1.0, k12 / norm))
    theta = math.acos(cos_theta)
    return norm / (2 * math.pi) * (math.sin(theta) + (math.pi - theta) * cos_theta)


_VARIANCES = (Param("sw2", FLOAT, "weight variance σ_w²", default=2.0, minimum=0),
              Param("sb2", FLOAT, "bias variance σ_b²", default=0.0, minimum=0))


def nngp_relu(x1, x2, depth, sw2, sb2):
    if len(x1) != len(x2):
        raise DlcalcError("--x1 and --x2 need the same length")
    d = len(x1)
    dot = lambda a, b: sum(p * q for p, q in zip(a, b)) / d  # noqa: E731
    k11, k22, k12 = (sb2 + sw2 * dot(x1, x1), sb2 + sw2 * dot(x2, x2), sb2 + sw2 * dot(x1, x2))
    rows = [[0, k11, k12, k22]]
    for layer in range(1, depth + 1):
        k11, k22, k12 = (sb2 + sw2 * relu_expectation(k11, k11, k11), sb2 + sw2 * relu_expectation(k22, k22, k22),
                         sb2 + sw2 * relu_expectation(k11, k22, k12))
        rows.append([layer, k11, k12, k22])
    K = [[k11, k12], [k12, k22]]
    return matrix_result(K,
                         steps=["K⁰ = σ_b² + σ_w² x·x'/d;  K^l = σ_b² + σ_w²·E_{(u,v)~N(0,K^{l−1})}[relu(u)relu(v)]",
                                "E = √(k11 k22)/(2π)·(sin θ + (π − θ) cos θ), cos θ = k12/√(k11 k22)"],
                         extra={"per_layer": [rounded(r) for r in rows]})


def neal_limit(x, width, sw2, sb2):
    q = sb2 + sw2 * sum(v * v for v in x) / len(x)  # the variance of each hidden pre-activation
    variance = sb2 + sw2 * q / 2  # E relu(u)² = q/2: the NNGP kernel K¹(x, x), at every width
    if variance == 0:
        raise DlcalcError("f(x) is 0 for every network (x = 0 and σ_b² = 0)")
    # 4th cumulant of (σ_w/√n) Σ_j v_j relu(u_j): 3σ_w⁴(E relu⁴ − (E relu²)²)/n, E relu(u)⁴ = 3q²/2
    excess = 3 * sw2**2 * (1.5 * q * q - q * q / 4) / width / variance**2
    return Result(value=rounded(excess),
                  steps=["f(x) = σ_b b + (σ_w/√n) Σ_j v_j relu(u_j), u_j = σ_w w_jᵀx/√d + σ_b b_j, all weights N(0, 1)",
                         f"Var f(x) = σ_b² + σ_w² q/2 = {rounded(variance)} for every width n (the NNGP kernel)",
                         f"excess kurtosis 15σ_w⁴q²/(4n·Var²) = {rounded(excess)}: 0 only as n → ∞, "
                         "where f is Gaussian"],
                  extra={"variance": rounded(variance), "preactivation_variance": rounded(q)})


formula(
    name="neal-limit",
    section="17.2",
    catalogue_id="TH-NEAL",
    summary="Distance of a random 1-hidden-layer ReLU net from its Gaussian (Neal) limit: excess kurtosis of f(x)",
    params=(
        Param("x", VECTOR, "the input x"),
        Param("width", INT, "hidden width n", minimum=1),
        *_VARIANCES,
    ),
    formula="Var f(x) = σ_b² + σ_w² q/2 (any n);  excess kurtosis = 15σ_w⁴q²/(4n(σ_b² + σ_w² q/2)²) → 0,  "
    "q = σ_b² + σ_w²‖x‖²/d",
    latex=r"\kappa_4 = \frac{15\,\sigma_w^4 q^2}{4n\,(\sigma_b^2 + \sigma_w^2 q/2)^2} \to 0",
    compute=neal_limit,
    examples=(
        ("--x 1 --width 15 --sw2 1", "1.0", "σ_b = 0: the excess kurtosis is 15/n"),
        ("--x 1,1 --width 100 --sw2 2 --sb2 1", "0.084375", "q = 3, Var = 4: 15·4·9/(4·100·16) = 540/6400"),
    ),
    notes="Neal (1996): with i.i.d. priors f tends to GP(0, k) as the width grows; the kernel is `nngp --depth 1`. "
    "--json adds Var f(x).",
)


_E75 = erratum(
    "E75",
    title="'Deep GPs' kernel recursion",
    sheet="K_i(x,x') = E[φ(f_{i−1}(x))φ(f_{i−1}(x'))], labelled 'Deep GPs'",
    correct="this is the NNGP recursion K^l = σ_b² + σ_w²·E_{f~GP(0,K^{l−1})}[φ(f(x))φ(f(x'))] (Lee et al. 2018); "
    "deep GPs are compositions of GPs and not Gaussian. For ReLU the expectation is the arc-cosine kernel",
    command="dlcalc nngp --x1 1,0 --x2 0,1 --depth 2 --sw2 2 --sb2 0.1",
)

formula(
    name="nngp",
    section="17.3",
    catalogue_id="TH-NNGP",
    summary="NNGP kernel of a deep ReLU network at two inputs (arc-cosine recursion)",
    params=(
        Param("x1", VECTOR, "first input"),
        Param("x2", VECTOR, "second input"),
        Param("depth", INT, "hidden layers L (at most 10,000: the kernel has long reached its fixed point)", default=1,
              minimum=0, maximum=10_000),
        *_VARIANCES,
    ),
    formula="K^l = σ_b² + σ_w² E_{(u,v)~N(0,K^{l−1})}[relu(u)relu(v)]",
    latex=r"K^l(x,x') = \sigma_b^2 + \sigma_w^2\,\mathbb E[\phi(u)\phi(v)]",
    compute=nngp_relu,
    errata=(_E75,),
    examples=(
        ("--x1 1,0 --x2 0,1 --depth 1 --sw2 2 --sb2 0", "[[1.0, 0.318309886184], [0.318309886184, 1.0]]",
         "orthogonal unit-norm inputs: 2·(1/2π) = 1/π"),
    ),
    notes="The output is the 2×2 kernel [[K(x1,x1), K(x1,x2)], [K(x2,x1), K(x2,x2)]] after L layers.",
)
