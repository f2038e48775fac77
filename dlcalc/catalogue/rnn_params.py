"""Recurrent networks: parameter counts of nn.RNN, nn.GRU and nn.LSTM (sheet §13, the counts §12.11
promises).

Parameter counts follow PyTorch's nn.RNN/nn.GRU/nn.LSTM exactly (two bias vectors per gate set,
stacked layers, bidirectional, LSTM projections) and, on request, Keras' or the textbook's
single-bias convention.
"""

from __future__ import annotations

from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLAG, INT, Param, choice, erratum, formula
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

# Bounds: the table has one row per layer and direction, and a width beyond ten million is no
# layer anyone builds (its W_hh alone would hold 10¹⁴ numbers).
MAX_LAYERS = 10_000
MAX_WIDTH = 10_000_000

_INPUT = Param("input", INT, f"input features d (input_size; at most {MAX_WIDTH:,})", aliases=("input-size",),
               minimum=1, maximum=MAX_WIDTH)
_HIDDEN = Param("hidden", INT, f"hidden units h (hidden_size; at most {MAX_WIDTH:,})", aliases=("hidden-size",),
                minimum=1, maximum=MAX_WIDTH)
_LAYERS = Param("layers", INT, f"stacked layers (num_layers; at most {MAX_LAYERS:,})", default=1,
                aliases=("num-layers",), minimum=1, maximum=MAX_LAYERS)
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
        Param("proj-size", INT, "LSTM projection size p (proj_size; 0 = none; below --hidden)", default=0,
              minimum=0, maximum=MAX_WIDTH),
    ),
)
