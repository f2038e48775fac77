"""Issue 12, engine level: nothing a user types or does to the streams is an internal error (exit 70).

Each class of failure has its test here: values the parser must refuse, arithmetic that fails for
the inputs, infinite and NaN results, the environment (a full disk, closed streams, an encoding
that cannot show the output, a reader that leaves early), time limits of symbolic work, batch rows
that must stay each row's own error, exact integers, physical line numbers, duplicates, messages.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time

import pytest

from conftest import run_batch as batch
from conftest import run_main, run_process, run_typer
from dlcalc.core import registry
from dlcalc.core.errors import ExitCode


def assert_refused(run, fragment=""):
    """Exit 2 with one `dlcalc: error:` line (containing ``fragment``) and nothing on stdout."""
    assert run.code == 2, run.err
    assert run.err.startswith("dlcalc: error: ") and run.err.count("\n") == 1, run.err
    assert fragment in run.err and run.out == ""


# ---- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize("args, fragment", [
    (["entropy", "--p", "[" * 5000 + "]" * 5000], "nested 5000 deep"),
    (["rot180", "--x", "[1,[2]]"], "same length"),
    (["cond", "--A", "[[[1]]]"], "nested 3 deep"),
    (["lipschitz", "--matrix", "[[],[]]"], "at least one column"),
    (["entropy", "--p", "[1,[2,[3]]]"], "nested 3 deep"),
    (["conv-out", "--I", "1" * 5000, "--K", "3"], "--I: at most 100 digits, got a number with 5,000"),
    (["fc-params", "--in", "9" * 101, "--out", "2"], "at most 100 digits"),
])
def test_bad_values_are_input_errors(args, fragment):
    assert_refused(run_main(args), fragment)


@pytest.fixture
def files(tmp_path):
    import numpy as np

    np.save(tmp_path / "empty.npy", np.array([]))
    np.save(tmp_path / "scalar.npy", np.array(3.0))
    np.save(tmp_path / "cube.npy", np.ones((2, 2, 2)))
    np.save(tmp_path / "nan.npy", np.array([1.0, np.nan]))
    np.save(tmp_path / "inf.npy", np.array([[1.0, np.inf]]))
    (tmp_path / "latin1.csv").write_bytes(b"\xff\xfe1,2\n")
    (tmp_path / "truncated.npy").write_bytes(b"\x93NUMPY\x01\x00")
    return tmp_path


@pytest.mark.parametrize("name, fragment", [
    ("empty.npy", "shape (0,)"), ("scalar.npy", "0-d array"), ("cube.npy", "3-d array"),
    ("nan.npy", "NaN or infinite"), ("inf.npy", "NaN or infinite"), ("latin1.csv", "not UTF-8"),
    ("truncated.npy", "cannot read"),
])
def test_unreadable_array_files_are_input_errors(files, name, fragment):
    assert_refused(run_main(["entropy", "--p", f"@{files / name}"]), fragment)


# ---- arithmetic --------------------------------------------------------------------------------


def _replace(monkeypatch, name, **changes):
    formula = registry.get(name)
    monkeypatch.setitem(registry.REGISTRY, name, dataclasses.replace(formula, **changes))


@pytest.mark.parametrize("error, fragment", [
    (OverflowError("math range error"), "too large to represent"),
    (FloatingPointError("overflow"), "undefined"),
    (ZeroDivisionError("float division by zero"), "divides by zero"),
    (ValueError("math domain error"), "math domain error"),
])
def test_arithmetic_failures_are_input_errors(monkeypatch, error, fragment):
    def compute(**_):
        raise error

    _replace(monkeypatch, "fc-params", compute=compute)
    assert_refused(run_main(["fc-params", "--in", "2", "--out", "3"]), fragment)


def test_other_value_errors_stay_bugs(monkeypatch):
    def compute(**_):
        raise ValueError("a bug")

    _replace(monkeypatch, "fc-params", compute=compute)
    assert run_main(["fc-params", "--in", "2", "--out", "3"]).code == ExitCode.INTERNAL


@pytest.mark.parametrize("value, fragment", [
    (float("nan"), "undefined (NaN)"), (float("inf"), "overflows"), ([1.0, float("-inf")], "overflows"),
])
def test_nan_and_infinite_results_are_refused(monkeypatch, value, fragment):
    _replace(monkeypatch, "fc-params", compute=lambda **_: value)
    assert_refused(run_main(["fc-params", "--in", "2", "--out", "3"]), fragment)


def test_an_infinite_result_declared_true_is_shown(monkeypatch):
    _replace(monkeypatch, "fc-params", compute=lambda **_: float("inf"), infinite_ok=True)
    run = run_main(["fc-params", "--in", "2", "--out", "3"])
    assert (run.code, run.out) == (0, "inf\n")


@pytest.mark.parametrize("args", [
    ["perplexity", "--nll", "1000"],
    ["gd-rate", "--mu", "1e-300", "--L", "2"],
    ["marginal", "--joint", "[[1e308,1e308]]"],
    ["vae-kl", "--mu", "1e308", "--sigma", "1"],
])
def test_issue_reproductions_of_overflow(args):
    run = run_main(args)
    assert run.code in (0, 2), run.err
    if run.code == 2:
        assert_refused(run)


def test_symbolic_commands_run_under_a_time_limit(monkeypatch):
    from dlcalc.core import evaluate

    _replace(monkeypatch, "fc-params", compute=lambda **_: time.sleep(5), uses_sympy=True)
    monkeypatch.setattr(evaluate, "SYMBOLIC_TIME_LIMIT", 0.5)
    started = time.perf_counter()
    run = run_main(["fc-params", "--in", "2", "--out", "3"])
    assert time.perf_counter() - started < 3
    assert_refused(run, "gave up after 0.5 s")


def test_interrupt_exits_130(monkeypatch):
    from dlcalc.cli import main

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(main, "dispatch", interrupted)
    assert run_main(["conv-out", "--I", "3", "--K", "3"]).code == ExitCode.INTERRUPTED == 130


# ---- the environment (real processes) ----------------------------------------------------------


@pytest.mark.parametrize("args", [["conv-out", "--I", "32", "--K", "3"], ["info", "conv-out"], ["list", "--json"]])
def test_a_full_disk_is_exit_74(args):
    with open("/dev/full", "w") as full:
        proc = run_process(args, stdout=full)
    assert proc.code == ExitCode.IO_ERROR == 74
    assert proc.err == "dlcalc: error: cannot write the output or read the input: No space left on device\n"


def test_closed_stdout_and_stdin_are_exit_74():
    closed_out = subprocess.run(f'"{sys.executable}" -m dlcalc conv-out --I 3 --K 3 >&-', shell=True,
                                capture_output=False, stderr=subprocess.PIPE, text=True, timeout=60)
    assert (closed_out.returncode, closed_out.stderr.count("\n")) == (74, 1)
    closed_in = subprocess.run(f'"{sys.executable}" -m dlcalc conv-out --batch - <&-', shell=True,
                               capture_output=True, text=True, timeout=60)
    assert (closed_in.returncode, closed_in.stderr.count("\n")) == (74, 1)
    assert "standard input is closed" in closed_in.stderr


def test_an_encoding_that_cannot_show_the_output_is_exit_74():
    proc = run_process(["info", "conv-out"], env={"PYTHONIOENCODING": "ascii"})
    assert proc.code == 74
    assert proc.err == ("dlcalc: error: the output cannot be written in the ascii encoding: "
                           "set PYTHONIOENCODING=utf-8\n")


@pytest.mark.parametrize("args", [
    ["info", "conv-out"], ["list"], ["errata"], ["--help"], ["conv-out", "--help"], ["conv-out", "--I", "3", "--K", "3"],
])
def test_a_reader_that_leaves_early_is_exit_0(args):
    """The pipe is closed before dlcalc writes: every route must treat that as a normal end."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = run_process(args, stdout=write_end)
    finally:
        os.close(write_end)
    assert (proc.code, proc.err) == (0, "")


