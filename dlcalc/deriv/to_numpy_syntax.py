"""Print an expression tree in NumPy syntax (``(A + A.T)@x``), with as few parentheses as Python
needs. The output parses back with ``parser.py``: check-deriv verifies the printed text, not the tree.
"""

from __future__ import annotations

from fractions import Fraction

from dlcalc.deriv import ir

# Python precedence, low to high.
ADD, MUL, UNARY, POW, ATOM = 1, 2, 3, 4, 5


def to_numpy(node: ir.Node) -> str:
    return _print(node)[0]


def _print(node: ir.Node) -> tuple[str, int]:
    """(text, precedence level of its outermost operator)."""
    if isinstance(node, ir.Var):
        return node.name, ATOM
    if isinstance(node, ir.Num):
        return _number(node.value)
    if isinstance(node, ir.Eye):
        return f"eye({node.shape[0]})", ATOM
    if isinstance(node, ir.Ones):
        rows, cols = node.shape
        return (f"ones({rows})" if cols == 1 else f"ones({rows}, {cols})"), ATOM
    if isinstance(node, ir.Zero):
        return "0", ATOM
    if isinstance(node, ir.Transpose):
        return f"{_wrap(node.arg, ATOM)}.T", ATOM
    if isinstance(node, ir.Func) and node.name in ("softmax", ir.SOFTMAX_ROWS) and node.shape[1] != 1:
        return f"softmax({to_numpy(node.arg)}, axis={ir.softmax_axis(node)})", ATOM
    if isinstance(node, ir.Func):
        return f"{node.name}({to_numpy(node.arg)})", ATOM
    if isinstance(node, ir.Add):
        return _sum(node), ADD
    if isinstance(node, ir.MatMul):
        return "@".join(_wrap(a, POW) if not isinstance(a, ir.Mul) else f"({to_numpy(a)})" for a in node.args), MUL
    if isinstance(node, ir.Mul):
        return _product(node)
    if isinstance(node, ir.Pow):
        return _power(node)
    raise TypeError(f"cannot print {type(node).__name__}")


def _wrap(node: ir.Node, level: int) -> str:
    text, own = _print(node)
    return text if own >= level else f"({text})"


def _number(value: Fraction) -> tuple[str, int]:
    if value.denominator == 1:
        return str(value.numerator), (ATOM if value >= 0 else UNARY)
    return f"{value.numerator}/{value.denominator}", (MUL if value >= 0 else UNARY)


def split_sign(node: ir.Node) -> tuple[bool, ir.Node]:
    """(is_negative, the node with its leading minus removed) for a term of a sum."""
    if isinstance(node, ir.Num) and node.value < 0:
        return True, ir.num(-node.value)
    if isinstance(node, ir.Mul) and isinstance(node.args[0], ir.Num) and node.args[0].value < 0:
        rest = (ir.num(-node.args[0].value),) + node.args[1:]
        return True, ir.mul(*rest) if rest[0].value == 1 else ir.Mul(node.shape, rest)
    return False, node


def flatten_sum(node: ir.Node) -> list:
    if isinstance(node, ir.Add):
        return [t for a in node.args for t in flatten_sum(a)]
    return [node]


def _sum(node: ir.Add) -> str:
    parts = []
    for i, term in enumerate(flatten_sum(node)):
        negative, magnitude = split_sign(term)
        text = _wrap(magnitude, MUL)
        if i == 0:
            parts.append(_wrap(term, UNARY) if negative else text)
        else:
            parts.append(f" - {text}" if negative else f" + {text}")
    return "".join(parts)


def _is_reciprocal(node: ir.Node) -> bool:
    return isinstance(node, ir.Pow) and isinstance(node.exp, ir.Num) and node.exp.value < 0


def split_product(node: ir.Mul) -> tuple[Fraction, list, list]:
    """(numeric coefficient, factors above the line, factors below it as positive powers)."""
    coef = Fraction(1)
    numerator: list[ir.Node] = []
    denominator: list[ir.Node] = []
    for arg in node.args:
        if isinstance(arg, ir.Num):
            coef *= arg.value
        elif _is_reciprocal(arg):
            denominator.append(ir.pow_(arg.base, ir.num(-arg.exp.value)))
        else:
            numerator.append(arg)
    return coef, numerator, denominator


def _product(node: ir.Mul) -> tuple[str, int]:
    coef, numerator, denominator = split_product(node)
    texts = [str(abs(coef.numerator))] if abs(coef.numerator) != 1 else []
    scaled = all(a.is_scalar for a in numerator[:-1])  # alpha*A@x reads as alpha*(A@x) either way
    for i, arg in enumerate(numerator):
        last_chain = isinstance(arg, ir.MatMul) and i == len(numerator) - 1 and scaled
        texts.append(to_numpy(arg) if last_chain else _wrap(arg, POW))
    text = "*".join(texts) or "1"
    if coef.denominator != 1:
        denominator.insert(0, ir.num(coef.denominator))
    if denominator:
        below = [_wrap(d, POW) for d in denominator]
        text += "/" + (below[0] if len(below) == 1 else f"({'*'.join(below)})")
    if coef < 0:
        return f"-{text}", UNARY
    return text, (MUL if len(texts) + len(denominator) > 1 or denominator else _print(numerator[0])[1] if numerator else ATOM)


def _power(node: ir.Pow) -> tuple[str, int]:
    if _is_reciprocal(node):
        inverse = ir.pow_(node.base, ir.num(-node.exp.value))
        return f"1/{_wrap(inverse, POW)}", MUL
    base = _wrap(node.base, ATOM)
    if isinstance(node.exp, ir.Num) and node.exp.value.denominator == 1:
        return f"{base}**{node.exp.value.numerator}", POW
    return f"{base}**{_wrap(node.exp, ATOM)}", POW
