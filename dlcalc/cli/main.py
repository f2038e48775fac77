"""Entry point: ``dlcalc`` and ``python -m dlcalc``.

Errors reach the user as one line on stderr, ``dlcalc: error: ...``: exit 2 for bad input, 74 when
the output cannot be written (a full disk, a closed stream, an encoding that cannot show it), 0 when
the reader of a pipe leaves early; a traceback only with --debug.
"""

from __future__ import annotations

import errno
import os
import sys
import warnings
from typing import Callable

from dlcalc.core.errors import DlcalcError, ExitCode
from dlcalc.render.output import write_error, write_stdout


def dispatch(args: list[str]) -> int:
    """Run one command line and return its exit status (raises DlcalcError for bad input)."""
    from dlcalc.cli.fastpath import try_fast_path

    code = try_fast_path(args)
    if code is not None:
        return code
    from dlcalc.cli.app import run_app

    return run_app(args)


def _discard_stdout() -> None:
    """Point file descriptor 1 at /dev/null so that the flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):  # no real descriptor (an embedding program, a test)
        pass


def _io_message(err: OSError) -> str:
    reason = err.strerror or str(err) or type(err).__name__
    return f"cannot write the output or read the input: {reason}"


def run(work: Callable[[], int], debug: bool) -> int:
    """Run ``work`` (a command line) and turn every way it can end into an exit status."""
    try:
        code = work()
        sys.stdout.flush()
    except DlcalcError as err:
        write_error(err.message)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except UnicodeEncodeError as err:
        _discard_stdout()
        write_error(f"the output cannot be written in the {err.encoding} encoding: set PYTHONIOENCODING=utf-8")
        return ExitCode.IO_ERROR
    except OSError as err:
        _discard_stdout()
        if isinstance(err, BrokenPipeError) or err.errno == errno.EPIPE:
            return ExitCode.OK  # the reader went away (dlcalc ... | head): not an error of ours
        write_error(_io_message(err))
        return ExitCode.IO_ERROR
    except Exception as err:  # a bug: say so in one line unless --debug
        if debug:
            raise
        write_error(f"internal error: {type(err).__name__}: {err} (rerun with --debug for the traceback)")
        return ExitCode.INTERNAL
    return code


def _version() -> int:
    from dlcalc import __version__

    write_stdout(f"dlcalc {__version__}\n")
    return ExitCode.OK


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if sys.stdout is None:  # started with stdout closed (dlcalc ... >&-)
        write_error("cannot write the output: standard output is closed")
        sys.exit(ExitCode.IO_ERROR)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    if not debug:  # NumPy's floating-point warnings are not for users; a NaN result is an error
        warnings.filterwarnings("ignore", category=RuntimeWarning)
    work = _version if args in (["--version"], ["-V"]) else (lambda: dispatch(args))
    sys.exit(int(run(work, debug)))
