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

    ``param`` names the offending option (without dashes) when there is one, so that batch mode
    and the CLI can say which column or option is wrong.
    """

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param

    @property
    def message(self) -> str:
        text = str(self.args[0])
        if self.param and not text.startswith("--"):
            return f"--{self.param}: {text}"
        return text
