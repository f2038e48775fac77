"""The safe scalar-expression parser: builds the right SymPy objects and refuses everything else."""

from __future__ import annotations

import pytest
import sympy

from dlcalc.core.errors import DlcalcError
from dlcalc.core.scalar_expr import parse_scalar

T = sympy.Symbol("t", positive=True)


@pytest.mark.parametrize("text, expected", [
    ("1/sqrt(t)", 1 / sympy.sqrt(T)),
    ("0.1/t", sympy.Rational(1, 10) / T),
    ("t**-0.75", T ** sympy.Rational(-3, 4)),
    ("log(t) + exp(-t) * pi", sympy.log(T) + sympy.exp(-T) * sympy.pi),
    ("-(2*t) + +e", -2 * T + sympy.E),
])
def test_builds_exact_expressions(text, expected):
    assert sympy.simplify(parse_scalar(text, {"t": T}) - expected) == 0


@pytest.mark.parametrize("text, reason", [
    ("__import__('os')", "unknown function"),
    ("t.conjugate()", "unknown function"),
    ("t.real", "not supported"),
    ("t[0]", "indexing"),
    ("y + t", "unknown name"),
    ("'abc'", "only real numbers"),
    ("10000000", "at most"),
    ("2**10**10", "exponent too large"),
    ("t ^ 2", "use [*][*]"),
    ("1/0", "division by zero"),
    ("sqrt(t, 2)", "exactly one argument"),
    ("sqrt", "is a function"),
    ("(" * 500 + "t" + ")" * 500, "too large|cannot parse|syntax error"),
    ("t+" * 1500 + "t", "too long"),
    ("", "empty"),
])
def test_refuses_with_a_reason(text, reason):
    with pytest.raises(DlcalcError, match=reason):
        parse_scalar(text, {"t": T})
