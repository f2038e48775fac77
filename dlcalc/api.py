"""The library half of the command line: every formula as a Python call.

    >>> import dlcalc
    >>> dlcalc.calc("conv-out", I=224, K=7, S=2, P=3).value
    112

Parameters are the command's options, by option name or Python name (``c_in`` for ``--c-in``), with
Python values: numbers, a list or tuple for per-axis values and vectors, nested lists for matrices,
strings for choices, True for a flag; None leaves a parameter at its default. Bad input raises :class:`dlcalc.DlcalcError` with the message the
command line prints. Nothing heavy is imported until a formula needs it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from dlcalc.core import registry
from dlcalc.core.errors import DlcalcError, ExitCode, quote
from dlcalc.core.evaluate import evaluate
from dlcalc.core.registry import Formula, Param
from dlcalc.core.result import Result


@dataclass(frozen=True)
class Calculation:
    """One evaluated formula: ``value`` as Python/NumPy values, the ``equation`` it used, the sheet's
    ``errata`` it corrects, and for a claim whether it ``holds``."""

    result: Result

    @property
    def name(self) -> str:
        return self.result.name

    @property
    def value(self) -> Any:
        return self.result.value

    @property
    def inputs(self) -> dict[str, Any]:
        return self.result.inputs

    @property
    def equation(self) -> str:
        return self.result.extra.get("equation", "")

    @property
    def errata(self) -> list[str]:
        return list(self.result.extra.get("errata", ()))

    @property
    def steps(self) -> list[str]:
        return list(self.result.steps)

    @property
    def warnings(self) -> list[str]:
        return list(self.result.warnings)

    @property
    def holds(self) -> bool | None:
        """For a claim: whether it holds (exit status 0 on the command line); None otherwise."""
        return self.result.exit_code == ExitCode.OK if self.result.holds is not None else None

    def to_json(self) -> str:
        """The object ``dlcalc NAME ... --json`` prints."""
        from dlcalc.render.output import dumps, to_json

        return dumps(to_json(self.result))

    def __str__(self) -> str:
        from dlcalc.render.output import plain_value

        return self.result.plain if self.result.plain is not None else plain_value(self.result.value)

    def __repr__(self) -> str:
        return f"<{self.name} = {self}>"


def calc(name: str, **params: Any) -> Calculation:
    """Evaluate the formula ``name`` (a command name, e.g. "conv-out") with ``params``."""
    formula = registry.get(name)
    if formula is None or not formula.is_command:
        raise DlcalcError(f"no formula named {quote(name)} (dlcalc list shows them)")
    return Calculation(evaluate(formula, _raw_options(formula, params)))


def formulas() -> list[str]:
    """The names of every formula that can be evaluated."""
    return sorted(f.name for f in registry.formulas() if f.is_command)


def _raw_options(formula: Formula, params: dict[str, Any]) -> dict[str, Any]:
    """Python keyword values -> the option text the command line would pass."""
    raw: dict[str, Any] = {}
    for key, value in params.items():
        param = formula.lookup_option(key)
        if param is None:
            known = ", ".join(p.dest for p in formula.params)
            raise DlcalcError(f"{formula.name} has no parameter {quote(key)} (it has: {known})")
        if param.name in raw:
            raise DlcalcError(f"--{param.name} given twice")
        if value is not None:  # None: not given (the default), as an option left off the command line
            raw[param.name] = _as_text(param, value)
    return raw


def _as_text(param: Param, value: Any) -> Any:
    if param.kind.is_flag:
        return bool(value)
    if param.multiple and isinstance(value, (list, tuple)):
        return [_as_text(Param(param.name, param.kind, ""), v) for v in value]
    if hasattr(value, "tolist"):  # NumPy arrays and scalars
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if param.kind.per_axis:
            return ",".join(str(v) for v in value)
        return json.dumps(value)
    return str(value)
