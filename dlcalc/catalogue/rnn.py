"""Recurrent networks (sheet §13): parameter counts, the BPTT gradient regime, LRUs.

Parameter counts follow PyTorch's nn.RNN/nn.GRU/nn.LSTM exactly (two bias vectors per gate set,
stacked layers, bidirectional, LSTM projections) and, on request, Keras' or the textbook's
single-bias convention.
"""

from __future__ import annotations

from dlcalc.catalogue._common import (complex_text, finite_array, matrix_result, rounded, shape_text,
                                     square_array, vector_result, vector_text)
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLAG, INT, MATRIX, VECTOR, Param, choice, erratum, formula
from dlcalc.core.result import Result, Table

# ---- parameter counts ----------------------------------------------------------------------

GATE_SETS = {"rnn": 1, "gru": 3, "lstm": 4}


def _bias_vectors(cell: str, convention: str) -> int:
    """How many bias vectors each gate set has.

    PyTorch keeps b_ih and b_hh. Keras keeps one, except its GRU (reset_after=True by default)
    which keeps an input and a recurrent bias like PyTorch. The textbook formula keeps one.
    """
    if convention == "pytorch" or (convention == "keras" and cell == "gru"):
        return 2
    return 1


def recurrent_tensors(cell, input, hidden, layers, bidirectional, proj_size, no_bias, convention):
    """[(layer, direction, {tensor name: size})] for every layer and direction."""
    gates = GATE_SETS[cell] * hidden
    state = proj_size or hidden  # what the recurrence and the next layer see
    directions = ("forward", "backward") if bidirectional else ("forward",)
    rows = []
    for layer in range(1, layers + 1):
        layer_input = input if layer == 1 else len(directions) * state
        for direction in directions:
            tensors = {"W_ih": gates * layer_input, "W_hh": gates * state}
            if not no_bias:
                tensors["bias"] = _bias_vectors(cell, convention) * gates
            if proj_size:
                tensors["W_hr"] = proj_size * hidden
            rows.append((layer, direction, tensors))
    return rows


def recurrent_params(cell, input, hidden, layers, bidirectional, no_bias, convention, proj_size=0):
    if proj_size and convention != "pytorch":
        raise DlcalcError("--proj-size exists only in PyTorch's LSTM (use --convention pytorch)")
    if proj_size >= hidden:
        raise DlcalcError(f"--proj-size must be smaller than --hidden (PyTorch), got {proj_size} ≥ {hidden}")
    rows = recurrent_tensors(cell, input, hidden, layers, bidirectional, proj_size, no_bias, convention)
    names = ["W_ih", "W_hh", "bias", "W_hr"]
    used = [n for n in names if any(n in t for _, _, t in rows)]
    total = sum(sum(t.values()) for _, _, t in rows)
    components = {f"layer{layer}.{direction}": sum(t.values()) for layer, direction, t in rows}
    table = Table(
        columns=["layer", "direction", *used, "total"],
        rows=[[layer, direction, *(t.get(n, 0) for n in used), sum(t.values())] for layer, direction, t in rows],
        title=f"{cell.upper()} parameters ({convention} convention)",
    )
    per_set = _bias_vectors(cell, convention)
    return Result(
        value=total,
        table=table,
        extra={"total": total, "components": components},
        steps=[f"one layer, one direction: {GATE_SETS[cell]}·h·(h + d + {0 if no_bias else per_set})"
               + (" + p·h (projection)" if proj_size else "")],
    )


_E55 = erratum(
    "E55",
    title="§12.11 promises RNN and Transformer parameter counts but gives none",
    sheet="(a heading only)",
    correct="RNN h(h+d+1), LSTM 4h(h+d+1), GRU 3h(h+d+1) with one bias per gate set; PyTorch keeps "
    "two bias vectors: 4h(h+d+2), 3h(h+d+2). Multi-head attention 4d²+4d; Transformer layer "
    "12d²+13d for d_ff = 4d",
    command="dlcalc lstm-params --input 64 --hidden 128",
)

