"""The committed completion scripts are what the app generates now, and they work."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import run_main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_committed_completions_are_current(shell):
    generated = run_main(["completions", shell]).out
    committed = (ROOT / "completions" / f"dlcalc.{shell}").read_text()
    assert generated == committed, "the completion scripts are stale: run python -m dlcalc.dev regen"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_parses(shell):
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    proc = subprocess.run([shell, "-n", str(ROOT / "completions" / f"dlcalc.{shell}")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def bash_complete(words):
    script = (
        f"source {ROOT / 'completions' / 'dlcalc.bash'}\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
        "_dlcalc; printf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True).stdout.split()


def test_bash_completes_commands_options_and_values():
    assert "conv-out" in bash_complete(["dlcalc", "conv-"])
    assert {"--I", "--input"} <= set(bash_complete(["dlcalc", "conv-out", "--"]))
    assert bash_complete(["dlcalc", "conv-out", "--P", "s"]) == ["same"]


def test_unknown_shell_is_refused():
    run = run_main(["completions", "tcsh"])
    assert run.code == 2 and run.err == "dlcalc: error: unknown shell 'tcsh'; expected one of bash, zsh, fish\n"
