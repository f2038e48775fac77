"""Batch mode, evaluation: the rows of a table in, one outcome per row out (a value or an error).

Reading files is the CLI's job (dlcalc.cli.batch_input) and writing the output is the renderer's
(dlcalc.render.batch); this module only evaluates. Rows that NumPy parsed in one call (the
numeric block) are evaluated at once: the formulas are written with arithmetic that works on NumPy
arrays as on numbers, and the rules that guard a single call are evaluated as boolean masks. Other
rows are parsed one by one, grouped by their number of axes and evaluated the same way.

A row is computed by the single-call route (`evaluate`) instead, with Python's exact integers and
the same messages, whenever the arrays cannot be trusted with it: an integer too long for 64 bits,
a result that 64-bit arithmetic may have wrapped, an arithmetic failure in the group, a formula that
is not vectorised. A bad row is that row's error and never costs another row its answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlcalc.core.errors import DlcalcError, quote
from dlcalc.core.evaluate import (
    argument_sets,
    axis_prefix,
    broadcast_axes,
    broken_rules,
    convert_options,
    display_input,
    evaluate,
    finish,
    guarded,
    refuse_non_finite,
)
from dlcalc.core.registry import AXES, FLOAT, INT, PADDING, Formula, Param
from dlcalc.core.result import Result

NUMERIC_KINDS = (INT, AXES, FLOAT, PADDING)
EXACT_LIMIT = 2**53  # integers beyond this, in an input or a result, are computed exactly, row by row


@dataclass
class NumericBlock:
    """Rows whose cells NumPy parsed in one call: one column per parameter of the table."""

    rows: np.ndarray  # indices into the table
    cells: np.ndarray  # shape (len(rows), len(params)), int64 or float64


@dataclass
class Table:
    """The rows of a batch file. ``lines`` gives each row's physical line (1-based)."""

    params: list[Param]
    lines: list[int] | range = field(default_factory=list)
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)  # row index -> Param.name -> raw cell
    bad: dict[int, str] = field(default_factory=dict)  # row index -> why it could not be read
    numeric: NumericBlock | None = None

    @property
    def count(self) -> int:
        return len(self.lines)


def columns_to_params(formula: Formula, names: list[str]) -> list[Param]:
    """Column names (option names or aliases) -> parameters; unknown and repeated columns are refused."""
    params: list[Param] = []
    for name in names:
        param = formula.lookup_option(name.strip())
        if param is None:
            known = ", ".join(p.name for p in formula.params)
            raise DlcalcError(f"--batch: unknown column {quote(name.strip())} (columns are option names: {known})")
        if param in params:
            first = names[params.index(param)].strip()
            same = "is repeated" if first == name.strip() else f"names the same option as column {quote(first)}"
            raise DlcalcError(f"--batch: column {quote(name.strip())} {same}")
        params.append(param)
    return params


# ---- the outcome ---------------------------------------------------------------------------


@dataclass
class Group:
    """Rows evaluated at once: their values stacked as arrays, and what compute returned."""

    rows: np.ndarray  # indices into the table
    values: dict[str, Any]
    ndim: int
    outputs: list[Any] = field(default_factory=list)  # one per axis call: an array over the rows
    # per-axis parameters: whether each row gave one value (shown as one, as a single call shows it)
    single: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    """Every row's answer: in a group (arrays), as a Result (computed alone), or an error."""

    formula: Formula
    lines: list[int] | range
    groups: list[Group] = field(default_factory=list)
    results: dict[int, Result] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.lines)

    @property
    def refuted(self) -> bool:
        return any(r.holds is False for r in self.results.values())

    def group_value(self, group: Group, position: int) -> Any:
        """The value of one row of a group, as a single call shows it."""
        shown = [_pick(o, position) for o in group.outputs]
        if self.formula.present:
            shown = [self.formula.present(v) for v in shown]
        return shown if self.formula.elementwise and group.ndim > 1 else shown[0]

    def group_inputs(self, group: Group, position: int) -> dict[str, Any]:
        values = {k: _pick(v, position) for k, v in group.values.items()}
        for dest, single in group.single.items():
            if _pick(single, position):
                values[dest] = values[dest][:1]
        return {p.name: display_input(p, values[p.dest]) for p in self.formula.params}

    def group_result(self, group: Group, position: int) -> Result:
        """One row of a group as the Result a single call returns (equation and errata included)."""
        result = Result(value=self.group_value(group, position), name=self.formula.name,
                        inputs=self.group_inputs(group, position))
        return finish(self.formula, result)