_INPUT = Param("input", INT, "input features d (input_size)", aliases=("input-size",), minimum=1)
_HIDDEN = Param("hidden", INT, "hidden units h (hidden_size)", aliases=("hidden-size",), minimum=1)
_LAYERS = Param("layers", INT, "stacked layers (num_layers)", default=1, aliases=("num-layers",), minimum=1)
_BIDIRECTIONAL = Param("bidirectional", FLAG, "both directions; the next layer sees 2h inputs", default=False)
_NO_BIAS = Param("no-bias", FLAG, "no bias vectors (bias=False)", default=False)
_CONVENTION = Param(
    "convention",
    choice("pytorch", "keras", "textbook"),
    "pytorch: b_ih and b_hh; keras: one bias (two for its default GRU, reset_after=True); "
    "textbook: one bias per gate set",
    default="pytorch",
)
_RECURRENT_PARAMS = (_INPUT, _HIDDEN, _LAYERS, _BIDIRECTIONAL, _NO_BIAS, _CONVENTION)


def _declare_counts(cell, summary, gate_text, examples, extra_params=()):
    def compute(**values):
        return recurrent_params(cell, **values)

    formula(
        name=f"{cell}-params",
        section="13",
        catalogue_id="RNN-PARAMS",
        summary=summary,
        params=_RECURRENT_PARAMS + extra_params,
        formula=f"per layer and direction: {gate_text}·h·(h + d + 2) (PyTorch); {gate_text}·h·(h + d + 1) "
        "with one bias; layer l > 1 has d = h (2h if bidirectional)",
        latex=rf"{gate_text}\,h\,(h + d + 2)",
        compute=compute,
        errata=(_E55,),
        examples=examples,
        notes="Weight shapes as in PyTorch: W_ih (G·h × d), W_hh (G·h × h), b_ih and b_hh (G·h), "
        "with G gate sets. --json gives the total per layer and direction under components.",
    )


_declare_counts(
    "rnn",
    "Parameters of a vanilla (Elman) RNN, as nn.RNN",
    "1",
    (
        ("--input 10 --hidden 20", "640"),
        ("--input 64 --hidden 128 --layers 3", "90880"),
        ("--input 10 --hidden 20 --convention textbook", "620", "h(h + d + 1)"),
    ),
)
_declare_counts(
    "gru",
    "Parameters of a GRU, as nn.GRU",
    "3",
    (
        ("--input 10 --hidden 20", "1920"),
        ("--input 32 --hidden 64 --layers 2 --bidirectional", "112128"),
        ("--input 10 --hidden 20 --convention textbook", "1860", "3h(h + d + 1)"),
    ),
)
_declare_counts(
    "lstm",
    "Parameters of an LSTM, as nn.LSTM (with projections)",
    "4",
    (
        ("--input 10 --hidden 20", "2560"),
        ("--input 64 --hidden 128", "99328"),
        ("--input 10 --hidden 20 --layers 2 --bidirectional --proj-size 5", "5840"),
        ("--input 10 --hidden 20 --layers 3 --bidirectional --no-bias", "24000"),
        ("--input 10 --hidden 20 --convention keras", "2480", "Keras: 4h(h + d + 1)"),
    ),
    extra_params=(
        Param("proj-size", INT, "LSTM projection size p (proj_size; 0 = none)", default=0, minimum=0),
    ),
)


# ---- gradient regime of backpropagation through time -----------------------------------------

# sup |φ'| of the activations: the Jacobian ∂z_t/∂z_{t−1} = diag(φ'(a_t))·U has norm ≤ γ·σ_max(U).
ACTIVATION_SLOPE = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "linear": 1.0}


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


# ---- linear recurrent units ------------------------------------------------------------------


def _diagonalise(A):
    """A = P Λ P⁻¹ with NumPy's eigenvectors; refuse a defective (non-diagonalisable) A."""
    import numpy as np

    eigenvalues, P = np.linalg.eig(A)
    if np.linalg.cond(P) > 1e10:
        raise DlcalcError("A is not diagonalisable (its eigenvectors are linearly dependent); "
                          "an LRU needs A = PΛP⁻¹")
    return eigenvalues, P


def lru_states(A, B, xs):
    """Final state z^T three ways: the recurrence, the diagonal basis, the convolution sum."""
    import numpy as np

    eigenvalues, P = _diagonalise(A)
    P_inv = np.linalg.inv(P)
    z = np.zeros(A.shape[0])
    xi = np.zeros(A.shape[0], dtype=complex)
    B_tilde = P_inv @ B
    for x in xs:
        z = A @ z + B @ x
        xi = eigenvalues * xi + B_tilde @ x
    T = len(xs)
    conv = sum(np.linalg.matrix_power(A, k) @ B @ xs[T - 1 - k] for k in range(T))
    return z, (P @ xi), conv


