"""Exit codes and the one exception type that means "the user's input is wrong"."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0  # computed, or the claim holds
    REFUTED = 1  # a claim was refuted, or a batch row failed
    USAGE = 2  # bad input or usage
    INTERNAL = 70  # a bug in dlcalc (EX_SOFTWARE); only with --debug is the traceback shown


class DlcalcError(ValueError):
    """Bad input. The message is shown to the user as one line: ``dlcalc: error: <message>``.

    Messages about one option start with its name (``--S: must be at least 1, got 0``)."""

    @property
    def message(self) -> str:
        return str(self.args[0])
