"""The expression tree check-deriv works on.

Every node carries its shape ``(rows, cols)``; a dimension is an int or a dimension name (str).
Vectors are columns ``(n, 1)``; ``(1, 1)`` is a scalar. Subtraction, negation and division are
not node types: they are ``Add``/``Mul`` with a ``-1`` factor and ``Pow(., -1)``, so the rules and
the simplifier have fewer cases; the printer turns them back into ``-`` and ``/``.

The constructors (``add``, ``mul``, ``matmul``, ...) compute shapes and do only trivial clean-ups;
real simplification lives in ``simplify.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Union

Dim = Union[int, str]
Shape = tuple  # (Dim, Dim)

SCALAR: Shape = (1, 1)

# Functions of the user grammar, and what they do to shapes.
ELEMENTWISE = (
    "log", "exp", "tanh", "sigmoid", "softplus", "relu", "sqrt", "step",
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "abs", "sign",
)
# Functions with a kink or jump at 0 (relu, abs, sign, step): the derivative there is the
# subgradient convention 0 for step/sign and sign(0) = 0 for abs; instances stay away from 0.
SCALAR_OF_SQUARE = ("trace", "det", "logdet")
FUNCTIONS = ELEMENTWISE + SCALAR_OF_SQUARE + ("inv", "norm", "sum", "softmax", "diag")
# softmax(X, axis=1): each row normalised (attention scores); softmax(X) of a matrix is axis=0, each
# column normalised, as for a column vector. Written softmax(X, axis=1), never called by this name.
SOFTMAX_ROWS = "softmax_rows"


def axis_sum(g: "Node", axis: int) -> "Node":
    """sum over axis 0 (ones(1, rows)@g, a row) or axis 1 (g@ones(cols), a column), kept 2-D."""
    rows, cols = g.shape
    if axis == 0:
        return g if rows == 1 else matmul(ones((1, rows)), g)
    return g if cols == 1 else matmul(g, ones((cols, 1)))


def softmax_axis(node: "Func") -> int:
    return 1 if node.name == SOFTMAX_ROWS else 0


@dataclass(frozen=True)
class Node:
    shape: Shape

    @property
    def is_scalar(self) -> bool:
        return self.shape == SCALAR


@dataclass(frozen=True)
class Var(Node):
    name: str


@dataclass(frozen=True)
class Num(Node):
    value: Fraction


@dataclass(frozen=True)
class Eye(Node):
    """The identity of size shape[0]."""


@dataclass(frozen=True)
class Ones(Node):
    """A matrix of ones (appears in derivatives of sum and of scalar broadcasting)."""


@dataclass(frozen=True)
class Zero(Node):
    """A zero array of the given shape."""


@dataclass(frozen=True)
class Add(Node):
    args: tuple


@dataclass(frozen=True)
class Mul(Node):
    """Elementwise product; scalar (1x1) factors broadcast."""

    args: tuple


@dataclass(frozen=True)
class MatMul(Node):
    args: tuple


@dataclass(frozen=True)
class Pow(Node):
    """Elementwise power; a scalar exponent broadcasts."""

    base: Node
    exp: Node


@dataclass(frozen=True)
class Transpose(Node):
    arg: Node


@dataclass(frozen=True)
class Func(Node):
    name: str
    arg: Node


# --- constructors -----------------------------------------------------------------------------


def num(value) -> Num:
    return Num(SCALAR, Fraction(value))


ONE = num(1)
MINUS_ONE = num(-1)


def var(name: str, shape: Shape) -> Var:
    return Var(tuple(shape), name)


def eye(n: Dim) -> Node:
    return ONE if n == 1 else Eye((n, n))


def ones(shape: Shape) -> Node:
    return ONE if tuple(shape) == SCALAR else Ones(tuple(shape))


def zero(shape: Shape) -> Zero:
    return Zero(tuple(shape))


def is_zero(node: Node) -> bool:
    return isinstance(node, Zero) or (isinstance(node, Num) and node.value == 0)


def is_one(node: Node) -> bool:
    return isinstance(node, Num) and node.value == 1


def broadcast_shape(nodes) -> Shape:
    """The common shape of elementwise operands by NumPy's rule: along each axis, a size 1
    stretches to the other operand's size (a column times a row is their outer product)."""
    rows, cols = 1, 1
    for node in nodes:
        if node.shape[0] != 1:
            rows = node.shape[0]
        if node.shape[1] != 1:
            cols = node.shape[1]
    return (rows, cols)


def add(*args: Node) -> Node:
    shape = broadcast_shape(args)
    kept = [a for a in args if not is_zero(a)]
    if not kept:
        return zero(shape) if shape != SCALAR else num(0)
    if len(kept) == 1 and kept[0].shape == shape:
        return kept[0]
    return Add(shape, tuple(kept))


def mul(*args: Node) -> Node:
    shape = broadcast_shape(args)
    if any(is_zero(a) for a in args):
        return zero(shape) if shape != SCALAR else num(0)
    kept = [a for a in args if not is_one(a)]
    if not kept:
        return ONE
    if len(kept) == 1 and kept[0].shape == shape:
        return kept[0]
    return Mul(shape, tuple(kept))


def neg(a: Node) -> Node:
    return mul(MINUS_ONE, a)


def sub(a: Node, b: Node) -> Node:
    return add(a, neg(b))


def pow_(base: Node, exp: Node) -> Node:
    if is_one(exp):
        return base
    return Pow(broadcast_shape((base, exp)), base, exp)


def matmul(*args: Node) -> Node:
    """Matrix product; identity factors drop out, a zero factor gives a zero of the right shape."""
    args = tuple(args)
    shape = (args[0].shape[0], args[-1].shape[1])
    if any(is_zero(a) for a in args):
        return zero(shape) if shape != SCALAR else num(0)
    kept = tuple(a for a in args if not isinstance(a, Eye))
    if not kept:
        return args[0]
    if len(kept) == 1:
        return kept[0]
    return MatMul(shape, kept)


def transpose(a: Node) -> Node:
    if a.is_scalar or isinstance(a, Eye):
        return a
    if isinstance(a, Transpose):
        return a.arg
    if isinstance(a, (Zero, Ones)):
        return type(a)((a.shape[1], a.shape[0]))
    return Transpose((a.shape[1], a.shape[0]), a)


def func(name: str, arg: Node) -> Node:
    return Func(func_shape(name, arg.shape), name, arg)


def concrete_shape(shape: Shape, sizes: dict) -> tuple:
    """The shape with every dimension name replaced by its size in ``sizes``."""
    return tuple(d if isinstance(d, int) else sizes[d] for d in shape)


def func_shape(name: str, shape: Shape) -> Shape:
    if name in ELEMENTWISE or name in ("inv", "softmax", SOFTMAX_ROWS):
        return shape
    if name == "diag":
        rows, cols = shape
        return (rows, 1) if cols != 1 else (rows, rows)
    return SCALAR


def children(node: Node) -> tuple:
    if isinstance(node, (Add, Mul, MatMul)):
        return node.args
    if isinstance(node, Pow):
        return (node.base, node.exp)
    if isinstance(node, (Transpose, Func)):
        return (node.arg,)
    return ()


def contains(node: Node, name: str) -> bool:
    """Does the variable ``name`` occur in ``node``?"""
    if isinstance(node, Var):
        return node.name == name
    return any(contains(c, name) for c in children(node))


def variables(node: Node) -> dict:
    """name -> shape of every variable in ``node``."""
    found: dict = {}
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Var):
            found[item.name] = item.shape
        stack.extend(children(item))
    return found