def lru(A, B, x):
    import numpy as np

    matrix = square_array(A, "A")
    eigenvalues, P = _diagonalise(matrix)
    residual = float(np.max(abs(P @ np.diag(eigenvalues) @ np.linalg.inv(P) - matrix)))
    stable = bool(np.all(abs(eigenvalues) < 1))
    value = {"eigenvalues": [complex_text(v) for v in eigenvalues], "stable": stable}
    steps = [f"A = PΛP⁻¹ with Λ = diag({', '.join(value['eigenvalues'])}), "
             f"max |PΛP⁻¹ − A| = {residual:.2g}",
             "stable (|λ_i| < 1)" if stable else "not stable: some |λ_i| ≥ 1"]
    extra = {"P": [[complex_text(v) for v in row] for row in P], "reconstruction_error": residual}
    if x is not None:
        if B is None:
            raise DlcalcError("--x needs --B (the input matrix)")
        inputs = finite_array(x, "--x")
        B_matrix = finite_array(B, "--B")
        if inputs.ndim == 1:
            inputs = inputs[:, None]
        if B_matrix.shape != (matrix.shape[0], inputs.shape[1]):
            raise DlcalcError(f"--B must be {matrix.shape[0]}×{inputs.shape[1]} (state × input), "
                              f"got {shape_text(B_matrix.shape)}")
        direct, diagonal, conv = lru_states(matrix, B_matrix, inputs)
        agreement = float(max(np.max(abs(diagonal - direct)), np.max(abs(conv - direct))))
        value["z"] = rounded(direct)
        extra["agreement"] = agreement
        steps.append(f"z^T by z^(t+1) = Az^t + Bx^t, by ξ^(t+1) = Λξ^t + P⁻¹Bx^t with z = Pξ, and by "
                     f"Σ A^k B x^(T−1−k): agree to {agreement:.2g}")
    return Result(value=value, steps=steps, extra=extra)


_E60 = erratum(
    "E60",
    title="LRU diagonalisation garbled",
    sheet="z^{t+1} = Λξ^t + B̃x^t; 'if A = PAP⁻¹'",
    correct="A = PΛP⁻¹, ξ^t = P⁻¹z^t, ξ^{t+1} = Λξ^t + B̃x^t with B̃ = P⁻¹B, and z^t = Pξ^t; "
    "z^t = Σ_k A^k B x^{t−1−k}; stable iff |λ_i| < 1",
    command="dlcalc lru --A '[[0.5,0.2],[0,0.3]]' --B '[[1],[1]]' --x '1;0;0'",
)

formula(
    name="lru",
    section="13.1.3",
    catalogue_id="RNN-LRU",
    summary="Linear recurrent unit: A = PΛP⁻¹, stability, and the state by three equal routes",
    params=(
        Param("A", MATRIX, "state matrix (n×n)"),
        Param("B", MATRIX, "input matrix (n×m)", default=()),
        Param("x", MATRIX, "inputs x^0..x^(T−1), one row per step (T×m)", default=()),
    ),
    formula="z^{t+1} = Az^t + Bx^t, A = PΛP⁻¹, ξ = P⁻¹z: ξ^{t+1} = Λξ^t + P⁻¹Bx^t; z^T = Σ_k A^k B x^{T−1−k}",
    latex=r"A = P\Lambda P^{-1},\ \xi^{t+1} = \Lambda\xi^t + P^{-1}Bx^t",
    compute=lambda A, B, x: lru(A, B or None, x or None),
    errata=(_E60,),
    examples=(
        ("--A '[[0.5,0.2],[0,0.3]]'", "eigenvalues=0.5,0.3 stable=true"),
        ("--A '[[0,-1],[1,0]]'", "eigenvalues=0.0+1.0i,0.0-1.0i stable=false", "a rotation: |λ| = 1"),
        ("--A '[[0.5,0.2],[0,0.3]]' --B '[[1],[1]]' --x '1;0;0'",
         "eigenvalues=0.5,0.3 stable=true z=0.41,0.09", "z³ = A²B·1 = (0.41, 0.09)"),
    ),
    notes="Complex eigenvalues print as a+bi. z^0 = 0; --x holds one input per row.",
)


# ---- LRU identities (proven by `dlcalc verify`) ------------------------------------------------


def _lru_symbols(n=2):
    import sympy

    P = sympy.Matrix(n, n, lambda i, j: sympy.Symbol(f"p{i}{j}"))
    lam = sympy.diag(*sympy.symbols(f"lambda0:{n}"))
    B = sympy.Matrix(n, 1, lambda i, _: sympy.Symbol(f"b{i}"))
    z = sympy.Matrix(n, 1, lambda i, _: sympy.Symbol(f"z{i}"))
    return P, lam, B, z, sympy.Symbol("x")


