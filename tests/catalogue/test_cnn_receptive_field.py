"""Receptive fields against a brute-force dependency trace through the stack."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_main


def trace_inputs(layers, unit):
    """Input indices (negative or past the end = padding) that output ``unit`` of the last layer
    depends on, found by walking down the layers: unit u of a layer reads units
    u·s − p + t·d (t = 0..k−1) of the layer below."""
    units = {unit}
    for k, s, d, p in reversed(layers):
        units = {u * s - p + t * d for u in units for t in range(k)}
    return units


def brute_field(layers):
    field0, field1 = trace_inputs(layers, 0), trace_inputs(layers, 1)
    return {
        "r": max(field0) - min(field0) + 1,
        "j": min(field1) - min(field0),
        "start": min(field0),
        "nonzero": len(field0),
    }


def spec(layers):
    return "; ".join(f"k={k},s={s},d={d},p={p}" for k, s, d, p in layers)


layer = st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(1, 4), st.integers(0, 3))


@settings(max_examples=300, deadline=None)
@given(st.lists(layer, min_size=1, max_size=4))
def test_receptive_field_matches_dependency_trace(layers):
    run = run_main(["receptive-field", "--layers", spec(layers), "--json"])
    assert run.code == 0, run.err
    got = json.loads(run.out)
    expected = brute_field(layers)
    assert {key: got[key] for key in expected} == expected
    # every prefix of the stack is reported per layer
    for depth, row in enumerate(got["layers"], start=1):
        assert row == brute_field(layers[:depth])


def test_plain_output_is_the_field_size():
    assert run_main(["receptive-field", "--layers", "k=3; k=3; k=3"]).out == "7\n"


def test_repeated_layer_option_equals_the_list():
    a = run_main(["receptive-field", "--layer", "k=7,s=2,p=3", "--layer", "k=3,s=2,p=1", "--json"])
    b = run_main(["receptive-field", "--layers", "k=7,s=2,p=3; k=3,s=2,p=1", "--json"])
    assert json.loads(a.out)["r"] == json.loads(b.out)["r"] == 11


@pytest.mark.parametrize("depth", [1, 2, 5, 9])
def test_doubling_dilations_grow_exponentially(depth):
    """Catalogue E51: k=2 with dilations 1,2,4,... gives 2^L; k=3 gives 2^(L+1) − 1."""
    for kernel, expected in ((2, 2**depth), (3, 2 ** (depth + 1) - 1)):
        layers = "; ".join(f"k={kernel},d={2**i}" for i in range(depth))
        assert run_main(["receptive-field", "--layers", layers]).out == f"{expected}\n"


def test_wavenet_stack_sees_1024_samples():
    layers = "; ".join(f"k=2,d={2**i}" for i in range(10))  # dilations 1..512
    assert run_main(["receptive-field", "--layers", layers]).out == "1024\n"


def test_dilation_leaves_holes():
    got = json.loads(run_main(["receptive-field", "--layers", "k=3,d=4", "--json"]).out)
    assert (got["r"], got["nonzero"]) == (9, 3)


def test_per_axis_values_become_lists():
    got = json.loads(run_main(["receptive-field", "--layers", "k=3x5,p=1:0x2; k=3,s=2", "--json"]).out)
    assert got["r"] == [5, 7]
    assert got["start"] == [-1, -2]
    assert got["j"] == [2, 2]
    x_axis = brute_field([(3, 1, 1, 1), (3, 2, 1, 0)])
    assert got["layers"][1]["r"][0] == x_axis["r"]


def test_asymmetric_padding_moves_only_the_start():
    got = json.loads(run_main(["receptive-field", "--layers", "k=4,p=1:2", "--json"]).out)
    assert (got["r"], got["start"]) == (4, -1)


@pytest.mark.parametrize(
    "layers, message",
    [
        ("k=3,q=2", "layer 1: expected key=value with keys k, s, d, p, got 'q=2'"),
        ("s=2", "layer 1: the kernel size k is required"),
        ("k=0", "k=0: kernel must be at least 1"),
        ("k=3; k=3,s=x", "s=x: expected whole numbers"),
        ("k=3x3; k=3x3x3", "layers mix 2 and 3 axes; use one value or 3 values"),
        ("k=3,s=1:2", "s=1:2: only the padding p takes before:after"),
        (" ; ", "no layers given"),
    ],
)
def test_bad_layer_specs_are_one_line_errors(layers, message):
    run = run_main(["receptive-field", "--layers", layers])
    assert run.code == 2
    assert run.err == f"dlcalc: error: {message}\n"


def test_a_wide_kernel_counts_its_holes_without_a_quadratic_loop():
    """k = 10⁶ taps at dilation 2: field 2·10⁶ − 1 wide with 10⁶ inputs in it. Looping over the taps
    (each OR-ing a 2-million-bit mask) took 37 s; doubling takes well under a second."""
    import time

    started = time.perf_counter()
    record = json.loads(run_main(["receptive-field", "--layers", "k=1000000,d=2", "--json"]).out)
    assert time.perf_counter() - started < 20
    assert (record["r"], record["nonzero"]) == (1_999_999, 1_000_000)
