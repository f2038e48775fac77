"""Rich rendering for terminals. Imported only when stdout is a terminal (Rich costs start-up).

Rich honours NO_COLOR by itself.
"""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from dlcalc.render.output import plain_value
from dlcalc.core.result import Result, Table


def _console(stream: TextIO | None = None) -> Console:
    return Console(file=stream, highlight=False)


def _rich_table(table: Table) -> RichTable:
    rich_table = RichTable(title=table.title, title_justify="left")
    for column in table.columns:
        rich_table.add_column(column, justify="right" if column not in ("network", "name", "part", "formula") else "left")
    for row in table.rows:
        rich_table.add_row(*(escape(str(cell)) for cell in row))
    return rich_table


def render_terminal(result: Result, stream: TextIO) -> None:
    console = _console(stream)
    equation = result.extra.get("equation")
    console.print(f"[bold]{result.name}[/bold]" + (f"  [dim]{escape(equation)}[/dim]" if equation else ""))
    for step in result.steps:
        console.print(f"  {escape(step)}")
    if result.table is not None:
        console.print(_rich_table(result.table))
    shown = result.plain if result.plain is not None else plain_value(result.value)
    console.print(f"[bold green]{escape(shown)}[/bold green]")
    for warning in result.warnings:
        console.print(f"[yellow]note:[/yellow] {escape(warning)}")
    for eid in result.extra.get("errata", []):
        console.print(f"[dim]The sheet states this differently ({eid}): dlcalc info {result.name}[/dim]")


def render_listing(entries: list[dict[str, str]]) -> None:
    table = RichTable(title="dlcalc formulas by section of the sheet", title_justify="left")
    for column in ("§", "command", "kind", "summary"):
        table.add_column(column)
    for e in entries:
        table.add_row(e["section"], f"[bold]{e['name']}[/bold]", e["kind"], escape(e["summary"]))
    _console().print(table)


def render_text(text: str) -> None:
    """Plain text on a terminal, through Rich (which wraps it to the width)."""
    _console().print(escape(text))
