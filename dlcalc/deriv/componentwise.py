"""Exact derivatives entry by entry, with SymPy, at small concrete sizes.

The second symbolic route of check-deriv (the first is the matrix-calculus rules): every variable
becomes an explicit matrix of symbols (``X_0_1``, ``x_2``, ``alpha``), the expression tree is
evaluated to an explicit SymPy matrix, and each output entry is differentiated by each input entry.
The result is exact at that size, in the same layouts as the rules (denominator layout:
gradient shaped like x, Jacobian [i,j] = ∂y_j/∂x_i, Hessian, tensor [i,j,k,l] = ∂Y[i,j]/∂X[k,l]).

Variables are unstructured even under --assume (a symmetric matrix's entries are treated as
independent, Matrix Cookbook eq. 32), exactly like the finite differences and the rules.

SymPy is imported inside functions only: the numeric commands must never load it.
"""

from __future__ import annotations

from dataclasses import dataclass

from dlcalc.deriv import ir

MAX_OPERATIONS = 20_000  # per evaluated sub-expression; beyond this the route gives up
MAX_TEXT = 4_000


class ComponentwiseFailed(Exception):
    """The component-wise route cannot give an answer here (undefined, or wrong: never used)."""


class ComponentwiseTooCostly(ComponentwiseFailed):
    """Too large or too slow at this size (a smaller size may still have succeeded)."""


@dataclass
class Componentwise:
    """The exact derivative at one set of sizes: ``entries`` in denominator layout."""

    sizes: dict
    kind: str
    symbols: list  # every entry symbol, in the order the values are passed to ``evaluate``
    names: list  # (variable name, (rows, cols)) in the same order
    entries: object  # sympy Matrix (gradient, jacobian, hessian) or Array (tensor)
    _numeric: object = None

    def evaluate(self, values: dict):
        """The derivative at ``values`` (name -> array (1, rows, cols)), as a float array."""
        import numpy as np

        if self._numeric is None:
            self._numeric = _compile(self.symbols, self.entries)
        arguments = [float(v) for name, _ in self.names for v in np.asarray(values[name])[0].ravel()]
        return np.asarray(self._numeric(*arguments), dtype=float).reshape(self.entries.shape)

    def in_layout(self, layout: str):
        from dlcalc.deriv.derivative import transposed

        if transposed(self.kind, layout):
            return self.entries.T
        return self.entries

    def entry_strings(self, layout: str) -> list:
        """The entries as nested lists of strings (NumPy-like syntax), for JSON."""
        return _nested_strings(self.in_layout(layout).tolist())

    def text(self, layout: str) -> str:
        return _nested_text(self.entry_strings(layout))

    def latex(self, layout: str) -> str:
        import sympy

        if self.kind == "tensor":
            return ""
        return sympy.latex(self.in_layout(layout), symbol_names=self._latex_names())

    def _latex_names(self) -> dict:
        """Entry symbols as X_{0,1} and x_{2} (SymPy alone would print X_{0 1})."""
        from dlcalc.deriv.to_latex import symbol_latex

        names = {}
        symbols = iter(self.symbols)
        for name, (rows, cols) in self.names:
            stem = symbol_latex(name, ir.SCALAR)
            stem = f"{{{stem}}}" if "_" in stem else stem  # W_1 -> {W_{1}}_{0,1}, not a double subscript
            for i in range(rows):
                for j in range(cols):
                    indices = "" if (rows, cols) == (1, 1) else (f"{i}" if cols == 1 else f"{i},{j}")
                    names[next(symbols)] = f"{stem}_{{{indices}}}" if indices else stem
        return names


