"""Exit codes, the one exception type that means "the user's input is wrong", and how a bad value
is quoted in a message (short, one line)."""

from __future__ import annotations

import enum
import re


class ExitCode(enum.IntEnum):
    OK = 0  # computed, or the claim holds
    REFUTED = 1  # a claim was refuted, or a batch row failed
    USAGE = 2  # bad input or usage
    INTERNAL = 70  # a bug in dlcalc (EX_SOFTWARE); only with --debug is the traceback shown
    IO_ERROR = 74  # the output or input could not be written or read: a full disk, a closed stream (EX_IOERR)
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)


class DlcalcError(ValueError):
    """Bad input. The message is shown to the user as one line: ``dlcalc: error: <message>``.

    Messages about one option start with its name (``--S: must be at least 1, got 0``)."""

    @property
    def message(self) -> str:
        return str(self.args[0])


QUOTE_LIMIT = 60  # characters of a bad value quoted in a message
MESSAGE_LIMIT = 400  # characters of a whole message: a message is always one short line
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(text: str) -> str:
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def quote(value: object) -> str:
    """A bad value as a message quotes it: at most QUOTE_LIMIT characters then …, control
    characters escaped, in quotes (``'abc'``, ``'1111111…' (5000 characters)``)."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= QUOTE_LIMIT:
        return repr(text) if isinstance(value, str) else _escape(text)
    shown = repr(text[:QUOTE_LIMIT])[:-1] + "…" + repr(text)[-1] if isinstance(value, str) else _escape(text[:QUOTE_LIMIT]) + "…"
    return f"{shown} ({len(text):,} characters)"


def one_line(message: str) -> str:
    """Any message made safe to print as one line: control characters escaped, length bounded."""
    message = _escape(message)
    return message if len(message) <= MESSAGE_LIMIT else message[:MESSAGE_LIMIT] + "…"
