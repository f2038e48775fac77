"""Recurrent networks backward (sheet §13.1): the vanishing/exploding regime, the Jacobian product
∂z_T/∂z_k, backpropagation through time, and the RNN unrolled into a feed-forward network with
tied weights. NumPy is imported inside the functions."""

from __future__ import annotations

from dlcalc.catalogue._common import finite_array, matrix_result, rounded, square_array
from dlcalc.catalogue._recurrence import (ACT, ACTIVATION_SLOPE, activation, initial_vector, input_sequence,
                                          recurrence_maps, run_recurrence)
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import INT, MATRIX, VECTOR, Param, choice, claim, erratum, formula
from dlcalc.core.result import Result

# ---- gradient regime of backpropagation through time -----------------------------------------


def gradient_regime(U, act, steps):
    import numpy as np

    matrix = square_array(U, "U")
    sigma_max = float(np.linalg.svd(matrix, compute_uv=False)[0])
    radius = float(max(abs(np.linalg.eigvals(matrix))))
    gamma = ACTIVATION_SLOPE[act]
    contraction = gamma * sigma_max
    bound = contraction**steps
    power_norm = float(np.linalg.norm(np.linalg.matrix_power(matrix, steps), 2))
    if contraction < 1:
        verdict, why = "vanishing", f"γ·σ_max = {rounded(contraction)} < 1: every product of {steps} " \
            f"Jacobians has norm ≤ {rounded(bound)}"
    elif act == "linear":
        verdict = "vanishing" if radius < 1 else "exploding" if radius > 1 else "marginal"
        why = f"linear RNN: the Jacobian product is U^T; the spectral radius {rounded(radius)} decides " \
              f"(‖U^{steps}‖ = {rounded(power_norm)})"
    else:
        verdict = "undetermined"
        why = f"γ·σ_max = {rounded(contraction)} ≥ 1 is necessary for exploding gradients, not sufficient: " \
              "it depends on the trajectory through φ'"
    sheet = "exploding" if sigma_max > 1 else "vanishing" if sigma_max < 1 else "neither"
    warnings = [f"the sheet would say '{sheet}' from σ_max = {rounded(sigma_max)} (E58)"] if sheet != verdict else []
    return Result(
        value=verdict,
        steps=[f"σ_max(U) = {rounded(sigma_max)}, spectral radius ρ(U) = {rounded(radius)}, "
               f"γ = sup|{act}'| = {gamma}", why],
        warnings=warnings,
        extra={"sigma_max": rounded(sigma_max), "spectral_radius": rounded(radius), "gamma": gamma,
               "bound": rounded(bound), "norm_U_power": rounded(power_norm), "sheet_says": sheet},
    )


_E57 = erratum(
    "E57",
    title="BPTT formula hides the recursion",
    sheet="∂L/∂w = Σ_t ∂L/∂ŷ_t · ∂ŷ_t/∂z_t · ∂z_t/∂w",
    correct="valid only with the total derivative ∂z_t/∂w: ∂L/∂w = Σ_t ∂L_t/∂ŷ_t·∂ŷ_t/∂z_t·"
    "Σ_{k≤t}(Π_{j=k+1}^{t} ∂z_j/∂z_{j−1})·∂⁺z_k/∂w, with ∂⁺ the immediate partial",
    command="dlcalc rnn-grad-regime --U '[[0.5,0],[0,0.5]]' --act tanh",
)
_E58 = erratum(
    "E58",
    title="exploding/vanishing gradient conditions",
    sheet="exploding if σ_max(U) > 1, vanishing if σ_max(U) < 1",
    correct="with γ = sup|φ'|, σ_max(U) < 1/γ is sufficient for vanishing gradients; σ_max(U) > 1/γ "
    "is only necessary for exploding ones (Pascanu et al. 2013). For a linear RNN the spectral "
    "radius decides",
    command="dlcalc rnn-grad-regime --U '[[0,5],[0,0]]' --act linear",
)

