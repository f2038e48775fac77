"""Recurrent networks forward (sheet §13.1, §13.1.2): a vanilla RNN over a sequence, its outputs,
the bidirectional RNN, and one GRU or LSTM step. NumPy is imported inside the functions."""

from __future__ import annotations

from dlcalc.catalogue._common import finite_array, matrix_result, rounded, vector_result, vector_text
from dlcalc.catalogue._recurrence import ACT, activation, initial_vector, input_sequence, recurrence_maps, run_recurrence
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import MATRIX, VECTOR, Param, choice, erratum, formula
from dlcalc.core.result import Result

# ---- forward passes ------------------------------------------------------------------------------


def rnn_forward(U, V, x, b, z0, act):
    recurrent, input_map = recurrence_maps(U, V)
    h = recurrent.shape[0]
    inputs = input_sequence(x, input_map.shape[1])
    states = run_recurrence(recurrent, input_map, inputs, activation(act), initial_vector(b, h, "--b"), initial_vector(z0, h, "--z0"))
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
        return activation(name)
    from dlcalc.catalogue._common import softmax_rows

    return softmax_rows


def _output_map(W, h, name):
    """The output matrix (o×h) given as --name; a single row of h numbers is one output."""
    output = finite_array(W, f"--{name}")
    output = output[None, :] if output.ndim == 1 else output
    if output.shape[1] != h:
        raise DlcalcError(f"--{name} needs {h} columns (the hidden size), got {output.shape[1]}")
    return output


_OUT_ACT = Param("out-act", choice("linear", "sigmoid", "tanh", "softmax"), "output activation ψ (softmax: per row)",
                 default="linear")


def rnn_outputs(U, V, W, x, act, out_act):
    recurrent, input_map = recurrence_maps(U, V)
    h = recurrent.shape[0]
    states = run_recurrence(recurrent, input_map, input_sequence(x, input_map.shape[1]), activation(act))
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
        ACT,
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
    inputs, phi = input_sequence(x, input_map.shape[1]), activation(act)
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
        ACT,
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
    sigmoid = activation("sigmoid")
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
    sigmoid = activation("sigmoid")
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
