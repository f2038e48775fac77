"""Helpers shared by the rnn_* modules (not a catalogue area: it declares no formula): the vanilla
RNN recurrence z_t = φ(U z_{t−1} + V x_t + b), its inputs checked, and the activations' slopes."""

from __future__ import annotations

from dlcalc.catalogue._common import finite_array, square_array
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import Param, choice

# sup |φ'| of the activations: the Jacobian ∂z_t/∂z_{t−1} = diag(φ'(a_t))·U has norm ≤ γ·σ_max(U).
ACTIVATION_SLOPE = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "linear": 1.0}


ACT = Param("act", choice("tanh", "relu", "sigmoid", "linear"), "activation φ of the state", default="tanh")


def activation(name):
    import numpy as np

    return {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0), "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
            "linear": lambda a: a}[name]


def input_sequence(x, width, what="--x"):
    inputs = finite_array(x, what)
    if inputs.ndim == 1 or (width == 1 and inputs.shape[0] == 1):  # '1,0,0' with scalar inputs: 3 steps
        inputs = inputs.reshape(-1, 1) if width == 1 else inputs[None, :]
    if inputs.shape[1] != width:
        raise DlcalcError(f"{what} rows need {width} values each (the width of V)")
    return inputs


def initial_vector(values, size, what):
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
