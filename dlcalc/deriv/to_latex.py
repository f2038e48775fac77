"""Print an expression tree as LaTeX (``(\\mathbf{A} + \\mathbf{A}^\\top)\\mathbf{x}``).

A base that already carries a superscript (a transpose, an inverse) is braced before another is
attached, and an inverse transpose is written ``^{-\\top}``: TeX rejects ``x^a^b`` (double superscript).
"""

from __future__ import annotations

from dlcalc.deriv import ir
from dlcalc.deriv.parser import GREEK
from dlcalc.deriv.to_numpy_syntax import flatten_sum, split_product, split_sign

ADD, MUL, POW, ATOM = 1, 2, 4, 5
INVERSE_TRANSPOSE = "{-\\top}"

_FUNCTIONS = {
    "trace": r"\operatorname{tr}", "det": r"\det", "logdet": r"\log\det", "log": r"\log", "exp": r"\exp",
    "tanh": r"\tanh", "sigmoid": r"\sigma", "softplus": r"\operatorname{softplus}", "relu": r"\operatorname{ReLU}",
    "step": r"\mathbb{1}_{>0}", "softmax": r"\operatorname{softmax}", "softmax_rows": r"\operatorname{softmax}_{\text{rows}}", "diag": r"\operatorname{diag}",
    "sum": r"\operatorname{sum}", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "arcsin": r"\arcsin",
    "arccos": r"\arccos", "arctan": r"\arctan", "abs": r"\operatorname{abs}", "sign": r"\operatorname{sign}",
}


def to_latex(node: ir.Node) -> str:
    return _print(node)[0]


def symbol_latex(name: str, shape) -> str:
    """``alpha_1`` -> ``\\alpha_{1}``, ``W_1_2`` -> ``\\mathbf{W}_{1\\_2}``, ``lr`` -> ``\\mathrm{lr}``:
    at most one subscript, braced."""
    stem, _, rest = name.partition("_")
    if shape != ir.SCALAR:
        stem = f"\\mathbf{{{stem}}}"
    elif stem in GREEK:
        stem = f"\\{stem}"
    elif len(stem) > 1:
        stem = f"\\mathrm{{{stem}}}"
    subscript = rest.replace("_", r"\_")
    return f"{stem}_{{{subscript}}}" if rest else stem


def _print(node: ir.Node) -> tuple[str, int]:
    if isinstance(node, ir.Var):
        return symbol_latex(node.name, node.shape), ATOM
    if isinstance(node, ir.Num):
        v = node.value
        if v.denominator == 1:
            return str(v.numerator), ATOM if v >= 0 else ADD
        return f"{'-' if v < 0 else ''}\\frac{{{abs(v.numerator)}}}{{{v.denominator}}}", ATOM if v >= 0 else ADD
    if isinstance(node, ir.Eye):
        return f"\\mathbf{{I}}_{{{node.shape[0]}}}", ATOM
    if isinstance(node, ir.Ones):
        return r"\mathbf{1}", ATOM
    if isinstance(node, ir.Zero):
        return r"\mathbf{0}", ATOM
    if isinstance(node, ir.Transpose):
        if _is_inverse(node.arg):
            return _superscript(node.arg.arg, INVERSE_TRANSPOSE), ATOM
        return _superscript(node.arg, "\\top"), ATOM
    if isinstance(node, ir.Func):
        return _func(node), ATOM
    if isinstance(node, ir.Add):
        return _sum(node), ADD
    if isinstance(node, ir.MatMul):
        return " ".join(_wrap(a, ATOM if isinstance(a, (ir.Mul, ir.Add)) else POW) for a in node.args), MUL
    if isinstance(node, ir.Mul):
        return _product(node), MUL
    if isinstance(node, ir.Pow):
        return _power(node), POW
    raise TypeError(type(node).__name__)


def _wrap(node: ir.Node, level: int) -> str:
    text, own = _print(node)
    return text if own >= level else f"\\left({text}\\right)"


def _is_inverse(node: ir.Node) -> bool:
    return isinstance(node, ir.Func) and node.name == "inv"


def _has_superscript(node: ir.Node) -> bool:
    return isinstance(node, ir.Transpose) or _is_inverse(node)


def _superscript(base: ir.Node, script: str) -> str:
    """``base^{script}``, bracing a base that has a superscript of its own."""
    text = _wrap(base, ATOM)
    if _has_superscript(base):
        text = f"{{{text}}}"
    return f"{text}^{script}"


def _func(node: ir.Func) -> str:
    inner = to_latex(node.arg)
    if node.name == "inv":
        if isinstance(node.arg, ir.Transpose):
            return _superscript(node.arg.arg, INVERSE_TRANSPOSE)
        return _superscript(node.arg, "{-1}")
    if node.name == "norm":
        return f"\\left\\lVert {inner} \\right\\rVert"
    if node.name == "sqrt":
        return f"\\sqrt{{{inner}}}"
    return f"{_FUNCTIONS[node.name]}\\left({inner}\\right)"


def _sum(node: ir.Add) -> str:
    parts = []
    for i, term in enumerate(flatten_sum(node)):
        negative, magnitude = split_sign(term)
        text = _wrap(magnitude, MUL)
        parts.append(("-" if negative else "") + text if i == 0 else (" - " if negative else " + ") + text)
    return "".join(parts)


def _product(node: ir.Mul) -> str:
    coef, top, bottom = split_product(node)
    hadamard = sum(1 for a in top if not a.is_scalar) > 1
    joiner = r" \odot " if hadamard else " "
    text = joiner.join(_wrap(a, POW) for a in top) or "1"
    if abs(coef.numerator) != 1:
        text = f"{abs(coef.numerator)} {text}" if top else str(abs(coef.numerator))
    if coef.denominator != 1:
        bottom.insert(0, ir.num(coef.denominator))
    if bottom:
        text = f"\\frac{{{text}}}{{{' '.join(_wrap(b, POW) for b in bottom)}}}"
    return f"-{text}" if coef < 0 else text


def _power(node: ir.Pow) -> str:
    exponent = to_latex(node.exp)
    if not node.is_scalar:
        return _superscript(node.base, f"{{\\circ {exponent}}}")
    return _superscript(node.base, f"{{{exponent}}}")
