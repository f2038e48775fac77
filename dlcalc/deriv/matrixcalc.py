"""Matrix calculus by rules: reverse mode on the expression tree.

``vjp(f, wrt, seed)`` returns the closed form of the gradient of <seed, f> (the Frobenius inner
product) with respect to the variable ``wrt``: for a scalar f and seed 1 that is the gradient; for
other f it is the vector-Jacobian product, linear in the seed. Each node sends its adjoint to its
children by the Matrix Cookbook rules (d(AB) = dA B + A dB, d tr X = tr dX, d det X = det X tr(X^-1 dX),
d X^-1 = -X^-1 dX X^-1, elementwise chain rule). ``linear_map`` then reads a Jacobian off a vjp
that is linear in a vector seed g: if vjp(g) = M@g, the denominator-layout derivative is M.

We do not use SymPy's MatrixSymbol differentiation: it silently returns 0 or drops terms on
inputs like log(det(X)) or trace(X)+1 (measured on SymPy 1.14). Every result here is still
verified numerically by the caller.
"""

from __future__ import annotations

from dlcalc.deriv import ir


class Unsupported(Exception):
    """The rules cannot give a closed form for this case (the caller falls back)."""


def vjp(f: ir.Node, wrt: str, seed: ir.Node) -> ir.Node:
    depends: dict = {}

    def uses(node: ir.Node) -> bool:
        known = depends.get(id(node))
        if known is None:
            known = (node.name == wrt) if isinstance(node, ir.Var) else any(uses(c) for c in ir.children(node))
            depends[id(node)] = known
        return known

    order: list = []
    seen: set = set()

    def visit(node: ir.Node) -> None:
        if id(node) in seen or not uses(node):
            return
        seen.add(id(node))
        for child in ir.children(node):
            visit(child)
        order.append(node)

    visit(f)
    adjoints: dict = {id(f): [seed]}
    result = []
    for node in reversed(order):
        contributions = adjoints.pop(id(node), None)
        if not contributions:
            continue
        g = ir.add(*contributions)
        if isinstance(node, ir.Var):
            result.append(g)
            continue
        for child, contribution in _rules(node, g):
            if uses(child):
                adjoints.setdefault(id(child), []).append(contribution)
    return ir.add(*result) if result else _zero_like(f, wrt)


def _zero_like(f: ir.Node, wrt: str) -> ir.Node:
    shape = ir.variables(f).get(wrt, ir.SCALAR)
    return ir.zero(shape) if shape != ir.SCALAR else ir.num(0)


def _sum_to(g: ir.Node, shape) -> ir.Node:
    """Adjoint of a scalar that was broadcast to g's shape."""
    return g if g.shape == shape else ir.func("sum", g)


def _rules(node: ir.Node, g: ir.Node):
    if isinstance(node, ir.Add):
        return [(a, _sum_to(g, a.shape)) for a in node.args]
    if isinstance(node, ir.Mul):
        out = []
        for i, a in enumerate(node.args):
            others = ir.mul(*(node.args[:i] + node.args[i + 1:]))
            out.append((a, _sum_to(ir.mul(g, others), a.shape)))
        return out
    if isinstance(node, ir.MatMul):
        out = []
        for i, a in enumerate(node.args):
            parts = []
            if i > 0:
                parts.append(ir.transpose(ir.matmul(*node.args[:i])))
            parts.append(g)
            if i < len(node.args) - 1:
                parts.append(ir.transpose(ir.matmul(*node.args[i + 1:])))
            out.append((a, ir.matmul(*parts)))
        return out
    if isinstance(node, ir.Transpose):
        return [(node.arg, ir.transpose(g))]
    if isinstance(node, ir.Pow):
        return _power_rules(node, g)
    if isinstance(node, ir.Func):
        return _func_rules(node, g)
    return []


def _power_rules(node: ir.Pow, g: ir.Node):
    base, exp = node.base, node.exp
    if isinstance(base, ir.Func) and base.name == "norm" and isinstance(exp, ir.Num):
        # d norm(u)**p = p norm(u)**(p-2) <u, du>: skips the 1/norm(u) that would cancel.
        u = base.arg
        scale = ir.mul(exp, ir.pow_(base, ir.num(exp.value - 2))) if exp.value != 2 else ir.num(2)
        return [(u, ir.mul(g, scale, u))]
    to_base = ir.mul(g, exp, ir.pow_(base, ir.add(exp, ir.MINUS_ONE)))
    to_exp = _sum_to(ir.mul(g, ir.func("log", base), node), exp.shape)
    return [(base, to_base), (exp, to_exp)]


