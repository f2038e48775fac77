"""Recurrent networks: parameter counts against PyTorch's weight shapes enumerated here tensor by
tensor, against PyTorch itself where it is installed, and the bounds on layers and widths.

Figures marked "torch" were produced with PyTorch 2.13 (sum of p.numel() over nn.RNN/GRU/LSTM
parameters) during development.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_main

GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def pytorch_weight_shapes(cell, d, h, layers=1, bidirectional=False, proj=0, bias=True):
    """The named tensors of nn.RNN/GRU/LSTM, as PyTorch's _flat_weights_names lists them."""
    g = GATES[cell] * h
    real_h = proj or h
    shapes = {}
    for layer in range(layers):
        for suffix in ("", "_reverse") if bidirectional else ("",):
            layer_in = d if layer == 0 else real_h * (2 if bidirectional else 1)
            shapes[f"weight_ih_l{layer}{suffix}"] = (g, layer_in)
            shapes[f"weight_hh_l{layer}{suffix}"] = (g, real_h)
            if bias:
                shapes[f"bias_ih_l{layer}{suffix}"] = (g,)
                shapes[f"bias_hh_l{layer}{suffix}"] = (g,)
            if proj:
                shapes[f"weight_hr_l{layer}{suffix}"] = (proj, h)
    return shapes


def count(shapes):
    return sum(math.prod(s) for s in shapes.values())


def cli_count(cell, *args):
    run = run_main([f"{cell}-params", *map(str, args)])  # argv is text
    assert run.code == 0, run.err
    return int(run.out)


@pytest.mark.parametrize(
    "cell, args, torch_total",
    [
        ("lstm", ("--input", 10, "--hidden", 20), 2560),
        ("lstm", ("--input", 10, "--hidden", 20, "--layers", 2, "--bidirectional", "--proj-size", 5), 5840),
        ("lstm", ("--input", 10, "--hidden", 20, "--layers", 3, "--bidirectional", "--no-bias"), 24000),
        ("lstm", ("--input", 300, "--hidden", 512, "--layers", 2, "--bidirectional"), 9633792),
        ("gru", ("--input", 10, "--hidden", 20), 1920),
        ("gru", ("--input", 32, "--hidden", 64, "--layers", 2, "--bidirectional"), 112128),
        ("rnn", ("--input", 10, "--hidden", 20), 640),
        ("rnn", ("--input", 64, "--hidden", 128, "--layers", 3), 90880),
    ],
)
def test_counts_match_pytorch_figures(cell, args, torch_total):
    assert cli_count(cell, *args) == torch_total


@settings(max_examples=60, deadline=None)
@given(
    cell=st.sampled_from(["rnn", "gru", "lstm"]),
    d=st.integers(1, 50),
    h=st.integers(2, 50),
    layers=st.integers(1, 4),
    bidirectional=st.booleans(),
    bias=st.booleans(),
    proj=st.integers(0, 10),
)
def test_counts_match_enumerated_weight_shapes(cell, d, h, layers, bidirectional, bias, proj):
    proj = proj % h if cell == "lstm" else 0  # PyTorch: 0 ≤ proj_size < hidden_size, LSTM only
    args = ["--input", d, "--hidden", h, "--layers", layers]
    args += ["--bidirectional"] * bidirectional + ["--no-bias"] * (not bias)
    args += ["--proj-size", proj] if proj else []
    assert cli_count(cell, *args) == count(pytorch_weight_shapes(cell, d, h, layers, bidirectional, proj, bias))


def test_single_bias_conventions():
    # textbook: G·h(h + d + 1); Keras LSTM/SimpleRNN likewise; Keras GRU (reset_after=True) has two biases
    d, h = 64, 128
    assert cli_count("rnn", "--input", d, "--hidden", h, "--convention", "textbook") == h * (h + d + 1) == 24704
    assert cli_count("lstm", "--input", d, "--hidden", h, "--convention", "keras") == 4 * h * (h + d + 1) == 98816
    assert cli_count("gru", "--input", d, "--hidden", h, "--convention", "textbook") == 3 * h * (h + d + 1) == 74112
    assert cli_count("gru", "--input", d, "--hidden", h, "--convention", "keras") == 3 * h * (h + d + 2)


def test_json_components_sum_to_total():
    run = run_main(["lstm-params", "--input", "8", "--hidden", "16", "--layers", "2", "--bidirectional", "--json"])
    record = json.loads(run.out)
    assert record["result"] == record["total"] == sum(record["components"].values())
    assert set(record["components"]) == {"layer1.forward", "layer1.backward", "layer2.forward", "layer2.backward"}


def test_projection_errors():
    assert run_main(["lstm-params", "--input", "4", "--hidden", "8", "--proj-size", "8"]).code == 2
    bad = run_main(["lstm-params", "--input", "4", "--hidden", "8", "--proj-size", "2", "--convention", "keras"])
    assert bad.code == 2 and "pytorch" in bad.err


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_layers_and_widths_are_bounded(cell):
    run = run_main([f"{cell}-params", "--input", "64", "--hidden", "128", "--layers", "9223372036854775807"])
    assert (run.code, run.out) == (2, "")
    assert run.err == "dlcalc: error: --layers: must be at most 10,000, got 9223372036854775807\n"
    wide = run_main([f"{cell}-params", "--input", "10000001", "--hidden", "8"])
    assert wide.code == 2 and "--input: must be at most 10,000,000" in wide.err
    # the largest stack allowed is answered, and equals the shapes enumerated by hand
    shapes = pytorch_weight_shapes(cell, 64, 128, layers=10_000, bidirectional=True)
    assert cli_count(cell, "--input", 64, "--hidden", 128, "--layers", 10_000, "--bidirectional") == count(shapes)


def test_counts_match_pytorch_modules():
    torch = pytest.importorskip("torch")
    modules = {
        ("rnn", ("--input", 7, "--hidden", 5, "--layers", 2)): torch.nn.RNN(7, 5, num_layers=2),
        ("gru", ("--input", 7, "--hidden", 5, "--bidirectional")): torch.nn.GRU(7, 5, bidirectional=True),
        ("lstm", ("--input", 7, "--hidden", 5, "--layers", 3, "--bidirectional", "--proj-size", 3)):
            torch.nn.LSTM(7, 5, num_layers=3, bidirectional=True, proj_size=3),
        ("lstm", ("--input", 7, "--hidden", 5, "--no-bias")): torch.nn.LSTM(7, 5, bias=False),
    }
    for (cell, args), module in modules.items():
        assert cli_count(cell, *args) == sum(p.numel() for p in module.parameters()), (cell, args)
