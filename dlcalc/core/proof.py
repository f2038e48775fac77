"""Proofs of symbolic identities: SymPy proves, a numeric spot check guards the proof.

An identity's ``prove`` function returns a :class:`Proof`. :func:`prove_equal` is the common
case: ``lhs == rhs`` for all values of the free symbols in their domains. SymPy is imported only
when a proof runs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable

from dlcalc.core.safe_ast import format_shape


@dataclass
class Proof:
    proven: bool
    method: str  # how: "simplify", "series", "integral", ... plus "+ numeric spot check"
    detail: str = ""  # why not, or what was checked


def _sample(symbol: Any, rng: random.Random) -> float:
    """A random value inside the symbol's declared domain."""
    if symbol.is_integer:
        return rng.randint(1, 6) if symbol.is_positive else rng.randint(-5, 5)
    if symbol.is_positive:
        return rng.uniform(0.1, 3.0)
    if symbol.is_nonnegative:
        return rng.uniform(0.0, 3.0)
    if symbol.is_negative:
        return -rng.uniform(0.1, 3.0)
    return rng.uniform(-3.0, 3.0)


def spot_check(lhs: Any, rhs: Any, *, points: int = 12, seed: int = 0, tolerance: float = 1e-9,
               sampler: Callable[[Any, random.Random], float] | None = None) -> tuple[bool, str]:
    """Evaluate both sides at random points (30 digits); (ok, detail).

    The tolerance is relative to the size of the sides, so that large values (an exponential of
    a big argument) are not refuted by rounding."""
    import sympy

    rng = random.Random(seed)
    lhs, rhs = sympy.S(lhs), sympy.S(rhs)  # numbers from our own proofs, never user text
    symbols = sorted(lhs.free_symbols | rhs.free_symbols, key=lambda s: s.name)
    draw = sampler or _sample
    worst = 0.0
    for _ in range(points):
        point = {s: draw(s, rng) for s in symbols}
        left, right = (complex(sympy.N(side.subs(point), 30)) for side in (lhs, rhs))
        difference = abs(left - right)
        if difference > tolerance * max(1.0, abs(left), abs(right)):
            shown = ", ".join(f"{s}={v:.4g}" for s, v in point.items())
            return False, f"differs by {difference:.3g} at {shown}"
        worst = max(worst, difference)
    return True, f"{points} random points, max |difference| {worst:.2g}"


def prove_equal(lhs: Any, rhs: Any, *, method: str = "simplify", points: int = 12,
                sampler: Callable[[Any, random.Random], float] | None = None) -> Proof:
    """Prove lhs == rhs symbolically, then guard the proof with a numeric spot check."""
    import sympy

    difference = sympy.simplify(lhs - rhs)
    if difference != 0:
        difference = sympy.simplify(sympy.expand(sympy.powsimp(sympy.expand_log(difference, force=True))))
    symbolic = difference == 0
    ok, detail = spot_check(lhs, rhs, points=points, sampler=sampler)
    if symbolic and ok:
        return Proof(True, f"{method} + numeric spot check", detail)
    if not symbolic and not ok:
        return Proof(False, method, detail)
    if symbolic and not ok:  # SymPy said 0 but the numbers disagree: never trust the proof
        return Proof(False, f"{method} (refuted by numeric spot check)", detail)
    return Proof(False, method, f"SymPy could not reduce the difference to 0 ({detail})")


def prove_matrices_equal(lhs: Any, rhs: Any, *, method: str = "simplify", points: int = 4,
                         sampler: Callable[[Any, random.Random], float] | None = None) -> Proof:
    """Prove two SymPy matrices equal entry by entry, each entry guarded by a spot check."""
    if lhs.shape != rhs.shape:
        shapes = " vs ".join(format_shape(m.shape) for m in (lhs, rhs))
        return Proof(False, method, f"shapes differ: {shapes}")
    for index, (left, right) in enumerate(zip(lhs, rhs)):
        proof = prove_equal(left, right, method=method, points=points, sampler=sampler)
        if not proof.proven:
            row, col = divmod(index, lhs.shape[1])
            return Proof(False, proof.method, f"entry ({row},{col}): {proof.detail}")
    return Proof(True, f"{method} + numeric spot check", f"{format_shape(lhs.shape)} entries")


def small_sampler(symbol: Any, rng: random.Random) -> float:
    """Spot-check values of modest size: the spot check compares with an absolute tolerance, and
    an exponential of a large argument would swamp it with rounding noise."""
    if symbol.is_integer:
        return rng.randint(1, 4)
    if symbol.is_positive or symbol.is_nonnegative:
        return rng.uniform(0.2, 1.2)
    if symbol.is_negative:
        return -rng.uniform(0.2, 1.2)
    return rng.uniform(-1.2, 1.2)


Statement = Callable[[], tuple[Any, Any]]  # builds (lhs, rhs): SymPy expressions or matrices


def prove_statement(build: Statement, method: str = "simplify") -> Proof:
    """Build both sides, then prove them equal (entry by entry for matrices)."""
    lhs, rhs = build()
    if hasattr(lhs, "shape"):
        return prove_matrices_equal(lhs, rhs, method=method, sampler=small_sampler)
    return prove_equal(lhs, rhs, method=method, sampler=small_sampler)