def lru_basis_statement(variant="correct"):
    """(lhs, rhs) of z^{t+1} = A z^t + B x^t with A = PΛP⁻¹, written in the diagonal basis.

    correct: z^{t+1} = P(Λξ^t + P⁻¹B x^t) with ξ^t = P⁻¹z^t.   sheet: z^{t+1} = Λξ^t + B̃x^t."""
    P, lam, B, z, x = _lru_symbols()
    P_inv = P.inv()
    xi = P_inv * z
    recurrence = P * lam * P_inv * z + B * x
    diagonal = lam * xi + P_inv * B * x
    return recurrence, (P * diagonal if variant == "correct" else diagonal)


def prove_lru_basis(variant="correct"):
    from dlcalc.core.proof import prove_matrices_equal

    return prove_matrices_equal(*lru_basis_statement(variant))


def lru_unroll_statement(steps=3):
    """(lhs, rhs): the recurrence from z^0 = 0 after `steps` steps vs Σ_k A^k B x^{T−1−k}."""
    import sympy

    A = sympy.Matrix(2, 2, lambda i, j: sympy.Symbol(f"a{i}{j}"))
    B = sympy.Matrix(2, 1, lambda i, _: sympy.Symbol(f"b{i}"))
    xs = sympy.symbols(f"x0:{steps}")
    z = sympy.zeros(2, 1)
    for x in xs:
        z = A * z + B * x
    unrolled = sum((A**k * B * xs[steps - 1 - k] for k in range(steps)), sympy.zeros(2, 1))
    return z, unrolled


def prove_lru_unroll(steps=3):
    from dlcalc.core.proof import prove_matrices_equal

    return prove_matrices_equal(*lru_unroll_statement(steps), method="expand")


formula(
    name="lru-diagonal-basis",
    section="13.1.3",
    catalogue_id="RNN-LRU",
    summary="In the eigenbasis ξ = P⁻¹z the LRU recurrence is diagonal: z^{t+1} = P(Λξ^t + P⁻¹Bx^t)",
    params=(),
    formula="A = PΛP⁻¹ ⇒ Az^t + Bx^t = P(Λξ^t + B̃x^t), ξ^t = P⁻¹z^t, B̃ = P⁻¹B",
    latex=r"Az^t + Bx^t = P(\Lambda\xi^t + \tilde B x^t)",
    kind="identity",
    prove=prove_lru_basis,
    errata=(_E60,),
    sheet_says="z^{t+1} = Λξ^t + B̃x^t (no P), 'A = PAP⁻¹'",
)

formula(
    name="lru-unroll",
    section="13.1.3",
    catalogue_id="RNN-LRU-CONV",
    summary="A linear recurrence from z⁰ = 0 is a convolution: z^T = Σ_k A^k B x^{T−1−k}",
    params=(),
    formula="z^T = Σ_{k=0}^{T−1} A^k B x^{T−1−k}",
    latex=r"z^T = \sum_{k=0}^{T-1} A^k B x^{T-1-k}",
    kind="identity",
    prove=prove_lru_unroll,
)


# ---- forward passes ------------------------------------------------------------------------------


def _activation(name):
    import numpy as np

    return {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0), "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
            "linear": lambda a: a}[name]


def _sequence(x, width, what="--x"):
    inputs = finite_array(x, what)
    if inputs.ndim == 1 or (width == 1 and inputs.shape[0] == 1):  # '1,0,0' with scalar inputs: 3 steps
        inputs = inputs.reshape(-1, 1) if width == 1 else inputs[None, :]
    if inputs.shape[1] != width:
        raise DlcalcError(f"{what} rows need {width} values each (the width of V)")
    return inputs


def _state(values, size, what):
    import numpy as np

    if values == ():
        return np.zeros(size)
    state = np.array(values, dtype=float)
    if state.shape != (size,):
        raise DlcalcError(f"{what} needs {size} values")
    return state


def recurrence_maps(U, V, names=("U", "V")):
    """The recurrent matrix (h×h) and the input matrix (h×d) of a vanilla RNN, checked."""
    recurrent, input_map = square_array(U, names[0]), finite_array(V, f"--{names[1]}")
    if input_map.ndim == 1:
        input_map = input_map[:, None]
    if input_map.shape[0] != recurrent.shape[0]:
        raise DlcalcError(f"--{names[1]} needs {recurrent.shape[0]} rows (one per hidden unit), "
                          f"got {input_map.shape[0]}")
    return recurrent, input_map


