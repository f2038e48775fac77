"""Run one formula command, shared by the fast path and the Typer commands."""

from __future__ import annotations

from typing import Any

from dlcalc.core.errors import ExitCode
from dlcalc.core.evaluate import evaluate
from dlcalc.core.registry import Formula
from dlcalc.render.output import emit


def run_formula(formula: Formula, raw: dict[str, Any], *, json_mode: bool, batch: str | None) -> ExitCode:
    if batch is not None:
        from dlcalc.cli.batch_input import read_batch
        from dlcalc.core.batch import evaluate_table
        from dlcalc.render.batch import write_outcome

        return write_outcome(evaluate_table(formula, read_batch(formula, batch), raw), json_mode=json_mode)
    return emit(evaluate(formula, raw), json_mode=json_mode)
