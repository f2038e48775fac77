"""Evaluate a declared formula: raw option text -> validated values -> rules -> Result.

The same steps serve a single call and batch mode: per-axis values are tuples of components, and
a component is a Python number (one call) or a NumPy array with one entry per row (batch).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from dlcalc.core.errors import DlcalcError, ExitCode
from dlcalc.core.registry import ABSENT, PADDING, SAME, Formula, Param
from dlcalc.core.result import Result

Values = dict[str, Any]  # Param.dest -> value


def convert_options(formula: Formula, raw: dict[str, Any], preset: Values | None = None) -> Values:
    """Raw option values (text, bools, lists for repeated options; None if absent) -> values.

    ``preset`` holds values already converted (batch columns parsed by NumPy)."""
    values: Values = dict(preset or {})
    for param in formula.params:
        if param.dest in values:
            continue
        text = raw.get(param.name)
        if text is None or text == []:
            if param.required:
                raise DlcalcError(f"missing option --{param.name}")
            values[param.dest] = param.default
        elif param.multiple:
            values[param.dest] = [param.convert(item) for item in (text if isinstance(text, list) else [text])]
        else:
            values[param.dest] = param.convert(text)
    for param in formula.params:
        source = param.default_from
        if source and isinstance(values[param.dest], str) and values[param.dest] == param.default:
            values[param.dest] = values[formula.param(source).dest]
    return values


def per_axis_params(formula: Formula) -> list[Param]:
    return [p for p in formula.params if p.kind.per_axis]


def broadcast_axes(formula: Formula, values: Values) -> int:
    """Give every per-axis value the same number of axes (a single value repeats); return it."""
    axis_params = per_axis_params(formula)
    ndim = max((len(values[p.dest]) for p in axis_params), default=1)
    for param in axis_params:
        value = values[param.dest]
        if len(value) == 1:
            values[param.dest] = value * ndim
        elif len(value) != ndim:
            longest = max(axis_params, key=lambda p: len(values[p.dest]))
            raise DlcalcError(
                f"--{param.name} has {len(value)} values but --{longest.name} has {ndim}; "
                "give one value or one per axis"
            )
    return ndim


def axis_arguments(formula: Formula, values: Values, ndim: int) -> Iterator[tuple[int, Values]]:
    """For an elementwise formula: the arguments of each axis in turn."""
    axis_dests = {p.dest for p in per_axis_params(formula)}
    for axis in range(ndim):
        yield axis, {k: (v[axis] if k in axis_dests else v) for k, v in values.items()}


def argument_sets(formula: Formula, values: Values, ndim: int) -> list[tuple[int | None, Values]]:
    """The calls to make: one per axis for elementwise formulas, else one with tuples."""
    if formula.elementwise:
        return list(axis_arguments(formula, values, ndim))
    return [(None, values)]


def broken_rules(formula: Formula, args: Values) -> Iterator[tuple[Any, Callable[..., str]]]:
    """(mask, explain) for each rule: mask is a bool, or a bool array over batch rows."""
    for rule in formula.rules:
        yield rule.broken(**args), rule.says


def axis_prefix(axis: int | None, ndim: int) -> str:
    return f"axis {axis + 1}: " if axis is not None and ndim > 1 else ""


def display_input(param: Param, value: Any) -> Any:
    """How an input appears in JSON and on the terminal: 3, [224, 224], "same", null."""
    if value is ABSENT or value == []:
        return None
    if param.kind.per_axis:
        shown = ["same" if (param.kind is PADDING and v == SAME) else v for v in value]
        return shown[0] if len(shown) == 1 else shown
    return value


def evaluate(formula: Formula, raw: dict[str, Any]) -> Result:
    """One call: parse, validate, compute. Raises DlcalcError for bad input."""
    values = convert_options(formula, raw)
    inputs = {p.name: display_input(p, values[p.dest]) for p in formula.params}
    ndim = broadcast_axes(formula, values)
    calls = argument_sets(formula, values, ndim)
    for axis, args in calls:
        for broken, says in broken_rules(formula, args):
            if broken:
                raise DlcalcError(axis_prefix(axis, ndim) + says(**args))

    outputs = [formula.compute(**args) for _, args in calls]
    if formula.kind == "claim" and isinstance(outputs[0], bool):
        outputs[0] = Result(value=outputs[0], plain="holds" if outputs[0] else "refuted", holds=outputs[0])
    if isinstance(outputs[0], Result):
        result = outputs[0]
        result.name, result.inputs = formula.name, inputs
    else:
        shown = [formula.present(v) if formula.present else v for v in outputs]
        value = shown if formula.elementwise and ndim > 1 else shown[0]
        result = Result(name=formula.name, inputs=inputs, value=value)
        if formula.show:
            result.steps = [axis_prefix(axis, ndim) + formula.show(**args) for axis, args in calls]
    if result.holds is not None:
        result.exit_code = ExitCode.OK if result.holds else ExitCode.REFUTED
    elif formula.kind == "claim":
        raise RuntimeError(f"claim {formula.name!r} returned no verdict")
    if _has_nan(result.value):
        raise DlcalcError("the result is undefined (NaN) for these inputs")
    result.extra.setdefault("equation", formula.formula)
    if formula.errata:
        result.extra.setdefault("errata", list(formula.errata))
    return result


def _has_nan(value: Any) -> bool:
    if isinstance(value, float):
        return value != value
    if isinstance(value, dict):
        return any(_has_nan(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_nan(v) for v in value)
    return False