formula(
    name="rnn-grad-regime",
    section="13.1",
    catalogue_id="RNN-VANISH",
    summary="Vanishing/exploding regime of BPTT from the recurrent matrix's singular values",
    params=(
        Param("U", MATRIX, "recurrent weight matrix (h×h)"),
        Param("act", choice("tanh", "sigmoid", "relu", "linear"), "activation φ", default="tanh"),
        Param("steps", INT, "time steps T for the bound (γσ_max)^T", default=50, minimum=1),
    ),
    formula="‖∂z_t/∂z_k‖ ≤ (γ·σ_max(U))^{t−k}, γ = sup|φ'|; γσ_max < 1 ⇒ vanishing; γσ_max > 1 is only necessary for exploding",
    latex=r"\left\|\frac{\partial z_t}{\partial z_k}\right\| \le (\gamma\,\sigma_{\max}(U))^{t-k}",
    compute=gradient_regime,
    errata=(_E57, _E58),
    sheet_says="exploding if σ_max(U) > 1, vanishing if σ_max(U) < 1",
    examples=(
        ("--U '[[0,5],[0,0]]' --act linear", "vanishing", "σ_max = 5 but U² = 0"),
        ("--U '[[0.9,0],[0,0.5]]' --act tanh", "vanishing"),
        ("--U '[[3,0],[0,3]]' --act sigmoid", "vanishing", "σ' ≤ 1/4, so σ_max < 4 suffices"),
        ("--U '[[2,0],[0,0.5]]' --act tanh", "undetermined"),
        ("--U '[[1.1,0],[0,0.5]]' --act linear", "exploding"),
    ),
)


def unrolled_network(recurrent, input_map, steps):
    """The RNN unrolled over ``steps`` as one layer matrix M, used by every layer, acting on
    s = [z; x_queue]: M s = [U z + V x_first; the queue shifted by one]."""
    import numpy as np

    h, d = input_map.shape
    size = h + steps * d
    layer = np.zeros((size, size))
    layer[:h, :h], layer[:h, h:h + d] = recurrent, input_map
    layer[h:size - d, h + d:] = np.eye(size - h - d)
    return layer


def unrolled_states(layers, h, inputs, phi):
    """Run the unrolled network: feed-forward layers s ← φ(M_t s) (φ on the h state units only, the
    input queue passes linearly), from s_0 = [0; x_1; …; x_T]; the state units of each layer, T×h.
    Tied weights: every M_t is the same matrix."""
    import numpy as np

    s, states = np.concatenate([np.zeros(h), inputs.ravel()]), []
    for layer in layers:
        a = layer @ s
        s = np.concatenate([phi(a[:h]), a[h:]])
        states.append(s[:h])
    return np.array(states)


def shared_weight_gradients(layer, h, inputs, phi, step=1e-6):
    """∂L/∂U for L = ½ Σ_t ‖z_t‖² by central differences, twice: moving the one shared U (tied), and
    summing over the layers the derivative for each layer's own copy U_t (untied)."""
    import numpy as np

    T = len(inputs)

    def loss(layers):
        return 0.5 * float(np.sum(unrolled_states(layers, h, inputs, phi) ** 2))

    def moved(which, index, sign):
        bump = np.zeros_like(layer)
        bump[index] = sign * step
        return [layer + bump if t in which else layer for t in range(T)]

    tied, untied = np.zeros((h, h)), np.zeros((h, h))
    for index in np.ndindex(h, h):
        tied[index] = (loss(moved(range(T), index, 1)) - loss(moved(range(T), index, -1))) / (2 * step)
        untied[index] = sum((loss(moved({t}, index, 1)) - loss(moved({t}, index, -1))) / (2 * step) for t in range(T))
    return tied, untied


