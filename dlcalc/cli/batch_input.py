"""Batch mode, input: read a CSV, TSV or JSON Lines file into a Table of rows (dlcalc.core.batch).

Rows are numbered by physical line (a line ends at "\\n" only; a form feed or U+2028 inside a line
does not end it, and a quoted newline in a CSV cell keeps the line where its row started), the
same in every mode. A row that cannot be read is that row's error.

For a vectorised formula whose columns are all numbers, the lines that are plainly numbers (an
integer of at most 15 digits, or a decimal number) are parsed by NumPy in one call, whatever the
other lines hold; the rest are read one by one.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import re
import sys
from typing import Any

from dlcalc.core.batch import NUMERIC_KINDS, NumericBlock, Table, columns_to_params
from dlcalc.core.errors import DlcalcError, quote
from dlcalc.core.registry import FLOAT, Formula, Param

MAX_CELL = 1_000_000  # characters in one cell (or one JSON line)
MAX_INPUT = 2**31  # bytes of one batch file

_INTEGER = r"[+-]?\d{1,15}"  # exact in int64 and in float64
_DECIMAL = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,2})?"  # finite in float64


def read_batch(formula: Formula, source: str) -> Table:
    text = decode(read_source(source))
    if text.lstrip().startswith("{"):
        return read_json_lines(formula, text)
    return read_delimited(formula, text)


def read_source(source: str) -> bytes:
    if source == "-":
        if sys.stdin is None:
            raise OSError(errno.EBADF, "standard input is closed")
        return sys.stdin.buffer.read(MAX_INPUT + 1)
    try:
        with open(source, "rb") as handle:
            data = handle.read(MAX_INPUT + 1)
    except OSError as err:
        raise DlcalcError(f"--batch: cannot read {source}: {err.strerror}") from None
    if len(data) > MAX_INPUT:
        raise DlcalcError(f"--batch: the input is larger than {MAX_INPUT:,} bytes; split it")
    return data


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DlcalcError("--batch: the file is not UTF-8 text") from None


# ---- CSV and TSV ------------------------------------------------------------------------------


def _delimiter(header: str) -> str:
    return "\t" if "\t" in header else ","


def read_delimited(formula: Formula, text: str) -> Table:
    lines = text.split("\n")
    if "\r" in text:
        lines = [line.removesuffix("\r") for line in lines]
    header_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_index is None:
        raise DlcalcError("--batch: the input is empty")
    if '"' in text:
        return _read_quoted(formula, text, header_index)
    delimiter = _delimiter(lines[header_index])
    names = lines[header_index].split(delimiter)
    table = Table(columns_to_params(formula, names))
    body = lines[header_index + 1:]
    first_line = header_index + 2
    if _numeric_block_fits(formula, table.params):
        return _with_numeric_block(table, body, first_line, delimiter)
    for number, line in enumerate(body, start=first_line):
        if line.strip():
            _add_row(table, number, line.split(delimiter))
    return table


def _add_row(table: Table, line: int, cells: list[str]) -> None:
    index = len(table.lines)
    table.lines.append(line)
    table.rows[index] = {}
    if len(cells) != len(table.params):
        table.bad[index] = f"expected {len(table.params)} fields, got {len(cells)}"
    elif (longest := max(map(len, cells))) > MAX_CELL:
        table.bad[index] = f"a cell of {longest:,} characters (at most {MAX_CELL:,})"
    else:
        table.rows[index] = {p.name: cell for p, cell in zip(table.params, cells) if cell.strip()}


def _read_quoted(formula: Formula, text: str, header_index: int) -> Table:
    """A file with quoted cells (per-axis values, newlines in cells): Python's csv reader, row by row."""
    csv.field_size_limit(MAX_CELL * 2)
    body = text.split("\n", header_index)[-1]
    delimiter = _delimiter(body.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    table: Table | None = None
    previous_end = header_index
    while True:
        start = previous_end + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            if table is None:
                raise DlcalcError(f"--batch: cannot read the header: {err}") from None
            index = len(table.lines)
            table.lines.append(start)
            table.rows[index] = {}
            table.bad[index] = f"cannot read the row: {err}"
            previous_end = header_index + reader.line_num
            continue
        previous_end = header_index + reader.line_num
        if table is None:
            table = Table(columns_to_params(formula, cells))
        elif any(cell.strip() for cell in cells):
            _add_row(table, start, cells)
    return table


# ---- the numeric block -------------------------------------------------------------------------


def _numeric_block_fits(formula: Formula, params: list[Param]) -> bool:
    return formula.vectorised and bool(params) and all(p.kind in NUMERIC_KINDS and not p.multiple for p in params)


def _with_numeric_block(table: Table, body: list[str], first_line: int, delimiter: str) -> Table:
    import numpy as np

    cell = {p.name: (_DECIMAL if p.kind is FLOAT else _INTEGER) for p in table.params}
    row = re.escape(delimiter).join(f"(?:{cell[p.name]})" for p in table.params)
    while body and not body[-1]:
        body = body[:-1]
    text = "\n".join(body)
    if re.fullmatch(f"(?:{row}\n)*{row}", text):  # the common case: every line is plain numbers
        numeric_rows = np.arange(len(body))
        table.lines = list(range(first_line, first_line + len(body)))
    else:
        numeric_rows, text = _split_plain_lines(table, body, first_line, delimiter, re.compile(row).fullmatch)
    if len(numeric_rows):
        dtype = np.float64 if any(p.kind is FLOAT for p in table.params) else np.int64
        flat = _parse_numbers(text, delimiter, dtype)
        table.numeric = NumericBlock(numeric_rows, flat.reshape(len(numeric_rows), len(table.params)))
    return table


def _split_plain_lines(table: Table, body: list[str], first_line: int, delimiter: str, plain_row: Any) -> tuple[Any, str]:
    """Rows of plain numbers go to the numeric block, others are read one by one."""
    import numpy as np

    numeric_rows: list[int] = []
    numeric_text: list[str] = []
    for number, line in enumerate(body, start=first_line):
        if plain_row(line):
            numeric_rows.append(len(table.lines))
            numeric_text.append(line)
            table.lines.append(number)
        elif line.strip():
            _add_row(table, number, line.split(delimiter))
    return np.array(numeric_rows, dtype=np.int64), "\n".join(numeric_text)


def _parse_numbers(text: str, delimiter: str, dtype: Any) -> Any:
    """The numbers of lines that all match the plain-row pattern, in one NumPy call."""
    import numpy as np

    return np.fromstring(text.replace("\n", delimiter), dtype=dtype, sep=delimiter)  # noqa: NPY201


# ---- JSON Lines --------------------------------------------------------------------------------


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for key, value in pairs:
        if key in record:
            raise DlcalcError(f"key {quote(key)} is repeated")
        record[key] = value
    return record


def read_json_lines(formula: Formula, text: str) -> Table:
    table = Table(list(formula.params))
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        index = len(table.lines)
        table.lines.append(number)
        table.rows[index] = {}
        try:
            table.rows[index] = _json_row(formula, line)
        except DlcalcError as err:
            table.bad[index] = err.message.removeprefix("--batch: ")
    return table


def _json_row(formula: Formula, line: str) -> dict[str, Any]:
    if len(line) > MAX_CELL:
        raise DlcalcError(f"a line of {len(line):,} characters (at most {MAX_CELL:,})")
    try:
        record = json.loads(line, object_pairs_hook=_unique_keys)
    except DlcalcError:
        raise
    except RecursionError:
        raise DlcalcError("invalid JSON: nested too deeply") from None
    except ValueError as err:
        raise DlcalcError(f"invalid JSON: {err}") from None
    if not isinstance(record, dict):
        raise DlcalcError("invalid JSON: not a JSON object")
    params = columns_to_params(formula, list(record))
    return {param.name: value for param, value in zip(params, record.values()) if value is not None}
