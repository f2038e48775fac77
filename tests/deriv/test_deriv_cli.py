"""check-deriv through the Typer app in-process and through a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import run_process, run_typer


def run(*args):
    return run_typer(["check-deriv", *args])


def test_issue_example():
    result = run("x.T@A@x", "--wrt", "x")
    assert (result.code, result.out) == (0, "(A + A.T)@x\n")


def test_refuted_claim_exits_1_with_counterexample():
    result = run("x.T@A@x", "--wrt", "x", "--expect", "2*A@x")
    assert result.code == 1
    assert result.out.startswith("refuted: the derivative is (A + A.T)@x; at n=2, ")


def test_claim_holds_with_assumption():
    result = run("x.T@A@x", "--wrt", "x", "--expect", "2*A@x", "--assume", "A=symmetric")
    assert (result.code, result.out) == (0, "holds\n")


def test_json_fields():
    result = run("x.T@A@x", "--wrt", "x", "--expect", "2*A@x", "--json")
    data = json.loads(result.out)
    for key in ("expr", "wrt", "layout", "shape", "derivative", "latex", "holds", "method", "max_abs_error", "counterexample"):
        assert key in data
    assert data["holds"] is False and data["shape"] == ["n", 1] and data["method"] == "rules"
    assert data["counterexample"]["dims"] == {"n": 2}


def test_latex():
    result = run("x.T@A@x", "--wrt", "x", "--latex")
    assert result.out == "\\left(\\mathbf{A} + \\mathbf{A}^\\top\\right) \\mathbf{x}\n"


def test_shape_and_layout_options():
    result = run("A@x", "--wrt", "x", "--shape", "A=m,n", "--layout", "numerator", "--json")
    data = json.loads(result.out)
    assert (data["derivative"], data["shape"], data["layout"]) == ("A", ["m", "n"], "numerator")


def test_hessian_option():
    result = run("x.T@A@x", "--wrt", "x", "--hessian")
    assert (result.code, result.out) == (0, "A + A.T\n")


def test_bad_pair_is_an_error():
    result = run("x.T@x", "--wrt", "x", "--shape", "x")
    assert (result.code, result.err) == (2, "dlcalc: error: --shape expects NAME=DIMS, got 'x'\n")


def test_module_import_does_not_load_sympy_or_numpy():
    code = "import sys, dlcalc.cli.check_deriv, dlcalc.deriv.check; print('sympy' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"


@pytest.mark.parametrize(
    "args,code,stdout,stderr",
    [
        (["x.T@A@x", "--wrt", "x"], 0, "(A + A.T)@x\n", ""),
        (["x.T@A@x", "--wrt", "x", "--expect", "2*A@x", "--assume", "A=symmetric"], 0, "holds\n", ""),
        (["A@x", "--wrt", "x", "--shape", "A=m,n", "--shape", "x=k"], 2, "", "dlcalc: error: A@x: A is m×n but x is k×1\n"),
    ],
)
def test_real_subprocess(args, code, stdout, stderr):
    done = run_process(["check-deriv", *args], env={"DLCALC_PLAIN": "1"})
    assert (done.code, done.out, done.err) == (code, stdout, stderr)


def test_emit_numpy_through_the_cli_and_json():
    result = run("x.T@A@x", "--wrt", "x", "--emit", "numpy")
    assert result.code == 0 and result.out.startswith("import numpy as np\n") and "def value_and_derivative(x, A):" in result.out
    data = json.loads(run("x.T@A@x", "--wrt", "x", "--emit", "numpy", "--json").out)
    assert data["derivative"] == "(A + A.T)@x" and data["code"].startswith("import numpy as np")
    bad = run("x.T@A@x", "--wrt", "x", "--emit", "torch")
    assert (bad.code, bad.err) == (2, "dlcalc: error: --emit must be numpy, not 'torch'\n")


def test_leading_minus_with_an_h_is_an_expression_not_help():
    done = run_process(["check-deriv", "-y.T@log(softmax(W2@tanh(W1@x)))", "--wrt", "W2", "--assume", "y=simplex"],
                       env={"DLCALC_PLAIN": "1"})
    assert (done.code, done.out) == (0, "(sum(y)*softmax(W2@tanh(W1@x)) - y)@tanh(W1@x).T\n")


def test_timeout_holds_through_the_numeric_check():
    done = run_process(["check-deriv", "logdet(A)", "--wrt", "A", "--shape", "A=3000,3000", "--timeout", "1"],
                       env={"DLCALC_PLAIN": "1"})
    assert done.code == 2 and done.err.startswith("dlcalc: error: too large to check: one evaluation at ")
