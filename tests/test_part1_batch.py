"""Every example of the part-1 catalogue modules also runs through batch mode (one JSON Lines row)
and prints the same line as the single call."""

from __future__ import annotations

import json
import shlex

import pytest

from conftest import run_main
from dlcalc.core import registry

MODULES = ("probability", "analysis", "linalg", "matrix_calculus", "information", "activations", "optim", "losses",
           "linear_models", "regularisation")


def part1_commands():
    """The commands declared by these areas, split modules included (probability_mgf is probability)."""
    return sorted(f.name for f in registry.formulas() if f.is_command and f.module.rsplit(".", 1)[-1].startswith(MODULES))


CASES = [(name, e) for name in part1_commands() for e in registry.get(name).examples]


def as_row(formula, args):
    """'--p 0.5,0.5 --base 2 --log' -> {"p": "0.5,0.5", "base": "2", "log": true}; a repeatable option
    (--W A --W B) becomes a JSON list, {"W": ["A", "B"]}."""
    tokens, row = shlex.split(args), {}
    while tokens:
        param = formula.lookup_option(tokens.pop(0))
        value = True if param.kind.is_flag else tokens.pop(0)
        if param.multiple:
            row.setdefault(param.name, []).append(value)
        else:
            row[param.name] = value
    return row


@pytest.mark.parametrize("name, example", CASES, ids=[f"{n}: {e.args}" for n, e in CASES])
def test_example_through_batch_mode(name, example, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(as_row(registry.get(name), example.args)) + "\n")
    run = run_main([name, "--batch", str(path)])
    assert run.out.rstrip("\n") == example.output, run.err
