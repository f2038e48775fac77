"""Helpers shared by the catalogue modules of part 1 (not a catalogue area: the name starts with _).

Input checks for vectors and matrices, the JSON form of values that JSON cannot hold, and the
proof helpers that several areas use. Nothing here imports NumPy or SymPy at module level.
"""

from __future__ import annotations

import math
import signal
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from dlcalc.errors import DlcalcError

PROBABILITY_TOLERANCE = 1e-9


class SymbolicTimeout(Exception):
    """Symbolic work (a proof, a series test, a solve) ran out of time."""


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise SymbolicTimeout after ``seconds`` (SIGALRM; no limit where it is unavailable or off
    the main thread). SymPy can take unbounded time on some inputs; users get a message instead."""
    import threading

    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise SymbolicTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


class Absent(str):
    """The default of an optional parameter that has no value (the registry reads a default of
    None as "required"). A str, so that help, info and JSON show it as "none"."""


ABSENT = Absent("none")


def given(value) -> bool:
    return value is not ABSENT


def probability_vector(p: tuple[float, ...], name: str) -> tuple[float, ...]:
    """Check that ``p`` is a probability vector (entries ≥ 0 summing to 1)."""
    negative = [x for x in p if x < 0]
    if negative:
        raise DlcalcError(f"--{name}: probabilities must be non-negative, got {negative[0]}")
    total = math.fsum(p)
    if abs(total - 1.0) > PROBABILITY_TOLERANCE * max(1, len(p)):
        raise DlcalcError(f"--{name}: probabilities must sum to 1, got {total!r}")
    return p


def same_length(a: tuple, b: tuple, names: str) -> None:
    if len(a) != len(b):
        raise DlcalcError(f"{names} must have the same length, got {len(a)} and {len(b)}")


def square(matrix: tuple[tuple[float, ...], ...], name: str) -> int:
    n = len(matrix)
    if any(len(row) != n for row in matrix):
        raise DlcalcError(f"--{name}: expected a square matrix, got {n}×{len(matrix[0])}")
    return n


def json_number(x: float) -> Any:
    """A float for JSON: inf and nan become strings (JSON has no infinity)."""
    return x if math.isfinite(x) else str(x)


def rounded(values: Any, digits: int = 12) -> Any:
    """Round floats (nested in lists) for display, leaving -0.0 as 0.0."""
    if isinstance(values, (list, tuple)):
        return [rounded(v, digits) for v in values]
    return round(float(values), digits) + 0.0


def matrix_text(matrix: Any) -> str:
    """A matrix or vector in the JSON-like form people paste back: [[1.0, 2.0], [3.0, 4.0]]."""
    import json

    return json.dumps(rounded(matrix))


def matrix_result(name: str, matrix: Any, digits: int = 12, **fields: Any) -> Any:
    """A Result whose value is a matrix (a NumPy array or nested lists), printed as [[...], ...]."""
    from dlcalc.render.result import Result

    shown = rounded(matrix.tolist() if hasattr(matrix, "tolist") else matrix, digits)
    return Result(name=name, inputs={}, value=shown, plain=matrix_text(shown), **fields)


def claim_exit(holds: bool) -> Any:
    """Exit status of a claim: 0 when it holds, 1 when refuted."""
    from dlcalc.errors import ExitCode

    return ExitCode.OK if holds else ExitCode.REFUTED


# ---- proofs --------------------------------------------------------------------------------


def symbol_matrix(name: str, rows: int, cols: int) -> Any:
    """A SymPy matrix of real symbols name_ij (entrywise calculus never uses MatrixSymbol, which
    silently drops terms; see DESIGN.md)."""
    import sympy

    return sympy.Matrix(rows, cols, lambda i, j: sympy.Symbol(f"{name}{i}{j}", real=True))


def small_sampler(symbol: Any, rng: Any) -> float:
    """Spot-check values of modest size: the spot check compares with an absolute tolerance, and
    an exponential of a large argument would swamp it with rounding noise."""
    if symbol.is_integer:
        return rng.randint(1, 4)
    if symbol.is_positive or symbol.is_nonnegative:
        return rng.uniform(0.2, 1.2)
    if symbol.is_negative:
        return -rng.uniform(0.2, 1.2)
    return rng.uniform(-1.2, 1.2)


def declare_identity(section: str, name: str, catalogue_id: str, summary: str, statement: str, latex: str,
                     build: Callable[[], tuple[Any, Any]], method: str = "simplify", errata: tuple = ()) -> None:
    """Register a symbolic identity (no command; `dlcalc verify NAME` proves build()'s two sides)."""
    from dlcalc.registry import formula

    formula(name=name, section=section, catalogue_id=catalogue_id, summary=summary, params=(), formula=statement,
            latex=latex, kind="identity", prove=proof_from(build, method), errata=errata)


def proof_from(build: Callable[[], tuple[Any, Any]], method: str = "simplify") -> Callable[[], Any]:
    """A ``prove`` function for a declaration: build (lhs, rhs), then prove them equal."""

    def prove() -> Any:
        from dlcalc.symbolic.proof import prove_equal, prove_matrices_equal

        lhs, rhs = build()
        if hasattr(lhs, "shape"):
            return prove_matrices_equal(lhs, rhs, method=method, sampler=small_sampler)
        return prove_equal(lhs, rhs, method=method, sampler=small_sampler)

    prove.statement = build  # type: ignore[attr-defined]  # tests prove altered versions of it
    return prove