# ---- batch -------------------------------------------------------------------------------------


@pytest.mark.parametrize("json_mode", [False, True])
def test_a_bad_row_never_costs_a_good_one(json_mode):
    deep = "[" * 5000 + "]" * 5000
    rows = [
        '{"I": 32, "K": 3}',
        '{"I": ' + deep + ', "K": 3}',
        '{"I": "' + "1" * 131_072 + '", "K": 3}',
        '{"I": "' + "1" * 4_301 + '", "K": 3}',
        '{"I": ' + "1" * 4_301 + ', "K": 3}',
        '{"I": 64, "K": 3}',
    ]
    run = batch("conv-out", "\n".join(rows) + "\n", *(["--json"] if json_mode else []))
    assert run.code == 1
    out = run.out.splitlines()
    assert len(out) == 6 and len(run.err.splitlines()) == 4
    if json_mode:
        records = [json.loads(line) for line in out]
        assert [r.get("result") for r in records] == [30, None, None, None, None, 62]
        assert [r.get("line") for r in records[1:5]] == [2, 3, 4, 5]
    else:
        assert out == ["30", "", "", "", "", "62"]
    assert all(len(line) < 500 for line in run.err.splitlines())


def test_an_overflowing_row_is_that_rows_error():
    run = batch("perplexity", "nll\n1\n1000\n2\n")
    assert run.code == 1
    assert run.out.splitlines()[1] == "" and run.out.splitlines()[0] != ""
    assert run.err.startswith("dlcalc: error: line 3: ") and run.err.count("\n") == 1