# ---- evaluation ------------------------------------------------------------------------------


def evaluate_table(formula: Formula, table: Table, cli_raw: dict[str, Any]) -> Outcome:
    """Evaluate every row; options given on the command line fill the columns a row lacks."""
    refuse_bad_options(formula, cli_raw)
    outcome = Outcome(formula, table.lines, errors=dict(table.bad))
    loose = [i for i in sorted(table.rows) if i not in table.bad]
    if not formula.vectorised:
        block = table.numeric.rows.tolist() if table.numeric is not None else []
        for index in sorted(loose + block):
            _evaluate_alone(formula, outcome, index, _raw_of_row(table, index, cli_raw))
        return outcome
    groups = _groups_from_rows(formula, table, loose, cli_raw, outcome)
    if table.numeric is not None and len(table.numeric.rows):
        groups.append(_numeric_group(formula, table, cli_raw, outcome))
    for group in groups:
        _evaluate_group(formula, group, table, cli_raw, outcome)
    outcome.groups = [g for g in groups if g.outputs]
    return outcome


def refuse_bad_options(formula: Formula, cli_raw: dict[str, Any]) -> None:
    """A bad value given on the command line is a usage error (exit 2) whatever the file holds, not
    an error of each row that uses it (which depended on the route the file's rows took)."""
    for param in formula.params:
        text = cli_raw.get(param.name)
        if text is not None and text != []:
            for item in text if isinstance(text, list) else [text]:
                param.convert(item)


def _with_defaults(cli_raw: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in cli_raw.items() if v is not None and k not in row}, **row}


def _evaluate_alone(formula: Formula, outcome: Outcome, index: int, raw: dict[str, Any]) -> None:
    try:
        outcome.results[index] = evaluate(formula, raw)
    except DlcalcError as err:
        outcome.errors[index] = err.message


def _raw_of_row(table: Table, index: int, cli_raw: dict[str, Any]) -> dict[str, Any]:
    """A row's raw cells (a numeric-block row is turned back into text: its numbers are exact)."""
    row = table.rows.get(index)
    if row is None:
        position = int(np.searchsorted(table.numeric.rows, index))
        cells = table.numeric.cells[position]
        row = {p.name: _number_text(cell) for p, cell in zip(table.params, cells.tolist())}
    return _with_defaults(cli_raw, row)


def _number_text(value: int | float) -> str:
    return repr(int(value)) if isinstance(value, float) and value.is_integer() else repr(value)


def _groups_from_rows(formula: Formula, table: Table, indices: list[int], cli_raw: dict[str, Any],
                      outcome: Outcome) -> list[Group]:
    """Parse the loose rows column by column; the rows that give one value per option form one group,
    the others (several axes, or an integer beyond int64) are parsed one by one."""
    columns, failed = _converted_columns(formula, [table.rows[i] for i in indices], cli_raw)
    simple = [message is None for message in failed]
    for param in formula.params:
        if param.kind.per_axis:
            simple = [ok and value is not None and len(value) == 1 for ok, value in zip(simple, columns[param.dest])]
        if param.kind is not FLOAT:
            simple = [ok and not _needs_exact({"": value}) for ok, value in zip(simple, columns[param.dest])]
    other = []
    for pos, index in enumerate(indices):
        if failed[pos] is not None:
            outcome.errors[index] = failed[pos]
        elif not simple[pos]:
            other.append(index)
    groups = _groups_row_by_row(formula, table, other, cli_raw, outcome)
    keep = [pos for pos in range(len(indices)) if simple[pos]]
    if keep:
        stacked = {}
        for param in formula.params:
            column = [columns[param.dest][pos] for pos in keep]
            stacked[param.dest] = (np.array([v[0] for v in column]),) if param.kind.per_axis else np.array(column)
        single = {p.dest: True for p in formula.params if p.kind.per_axis}
        groups.append(Group(np.array([indices[pos] for pos in keep]), stacked, 1, single=single))
    return groups


