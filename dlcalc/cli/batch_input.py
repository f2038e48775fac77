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

from dlcalc.core.batch import EXACT_LIMIT, NUMERIC_KINDS, NumericBlock, Table, columns_to_params
from dlcalc.core.errors import QUOTE_LIMIT, DlcalcError, quote
from dlcalc.core.registry import FLOAT, Formula, Param

MAX_CELL = 1_000_000  # characters in one cell (or one JSON line)
MAX_INPUT = 2**31  # bytes of one batch file

# ASCII digits only: Python's int() reads other scripts' digits ("٣٢"), NumPy's parser does not.
_INTEGER = r"[+-]?[0-9]{1,15}"  # exact in int64 and in float64
_DECIMAL = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,2})?"  # finite in float64


def read_batch(formula: Formula, source: str) -> Table:
    data = read_source(source)
    table = _all_plain_numbers(formula, data)
    if table is not None:
        return table
    text = decode(data)
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
        name = source if len(source) <= QUOTE_LIMIT else quote(source)  # a long name is cut short
        raise DlcalcError(f"--batch: cannot read {name}: {err.strerror}") from None
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


def _add_row(table: Table, line: int, cells: list[str], index: int | None = None) -> None:
    """Add a row read one by one (``index`` given: its line is already numbered)."""
    if index is None:
        index = len(table.lines)
        table.lines.append(line)
    table.rows[index] = {}
    if len(cells) != len(table.params):
        table.bad[index] = f"expected {len(table.params)} fields, got {len(cells)}"
    elif sum(map(len, cells)) > MAX_CELL and (longest := max(map(len, cells))) > MAX_CELL:
        table.bad[index] = f"a cell of {longest:,} characters (at most {MAX_CELL:,})"
    else:
        table.rows[index] = {p.name: cell for p, cell in zip(table.params, cells) if cell.strip()}


def _read_quoted(formula: Formula, text: str, header_index: int) -> Table:
    """A file with quoted cells (per-axis values, newlines in cells): Python's csv reader, row by row."""
    csv.field_size_limit(MAX_CELL * 2)
    body = text.split("\n", header_index)[-1]
    delimiter = _delimiter(body.split("\n", 1)[0])
    # Lines end at "\n" only (newline="\n"): csv's own reading would also end one at a bare "\r".
    reader = csv.reader(io.StringIO(body, newline="\n"), delimiter=delimiter)
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
            table.bad[index] = f"cannot read the row: {_csv_reason(err)}"
            previous_end = header_index + reader.line_num
            continue
        previous_end = header_index + reader.line_num
        if table is None:
            table = Table(columns_to_params(formula, cells))
        elif any(cell.strip() for cell in cells):
            _add_row(table, start, cells)
    return table


def _csv_reason(err: csv.Error) -> str:
    if "new-line character seen in unquoted field" in str(err):
        return "a carriage return (\\r) inside a cell that is not quoted"
    return str(err)


# ---- the numeric block -------------------------------------------------------------------------


def _numeric_block_fits(formula: Formula, params: list[Param]) -> bool:
    return formula.vectorised and bool(params) and all(p.kind in NUMERIC_KINDS and not p.multiple for p in params)


def _with_numeric_block(table: Table, body: list[str], first_line: int, delimiter: str) -> Table:
    """Lines of plain numbers go to the numeric block (one NumPy call), the others are read one by
    one. The odd lines are found by one regular-expression scan, without a Python loop per line."""
    import numpy as np

    cell = {p.name: (_DECIMAL if p.kind is FLOAT else _INTEGER) for p in table.params}
    row = re.escape(delimiter).join(f"(?:{cell[p.name]})" for p in table.params)
    text = "\n".join(body)
    odd = list(re.finditer(f"^(?!(?:{row})$).*$", text, re.M))
    odd_line, position, count = [], 0, 0
    for match in odd:
        count += text.count("\n", position, match.start())
        position = match.start()
        odd_line.append(count)
    is_odd = np.zeros(len(body), dtype=bool)
    is_odd[odd_line] = True
    blank = np.zeros(len(body), dtype=bool)
    blank[[line for line, match in zip(odd_line, odd) if not match.group().strip()]] = True
    row_of_line = np.cumsum(~blank) - 1
    table.lines = (np.flatnonzero(~blank) + first_line).tolist()
    for line, match in zip(odd_line, odd):
        if not blank[line]:
            _add_row(table, line + first_line, match.group().split(delimiter), int(row_of_line[line]))
    numeric_rows = row_of_line[~is_odd]
    if len(numeric_rows):
        pieces, start = [], 0
        for match in odd:
            pieces.append(text[start:match.start()])
            start = match.end() + 1
        pieces.append(text[start:])
        numbers = "".join(pieces).strip("\n")
        flat = _parse_numbers(numbers, delimiter, _dtype(table.params))
        table.numeric = NumericBlock(numeric_rows, flat.reshape(len(numeric_rows), len(table.params)))
    return table


def _dtype(params: list[Param]) -> Any:
    import numpy as np

    return np.float64 if any(p.kind is FLOAT for p in params) else np.int64


def _all_plain_numbers(formula: Formula, data: bytes) -> Table | None:
    """The common large case, a file of plain numbers only, read without a Python loop; else None.

    Every cell must parse, every line hold one row, every number be finite and every integer small
    enough to be exact in both int64 and float64 (larger ones are read line by line, exactly)."""
    import numpy as np

    if b'"' in data or b"\r" in data or data.startswith(b"\xef\xbb\xbf"):
        return None
    header, _, body = data.partition(b"\n")
    try:
        header_text = header.decode("ascii")
        params = columns_to_params(formula, header_text.split(_delimiter(header_text)))
    except (UnicodeDecodeError, DlcalcError):
        return None
    if not _numeric_block_fits(formula, params) or not body.strip():
        return None
    if any(p.kind is FLOAT for p in params) and not all(p.kind is FLOAT for p in params):
        return None  # NumPy would read "100.0" or "1e2" in an integer column: the pattern route refuses them
    body = body.rstrip(b"\n") + b"\n"
    separator = _delimiter(header_text).encode()
    rows = body.count(b"\n")
    if b"\n\n" in body or body.count(separator) != rows * (len(params) - 1):
        return None
    try:
        flat = _parse_numbers(body, separator.decode(), _dtype(params))
    except ValueError:
        return None
    if flat.size != rows * len(params):
        return None
    cells = flat.reshape(rows, len(params))
    if cells.dtype.kind == "f" and not np.isfinite(cells).all():
        return None
    for column, param in enumerate(params):  # an integer must be exact: larger ones are read one by one
        if param.kind is not FLOAT and (np.abs(cells[:, column]) >= EXACT_LIMIT).any():
            return None
    # The counts agree; also make sure each line holds exactly one row (no ragged lines).
    characters = np.frombuffer(body, np.uint8)
    separators = characters[(characters == ord("\n")) | (characters == ord(separator))]
    if not (separators.reshape(rows, len(params))[:, -1] == ord("\n")).all():
        return None
    return Table(params, lines=range(2, rows + 2), numeric=NumericBlock(np.arange(rows), cells))


def _parse_numbers(text: str | bytes, delimiter: str, dtype: Any) -> Any:
    """The numbers of lines that all match the plain-row pattern, in one NumPy call."""
    import numpy as np

    if isinstance(text, bytes):
        flat = text.replace(b"\n", delimiter.encode())
    else:
        flat = text.replace("\n", delimiter).encode()
    return np.fromstring(flat, dtype=dtype, sep=delimiter)  # noqa: NPY201


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
