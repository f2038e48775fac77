"""`dlcalc net` through the CLI: pipe, --tsv, --json, terminal table, files, stdin, options, errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from conftest import run_main, run_typer

STAGE = ("in 3x224x224, conv 64 k7 s2 p3 nobias, bn, relu, maxpool k3 s2 p1, "
         "[res[conv 64 k3 p1 nobias, bn, relu, conv 64 k3 p1 nobias, bn], relu]*2")


def net(*args, stdin=""):
    return run_main(["net", *args], stdin=stdin)


def test_pipe_prints_the_parameter_total():
    run = net("@resnet18")
    assert (run.code, run.out, run.err) == (0, "11689512\n", "")
    assert net(STAGE).out == f"{9408 + 128 + 2 * (2 * 36864 + 2 * 128)}\n"


def test_fast_path_and_typer_agree():
    for args in (["@lenet5"], ["@lenet5", "--tsv"], [STAGE, "--json", "--train"], ["@unet", "--expand"]):
        fast, typer = net(*args), run_typer(["net", *args])
        assert (fast.code, fast.out) == (typer.code, typer.out)


def test_tsv_has_a_header_and_one_line_per_layer():
    lines = net("@lenet5", "--tsv").out.splitlines()
    assert lines[0] == "index\tlayer\tin\tout\tparams\tmacs\trf_r\trf_j\trf_start"
    assert lines[1] == "1\tconv 6 k5\t1x32x32\t6x28x28\t156\t117600\t5x5\t1x1\t0x0"
    assert lines[-1] == "12\tfc 10\t84\t10\t850\t840\t\t\t"
    assert len(lines) == 13


def test_json_fields():
    got = json.loads(net("@lenet5", "--json", "--batch-size", "4", "--dtype", "fp16", "--train").out)
    assert (got["input"], got["batch_size"], got["dtype"]) == ([1, 32, 32], 4, "fp16")
    first = got["layers"][0]
    assert first == {"index": 1, "layer": "conv 6 k5", "in": [1, 32, 32], "out": [6, 28, 28], "params": 156,
                     "macs": 4 * 117600, "rf": {"r": [5, 5], "j": [1, 1], "start": [0, 0]}}
    assert got["layers"][-1]["rf"] is None
    totals = got["totals"]
    macs = 4 * (117600 + 240000 + 48000 + 10080 + 840)
    assert totals["params"] == 61706 and totals["buffers"] == 0
    assert (totals["macs"], totals["flops"]) == (macs, 2 * macs)
    assert totals["param_bytes"] == 2 * 61706
    outputs = 6 * 28 * 28 * 2 + 6 * 14 * 14 + 16 * 10 * 10 * 2 + 16 * 5 * 5 * 2 + 120 * 2 + 84 * 2 + 10
    assert totals["activation_bytes"] == outputs * 4 * 2
    assert totals["train_flops"] > totals["flops"]
    assert set(got["conventions"]) >= {"parameters", "macs_flops", "train_flops", "activation_bytes", "convention"}


def test_conventions_fvcore_and_torchinfo():
    torch_totals = json.loads(net("@resnet18", "--json").out)["totals"]
    fvcore = json.loads(net("@resnet18", "--json", "--convention", "fvcore").out)
    assert fvcore["totals"]["flops"] == torch_totals["macs"] == torch_totals["flops"] // 2
    assert "one fused multiply-add" in fvcore["conventions"]["macs_flops"]
    info = json.loads(net("in 5x12, fc 4", "--json", "--convention", "torchinfo").out)
    assert info["totals"]["macs"] == 52  # parameters × batch: torchinfo does not multiply by T


def test_depth_folds_nested_groups():
    full = json.loads(net(STAGE, "--json").out)["layers"]
    folded = json.loads(net(STAGE, "--json", "--depth", "1").out)["layers"]
    assert len(full) == 4 + 2 * 7 and len(folded) == 4 + 2
    assert folded[4]["layer"].startswith("[res[conv 64 k3 p1 nobias")
    assert folded[4]["params"] == 2 * 36864 + 2 * 128 and folded[4]["out"] == [64, 56, 56]
    assert sum(r["params"] for r in folded) == sum(r["params"] for r in full)
    assert len(json.loads(net(STAGE, "--json", "--depth", "2").out)["layers"]) == 4 + 2 * 2


def test_expand_writes_presets_and_repeats_out():
    out = net("@resnet18", "--expand").out.splitlines()
    assert out[0] == "in 3x224x224"
    assert out[1:5] == ["conv 64 k7 s2 p3 nobias", "bn", "relu", "maxpool k3 s2 p1"]
    assert sum(line.startswith("[res[") for line in out) == 8
    assert net("in 4, relu*2", "--expand").out == "in 4\nrelu\nrelu\n"
    assert net("@resnet18", "--expand", "--input", "3x64x64").out.startswith("in 3x64x64\n")


def test_spec_from_a_file_and_from_stdin(tmp_path):
    spec = tmp_path / "net.txt"
    spec.write_text("# LeNet-ish\nin 1x28x28\nconv 6 k5 p2  # same size\nrelu, maxpool k2\nflatten\nfc 10\n")
    expected = f"{6 * 25 + 6 + 6 * 14 * 14 * 10 + 10}\n"
    assert net("-f", str(spec)).out == expected
    assert net("-f", "-", stdin=spec.read_text()).out == expected
    bom = tmp_path / "bom.txt"  # before: "unknown operation '\\xfeffin'"
    bom.write_bytes(b"\xef\xbb\xbf" + spec.read_text().replace("\n", "\r\n").encode())
    assert net("-f", str(bom)).out == expected
    assert net("-f", "-", stdin=bom.read_text(encoding="utf-8")).out == expected
    missing = net("-f", str(tmp_path / "nope.txt"))
    assert missing.code == 2 and missing.err.startswith("dlcalc: error: -f ") and "cannot read it" in missing.err


def test_input_batch_and_dtype_change_what_they_should():
    small = json.loads(net("@resnet50", "--json", "--input", "3x112x112").out)["totals"]
    large = json.loads(net("@resnet50", "--json", "--batch-size", "2").out)["totals"]
    base = json.loads(net("@resnet50", "--json").out)["totals"]
    assert small["params"] == base["params"] == large["params"]
    assert large["macs"] == 2 * base["macs"] and large["activation_bytes"] == 2 * base["activation_bytes"]
    int8 = json.loads(net("@resnet50", "--json", "--dtype", "int8").out)["totals"]
    assert int8["param_bytes"] == base["params"] and base["param_bytes"] == 4 * base["params"]


@pytest.mark.parametrize("args, message", [
    (["in 3x8x8, conv 4 k3 s2 psame"], "dlcalc: error: layer 1 'conv 4 k3 s2 psame': padding='same' is not supported for strided convolutions\n"),
    (["@lenet5", "--dtype", "fp64"], "dlcalc: error: --dtype must be one of fp32, fp16, bf16, int8, got 'fp64'\n"),
    (["@lenet5", "--convention", "ptflops"], "dlcalc: error: --convention must be one of torch, torchinfo, fvcore, got 'ptflops'\n"),
    (["@lenet5", "--tsv", "--json"], "dlcalc: error: --tsv and --json exclude each other\n"),
    (["@lenet5", "--depth", "0"], "dlcalc: error: --depth must be at least 1, got 0\n"),
    (["@lenet5", "--batch-size", "0"], "dlcalc: error: --batch-size must be between 1 and 1,048,576, got 0\n"),
    ([], "dlcalc: error: give the network as SPEC, as @PRESET, or with -f FILE (one of them)\n"),
    (["@lenet5", "--input", "3x0"], "dlcalc: error: --input '3x0': must be at least 1, got 0\n"),
])
def test_errors_exit_2_with_one_line(args, message):
    run = net(*args)
    assert (run.code, run.out, run.err) == (2, "", message)


def test_usage_errors_go_through_typer():
    run = net("@lenet5", "--batch-size", "many")
    assert run.code == 2 and run.err.startswith("dlcalc: error: ") and run.err.count("\n") == 1
    assert net("--help").code == 0


def test_terminal_table_and_totals():
    from dlcalc.net.network import summarize
    from dlcalc.render.net import write_summary

    out = io.StringIO()
    write_summary(summarize("@lenet5").to_json(), mode="terminal", title="@lenet5", out=out)
    text = out.getvalue()
    assert "conv 6 k5" in text and "117,600" in text and "5×5 /1×1" in text
    assert "parameters        61,706" in text and "activation bytes" in text


def test_real_subprocess_in_a_pipe():
    proc = subprocess.run([sys.executable, "-m", "dlcalc", "net", "@mobilenet-v2"], capture_output=True, text=True,
                          timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "3504872\n", "")
    bad = subprocess.run([sys.executable, "-m", "dlcalc", "net", "in 3x8x8, maxpool k3 p2"], capture_output=True,
                         text=True, timeout=60)
    assert (bad.returncode, bad.stderr) == (2, "dlcalc: error: layer 1 'maxpool k3 p2': padding 2 > half the kernel (1)\n")


def test_expanded_spec_reads_back_to_the_same_network():
    from dlcalc.net.network import summarize
    from dlcalc.net.presets import PRESETS

    for preset in PRESETS:
        expanded = net("@" + preset, "--expand").out
        again, original = summarize(expanded), summarize("@" + preset)
        assert [(r.text, r.out, r.params, r.macs, r.rf) for r in again.rows] == \
            [(r.text, r.out, r.params, r.macs, r.rf) for r in original.rows]


def test_net_is_pure_python_over_core():
    code = ("import sys; from dlcalc.cli.net import try_net; import dlcalc.net.network, dlcalc.net.formulas, "
            "dlcalc.render.net; mods = [m for m in sys.modules if m.split('.')[0] in "
            "('numpy', 'sympy', 'typer', 'rich', 'torch')]; "
            "ours = [m for m in sys.modules if m.startswith('dlcalc.') and not m.startswith(('dlcalc.core', "
            "'dlcalc.net', 'dlcalc.render', 'dlcalc.cli'))]; print(mods, ours)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout == "[] []\n", proc.stderr


def test_help_shows_the_bracketed_grammar():
    run = run_typer(["net", "--help"])
    text = " ".join(run.out.split())
    assert run.code == 0 and "conv C kK [sS] [pP|psame|pvalid]" in text and "res[ITEMS | ITEMS]" in text