def rnn_unroll(U, V, x, act):
    import numpy as np

    recurrent, input_map = recurrence_maps(U, V)
    h = recurrent.shape[0]
    inputs = input_sequence(x, input_map.shape[1])
    if h * h * 2 * (len(inputs) + 1) * len(inputs) > 200_000:
        raise DlcalcError("too large for the finite-difference check: keep h²·T² below about 100,000")
    phi = activation(act)
    states = run_recurrence(recurrent, input_map, inputs, phi)
    layer = unrolled_network(recurrent, input_map, len(inputs))
    gap = float(np.max(abs(unrolled_states([layer] * len(inputs), h, inputs, phi) - states)))
    tied, untied = shared_weight_gradients(layer, h, inputs, phi)
    gradient_gap = float(np.max(abs(tied - untied))) / max(1.0, float(np.max(abs(tied))))
    holds = gap <= 1e-12 * max(1.0, float(np.max(abs(states)))) and gradient_gap <= 1e-6
    return Result(value=holds, plain="holds" if holds else "refuted",
                  steps=[f"unrolled: {len(inputs)} layer(s) s ← φ(M s), one shared {layer.shape[0]}×{layer.shape[1]} "
                         "matrix M = [[U, V, 0], [0, 0, shift]]",
                         f"layer t's state units equal z_t of the recurrence to {gap:.1g}",
                         f"L = ½Σ‖z_t‖²: ∂L/∂U (shared) = Σ_t ∂L/∂U_t (each layer's copy) to {gradient_gap:.1g}, "
                         "which is what BPTT sums",
                         f"shared weights: {recurrent.size + input_map.size} distinct values; untied, the same "
                         f"network would have {len(inputs) * (recurrent.size + input_map.size)}"],
                  extra={"max_difference": gap, "gradient_difference": gradient_gap, "gradient_U": rounded(tied),
                         "layer_matrix": rounded(layer)}, holds=holds)


claim(
    name="rnn-unroll",
    section="13.1",
    catalogue_id="RNN-UNROLL",
    summary="Check that an RNN unrolled over T steps is a depth-T feed-forward network with shared weights",
    params=(
        Param("U", MATRIX, "recurrent matrix (h×h)"),
        Param("V", MATRIX, "input matrix (h×d)"),
        Param("x", MATRIX, "inputs x_1..x_T, one row per step (T×d)"),
        ACT,
    ),
    formula="s_t = φ_z(M s_{t−1}), s_0 = [0; x_1; …; x_T], M = [[U, V, 0], [0, 0, shift]] ⇒ s_t[:h] = z_t;  "
    "∂L/∂U = Σ_t ∂L/∂U_t",
    latex=r"s_t = \phi(M s_{t-1}),\ s_t[{:}h] = z_t",
    compute=rnn_unroll,
    examples=(("--U '0.5,-0.2;0.1,0.3' --V '1;-1' --x '1;2;-1'", "holds"),),
    notes="The layer matrix is the same for every layer (--json shows it): the depth-T network's weights are tied. "
    "--json adds ∂L/∂U for L = ½Σ_t‖z_t‖² (finite differences).",
)


# ---- the Jacobian product ∂z_t/∂z_k ----------------------------------------------------------------


def _slope(act, a):
    """φ'(a) elementwise (ReLU: 0 at a = 0)."""
    import numpy as np

    if act == "tanh":
        return 1 - np.tanh(a) ** 2
    if act == "sigmoid":
        s = 1 / (1 + np.exp(-a))
        return s * (1 - s)
    return (a > 0).astype(float) if act == "relu" else np.ones_like(a)


def jacobian_product(recurrent, input_map, inputs, act, bias, z0, k):
    """∂z_T/∂z_k = diag(φ'(a_T))U ··· diag(φ'(a_(k+1)))U along the trajectory from z0."""
    import numpy as np

    states = run_recurrence(recurrent, input_map, inputs, activation(act), bias, z0)
    previous = np.vstack([z0, states[:-1]])
    product = np.eye(recurrent.shape[0])
    for j in range(k, len(inputs)):  # step j + 1 in the sheet's 1-based time
        a = recurrent @ previous[j] + input_map @ inputs[j] + bias
        product = np.diag(_slope(act, a)) @ recurrent @ product
    return product


