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


def convert_options(formula: Formula, raw: dict[str, Any], preset: Values | None = None,
                    memo: dict | None = None) -> Values:
    """Raw option values (text, bools, lists for repeated options; None if absent) -> values.

    ``preset`` holds values already converted (batch columns parsed by NumPy); ``memo`` remembers
    conversions across calls (batch rows repeat the same cells: a parameter's parse is pure)."""
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
        elif memo is not None and isinstance(text, str):
            values[param.dest] = _remembered(param, text, memo)
        else:
            values[param.dest] = param.convert(text)
    for param in formula.params:
        source = param.default_from
        if source and isinstance(values[param.dest], str) and values[param.dest] == param.default:
            values[param.dest] = values[formula.param(source).dest]
    return values


def _remembered(param: Param, text: str, memo: dict) -> Any:
    key = (param.name, text)
    found = memo.get(key)
    if found is None:
        try:
            found = memo[key] = (True, param.convert(text))
        except DlcalcError as err:
            found = memo[key] = (False, err)
    if not found[0]:
        raise DlcalcError(found[1].message)
    return found[1]


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


SYMBOLIC_TIME_LIMIT = 15.0  # seconds: a symbolic command (SymPy) that takes longer is refused


def evaluate(formula: Formula, raw: dict[str, Any]) -> Result:
    """One call: parse, validate, compute. Raises DlcalcError for bad input."""
    values = convert_options(formula, raw)
    inputs = {p.name: display_input(p, values[p.dest]) for p in formula.params}
    ndim = broadcast_axes(formula, values)
    calls = argument_sets(formula, values, ndim)
    outputs = guarded(formula, lambda: _checked_calls(formula, calls, ndim))
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
    refuse_non_finite(formula, result.value)
    return finish(formula, result)


def finish(formula: Formula, result: Result) -> Result:
    """What every output of a formula carries, whichever route computed it: equation and errata."""
    result.extra.setdefault("equation", formula.formula)
    if formula.errata:
        result.extra.setdefault("errata", list(formula.errata))
    return result


def _checked_calls(formula: Formula, calls: list[tuple[int | None, Values]], ndim: int) -> list[Any]:
    for axis, args in calls:
        for broken, says in broken_rules(formula, args):
            if broken:
                raise DlcalcError(axis_prefix(axis, ndim) + says(**args))
    return [formula.compute(**args) for _, args in calls]


def guarded(formula: Formula, work: Callable[[], Any]) -> Any:
    """Run a formula's rules and compute: arithmetic that fails on these inputs (an overflow, a
    division by zero) is an input error with its reason, and symbolic work has a time limit."""
    try:
        if formula.uses_sympy:
            from dlcalc.core.deadline import run_with_deadline

            seconds = formula.time_limit or SYMBOLIC_TIME_LIMIT
            message = f"gave up after {seconds:g} s: this symbolic computation is too large for these inputs (try smaller ones)"
            return run_with_deadline(work, seconds, message)
        return work()
    except DlcalcError:
        raise
    except ARITHMETIC_ERRORS as err:
        raise DlcalcError(arithmetic_message(err)) from None
    except ValueError as err:
        if not _is_arithmetic_value_error(err):
            raise
        raise DlcalcError(arithmetic_message(err)) from None


ARITHMETIC_ERRORS = (OverflowError, FloatingPointError, ZeroDivisionError, RecursionError, MemoryError)


def _is_arithmetic_value_error(err: ValueError) -> bool:
    text = str(err)
    return text == "math domain error" or "Exceeds the limit" in text or "integer string conversion" in text


def arithmetic_message(err: BaseException) -> str:
    """Why the computation failed for these inputs, in one line."""
    if isinstance(err, OverflowError):
        return "a number in the computation is too large to represent (overflow) for these inputs"
    if isinstance(err, ZeroDivisionError):
        return "the computation divides by zero for these inputs"
    if isinstance(err, RecursionError):
        return "the input is nested too deeply"
    if isinstance(err, MemoryError):
        return "the computation needs more memory than is available for these inputs"
    if isinstance(err, ValueError) and "math domain" not in str(err):
        return "a whole number in the computation has too many digits for these inputs"
    return f"the computation is undefined for these inputs ({err})"


def refuse_non_finite(formula: Formula, value: Any) -> None:
    """A NaN result is never an answer; an infinite one only where the formula declares it true."""
    found = _non_finite(value)
    if found == "nan":
        raise DlcalcError("the result is undefined (NaN) for these inputs")
    if found == "inf" and not formula.infinite_ok:
        raise DlcalcError("the result overflows (is infinite) for these inputs")


def _non_finite(value: Any) -> str | None:
    """"nan" if value holds a NaN, else "inf" if it holds an infinity, else None."""
    if isinstance(value, float):
        if value != value:
            return "nan"
        return "inf" if value in (float("inf"), float("-inf")) else None
    if isinstance(value, dict):
        value = list(value.values())
    elif hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # NumPy arrays and scalars
        value = value.tolist()
        if isinstance(value, float):
            return _non_finite(value)
    if isinstance(value, (list, tuple)):
        found = [_non_finite(v) for v in value]
        return "nan" if "nan" in found else ("inf" if "inf" in found else None)
    return None
