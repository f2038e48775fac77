"""Run a computation with a time limit, so that symbolic work cannot leave the CLI hanging.

In the main thread a SIGALRM timer interrupts pure-Python work (SymPy) cleanly. Elsewhere (tests
in threads, servers) the work runs in a daemon thread that is abandoned when time is up.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from dlcalc.core.errors import DlcalcError


class TimeUp(BaseException):
    """Raised inside the computation by the alarm; BaseException so that no `except Exception` eats it."""


def _message(seconds: float) -> str:
    return f"gave up after {seconds:g} s (--timeout): the expression is too hard to check in time"


def _alarm_available() -> bool:
    """SIGALRM timers work only in the main thread, and only where the platform has them."""
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeUp in the block after ``seconds`` (SIGALRM, main thread only; elsewhere no limit).

    Nested limits work: an enclosing limit that ends first stays in charge, and one that ends later
    is put back afterwards with the time it has left."""
    if not _alarm_available():
        yield
        return
    outer_left = signal.getitimer(signal.ITIMER_REAL)[0]  # 0.0 when no limit encloses this one
    if outer_left and outer_left <= seconds:
        yield
        return

    def expire(signum, frame):
        raise TimeUp

    start = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left:
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - (time.monotonic() - start), 1e-6))


def run_with_deadline(fn, seconds: float, message: str | None = None):
    """``fn()``, or DlcalcError(message) when it takes longer than ``seconds``."""
    message = message or _message(seconds)
    if _alarm_available():
        try:
            with time_limit(seconds):
                return fn()
        except TimeUp:
            raise DlcalcError(message) from None
    return _with_thread(fn, seconds, message)


def _with_thread(fn, seconds: float, message: str):
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
        raise DlcalcError(message)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class OutOfTime(Exception):
    """A cooperative budget ran out (the caller falls back to a cheaper method)."""


class Budget:
    """A soft time limit for one stage, checked by the work itself between steps."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise OutOfTime("its share of --timeout ran out")


class _BudgetSpent(BaseException):
    """Raised inside the work by the budget's alarm; BaseException so that no `except Exception` eats it."""


def run_within(budget: Budget, fn):
    """Run ``fn``, interrupted (OutOfTime) when ``budget`` is spent, even inside one long SymPy call.

    In the main thread a SIGALRM timer does it, and an enclosing run_with_deadline timer is put
    back afterwards with the time it has left; elsewhere only the work's own ``budget.check()``
    calls stop it.
    """
    if not _alarm_available():
        return fn()
    own_left = budget.end - time.monotonic()
    if own_left <= 0:
        raise OutOfTime("its share of --timeout ran out")
    outer_left = signal.getitimer(signal.ITIMER_REAL)[0]  # 0.0 when no deadline encloses this
    if outer_left and outer_left <= own_left:
        return fn()  # the enclosing deadline comes first: it stays in charge
    return _with_inner_alarm(fn, own_left, outer_left)


def _with_inner_alarm(fn, own_left: float, outer_left: float):
    def spent(signum, frame):
        raise _BudgetSpent

    start = time.monotonic()
    previous = signal.signal(signal.SIGALRM, spent)
    try:
        signal.setitimer(signal.ITIMER_REAL, own_left)
        return fn()
    except _BudgetSpent:
        raise OutOfTime("its share of --timeout ran out") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left:
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - (time.monotonic() - start), 1e-6))
