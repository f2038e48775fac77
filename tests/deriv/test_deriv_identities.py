"""Identities of the sheet (§4.2–4.5, catalogue §1.3 corrected forms), the Matrix Cookbook's
first-order identities and common deep-learning gradients. Every expected derivative below is the
published / hand-derived closed form, passed as a claim: check-deriv must say it holds. False claims
(sheet errata, sign, transpose, factor-of-2 errors) must be refuted."""

from __future__ import annotations

import pytest

from dlcalc.core.errors import ExitCode
from dlcalc.deriv.check import check_derivative
from expressions import COOKBOOK, DL, SHEET_4_2, SHEET_4_3_NUMERATOR, SHEET_4_4


def holds(expr, wrt, claim, **kw):
    result = check_derivative(expr, wrt, expect=claim, **kw)
    assert result.extra["holds"] is True, (expr, claim, result.plain)
    assert result.exit_code == ExitCode.OK
    return result


def refuted(expr, wrt, claim, **kw):
    result = check_derivative(expr, wrt, expect=claim, **kw)
    assert result.extra["holds"] is False, (expr, claim, result.plain)
    assert result.exit_code == ExitCode.REFUTED
    assert result.plain.startswith("refuted")
    return result


@pytest.mark.parametrize("expr,wrt,claim", SHEET_4_2)
def test_sheet_4_2_scalar_by_vector(expr, wrt, claim):
    holds(expr, wrt, claim)


@pytest.mark.parametrize("expr,wrt,claim", SHEET_4_3_NUMERATOR)
def test_sheet_4_3_vector_by_vector_numerator(expr, wrt, claim):
    holds(expr, wrt, claim, layout="numerator")


@pytest.mark.parametrize("expr,wrt,claim", SHEET_4_3_NUMERATOR[:5])
def test_sheet_4_3_denominator_is_the_transpose(expr, wrt, claim):
    holds(expr, wrt, f"({claim}).T")


@pytest.mark.parametrize("expr,wrt,claim", SHEET_4_4)
def test_sheet_4_4_scalar_by_matrix(expr, wrt, claim):
    holds(expr, wrt, claim)


@pytest.mark.parametrize("expr,wrt,claim", COOKBOOK)
def test_matrix_cookbook(expr, wrt, claim):
    holds(expr, wrt, claim)


@pytest.mark.parametrize("expr,wrt,claim,shapes,assume", DL)
def test_deep_learning_gradients(expr, wrt, claim, shapes, assume):
    holds(expr, wrt, claim, shapes=shapes, assume=assume)


def test_cookbook_det_of_product_square_factors():
    # (51) holds for square A and B; with rectangular ones A@X@B can be singular
    holds("det(A@X@B)", "X", "det(A@X@B)*inv(X).T", shapes={"A": "n,n", "X": "n,n", "B": "n,n"})


def test_sheet_4_5_vector_by_matrix_index_form():
    # E26: d(Xa)_i/dX_jk = delta_ij a_k, a third-order tensor, not x^T
    result = check_derivative("X@a", "X")
    assert result.extra["method"] == "rules"
    assert result.extra["derivative"].startswith("T[i,k,l] = δ[k,i]*a[l]")
    assert result.extra["shape"] == ["n", 1, "n", "m"]
    refuted("X@a", "X", "a.T")
    holds("X@a", "a", "X.T")  # d(Xa)/da = X in numerator layout, X.T in denominator


def test_sheet_18_matrix_by_matrix():
    # TEN-AWB: y = A W B  =>  T[i,j,k,l] = A[i,k] B[l,j], vjp G -> A.T G B.T
    result = check_derivative("A@W@B", "W")
    assert result.extra["derivative"] == "T[i,j,k,l] = A[i,k]*B[l,j]; vjp: G -> A.T@G@B.T; ∂vec(Y)/∂vec(W) = kron(B.T, A)"
    assert len(result.extra["shape"]) == 4


# --- false claims -----------------------------------------------------------------------------


def test_sheet_erratum_e24_is_refuted():
    result = refuted("a.T@X.T@b", "X", "a@b.T")
    assert "the claim is n×m but the derivative is m×n" in result.plain
    holds("a.T@X.T@b", "X", "b@a.T")


def test_e24_square_case_still_refuted_by_values():
    result = refuted("a.T@X.T@b", "X", "a@b.T", shapes={"X": "n,n", "a": "n", "b": "n"})
    example = result.extra["counterexample"]
    assert example["dims"] == {"n": 2}
    assert example["max_abs_difference"] > 0


