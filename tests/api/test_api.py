"""The Python API: dlcalc.calc gives the command line's values as Python objects and its errors as
exceptions with the same one-line message."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import dlcalc
from conftest import run_main


def test_calc_gives_python_values_and_the_equation():
    result = dlcalc.calc("conv-out", I=224, K=7, S=2, P=3)
    assert result.value == 112 and isinstance(result.value, int)
    assert result.equation == "O = ⌊(I + 2P − d(K − 1) − 1) / S⌋ + 1"
    assert dlcalc.calc("conv-out", I=(224, 112), K=7, S=2, P=3).value == [112, 56]


def test_to_json_is_what_the_command_prints():
    args = ["conv-out", "--I", "224,224", "--K", "7", "--S", "2", "--P", "3", "--json"]
    printed = json.loads(run_main(args).out)
    assert json.loads(dlcalc.calc("conv-out", I=[224, 224], K=7, S=2, P=3).to_json()) == printed


def test_vectors_matrices_choices_flags_and_python_names():
    assert dlcalc.calc("entropy", p=[0.5, 0.25, 0.25], base=2).value == 1.5
    assert dlcalc.calc("psd", matrix=[[2, -1], [-1, 2]]).value == "positive definite"
    assert dlcalc.calc("conv-params", c_in=3, c_out=64, K=3).value == 1792  # --c-in by its Python name
    assert dlcalc.calc("pool-out", I=5, K=2, ceil_mode=True).value == 3


def test_none_leaves_a_parameter_at_its_default():
    assert dlcalc.calc("conv-out", I=32, K=3, S=None, P=None).value == 30  # (32 - 3) / 1 + 1
    assert dlcalc.calc("pool-out", I=32, K=4, S=None).value == 8  # S defaults to K: (32 - 4) / 4 + 1
    with pytest.raises(dlcalc.DlcalcError, match="missing option --K"):
        dlcalc.calc("conv-out", I=32, K=None)


def test_a_claim_says_whether_it_holds():
    assert dlcalc.calc("robbins-monro", alpha="1/t").holds is True
    assert dlcalc.calc("robbins-monro", alpha="1/sqrt(t)").holds is False
    assert dlcalc.calc("conv-out", I=32, K=3).holds is None


@pytest.mark.parametrize("name, params", [
    ("conv-out", {"I": 32, "K": 3, "S": 2, "P": "same"}),
    ("conv-out", {"I": 32, "K": 0}),
    ("conv-out", {"I": 32, "Q": 3}),
    ("no-such-formula", {}),
])
def test_bad_input_raises_the_command_lines_message(name, params):
    args = [name] + [f"--{k}={v}" for k, v in params.items()]
    expected = run_main(args).err
    with pytest.raises(dlcalc.DlcalcError) as error:
        dlcalc.calc(name, **params)
    if name == "conv-out" and "Q" not in params:  # the same check, the same words
        assert expected == f"dlcalc: error: {error.value.message}\n"
    assert str(error.value)


def test_importing_dlcalc_stays_cheap():
    code = "import sys, dlcalc; print(sorted(m for m in ('numpy', 'sympy', 'typer', 'rich') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert out.strip() == "[]"


def test_the_readme_python_session_runs_as_shown():
    import doctest
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    sessions = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert sessions, "the README shows the Python API"
    for text in sessions:
        test = doctest.DocTestParser().get_doctest(text, {}, "README", "README.md", 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test)
        assert runner.failures == 0
