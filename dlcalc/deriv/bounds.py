"""How much numeric work a check costs, so that it is bounded before NumPy is called.

An alarm cannot interrupt one long NumPy call (a 3000×3000 SVD, a 20,000×9,999 batch of finite
differences), so check-deriv estimates the cost first: an expression whose single evaluation is too
expensive is refused with the limit stated; a variable too large for a full finite-difference
Jacobian is checked along random directions instead (a directional derivative costs two
evaluations, whatever the size).
"""

from __future__ import annotations

from dlcalc.core.errors import DlcalcError
from dlcalc.deriv import ir

MAX_EVALUATION_COST = 5e7  # operations in one evaluation of the expression (about 0.1 s)
MAX_FULL_DIFFERENCES_COST = 5e6  # operations (and floats held, ~40 MB) for the full finite differences of one instance
MAX_DENSE_DERIVATIVE = 250_000  # entries of a Hessian or tensor derivative checked in full
DIRECTIONS = 3  # random directions per instance when the full Jacobian is too costly
_FACTORISATION = 30  # inv/det/logdet with the conditioning check (an SVD): ~30 n³


def entries(shape, sizes: dict) -> int:
    rows, cols = ir.concrete_shape(shape, sizes)
    return rows * cols


def evaluation_cost(node: ir.Node, sizes: dict) -> float:
    """Rough count of floating-point operations to evaluate ``node`` once (shared subtrees once)."""
    seen: set = set()
    total = 0.0
    stack = [node]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        stack.extend(ir.children(item))
        total += _own_cost(item, sizes)
    return total


def _own_cost(node: ir.Node, sizes: dict) -> float:
    if isinstance(node, ir.MatMul):
        cost, rows = 0.0, ir.concrete_shape(node.args[0].shape, sizes)[0]
        for a in node.args[1:]:
            inner, cols = ir.concrete_shape(a.shape, sizes)
            cost += 2.0 * rows * inner * cols
        return cost
    if isinstance(node, ir.Func) and node.name in ("inv", "det", "logdet"):
        n = ir.concrete_shape(node.arg.shape, sizes)[0]
        return _FACTORISATION * float(n) ** 3
    return float(entries(node.shape, sizes))


def check_evaluation(f: ir.Node, sizes: dict, sizes_text: str) -> float:
    """The cost of one evaluation, or a DlcalcError stating the limit."""
    cost = evaluation_cost(f, sizes)
    if cost > MAX_EVALUATION_COST:
        raise DlcalcError(
            f"too large to check: one evaluation at {sizes_text} takes about {cost:.1e} operations "
            f"(at most {MAX_EVALUATION_COST:.0e}); give smaller sizes with --shape"
        )
    return cost


def full_differences(problem, sizes: dict, cost: float) -> bool:
    """Is the full finite-difference derivative affordable here (else: random directions)?
    A Hessian or tensor needs it in full, so beyond either limit it is refused."""
    n = entries(problem.x_shape, sizes)
    if problem.kind == "hessian":
        points, dense = 4 * n * n, n * n
    else:
        points, dense = 2 * n, n * entries(problem.f.shape, sizes)
    if problem.kind in ("hessian", "tensor") and dense > MAX_DENSE_DERIVATIVE:
        raise DlcalcError(
            f"too large to check: the derivative has {dense} entries at these sizes (at most "
            f"{MAX_DENSE_DERIVATIVE} for a Hessian or a tensor); give smaller sizes with --shape"
        )
    affordable = n == 1 or points * max(cost, 1.0) <= MAX_FULL_DIFFERENCES_COST
    if not affordable and problem.kind in ("hessian", "tensor"):  # random directions check first derivatives only
        raise DlcalcError(
            f"too large to check: the finite differences of this {'Hessian' if problem.kind == 'hessian' else 'tensor'} "
            f"take about {points * max(cost, 1.0):.1e} operations (at most {MAX_FULL_DIFFERENCES_COST:.0e}); "
            "give smaller sizes with --shape"
        )
    return affordable