def derive(problem, sizes: dict, budget=None) -> Componentwise:
    """The exact derivative of ``problem`` (see derivative.Problem) at the concrete ``sizes``."""
    from dlcalc.core.deadline import OutOfTime

    try:
        matrices = entry_matrices(ir.variables(problem.f) | {problem.wrt: problem.x_shape}, sizes)
        value = to_sympy(problem.f, matrices, sizes, budget)
        entries = derivative_entries(value, matrices[problem.wrt], problem.kind, budget)
    except OutOfTime as err:
        raise ComponentwiseTooCostly(str(err)) from None
    except (ZeroDivisionError, ValueError, TypeError, RecursionError) as err:
        raise ComponentwiseFailed(f"SymPy could not build it: {type(err).__name__}") from None
    names = sorted(matrices)
    symbols = [s for name in names for s in matrices[name]]
    shapes = [(name, matrices[name].shape) for name in names]
    return Componentwise(dict(sizes), problem.kind, symbols, shapes, entries)


def entry_symbols(name: str, rows: int, cols: int):
    """A matrix of real symbols: X_0_1 for a matrix, x_2 for a column vector, alpha for a scalar."""
    import sympy

    if (rows, cols) == (1, 1):
        return sympy.Matrix([[sympy.Symbol(name, real=True)]])
    if cols == 1:
        return sympy.Matrix(rows, 1, [sympy.Symbol(f"{name}_{i}", real=True) for i in range(rows)])
    return sympy.Matrix(rows, cols, lambda i, j: sympy.Symbol(f"{name}_{i}_{j}", real=True))


def entry_matrices(shapes: dict, sizes: dict) -> dict:
    return {name: entry_symbols(name, *ir.concrete_shape(shape, sizes)) for name, shape in shapes.items()}


# --- evaluating the tree to an explicit matrix --------------------------------------------------


def to_sympy(node: ir.Node, matrices: dict, sizes: dict, budget=None):
    """``node`` as an explicit SymPy matrix (a scalar is 1x1), given each variable's entries."""
    memo: dict = {}

    def run(item: ir.Node):
        found = memo.get(id(item))
        if found is None:
            if budget is not None:
                budget.check()
            found = _guard_size(_node_value(item, [run(c) for c in ir.children(item)], matrices, sizes))
            memo[id(item)] = found
        return found

    return run(node)


def _node_value(node: ir.Node, args: list, matrices: dict, sizes: dict):
    import sympy

    if isinstance(node, ir.Var):
        return matrices[node.name]
    if isinstance(node, ir.Num):
        return sympy.Matrix([[sympy.Rational(node.value.numerator, node.value.denominator)]])
    if isinstance(node, (ir.Eye, ir.Ones, ir.Zero)):
        return _constant_matrix(node, sizes)
    if isinstance(node, ir.Add):
        return _fold(args, lambda a, b: a + b)
    if isinstance(node, ir.Mul):
        return _fold(args, lambda a, b: a * b)
    if isinstance(node, ir.MatMul):
        return _chain(args)
    if isinstance(node, ir.Pow):
        return _elementwise(args[0], args[1], lambda a, b: a**b)
    if isinstance(node, ir.Transpose):
        return args[0].T
    if isinstance(node, ir.Func):
        return _function(node, args[0])
    raise ComponentwiseFailed(f"no component-wise form of {type(node).__name__}")


def _constant_matrix(node: ir.Node, sizes: dict):
    import sympy

    rows, cols = ir.concrete_shape(node.shape, sizes)
    if isinstance(node, ir.Eye):
        return sympy.eye(rows)
    return sympy.ones(rows, cols) if isinstance(node, ir.Ones) else sympy.zeros(rows, cols)


def _chain(args: list):
    out = args[0]
    for a in args[1:]:
        out = out * a
    return out


def _fold(args: list, op):
    out = args[0]
    for a in args[1:]:
        out = _elementwise(out, a, op)
    return out


def _elementwise(a, b, op):
    """op entry by entry, with NumPy broadcasting (a size-1 axis stretches)."""
    import sympy

    rows, cols = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])

    def entry(m, i, j):
        return m[i if m.shape[0] > 1 else 0, j if m.shape[1] > 1 else 0]

    return sympy.Matrix(rows, cols, lambda i, j: op(entry(a, i, j), entry(b, i, j)))


