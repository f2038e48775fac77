"""Commands about the catalogue itself: list, info, errata, completions."""

from __future__ import annotations

from typing import Any

import typer

from dlcalc.core import registry
from dlcalc.core.sections import section_key
from dlcalc.core.errors import DlcalcError, quote
from dlcalc.core.registry import Formula
from dlcalc.render.catalogue import write_errata, write_info, write_listing
from dlcalc.render.output import write_stdout


def list_entries() -> list[dict[str, str]]:
    entries = [
        {"name": f.name, "section": f.section, "kind": f.kind, "summary": f.summary}
        for f in registry.formulas()
    ]
    return sorted(entries, key=lambda e: (section_key(e["section"]), e["name"]))


def info_record(formula: Formula) -> dict[str, Any]:
    return {
        "name": formula.name,
        "section": formula.section,
        "catalogue_id": formula.catalogue_id,
        "kind": formula.kind,
        "summary": formula.summary,
        "formula": formula.formula,
        "latex": formula.latex,
        "parameters": [
            {
                "name": p.name,
                "aliases": list(p.aliases),
                "type": "flag" if p.kind.is_flag else p.kind.metavar,
                "required": p.required,
                "positional": p.positional,
                "default": p.shown_default,
                "help": p.help,
            }
            for p in formula.params
        ],
        "examples": [{"command": f"dlcalc {formula.name} {e.args}", "output": e.output, "note": e.note} for e in formula.examples],
        "sheet_says": formula.sheet_says,
        "errata": [registry.ERRATA[e] for e in formula.errata],
        "notes": formula.notes,
    }


def register(app: typer.Typer) -> None:
    @app.command("list", rich_help_panel="The catalogue")
    def list_command(
        json_mode: bool = typer.Option(False, "--json", help="a JSON array of {name, section, kind, summary}"),
    ) -> None:
        """List every formula, grouped by section of the sheet."""
        write_listing(list_entries(), json_mode=json_mode)

    @app.command("info", rich_help_panel="The catalogue")
    def info_command(
        name: str = typer.Argument(..., help="a formula's command name (see dlcalc list)"),
        json_mode: bool = typer.Option(False, "--json", help="one JSON object"),
    ) -> None:
        """Show a formula: statement, LaTeX, parameters, examples, and the sheet's erratum if any."""
        registry.formulas()  # a formula may cite an erratum that another module declares
        formula = registry.get(name)
        if formula is None:
            raise DlcalcError(f"no formula named {quote(name)} (see 'dlcalc list')")
        write_info(info_record(formula), json_mode=json_mode)

    @app.command("errata", rich_help_panel="The catalogue")
    def errata_command(json_mode: bool = typer.Option(False, "--json", help="JSON Lines, one erratum each")) -> None:
        """List the sheet's errata that dlcalc implements correctly, with a command that shows each."""
        registry.formulas()
        write_errata(sorted(registry.ERRATA.values(), key=lambda e: int(e["id"][1:])), json_mode=json_mode)

    @app.command("completions", rich_help_panel="The catalogue")
    def completions_command(shell: str = typer.Argument(..., help="bash, zsh or fish")) -> None:
        """Print the completion script for a shell (see the README for where to put it)."""
        from dlcalc.cli.completions import SHELLS, script

        if shell not in SHELLS:
            raise DlcalcError(f"unknown shell {quote(shell)}; expected one of {', '.join(SHELLS)}")
        write_stdout(script(shell))
