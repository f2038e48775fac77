"""Run formula commands without building the Typer app, to keep start-up near Python's own.

Only the plain form of a call is handled here: ``NAME --opt VALUE --opt=VALUE --flag ... [--json]
[--batch FILE]`` with options the formula declares (a positional parameter is an argument only, as
in Typer). An option given twice (under any of its names) is refused on both routes
(`refuse_repeated_options`): Typer would silently keep the last. Anything else (help, an unknown option,
completion requests) returns None and goes to Typer, which gives the full behaviour and the error
messages. A test runs every registered example through both routes.
"""

from __future__ import annotations

import os
from typing import Any

from dlcalc.core import registry
from dlcalc.core.errors import DlcalcError, ExitCode
from dlcalc.core.registry import Formula, Param


def option_flags(formula: Formula) -> dict[str, Param]:
    """--name -> parameter, for the parameters given as options (a positional one is an argument
    only, as in Typer's help and parser)."""
    return {flag: p for p in formula.params if not p.positional for flag in p.flags}


def refuse_repeated_options(formula: Formula, args: list[str]) -> None:
    """Raise if an option (under any of its names) or --batch is given twice: Typer would silently
    keep the last. Both routes call this, so both refuse with the same message; help wins."""
    if "--help" in args or "-h" in args:
        return
    by_flag = option_flags(formula)
    seen: set[str] = set()
    position = 0
    while position < len(args) and args[position] != "--":
        option, has_value, _ = args[position].partition("=")
        position += 1
        param = by_flag.get(option)
        if option == "--batch" or (param is not None and not param.multiple):
            name = param.name if param is not None else "batch"
            if name in seen:
                again = "given twice" if option == f"--{name}" else f"another name for --{name}, already given"
                raise DlcalcError(f"{option}: {again}; give each option once")
            seen.add(name)
        if not has_value and (option == "--batch" or (param is not None and not param.kind.is_flag)):
            position += 1  # its value, whatever it looks like


def parse_call(formula: Formula, args: list[str]) -> tuple[dict[str, Any], bool, str | None] | None:
    """argv after the command name -> (raw options, json mode, batch file), or None."""
    refuse_repeated_options(formula, args)
    by_flag = option_flags(formula)
    positionals = [p for p in formula.params if p.positional]
    raw: dict[str, Any] = {}
    json_mode, batch = False, None
    position = 0
    while position < len(args):
        if not args[position].startswith("-") and positionals:
            raw[positionals.pop(0).name] = args[position]
            position += 1
            continue
        option, has_value, value = args[position].partition("=")
        param = by_flag.get(option)
        position += 1
        if option == "--json" and not has_value:
            json_mode = True
            continue
        if option != "--batch" and param is None:
            return None
        if param is not None and param.kind.is_flag:
            if has_value:
                return None
            raw[param.name] = True
            continue
        if not has_value:
            if position == len(args):
                return None
            value = args[position]
            position += 1
        if option == "--batch":
            batch = value
        elif param.multiple:
            raw.setdefault(param.name, []).append(value)
        else:
            raw[param.name] = value
    return raw, json_mode, batch


# Commands that are not formulas (registered by dlcalc.cli.app; a test keeps the two in step): they
# go to Typer at once, without looking for a formula of that name.
APP_COMMANDS = frozenset({"list", "info", "errata", "completions", "check-deriv", "verify", "net"})


def try_fast_path(args: list[str]) -> ExitCode | None:
    if args[:1] == ["net"] and "_DLCALC_COMPLETE" not in os.environ:  # `net` has its own fast path
        from dlcalc.cli.net import try_net

        return try_net(args[1:])
    if not args or args[0].startswith("-") or args[0] in APP_COMMANDS or "_DLCALC_COMPLETE" in os.environ:
        return None
    formula = registry.get(args[0])
    if formula is None or not formula.is_command:
        return None
    call = parse_call(formula, args[1:])
    if call is None:
        return None
    from dlcalc.cli.run import run_formula

    raw, json_mode, batch = call
    return run_formula(formula, raw, json_mode=json_mode, batch=batch)
