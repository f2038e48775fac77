"""check-deriv through Typer's runner and through the real console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from dlcalc.cli.check_deriv import register


@pytest.fixture(scope="module")
def app():
    application = typer.Typer()
    register(application)

    @application.command("noop")  # a second command so that Typer keeps sub-command names
    def noop() -> None:
        pass

    return application


def run(app, *args):
    return CliRunner().invoke(app, ["check-deriv", *args])


def test_issue_example(app):
    result = run(app, "x.T@A@x", "--wrt", "x")
    assert (result.exit_code, result.stdout) == (0, "(A + A.T)@x\n")


def test_refuted_claim_exits_1_with_counterexample(app):
    result = run(app, "x.T@A@x", "--wrt", "x", "--expect", "2*A@x")
    assert result.exit_code == 1
    assert result.stdout.startswith("refuted: the derivative is (A + A.T)@x; at n=2, ")


def test_claim_holds_with_assumption(app):
    result = run(app, "x.T@A@x", "--wrt", "x", "--expect", "2*A@x", "--assume", "A=symmetric")
    assert (result.exit_code, result.stdout) == (0, "holds\n")


def test_json_fields(app):
    result = run(app, "x.T@A@x", "--wrt", "x", "--expect", "2*A@x", "--json")
    data = json.loads(result.stdout)
    for key in ("expr", "wrt", "layout", "shape", "derivative", "latex", "holds", "method", "max_abs_error", "counterexample"):
        assert key in data
    assert data["holds"] is False and data["shape"] == ["n", 1] and data["method"] == "rules"
    assert data["counterexample"]["dims"] == {"n": 2}


def test_latex(app):
    result = run(app, "x.T@A@x", "--wrt", "x", "--latex")
    assert result.stdout == "\\left(\\mathbf{A} + \\mathbf{A}^\\top\\right) \\mathbf{x}\n"


def test_shape_and_layout_options(app):
    result = run(app, "A@x", "--wrt", "x", "--shape", "A=m,n", "--layout", "numerator", "--json")
    data = json.loads(result.stdout)
    assert (data["derivative"], data["shape"], data["layout"]) == ("A", ["m", "n"], "numerator")


def test_hessian_option(app):
    result = run(app, "x.T@A@x", "--wrt", "x", "--hessian")
    assert (result.exit_code, result.stdout) == (0, "A + A.T\n")


def test_bad_pair_is_an_error(app):
    result = run(app, "x.T@x", "--wrt", "x", "--shape", "x")
    assert result.exit_code != 0


def test_module_import_does_not_load_sympy_or_numpy():
    code = "import sys, dlcalc.cli.check_deriv, dlcalc.deriv; print('sympy' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"


def _console_script():
    found = shutil.which("dlcalc", path=os.path.dirname(sys.executable))
    if not found:
        pytest.skip("the dlcalc console script is not installed")
    return found


@pytest.mark.parametrize(
    "args,code,stdout,stderr",
    [
        (["x.T@A@x", "--wrt", "x"], 0, "(A + A.T)@x\n", ""),
        (["x.T@A@x", "--wrt", "x", "--expect", "2*A@x", "--assume", "A=symmetric"], 0, "holds\n", ""),
        (["A@x", "--wrt", "x", "--shape", "A=m,n", "--shape", "x=k"], 2, "", "dlcalc: error: A@x: A is m×n but x is k×1\n"),
    ],
)
def test_real_subprocess(args, code, stdout, stderr):
    script = _console_script()
    env = {**os.environ, "DLCALC_PLAIN": "1"}
    done = subprocess.run([script, "check-deriv", *args], capture_output=True, text=True, env=env)
    if "No such command" in done.stderr or "check-deriv" in done.stderr and done.returncode == 2 and not stderr:
        pytest.skip("check-deriv is not registered in the app yet")
    assert (done.returncode, done.stdout, done.stderr) == (code, stdout, stderr)