@pytest.mark.parametrize("text, extra, expected", [
    ("I,K\n99999999999999999999,3\n", [], "99999999999999999997"),
    ("I,K\n9223372036854775807,1\n", ["--P", "1"], "9223372036854775809"),
    ("I,K\n9007199254740993,1\n32,3\n", [], "9007199254740993\n30"),
])
def test_batch_integers_are_exact_on_every_route(text, extra, expected):
    run = batch("conv-out", text, *extra)
    assert (run.code, run.out.strip(), run.err) == (0, expected, "")


def test_an_integer_beside_a_float_column_is_exact():
    """A FLOAT column makes NumPy read floats: a long integer must not be rounded on the way."""
    args = ["--emp-risk", "0.1", "--kl", "2.0", "--delta", "0.05"]
    text = "emp-risk,kl,n,delta\n0.1,2.0,9007199254740993,0.05\n0.1,2.0,100,0.05\n"
    run = batch("pac-bayes", text, "--json")
    rows = [json.loads(line) for line in run.out.splitlines()]
    assert rows[0]["inputs"]["n"] == 9007199254740993
    assert rows[0] == json.loads(run_main(["pac-bayes", *args, "--n", "9007199254740993", "--json"]).out)


def test_a_result_that_int64_would_wrap_is_computed_exactly():
    big = 10**12
    text = "layers,context,d-model,heads,kv-heads,sequences,bytes\n" + f"{big},{big},{big},1,1,1,2\n1,2,4,1,1,1,2\n"
    run = batch("kv-cache", text)
    single = run_main(["kv-cache", "--layers", str(big), "--context", str(big), "--d-model", str(big),
                       "--heads", "1", "--kv-heads", "1", "--sequences", "1", "--bytes", "2"])
    assert run.out.splitlines()[0] == single.out.strip()
    assert run.code == single.code


@pytest.mark.parametrize("text, bad_line", [
    ("I,K\n32,3\n\x0c\n2,5\n", 4),  # a form feed is not a line break
    ("I,K\n32,3\u2028\n2,5\n", 3),  # nor is U+2028 (the first row is bad: its cell holds it)
    ('I,K,S\n"32",3,1\n"4\n",3,1\n2,5,1\n', 5),  # a quoted newline: the next row starts two lines on
])
def test_line_numbers_are_physical_lines_in_both_modes(text, bad_line):
    plain = batch("conv-out", text)
    as_json = batch("conv-out", text, "--json")
    reported = [line.split(":")[2].strip() for line in plain.err.splitlines()]
    assert f"line {bad_line}" in reported
    lines_in_json = [json.loads(row)["line"] for row in as_json.out.splitlines() if "error" in json.loads(row)]
    assert [f"line {n}" for n in lines_in_json] == reported


