"""The Typer application. Formula commands are generated from their declarations, lazily: only
the command being run is built. Commands that are not formulas live in their own modules."""

from __future__ import annotations

import errno
import inspect
import os
import sys
from typing import Any, Optional

import typer
from typer.core import TyperGroup

from dlcalc.core import registry
from dlcalc.core.sections import section_key, section_title
from dlcalc.cli.run import run_formula
from dlcalc.core.errors import QUOTE_LIMIT, ExitCode
from dlcalc.core.registry import Formula, Param
from dlcalc.render.output import write_error, write_stdout

HELP = """A calculator and derivation checker for the mathematics of deep learning.

Every formula of the deep-learning formula sheet is a command: run `dlcalc list` to see them,
`dlcalc info NAME` for one. Output is the bare value in a pipe, a worked formula on a terminal,
and one JSON object with --json."""


def _help_default(shown: Any) -> str:
    if isinstance(shown, str) and shown.startswith("="):
        return f"the value of --{shown[1:]}"
    return ",".join(map(str, shown)) if isinstance(shown, list) else str(shown)


def _option(param: Param) -> tuple[Any, Any]:
    """(annotation, typer.Option) for one declared parameter."""
    if param.kind.is_flag:
        return bool, typer.Option(False, *param.flags, help=param.help)
    if param.positional:
        return Optional[str], typer.Argument(None, help=param.help, metavar=param.name.upper(), show_default=False)
    help_text = param.help
    if param.required:
        help_text += "  (required)"
    elif param.shown_default is not None:
        help_text += f"  (default: {_help_default(param.shown_default)})"  # not [..]: Rich markup
    annotation = Optional[list[str]] if param.multiple else Optional[str]
    return annotation, typer.Option(None, *param.flags, help=help_text, metavar=param.kind.metavar)


def _epilog(formula: Formula) -> str:
    lines = [f"Formula: {formula.formula}"]
    lines += [f"Example: dlcalc {formula.name} {e.args}  ->  {e.output}" for e in formula.examples]
    if formula.errata:
        lines.append(f"The sheet states this wrongly: see dlcalc info {formula.name} ({', '.join(formula.errata)}).")
    return "\n\n".join(lines)


def formula_command(formula: Formula) -> typer.Typer:
    """A one-command Typer app for ``formula``, its options taken from the declaration."""

    def command(**options: Any) -> None:
        raw = {p.name: (options[p.dest] or None) for p in formula.params}
        code = run_formula(formula, raw, json_mode=options["json_"], batch=options["batch"])
        raise typer.Exit(int(code))

    parameters = []
    for param in formula.params:
        annotation, default = _option(param)
        parameters.append(inspect.Parameter(param.dest, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation))
    parameters.append(
        inspect.Parameter("json_", inspect.Parameter.KEYWORD_ONLY, annotation=bool,
                          default=typer.Option(False, "--json", help="print one JSON object (JSON Lines with --batch)"))
    )
    parameters.append(
        inspect.Parameter("batch", inspect.Parameter.KEYWORD_ONLY, annotation=Optional[str],
                          default=typer.Option(None, "--batch", metavar="FILE",
                                               help="CSV, TSV or JSON Lines whose columns are option names; - for stdin"))
    )
    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    single = typer.Typer(add_completion=False)
    single.command(
        name=formula.name,
        help=f"{formula.summary}.\n\n{formula.formula}",
        epilog=_epilog(formula),
        rich_help_panel=section_title(formula.section),
    )(command)
    return single


class FormulaGroup(TyperGroup):
    """The top-level group: its own commands plus every registered formula, built on demand."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = list(super().list_commands(ctx))
        commands = [f for f in registry.formulas() if f.is_command and f.name not in names]
        return names + [f.name for f in sorted(commands, key=lambda f: (section_key(f.section), f.name))]

    def get_command(self, ctx: Any, name: str) -> Any:
        command = super().get_command(ctx, name)
        formula = registry.get(name) if command is None else None
        if formula is not None and formula.is_command:
            command = typer.main.get_command(formula_command(formula))
        return command


def build_app() -> typer.Typer:
    from dlcalc.cli import catalogue_commands, check_deriv, net, verify

    app = typer.Typer(
        name="dlcalc",
        cls=FormulaGroup,
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def root(
        version: bool = typer.Option(False, "--version", "-V", help="print the version and exit"),
        debug: bool = typer.Option(False, "--debug", help="show tracebacks of internal errors"),
    ) -> None:
        if version:
            from dlcalc import __version__

            write_stdout(f"dlcalc {__version__}\n")
            raise typer.Exit(0)

    for commands in (catalogue_commands, check_deriv, verify, net):  # commands that are not formulas
        commands.register(app)
    return app




def click_command() -> Any:
    return typer.main.get_command(build_app())


def run_app(args: list[str]) -> int:
    """Run the Typer app; usage errors become one line and exit 2."""
    from typer._click import exceptions as click_exceptions

    from dlcalc.cli.fastpath import APP_COMMANDS, refuse_repeated_options

    if args and not args[0].startswith("-") and args[0] not in APP_COMMANDS and "_DLCALC_COMPLETE" not in os.environ:
        formula = registry.get(args[0])
        if formula is not None and formula.is_command:
            refuse_repeated_options(formula, args[1:])  # Click would keep the last value silently
    command = click_command()
    try:
        result = command.main(args=args, prog_name="dlcalc", standalone_mode=False)
    except click_exceptions.UsageError as err:
        where = err.ctx.command_path if err.ctx is not None else "dlcalc"
        if where == "dlcalc" and args and args[0] in command.list_commands(err.ctx):
            where = f"dlcalc {args[0]}"  # the error came while parsing the subcommand's options
        write_error(f"{_short_quotes(err.format_message(), args)} (see '{where} --help')")
        return ExitCode.USAGE
    except typer.Abort:
        return ExitCode.INTERRUPTED
    except SystemExit as exit_:
        _reraise_a_swallowed_broken_pipe(exit_)
        raise
    return result if isinstance(result, int) else ExitCode.OK


def _short_quotes(message: str, args: list[str]) -> str:
    """Click quotes a bad argument whole: cut each long one short, as dlcalc's own messages do."""
    for arg in sorted({a for a in args if len(a) > QUOTE_LIMIT}, key=len, reverse=True):
        message = message.replace(arg, arg[:QUOTE_LIMIT] + "…")
    return message


def _reraise_a_swallowed_broken_pipe(exit_: SystemExit) -> None:
    """Click and Rich turn a closed pipe into exit 1; undo that and let main() decide (a reader that
    leaves early is exit 0 on every route)."""
    cause = exit_.__context__
    if isinstance(cause, OSError) and cause.errno == errno.EPIPE:
        from typer._click.utils import PacifyFlushWrapper

        for name in ("stdout", "stderr"):  # click wraps the streams; put them back
            stream = getattr(sys, name)
            if isinstance(stream, PacifyFlushWrapper):
                setattr(sys, name, stream.wrapped)
        raise BrokenPipeError(errno.EPIPE, "Broken pipe") from None
