"""Batch mode, output: one line per input row, in order, then the bad rows on stderr.

Plain mode prints each row's bare value (an empty line for a bad row); --json prints, per row, the
object a single call prints (built by the same `to_json`), or ``{"line": N, "error": ...}``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlcalc.core.batch import Group, Outcome, in_group
from dlcalc.core.errors import ExitCode, one_line
from dlcalc.core.evaluate import display_input
from dlcalc.core.registry import PADDING, SAME, Param
from dlcalc.core.result import Result
from dlcalc.render.format import format_integers
from dlcalc.render.output import dumps, plain_value, to_json, write_stderr, write_stdout


def write_outcome(outcome: Outcome, *, json_mode: bool) -> ExitCode:
    """Write every row's answer (stdout) and every bad row's error (stderr); return the exit status."""
    payload = None if json_mode else _integer_payload(outcome)
    if payload is None:
        rows = _json_rows(outcome) if json_mode else _plain_rows(outcome)
        payload = "\n".join(rows) + "\n" if rows else ""
    write_stdout(payload)
    write_stderr("".join(f"dlcalc: error: line {outcome.lines[i]}: {one_line(outcome.errors[i])}\n"
                         for i in sorted(outcome.errors)))
    return ExitCode.REFUTED if outcome.errors or outcome.refuted else ExitCode.OK


def _plain_rows(outcome: Outcome) -> list[str]:
    out = [""] * outcome.count
    for group in outcome.groups:
        for row, line in zip(group.rows.tolist(), _plain_lines(outcome, group)):
            out[row] = line
    for row, result in outcome.results.items():
        out[row] = result.plain if result.plain is not None else plain_value(result.value)
    for row in outcome.errors:
        out[row] = ""
    return out


def _plain_lines(outcome: Outcome, group: Group) -> list[str]:
    count = len(group.rows)
    outputs = group.outputs
    if outcome.formula.present is None and all(isinstance(o, np.ndarray) and o.ndim <= 1 for o in outputs):
        per_axis = [np.broadcast_to(o, (count,)).tolist() for o in outputs]
        if len(per_axis) == 1:
            if outputs[0].dtype.kind == "f":
                plain = float.__repr__ if np.isfinite(outputs[0]).all() else plain_value
                return list(map(plain, per_axis[0]))
            return list(map(str, per_axis[0]))
        return [",".join(map(plain_value, values)) for values in zip(*per_axis)]
    return [plain_value(outcome.group_value(group, position)) for position in range(count)]


def _integer_payload(outcome: Outcome) -> bytes | None:
    """The common large case, one integer per row from one group: printed without a Python loop."""
    if len(outcome.groups) != 1 or outcome.results or outcome.formula.present is not None:
        return None
    group = outcome.groups[0]
    if len(group.outputs) != 1:
        return None
    values = np.broadcast_to(group.outputs[0], (len(group.rows),))
    if values.dtype.kind not in "iu":
        return None
    every_row = np.zeros(outcome.count, dtype=np.int64)
    every_row[group.rows] = values
    return format_integers(every_row, ~in_group(outcome))


def _json_rows(outcome: Outcome) -> list[str]:
    out = [""] * outcome.count
    for group in outcome.groups:
        prefix, middle, suffix = (part.replace("%", "%%") for part in _json_template(outcome, group))
        keys = [dumps(p.name) for p in outcome.formula.params]
        inputs = "{" + ", ".join(f"{key}: %s" for key in keys) + "}"
        template = prefix + inputs + middle + "%s" + suffix
        columns = [_encoded_input(p, group.values[p.dest], len(group.rows), group.single.get(p.dest, False))
                   for p in outcome.formula.params]
        texts = [template % cells for cells in zip(*columns, _encoded_values(outcome, group))]
        for row, text in zip(group.rows.tolist(), texts):
            out[row] = text
    for row, result in outcome.results.items():
        out[row] = dumps(to_json(result))
    for row, message in outcome.errors.items():
        out[row] = dumps({"line": outcome.lines[row], "error": message})
    return out


# Column by column, the JSON text `dumps` gives each row's inputs and value, without a Python call
# per row and value; the test comparing batch rows with single calls keeps the two in step.


def _encoded_input(param: Param, value: Any, count: int, single: Any) -> list[str]:
    """A column of inputs; ``single`` marks the rows that gave a per-axis value as one value."""
    if not isinstance(value, np.ndarray) and not isinstance(value, tuple):
        return [dumps(display_input(param, value))] * count
    if not param.kind.per_axis:
        return _encoded_array(value, count)
    axes = [_encoded_array(v, count, padding=param.kind is PADDING) for v in value]
    if len(axes) == 1:
        return axes[0]
    single = np.broadcast_to(single, (count,)).tolist()
    return [cells[0] if one else "[" + ", ".join(cells) + "]" for one, cells in zip(single, zip(*axes))]


def _encoded_array(value: Any, count: int, padding: bool = False) -> list[str]:
    if not isinstance(value, np.ndarray):
        shown = "same" if padding and value == SAME else value
        return [dumps(shown)] * count
    values = np.broadcast_to(value, (count,))
    if values.dtype.kind == "b":
        return ["true" if v else "false" for v in values.tolist()]
    if values.dtype.kind in "iu":
        digits = format_integers(values)
        texts = digits.decode().split("\n")[:-1] if digits is not None else list(map(str, values.tolist()))
        if padding:
            for position in np.flatnonzero(values == SAME).tolist():
                texts[position] = '"same"'
        return texts
    if values.dtype.kind == "f" and np.isfinite(values).all():
        return list(map(float.__repr__, values.tolist()))
    return [dumps(v) for v in values.tolist()]


def _encoded_values(outcome: Outcome, group: Group) -> list[str]:
    count = len(group.rows)
    arrays = outcome.formula.present is None and all(isinstance(o, np.ndarray) for o in group.outputs)
    if not arrays:
        return [dumps(outcome.group_value(group, position)) for position in range(count)]
    axes = [_encoded_array(o, count) for o in group.outputs]
    if outcome.formula.elementwise and group.ndim > 1:
        return ["[" + ", ".join(cells) + "]" for cells in zip(*axes)]
    return axes[0]


_INPUTS, _VALUE = "\x00inputs\x00", "\x00value\x00"


def _json_template(outcome: Outcome, group: Group) -> tuple[str, str, str]:
    """The JSON object of a group's rows with holes for the inputs and the value: made by to_json
    from the group's first row, so every row reads exactly as a single call's object."""
    model: Result = outcome.group_result(group, 0)
    model.inputs, model.value = _INPUTS, _VALUE
    text = dumps(to_json(model))
    prefix, rest = text.split(dumps(_INPUTS), 1)
    middle, suffix = rest.split(dumps(_VALUE), 1)
    return prefix, middle, suffix

