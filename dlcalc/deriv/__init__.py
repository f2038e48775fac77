"""The symbolic side of check-deriv: safe parser, expression tree, matrix-calculus rules, printers.

Nothing here imports SymPy at module level; only the component-wise fallback does, when it runs.
"""
