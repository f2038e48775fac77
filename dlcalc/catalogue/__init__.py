"""The catalogue: one module per area of the formula sheet, each declaring its formulas.

Modules hold declarations and pure maths only; they import ``dlcalc.core`` and their shared helpers
(``_common``), never another area, and neither NumPy nor SymPy at module level (numeric commands
start fast; a subprocess test checks it). The registry finds them by itself: a new area is just a
new module.
"""