def rnn_jacobian(U, V, x, act, k, b, z0):
    import numpy as np

    recurrent, input_map = recurrence_maps(U, V)
    h = recurrent.shape[0]
    inputs = input_sequence(x, input_map.shape[1])
    T = len(inputs)
    if k >= T:
        raise DlcalcError(f"--k must be below the number of steps T = {T}")
    J = jacobian_product(recurrent, input_map, inputs, act, initial_vector(b, h, "--b"), initial_vector(z0, h, "--z0"), k)
    norm = float(np.linalg.norm(J, 2))
    gamma, sigma_max = ACTIVATION_SLOPE[act], float(np.linalg.svd(recurrent, compute_uv=False)[0])
    bound = (gamma * sigma_max) ** (T - k)
    holds = norm <= bound * (1 + 1e-9) + 1e-300
    return matrix_result(J,
                         steps=[f"∂z_{T}/∂z_{k} = Π_(j={k + 1}..{T}) diag({act}'(a_j)) U, a_j = U z_(j−1) + V x_j + b",
                                f"‖∂z_{T}/∂z_{k}‖₂ = {rounded(norm)} ≤ (γ·σ_max(U))^{T - k} = ({gamma}·"
                                f"{rounded(sigma_max)})^{T - k} = {rounded(bound)}: {holds}"],
                         extra={"norm": rounded(norm), "bound": rounded(bound), "bound_holds": holds,
                                "gamma": gamma, "sigma_max": rounded(sigma_max), "T": T, "k": k})


formula(
    name="rnn-jacobian",
    section="13.1",
    catalogue_id="RNN-JACPROD",
    summary="Jacobian ∂z_T/∂z_k = Π diag(φ'(a_j))U of a vanilla RNN along a sequence, and its norm bound",
    params=(
        Param("U", MATRIX, "recurrent matrix (h×h)"),
        Param("V", MATRIX, "input matrix (h×d)"),
        Param("x", MATRIX, "inputs x_1..x_T, one row per step (T×d)"),
        Param("act", choice("tanh", "sigmoid", "relu", "linear"), "activation φ", default="tanh"),
        Param("k", INT, "the earlier state z_k (0 ≤ k < T; z_0 is the initial state)", default=0, minimum=0),
        Param("b", VECTOR, "bias (default 0)", default=()),
        Param("z0", VECTOR, "initial state (default 0)", default=()),
    ),
    formula="∂z_T/∂z_k = Π_{j=k+1}^{T} diag(φ'(a_j)) U;  ‖∂z_T/∂z_k‖ ≤ (γ σ_max(U))^{T−k}, γ = sup|φ'|",
    latex=r"\frac{\partial z_T}{\partial z_k} = \prod_{j=k+1}^{T}\mathrm{diag}(\varphi'(a_j))\,U",
    compute=rnn_jacobian,
    examples=(
        ("--U 0.5 --V 1 --x '1;0;0' --act linear", "[[0.125]]", "0.5³"),
        ("--U '0,1;0,0' --V '0;0' --x '0;0' --k 1", "[[0.0, 1.0], [0.0, 0.0]]",
         "a_j = 0 so tanh'(a_j) = 1: the product is U"),
    ),
    notes="The product is ordered latest step on the left. --json gives the spectral norm and the bound.",
)


# ---- backpropagation through time ----------------------------------------------------------------
# z_t = tanh(U z_{t−1} + V x_t), ŷ_t = W z_t, L = Σ_t ½‖ŷ_t − y_t‖², z_0 = 0.


def _bptt_forward(U, V, xs):
    import numpy as np

    return run_recurrence(U, V, xs, np.tanh)


def bptt_loss(U, V, W, xs, ys):
    return sum(0.5 * float(((W @ z) - y) @ ((W @ z) - y)) for z, y in zip(_bptt_forward(U, V, xs), ys))


def bptt_gradient(U, V, W, xs, ys, full=True):
    """∂L/∂U. full: the error flows back through every earlier state (the product of Jacobians);
    full=False keeps only the immediate partial ∂⁺z_t/∂U at each step, the sheet's reading (E57)."""
    import numpy as np

    states = _bptt_forward(U, V, xs)
    grad, carried = np.zeros_like(U), np.zeros(U.shape[0])
    for t in reversed(range(len(xs))):
        z, previous = states[t], states[t - 1] if t else np.zeros(U.shape[0])
        delta = W.T @ (W @ z - ys[t]) + (carried if full else 0)
        local = delta * (1 - z**2)  # through tanh
        grad += np.outer(local, previous)
        carried = U.T @ local
    return grad


MAX_CHECK_WORK = 100_000_000