def test_line_numbers_count_blank_lines_on_the_numpy_route():
    run = batch("conv-out", "I,K\n32,3\n\n2,5\nx,3\n")
    assert [line.split(":")[2].strip() for line in run.err.splitlines()] == ["line 4", "line 5"]
    assert run.out == "30\n\n\n"


@pytest.mark.parametrize("args, fragment", [
    (["conv-out", "--I", "32", "--K", "3", "--K", "4"], "--K: given twice"),
    (["conv-out", "--I", "32", "--K", "3", "--input", "4"], "--input: another name for --I"),
    (["conv-out", "--I", "32", "--K", "3", "--batch", "a", "--batch", "b"], "--batch: given twice"),
])
def test_duplicate_options_are_refused(args, fragment):
    assert_refused(run_main(args), fragment)
    typer_route = run_typer(args)  # where the fast path declines (help elsewhere, a stale index)
    assert (typer_route.code, typer_route.err) == (2, run_main(args).err)


def test_a_positional_parameter_is_an_argument_on_both_routes():
    """Typer's help shows PRESET as an argument; the fast path once also took --preset silently."""
    assert (run_main(["model-params", "bert-base"]).out, run_typer(["model-params", "bert-base"]).out) == (
        "109482240\n", "109482240\n")
    for args in (["model-params", "--preset", "bert-base"], ["model-params", "bert-base", "--preset", "gpt2"]):
        fast, typer_route = run_main(args), run_typer(args)
        assert (fast.code, fast.out, fast.err) == (typer_route.code, typer_route.out, typer_route.err)
        assert fast.code == 2 and "No such option: --preset" in fast.err


@pytest.mark.parametrize("text, fragment", [
    ("I,I,K\n1,2,3\n", "column 'I' is repeated"),
    ("I,input,K\n1,2,3\n", "column 'input' names the same option as column 'I'"),
])
def test_duplicate_columns_are_refused(text, fragment):
    assert_refused(batch("conv-out", text), fragment)


def test_duplicate_keys_in_a_json_line_are_that_rows_error():
    run = batch("conv-out", '{"I": 1, "I": 3, "K": 1}\n{"I": 1, "input": 3, "K": 1}\n{"I": 5, "K": 1}\n')
    assert run.out == "\n\n5\n"
    assert "line 1: key 'I' is repeated" in run.err and "line 2: column 'input' names the same option" in run.err


# ---- messages ----------------------------------------------------------------------------------


def test_a_long_bad_value_is_quoted_short():
    run = run_main(["conv-out", "--I", "x" * 100_000, "--K", "3"])
    assert_refused(run, "'" + "x" * 60 + "…' (100,000 characters)")
    assert len(run.err) < 200


@pytest.mark.parametrize("args", [
    ["x" * 5000], ["info", "x" * 5000], ["verify", "x" * 5000], ["completions", "x" * 5000],
    ["conv-out", "--" + "x" * 5000, "3"], ["conv-out", "--I", "32", "--K", "3", "x" * 5000],
])
def test_every_route_quotes_a_long_name_short(args):
    """Typer's usage errors and the named-thing lookups quote at most a short excerpt too."""
    run = run_main(args)
    assert_refused(run, "x" * 50)
    assert "…" in run.err and len(run.err) < 200


@pytest.mark.parametrize("args", [
    ["conv-out", "--batch", "no\nsuch"], ["conv-out", "--I", "3\n4", "--K", "3"], ["info", "a\rb"],
    ["conv-out", "--I", "3", "--K", "\x1b[31m"],
])
def test_messages_stay_on_one_line(args):
    run = run_main(args)
    assert_refused(run)
    assert "\x1b" not in run.err and "\r" not in run.err
