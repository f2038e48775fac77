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
    """Adjoint of an operand that was broadcast to g's shape: sum g over the stretched axes."""
    if g.shape == shape:
        return g
    if shape == ir.SCALAR:
        return ir.func("sum", g)
    if shape[1] == 1 and g.shape[1] != 1:
        g = ir.matmul(g, ir.ones((g.shape[1], 1)))
    if shape[0] == 1 and g.shape[0] != 1:
        g = ir.matmul(ir.ones((1, g.shape[0])), g)
    return g


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
    to_base = _sum_to(ir.mul(g, exp, ir.pow_(base, ir.add(exp, ir.MINUS_ONE))), base.shape)
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
    if name in ir.ELEMENTWISE:
        slope = elementwise_slope(node)
        return [] if slope is None else [(u, ir.mul(g, slope))]
    if name == "norm":
        return [(u, ir.mul(g, u, ir.pow_(node, ir.MINUS_ONE)))]
    if name == "sum":
        return [(u, ir.mul(g, ir.ones(u.shape)))]
    if name == "softmax" and u.shape[1] == 1:
        s = node
        return [(u, ir.sub(ir.mul(s, g), ir.mul(ir.matmul(ir.transpose(s), g), s)))]
    if name in ("softmax", ir.SOFTMAX_ROWS):  # each column (row) on its own: s*g - s*sum(s*g)
        s = node
        return [(u, ir.sub(ir.mul(s, g), ir.mul(s, ir.axis_sum(ir.mul(s, g), ir.softmax_axis(node)))))]
    if name == "diag":
        return [(u, ir.func("diag", g))]
    raise Unsupported(f"no rule for {name}")


def elementwise_slope(node: ir.Func):
    """f'(u) for an elementwise f(u) (the node itself), as a tree; None where f' is 0 almost
    everywhere (step, sign: the subgradient convention at 0 is 0)."""
    name, u = node.name, node.arg
    one, two, half = ir.ONE, ir.num(2), ir.num(ir.Fraction(1, 2))
    if name == "log":
        return ir.pow_(u, ir.MINUS_ONE)
    if name == "exp":
        return node
    if name == "tanh":
        return ir.sub(one, ir.pow_(node, two))
    if name == "sigmoid":
        return ir.mul(node, ir.sub(one, node))
    if name == "softplus":
        return ir.func("sigmoid", u)
    if name == "relu":
        return ir.func("step", u)
    if name == "sqrt":
        return ir.mul(half, ir.pow_(node, ir.MINUS_ONE))
    if name == "sin":
        return ir.func("cos", u)
    if name == "cos":
        return ir.neg(ir.func("sin", u))
    if name == "tan":
        return ir.add(one, ir.pow_(node, two))
    if name in ("arcsin", "arccos"):
        slope = ir.pow_(ir.sub(one, ir.pow_(u, two)), ir.num(ir.Fraction(-1, 2)))
        return slope if name == "arcsin" else ir.neg(slope)
    if name == "arctan":
        return ir.pow_(ir.add(one, ir.pow_(u, two)), ir.MINUS_ONE)
    if name == "abs":
        return ir.func("sign", u)
    if name in ("step", "sign"):
        return None
    raise Unsupported(f"no rule for {name}")


def _log_rules(u: ir.Node, g: ir.Node):
    """log of det / sigmoid / softmax / 1 - sigmoid: use the simplified derivative directly."""
    if isinstance(u, ir.Func) and u.name == "det":
        return [(u.arg, ir.mul(g, ir.transpose(ir.func("inv", u.arg))))]
    if isinstance(u, ir.Func) and u.name == "sigmoid":
        return [(u.arg, ir.mul(g, ir.sub(ir.ONE, u)))]
    if isinstance(u, ir.Func) and u.name == "softmax" and u.shape[1] == 1:
        return [(u.arg, ir.sub(g, ir.mul(u, ir.func("sum", g))))]
    if isinstance(u, ir.Func) and u.name in ("softmax", ir.SOFTMAX_ROWS):
        return [(u.arg, ir.sub(g, ir.mul(u, ir.axis_sum(g, ir.softmax_axis(u)))))]
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


# --- forward mode, for a derivative by a scalar ---------------------------------------------------