@pytest.mark.parametrize(
    "expr,wrt,claim,shapes",
    [
        ("x.T@x", "x", "x", None),  # factor of 2
        ("b.T@A@x", "x", "A@b", {"A": "n,n", "b": "n"}),  # transpose
        ("a.T@x", "x", "-a", None),  # sign
        ("trace(A@X@B)", "X", "B.T@A.T", {"A": "n,n", "B": "n,n"}),  # order
        ("log(det(X))", "X", "inv(X)", None),  # missing transpose
        ("norm(A@x - b)**2", "x", "A.T@(A@x - b)", None),  # factor of 2
        ("-y.T@log(softmax(z))", "z", "softmax(z) - y", None),  # needs y on the simplex
        ("c.T@tanh(W@x + b)", "W", "(c*(1 - tanh(W@x + b)))@x.T", None),  # wrong tanh'
    ],
)
def test_false_claims_are_refuted_with_a_counterexample(expr, wrt, claim, shapes):
    result = refuted(expr, wrt, claim, shapes=shapes)
    example = result.extra["counterexample"]
    assert example is not None and example["max_abs_difference"] > 1e-6
    assert set(example["values"]) >= {wrt}


def test_symmetry_needed_without_assume_refuted_with_assume_holds():
    refuted("x.T@A@x", "x", "2*A@x")
    holds("x.T@A@x", "x", "2*A@x", assume={"A": "symmetric"})
    holds("x.T@A@x", "x", "2*A@x", assume={"A": "spd"})
    refuted("log(det(X))", "X", "inv(X)")
    holds("log(det(X))", "X", "inv(X)", assume={"X": "spd"})


def test_assumption_spelling_is_normalised_for_the_instances_too():
    # --assume accepts "Symmetric" and " spd" (the parser lower-cases and strips them); the random
    # instances must honour the property as well, not fall back to unstructured values
    holds("x.T@A@x", "x", "2*A@x", assume={"A": "Symmetric"})
    holds("x.T@A@x", "x", "2*A@x", assume={"A": " spd"})


def test_orthogonal_and_diagonal_assumptions():
    holds("trace(Q.T@A@Q)", "A", "eye(n)", assume={"Q": "orthogonal"})
    refuted("trace(Q.T@A@Q)", "A", "eye(n)")
    holds("x.T@D@x", "x", "2*D@x", assume={"D": "diagonal"})


def test_sign_and_unit_assumptions():
    holds("x.T@x", "x", "2*x", assume={"x": "sign"})
    holds("sum(log(x))", "x", "1/x", assume={"x": "unit"})


def test_wrong_shape_claim_is_refuted_not_an_error():
    result = refuted("x.T@A@x", "x", "x.T@(A + A.T)")
    assert result.plain == "refuted: the claim is 1×n but the derivative is n×1 (denominator layout)"
    holds("x.T@A@x", "x", "x.T@(A + A.T)", layout="numerator")


def test_zero_claim():
    holds("a.T@b", "x", "0")
    holds("a", "x", "0")


# --- SymPy 1.14's known failures give the right answer -----------------------------------------


@pytest.mark.parametrize(
    "expr,claim",
    [
        ("log(det(X))", "inv(X).T"),
        ("trace(X) + trace(A@X)", "eye(n) + A.T"),
        ("trace(X) + 1", "eye(n)"),
        ("log(trace(X.T@X))", "2*X/trace(X.T@X)"),
        ("trace(X)/trace(A@X)", "eye(n)/trace(A@X) - trace(X)*A.T/trace(A@X)**2"),
        ("det(X)", "det(X)*inv(X).T"),
    ],
)
def test_sympy_failures_are_right_here(expr, claim):
    holds(expr, "X", claim)


def test_sympy_failures_exact_output():
    assert check_derivative("log(det(X))", "X").plain == "inv(X).T"
    assert check_derivative("trace(X) + 1", "X").plain == "eye(n)"


# --- Hessians ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr,claim,assume",
    [
        ("x.T@A@x", "A + A.T", {}),
        ("x.T@A@x", "2*A", {"A": "symmetric"}),
        ("norm(A@x - b)**2", "2*A.T@A", {}),
        ("sum(exp(x))", "diag(exp(x))", {}),
        ("log(sum(exp(x)))", "diag(softmax(x)) - softmax(x)@softmax(x).T", {}),
        ("a.T@x", "0", {}),
    ],
)
def test_hessians(expr, claim, assume):
    result = holds(expr, "x", claim, hessian=True, assume=assume)
    assert result.extra["method"] == "rules"


def test_hessian_false_claim():
    refuted("x.T@A@x", "x", "2*A", hessian=True)


# --- layouts ----------------------------------------------------------------------------------


def test_layouts_of_a_jacobian():
    den = check_derivative("A@x", "x", shapes={"A": "m,n"})
    num = check_derivative("A@x", "x", shapes={"A": "m,n"}, layout="numerator")
    assert (den.plain, den.extra["shape"]) == ("A.T", ["n", "m"])
    assert (num.plain, num.extra["shape"]) == ("A", ["m", "n"])
    assert num.extra["layout"] == "numerator"


def test_scalar_by_vector_numerator_is_a_row():
    num = check_derivative("x.T@A@x", "x", layout="numerator")
    assert num.extra["shape"] == [1, "n"]
    assert num.plain == "x.T@(A + A.T)"


def test_vector_by_scalar():
    den = check_derivative("alpha*x", "alpha")
    num = check_derivative("alpha*x", "alpha", layout="numerator")
    assert (den.plain, den.extra["shape"]) == ("x.T", [1, "n"])
    assert (num.plain, num.extra["shape"]) == ("x", ["n", 1])
