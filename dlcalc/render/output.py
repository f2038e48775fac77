"""Choose a renderer and write one result: plain (pipes), Rich (terminals), JSON or LaTeX."""

from __future__ import annotations

import json
import math
import os
import sys
from typing import Any, TextIO

from dlcalc.core.errors import ExitCode, one_line
from dlcalc.core.result import Result


def plain_value(value: Any) -> str:
    """The bare one-line form of a value: numbers as they are, per-axis lists joined by commas."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(plain_value(v) for v in value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, dict):
        return " ".join(f"{k}={plain_value(v)}" for k, v in value.items())
    return str(value)


def format_float(x: float) -> str:
    """Shortest repr that round-trips; integers-valued floats keep no trailing '.0' noise."""
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    return repr(x)


def to_json(result: Result) -> dict[str, Any]:
    obj: dict[str, Any] = {"formula": result.name, "inputs": result.inputs, "result": result.value}
    obj.update(result.extra)
    if result.warnings:
        obj["warnings"] = result.warnings
    return obj


def dumps(obj: Any) -> str:
    return json.dumps(_finite(obj), ensure_ascii=False, allow_nan=False)


def _finite(obj: Any) -> Any:
    """JSON has no infinity or NaN: such floats become the strings "inf", "-inf", "nan"."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):  # NumPy scalars and arrays
        return _finite(obj.tolist())
    return obj


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def write_stdout(payload: str | bytes) -> None:
    """The one writer of standard output: text, or bytes made in one piece (batch mode)."""
    if isinstance(payload, str):
        if len(payload) < 1 << 16 or getattr(sys.stdout, "buffer", None) is None:
            sys.stdout.write(payload)
            return
        payload = payload.encode(sys.stdout.encoding or "utf-8")  # a large output: in one piece
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (an embedding program, the test runner)
        sys.stdout.write(payload.decode())
    else:
        sys.stdout.flush()
        buffer.write(payload)
    sys.stdout.flush()


def write_stderr(text: str) -> None:
    if text:
        sys.stderr.write(text)


def write_error(message: str) -> None:
    """The one error line, ``dlcalc: error: ...``: escaped and bounded so that it stays one line, and
    written even where the error stream cannot take every character (or is gone)."""
    line = f"dlcalc: error: {one_line(message)}\n"
    try:
        sys.stderr.write(line)
        sys.stderr.flush()
    except UnicodeEncodeError:
        encoding = getattr(sys.stderr, "encoding", None) or "ascii"
        sys.stderr.write(line.encode(encoding, "backslashreplace").decode(encoding))
    except (OSError, AttributeError, ValueError):
        pass


def emit(result: Result, *, json_mode: bool = False, latex: bool = False, stream: TextIO | None = None) -> ExitCode:
    """Write ``result`` to stdout in the right form and return its exit code.

    On a terminal the Rich form is shown unless DLCALC_PLAIN is set (then the plain line, as in a pipe)."""
    out = stream or sys.stdout
    if json_mode:
        out.write(dumps(to_json(result)) + "\n")
    elif latex:
        out.write((result.latex or plain_value(result.value)) + "\n")
    elif is_terminal(out) and not os.environ.get("DLCALC_PLAIN"):
        from dlcalc.render.terminal import render_terminal

        render_terminal(result, out)
    else:
        write_stderr("".join(f"dlcalc: note: {warning}\n" for warning in result.warnings))
        out.write((result.plain if result.plain is not None else plain_value(result.value)) + "\n")
    return result.exit_code