def jvp(f: ir.Node, wrt: str) -> ir.Node:
    """dF/dt for the scalar variable t = ``wrt``: forward mode, every tangent shaped like its node
    (a matrix by a scalar is a matrix: d inv(A + t*B)/dt = -inv(A + t*B)@B@inv(A + t*B))."""
    memo: dict = {}

    def tangent(node: ir.Node):
        key = id(node)
        if key not in memo:
            memo[key] = _tangent(node, wrt, tangent)
        return memo[key]

    found = tangent(f)
    if found is None:
        return ir.zero(f.shape) if f.shape != ir.SCALAR else ir.num(0)
    return found if found.shape == f.shape else ir.mul(found, ir.ones(f.shape))


def _tangent(node: ir.Node, wrt: str, tangent):
    """The tangent of ``node`` from its children's (None: zero)."""
    if isinstance(node, ir.Var):
        return ir.ONE if node.name == wrt else None
    kids = ir.children(node)
    tangents = [tangent(c) for c in kids]
    if all(t is None for t in tangents):
        return None
    if isinstance(node, ir.Add):
        return ir.add(*(t for t in tangents if t is not None))
    if isinstance(node, ir.Mul):
        return ir.add(*(ir.mul(*(kids[:i] + (t,) + kids[i + 1:])) for i, t in enumerate(tangents) if t is not None))
    if isinstance(node, ir.MatMul):
        return ir.add(*(ir.matmul(*(kids[:i] + (_full(t, kids[i].shape),) + kids[i + 1:]))
                        for i, t in enumerate(tangents) if t is not None))
    if isinstance(node, ir.Transpose):
        return ir.transpose(tangents[0])
    if isinstance(node, ir.Pow):
        base, exp = kids
        parts = []
        if tangents[0] is not None:
            parts.append(ir.mul(tangents[0], exp, ir.pow_(base, ir.add(exp, ir.MINUS_ONE))))
        if tangents[1] is not None:
            parts.append(ir.mul(tangents[1], ir.func("log", base), node))
        return ir.add(*parts)
    return _func_tangent(node, _full(tangents[0], node.arg.shape))


def _full(t: ir.Node, shape) -> ir.Node:
    """A tangent that is a bare scalar (the seed 1) stretched to its node's shape, where a matrix
    product needs the real shape."""
    return t if t.shape == shape else ir.mul(t, ir.ones(shape))


def _func_tangent(node: ir.Func, t: ir.Node):
    name, u = node.name, node.arg
    if name == "trace":
        return ir.func("trace", t)
    if name == "sum":
        return ir.func("sum", t)
    if name == "det":
        return ir.mul(node, ir.func("trace", ir.matmul(ir.func("inv", u), t)))
    if name == "logdet":
        return ir.func("trace", ir.matmul(ir.func("inv", u), t))
    if name == "inv":
        return ir.neg(ir.matmul(node, t, node))
    if name == "norm":
        return ir.mul(ir.func("sum", ir.mul(u, t)), ir.pow_(node, ir.MINUS_ONE))
    if name == "softmax" and u.shape[1] == 1:
        return ir.sub(ir.mul(node, t), ir.mul(node, ir.matmul(ir.transpose(node), t)))
    if name in ("softmax", ir.SOFTMAX_ROWS):
        return ir.sub(ir.mul(node, t), ir.mul(node, ir.axis_sum(ir.mul(node, t), ir.softmax_axis(node))))
    if name == "diag":
        return ir.func("diag", t)
    if name in ir.ELEMENTWISE:
        slope = elementwise_slope(node)
        return None if slope is None else ir.mul(slope, t)
    raise Unsupported(f"no forward rule for {name}")


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
    if isinstance(node, ir.Func) and node.name == "diag" and node.shape[1] == 1:
        return _linear_diagonal(node.arg, seed, seed_size)
    raise Unsupported(f"cannot read a Jacobian off {type(node).__name__}")


def _outer_parts(node: ir.Node, seed: str):
    """(column c, row r) with node == c@r and the seed on one side only, or None."""
    if isinstance(node, ir.Transpose) and isinstance(node.arg, ir.MatMul):  # (P@Q).T == Q.T@P.T
        node = ir.matmul(*(ir.transpose(a) for a in reversed(node.arg.args)))
    if not isinstance(node, ir.MatMul):
        return None
    chain = node.args
    for k in range(1, len(chain)):
        left, right = chain[:k], chain[k:]
        if left[-1].shape[1] != 1:
            continue
        in_left = any(ir.contains(a, seed) for a in left)
        in_right = any(ir.contains(a, seed) for a in right)
        if in_left != in_right:
            return ir.matmul(*left), ir.matmul(*right)
    return None


