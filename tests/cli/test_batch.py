"""Batch mode: CSV, TSV, JSON Lines; one output line per row; bad rows keep their place."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_batch as batch
from conftest import run_main, run_process


def test_csv_from_stdin():
    run = batch("conv-out", "I,K,S\n32,3,2\n224,7,2\n")
    assert (run.code, run.out, run.err) == (0, "15\n109\n", "")


def test_tsv_with_long_names_and_dashes():
    run = batch("conv-out", "--input\tkernel\tstride\tpadding\n224\t7\t2\t3\n")
    assert run.out == "112\n"


def test_json_lines_in_and_out():
    text = '{"I": 32, "K": 3, "S": 2}\n\n{"I": [224, 224], "K": 7, "S": 2, "P": 3}\n'
    run = batch("conv-out", text, "--json")
    rows = [json.loads(line) for line in run.out.splitlines()]
    assert [r["result"] for r in rows] == [15, [112, 112]]
    assert rows[1]["inputs"]["I"] == [224, 224]


def test_quoted_per_axis_cells_and_words():
    run = batch("conv-out", 'I,K,S,P\n"224,224",7,2,3\n10,4,1,same\n')
    assert run.out == "112,112\n10\n"


def test_bad_rows_keep_their_place_and_exit_1():
    text = "I,K,S\n32,3,2\n2,5,1\n32,x,1\n\n64,3,0\n16,3,1\n"
    run = batch("conv-out", text)
    assert run.code == 1
    assert run.out == "15\n\n\n\n14\n"
    assert run.err.splitlines() == [
        "dlcalc: error: line 3: output size -2 < 1: the dilated kernel d(K−1)+1 = 5 is larger than the padded input I + 2P = 2",
        "dlcalc: error: line 4: --K: expected a whole number, got 'x'",
        "dlcalc: error: line 6: --S: must be at least 1, got 0",
    ]


def test_bad_rows_in_json_mode():
    run = batch("conv-out", "I,K\n32,3\n2,5\n", "--json")
    lines = [json.loads(line) for line in run.out.splitlines()]
    assert lines[0]["result"] == 30
    assert lines[1] == {
        "line": 3,
        "error": "output size -2 < 1: the dilated kernel d(K−1)+1 = 5 is larger than the padded input I + 2P = 2",
    }
    assert run.code == 1


def test_fast_route_reports_bad_rows_like_the_general_route():
    # all-numeric CSV takes NumPy's one-call parse; its errors must read the same
    run = batch("conv-out", "I,K,S\n32,3,0\n2,5,1\n32,3,2\n")
    assert run.out == "\n\n15\n"
    assert run.err.splitlines() == [
        "dlcalc: error: line 2: --S: must be at least 1, got 0",
        "dlcalc: error: line 3: output size -2 < 1: the dilated kernel d(K−1)+1 = 5 is larger than the padded input I + 2P = 2",
    ]


def test_negative_padding_is_refused_on_both_routes():
    for text in ("I,K,P\n32,3,-1\n", 'I,K,P\n32,3,-1\n10,4,same\n'):
        run = batch("conv-out", text)
        assert run.out.splitlines()[0] == ""
        assert "dlcalc: error: line 2: --P: must be at least 0, got -1" in run.err


def test_command_line_options_fill_missing_columns():
    run = batch("conv-out", "I\n32\n64\n", "--K", "3", "--S", "2")
    assert run.out == "15\n31\n"
    # a column wins over the command line
    assert batch("conv-out", "I,S\n32,1\n", "--K", "3", "--S", "2").out == "30\n"


def test_flags_take_true_or_false():
    run = batch("pool-out", "I,K,ceil-mode\n5,2,true\n5,2,false\n5,2,\n")
    assert run.out == "3\n2\n2\n"
    bad = batch("pool-out", "I,K,ceil_mode\n5,2,maybe\n")
    assert bad.err == "dlcalc: error: line 2: --ceil-mode: expected true or false, got 'maybe'\n"


def test_default_from_another_parameter():
    # pool-out's stride defaults to the kernel size, per row
    assert batch("pool-out", "I,K\n32,2\n32,4\n").out == "16\n8\n"


def test_ragged_rows_are_errors_not_misaligned():
    run = batch("conv-out", "I,K,S\n32,3\n64,3,2,1\n32,3,2\n")
    assert run.out == "\n\n15\n"
    assert "line 2: expected 3 fields, got 2" in run.err


def test_unknown_column_is_a_usage_error():
    run = batch("conv-out", "I,K,Q\n1,1,1\n")
    assert run.code == 2
    assert run.err == "dlcalc: error: --batch: unknown column 'Q' (columns are option names: I, K, S, P, d)\n"


def test_missing_file_and_empty_input():
    assert run_main(["conv-out", "--batch", "/nonexistent.csv"]).err == (
        "dlcalc: error: --batch: cannot read /nonexistent.csv: No such file or directory\n")
    assert batch("conv-out", "").err == "dlcalc: error: --batch: the input is empty\n"


def test_a_long_missing_file_name_is_quoted_short():
    name = "/no/such/" + "d" * 200 + ".csv"
    err = run_main(["conv-out", "--batch", name]).err
    assert err == (f"dlcalc: error: --batch: cannot read '{name[:60]}…' (213 characters): "
                   "No such file or directory\n")


def test_structured_rows_are_evaluated_one_by_one():
    run = batch("receptive-field", 'layers\n"k=3; k=3"\nk=7\nk=0\n')
    assert run.out == "5\n7\n\n"
    assert run.code == 1 and "line 4: k=0: kernel must be at least 1" in run.err


def test_same_padding_present_per_row():
    assert batch("same-padding", "K,d\n3,1\n4,1\n\"3,4\",1\n").out == "1\n1:2\n1,1:2\n"


def test_batch_from_a_file_in_a_real_process(tmp_path):
    path = tmp_path / "layers.csv"
    path.write_text("I,K,S,P\n224,7,2,3\n112,3,2,1\n")
    run = run_process(["conv-out", "--batch", str(path)])
    assert (run.code, run.out) == (0, "112\n56\n")


rows = st.lists(
    st.tuples(st.integers(1, 300), st.integers(1, 9), st.integers(-1, 4), st.integers(0, 4), st.integers(1, 3)),
    min_size=1, max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(rows)
def test_batch_equals_one_call_per_row(table):
    """Vectorised batch output, row for row, equals the single-call path (value or error)."""
    text = "I,K,S,P,d\n" + "".join(",".join(map(str, row)) + "\n" for row in table)
    run = batch("conv-out", text)
    out, errors = run.out.splitlines(), run.err.splitlines()
    assert len(out) == len(table)
    for line_number, (row, got) in enumerate(zip(table, out), start=2):
        single = run_main(["conv-out", *[a for name, v in zip("IKSPd", row) for a in (f"--{name}", str(v))]])
        if single.code == 0:
            assert got == single.out.strip()
        else:
            assert got == ""
            message = single.err.removeprefix("dlcalc: error: ").strip()
            assert f"dlcalc: error: line {line_number}: {message}" in errors


def test_mixed_int_and_float_columns_name_the_minimum():
    """A FLOAT column makes NumPy parse the whole file as floats; an INT cell keeps its message."""
    import numpy as np

    from dlcalc.core.batch import checked_column
    from dlcalc.core.registry import INT, Param

    errors = {}
    column = checked_column(Param("n", INT, "a count", minimum=1), np.array([3.0, 0.0, 2.5]), np.arange(3), errors)
    assert errors == {1: "--n: must be at least 1, got 0", 2: "--n: expected a whole number, got '2.5'"}
    assert column.dtype.kind == "i"


def test_default_from_another_column_in_json_batch():
    run = batch("pool-out", '{"I": 32, "K": 4}\n{"I": 32, "K": 2, "S": 1}\n')
    assert run.out == "8\n31\n"


def test_a_refuted_claim_in_a_row_makes_the_batch_exit_1():
    run = batch("wl-test", 'g1,g2\n"0-1,1-2,2-0","0-1,1-2,2-0"\n"0-1,1-2,2-0","0-1,1-2"\n')
    assert run.code == 1


def test_structured_results_from_an_array_formula_fall_back_to_rows(monkeypatch):
    import dataclasses

    from dlcalc.core import registry
    from dlcalc.core.result import Result

    def as_result(in_, out, no_bias):
        return Result(name="fc-params", inputs={}, value=in_ * out, plain=f"{in_}x{out}")

    formula = registry.get("fc-params")
    monkeypatch.setitem(registry.REGISTRY, "fc-params", dataclasses.replace(formula, compute=as_result))
    run = batch("fc-params", "in,out\n2,3\n4,5\n")
    assert (run.code, run.out) == (0, "2x3\n4x5\n")


CELLS = st.one_of(st.sampled_from(["relu", "tanh", "gelu", "x", "", "1", "-2.5", "1e999", "nan", "0.1", "1_0", " 3"]),
                  st.floats(-50, 50).map(repr))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(CELLS, CELLS, CELLS), min_size=1, max_size=12))
def test_rows_parsed_column_by_column_equal_one_call_per_row(table):
    """The route for rows that are not plain numbers (a choice column): each row's line or error is
    the single call's."""
    text = "fn,x,alpha\n" + "".join(f'"{fn}","{x}","{alpha}"\n' for fn, x, alpha in table)
    run = batch("activation", text)
    out = run.out.split("\n")[:-1]
    assert len(out) == len(table)
    for line_number, ((fn, x, alpha), got) in enumerate(zip(table, out), start=2):
        args = ["activation"] + [a for name, v in (("fn", fn), ("x", x), ("alpha", alpha)) if v for a in (f"--{name}", v)]
        single = run_main(args)
        if single.code == 0:
            assert got == single.out.strip()
        else:
            assert got == ""
            message = single.err.removeprefix("dlcalc: error: ").strip()
            assert f"dlcalc: error: line {line_number}: {message}" in run.err.splitlines()


