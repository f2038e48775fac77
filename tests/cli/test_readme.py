"""The README's console examples are real: each `$ dlcalc ...` line is run and its output compared.

A command followed by no output lines in the README is run and must succeed or fail as the next
`$ echo $?` says (exit 0 when there is none).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def console_sessions():
    """(command, expected output, expected exit code) for each `$ ` line of ```console blocks."""
    blocks = re.findall(r"```console\n(.*?)```", README.read_text(), flags=re.S)
    sessions = []
    for block in blocks:
        current = None
        for line in block.splitlines():
            if line.startswith("$ "):
                command = line[2:]
                if command == "echo $?":
                    continue
                current = [command, [], None]
                sessions.append(current)
            elif current is not None and re.fullmatch(r"\d+", line) and sessions and sessions[-1] is current \
                    and _previous_was_echo(block, line):
                current[2] = int(line)
            elif current is not None:
                current[1].append(line)
    return [(c, "\n".join(out), code) for c, out, code in sessions if "dlcalc" in c and "pip " not in c
            and not c.startswith(("cp ", "python ")) and NOT_RUN not in c]


NOT_RUN = "not run by the README test"  # a comment on a console line that the test must skip


def _previous_was_echo(block, line):
    lines = block.splitlines()
    return any(lines[i] == "$ echo $?" and lines[i + 1] == line for i in range(len(lines) - 1))


def run_shell(command):
    # dlcalc runs as `python -m dlcalc`, so the test works whether or not the script is on PATH
    script = f'dlcalc() {{ "{sys.executable}" -m dlcalc "$@"; }}\n{command}'
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "100"}, cwd=README.parent)
    return proc.returncode, (proc.stdout + proc.stderr).rstrip("\n")


SESSIONS = console_sessions()


@pytest.mark.parametrize("command, expected, code", SESSIONS, ids=[s[0][:60] for s in SESSIONS])
def test_readme_example(command, expected, code):
    returncode, output = run_shell(command)
    if expected:
        assert output == expected
    assert returncode == (code if code is not None else 0), output


def test_the_readme_has_examples():
    assert len(SESSIONS) >= 20