def _linear_diagonal(arg: ir.Node, seed: str, seed_size) -> ir.Node:
    """diag(M) for M linear in g: diag(c@r) == c*r.T, so it is diag(r.T)@map(c) (or the mirror)."""
    if isinstance(arg, ir.Add):
        return ir.add(*(_linear_diagonal(a, seed, seed_size) for a in arg.args))
    if isinstance(arg, ir.Mul) and all(a.is_scalar for a in arg.args[:-1]) and not ir.contains(ir.mul(*arg.args[:-1]), seed):
        return ir.mul(*arg.args[:-1], _linear_diagonal(arg.args[-1], seed, seed_size))
    parts = _outer_parts(arg, seed)
    if parts is None:
        raise Unsupported("diagonal of a matrix that is not an outer product")
    c, r = parts
    if ir.contains(c, seed):
        return ir.matmul(ir.func("diag", ir.transpose(r)), linear_map(c, seed, seed_size))
    return ir.matmul(ir.func("diag", c), linear_map(ir.transpose(r), seed, seed_size))


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
    if isinstance(middle, ir.Transpose) and isinstance(middle.arg, (ir.Add, ir.Mul)):
        inner = middle.arg  # (P*Q).T == P.T*Q.T, (P + Q).T == P.T + Q.T
        middle = type(inner)(middle.shape, tuple(ir.transpose(a) for a in inner.args))
    if isinstance(middle, ir.Add):  # (P + Q)@x: one chain per term
        return ir.add(*(linear_map(ir.matmul(*left, a, *right), seed, seed_size) for a in middle.args))
    if isinstance(middle, ir.Mul):
        pulled = _pull_seed_scalars(middle, seed)
        if pulled is not None:  # (s(g)*M)@x == s(g)*(M@x)
            return linear_map(ir.mul(pulled[0], ir.matmul(*left, pulled[1], *right)), seed, seed_size)
        if right and ir.matmul(*right).shape[1] == 1:
            return _linear_masked_chain(left, middle, ir.matmul(*right), seed, seed_size)
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


def _pull_seed_scalars(product: ir.Mul, seed: str):
    """(scalar factors, the rest) of an elementwise product whose seed lies only in scalar
    factors, or None."""
    scalars = [a for a in product.args if a.is_scalar]
    rest = [a for a in product.args if not a.is_scalar]
    if not scalars or not rest or any(ir.contains(a, seed) for a in rest):
        return None
    return ir.mul(*scalars), ir.mul(*rest)


def _linear_masked_chain(left: tuple, masked: ir.Mul, w: ir.Node, seed: str, seed_size) -> ir.Node:
    """L@(N*(c@r))@w with the seed in c: entry i of (N*(c@r))@w is c_i*(N@(r.T*w))_i, so the map is
    L@diag(N@(r.T*w))@map(c); with the seed in r it is L@(c*N*w.T)@map(r.T)."""
    carrying = [a for a in masked.args if ir.contains(a, seed)]
    if len(carrying) != 1:
        raise Unsupported("elementwise product not linear in the seed")
    mask = ir.mul(*(a for a in masked.args if a is not carrying[0]))
    if masked.shape[0] == 1 and carrying[0].shape == masked.shape and mask.shape == masked.shape:
        # a row: (m*r)@w == r@(m.T*w)
        return linear_map(ir.matmul(*left, carrying[0], ir.mul(ir.transpose(mask), w)), seed, seed_size)
    parts = _outer_parts(carrying[0], seed)
    if parts is None:
        raise Unsupported("elementwise product with a matrix")
    if mask.shape != masked.shape:  # a row or column mask: stretch it as the product broadcast it
        mask = ir.mul(mask, ir.ones(masked.shape))
    c, r = parts
    if ir.contains(c, seed):
        inner = ir.matmul(ir.func("diag", ir.matmul(mask, ir.mul(ir.transpose(r), w))), linear_map(c, seed, seed_size))
    else:
        inner = ir.matmul(ir.mul(c, mask, ir.transpose(w)), linear_map(ir.transpose(r), seed, seed_size))
    return ir.matmul(*left, inner) if left else inner