def _positive_part(u):
    import sympy

    return sympy.Piecewise((u, u > 0), (0, True))


def _indicator(u):
    import sympy

    return sympy.Piecewise((1, u > 0), (0, True))


def _entrywise_functions():
    import sympy

    return {
        "log": sympy.log, "exp": sympy.exp, "tanh": sympy.tanh, "sqrt": sympy.sqrt,
        "sigmoid": lambda u: 1 / (1 + sympy.exp(-u)),
        "softplus": lambda u: sympy.log(1 + sympy.exp(u)),
        "relu": _positive_part, "step": _indicator,
        "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "arcsin": sympy.asin, "arccos": sympy.acos,
        "arctan": sympy.atan, "abs": sympy.Abs, "sign": sympy.sign,
    }


def _function(node: ir.Func, m):
    import sympy

    name = node.name
    if name in ir.ELEMENTWISE:
        return m.applyfunc(_entrywise_functions()[name])
    if name == "trace":
        return sympy.Matrix([[m.trace()]])
    if name in ("det", "logdet"):
        det = m.det(method="laplace")
        return sympy.Matrix([[det if name == "det" else sympy.log(det)]])
    if name == "inv":
        return m.adjugate(method="laplace") / m.det(method="laplace")
    if name == "norm":
        return sympy.Matrix([[sympy.sqrt(sum(e**2 for e in m))]])
    if name == "sum":
        return sympy.Matrix([[sum(m)]])
    if name in ("softmax", ir.SOFTMAX_ROWS):
        exps = m.applyfunc(sympy.exp)
        if name == "softmax":
            return sympy.Matrix(m.shape[0], m.shape[1], lambda i, j: exps[i, j] / sum(exps[:, j]))
        return sympy.Matrix(m.shape[0], m.shape[1], lambda i, j: exps[i, j] / sum(exps[i, :]))
    if name == "diag":
        return sympy.diag(*m) if m.shape[1] == 1 else sympy.Matrix([m[i, i] for i in range(m.shape[0])])
    raise ComponentwiseFailed(f"no component-wise form of {name}")


def _guard_size(m):
    import sympy

    if sum(sympy.count_ops(e) for e in m) > MAX_OPERATIONS:
        raise ComponentwiseTooCostly("the explicit expression is too large at this size")
    return m


# --- differentiating entry by entry -------------------------------------------------------------


def derivative_entries(value, x, kind: str, budget=None):
    """The derivative of the explicit ``value`` by the symbols of ``x``, in denominator layout."""
    import sympy

    def d(expr, symbol):
        if budget is not None:
            budget.check()
        # sign and step jump at 0 only: their derivative is 0 away from it (instances avoid 0)
        return sympy.diff(expr, symbol).replace(sympy.DiracDelta, lambda *args: sympy.S.Zero)

    xs = list(x)  # row-major, like the finite differences
    if kind == "gradient":
        return sympy.Matrix(x.shape[0], x.shape[1], [d(value[0, 0], s) for s in xs])
    if kind == "jacobian":
        ys = list(value)
        return sympy.Matrix(len(xs), len(ys), lambda i, j: d(ys[j], xs[i]))
    if kind == "by_scalar":
        return value.applyfunc(lambda entry: d(entry, xs[0]))
    if kind == "hessian":
        gradient = [d(value[0, 0], s) for s in xs]
        return sympy.Matrix(len(xs), len(xs), lambda i, j: d(gradient[i], xs[j]))
    rows, cols = value.shape
    flat = [d(value[i, j], s) for i in range(rows) for j in range(cols) for s in xs]
    return sympy.Array(flat, (rows, cols) + x.shape)


