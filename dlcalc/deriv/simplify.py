"""Bring an expression tree to a readable normal form.

An expression is expanded into terms ``coef * (scalar atoms) * (chain of matrix factors)``:
scalar sums distribute, matrix products concatenate their chains, transposes are pushed down to
the leaves (``(A@x).T -> x.T@A.T``), a 1x1 stretch of a chain becomes a scalar factor
(``u@(w.T@g) -> (w.T@g)*u``), and elementwise functions stay atoms. Like terms are collected,
then common left/right factors are pulled out of sums (``A@x + A.T@x -> (A + A.T)@x``).

Only value-preserving rewrites happen here; check-deriv still verifies the printed result.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from fractions import Fraction
from math import gcd

from dlcalc.deriv import ir
from dlcalc.deriv.to_numpy_syntax import to_numpy

MAX_TERMS = 400
MAX_CONSTANT_BITS = 128  # a constant computed from the expression (2**2**2**2**2) stays below 2**128


class TooComplex(Exception):
    """The expansion grew beyond MAX_TERMS; the caller keeps the unsimplified form."""


@dataclass(frozen=True)
class Term:
    coef: Fraction
    scalars: tuple  # ((atom, exponent), ...) sorted by printed form
    chain: tuple  # matrix factors multiplied with @; () for a scalar term


UNIT = Term(Fraction(1), (), ())


_KEEP_VECTOR_SUMS = [False]  # the mode of the second pass (see simplify)


def simplify(node: ir.Node) -> ir.Node:
    """The shorter of two normal forms: sums distributed everywhere, and sums of vectors inside
    matrix products kept whole (inv(S)@(x - mu)@(x - mu).T rather than four outer products)."""
    if _KEEP_VECTOR_SUMS[0]:
        return _simplify_once(node)
    expanded = _simplify_once(node)
    _KEEP_VECTOR_SUMS[0] = True
    try:
        grouped = _simplify_once(node)
    finally:
        _KEEP_VECTOR_SUMS[0] = False
    return grouped if len(key(grouped)) < len(key(expanded)) else expanded


def _simplify_once(node: ir.Node) -> ir.Node:
    try:
        return rebuild(expand(node), node.shape)
    except TooComplex:
        return node


@lru_cache(maxsize=8192)
def key(node: ir.Node) -> str:
    return to_numpy(node)


# --- expansion --------------------------------------------------------------------------------


def expand(node: ir.Node) -> list:
    handler = _EXPANDERS.get(type(node))
    if handler is None:
        raise TypeError(f"cannot expand {type(node).__name__}")
    terms = handler(node)
    if len(terms) > MAX_TERMS:
        raise TooComplex
    return terms


def _expand_num(node: ir.Num) -> list:
    return [Term(node.value, (), ())] if node.value != 0 else []


def _expand_leaf(node: ir.Node) -> list:
    return scalar_atom(node) if node.is_scalar else [Term(Fraction(1), (), (node,))]


def _expand_add(node: ir.Add) -> list:
    if all(a.shape == node.shape for a in node.args):
        return collect([t for a in node.args for t in expand(a)])
    scalars = [a for a in node.args if a.is_scalar]
    arrays = [a for a in node.args if not a.is_scalar]
    if any(a.shape != node.shape for a in arrays):  # broadcast (a column plus a row): one atom
        return _expand_leaf(ir.Add(node.shape, tuple(simplify(a) for a in node.args)))
    # A scalar added to every entry (1 - tanh(u)**2): keep it as one elementwise atom.
    parts = [simplify(ir.add(*scalars)), simplify(ir.add(*arrays))]
    return [Term(Fraction(1), (), (ir.Add(node.shape, tuple(p for p in parts if not ir.is_zero(p))),))]


def _expand_mul(node: ir.Mul) -> list:
    scalars = [a for a in node.args if a.is_scalar]
    arrays = [a for a in node.args if not a.is_scalar]
    terms = [UNIT]
    for a in scalars:
        terms = product(terms, expand(a))
    if len(arrays) == 1:
        return product(terms, expand(arrays[0]))
    if not arrays:
        return terms
    pulled = UNIT
    factors = []
    for a in arrays:
        expanded = expand(a)
        if not expanded:
            return []
        if len(expanded) == 1:
            pulled = multiply(pulled, Term(expanded[0].coef, expanded[0].scalars, ()))
            factors.append(chain_node(expanded[0].chain, a.shape))
        else:
            factors.append(rebuild(expanded, a.shape))
    factors = [g for f in factors for g in (f.args if _is_hadamard(f) else (f,))]
    kept = [f for f in factors if not isinstance(f, ir.Ones)]
    if kept and ir.broadcast_shape(kept) == node.shape:
        factors = kept  # the ones broadcast nothing the other factors do not
    outer = _outer_product(factors)
    if outer is not None:  # a column times a row is their outer product c@r
        return product(product(terms, [pulled]), expand(outer))
    factors = _powers_of_repeats(factors)
    inner = factors[0] if len(factors) == 1 else ir.Mul(node.shape, tuple(sorted(factors, key=key)))
    return product(product(terms, [pulled]), _expand_leaf(inner) if len(factors) > 1 else expand(inner))


def _powers_of_repeats(factors: list) -> list:
    """u*u -> u**2 in an elementwise product (bases compared by their printed form)."""
    counts: dict = {}
    for f in factors:
        base, exponent = (f.base, f.exp.value) if isinstance(f, ir.Pow) and isinstance(f.exp, ir.Num) else (f, Fraction(1))
        entry = counts.setdefault(key(base), [base, Fraction(0)])
        entry[1] += exponent
    if len(counts) == len(factors):
        return factors
    return [ir.pow_(base, ir.num(e)) if e != 0 else ir.ones(base.shape) for base, e in counts.values()]


def _outer_product(factors: list):
    """c@r if the factors are one column c and one row r (in either order), else None."""
    if len(factors) != 2:
        return None
    ones = [f for f in factors if isinstance(f, ir.Ones)]
    if len(ones) == 1:  # ones(n, m)*r == ones(n)@r; ones(n, m)*c == c@ones(1, m)
        other = factors[1] if factors[0] is ones[0] else factors[0]
        rows, cols = ones[0].shape
        if other.shape == (1, cols) and rows != 1:
            factors = [ir.ones((rows, 1)), other]
        elif other.shape == (rows, 1) and cols != 1:
            factors = [other, ir.ones((1, cols))]
    columns = [f for f in factors if f.shape[1] == 1 and f.shape[0] != 1]
    rows = [f for f in factors if f.shape[0] == 1 and f.shape[1] != 1]
    if len(columns) == 1 and len(rows) == 1:
        return ir.MatMul((columns[0].shape[0], rows[0].shape[1]), (columns[0], rows[0]))
    return None


def _is_hadamard(node: ir.Node) -> bool:
    return isinstance(node, ir.Mul) and not any(a.is_scalar for a in node.args)


def _expand_matmul(node: ir.MatMul) -> list:
    terms = _expand_factor(node.args[0])
    for a in node.args[1:]:
        right = _expand_factor(a)
        terms = collect([t for t in (join(x, y) for x in terms for y in right) if t is not None])
    return terms


def _is_vector_sum(node: ir.Node) -> bool:
    inner = node.arg if isinstance(node, ir.Transpose) else node
    return isinstance(inner, ir.Add) and 1 in inner.shape and not inner.is_scalar and \
        all(a.shape == inner.shape for a in inner.args)


def _expand_factor(node: ir.Node) -> list:
    """A factor of a matrix product: a sum of vectors stays one factor in the second pass."""
    if _KEEP_VECTOR_SUMS[0] and _is_vector_sum(node):
        inner = node.arg if isinstance(node, ir.Transpose) else node
        whole = _simplify_once(inner)
        if isinstance(whole, ir.Add):
            return _expand_leaf(ir.transpose(whole) if isinstance(node, ir.Transpose) else whole)
    return expand(node)


def _expand_transpose(node: ir.Transpose) -> list:
    return [transpose_term(t) for t in expand(node.arg)]


def _expand_pow(node: ir.Pow) -> list:
    exp = simplify(node.exp)
    if isinstance(exp, ir.Num) and exp.value == 1:
        return expand(node.base)
    if isinstance(exp, ir.Num) and exp.value == 0:
        return expand(ir.ones(node.shape))
    base = simplify(node.base)
    if not node.is_scalar:
        return _expand_leaf(ir.Pow(node.shape, base, exp))
    if isinstance(exp, ir.Num):
        terms = expand(base)
        if len(terms) == 1 and not terms[0].chain:
            return [power(terms[0], exp.value)]
        return scalar_atom(base, exp.value)
    return scalar_atom(ir.Pow(ir.SCALAR, base, exp))


def _expand_func(node: ir.Func) -> list:
    name = node.name
    arg = simplify(node.arg)
    if name in ("trace", "sum"):
        return _expand_linear_reduction(name, arg)
    if name == "log" and isinstance(arg, ir.Func) and arg.name == "exp":
        return expand(arg.arg)
    if name == "exp" and isinstance(arg, ir.Func) and arg.name == "log":
        return expand(arg.arg)
    if name == "inv":
        if isinstance(arg, ir.Func) and arg.name == "inv":
            return expand(arg.arg)
        if isinstance(arg, ir.Transpose):
            return expand(ir.transpose(ir.func("inv", arg.arg)))
    if name == "diag" and isinstance(arg, ir.Func) and arg.name == "diag" and arg.arg.shape[1] == 1:
        return expand(arg.arg)  # diag(diag(v)) == v for a column v
    if name == "diag" and not arg.is_scalar:
        pulled, inner = pull_scalars(arg)
        if isinstance(inner, ir.Ones) and inner.shape[1] == 1:  # diag(ones(n)) == eye(n)
            return product([pulled], expand(ir.eye(inner.shape[0])))
        return product([pulled], _expand_leaf(ir.func("diag", inner)))
    if name in ir.ELEMENTWISE and isinstance(arg, ir.Transpose):
        return expand(ir.transpose(ir.func(name, arg.arg)))
    return _expand_leaf(ir.Func(node.shape, name, arg))


def _expand_linear_reduction(name: str, arg: ir.Node) -> list:
    """trace and sum are linear: pull coefficients and scalar factors out of each term."""
    if arg.is_scalar:
        return expand(arg)
    out = []
    for t in expand(arg):
        inner = chain_node(t.chain, arg.shape)
        if name == "sum" and _is_hadamard(inner) and len(inner.args) == 2 and 1 in inner.shape:
            first, second = inner.args  # sum(u*v) == u.T@v for columns, u@v.T for rows
            pair = (ir.transpose(first), second) if inner.shape[1] == 1 else (first, ir.transpose(second))
            out.extend(product([Term(t.coef, t.scalars, ())], expand(ir.MatMul(ir.SCALAR, pair))))
            continue
        if name == "sum" and _is_hadamard(inner) and any(isinstance(a, ir.Eye) for a in inner.args):
            rest = [a for a in inner.args if not isinstance(a, ir.Eye)]  # sum(eye*M) == trace(M)
            out.extend(product([Term(t.coef, t.scalars, ())], expand(ir.func("trace", ir.mul(*rest)))))
            continue
        if name == "trace" and isinstance(inner, ir.Eye) and isinstance(inner.shape[0], int):
            reduced = expand(ir.num(inner.shape[0]))  # trace(eye(3)) == 3
        else:
            reduced = scalar_atom(ir.Func(ir.SCALAR, name, inner))
        out.extend(product([Term(t.coef, t.scalars, ())], reduced))
    return collect(out)


_EXPANDERS = {
    ir.Num: _expand_num,
    ir.Var: _expand_leaf,
    ir.Eye: _expand_leaf,
    ir.Ones: _expand_leaf,
    ir.Zero: lambda node: [],
    ir.Add: _expand_add,
    ir.Mul: _expand_mul,
    ir.MatMul: _expand_matmul,
    ir.Transpose: _expand_transpose,
    ir.Pow: _expand_pow,
    ir.Func: _expand_func,
}


# --- term algebra -----------------------------------------------------------------------------


def exact_power(base: Fraction, exponent: int) -> Fraction:
    """base**exponent, refused before it is computed if it would exceed MAX_CONSTANT_BITS."""
    size = max(abs(base.numerator), base.denominator).bit_length()
    if size > 1 and abs(exponent) * (size - 1) > MAX_CONSTANT_BITS:
        from dlcalc.core.errors import DlcalcError

        raise DlcalcError(
            f"the constant {base}**{str(exponent)[:20]} is too large (constants computed from the expression "
            f"must stay below 2**{MAX_CONSTANT_BITS})"
        )
    return base ** exponent


def scalar_atom(atom: ir.Node, exponent=Fraction(1)) -> list:
    if isinstance(atom, ir.Num):
        if atom.value == 0:
            return []
        if Fraction(exponent).denominator == 1:
            return [Term(exact_power(atom.value, int(exponent)), (), ())]
    return [Term(Fraction(1), ((atom, Fraction(exponent)),), ())]


def merge_scalars(a: tuple, b: tuple) -> tuple:
    exponents: dict = {}
    for atom, e in a + b:
        exponents[atom] = exponents.get(atom, 0) + e
    return tuple(sorted(((x, e) for x, e in exponents.items() if e != 0), key=lambda item: key(item[0])))


def multiply(a: Term, b: Term) -> Term:
    """Product of a term with a scalar term (or of two scalar terms)."""
    return Term(a.coef * b.coef, merge_scalars(a.scalars, b.scalars), a.chain or b.chain)


def product(left: list, right: list) -> list:
    out = [multiply(x, y) for x in left for y in right]
    if len(out) > MAX_TERMS:
        raise TooComplex
    return collect(out)


def power(term: Term, exponent: Fraction) -> Term:
    """A scalar term to a numeric power; fractional powers keep a non-unit coefficient as an atom."""
    if exponent.denominator == 1:
        return Term(exact_power(term.coef, int(exponent)), tuple((x, e * exponent) for x, e in term.scalars), ())
    if term.coef == 1:
        return Term(Fraction(1), tuple((x, e * exponent) for x, e in term.scalars), ())
    return Term(Fraction(1), ((term_node(term, ir.SCALAR), exponent),), ())


def join(a: Term, b: Term) -> Term | None:
    """The matrix product of two terms, its chain normalised."""
    coef = a.coef * b.coef
    scalars = merge_scalars(a.scalars, b.scalars)
    chain = a.chain + b.chain
    if len(chain) > 1:
        chain = tuple(f for f in chain if not isinstance(f, ir.Eye)) or chain[:1]
    extracted, chain = extract_scalar_runs(chain)
    for atom in extracted:
        scalars = merge_scalars(scalars, ((atom, Fraction(1)),))
    return Term(coef, scalars, chain)


def chain_shape(chain) -> tuple:
    return (chain[0].shape[0], chain[-1].shape[1])


def extract_scalar_runs(chain: tuple) -> tuple:
    """Split 1x1 stretches off a chain: L@(r@c)@R == (r@c) * L@R when L ends and R starts with 1."""
    atoms = []
    changed = True
    while changed and chain:
        changed = False
        if chain_shape(chain) == ir.SCALAR:
            return atoms + [canonical_scalar_chain(chain)], ()
        for i in range(len(chain)):
            if i > 0 and chain[i - 1].shape[1] != 1:
                continue
            for j in range(i + 1, len(chain) + 1):
                if (i, j) == (0, len(chain)) or chain_shape(chain[i:j]) != ir.SCALAR:
                    continue
                if j < len(chain) and chain[j].shape[0] != 1:
                    continue
                atoms.append(canonical_scalar_chain(chain[i:j]))
                chain = chain[:i] + chain[j:]
                changed = True
                break
            if changed:
                break
    return atoms, chain


def canonical_scalar_chain(chain: tuple) -> ir.Node:
    """A 1x1 product equals its transpose; keep whichever of the two reads better."""
    if len(chain) == 1:
        return chain[0]
    forward = ir.MatMul(ir.SCALAR, chain)
    backward = ir.MatMul(ir.SCALAR, tuple(transpose_factor(f) for f in reversed(chain)))
    return min((forward, backward), key=lambda n: (key(n).count(".T"), key(n)))


def transpose_factor(node: ir.Node) -> ir.Node:
    if isinstance(node, ir.Func) and node.name == "diag" and node.shape[1] != 1:
        return node
    return ir.transpose(node)


def transpose_term(t: Term) -> Term:
    return Term(t.coef, t.scalars, tuple(transpose_factor(f) for f in reversed(t.chain)))


def collect(terms: list) -> list:
    """Add up terms that differ only in their numeric coefficient, keeping first-seen order."""
    sums: dict = {}
    for t in terms:
        k = (t.scalars, t.chain)
        sums[k] = sums.get(k, 0) + t.coef
    return [Term(Fraction(c), s, ch) for (s, ch), c in sums.items() if c != 0]


def pull_scalars(node: ir.Node) -> tuple:
    """(scalar part, the rest) of a node that expands to a single term."""
    terms = expand(node)
    if len(terms) != 1:
        return UNIT, node
    return Term(terms[0].coef, terms[0].scalars, ()), chain_node(terms[0].chain, node.shape)


# --- rebuilding -------------------------------------------------------------------------------


def chain_node(chain: tuple, shape) -> ir.Node:
    if not chain:
        return ir.ONE if shape == ir.SCALAR else ir.ones(shape)
    return chain[0] if len(chain) == 1 else ir.MatMul(chain_shape(chain), chain)


def term_node(t: Term, shape) -> ir.Node:
    factors = [ir.num(t.coef)] if t.coef != 1 else []
    factors += [ir.pow_(atom, ir.num(e)) for atom, e in t.scalars]
    if t.chain:
        factors.append(chain_node(t.chain, shape))
    if not factors:
        return ir.ONE
    if len(factors) == 1:
        return factors[0]
    return ir.Mul(shape if t.chain else ir.SCALAR, tuple(factors))


def common_factor(terms: list) -> Term:
    """The numeric gcd (negative if every coefficient is) and scalar atoms shared by all terms."""
    numerators = [t.coef.numerator for t in terms]
    denominators = [t.coef.denominator for t in terms]
    g = Fraction(gcd(*numerators), _lcm(denominators))
    if all(c < 0 for c in numerators):
        g = -g
    shared = dict(terms[0].scalars)
    for t in terms[1:]:
        own = dict(t.scalars)
        shared = {a: min(e, own[a]) for a, e in shared.items() if a in own and (e > 0) == (own[a] > 0)}
    return Term(g, tuple(sorted(shared.items(), key=lambda item: key(item[0]))), ())


def _lcm(values) -> int:
    out = 1
    for v in values:
        out = out * v // gcd(out, v)
    return out


def divide(t: Term, by: Term) -> Term:
    inverse = tuple((a, -e) for a, e in by.scalars)
    return Term(t.coef / by.coef, merge_scalars(t.scalars, inverse), t.chain)


def order(terms: list) -> list:
    """Positive terms first, then fewer transposes; otherwise keep the order they arose in."""
    return sorted(terms, key=lambda t: (t.coef < 0, sum(key(f).count(".T") for f in t.chain)))


def rebuild(terms: list, shape) -> ir.Node:
    if not terms:
        return ir.num(0) if shape == ir.SCALAR else ir.zero(shape)
    return assemble(group_by_chain(terms), shape)


def group_by_chain(terms: list) -> list:
    """One term per chain: terms sharing a chain get their scalar parts summed into one atom."""
    groups: dict = {}
    for t in terms:
        groups.setdefault(t.chain, []).append(t)
    out = []
    for chain, members in groups.items():
        if len(members) == 1:
            out.append(members[0])
            continue
        scalar_terms = [Term(m.coef, m.scalars, ()) for m in members]
        common = common_factor(scalar_terms)
        inner = [divide(m, common) for m in scalar_terms]
        atom = sum_node([term_node(t, ir.SCALAR) for t in order(inner)], ir.SCALAR)
        out.append(Term(common.coef, merge_scalars(common.scalars, ((atom, Fraction(1)),)), chain))
    return out


def sum_node(nodes: list, shape) -> ir.Node:
    return nodes[0] if len(nodes) == 1 else ir.Add(shape, tuple(nodes))


def assemble(terms: list, shape) -> ir.Node:
    """Sum the terms, pulling a factor shared by several terms' chains out of them."""
    if len(terms) == 1:
        return term_node(terms[0], shape)
    for side in (-1, 0):
        factored = factor_out(terms, shape, side)
        if factored is not None:
            return factored
    return sum_node([term_node(t, shape) for t in order(terms)], shape)


def factor_out(terms: list, shape, side: int):
    """``side`` -1: common last factor (A@x + B@x = (A + B)@x); 0: common first factor."""
    counts: dict = {}
    for t in terms:
        if len(t.chain) >= 2:
            counts[t.chain[side]] = counts.get(t.chain[side], 0) + 1
    shared = [f for f, c in counts.items() if c >= 2]
    if not shared:
        return None
    factor = shared[0]
    group = [t for t in terms if len(t.chain) >= 2 and t.chain[side] == factor]
    rest = [t for t in terms if t not in group]
    stripped = [Term(t.coef, t.scalars, t.chain[:-1] if side == -1 else t.chain[1:]) for t in group]
    common = common_factor(stripped)
    inner_terms = [divide(t, common) for t in stripped]
    inner_shape = (shape[0], factor.shape[0]) if side == -1 else (factor.shape[1], shape[1])
    inner = assemble(inner_terms, inner_shape)
    chain = (inner, factor) if side == -1 else (factor, inner)
    merged = Term(common.coef, common.scalars, chain)
    if not rest:
        return term_node(merged, shape)
    return assemble(rest + [merged], shape)
