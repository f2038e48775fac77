"""`dlcalc verify [NAME...] [--all] [--json]`: prove symbolic identities with SymPy.

Each identity's ``prove`` function returns a Proof (SymPy proof guarded by a numeric spot check).
Plain output is one line per identity, ``name  proven  method``, and where the sheet states the
identity wrongly its version is shown refuted on the same line; --json gives JSON Lines; a Rich
progress bar is shown only when stdout is a terminal. Exit 1 if any identity fails (or a sheet's
version is not refuted), 2 for an unknown name. Every proof runs under a time limit so that one hard case cannot hang the run.
"""

from __future__ import annotations

import time
from typing import Any, Optional

import typer

from dlcalc.core import registry
from dlcalc.core.errors import DlcalcError, ExitCode, quote
from dlcalc.core.registry import Formula
from dlcalc.render.catalogue import each_with_progress, write_proof
from dlcalc.core.deadline import TimeUp, time_limit

TIME_LIMIT = 120  # seconds per identity


def provable() -> list[Formula]:
    return [f for f in registry.formulas() if f.prove is not None]


def select(names: list[str], everything: bool) -> list[Formula]:
    """The identities to prove, in the order given (or all, sorted by name)."""
    if everything:
        return sorted(provable(), key=lambda f: f.name)
    if not names:
        raise DlcalcError("name one or more identities, or give --all (see 'dlcalc list')")
    chosen = []
    for name in names:
        formula = registry.get(name)
        if formula is None:
            raise DlcalcError(f"no formula named {quote(name)} (see 'dlcalc list')")
        if formula.prove is None:
            raise DlcalcError(f"{name} has no symbolic statement to verify; run 'dlcalc {name}' instead")
        chosen.append(formula)
    return chosen


def run_proof(formula: Formula, limit: int = TIME_LIMIT) -> dict[str, Any]:
    """Prove one identity; the record that --json prints (plus the detail)."""
    start = time.perf_counter()
    try:
        with time_limit(limit):
            proof = formula.prove()
        proven, method, detail = bool(proof.proven), proof.method, proof.detail
    except TimeUp:
        proven, method, detail = False, "timeout", f"no proof within {limit} s"
    record = {
        "name": formula.name,
        "statement": formula.formula,
        "proven": proven,
        "method": method,
        "seconds": 0.0,
        "detail": detail,
    }
    if formula.sheet_version is not None:
        record["sheet_version"] = refute_sheet_version(formula, limit)
    record["seconds"] = round(time.perf_counter() - start, 3)
    return record


def refute_sheet_version(formula: Formula, limit: int) -> dict[str, Any]:
    """Where the sheet states the identity wrongly, its version must be refuted: {refuted, detail}."""
    from dlcalc.core.proof import prove_statement

    try:
        with time_limit(limit):
            proof = prove_statement(formula.sheet_version)
    except TimeUp:
        return {"refuted": False, "detail": f"no verdict within {limit} s"}
    except ValueError as err:  # SymPy's ShapeError: the sheet's sides cannot even be compared
        return {"refuted": True, "detail": f"the sides do not fit together ({type(err).__name__})"}
    return {"refuted": not proof.proven, "detail": proof.detail}


def verify(names: list[str], everything: bool, json_mode: bool) -> ExitCode:
    chosen = select(names, everything)

    def emit(record: dict[str, Any]) -> dict[str, Any]:
        write_proof(record, json_mode=json_mode)
        return record

    records = each_with_progress(chosen, lambda formula: f"proving {formula.name}", lambda formula: emit(run_proof(formula)))
    holds = all(r["proven"] and r.get("sheet_version", {"refuted": True})["refuted"] for r in records)
    return ExitCode.OK if holds else ExitCode.REFUTED


def register(app: typer.Typer) -> None:
    @app.command("verify", rich_help_panel="The catalogue")
    def verify_command(
        names: Optional[list[str]] = typer.Argument(None, help="identities to prove (see dlcalc list)", show_default=False, metavar="NAME..."),
        everything: bool = typer.Option(False, "--all", help="prove every registered identity"),
        json_mode: bool = typer.Option(False, "--json", help="JSON Lines: name, statement, proven, method, seconds"),
    ) -> None:
        """Prove symbolic identities with SymPy, each guarded by a numeric spot check."""
        raise typer.Exit(int(verify(list(names or []), everything, json_mode)))
