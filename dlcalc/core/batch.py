"""Batch mode: one output per input row of a CSV, TSV or JSON Lines file, evaluated with NumPy.

Rows are parsed into columns, grouped by their number of axes, and each group is evaluated at
once: the formulas are written with arithmetic that works on NumPy arrays as on numbers, and the
same rules that guard a single call are evaluated as boolean masks over rows. A bad row keeps its
place (an empty line, or ``{"line": N, "error": ...}`` in JSON) and makes the exit status 1.

A plain numeric CSV/TSV takes a fast route: NumPy parses the whole body in one call.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlcalc.core.errors import DlcalcError, ExitCode
from dlcalc.core.evaluate import (
    argument_sets,
    axis_prefix,
    broadcast_axes,
    broken_rules,
    convert_options,
    display_input,
    evaluate,
)
from dlcalc.core.registry import AXES, FLOAT, INT, PADDING, Formula, Param
from dlcalc.render.format import format_integers
from dlcalc.render.output import dumps, plain_value, to_json
from dlcalc.core.result import Result

_NUMERIC_KINDS = (INT, AXES, FLOAT, PADDING)


@dataclass
class Table:
    """Rows of a batch file: column -> Param, and per row its line number and raw cells."""

    params: list[Param]
    lines: list[int] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)  # Param.name -> raw cell
    bad: dict[int, str] = field(default_factory=dict)  # row index -> why it could not be read


def read_source(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        with open(source, "rb") as handle:
            return handle.read()
    except OSError as err:
        raise DlcalcError(f"--batch: cannot read {source}: {err.strerror}") from None


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DlcalcError("--batch: the file is not UTF-8 text") from None


def _columns_to_params(formula: Formula, names: list[str]) -> list[Param]:
    params = []
    for name in names:
        param = formula.lookup_option(name.strip())
        if param is None:
            known = ", ".join(p.name for p in formula.params)
            raise DlcalcError(f"--batch: unknown column {name.strip()!r} (columns are option names: {known})")
        params.append(param)
    return params


def _delimiter(header: str) -> str:
    return "\t" if "\t" in header else ","


def read_delimited(formula: Formula, text: str) -> Table:
    lines = text.splitlines()
    header_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_index is None:
        raise DlcalcError("--batch: the input is empty")
    delimiter = _delimiter(lines[header_index])
    reader = csv.reader(io.StringIO("\n".join(lines[header_index:])), delimiter=delimiter)
    names = next(reader)
    table = Table(_columns_to_params(formula, names))
    for offset, cells in enumerate(reader, start=header_index + 2):
        if not any(cell.strip() for cell in cells):
            continue
        table.lines.append(offset)
        if len(cells) != len(names):
            table.bad[len(table.rows)] = f"expected {len(names)} fields, got {len(cells)}"
            table.rows.append({})
            continue
        table.rows.append({p.name: cell for p, cell in zip(table.params, cells) if cell.strip()})
    return table


def read_json_lines(formula: Formula, text: str) -> Table:
    table = Table([])
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        table.lines.append(number)
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
            row = {}
            for name, value in record.items():
                params = _columns_to_params(formula, [name])
                if value is not None:
                    row[params[0].name] = value
            table.rows.append(row)
        except ValueError as err:
            message = err.message if isinstance(err, DlcalcError) else f"invalid JSON: {err}"
            table.bad[len(table.rows)] = message.removeprefix("--batch: ")
            table.rows.append({})
    return table


def read_table(formula: Formula, text: str) -> Table:
    if text.lstrip().startswith("{"):
        return read_json_lines(formula, text)
    return read_delimited(formula, text)


# ---- the fast route: a numeric CSV/TSV parsed by NumPy in one call ---------------------------


def fast_columns(formula: Formula, data: bytes) -> tuple[list[Param], np.ndarray] | None:
    """(params, 2-D array) for a plain numeric file with one number per cell, else None."""
    if b'"' in data or b"\r" in data or data.startswith(b"\xef\xbb\xbf"):
        return None
    header, _, body = data.partition(b"\n")
    try:
        header_text = header.decode("ascii")
    except UnicodeDecodeError:
        return None
    delimiter = _delimiter(header_text)
    try:
        params = _columns_to_params(formula, header_text.split(delimiter))
    except DlcalcError:
        return None
    if any(p.kind not in _NUMERIC_KINDS or p.multiple for p in params) or not body:
        return None
    if not body.endswith(b"\n"):
        body += b"\n"
    rows, separator = body.count(b"\n"), delimiter.encode()
    if b"\n\n" in body or body.count(separator) != rows * (len(params) - 1):
        return None
    dtype = np.float64 if FLOAT in (p.kind for p in params) else np.int64
    # With the line ends replaced by the delimiter, the body is one flat list of numbers.
    try:
        flat = np.fromstring(body.replace(b"\n", separator), dtype=dtype, sep=delimiter)  # noqa: NPY201
    except ValueError:  # a cell that is not a number: the general route reads it
        return None
    if flat.size != rows * len(params):
        return None
    # The counts agree; also make sure each line holds exactly one row (no ragged lines).
    characters = np.frombuffer(body, np.uint8)
    separators = characters[(characters == ord("\n")) | (characters == ord(delimiter))]
    if not (separators.reshape(rows, len(params))[:, -1] == ord("\n")).all():
        return None
    return params, flat.reshape(rows, len(params))


# ---- evaluation over rows ----------------------------------------------------------------------


def _defaults(formula: Formula, cli_raw: dict[str, Any], columns: set[str]) -> dict[str, Any]:
    """Options given on the command line fill the columns the file does not have."""
    return {name: value for name, value in cli_raw.items() if value is not None and name not in columns}


def _pick(value: Any, row: int) -> Any:
    """One row's entry of a value: arrays are indexed, tuples (per axis) entry by entry."""
    if isinstance(value, tuple):
        return tuple(_pick(v, row) for v in value)
    if isinstance(value, np.ndarray):
        return value[row].item()
    return value


