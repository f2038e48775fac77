"""Every example of every formula also runs through batch mode (one JSON Lines row, and for the
vectorised formulas one CSV row too): it prints the same line as the single call, and its --json row
is the very object the single call's --json prints (one JSON builder for every route)."""

from __future__ import annotations

import json
import shlex

import pytest

from conftest import run_main
from dlcalc.core import registry

CASES = [(f.name, e) for f in sorted(registry.formulas(), key=lambda f: f.name) if f.is_command for e in f.examples]
IDS = [f"{n}: {e.args}" for n, e in CASES]


def as_row(formula, args):
    """'--p 0.5,0.5 --base 2 --log' -> {"p": "0.5,0.5", "base": "2", "log": true}; a repeatable option
    (--W A --W B) becomes a JSON list, {"W": ["A", "B"]}."""
    tokens, row = shlex.split(args), {}
    while tokens:
        token = tokens.pop(0)
        if token.startswith("--") and "=" in token:
            token, value = token.split("=", 1)
            tokens.insert(0, value)
        param = formula.lookup_option(token)
        if param is None or param.positional:  # a positional argument
            param = next(p for p in formula.params if p.positional)
            row[param.name] = token
            continue
        value = True if param.kind.is_flag else tokens.pop(0)
        if param.multiple:
            row.setdefault(param.name, []).append(value)
        else:
            row[param.name] = value
    return row


def _batch(name, row, tmp_path, *extra):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(row) + "\n")
    return run_main([name, "--batch", str(path), *extra])


@pytest.mark.parametrize("name, example", CASES, ids=IDS)
def test_example_through_batch_mode(name, example, tmp_path):
    formula = registry.get(name)
    row = as_row(formula, example.args)
    plain = _batch(name, row, tmp_path)
    assert plain.out.rstrip("\n") == example.output, plain.err
    single = run_main([name, *shlex.split(example.args), "--json"])
    in_batch = _batch(name, row, tmp_path, "--json")
    assert (in_batch.code, in_batch.err) == (single.code, single.err)
    assert json.loads(in_batch.out) == json.loads(single.out)


VECTORISED = [(n, e) for n, e in CASES if registry.get(n).vectorised]


@pytest.mark.parametrize("name, example", VECTORISED, ids=[f"{n}: {e.args}" for n, e in VECTORISED])
def test_vectorised_example_as_a_csv_row(name, example, tmp_path):
    """The NumPy routes (a CSV of numbers) print the single call's line and JSON object too."""
    row = as_row(registry.get(name), example.args)
    header = ",".join(row)
    cells = ",".join(f'"{v}"' if "," in str(v) else str(v).lower() for v in row.values())
    for extra in ((), ("--json",)):
        run = run_main([name, "--batch", "-", *extra], stdin=f"{header}\n{cells}\n")
        single = run_main([name, *shlex.split(example.args), *extra])
        assert (run.code, run.out, run.err) == (single.code, single.out, single.err)