def run_recurrence(recurrent, input_map, inputs, phi, bias=0.0, z=None):
    """z_t = φ(U z_{t−1} + V x_t + b) for each row x_t (z_0 = 0 unless given): z_1..z_T as a T×h array."""
    import numpy as np

    z, states = np.zeros(recurrent.shape[0]) if z is None else z, []
    for x_t in inputs:
        z = phi(recurrent @ z + input_map @ x_t + bias)
        states.append(z)
    return np.array(states).reshape(len(inputs), recurrent.shape[0])


def rnn_forward(U, V, x, b, z0, act):
    recurrent, input_map = recurrence_maps(U, V)
    h = recurrent.shape[0]
    inputs = _sequence(x, input_map.shape[1])
    states = run_recurrence(recurrent, input_map, inputs, _activation(act), _state(b, h, "--b"), _state(z0, h, "--z0"))
    return matrix_result(states,
                         steps=[f"z_t = {act}(U z_(t−1) + V x_t + b) for t = 1..{len(inputs)}; one state per row",
                                "the sheet's z_t = φ(U z_(t−1) + V z_t) has no input term (E56)"])


_E56 = erratum(
    "E56",
    title="RNN state equation",
    sheet="z_t = φ(U z_{t−1} + V z_t)",
    correct="z_t = φ(U z_{t−1} + V x_t + b): the sheet's version has no input term and is implicit in z_t",
    command="dlcalc rnn-forward --U 0.5 --V 1 --x '1;0;0' --act linear",
)

formula(
    name="rnn-forward",
    section="13.1",
    catalogue_id="RNN-STEP",
    summary="Run a vanilla RNN z_t = φ(U z_{t−1} + V x_t + b) over an input sequence (states per row)",
    params=(
        Param("U", MATRIX, "recurrent matrix (h×h)"),
        Param("V", MATRIX, "input matrix (h×d)"),
        Param("x", MATRIX, "inputs x_1..x_T, one row per step (T×d)"),
        Param("b", VECTOR, "bias (default 0)", default=()),
        Param("z0", VECTOR, "initial state (default 0)", default=()),
        Param("act", choice("tanh", "relu", "sigmoid", "linear"), "activation φ", default="tanh"),
    ),
    formula="z_t = φ(U z_{t−1} + V x_t + b)",
    latex=r"z_t = \phi(U z_{t-1} + V x_t + b)",
    compute=rnn_forward,
    errata=(_E56,),
    sheet_says="z_t = φ(U z_{t−1} + V z_t)",
    examples=(
        ("--U 0.5 --V 1 --x '1;0;0' --act linear", "[[1.0], [0.5], [0.25]]", "an impulse decays by U"),
        ("--U '0,0;0,0' --V '1,0;0,1' --x '1,2' --act relu", "[[1.0, 2.0]]"),
    ),
)


def _output_activation(name):
    if name != "softmax":
        return _activation(name)
    from dlcalc.catalogue._common import softmax_rows

    return softmax_rows


def _output_map(W, h, name):
    """The output matrix (o×h) given as --name; a single row of h numbers is one output."""
    output = finite_array(W, f"--{name}")
    output = output[None, :] if output.ndim == 1 else output
    if output.shape[1] != h:
        raise DlcalcError(f"--{name} needs {h} columns (the hidden size), got {output.shape[1]}")
    return output


_ACT = Param("act", choice("tanh", "relu", "sigmoid", "linear"), "activation φ of the state", default="tanh")
_OUT_ACT = Param("out-act", choice("linear", "sigmoid", "tanh", "softmax"), "output activation ψ (softmax: per row)",
                 default="linear")


def rnn_outputs(U, V, W, x, act, out_act):
    recurrent, input_map = recurrence_maps(U, V)
    h = recurrent.shape[0]
    states = run_recurrence(recurrent, input_map, _sequence(x, input_map.shape[1]), _activation(act))
    outputs = _output_activation(out_act)(states @ _output_map(W, h, "W").T)
    return matrix_result(outputs,
                         steps=[f"z_t = {act}(U z_(t−1) + V x_t), z_0 = 0;  ŷ_t = {out_act}(W z_t); "
                                "one output per row"],
                         extra={"states": rounded(states)})


