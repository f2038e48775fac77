"""The command-line conventions: plain, JSON, errors, exit codes, help, both routes, real processes."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest

from conftest import run_main, run_process, run_typer
from dlcalc.core import registry


def test_plain_output_is_the_bare_value():
    run = run_main(["conv-out", "--I", "32", "--K", "3", "--S", "2"])
    assert (run.code, run.out, run.err) == (0, "15\n", "")


def test_per_axis_values_are_joined_by_commas():
    assert run_main(["conv-out", "--I", "224,224", "--K", "7", "--S", "2", "--P", "3"]).out == "112,112\n"


def test_long_aliases_and_equals_form():
    run = run_main(["conv-out", "--input=224", "--kernel", "7", "--stride=2", "--padding", "3", "--dilation", "1"])
    assert run.out == "112\n"


def test_json_object():
    run = run_main(["conv-out", "--I", "224,224", "--K", "7", "--S", "2", "--P", "same", "--json"])
    assert run.code == 2  # 'same' with stride 2 is refused, even with --json
    run = run_main(["conv-out", "--I", "224,224", "--K", "7", "--S", "2", "--P", "3", "--json"])
    got = json.loads(run.out)
    assert got["formula"] == "conv-out"
    assert got["inputs"] == {"I": [224, 224], "K": 7, "S": 2, "P": 3, "d": 1}
    assert got["result"] == [112, 112]
    assert run.out.count("\n") == 1


def test_json_shows_same_padding_by_name():
    got = json.loads(run_main(["conv-out", "--I", "10", "--K", "4", "--P", "same", "--json"]).out)
    assert got["inputs"]["P"] == "same" and got["result"] == 10


@pytest.mark.parametrize(
    "args, message",
    [
        (["conv-out", "--K", "3"], "missing option --I"),
        (["conv-out", "--I", "32", "--K", "3", "--S", "0"], "--S: must be at least 1, got 0"),
        (["conv-out", "--I", "3x", "--K", "3"], "--I: expected a whole number, got '3x'"),
        (["conv-out", "--I", "32,", "--K", "3"], "--I: expected a whole number or one per axis like 224,224, got '32,'"),
        (["conv-out", "--I", "32", "--K", "3", "--P", "half"], "--P: expected a whole number, got 'half'"),
        (["conv-out", "--I", "32", "--K", "3", "--P", "-1"], "--P: must be at least 0, got -1"),
        (["conv-out", "--I", "32,32", "--K", "3,3,3"], "--I has 2 values but --K has 3; give one value or one per axis"),
        (["conv-out", "--I", "32", "--K", "3", "--S", "2", "--P", "same"],
         "padding 'same' needs stride 1 (PyTorch refuses it for strided convolutions), got S=2"),
        (["conv-out", "--I", "2", "--K", "5"],
         "output size -2 < 1: the dilated kernel d(K−1)+1 = 5 is larger than the padded input I + 2P = 2"),
        (["conv-out", "--I", "8,2", "--K", "5"],
         "axis 2: output size -2 < 1: the dilated kernel d(K−1)+1 = 5 is larger than the padded input I + 2P = 2"),
        (["pool-out", "--I", "8", "--K", "2", "--P", "2"], "padding must be at most half the kernel size (PyTorch), got P=2 with K=2"),
        (["convtranspose-out", "--I", "4", "--K", "3", "--S", "2", "--output-padding", "2"],
         "output padding must be smaller than either stride or dilation (PyTorch), got output-padding=2 with S=2, d=1"),
        (["convtranspose-out", "--I", "1", "--K", "1", "--P", "1"],
         "output size -1 < 1: the padding 2P = 2 removes more than the transposed convolution produces"),
        (["info", "conv-outt"], "no formula named 'conv-outt' (see 'dlcalc list')"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    run = run_main(args)
    assert run.code == 2
    assert run.out == ""
    assert run.err == f"dlcalc: error: {message}\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["conv-out", "--I", "3", "--bogus", "2"], "No such option: --bogus (see 'dlcalc conv-out --help')"),
        (["no-such-command"], "No such command 'no-such-command'. (see 'dlcalc --help')"),
        (["conv-out", "--I"], "Option '--I' requires an argument. (see 'dlcalc conv-out --help')"),
    ],
)
def test_usage_errors_from_typer_are_one_line(args, message):
    run = run_main(args)
    assert (run.code, run.out) == (2, "")
    assert run.err == f"dlcalc: error: {message}\n"


def test_both_routes_agree_on_errors_and_output():
    for args in (["conv-out", "--I", "32", "--K", "3", "--S", "2"],
                 ["conv-out", "--I", "2", "--K", "5"],
                 ["pool-out", "--I", "7", "--K", "3", "--ceil-mode", "--json"]):
        fast, typer_route = run_main(args), run_typer(args)
        assert (fast.code, fast.out, fast.err) == (typer_route.code, typer_route.out, typer_route.err)


def test_internal_errors_are_one_line_unless_debug(monkeypatch):
    def broken(**_):
        raise KeyError("boom")

    formula = registry.get("fc-params")
    monkeypatch.setitem(registry.REGISTRY, "fc-params", dataclasses.replace(formula, compute=broken))
    run = run_main(["fc-params", "--in", "2", "--out", "3"])
    assert run.code == 70
    assert run.err == "dlcalc: error: internal error: KeyError: 'boom' (rerun with --debug for the traceback)\n"
    with pytest.raises(KeyError):
        run_main(["fc-params", "--in", "2", "--out", "3", "--debug"])


def test_help_lists_options_and_examples():
    run = run_main(["conv-out", "--help"])
    assert run.code == 0
    for text in ("--I", "--input", "--kernel", "same", "dlcalc conv-out --I 32 --K 3 --S 2  ->  15"):
        assert text in run.out


def test_version():
    from dlcalc import __version__

    assert run_main(["--version"]).out == f"dlcalc {__version__}\n"


def test_list_plain_and_json():
    entries = json.loads(run_main(["list", "--json"]).out)
    assert {"name": "conv-out", "section": "12.8", "kind": "numeric",
            "summary": "Output size of a convolution (PyTorch Conv1d/2d/3d)"} in entries
    assert all(set(e) == {"name", "section", "kind", "summary"} for e in entries)
    assert all(e["kind"] in ("numeric", "identity", "claim") for e in entries)
    plain = run_main(["list"]).out.splitlines()
    assert "12.8\tconv-out\tnumeric\tOutput size of a convolution (PyTorch Conv1d/2d/3d)" in plain
    assert len(plain) == len(entries) == len(list(registry.formulas()))


def test_info_shows_the_erratum():
    run = run_main(["info", "param-compare"])
    assert "erratum E53" in run.out and "mnc(m−p+1)(n−q+1+1)K" in run.out
    record = json.loads(run_main(["info", "param-compare", "--json"]).out)
    assert [e["id"] for e in record["errata"]] == ["E53", "E54"]
    assert record["examples"][0]["output"] == "conv=456 fully-connected=14455392 locally-connected=357504"


def test_errata_lists_each_with_a_command():
    lines = [json.loads(line) for line in run_main(["errata", "--json"]).out.splitlines()]
    by_id = {e["id"]: e for e in lines}
    assert {"E46", "E49", "E50", "E51", "E53", "E54"} <= set(by_id)
    assert all(e["command"].startswith("dlcalc ") for e in lines)


def test_terminal_rendering_substitutes_the_numbers():
    from dlcalc.core.evaluate import evaluate
    from dlcalc.render.terminal import render_terminal

    stream = io.StringIO()
    render_terminal(evaluate(registry.get("conv-out"), {"I": "32", "K": "3", "S": "2"}), stream)
    text = stream.getvalue()
    assert "⌊(32 + 0 − 1·(3 − 1) − 1) / 2⌋ + 1 = 15" in text
    assert "\x1b[" not in text  # not a terminal here: no colour codes


def test_terminal_rendering_of_a_table_and_erratum():
    from dlcalc.core.evaluate import evaluate
    from dlcalc.render.terminal import render_terminal

    stream = io.StringIO()
    result = evaluate(registry.get("param-compare"), {"I": "32,32", "c-in": "3", "K": "5", "filters": "6"})
    render_terminal(result, stream)
    text = stream.getvalue()
    assert "14,455,392" in text and "14,966,784" in text and "E53" in text


# ---- real processes: what users run -----------------------------------------------------------


def test_subprocess_plain_json_and_error():
    assert run_process(["conv-out", "--I", "32", "--K", "3", "--S", "2"]).out == "15\n"
    got = json.loads(run_process(["receptive-field", "--layers", "k=3; k=3", "--json"]).out)
    assert got["r"] == 5
    bad = run_process(["conv-out", "--I", "32"])
    assert (bad.code, bad.out, bad.err) == (2, "", "dlcalc: error: missing option --K\n")


def test_subprocess_help_without_arguments():
    run = run_process([])
    assert "conv-out" in run.out + run.err


def test_numeric_commands_do_not_import_sympy_or_typer():
    """The start-up budget: conv-out imports neither SymPy nor Typer (nor NumPy)."""
    run = run_process(["conv-out", "--I", "32", "--K", "3", "--S", "2"], env={"PYTHONPROFILEIMPORTTIME": "1"})
    imported = {line.split("|")[-1].strip() for line in run.err.splitlines() if line.startswith("import time:")}
    assert "dlcalc.cli.fastpath" in imported  # the import log is really there
    assert not imported & {"sympy", "typer", "numpy", "rich"}


def test_typer_cli_runner():
    """The generated Typer commands, driven by Typer's own test runner."""
    from typer.testing import CliRunner

    from dlcalc.cli.app import build_app

    runner, app = CliRunner(), build_app()
    result = runner.invoke(app, ["pool-out", "--I", "112,112", "--K", "3", "--S", "2", "--P", "1"])
    assert (result.exit_code, result.output) == (0, "56,56\n")
    result = runner.invoke(app, ["fc-params", "--in", "9216", "--out", "4096", "--json"])
    assert json.loads(result.output)["result"] == 9216 * 4096 + 4096
    result = runner.invoke(app, ["conv-out", "--I", "32"])
    assert result.exit_code != 0