def test_default_from_another_column_on_the_column_route():
    run = batch("pool-out", 'I,K,S\n"32",4,\n"32",2,1\n"32",x,\n')
    assert run.out == "8\n31\n\n"
    assert "line 4: --K: expected a whole number, got 'x'" in run.err


ODD_INTEGER_CELLS = ["+32", " 32", "032", "٣٢", "0x20", "1_000", "-0", "3 2", "32e0", "32.0"]


def _single_call_line(args: list[str]) -> str:
    single = run_main(args)
    return single.out.strip() if single.code == 0 else single.err.removeprefix("dlcalc: error: ").strip()


def test_odd_integer_cells_read_as_the_single_call_reads_them():
    """Every route of the reader (a file of plain numbers; a file with an odd line) gives a cell
    the single call's answer or message; other scripts' digits once crashed the pattern route."""
    for cell in ODD_INTEGER_CELLS:
        expected = _single_call_line(["conv-out", "--I", cell, "--K", "3"])
        for text in (f"I,K\n{cell},3\n", f"I,K\n{cell},3\nx,3\n"):
            run = batch("conv-out", text)
            got = run.out.split("\n")[0] or run.err.splitlines()[0].removeprefix("dlcalc: error: line 2: ")
            assert (cell, got) == (cell, expected)


