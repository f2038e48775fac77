"""Bad input exits 2 with one exact line; the messages are part of the interface."""

from __future__ import annotations

import pytest

from dlcalc.deriv.check import check_derivative
from dlcalc.core.errors import DlcalcError

KNOWN = ("abs, arccos, arcsin, arctan, cos, det, diag, exp, eye, inv, log, logdet, mean, norm, norm1, norm2, ones, "
         "relu, sigmoid, sign, sin, softmax, softplus, sqrt, sum, tan, tanh, trace")


@pytest.mark.parametrize(
    "expr,wrt,options,message",
    [
        ("A@x", "x", {"shapes": {"A": "m,n", "x": "k"}}, "A@x: A is m×n but x is k×1"),
        ("x + A", "x", {"shapes": {"x": "n", "A": "m,k"}}, "x + A: x is n×1 but A is m×k"),
        ("x*y.T + A", "x", {"shapes": {"x": "n", "y": "m", "A": "m,n"}}, "x*y.T + A: x*y.T is n×m but A is m×n"),
        ("norm(A, 2)", "A", {}, "norm(A, 2): the 2-norm of a matrix is its spectral norm, which is not supported; use 'fro'"),
        ("sum(A, axis=2)", "A", {}, "sum(A, axis=2): axis must be 0 (a row of column sums) or 1 (a column of row sums)"),
        ("x.T@x", "x", {"shapes": {"x": "10000"}}, "--shape x=10000: '10000' is not a dimension (a name or a positive integer of at most 4 digits)"),
        ("alpha@x", "x", {}, "alpha@x: alpha is 1×1 but x is n×1"),
        ("trace(x)", "x", {}, "trace(x): x is n×1, not square"),
        ("softmax(A)", "A", {}, "softmax(A): A is n×m, not a column vector (for a matrix give axis=0 or axis=1)"),
        ("x**A", "x", {"shapes": {"x": "n", "A": "m,k"}}, "x**A: x is n×1 but A is m×k"),
        ("foo(x)", "x", {}, f"foo(x): unknown function foo (known: {KNOWN})"),
        ("__import__('os')", "x", {}, f"__import__('os'): unknown function __import__ (known: {KNOWN})"),
        ("x[0]", "x", {}, "x[0]: indexing is not supported"),
        ("x.shape", "x", {}, "x.shape: only .T is supported, not .shape"),
        ("x < y", "x", {}, "x < y: a comparison is not supported"),
        ("xs + x", "x", {}, "unknown name 'xs' in expression: give its shape with --shape xs=DIMS"),
        ("log", "x", {}, "log: log is a function; call it as log(...)"),
        ("x" * 3000, "x", {}, "expression too long (3000 characters; at most 2000)"),
        ("x.T@x", "x", {"expect": "x@@"}, "syntax error in claim 'x@@' at column 3"),
        ("x.T@x", "x", {"expect": "2*q"}, "the claim uses q, which does not occur in the expression"),
        ("x.T@x", "x", {"shapes": {"B": "n"}}, "--shape B=...: B does not occur in the expression"),
        ("x.T@A@x", "x", {"assume": {"x": "symmetric"}}, "--assume x=symmetric: x is n×1, not a square matrix"),
        ("x.T@A@x", "x", {"layout": "sideways"}, "--layout must be denominator or numerator, not 'sideways'"),
        ("x.T@x", "1x", {}, "--wrt must be a variable name, not '1x'"),
        ("A@x", "x", {"hessian": True}, "--hessian needs a scalar expression (the expression is n×1, x is m×1)"),
    ],
)
def test_error_messages(expr, wrt, options, message):
    with pytest.raises(DlcalcError) as info:
        check_derivative(expr, wrt, **options)
    assert info.value.message == message


def test_node_count_is_bounded():
    expr = "+".join(["x"] * 300)
    with pytest.raises(DlcalcError, match=r"^expression too large \(\d+ syntax nodes; at most 400\)$"):
        check_derivative(expr, "x")


def test_no_domain_gives_a_clear_error():
    with pytest.raises(DlcalcError, match=r"^could not draw a point inside the domain"):
        check_derivative("log(-x.T@x)", "x")


def test_timeout_is_a_clear_error():
    with pytest.raises(DlcalcError, match=r"^gave up after 1e-06 s \(--timeout\)"):
        check_derivative("log(det(X)) + trace(inv(X)@A@inv(X))", "X", timeout=1e-6)