def test_check_deriv_expression_may_start_with_a_minus():
    run = run_main(["check-deriv", "-y.T@log(softmax(z))", "--wrt", "z", "--expect", "softmax(z) - y",
                    "--assume", "y=simplex"])
    assert (run.code, run.out) == (0, "holds\n")


def test_a_parameter_may_not_shadow_a_global_option():
    from dlcalc.core.registry import INT, Param, formula

    with pytest.raises(RuntimeError, match="--batch is an option of every command"):
        formula(name="shadowing-example", section="0", summary="s", formula="f", latex="f",
                params=(Param("batch", INT, "a batch size"),), compute=lambda batch: batch)
    assert "shadowing-example" not in registry.REGISTRY


def test_json_holds_infinities_as_strings():
    from dlcalc.render.output import dumps

    assert dumps({"kl": float("inf"), "v": [1.0, float("-inf")]}) == '{"kl": "inf", "v": [1.0, "-inf"]}'


def test_a_nan_result_is_an_error_not_a_number(monkeypatch):
    formula = registry.get("fc-params")
    monkeypatch.setitem(registry.REGISTRY, "fc-params", dataclasses.replace(formula, compute=lambda **_: float("nan")))
    run = run_main(["fc-params", "--in", "2", "--out", "3"])
    assert (run.code, run.err) == (2, "dlcalc: error: the result is undefined (NaN) for these inputs\n")


def test_help_shows_required_and_defaults():
    run = run_main(["pool-out", "--help"])
    text = " ".join(run.out.split())
    assert "(required)" in text and "(default: the value of --K)" in text and "(default: 0)" in text
    record = json.loads(run_main(["info", "pool-out", "--json"]).out)
    assert [(p["name"], p["default"]) for p in record["parameters"]][:4] == [("I", None), ("K", None), ("S", "=K"), ("P", 0)]
    assert json.loads(run_main(["info", "param-compare", "--json"]).out)["sheet_says"].startswith("fully connected mnc")


def test_the_fast_path_knows_every_command_that_is_no_formula():
    """cli.fastpath.APP_COMMANDS sends these straight to Typer: it must name exactly the commands
    build_app registers itself (a name missing there would be looked up as a formula first)."""
    from typer._click.core import Context

    from dlcalc.cli.app import FormulaGroup, click_command
    from dlcalc.cli.fastpath import APP_COMMANDS

    group = click_command()
    own = set(super(FormulaGroup, group).list_commands(Context(group)))
    assert own == set(APP_COMMANDS)