formula(
    name="rnn-outputs",
    section="13.1",
    catalogue_id="RNN-OUT",
    summary="Outputs ŷ_t = ψ(W z_t) of a vanilla RNN over a sequence (one row per step)",
    params=(
        Param("U", MATRIX, "recurrent matrix (h×h)"),
        Param("V", MATRIX, "input matrix (h×d)"),
        Param("W", MATRIX, "output matrix (o×h)"),
        Param("x", MATRIX, "inputs x_1..x_T, one row per step (T×d)"),
        _ACT,
        _OUT_ACT,
    ),
    formula="z_t = φ(U z_{t−1} + V x_t), ŷ_t = ψ(W z_t)",
    latex=r"\hat y_t = \psi(W z_t)",
    compute=rnn_outputs,
    examples=(
        ("--U 0.5 --V 1 --W 2 --x '1;0;0' --act linear", "[[2.0], [1.0], [0.5]]", "2 × the states 1, ½, ¼"),
        ("--U '0,0;0,0' --V '1,0;0,1' --W '1,0;0,1' --x '1,1' --out-act softmax", "[[0.5, 0.5]]"),
    ),
    notes="--json adds the states z_t. rnn-forward also takes a bias and an initial state.",
)


def rnn_bidirectional(U, V, Ub, Vb, W, Wb, x, act, out_act):
    recurrent, input_map = recurrence_maps(U, V)
    back_recurrent, back_input = recurrence_maps(Ub, Vb, ("Ub", "Vb"))
    if back_input.shape[1] != input_map.shape[1]:
        raise DlcalcError("--V and --Vb need the same number of columns (the input width d)")
    inputs, phi = _sequence(x, input_map.shape[1]), _activation(act)
    h, hb = recurrent.shape[0], back_recurrent.shape[0]
    forward = run_recurrence(recurrent, input_map, inputs, phi)
    backward = run_recurrence(back_recurrent, back_input, inputs[::-1], phi)[::-1]  # z⁻_t has read x_T..x_t
    output_map, back_output = _output_map(W, h, "W"), _output_map(Wb, hb, "Wb")
    if output_map.shape[0] != back_output.shape[0]:
        raise DlcalcError("--W and --Wb need the same number of rows (the output size)")
    outputs = _output_activation(out_act)(forward @ output_map.T + backward @ back_output.T)
    count = recurrent.size + input_map.size + back_recurrent.size + back_input.size + output_map.size + back_output.size
    return matrix_result(outputs,
                         steps=["z⁺_t = φ(U z⁺_(t−1) + V x_t) left to right; "
                                "z⁻_t = φ(Ū z⁻_(t+1) + V̄ x_t) right to left",
                                f"ŷ_t = {out_act}(W z⁺_t + W̄ z⁻_t): every output sees the whole sequence",
                                f"{count} weights (no biases): both directions have their own U, V and W"],
                         extra={"forward_states": rounded(forward), "backward_states": rounded(backward),
                                "weights": count})


