"""Safe parsing of expressions typed by users: Python's ``ast`` with bounded size, literals read
exactly, and the words for what is refused. Shared by check-deriv's parser and the catalogue's
scalar expressions; nothing here evaluates the text.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from fractions import Fraction

from dlcalc.core.errors import DlcalcError

MAX_CHARS = 2000
MAX_NODES = 400
MAX_CONSTANT = 10**6
_KEYWORD_NAMES = {"lambda": "lambda_"}  # Greek names that are Python keywords


def format_shape(shape) -> str:
    return "×".join(str(d) for d in shape)


def _rename_keywords(text: str) -> str:
    """Let Greek names that are Python keywords (lambda) be used as variable names."""
    if not any(word in text for word in _KEYWORD_NAMES):
        return text
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return text
    out = [(t.type, _KEYWORD_NAMES.get(t.string, t.string) if t.type == tokenize.NAME else t.string) for t in tokens]
    return tokenize.untokenize(out).strip()


def display_source(text: str) -> str:
    for word, renamed in _KEYWORD_NAMES.items():
        text = re.sub(rf"\b{renamed}\b", word, text)
    return text


def parse_ast(text: str, what: str):
    if not isinstance(text, str) or not text.strip():
        raise DlcalcError(f"empty {what}")
    if len(text) > MAX_CHARS:
        raise DlcalcError(f"{what} too long ({len(text)} characters; at most {MAX_CHARS})")
    source = _rename_keywords(" ".join(text.split()))
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as err:
        column = f" at column {err.offset}" if err.offset else ""
        raise DlcalcError(f"syntax error in {what} {display_source(source)!r}{column}") from None
    except (ValueError, RecursionError, MemoryError):
        raise DlcalcError(f"cannot parse {what} {text[:60]!r}") from None
    size = sum(1 for _ in ast.walk(tree))
    if size > MAX_NODES:
        raise DlcalcError(f"{what} too large ({size} syntax nodes; at most {MAX_NODES})")
    return tree, source


def exact_constant(node: ast.Constant, fail) -> Fraction:
    """A literal number as an exact rational (0.1 means 1/10); ``fail(node, message)`` otherwise."""
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(node, "only real numbers are allowed as constants")
    if value != value or abs(value) > MAX_CONSTANT:
        fail(node, f"constants must be finite and at most {MAX_CONSTANT} in size")
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def describe_node(node: ast.AST) -> str:
    names = {
        ast.Subscript: "indexing", ast.Compare: "a comparison", ast.BoolOp: "a boolean operator",
        ast.Lambda: "lambda", ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict",
        ast.IfExp: "a conditional", ast.Starred: "unpacking", ast.JoinedStr: "a string",
    }
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        return f"the operator {type(node.op).__name__}"
    return names.get(type(node), type(node).__name__)