def test_an_integer_column_beside_a_float_column_refuses_what_a_single_call_refuses():
    """A FLOAT column makes NumPy read every cell as a float: "100.0" must not pass as --n 100."""
    for cell in ("100.0", "1e2"):
        expected = _single_call_line(["pac-bayes", "--emp-risk", "0.1", "--kl", "2", "--n", cell])
        run = batch("pac-bayes", f"emp-risk,kl,n\n0.1,2,{cell}\n0.1,2,100\n")
        assert run.code == 1
        assert run.out.split("\n")[:2] == ["", _single_call_line(["pac-bayes", "--emp-risk", "0.1", "--kl", "2", "--n", "100"])]
        assert run.err.splitlines() == [f"dlcalc: error: line 2: {expected}"]


def test_a_bare_carriage_return_does_not_split_a_row_of_a_quoted_file():
    """Lines end at "\\n" only on every route: in a file with quotes (Python's csv reader) a bare
    "\\r" once ended a line too, adding an output row and shifting the line numbers after it."""
    text = 'I,K\n"32",3\nab\rc,3\n"3\r2",3\nx,3\n7,3\r\n'
    for extra in ((), ("--json",)):
        run = batch("conv-out", text, *extra)
        assert run.code == 1
        assert len(run.out.split("\n")[:-1]) == 5
        assert [line.split(":")[2].strip() for line in run.err.splitlines()] == ["line 3", "line 4", "line 5"]
    assert batch("conv-out", text).out == "30\n\n\n\n5\n"


def test_a_bad_command_line_option_is_a_usage_error_on_every_route():
    """--S 0 beside --batch: one line, exit 2, whether the rows are plain numbers, quoted cells or
    JSON Lines (the quoted file once made it each row's error, exit 1)."""
    for text in ("I,K\n5,1\n6,1\n", 'I,K\n"5",1\n6,1\n', '{"I": 5, "K": 1}\n'):
        for extra in ((), ("--json",)):
            run = batch("conv-out", text, "--S", "0", *extra)
            assert (run.code, run.out, run.err) == (2, "", "dlcalc: error: --S: must be at least 1, got 0\n")
    run = batch("activation", "fn,x\nrelu,1\n", "--alpha", "x")
    assert (run.code, run.err) == (2, "dlcalc: error: --alpha: expected a number, got 'x'\n")


def test_a_whole_json_number_is_an_integer_in_a_list_as_alone():
    run = batch("conv-out", '{"I": [224.0, 224], "K": 3}\n{"I": 224.0, "K": 3}\n{"I": [true, 2], "K": 3}\n')
    assert run.out == "222,222\n222\n\n"
    assert run.err == "dlcalc: error: line 3: --I: expected a whole number, got 'true'\n"