formula(
    name="rnn-bidirectional",
    section="13.1",
    catalogue_id="RNN-BIDIR",
    summary="Bidirectional RNN outputs ŷ_t = ψ(W z⁺_t + W̄ z⁻_t) (forward and backward states)",
    params=(
        Param("U", MATRIX, "forward recurrent matrix (h×h)"),
        Param("V", MATRIX, "forward input matrix (h×d)"),
        Param("Ub", MATRIX, "backward recurrent matrix Ū (h̄×h̄)"),
        Param("Vb", MATRIX, "backward input matrix V̄ (h̄×d)"),
        Param("W", MATRIX, "output matrix for the forward states (o×h)"),
        Param("Wb", MATRIX, "output matrix W̄ for the backward states (o×h̄)"),
        Param("x", MATRIX, "inputs x_1..x_T, one row per step (T×d)"),
        _ACT,
        _OUT_ACT,
    ),
    formula="z⁺_t = φ(U z⁺_{t−1} + V x_t), z⁻_t = φ(Ū z⁻_{t+1} + V̄ x_t), ŷ_t = ψ(W z⁺_t + W̄ z⁻_t)",
    latex=r"\hat y_t = \psi(W z_t^{+} + \bar W z_t^{-})",
    compute=rnn_bidirectional,
    examples=(
        ("--U 0.5 --V 1 --Ub 0.5 --Vb 1 --W 1 --Wb 1 --x '1;0;0' --act linear", "[[2.0], [0.5], [0.25]]",
         "z⁺ = 1, ½, ¼; z⁻ = 1, 0, 0 (the impulse is at t = 1)"),
    ),
    notes="--json adds both state sequences and the weight count. `rnn-params --bidirectional` counts PyTorch's "
    "parameters.",
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
    inputs = _sequence(x, input_map.shape[1])
    if h * h * 2 * (len(inputs) + 1) * len(inputs) > 200_000:
        raise DlcalcError("too large for the finite-difference check: keep h²·T² below about 100,000")
    phi = _activation(act)
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


formula(
    name="rnn-unroll",
    section="13.1",
    catalogue_id="RNN-UNROLL",
    summary="Check that an RNN unrolled over T steps is a depth-T feed-forward network with shared weights",
    params=(
        Param("U", MATRIX, "recurrent matrix (h×h)"),
        Param("V", MATRIX, "input matrix (h×d)"),
        Param("x", MATRIX, "inputs x_1..x_T, one row per step (T×d)"),
        _ACT,
    ),
    formula="s_t = φ_z(M s_{t−1}), s_0 = [0; x_1; …; x_T], M = [[U, V, 0], [0, 0, shift]] ⇒ s_t[:h] = z_t;  "
    "∂L/∂U = Σ_t ∂L/∂U_t",
    latex=r"s_t = \phi(M s_{t-1}),\ s_t[{:}h] = z_t",
    kind="claim",
    compute=rnn_unroll,
    examples=(("--U '0.5,-0.2;0.1,0.3' --V '1;-1' --x '1;2;-1'", "holds"),),
    notes="The layer matrix is the same for every layer (--json shows it): the depth-T network's weights are tied. "
    "--json adds ∂L/∂U for L = ½Σ_t‖z_t‖² (finite differences).",
)


_STEP_INPUTS = (Param("x", VECTOR, "input x_t"), Param("z", VECTOR, "previous state (output) z_{t−1}"))


def gate_weights(hidden, width, **named):
    """Gate matrices given as options -> arrays, each checked to be hidden × (d + h)."""
    matrices = {}
    for name, rows in named.items():
        matrix = finite_array(rows, f"--{name}")
        matrix = matrix[None, :] if matrix.ndim == 1 else matrix
        if matrix.shape != (hidden, width):
            raise DlcalcError(f"--{name} must be {hidden}×{width} (hidden × [x, z])")
        matrices[name] = matrix
    return matrices


def gru_step(G, R, W, x, z):
    import numpy as np

    state, inputs = np.array(z, dtype=float), np.array(x, dtype=float)
    matrices = gate_weights(len(state), len(inputs) + len(state), G=G, R=R, W=W)
    sigmoid = _activation("sigmoid")
    update = sigmoid(matrices["G"] @ np.concatenate([inputs, state]))
    reset = sigmoid(matrices["R"] @ np.concatenate([inputs, state]))
    candidate = np.tanh(matrices["W"] @ np.concatenate([inputs, reset * state]))
    new = (1 - update) * state + update * candidate
    return vector_result(new,
                         steps=["Γ_u = σ(G[x, z]), Γ_r = σ(R[x, z]), z̃ = tanh(W[x, Γ_r ⊙ z]), z' = (1 − Γ_u) ⊙ z + Γ_u ⊙ z̃",
                                "PyTorch swaps the roles: h' = (1 − u) ⊙ n + u ⊙ h"],
                         extra={"update_gate": rounded(update), "reset_gate": rounded(reset),
                                "candidate": rounded(candidate)})


_E59 = erratum(
    "E59",
    title="GRU candidate and reset gate missing",
    sheet="z^t = (1 − Γ_u) ⊙ z^{t−1} + Γ_u ⊙ z̃^t with z̃ undefined and no reset gate",
    correct="Γ_r = σ(R[x_t, z_{t−1}]) and z̃^t = tanh(W[x_t, Γ_r ⊙ z_{t−1}]); PyTorch swaps the roles: "
    "h_t = (1 − u) ⊙ n + u ⊙ h_{t−1}",
    command="dlcalc gru-step --G '0,0' --R '0,0' --W '0,0' --x 0 --z 2",
)

formula(
    name="gru-step",
    section="13.1.2",
    catalogue_id="RNN-GRU",
    summary="One GRU step (sheet convention, biases omitted) with update and reset gates",
    params=(
        Param("G", MATRIX, "update-gate weights (h×(d+h))"),
        Param("R", MATRIX, "reset-gate weights (h×(d+h))"),
        Param("W", MATRIX, "candidate weights (h×(d+h))"),
        *_STEP_INPUTS,
    ),
    formula="z' = (1 − Γ_u) ⊙ z + Γ_u ⊙ tanh(W[x, Γ_r ⊙ z]), Γ_u = σ(G[x, z]), Γ_r = σ(R[x, z])",
    latex=r"z^t = (1-\Gamma_u)\odot z^{t-1} + \Gamma_u \odot \tanh(W[x_t, \Gamma_r \odot z^{t-1}])",
    compute=gru_step,
    errata=(_E59,),
    examples=(
        ("--G '0,0' --R '0,0' --W '0,0' --x 0 --z 2", "1.0", "Γ_u = ½ and z̃ = 0 halve the state"),
    ),
)


def lstm_step(F, I, C, O, x, z, c):
    import numpy as np

    state, cell, inputs = (np.array(v, dtype=float) for v in (z, c, x))
    if cell.shape != state.shape:
        raise DlcalcError("--c (cell state) and --z (hidden state) need the same length")
    stacked = np.concatenate([inputs, state])  # x̃ = [x_t, z_{t−1}]
    weights = gate_weights(len(state), len(stacked), F=F, I=I, C=C, O=O)
    gates = {name: matrix @ stacked for name, matrix in weights.items()}
    sigmoid = _activation("sigmoid")
    new_cell = sigmoid(gates["F"]) * cell + sigmoid(gates["I"]) * np.tanh(gates["C"])
    new_state = sigmoid(gates["O"]) * np.tanh(new_cell)
    return Result(value={"z": rounded(new_state), "c": rounded(new_cell)},
                  plain=f"z={vector_text(new_state)} c={vector_text(new_cell)}",
                  steps=["C^t = σ(F x̃) ⊙ C^(t−1) + σ(I x̃) ⊙ tanh(C̃ x̃);  z^t = σ(O x̃) ⊙ tanh(C^t),  x̃ = [x_t, z_(t−1)]"])


formula(
    name="lstm-step",
    section="13.1.2",
    catalogue_id="RNN-LSTM",
    summary="One LSTM step (sheet convention, biases omitted): new cell state C^t and output z^t",
    params=(
        Param("F", MATRIX, "forget-gate weights (h×(d+h))"),
        Param("I", MATRIX, "input-gate weights (h×(d+h))"),
        Param("C", MATRIX, "candidate weights C̃ (h×(d+h))"),
        Param("O", MATRIX, "output-gate weights (h×(d+h))"),
        *_STEP_INPUTS,
        Param("c", VECTOR, "previous cell state C^{t−1}"),
    ),
    formula="C^t = σ(Fx̃)⊙C^{t−1} + σ(Ix̃)⊙tanh(C̃x̃); z^t = σ(Ox̃)⊙tanh(C^t); x̃ = [x_t, z_{t−1}]",
    latex=r"C^t = \sigma(F\tilde x^t)\odot C^{t-1} + \sigma(I\tilde x^t)\odot\tanh(\tilde C\tilde x^t)",
    compute=lstm_step,
    examples=(
        ("--F '0,0' --I '0,0' --C '0,0' --O '0,0' --x 0 --z 0 --c 2", "z=0.380797077978 c=1.0",
         "all gates ½: C = ½·2, z = ½·tanh(1)"),
    ),
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

    states = run_recurrence(recurrent, input_map, inputs, _activation(act), bias, z0)
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
    inputs = _sequence(x, input_map.shape[1])
    T = len(inputs)
    if k >= T:
        raise DlcalcError(f"--k must be below the number of steps T = {T}")
    J = jacobian_product(recurrent, input_map, inputs, act, _state(b, h, "--b"), _state(z0, h, "--z0"), k)
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


def rnn_bptt(U, V, W, x, y):
    import numpy as np

    recurrent, input_map, output_map = square_array(U, "U"), finite_array(V, "--V"), finite_array(W, "--W")
    input_map = input_map[:, None] if input_map.ndim == 1 else input_map
    output_map = output_map[None, :] if output_map.ndim == 1 else output_map
    h = recurrent.shape[0]
    if input_map.shape[0] != h or output_map.shape[1] != h:
        raise DlcalcError(f"--V needs {h} rows and --W {h} columns (the hidden size)")
    xs, ys = _sequence(x, input_map.shape[1]), _sequence(y, output_map.shape[0], "--y")
    if len(xs) != len(ys):
        raise DlcalcError("--x and --y need one row per time step each")
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
