"""Run a computation with a time limit, so that symbolic work cannot leave the CLI hanging.

In the main thread a SIGALRM timer interrupts pure-Python work (SymPy) cleanly. Elsewhere (tests
in threads, servers) the work runs in a daemon thread that is abandoned when time is up.
"""

from __future__ import annotations

import signal
import threading

from dlcalc.errors import DlcalcError


class _Expired(BaseException):
    """Raised inside the computation by the alarm; BaseException so that no `except Exception` eats it."""


def _message(seconds: float) -> str:
    return f"gave up after {seconds:g} s (--timeout): the expression is too hard to check in time"


def run_with_deadline(fn, seconds: float):
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        return _with_alarm(fn, seconds)
    return _with_thread(fn, seconds)


def _with_alarm(fn, seconds: float):
    def expire(signum, frame):
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        return fn()
    except _Expired:
        raise DlcalcError(_message(seconds)) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _with_thread(fn, seconds: float):
    outcome: dict = {}

    def work():
        try:
            outcome["value"] = fn()
        except BaseException as err:  # handed to the caller below
            outcome["error"] = err

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise DlcalcError(_message(seconds))
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