def _converted_columns(formula: Formula, rows: list[dict[str, Any]], cli_raw: dict[str, Any]) -> tuple[dict[str, list], list]:
    """Each parameter's values over the rows (as convert_options gives them), and each row's first
    error (None where it has none). A cell's text is parsed once however often it repeats."""
    failed: list[str | None] = [None] * len(rows)
    columns: dict[str, list] = {}
    for param in formula.params:
        default = cli_raw.get(param.name)
        memo: dict[Any, tuple[bool, Any]] = _floats_at_once(param, rows, default) if param.kind is FLOAT else {}
        column: list[Any] = []
        for position, row in enumerate(rows):
            text = row.get(param.name, default)
            if failed[position] is not None:
                column.append(None)
            elif text is None or text == []:
                if param.required:
                    failed[position] = f"missing option --{param.name}"
                column.append(param.default)
            else:
                key = text if isinstance(text, str) else None
                found = memo.get(key) if key is not None else None
                if found is None:
                    try:
                        found = (True, param.convert(text))
                    except DlcalcError as err:
                        found = (False, err.message)
                    if key is not None:
                        memo[key] = found
                if not found[0]:
                    failed[position] = found[1]
                column.append(found[1] if found[0] else None)
        columns[param.dest] = column
    for param in formula.params:  # "=K": the value of parameter K, row by row
        if param.default_from:
            source = columns[formula.param(param.default_from).dest]
            column = columns[param.dest]
            for position, value in enumerate(column):
                if isinstance(value, str) and value == param.default:
                    column[position] = source[position]
    return columns, failed


def _floats_at_once(param: Param, rows: list[dict[str, Any]], default: Any) -> dict[str, tuple[bool, Any]]:
    """A FLOAT column's distinct cells parsed by NumPy in one call, where they are plain finite numbers
    within the bounds; the others are left to the parameter's own parser (and its message)."""
    texts = list({t for row in rows if isinstance(t := row.get(param.name, default), str)})
    try:
        numbers = np.array(texts, dtype=np.float64)
    except (ValueError, TypeError):  # some cell is no number: the others still count
        numbers = np.array([_float_or_nan(text) for text in texts], dtype=np.float64)
    good = np.isfinite(numbers)
    if param.minimum is not None:
        good &= numbers >= param.minimum
    if param.maximum is not None:
        good &= numbers <= param.maximum
    return {text: (True, number) for text, number, ok in zip(texts, numbers.tolist(), good.tolist()) if ok}