def rnn_bptt(U, V, W, x, y):
    import numpy as np

    recurrent, input_map, output_map = square_array(U, "U"), finite_array(V, "--V"), finite_array(W, "--W")
    input_map = input_map[:, None] if input_map.ndim == 1 else input_map
    output_map = output_map[None, :] if output_map.ndim == 1 else output_map
    h = recurrent.shape[0]
    if input_map.shape[0] != h or output_map.shape[1] != h:
        raise DlcalcError(f"--V needs {h} rows and --W {h} columns (the hidden size)")
    xs, ys = input_sequence(x, input_map.shape[1]), input_sequence(y, output_map.shape[0], "--y")
    if len(xs) != len(ys):
        raise DlcalcError("--x and --y need one row per time step each")
    if h**4 * len(xs) > MAX_CHECK_WORK:  # 2h² loss evaluations, each T steps of h² products
        raise DlcalcError(f"too large for the finite-difference check: h⁴·T = {h**4 * len(xs):,} "
                          f"(at most {MAX_CHECK_WORK:,})")
    grad = bptt_gradient(recurrent, input_map, output_map, xs, ys)
    immediate = bptt_gradient(recurrent, input_map, output_map, xs, ys, full=False)
    step, numeric = 1e-6, np.zeros_like(recurrent)
    for index in np.ndindex(*recurrent.shape):
        bump = np.zeros_like(recurrent)
        bump[index] = step
        numeric[index] = (bptt_loss(recurrent + bump, input_map, output_map, xs, ys)
                          - bptt_loss(recurrent - bump, input_map, output_map, xs, ys)) / (2 * step)
    scale = max(float(np.max(abs(numeric))), 1e-12)
    full_error = float(np.max(abs(grad - numeric))) / scale
    sheet_error = float(np.max(abs(immediate - numeric))) / scale
    return matrix_result(grad,
                         steps=["∂L/∂U = Σ_t ∂L_t/∂z_t · Σ_(k≤t) (Π_(j=k+1..t) ∂z_j/∂z_(j−1)) · ∂⁺z_k/∂U",
                                f"central differences agree to {full_error:.1g} (relative); keeping only the immediate "
                                f"partial ∂⁺z_t/∂U (the sheet's reading) is off by {sheet_error:.2g}"],
                         extra={"relative_error": full_error, "immediate_only_error": sheet_error,
                                "immediate_only": rounded(immediate)})


formula(
    name="rnn-bptt",
    section="13.1",
    catalogue_id="RNN-BPTT",
    summary="∂L/∂U of a tanh RNN by backpropagation through time, checked by finite differences",
    params=(
        Param("U", MATRIX, "recurrent matrix (h×h)"),
        Param("V", MATRIX, "input matrix (h×d)"),
        Param("W", MATRIX, "output matrix (o×h)"),
        Param("x", MATRIX, "inputs, one row per step (T×d)"),
        Param("y", MATRIX, "targets, one row per step (T×o)"),
    ),
    formula="∂L/∂U = Σ_t ∂L_t/∂ŷ_t·∂ŷ_t/∂z_t·Σ_{k≤t}(Π_{j=k+1}^{t} ∂z_j/∂z_{j−1})·∂⁺z_k/∂U",
    latex=r"\frac{\partial L}{\partial U} = \sum_t \frac{\partial L_t}{\partial z_t}\sum_{k\le t}"
    r"\Big(\prod_{j=k+1}^{t}\frac{\partial z_j}{\partial z_{j-1}}\Big)\frac{\partial^+ z_k}{\partial U}",
    compute=rnn_bptt,
    errata=(_E57,),
    sheet_says="∂L/∂w = Σ_t ∂L/∂ŷ_t · ∂ŷ_t/∂z_t · ∂z_t/∂w",
    examples=(
        ("--U 0.5 --V 1 --W 1 --x '1;0;0' --y '0;0;0'", "[[0.360898998496]]",
         "forward mode by hand: z₂'z₂ + z₃'z₃; the immediate partials alone give 0.3034"),
    ),
    notes="Loss L = Σ_t ½‖W z_t − y_t‖² with z_t = tanh(U z_{t−1} + V x_t), z_0 = 0.",
)
