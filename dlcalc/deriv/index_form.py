"""Index notation for higher-order derivatives, read off the vector-Jacobian product.

If vjp(G) = ∂<G, Y>/∂X is linear in G, then T[i,j,k,l] = ∂Y[i,j]/∂X[k,l] = vjp(E_ij)[k,l], and a term
L@G@R of the vjp gives L[k,i]*R[j,l] (L@G.T@R gives L[k,j]*R[i,l]). Terms of any other form make
the index form unavailable (the vjp is still shown).
"""

from __future__ import annotations

from dlcalc.deriv import ir
from dlcalc.deriv.simplify import TooComplex, expand, term_node
from dlcalc.deriv.to_numpy_syntax import split_sign, to_numpy


def index_form(problem, vjp_node: ir.Node) -> str | None:
    out_rows, out_cols = ("i" if problem.f.shape[0] != 1 else None), ("j" if problem.f.shape[1] != 1 else None)
    var_rows, var_cols = ("k" if problem.x_shape[0] != 1 else None), ("l" if problem.x_shape[1] != 1 else None)
    try:
        terms = expand(vjp_node)
    except TooComplex:
        return None
    pieces = []
    for term in terms:
        piece = _term_entry(term, problem.seed, (out_rows, out_cols), (var_rows, var_cols))
        if piece is None:
            return None
        pieces.append(piece)
    header = "T[" + ",".join(i for i in (out_rows, out_cols, var_rows, var_cols) if i) + "]"
    if not pieces:
        return f"{header} = 0"
    body = pieces[0][1] if not pieces[0][0] else "-" + pieces[0][1]
    for negative, text in pieces[1:]:
        body += (" - " if negative else " + ") + text
    return f"{header} = {body}"


def _term_entry(term, seed: str, out, var):
    positions = [n for n, f in enumerate(term.chain) if ir.contains(f, seed)]
    if len(positions) != 1 or any(ir.contains(a, seed) for a, _ in term.scalars):
        return None
    n = positions[0]
    middle = term.chain[n]
    left, right = term.chain[:n], term.chain[n + 1:]
    if isinstance(middle, ir.Var):
        rows, cols = out
    elif isinstance(middle, ir.Transpose) and isinstance(middle.arg, ir.Var):
        cols, rows = out
    else:
        return None
    factors = [_entry(left, var[0], rows), _entry(right, cols, var[1])]
    scale = term_node(type(term)(term.coef, term.scalars, ()), ir.SCALAR)
    negative, magnitude = split_sign(scale)
    if not ir.is_one(magnitude):
        text = to_numpy(magnitude)
        factors.insert(0, text if isinstance(magnitude, (ir.Var, ir.Num, ir.Func)) else f"({text})")
    factors = [f for f in factors if f]
    return negative, "*".join(factors) or "1"


def _entry(chain: tuple, row, col) -> str:
    """The text of (product of chain)[row, col]; an empty chain is the identity (a Kronecker delta)."""
    if not chain:
        if row is None and col is None:
            return ""
        return f"δ[{row},{col}]" if row and col else ""
    node = chain[0] if len(chain) == 1 else ir.MatMul((chain[0].shape[0], chain[-1].shape[1]), chain)
    if isinstance(node, ir.Transpose) and isinstance(node.arg, (ir.Var, ir.Func)):
        node, row, col = node.arg, col, row  # (inv(X).T)[k,j] reads better as inv(X)[j,k]
    if isinstance(node, ir.Eye):
        return f"δ[{row},{col}]"
    name = node.name if isinstance(node, ir.Var) else to_numpy(node) if isinstance(node, ir.Func) else f"({to_numpy(node)})"
    indices = [i for i, size in ((row, node.shape[0]), (col, node.shape[1])) if size != 1]
    if not indices:
        return name
    return f"{name}[{','.join(str(i) for i in indices)}]"


def vec_parts(problem, vjp_node: ir.Node):
    """[(scale, R, L.T)] with vjp(G) = Σ scale*L@G@R, so that ∂vec(Y)/∂vec(X) = Σ scale*kron(R, L.T)
    (column-major vec, numerator layout: vec(L@G@R) = kron(R.T, L)@vec(G)); None if a term has G.T
    or the seed elsewhere (then only index notation is shown)."""
    try:
        terms = expand(vjp_node)
    except TooComplex:
        return None
    rows, cols = problem.f.shape
    parts = []
    for term in terms:
        positions = [n for n, f in enumerate(term.chain) if ir.contains(f, problem.seed)]
        if len(positions) != 1 or not isinstance(term.chain[positions[0]], ir.Var):
            return None
        if any(ir.contains(a, problem.seed) for a, _ in term.scalars):
            return None
        n = positions[0]
        left, right = term.chain[:n], term.chain[n + 1:]
        left_node = ir.matmul(*left) if left else ir.eye(rows)
        right_node = ir.matmul(*right) if right else ir.eye(cols)
        scale = term_node(type(term)(term.coef, term.scalars, ()), ir.SCALAR)
        parts.append((scale, right_node, ir.transpose(left_node)))
    return parts or None


def vec_text(problem, parts) -> str:
    from dlcalc.deriv.simplify import simplify

    pieces = []
    for scale, right, left_t in parts:
        negative, magnitude = split_sign(simplify(scale))
        factor = "" if ir.is_one(magnitude) else (to_numpy(magnitude) if isinstance(magnitude, (ir.Var, ir.Num, ir.Func)) else f"({to_numpy(magnitude)})") + "*"
        pieces.append((negative, f"{factor}kron({to_numpy(simplify(right))}, {to_numpy(simplify(left_t))})"))
    body = ("-" if pieces[0][0] else "") + pieces[0][1]
    for negative, text in pieces[1:]:
        body += (" - " if negative else " + ") + text
    return f"∂vec(Y)/∂vec({problem.wrt}) = {body}"
