"""Safe parser for scalar expressions such as ``--alpha "1/sqrt(t)"``.

The text is parsed by Python's ``ast`` (size-bounded by ``dlcalc.core.safe_ast.parse_ast``)
and walked against a whitelist of node types, function names and variable names; SymPy objects
are built from the tree. Nothing the user typed is evaluated: no eval, exec, sympify or parse_expr.
"""

from __future__ import annotations

import ast
from typing import Any

from dlcalc.core.errors import DlcalcError
from dlcalc.core.safe_ast import describe_node, exact_constant, parse_ast

MAX_EXPONENT = 1000  # a numeric power with a larger exponent could take SymPy minutes to expand

FUNCTION_NAMES = (
    "sqrt", "cbrt", "exp", "log", "ln", "log2", "log10", "sin", "cos", "tan", "tanh", "sinh",
    "cosh", "atan", "abs", "sigmoid", "erf",
)


def _functions(sympy: Any) -> dict[str, Any]:
    return {
        "sqrt": sympy.sqrt, "cbrt": sympy.cbrt, "exp": sympy.exp, "log": sympy.log, "ln": sympy.log,
        "log2": lambda x: sympy.log(x, 2), "log10": lambda x: sympy.log(x, 10), "sin": sympy.sin,
        "cos": sympy.cos, "tan": sympy.tan, "tanh": sympy.tanh, "sinh": sympy.sinh,
        "cosh": sympy.cosh, "atan": sympy.atan, "abs": sympy.Abs,
        "sigmoid": lambda x: 1 / (1 + sympy.exp(-x)), "erf": sympy.erf,
    }


class _Builder:
    def __init__(self, sympy: Any, symbols: dict[str, Any], source: str, what: str):
        self.sympy = sympy
        self.symbols = symbols
        self.functions = _functions(sympy)
        self.source = source
        self.what = what

    def fail(self, node: ast.AST, message: str):
        text = ast.get_source_segment(self.source, node) or ast.unparse(node)
        raise DlcalcError(f"{self.what}: {text}: {message}")

    def build(self, node: ast.AST) -> Any:
        handler = {ast.BinOp: self.binop, ast.UnaryOp: self.unary, ast.Call: self.call, ast.Name: self.name,
                   ast.Constant: self.constant}.get(type(node))
        if handler is None:
            self.fail(node, f"{describe_node(node)} is not supported")
        return handler(node)

    def unary(self, node: ast.UnaryOp) -> Any:
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            self.fail(node, f"{describe_node(node)} is not supported")
        operand = self.build(node.operand)
        return -operand if isinstance(node.op, ast.USub) else operand

    def binop(self, node: ast.BinOp) -> Any:
        if isinstance(node.op, ast.BitXor):
            self.fail(node, "use ** for powers (^ is not a power in this syntax)")
        left, right = self.build(node.left), self.build(node.right)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            if right == 0:
                self.fail(node, "division by zero")
            return left / right
        if isinstance(node.op, ast.Pow):
            if right.is_Number and abs(right) > MAX_EXPONENT and left.is_Number:
                self.fail(node, f"exponent too large (at most {MAX_EXPONENT} for a numeric power)")
            return left**right
        self.fail(node, f"{describe_node(node)} is not supported")

    def call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name) or node.func.id not in self.functions:
            self.fail(node, f"unknown function (known: {', '.join(FUNCTION_NAMES)})")
        if node.keywords or len(node.args) != 1:
            self.fail(node, f"{node.func.id} takes exactly one argument")
        return self.functions[node.func.id](self.build(node.args[0]))

    def name(self, node: ast.Name) -> Any:
        if node.id in self.symbols:
            return self.symbols[node.id]
        if node.id == "pi":
            return self.sympy.pi
        if node.id == "e":
            return self.sympy.E
        if node.id in self.functions:
            self.fail(node, f"{node.id} is a function; call it as {node.id}(...)")
        allowed = ", ".join(sorted(self.symbols)) or "none"
        self.fail(node, f"unknown name (variables: {allowed}; constants: pi, e)")

    def constant(self, node: ast.Constant) -> Any:
        # Exact rationals: 0.1 means 1/10, so that sums and limits are decided exactly.
        exact = exact_constant(node, self.fail)
        return self.sympy.Rational(exact.numerator, exact.denominator)


def parse_scalar(text: str, variables: dict[str, Any], *, what: str = "expression") -> Any:
    """Text -> a SymPy expression in the given variables (name -> SymPy Symbol)."""
    import sympy

    tree, source = parse_ast(text, what)
    return _Builder(sympy, variables, source, what).build(tree.body)
