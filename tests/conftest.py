"""Shared helpers: run dlcalc in-process (both routes) or as a real subprocess."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_main(args: list[str], stdin: str = "") -> Run:
    """Run ``dlcalc ARGS`` in-process through main(), as a user would (fast path or Typer)."""
    from dlcalc.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = _Stdin(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(args)
            except SystemExit as exit_:
                code = int(exit_.code or 0)
    finally:
        sys.stdin = old_stdin
    return Run(code, out.getvalue(), err.getvalue())


def plain(args) -> str:
    """The plain output of ``dlcalc ARGS`` (each argument str()-ed), stripped; the test fails unless it exits 0."""
    run = run_main([str(a) for a in args])
    assert run.code == 0, run.err
    return run.out.strip()


def as_json(args, codes=(0, 1)) -> dict:
    """``dlcalc ARGS --json`` parsed; the test fails unless it exits with one of ``codes`` (1: a refuted claim)."""
    import json

    run = run_main([*map(str, args), "--json"])
    assert run.code in codes, run.err
    return json.loads(run.out)


def run_typer(args: list[str], stdin: str = "") -> Run:
    """Run through the Typer app only (never the fast path)."""
    from dlcalc.cli.app import run_app

    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = _Stdin(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            from dlcalc.core.errors import DlcalcError

            try:
                code = run_app(args)
            except DlcalcError as error:
                err.write(f"dlcalc: error: {error.message}\n")
                code = 2
    finally:
        sys.stdin = old_stdin
    return Run(int(code), out.getvalue(), err.getvalue())


class _Stdin(io.StringIO):
    """A text stdin with a .buffer, like sys.stdin."""

    def __init__(self, text: str):
        super().__init__(text)
        self.buffer = io.BytesIO(text.encode())


def run_batch(command: str, text: str, *extra: str) -> Run:
    """``dlcalc COMMAND --batch - EXTRA...`` in-process, with ``text`` on stdin."""
    return run_main([command, "--batch", "-", *extra], stdin=text)


def run_process(args: list[str], stdin: str = "", env: dict | None = None, stdout=subprocess.PIPE) -> Run:
    """The real thing: ``python -m dlcalc ARGS`` in a subprocess (not a terminal). ``stdout`` may be
    a file or descriptor to write to instead (a full disk, a pipe whose reader has gone)."""
    proc = subprocess.run(
        [sys.executable, "-m", "dlcalc", *args],
        input=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )
    return Run(proc.returncode, proc.stdout or "", proc.stderr)


def modules_loaded_by(calls: list[list[str]]) -> set[str]:
    """Run each command line in one fresh process (in-process dispatch, output discarded) and return
    the names of the modules that process then holds: what a command costs at start-up."""
    script = (
        "import sys, io, contextlib\n"
        "from dlcalc.cli.main import dispatch\n"
        f"for args in {calls!r}:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        dispatch(args)\n"
        "print('\\n'.join(sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


@pytest.fixture
def cli():
    return run_main


def run_json(args: list[str]) -> dict:
    """``dlcalc ARGS --json`` in-process: the parsed JSON object (exit 0, or 1 for a refuted claim)."""
    import json

    run = run_main([*map(str, args), "--json"])
    assert run.code in (0, 1), run.err
    return json.loads(run.out)
