"""What kind of derivative a problem asks for, and its closed form by the matrix-calculus rules.

Kinds (f = the expression, x = the variable):
  gradient   f scalar: the gradient, shaped like x (denominator layout)
  jacobian   f a vector, x a vector or scalar: the n×m matrix Jᵀ (denominator layout)
  hessian    f scalar, x a vector, --hessian: the n×n matrix of second derivatives
  by_scalar  f a matrix, x a scalar: dF/dx, a matrix shaped like f (Cookbook eq. 40), both layouts
  tensor     anything else (vector-by-matrix, matrix-by-matrix, ...): T[i,j,k,l] = ∂f[i,j]/∂x[k,l],
             given in closed form as the vector-Jacobian product G ↦ ∂<G, f>/∂x
Closed forms are always computed in denominator layout; numerator layout is their transpose.
"""

from __future__ import annotations

from dataclasses import dataclass

from dlcalc.deriv import ir
from dlcalc.deriv.matrixcalc import Unsupported, jvp, linear_map, vjp
from dlcalc.deriv.simplify import TooComplex, simplify


@dataclass(frozen=True)
class Problem:
    f: ir.Node
    wrt: str
    x_shape: tuple
    kind: str
    seed: str  # name of the seed variable used for vjp-based forms

    @property
    def f_size(self):
        """m: the length of a vector f."""
        return self.f.shape[0] if self.f.shape[1] == 1 else self.f.shape[1]

    @property
    def x_size(self):
        """n: the length of a vector (or scalar) x."""
        return self.x_shape[0] if self.x_shape[1] == 1 else self.x_shape[1]

    def denominator_shape(self) -> tuple:
        if self.kind == "gradient":
            return self.x_shape
        if self.kind == "hessian":
            return (self.x_size, self.x_size)
        if self.kind == "jacobian":
            return (self.x_size, self.f_size)
        if self.kind == "by_scalar":
            return tuple(self.f.shape)
        return tuple(self.f.shape) + tuple(self.x_shape)

    def layout_shape(self, layout: str) -> tuple:
        shape = self.denominator_shape()
        if transposed(self.kind, layout):
            return (shape[1], shape[0])
        return shape

    def seed_shape(self) -> tuple:
        if self.kind == "jacobian":
            return (self.f_size, 1)
        if self.kind == "hessian":
            return (self.x_size, 1)
        return self.f.shape


def transposed(kind: str, layout: str) -> bool:
    """Is ``layout`` the transpose of denominator layout? For gradients and Jacobians in numerator
    layout; a Hessian is the same in both, a tensor keeps its index order."""
    return layout == "numerator" and kind in ("gradient", "jacobian")


def is_vector_like(shape) -> bool:
    return shape[0] == 1 or shape[1] == 1


def classify(f: ir.Node, wrt: str, x_shape: tuple, hessian: bool, taken: set) -> Problem:
    seed = next(name for name in ("G", "G1", "G2", "G_seed") if name not in taken)
    if hessian:
        kind = "hessian"
    elif f.is_scalar:
        kind = "gradient"
    elif is_vector_like(f.shape) and is_vector_like(x_shape):
        kind = "jacobian"
    elif tuple(x_shape) == ir.SCALAR:
        kind = "by_scalar"
    else:
        kind = "tensor"
    return Problem(f, wrt, tuple(x_shape), kind, seed)


def seed_var(problem: Problem) -> ir.Var:
    return ir.var(problem.seed, problem.seed_shape())


def closed_form_shape(problem: Problem) -> tuple:
    """The shape of ``closed_form``: the derivative's (denominator layout), or x's for a tensor's vjp."""
    return problem.x_shape if problem.kind == "tensor" else problem.denominator_shape()


def zero_form(problem: Problem) -> ir.Node:
    shape = closed_form_shape(problem)
    return ir.zero(shape) if shape != ir.SCALAR else ir.num(0)


def closed_form(problem: Problem) -> ir.Node:
    """The denominator-layout derivative (the vjp in G for tensors). Raises Unsupported."""
    if not ir.contains(problem.f, problem.wrt):
        return zero_form(problem)
    try:
        if problem.x_shape == ir.SCALAR and problem.kind != "hessian":
            return _by_forward_mode(problem)
        if problem.kind == "gradient":
            return simplify(vjp(problem.f, problem.wrt, ir.ONE))
        if problem.kind == "jacobian":
            return _jacobian(as_column(problem.f), problem)
        if problem.kind == "hessian":
            gradient = simplify(vjp(problem.f, problem.wrt, ir.ONE))
            return _jacobian(as_column(gradient), problem)
        return simplify(vjp(problem.f, problem.wrt, seed_var(problem)))
    except (TooComplex, RecursionError) as err:
        raise Unsupported(str(err)) from None


def _by_forward_mode(problem: Problem) -> ir.Node:
    """Derivatives by a scalar: one forward-mode pass gives dF/dx shaped like F."""
    tangent = simplify(jvp(problem.f, problem.wrt))
    if problem.kind == "jacobian":  # denominator layout: a row (1×m)
        return simplify(ir.transpose(as_column(tangent)))
    return tangent


def as_column(node: ir.Node) -> ir.Node:
    return node if node.shape[1] == 1 else ir.transpose(node)


def _jacobian(column: ir.Node, problem: Problem) -> ir.Node:
    g = seed_var(problem)
    product = simplify(vjp(column, problem.wrt, g))
    if problem.x_shape[1] != 1:
        product = simplify(ir.transpose(product))
    if ir.is_zero(product):
        return ir.zero(problem.denominator_shape())
    return simplify(linear_map(product, g.name, g.shape[0]))


def in_layout(node: ir.Node, problem: Problem, layout: str) -> ir.Node:
    if transposed(problem.kind, layout):
        return simplify(ir.transpose(node))
    return node
