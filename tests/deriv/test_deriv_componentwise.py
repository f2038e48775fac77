"""The component-wise SymPy route: a third, independent check of the rules, and the fallback.

1. Every identity of the test suite: the rules' closed form equals the component-wise SymPy
   derivative *exactly* (symbolic entries, sizes 2 and 3), entry by entry.
2. The fallback is reachable: with the rules made to fail or to return a wrong derivative, the
   component-wise route gives the right answer with method "componentwise", and the wrong rules'
   answer is never printed. Expected values are hand-derived (Matrix Cookbook), not copied output.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from dlcalc.deriv.check import _classify, check_derivative
from dlcalc.deriv.instances import componentwise_draws
from dlcalc.deriv import componentwise as cw
from dlcalc.deriv import ir
from dlcalc.deriv.derivative import closed_form, seed_var
from dlcalc.deriv.parser import ShapeEnv

from expressions import COOKBOOK, DL, SHEET_4_2, SHEET_4_3_NUMERATOR, SHEET_4_4

sympy = pytest.importorskip("sympy")


def make_problem(expr, wrt, shapes=None, hessian=False):
    env = ShapeEnv(shapes or {}, {})
    raw = env.parse(expr)
    return env, _classify(env, raw, wrt, env.declare_variable(wrt), hessian)


def is_zero(expr) -> bool:
    """Exactly zero: the rational-function normal form first, simplify (exp, tanh, Piecewise) last."""
    for normal_form in (sympy.cancel, sympy.simplify):
        expr = normal_form(expr)
        if expr == 0:
            return True
    return False


def rules_minus_componentwise(problem, sizes) -> list:
    """Entries of (rules' closed form) - (component-wise derivative), both as explicit SymPy."""
    exact = cw.derive(problem, sizes)
    shapes = ir.variables(problem.f) | {problem.wrt: problem.x_shape}
    matrices = cw.entry_matrices(shapes, sizes)
    expected = exact.entries
    if problem.kind == "tensor":  # the rules give the vjp in a seed G: contract the tensor with G
        seed = seed_var(problem)
        matrices[seed.name] = cw.entry_symbols(seed.name, *ir.concrete_shape(seed.shape, sizes))
        expected = cw.contract_with_seed(exact.entries, matrices[seed.name])
    rules = cw.to_sympy(closed_form(problem), matrices, sizes)
    if rules.shape == (1, 1) and expected.shape != (1, 1):  # a scalar 0 (or constant) broadcasts
        rules = rules[0, 0] * sympy.ones(*expected.shape)
    assert rules.shape == expected.shape
    return list(rules - expected)


IDENTITIES = (
    [(e, w, {}, False) for e, w, _ in SHEET_4_2 + SHEET_4_3_NUMERATOR + SHEET_4_4 + COOKBOOK]
    + [(e, w, shapes, False) for e, w, _, shapes, _ in DL]
    + [
        ("det(A@X@B)", "X", {"A": "n,n", "X": "n,n", "B": "n,n"}, False),
        ("X@a", "X", {}, False),
        ("A@W@B", "W", {}, False),
        ("trace(X) + trace(A@X)", "X", {}, False),
        ("trace(X) + 1", "X", {}, False),
        ("log(trace(X.T@X))", "X", {}, False),
        ("trace(X)/trace(A@X)", "X", {}, False),
        ("x.T@A@x", "x", {}, True),
        ("norm(A@x - b)**2", "x", {}, True),
        ("sum(exp(x))", "x", {}, True),
        ("log(sum(exp(x)))", "x", {}, True),
        ("a.T@x", "x", {}, True),
    ]
)


@pytest.mark.parametrize("expr,wrt,shapes,hessian", IDENTITIES)
def test_rules_equal_componentwise_sympy_exactly(expr, wrt, shapes, hessian):
    env, problem = make_problem(expr, wrt, shapes, hessian)
    checked = 0
    for sizes in componentwise_draws(env.all_dims()):
        try:
            differences = rules_minus_componentwise(problem, sizes)
        except cw.ComponentwiseFailed:  # det of a product of three 3x3 symbolic matrices: too large
            continue
        nonzero = [d for d in differences if not is_zero(d)]
        assert not nonzero, (expr, sizes, nonzero[:2])
        checked += 1
    assert checked >= 1


# --- the component-wise route on its own ----------------------------------------------------------


def test_log_det_entries_at_2x2_are_the_inverse_transpose():
    # Matrix Cookbook (57): d log det X / dX = X^-T; for X = [[a, b], [c, d]] that is
    # [[d, -c], [-b, a]] / (ad - bc), written out by hand here.
    _, problem = make_problem("log(det(X))", "X")
    a, b, c, d = sympy.symbols("X_0_0 X_0_1 X_1_0 X_1_1", real=True)
    expected = sympy.Matrix([[d, -c], [-b, a]]) / (a * d - b * c)
    entries = cw.derive(problem, {"n": 2}).entries
    assert all(is_zero(e) for e in entries - expected)


def test_hessian_and_numerator_layouts():
    # x.T@A@x: Hessian A + A.T (entries A_ij + A_ji); numerator gradient is the row x.T@(A + A.T)
    _, problem = make_problem("x.T@A@x", "x", hessian=True)
    exact = cw.derive(problem, {"n": 2})
    assert exact.entries == sympy.Matrix(2, 2, lambda i, j: sympy.Symbol(f"A_{i}_{j}", real=True) + sympy.Symbol(f"A_{j}_{i}", real=True))
    _, problem = make_problem("x.T@A@x", "x")
    assert cw.derive(problem, {"n": 2}).in_layout("numerator").shape == (1, 2)


def test_relu_and_step_are_piecewise():
    # d relu(u)/du = 1 where u > 0, else 0; step has derivative 0 away from its jump
    _, problem = make_problem("sum(relu(x))", "x")
    exact = cw.derive(problem, {"n": 2})
    assert exact.evaluate({"x": [[[1.5], [-2.0]]]}).tolist() == [[1.0], [0.0]]
    _, problem = make_problem("sum(step(x))", "x")
    assert cw.derive(problem, {"n": 2}).entries == sympy.zeros(2, 1)


# --- the fallback is reachable, and never prints a wrong rules' answer ---------------------------


@pytest.fixture
def rules(monkeypatch):
    """Replace the rules' closed form for one test: ``rules(lambda problem: ...)``."""
    import dlcalc.deriv.derivative as derivative

    def install(replacement):
        monkeypatch.setattr(derivative, "closed_form", replacement)

    return install


def raise_unsupported(problem):
    from dlcalc.deriv.matrixcalc import Unsupported

    raise Unsupported("switched off by the test")


def everything_printed(result) -> str:
    return " ".join([result.plain, result.latex or "", *result.steps, str(result.extra["derivative"])])


def test_rules_fail_closed_form_recognised(rules):
    rules(raise_unsupported)
    result = check_derivative("x.T@x", "x")
    assert (result.plain, result.extra["method"]) == ("2*x", "componentwise")
    assert "recognised from a component-wise SymPy derivation" in result.steps[2]


def test_rules_drop_a_term_componentwise_restores_it(rules):
    # wrong rules: d x.T A x / dx = A x (the A.T x term dropped); the truth is (A + A.T) x (Cookbook 81)
    rules(lambda problem: ir.matmul(ir.var("A", (problem.x_shape[0],) * 2), ir.var("x", problem.x_shape)))
    result = check_derivative("x.T@A@x", "x")
    assert (result.plain, result.extra["method"]) == ("(A + A.T)@x", "componentwise")
    assert "the rules' closed form disagreed with finite differences; it is not shown" in result.warnings
    assert check_derivative("x.T@A@x", "x", expect="(A + A.T)@x").extra["holds"] is True
    assert check_derivative("x.T@A@x", "x", expect="A@x").extra["holds"] is False


def test_rules_wrong_transpose_and_factor(rules):
    # wrong rules: d tr(X X)/dX = X; the truth is 2 X^T (Cookbook 104)
    rules(lambda problem: ir.var("X", problem.x_shape))
    result = check_derivative("trace(X@X)", "X", expect="2*X.T")
    assert (result.extra["holds"], result.extra["method"], result.extra["derivative"]) == (True, "componentwise", "2*X.T")


def test_nothing_fits_explicit_entries_and_claims_still_judged(rules):
    # wrong rules: d log det X / dX = I; no combination of I, X, X.T fits X^-T, so the exact
    # entries at n=2 are reported, and claims are judged against them
    rules(lambda problem: ir.eye(problem.x_shape[0]))
    result = check_derivative("log(det(X))", "X")
    assert result.extra["method"] == "componentwise"
    assert result.plain.startswith("component-wise at n=2: [[X_1_1/(X_0_0*X_1_1 - X_0_1*X_1_0), ")
    assert "no general closed form was found: the derivative is given entry by entry at n=2" in result.warnings
    assert "eye" not in everything_printed(result)
    assert check_derivative("log(det(X))", "X", expect="inv(X).T").extra["holds"] is True
    refuted = check_derivative("log(det(X))", "X", expect="eye(n)")
    assert refuted.extra["holds"] is False and refuted.extra["counterexample"]["dims"] == {"n": 2}
    assert check_derivative("log(det(X))", "X", expect="inv(X)").extra["holds"] is False


def test_tensor_and_hessian_fall_back(rules):
    rules(raise_unsupported)
    tensor = check_derivative("X@X", "X")  # T[i,j,k,l] = δ_ik X_lj + X_ik δ_jl
    assert tensor.extra["method"] == "componentwise"
    assert tensor.plain.startswith("component-wise at n=2: [[[[2*X_0_0, X_1_0], [X_0_1, 0]], ")
    hessian = check_derivative("x.T@A@x", "x", hessian=True, expect="A + A.T")
    assert (hessian.extra["method"], hessian.extra["holds"]) == ("componentwise", True)
    assert check_derivative("x.T@A@x", "x", hessian=True, expect="2*A").extra["holds"] is False


def test_wrong_componentwise_is_not_trusted(rules, monkeypatch):
    rules(raise_unsupported)
    monkeypatch.setattr(cw, "derivative_entries", lambda value, x, kind, budget=None: sympy.zeros(*x.shape))
    result = check_derivative("x.T@x", "x")
    assert result.extra["method"] == "numeric"
    assert any("disagreed with finite differences at n=2" in w for w in result.warnings)


def test_too_large_componentwise_gives_numeric(rules, monkeypatch):
    rules(raise_unsupported)
    monkeypatch.setattr(cw, "MAX_OPERATIONS", 0)
    result = check_derivative("x.T@x", "x")
    assert result.extra["method"] == "numeric"
    assert result.plain.startswith("numeric only (finite differences at ")


def test_jacobian_of_diag_product_by_rules():
    # once a fallback; f_j = x_j (A x)_j, so d f_j / d x_i = δ_ij (A x)_j + A_ji x_j:
    # denominator layout diag(A@x) + A.T@diag(x)
    result = check_derivative("diag(x)@A@x", "x")
    assert result.extra["method"] == "rules"
    assert check_derivative("diag(x)@A@x", "x", expect="diag(A@x) + A.T@diag(x)").extra["holds"] is True
    assert check_derivative("diag(x)@A@x", "x", expect="diag(A@x) + A@diag(x)").extra["holds"] is False


def test_ordinary_path_does_not_import_sympy_and_fallback_does():
    code = (
        "import sys; from dlcalc.deriv.check import check_derivative as c\n"
        "c('x.T@A@x', 'x', expect='(A + A.T)@x'); c('log(det(X))', 'X')\n"
        "before = 'sympy' in sys.modules\n"
        "c('diag(A@diag(x)@B)', 'x')\n"
        "print(before, 'sympy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]


def test_explicit_answer_in_json_and_latex(rules):
    # Hessian of sum(exp(x)): H[i,j] = δ_ij exp(x_i); diag(exp(x)) is not among the candidates
    rules(raise_unsupported)
    result = check_derivative("sum(exp(x))", "x", hessian=True)
    assert result.extra["componentwise"] == {"sizes": {"n": 2}, "entries": [["exp(x_0)", "0"], ["0", "exp(x_1)"]]}
    assert result.latex == "\\left[\\begin{matrix}e^{x_{0}} & 0\\\\0 & e^{x_{1}}\\end{matrix}\\right]"
    assert check_derivative("sum(exp(x))", "x", hessian=True, expect="diag(exp(x))").extra["holds"] is True


def test_out_of_time_componentwise_gives_numeric(rules, monkeypatch):
    import dlcalc.deriv.check as deriv

    rules(raise_unsupported)
    monkeypatch.setattr(deriv, "COMPONENTWISE_SHARE", 1e-9)
    result = check_derivative("x.T@x", "x")
    assert result.extra["method"] == "numeric"
    assert any("its share of --timeout ran out" in w for w in result.warnings)


def test_zero_and_identity_are_recognised(rules):
    # diag(diag(x)) == x, so its Jacobian is the identity (once a fallback, now simplified first)
    identity = check_derivative("diag(diag(x))", "x")
    assert (identity.plain, identity.extra["method"]) == ("eye(n)", "rules")
    rules(raise_unsupported)
    zero = check_derivative("a.T@b", "x")  # x does not occur
    assert (zero.plain, zero.extra["method"]) == ("0", "componentwise")


def test_a_constant_tensor_derivative_is_zero_by_the_rules():
    result = check_derivative("eye(n)", "x")
    assert (result.plain, result.extra["method"]) == ("T[i,j,k] = 0; vjp: G -> 0", "rules")


def test_a_costly_second_size_keeps_the_first(rules, monkeypatch):
    # too large at n=3 but not at n=2: the n=2 derivation (checked against finite differences) is used
    rules(raise_unsupported)

    def guard(matrix):
        if matrix.shape[0] == 3:
            raise cw.ComponentwiseTooCostly("the explicit expression is too large at this size")
        return matrix

    monkeypatch.setattr(cw, "_guard_size", guard)
    result = check_derivative("log(det(X))", "X", expect="inv(X).T")
    assert (result.extra["method"], result.extra["holds"]) == ("componentwise", True)
    assert "no component-wise derivation at n=3 (the explicit expression is too large at this size); only smaller sizes are used" in result.warnings


def test_run_within_interrupts_one_long_call_and_restores_the_outer_deadline():
    import signal
    import time

    from dlcalc.core.deadline import Budget, OutOfTime, run_with_deadline, run_within

    def long_call():
        end = time.monotonic() + 5
        while time.monotonic() < end:  # one call that never checks the budget
            pass

    def work():
        with pytest.raises(OutOfTime):
            run_within(Budget(0.05), long_call)
        return signal.getitimer(signal.ITIMER_REAL)[0]

    left = run_with_deadline(work, 10)
    assert 9 < left < 10
