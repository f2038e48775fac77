"""Every registered example runs through the real CLI, by both routes, and prints its output.

Also: every formula is declared completely, and numeric commands never import SymPy.
"""

from __future__ import annotations

import shlex

import pytest

from conftest import modules_loaded_by, run_main, run_typer
from dlcalc.core import registry

FORMULAS = sorted(registry.formulas(), key=lambda f: f.name)
EXAMPLES = [(f.name, e) for f in FORMULAS if f.is_command for e in f.examples]


@pytest.mark.parametrize("name, example", EXAMPLES, ids=[f"{n}: {e.args}" for n, e in EXAMPLES])
def test_example_output(name, example):
    args = [name, *shlex.split(example.args)]
    fast = run_main(args)
    assert fast.code in (0, 1), fast.err  # 1: a refuted claim is a legitimate example
    assert fast.out.rstrip("\n") == example.output
    through_typer = run_typer(args)
    assert (through_typer.code, through_typer.out) == (fast.code, fast.out)


@pytest.mark.parametrize("formula", FORMULAS, ids=[f.name for f in FORMULAS])
def test_declaration_is_complete(formula):
    assert formula.summary and formula.formula and formula.latex and formula.section
    assert formula.kind in ("numeric", "identity", "claim")
    if formula.is_command:
        assert formula.examples, "a command needs at least one example"
    else:
        assert formula.prove is not None, "an identity needs a proof"
    for eid in formula.errata:
        assert eid in registry.ERRATA
    for param in formula.params:
        assert param.help


def test_numeric_commands_never_import_sympy():
    """Run every numeric example in one fresh process, then look at what was imported."""
    calls = [[f.name, *shlex.split(e.args)] for f in FORMULAS
             if f.kind == "numeric" and f.is_command and not f.uses_sympy for e in f.examples]
    assert not modules_loaded_by(calls) & {"sympy", "typer"}


def test_command_index_is_current():
    from pathlib import Path

    from dlcalc.core import registry

    committed = (Path(registry.__file__).parent / "_index.py").read_text()
    assert committed == registry.index_text(), "the command index is stale: run python -m dlcalc.dev regen"


def test_a_command_imports_only_its_own_module():
    loaded = modules_loaded_by([["conv-out", "--I", "32", "--K", "3"]])
    catalogue = sorted(m for m in loaded if m.startswith("dlcalc.catalogue.") and not m.split(".")[-1].startswith("_"))
    assert catalogue == ["dlcalc.catalogue.cnn_sizes"]


def test_a_command_that_is_no_formula_imports_no_catalogue_module():
    """The Typer route looks a formula up only for a formula's name: check-deriv loads no area."""
    loaded = modules_loaded_by([["check-deriv", "x", "--wrt", "x"]])
    assert sorted(m for m in loaded if m.startswith("dlcalc.catalogue.")) == []
