"""LaTeX output is valid TeX where it most often goes wrong: no double superscripts or subscripts
(``X^{-1}^\\top`` is rejected by TeX), an inverse transpose is ``X^{-\\top}``."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from dlcalc.deriv.check import check_derivative
from dlcalc.core.errors import DlcalcError
from dlcalc.deriv.parser import ShapeEnv
from dlcalc.deriv.to_latex import to_latex

from expressions import COOKBOOK, SHEET_4_2, SHEET_4_4
from test_deriv_property import EXPRESSIONS


def script_clashes(latex: str) -> list:
    """Positions where a base gets a second superscript (or subscript): ``x^a^b``, ``x^{a}^b``,
    ``x_a^b_c``. Each ^/_ argument is one token: a braced group, a control word or a character."""
    clashes = []
    i, used = 0, set()
    while i < len(latex):
        char = latex[i]
        if char in "^_":
            if char in used:
                clashes.append(i)
            used.add(char)
            i = _skip_argument(latex, i + 1)
            while i < len(latex) and latex[i] == " ":
                i += 1
            continue
        used = set()
        i = _skip_argument(latex, i) if char in "{\\" else i + 1
    return clashes


def _skip_argument(text: str, i: int) -> int:
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text):
        return i
    if text[i] == "{":
        depth = 0
        for j in range(i, len(text)):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                return j + 1
        return len(text)
    if text[i] == "\\":
        j = i + 1
        while j < len(text) and text[j].isalpha():
            j += 1
        return max(j, i + 2)
    return i + 1


@pytest.mark.parametrize(
    "latex,clashes",
    [("X^{-1}^\\top", [6]), ("{X^{-1}}^{\\top}", []), ("X^{-\\top}", []), ("x_a^b_c", [5]), ("x^a y^b", []),
     ("\\left(A\\right)^\\top", []), ("X^\\top ^{2}", [7])],
)
def test_the_clash_detector(latex, clashes):
    assert script_clashes(latex) == clashes


def test_log_det_issue_example():
    result = check_derivative("log(det(X))", "X")
    assert result.latex == "\\mathbf{X}^{-\\top}"


def latex_of(expr: str) -> str:
    env = ShapeEnv({}, {})
    return to_latex(env.finish(env.parse(expr)))


@pytest.mark.parametrize(
    "expr,latex",
    [
        ("inv(X).T", "\\mathbf{X}^{-\\top}"),
        ("inv(X.T)", "\\mathbf{X}^{-\\top}"),
        ("inv(inv(X))", "{\\mathbf{X}^{-1}}^{-1}"),
        ("inv(inv(X).T)", "{\\mathbf{X}^{-1}}^{-\\top}"),
        ("inv(X.T).T", "{\\mathbf{X}^\\top}^{-\\top}"),
        ("X.T**2", "{\\mathbf{X}^\\top}^{\\circ 2}"),
        ("inv(X)**2", "{\\mathbf{X}^{-1}}^{\\circ 2}"),
        ("(X**2).T", "\\left(\\mathbf{X}^{\\circ 2}\\right)^\\top"),
        ("sum(x)**2", "\\operatorname{sum}\\left(\\mathbf{x}\\right)^{2}"),
    ],
)
def test_powers_transposes_and_inverses(expr, latex):
    assert latex_of(expr) == latex
    assert not script_clashes(latex)


def test_multi_letter_and_subscripted_names():
    env = ShapeEnv({"lr": "", "W_1_2": "m,n"}, {})
    assert to_latex(env.finish(env.parse("lr*alpha_1"))) == "\\mathrm{lr} \\alpha_{1}"
    assert to_latex(env.finish(env.parse("W_1_2.T"))) == "\\mathbf{W}_{1\\_2}^\\top"


@pytest.mark.parametrize("expr,wrt,claim", SHEET_4_2 + SHEET_4_4 + COOKBOOK)
def test_identity_derivatives_have_no_script_clash(expr, wrt, claim):
    latex = check_derivative(expr, wrt).latex or ""
    assert not script_clashes(latex), latex
    assert not script_clashes(latex_of(claim)), claim


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=EXPRESSIONS)
def test_random_expressions_have_no_script_clash(expr):
    try:
        latex = latex_of(expr)
    except DlcalcError:
        return
    assert not script_clashes(latex), (expr, latex)