def _row_args(args: dict[str, Any], row: int) -> dict[str, Any]:
    return {k: _pick(v, row) for k, v in args.items()}


@dataclass
class Group:
    """Rows with the same number of axes, their values stacked as arrays."""

    rows: np.ndarray  # indices into the table
    values: dict[str, Any]
    ndim: int


def evaluate_group(formula: Formula, group: Group, errors: dict[int, str]) -> list[Any]:
    """Evaluate all rows of a group at once; rows that break a rule are put in ``errors``."""
    calls = argument_sets(formula, group.values, group.ndim)
    failed = np.isin(group.rows, list(errors))  # rows already refused are not checked again
    # Rows with bad values (a zero stride) are computed too and their values dropped.
    with np.errstate(all="ignore"):
        for axis, args in calls:
            for broken, says in broken_rules(formula, args):
                mask = np.broadcast_to(np.asarray(broken, dtype=bool), failed.shape) & ~failed
                for position in np.flatnonzero(mask):
                    message = axis_prefix(axis, group.ndim) + says(**_row_args(args, position))
                    errors.setdefault(int(group.rows[position]), message)
                failed |= mask
        return [formula.compute(**args) for _, args in calls]


def _stack(values_per_row: list[dict[str, Any]], formula: Formula) -> dict[str, Any]:
    stacked: dict[str, Any] = {}
    for param in formula.params:
        column = [v[param.dest] for v in values_per_row]
        if param.kind.per_axis:
            stacked[param.dest] = tuple(np.array([row[a] for row in column]) for a in range(len(column[0])))
        else:
            stacked[param.dest] = np.array(column)
    return stacked


def groups_from_table(formula: Formula, table: Table, cli_raw: dict[str, Any], errors: dict[int, str]) -> list[Group]:
    """Parse every row (errors per row), then group the good ones by number of axes."""
    by_ndim: dict[int, tuple[list[int], list[dict[str, Any]]]] = {}
    for index, row in enumerate(table.rows):
        if index in table.bad:
            errors[index] = table.bad[index]
            continue
        try:
            values = convert_options(formula, {**_defaults(formula, cli_raw, set(row)), **row})
            ndim = broadcast_axes(formula, values)
        except DlcalcError as err:
            errors[index] = err.message
            continue
        indices, rows = by_ndim.setdefault(ndim, ([], []))
        indices.append(index)
        rows.append(values)
    return [Group(np.array(indices), _stack(rows, formula), ndim) for ndim, (indices, rows) in by_ndim.items()]


def _checked_column(param: Param, column: np.ndarray, errors: dict[int, str]) -> np.ndarray:
    """Mark the rows whose cell is out of bounds or not a whole number for an integer option."""
    bad = np.zeros(len(column), dtype=bool)
    if param.minimum is not None:
        bad |= column < param.minimum
    if param.maximum is not None:
        bad |= column > param.maximum
    if param.kind is not FLOAT and column.dtype.kind == "f":
        bad |= column != np.floor(column)
    for row in np.flatnonzero(bad):
        value = column[row].item()
        text = str(int(value)) if float(value).is_integer() else plain_value(value)
        try:  # the single-call parser gives the message
            param.convert(text)
        except DlcalcError as err:
            errors.setdefault(int(row), err.message)
    return column if param.kind is FLOAT else column.astype(np.int64)


def fast_group(formula: Formula, params: list[Param], cells: np.ndarray, cli_raw: dict[str, Any], errors: dict[int, str]) -> list[Group]:
    preset = {}
    for position, param in enumerate(params):
        column = _checked_column(param, cells[:, position], errors)
        preset[param.dest] = (column,) if param.kind.per_axis else column
    values = convert_options(formula, _defaults(formula, cli_raw, {p.name for p in params}), preset)
    ndim = broadcast_axes(formula, values)
    return [Group(np.arange(len(cells)), values, ndim)]


# ---- output --------------------------------------------------------------------------------


