"""The result object every computation returns. Renderers decide how it is shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dlcalc.core.errors import ExitCode


@dataclass
class Table:
    """A small table for the terminal (per-layer output, comparisons)."""

    columns: list[str]
    rows: list[list[Any]]
    title: str | None = None


@dataclass
class Result:
    """What a command computed. A formula's compute returns a plain value, or a Result when it shows
    more (steps, a table, a verdict); the engine fills ``name`` and ``inputs``.

    value     the answer: a number, a list (one entry per axis), a string or a dict (JSON-able)
    name      the formula or command name
    inputs    the inputs as the user gave them (JSON-able)
    plain     the one line printed when stdout is not a terminal; derived from ``value`` if None
    steps     lines shown on a terminal: the formula with numbers substituted, derivation steps
    table     an optional table shown on a terminal
    warnings  notes the user should see (printed to stderr in plain mode)
    extra     further JSON fields
    latex     the LaTeX form, for --latex
    holds     a claim's verdict (the engine turns it into ``exit_code``)
    exit_code OK, or REFUTED for a refuted claim
    """

    value: Any
    name: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    plain: str | None = None
    steps: list[str] = field(default_factory=list)
    table: Table | None = None
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    latex: str | None = None
    holds: bool | None = None
    exit_code: ExitCode = ExitCode.OK
