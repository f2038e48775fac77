"""The catalogue: one module per area of the formula sheet, each declaring its formulas.

Modules are imported on first use of the registry. They must import neither NumPy nor SymPy at
module level (numeric commands start fast; a subprocess test checks it).
"""

from __future__ import annotations

import importlib
import pkgutil

_loaded = False


def load() -> None:
    """Import every module of this package once; a new area is just a new module."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
        importlib.import_module(f"{__name__}.{module}")