def _func_rules(node: ir.Func, g: ir.Node):
    name, u = node.name, node.arg
    if name == "trace":
        return [(u, ir.mul(g, ir.eye(u.shape[0])))]
    if name == "det":
        return [(u, ir.mul(g, node, ir.transpose(ir.func("inv", u))))]
    if name == "logdet":
        return [(u, ir.mul(g, ir.transpose(ir.func("inv", u))))]
    if name == "inv":
        return [(u, ir.neg(ir.matmul(ir.transpose(node), g, ir.transpose(node))))]
    if name == "log":
        return _log_rules(u, g)
    if name == "exp":
        return [(u, ir.mul(g, node))]
    if name == "tanh":
        return [(u, ir.mul(g, ir.sub(ir.ONE, ir.pow_(node, ir.num(2)))))]
    if name == "sigmoid":
        return [(u, ir.mul(g, node, ir.sub(ir.ONE, node)))]
    if name == "softplus":
        return [(u, ir.mul(g, ir.func("sigmoid", u)))]
    if name == "relu":
        return [(u, ir.mul(g, ir.func("step", u)))]
    if name == "step":
        return []
    if name == "sqrt":
        return [(u, ir.mul(g, ir.num(ir.Fraction(1, 2)), ir.pow_(node, ir.MINUS_ONE)))]
    if name == "norm":
        return [(u, ir.mul(g, u, ir.pow_(node, ir.MINUS_ONE)))]
    if name == "sum":
        return [(u, ir.mul(g, ir.ones(u.shape)))]
    if name == "softmax":
        s = node
        return [(u, ir.sub(ir.mul(s, g), ir.mul(ir.matmul(ir.transpose(s), g), s)))]
    if name == "diag":
        return [(u, ir.func("diag", g))]
    raise Unsupported(f"no rule for {name}")


def _log_rules(u: ir.Node, g: ir.Node):
    """log of det / sigmoid / softmax / 1 - sigmoid: use the simplified derivative directly."""
    if isinstance(u, ir.Func) and u.name == "det":
        return [(u.arg, ir.mul(g, ir.transpose(ir.func("inv", u.arg))))]
    if isinstance(u, ir.Func) and u.name == "sigmoid":
        return [(u.arg, ir.mul(g, ir.sub(ir.ONE, u)))]
    if isinstance(u, ir.Func) and u.name == "softmax":
        return [(u.arg, ir.sub(g, ir.mul(u, ir.func("sum", g))))]
    complement = _one_minus_sigmoid(u)
    if complement is not None:
        return [(complement.arg, ir.neg(ir.mul(g, complement)))]
    return [(u, ir.mul(g, ir.pow_(u, ir.MINUS_ONE)))]


def _one_minus_sigmoid(u: ir.Node):
    """sigmoid(v) if u is 1 - sigmoid(v) (as parsed: Add(1, Mul(-1, sigmoid(v))))."""
    if not (isinstance(u, ir.Add) and len(u.args) == 2 and ir.is_one(u.args[0])):
        return None
    second = u.args[1]
    if isinstance(second, ir.Mul) and len(second.args) == 2 and isinstance(second.args[0], ir.Num) and second.args[0].value == -1:
        inner = second.args[1]
        if isinstance(inner, ir.Func) and inner.name == "sigmoid":
            return inner
    return None


# --- reading a Jacobian off a vjp --------------------------------------------------------------


def linear_map(node: ir.Node, seed: str, seed_size) -> ir.Node:
    """M such that node == M @ g, for a vector or scalar ``node`` linear in the column vector g."""
    if not ir.contains(node, seed):
        raise Unsupported("term without the seed")
    if isinstance(node, ir.Var):
        return ir.eye(seed_size)
    if isinstance(node, ir.Add):
        return ir.add(*(linear_map(a, seed, seed_size) for a in node.args))
    if isinstance(node, ir.Mul):
        return _linear_product(node, seed, seed_size)
    if isinstance(node, ir.MatMul):
        return _linear_chain(node, seed, seed_size)
    if isinstance(node, ir.Transpose) and node.arg.is_scalar:
        return linear_map(node.arg, seed, seed_size)
    if isinstance(node, ir.Func) and node.name == "sum" and node.arg.shape[1] == 1:
        return ir.matmul(ir.ones((1, node.arg.shape[0])), linear_map(node.arg, seed, seed_size))
    raise Unsupported(f"cannot read a Jacobian off {type(node).__name__}")


def _linear_product(node: ir.Mul, seed: str, seed_size) -> ir.Node:
    carrying = [a for a in node.args if ir.contains(a, seed)]
    if len(carrying) != 1:
        raise Unsupported("product not linear in the seed")
    inner = carrying[0]
    others = ir.mul(*(a for a in node.args if a is not inner))
    inner_map = linear_map(inner, seed, seed_size)
    if others.is_scalar:
        return ir.mul(others, inner_map)
    if inner.is_scalar:  # vector * (row @ g): an outer product
        return ir.matmul(others, inner_map)
    if others.shape[1] == 1:
        return ir.matmul(ir.func("diag", others), inner_map)
    raise Unsupported("elementwise product with a matrix")


def _linear_chain(node: ir.MatMul, seed: str, seed_size) -> ir.Node:
    args = node.args
    positions = [i for i, a in enumerate(args) if ir.contains(a, seed)]
    if len(positions) != 1:
        raise Unsupported("chain not linear in the seed")
    i = positions[0]
    left, middle, right = args[:i], args[i], args[i + 1:]
    if not right:
        return ir.matmul(*left, linear_map(middle, seed, seed_size)) if left else linear_map(middle, seed, seed_size)
    rest = ir.matmul(*right)
    if middle.shape[0] == 1:  # middle is a row v.T: v.T@R == R.T@v, a scalar
        scalar_map = ir.matmul(ir.transpose(rest), linear_map(ir.transpose(middle), seed, seed_size))
        return ir.matmul(*left, scalar_map) if left else scalar_map
    if rest.is_scalar:
        inner = ir.matmul(*left, linear_map(middle, seed, seed_size)) if left else linear_map(middle, seed, seed_size)
        return ir.mul(rest, inner)
    raise Unsupported("seed in the middle of a matrix product")
