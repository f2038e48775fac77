"""Fuzz: hostile values for every option of every command, and hostile batch files.

Whatever is typed, dlcalc exits 0, 1 or 2; an exit of 2 is one `dlcalc: error:` line on stderr; no
call hangs (each runs under an alarm) and none takes the machine's memory (an address-space limit
turns a runaway allocation into an error). Bounded in time: a few seconds per command family.
"""

from __future__ import annotations

import resource
import shlex
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_main
from dlcalc.core import evaluate, registry
from dlcalc.core.deadline import TimeUp, time_limit

CALL_LIMIT = 20  # seconds: a call that takes longer is a hang
MEMORY_LIMIT = 3 * 2**30  # bytes of address space while fuzzing
EXAMPLES_PER_FAMILY = 25

HOSTILE = [
    "", " ", "x", "-", "--", "0", "-0", "-1", "1", "2", "3", "0.5", "-0.5", "1e-300", "5e-324", "1e308", "-1e308",
    "1e999", "nan", "inf", "-inf", "NaN", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
    "1" * 101, "1" * 5000, "10000000", "99999", "1,2,3", "1,2;3,4", "[1,[2]]", "[[1],[2,3]]", "[[[1]]]", "[[],[]]",
    "[]", "[[1,2],[3,4]]", "[" * 3000 + "]" * 3000, "@/nonexistent", "@/dev/null", "@/etc/passwd", "same", "valid",
    "true", "false", "x\ny", "\x1b[31m", "\u2028", "é", "∞", "x" * 20_000, "1/0", "x**2", "exp(1000)",
    "__import__('os')", "0-1,1-2", "a=1", "conv(3)", "relu", "1,", ",1", "1 2", "0x10", "1_000",
]
value = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12), st.integers(-10**20, 10**20).map(str),
                  st.floats(allow_nan=True, allow_infinity=True).map(repr))

COMMANDS = sorted((f for f in registry.formulas() if f.is_command), key=lambda f: f.name)
FAMILIES: dict[str, list] = defaultdict(list)
for _formula in COMMANDS:
    FAMILIES[_formula.module.rsplit(".", 1)[-1]].append(_formula)


@pytest.fixture(autouse=True)
def bounded(monkeypatch):
    """Symbolic work gets a short limit and the process a bounded address space while fuzzing."""
    monkeypatch.setattr(evaluate, "SYMBOLIC_TIME_LIMIT", 3.0)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (min(MEMORY_LIMIT, hard) if hard > 0 else MEMORY_LIMIT, hard))
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def check(args: list[str], stdin: str = "") -> None:
    try:
        with time_limit(CALL_LIMIT):
            run = run_main(args, stdin=stdin)
    except TimeUp:
        pytest.fail(f"no answer within {CALL_LIMIT} s: dlcalc {shlex.join(args)[:300]}")
    assert run.code in (0, 1, 2), (args, run.err[:500])
    if run.code == 2:
        assert run.err.startswith("dlcalc: error: ") and run.err.count("\n") == 1, (args, run.err[:500])
    assert all(line.startswith(("dlcalc: error: ", "dlcalc: note: ")) for line in run.err.splitlines()), run.err[:500]


@st.composite
def command_lines(draw, formulas):
    """A command of the family, its first example, and some options replaced by hostile values."""
    formula = draw(st.sampled_from(formulas))
    args = shlex.split(formula.examples[0].args) if formula.examples else []
    options = [p for p in formula.params if not p.kind.is_flag and not p.positional]
    for param in draw(st.lists(st.sampled_from(options), max_size=3, unique=True)) if options else []:
        flag = "--" + param.name
        text = draw(value)
        if flag in args:
            args[args.index(flag) + 1] = text
        else:
            args += [flag, text]
    return [formula.name, *args]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_hostile_options(family):
    @settings(max_examples=EXAMPLES_PER_FAMILY, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(command_lines(FAMILIES[family]))
    def fuzz(args):
        check(args)

    fuzz()


BATCH_CELLS = st.one_of(st.sampled_from(HOSTILE[:60]), st.integers(-10**25, 10**25).map(str), st.text(max_size=8))
BREAKS = st.sampled_from(["\n", "\r\n", "\n\n", "\x0c\n", "\u2028\n", "\n"])


@st.composite
def batch_files(draw):
    command = draw(st.sampled_from(["conv-out", "kv-cache", "pac-bayes", "fc-params", "entropy", "activation"]))
    names = [p.name for p in registry.get(command).params if not p.positional][:4]
    if draw(st.booleans()):  # JSON Lines
        import json

        rows = [json.dumps({n: draw(BATCH_CELLS) for n in names}) for _ in range(draw(st.integers(1, 6)))]
        rows += draw(st.lists(st.sampled_from(["{", "[1]", '{"I": 1, "I": 2}', "{" * 2000, "null"]), max_size=2))
        return command, "\n".join(rows) + "\n"
    delimiter = draw(st.sampled_from([",", "\t"]))
    header = delimiter.join(names + draw(st.lists(st.sampled_from(["I", "nope", names[0]]), max_size=1)))
    rows = [delimiter.join(draw(BATCH_CELLS).replace(delimiter, "") for _ in names)
            for _ in range(draw(st.integers(1, 8)))]
    quoted = ['"' + draw(BATCH_CELLS) + '"' + delimiter * (len(names) - 1)] if draw(st.booleans()) else []
    text = header
    for row in rows + quoted:
        text += draw(BREAKS) + row
    return command, draw(st.sampled_from(["", "\ufeff"])) + text + "\n"


@settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(batch_files(), st.booleans())
def test_hostile_batch_files(command_and_text, json_mode):
    command, text = command_and_text
    check([command, "--batch", "-", *(["--json"] if json_mode else [])], stdin=text)
