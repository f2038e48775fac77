"""Every command, every option, a set of bad values: a one-line error and exit 2, never a crash.

Each command's first example is taken and one option at a time is replaced by a bad value.
A result is acceptable if the command succeeds (0), refutes a claim (1), or refuses the input
with a single `dlcalc: error:` line (2); an internal error (70) or a traceback is a defect.
"""

from __future__ import annotations

import shlex

import pytest

from conftest import run_main
from dlcalc.core import registry

BAD_VALUES = ["x", "-1", "0", "1e999", "nan", "", "[[1,2],[3]]", "1,2,3,4,5,6,7,8,9,10", "-0.5", "1;2"]
COMMANDS = sorted((f for f in registry.formulas() if f.is_command and f.examples), key=lambda f: f.name)


def calls(formula):
    base = shlex.split(formula.examples[0].args)
    for param in formula.params:
        if param.kind.is_flag or param.positional:
            continue
        flag = "--" + param.name
        for value in BAD_VALUES:
            args = list(base)
            if flag in args:
                args[args.index(flag) + 1] = value
            else:
                args += [flag, value]
            yield [formula.name, *args]


@pytest.mark.parametrize("formula", COMMANDS, ids=[f.name for f in COMMANDS])
def test_bad_values_never_crash(formula):
    for args in calls(formula):
        run = run_main(args)
        assert run.code in (0, 1, 2), (args, run.err)
        if run.code == 2:
            assert run.err.startswith("dlcalc: error: ") and run.err.count("\n") == 1, (args, run.err)


@pytest.mark.parametrize("args", [
    ["optimise-quadratic", "--H", "[[1]]", "--x0", "1", "--steps", "100001"],
    ["gd", "--f", "x**2", "--vars", "x", "--x0", "1", "--steps", "100001"],
])
def test_iterative_commands_refuse_a_step_count_that_would_hang(args):
    run = run_main(args)
    assert (run.code, run.err) == (2, "dlcalc: error: --steps: at most 100,000, got 100,001\n")
