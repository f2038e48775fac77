"""The catalogue: one module per area of the formula sheet, each declaring its formulas.

Modules are imported on first use of the registry. They must import neither NumPy nor SymPy at
module level (numeric commands start fast; a subprocess test checks it).
"""

from __future__ import annotations

import importlib

# One entry per area; a new area is one new module and one line here.
MODULES = ("cnn",)

_loaded = False


def load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")
