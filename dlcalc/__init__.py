"""dlcalc: a calculator and derivation checker for the mathematics of deep learning.

As a library: ``dlcalc.calc("conv-out", I=224, K=7, S=2, P=3).value`` -> 112 (see dlcalc.api).
Importing dlcalc loads no NumPy, SymPy, Typer or Rich; a formula loads what it needs when called.
"""

from __future__ import annotations

from typing import Any

from dlcalc.core.errors import DlcalcError

__version__ = "0.2.0"
__all__ = ["DlcalcError", "calc", "formulas", "__version__"]


def calc(name: str, **params: Any) -> Any:
    """Evaluate the formula ``name`` with ``params``: a dlcalc.api.Calculation (.value, .equation,
    .to_json()). Bad input raises DlcalcError with the command line's message."""
    from dlcalc.api import calc as _calc

    return _calc(name, **params)


def formulas() -> list[str]:
    """The names of every formula ``calc`` evaluates."""
    from dlcalc.api import formulas as _formulas

    return _formulas()