def contract_with_seed(tensor, seed):
    """Σ_ij G[i,j] T[i,j,k,l]: the vjp of a tensor derivative, to compare with the rules' vjp."""
    import sympy

    rows, cols, k, l = tensor.shape
    return sympy.Matrix(k, l, lambda a, b: sum(seed[i, j] * tensor[i, j, a, b] for i in range(rows) for j in range(cols)))


# --- numbers and text ---------------------------------------------------------------------------


def _compile(symbols: list, entries):
    """A NumPy function of the entry symbols (built from our own SymPy tree, never from user text)."""
    import sympy

    flat = list(sympy.flatten(entries.tolist()))
    return sympy.lambdify(symbols, flat, modules="numpy", dummify=True)


def _nested_strings(value):
    return [_nested_strings(v) for v in value] if isinstance(value, list) else str(value)


def _nested_text(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_nested_text(v) for v in value) + "]"
    return value


def short_text(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + " ... (truncated; see --json)"


# --- generalising: recognising a closed form ------------------------------------------------------

MAX_CANDIDATES = 24


def candidate_terms(problem, rejected: ir.Node | None) -> list:
    """Closed-form building blocks to fit to the component-wise derivative: the terms of a rejected
    closed form with their coefficients dropped, each with one square factor transposed, each
    transposed whole; and the variables and the identity where they fit (see _generic_atoms)."""
    from dlcalc.deriv.derivative import closed_form_shape
    from dlcalc.deriv.simplify import TooComplex, expand, key

    found: dict = {}
    shape = closed_form_shape(problem)
    try:
        terms = expand(rejected) if rejected is not None else []
    except TooComplex:
        terms = []
    for term in terms:
        for variant in _term_variants(term, shape):
            found.setdefault(key(variant), variant)
    for atom in _generic_atoms(problem):
        found.setdefault(key(atom), atom)
    return list(found.values())[:MAX_CANDIDATES]


def _is_square(node: ir.Node) -> bool:
    return node.shape[0] == node.shape[1] and not node.is_scalar


def _term_variants(term, shape):
    from fractions import Fraction

    from dlcalc.deriv.simplify import Term, term_node, transpose_factor

    def rebuilt(chain):
        return term_node(Term(Fraction(1), term.scalars, chain), shape)

    yield rebuilt(term.chain)
    for i, factor in enumerate(term.chain):
        if _is_square(factor) and not isinstance(factor, ir.Eye):
            yield rebuilt(term.chain[:i] + (transpose_factor(factor),) + term.chain[i + 1:])
    if shape[0] == shape[1] and shape != ir.SCALAR:
        yield ir.transpose(rebuilt(term.chain))


def _generic_atoms(problem) -> list:
    """Every variable (or its transpose) with the derivative's shape, and the identity if that is
    square (not for a tensor's vjp, which is linear in the seed)."""
    if problem.kind == "tensor":
        return []
    shape = problem.denominator_shape()
    variables = [ir.var(name, s) for name, s in (ir.variables(problem.f) | {problem.wrt: problem.x_shape}).items()]
    atoms = [a for v in variables for a in (v, ir.transpose(v)) if a.shape == shape and not a.is_scalar]
    return atoms + [ir.eye(shape[0])] if shape[0] == shape[1] and shape != ir.SCALAR else atoms


def fit_rational(columns: list, target: list, max_denominator: int = 24):
    """Small-denominator rational c with Σ c_t columns[t] == target (lists of arrays over
    instances), or None. The caller still verifies the resulting expression."""
    import numpy as np
    from fractions import Fraction

    a = np.stack([np.concatenate([np.ravel(v) for v in column]) for column in columns], axis=1)
    b = np.concatenate([np.ravel(v) for v in target])
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return None
    solution = np.linalg.lstsq(a, b, rcond=None)[0]
    rounded = [Fraction(float(c)).limit_denominator(max_denominator) for c in solution]
    scale = max(1.0, float(np.max(np.abs(b))))
    residual = np.max(np.abs(a @ np.array([float(c) for c in rounded]) - b))
    return rounded if residual <= 1e-8 * scale else None