def _float_or_nan(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _groups_row_by_row(formula: Formula, table: Table, indices: list[int], cli_raw: dict[str, Any],
                       outcome: Outcome) -> list[Group]:
    """Parse rows one by one (errors per row), then group the good ones by number of axes."""
    by_ndim: dict[int, tuple[list[int], list[dict[str, Any]]]] = {}
    per_axis = [p.dest for p in formula.params if p.kind.per_axis]
    memo: dict = {}
    for index in indices:
        try:
            values = convert_options(formula, _with_defaults(cli_raw, table.rows[index]), memo=memo)
            single = {dest: len(values[dest]) == 1 for dest in per_axis}
            ndim = broadcast_axes(formula, values)
            values.update({_SINGLE + dest: flag for dest, flag in single.items()})
        except DlcalcError as err:
            outcome.errors[index] = err.message
            continue
        if _needs_exact(values):
            _evaluate_alone(formula, outcome, index, _with_defaults(cli_raw, table.rows[index]))
            continue
        rows, stacked = by_ndim.setdefault(ndim, ([], []))
        rows.append(index)
        stacked.append(values)
    return [_group(np.array(rows), values, formula, ndim) for ndim, (rows, values) in by_ndim.items()]


_SINGLE = "\0single:"  # a row's note that a per-axis value was given as one value


def _group(rows: np.ndarray, values_per_row: list[dict[str, Any]], formula: Formula, ndim: int) -> Group:
    single = {p.dest: np.array([v[_SINGLE + p.dest] for v in values_per_row]) for p in formula.params if p.kind.per_axis}
    return Group(rows, _stack(values_per_row, formula), ndim, single=single)


def _needs_exact(values: dict[str, Any]) -> bool:
    """A Python integer that an int64 array could not hold exactly."""
    for value in values.values():
        for v in value if isinstance(value, tuple) else (value,):
            if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= EXACT_LIMIT:
                return True
    return False


def _stack(values_per_row: list[dict[str, Any]], formula: Formula) -> dict[str, Any]:
    stacked: dict[str, Any] = {}
    for param in formula.params:
        column = [v[param.dest] for v in values_per_row]
        if param.kind.per_axis:
            stacked[param.dest] = tuple(np.array([row[a] for row in column]) for a in range(len(column[0])))
        else:
            stacked[param.dest] = np.array(column)
    return stacked


def checked_column(param: Param, column: np.ndarray, rows: np.ndarray, errors: dict[int, str]) -> np.ndarray:
    """Mark the rows whose cell is out of bounds or not a whole number for an integer option."""
    bad = np.zeros(len(column), dtype=bool)
    if param.minimum is not None:
        bad |= column < param.minimum
    if param.maximum is not None:
        bad |= column > param.maximum
    if param.kind is not FLOAT and column.dtype.kind == "f":
        bad |= column != np.floor(column)
    for position in np.flatnonzero(bad):
        try:  # the single-call parser gives the message
            param.convert(_number_text(column[position].item()))
        except DlcalcError as err:
            errors.setdefault(int(rows[position]), err.message)
    return column if param.kind is FLOAT else column.astype(np.int64)


def _numeric_group(formula: Formula, table: Table, cli_raw: dict[str, Any], outcome: Outcome) -> Group:
    block = table.numeric
    preset = {}
    for position, param in enumerate(table.params):
        column = checked_column(param, block.cells[:, position], block.rows, outcome.errors)
        preset[param.dest] = (column,) if param.kind.per_axis else column
    defaults = {k: v for k, v in cli_raw.items() if v is not None and k not in {p.name for p in table.params}}
    values = convert_options(formula, defaults, preset)
    single = {p.dest: len(values[p.dest]) == 1 for p in formula.params if p.kind.per_axis}
    ndim = broadcast_axes(formula, values)
    return Group(block.rows, values, ndim, single=single)


def _evaluate_group(formula: Formula, group: Group, table: Table, cli_raw: dict[str, Any], outcome: Outcome) -> None:
    """All rows of a group at once; rows the arrays cannot be trusted with are computed alone."""
    try:
        with np.errstate(all="ignore"):
            group.outputs = guarded(formula, lambda: _group_outputs(formula, group, outcome.errors))
    except DlcalcError:  # an arithmetic failure somewhere in the group: each row on its own
        group.outputs = []
    if not group.outputs or any(isinstance(o, Result) for o in group.outputs):
        alone = [int(i) for i in group.rows if int(i) not in outcome.errors]
        group.rows = np.array([], dtype=np.int64)
        group.outputs = []
        for index in alone:
            _evaluate_alone(formula, outcome, index, _raw_of_row(table, index, cli_raw))
        return
    untrusted = _untrusted_rows(formula, group)
    for position in np.flatnonzero(untrusted):
        index = int(group.rows[position])
        if index not in outcome.errors:
            _evaluate_alone(formula, outcome, index, _raw_of_row(table, index, cli_raw))
    _refuse_non_finite_rows(formula, group, outcome)


def _group_outputs(formula: Formula, group: Group, errors: dict[int, str]) -> list[Any]:
    calls = argument_sets(formula, group.values, group.ndim)
    failed = np.isin(group.rows, list(errors))  # rows already refused are not checked again
    # Rows with bad values (a zero stride) are computed too and their values dropped.
    for axis, args in calls:
        for broken, says in broken_rules(formula, args):
            mask = np.broadcast_to(np.asarray(broken, dtype=bool), failed.shape) & ~failed
            for position in np.flatnonzero(mask):
                message = axis_prefix(axis, group.ndim) + says(**{k: _pick(v, position) for k, v in args.items()})
                errors.setdefault(int(group.rows[position]), message)
            failed |= mask
    return [formula.compute(**args) for _, args in calls]


def _untrusted_rows(formula: Formula, group: Group) -> np.ndarray:
    """Rows whose integer result 64-bit arithmetic may have wrapped: the same formula in float64
    must agree with it, and stay below EXACT_LIMIT."""
    count = len(group.rows)
    untrusted = np.zeros(count, dtype=bool)
    integer = [o for o in group.outputs if isinstance(o, np.ndarray) and o.dtype.kind in "iu"]
    if not integer or count == 0:
        return untrusted
    as_float = {k: _as_float(v) for k, v in group.values.items()}
    with np.errstate(all="ignore"):
        shadow = [formula.compute(**args) for _, args in argument_sets(formula, as_float, group.ndim)]
    for exact, approximate in zip(group.outputs, shadow):
        if not (isinstance(exact, np.ndarray) and exact.dtype.kind in "iu"):
            continue
        exact = np.broadcast_to(exact, (count,)).astype(np.float64)
        approximate = np.broadcast_to(np.asarray(approximate, dtype=np.float64), (count,))
        untrusted |= ~(np.abs(approximate) < EXACT_LIMIT) | (np.abs(exact - approximate) > 1e-6 * np.abs(approximate) + 1)
    return untrusted


def _as_float(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_as_float(v) for v in value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "iu":
        return value.astype(np.float64)
    return value


def _refuse_non_finite_rows(formula: Formula, group: Group, outcome: Outcome) -> None:
    floats = [o for o in group.outputs if isinstance(o, np.ndarray) and o.dtype.kind == "f"]
    if not floats:
        return
    count = len(group.rows)
    bad = np.zeros(count, dtype=bool)
    for output in floats:
        values = np.broadcast_to(output, (count,))
        bad |= np.isnan(values) if formula.infinite_ok else ~np.isfinite(values)
    for position in np.flatnonzero(bad):
        index = int(group.rows[position])
        if index not in outcome.errors and index not in outcome.results:
            try:
                refuse_non_finite(formula, [_pick(o, position) for o in group.outputs])
            except DlcalcError as err:
                outcome.errors[index] = err.message


def _pick(value: Any, row: int) -> Any:
    """One row's entry of a value: arrays are indexed, tuples (per axis) entry by entry."""
    if isinstance(value, tuple):
        return tuple(_pick(v, row) for v in value)
    if isinstance(value, np.ndarray):
        return value[row].item() if value.ndim else value.item()
    return value


def in_group(outcome: Outcome) -> np.ndarray:
    """For each row, whether its answer is read from a group (not an error, not a Result)."""
    mask = np.zeros(outcome.count, dtype=bool)
    for group in outcome.groups:
        mask[group.rows] = True
    mask[list(outcome.errors)] = False
    mask[list(outcome.results)] = False
    return mask
