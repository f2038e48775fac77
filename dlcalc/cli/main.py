"""Entry point: ``dlcalc`` and ``python -m dlcalc``.

Errors reach the user as one line on stderr, ``dlcalc: error: ...``, with exit 2 for bad input;
a traceback only with --debug.
"""

from __future__ import annotations

import os
import sys
import warnings

from dlcalc.core.errors import DlcalcError, ExitCode


def _error(message: str) -> None:
    sys.stderr.write(f"dlcalc: error: {message}\n")


def dispatch(args: list[str]) -> int:
    """Run one command line and return its exit status (raises DlcalcError for bad input)."""
    from dlcalc.cli.fastpath import try_fast_path

    code = try_fast_path(args)
    if code is not None:
        return code
    from dlcalc.cli.app import run_app

    return run_app(args)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        from dlcalc import __version__

        print(f"dlcalc {__version__}")
        sys.exit(ExitCode.OK)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    if not debug:  # NumPy's floating-point warnings are not for users; a NaN result is an error
        warnings.filterwarnings("ignore", category=RuntimeWarning)
    try:
        code = dispatch(args)
        sys.stdout.flush()
    except DlcalcError as err:
        _error(err.message)
        code = ExitCode.USAGE
    except BrokenPipeError:
        # The reader went away (dlcalc ... | head): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = ExitCode.OK
    except KeyboardInterrupt:
        code = 130
    except Exception as err:  # a bug: say so in one line unless --debug
        if debug:
            raise
        _error(f"internal error: {type(err).__name__}: {err} (rerun with --debug for the traceback)")
        code = ExitCode.INTERNAL
    sys.exit(int(code))