def _plain_lines(formula: Formula, group: Group, outputs: list[Any], count: int) -> list[str]:
    if formula.present is None and all(isinstance(o, np.ndarray) and o.ndim == 1 for o in outputs):
        per_axis = [np.broadcast_to(o, (count,)).tolist() for o in outputs]
        if len(per_axis) == 1:
            return list(map(plain_value, per_axis[0])) if outputs[0].dtype.kind == "f" else list(map(str, per_axis[0]))
        return [",".join(map(plain_value, values)) for values in zip(*per_axis)]
    return [plain_value(v) for v in _row_values(formula, group, outputs, count)]


def _row_values(formula: Formula, group: Group, outputs: list[Any], count: int) -> list[Any]:
    rows = []
    for position in range(count):
        shown = [_pick(o, position) for o in outputs]
        if formula.present:
            shown = [formula.present(v) for v in shown]
        rows.append(shown if formula.elementwise and group.ndim > 1 else shown[0])
    return rows


def _inputs(formula: Formula, group: Group, position: int) -> dict[str, Any]:
    values = _row_args(group.values, position)
    return {p.name: display_input(p, values[p.dest]) for p in formula.params}


def run_batch(formula: Formula, cli_raw: dict[str, Any], source: str, *, json_mode: bool) -> ExitCode:
    data = read_source(source)
    errors: dict[int, str] = {}
    if not formula.vectorised:
        return _run_rows(formula, cli_raw, read_table(formula, decode(data)), json_mode=json_mode)

    fast = None if json_mode else fast_columns(formula, data)
    if fast is not None:
        params, cells = fast
        count, lines = len(cells), None
        groups = fast_group(formula, params, cells, cli_raw, errors)
    else:
        table = read_table(formula, decode(data))
        count, lines = len(table.rows), table.lines
        groups = groups_from_table(formula, table, cli_raw, errors)

    evaluated = [(group, evaluate_group(formula, group, errors)) for group in groups]
    if any(isinstance(output, Result) for _, outputs in evaluated for output in outputs):
        # structured output (a table, a claim) cannot be split by row: evaluate row by row
        return _run_rows(formula, cli_raw, read_table(formula, decode(data)), json_mode=json_mode)
    payload = None if json_mode else _integer_payload(formula, evaluated, count, errors)
    if payload is not None:
        return _finish(payload, errors, lines, json_mode=False)
    out: list[str] = [""] * count
    for group, outputs in evaluated:
        size = len(group.rows)
        if json_mode:
            values = _row_values(formula, group, outputs, size)
            rendered = [
                dumps({"formula": formula.name, "inputs": _inputs(formula, group, i), "result": values[i]})
                for i in range(size)
            ]
        else:
            rendered = _plain_lines(formula, group, outputs, size)
        for position, row in enumerate(group.rows.tolist()):
            out[row] = rendered[position]
    return _finish(out, errors, lines, json_mode=json_mode)


def _integer_payload(formula: Formula, evaluated: list, count: int, errors: dict[int, str]) -> bytes | None:
    """The common large case, one integer per row in one group: printed without a Python loop."""
    if len(evaluated) != 1 or formula.present is not None:
        return None
    group, outputs = evaluated[0]
    if len(group.rows) != count or len(outputs) != 1:
        return None
    values = np.broadcast_to(outputs[0], (count,))
    if values.dtype.kind not in "iu":
        return None
    blank = np.zeros(count, dtype=bool)
    blank[list(errors)] = True
    return format_integers(values, blank)


def _run_rows(formula: Formula, cli_raw: dict[str, Any], table: Table, *, json_mode: bool) -> ExitCode:
    """Row by row, for formulas whose inputs are structured text (a layer list, ...)."""
    out, errors, refuted = [], {}, False
    for index, row in enumerate(table.rows):
        try:
            if index in table.bad:
                raise DlcalcError(table.bad[index])
            result = evaluate(formula, {**_defaults(formula, cli_raw, set(row)), **row})
            out.append(dumps(to_json(result)) if json_mode else (result.plain or plain_value(result.value)))
            refuted |= result.exit_code == ExitCode.REFUTED
        except DlcalcError as err:
            errors[index] = err.message
            out.append("")
    code = _finish(out, errors, table.lines, json_mode=json_mode)
    return ExitCode.REFUTED if refuted else code  # a refuted claim in any row, like a failed row


def _finish(out: list[str] | bytes, errors: dict[int, str], lines: list[int] | None, *, json_mode: bool) -> ExitCode:
    """Write the rows in order, then report the bad ones on stderr with their line numbers."""
    reports = []
    for index in sorted(errors):
        line = lines[index] if lines is not None else index + 2  # the fast route has no blank lines
        reports.append(f"dlcalc: error: line {line}: {errors[index]}\n")
        if isinstance(out, list):
            out[index] = dumps({"line": line, "error": errors[index]}) if json_mode else ""
    payload = out if isinstance(out, bytes) else "".join(line + "\n" for line in out).encode()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (an embedding program, the test runner)
        sys.stdout.write(payload.decode())
    else:
        sys.stdout.flush()
        buffer.write(payload)
    sys.stdout.flush()
    sys.stderr.write("".join(reports))
    return ExitCode.REFUTED if errors else ExitCode.OK
