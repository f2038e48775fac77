"""Safe parser for check-deriv expressions, with shape inference.

The text is parsed by Python's ``ast`` and walked against a whitelist of node types; nothing the
user typed is ever evaluated. Shapes are inferred by unifying dimension variables (union-find):
``A@x`` forces cols(A) = rows(x), ``x + y`` forces equal shapes unless one side is a scalar.
A dimension variable is never bound to 1, so a vector never silently becomes a scalar.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from dataclasses import fields, replace
from itertools import count

from dlcalc.core.errors import DlcalcError
from dlcalc.core.safe_ast import describe_node, display_source, exact_constant, format_shape, parse_ast
from dlcalc.deriv import ir


GREEK = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi "
    "omicron pi rho sigma tau upsilon phi varphi chi psi omega".split()
)
# Functions beyond the documented ones: ``step`` (derivative of relu), ``ones`` and ``diag`` of a
# matrix appear in printed derivatives, and a printed derivative must parse back.
CALLABLE = frozenset(ir.FUNCTIONS) | {"eye", "ones", "mean", "norm1", "norm2"}
MAX_SIZE_DIGITS = 4  # a literal dimension is at most 9999
MATRIX_PROPERTIES = ("symmetric", "spd", "diagonal", "orthogonal", "invertible", "posdet")
ENTRY_PROPERTIES = ("positive", "unit", "sign")
VECTOR_PROPERTIES = ("simplex",)
PROPERTIES = MATRIX_PROPERTIES + ENTRY_PROPERTIES + VECTOR_PROPERTIES
DIM_NAME_POOL = ("n", "m", "k", "p", "q", "r", "s", "t", "u", "v", "w")


class ClaimShapeError(DlcalcError):
    """A claim that only makes sense if two distinct dimensions of the expression were equal."""


class DimVar:
    """A dimension variable; ``order`` decides which name survives a merge (the older one)."""

    __slots__ = ("order", "name")

    def __init__(self, order: int, name: str):
        self.order = order
        self.name = name


def default_kind(name: str) -> str | None:
    """'vector', 'matrix' or 'scalar' from the naming convention, or None for an unknown name."""
    match = re.match(r"[^\W\d_]+", name)
    base = match.group() if match else ""
    if base.lower() in GREEK:
        return "matrix" if base[0].isupper() else "scalar"
    if len(base) == 1:
        if base.isascii():
            return "vector" if base.islower() else "matrix"
        if "GREEK" in unicodedata.name(base, ""):
            return "matrix" if base.isupper() else "scalar"
    return None



class ShapeEnv:
    """Variables, their shapes and assumptions, and the dimension unifier they share.

    One env parses the expression and then the claim, so the claim is checked against the
    expression's dimensions.
    """

    def __init__(self, shapes: dict[str, str] | None = None, assume: dict[str, str] | None = None):
        self._order = count()
        self._parent: dict[DimVar, DimVar] = {}
        self._value: dict[DimVar, int] = {}
        self._by_name: dict[str, DimVar] = {}
        self._frozen: set[DimVar] = set()
        self._pool_used: set[str] = set()
        self.declared = {name: self._parse_shape_spec(name, spec) for name, spec in (shapes or {}).items()}
        self.assume = {name: self._check_property(name, prop) for name, prop in (assume or {}).items()}
        self.var_shapes: dict[str, tuple] = {}
        self._reserved_names: set[str] = set()

    # --- dimensions -------------------------------------------------------------------------

    def _new_dim(self, name: str | None = None) -> DimVar:
        if name is not None and name in self._by_name:
            return self._by_name[name]
        if name is None:
            name = next(n for n in self._name_pool() if n not in self._by_name and n not in self._reserved_names)
        dim = DimVar(next(self._order), name)
        self._parent[dim] = dim
        self._by_name[name] = dim
        return dim

    @staticmethod
    def _name_pool():
        yield from DIM_NAME_POOL
        for i in count(1):
            yield f"d{i}"

    def _find(self, dim):
        if isinstance(dim, int):
            return dim
        root = dim
        while self._parent[root] is not root:
            root = self._parent[root]
        return self._value.get(root, root)

    def _unify(self, a, b) -> bool:
        a, b = self._find(a), self._find(b)
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        if isinstance(a, int) or isinstance(b, int):
            dim, value = (b, a) if isinstance(a, int) else (a, b)
            if value == 1 or dim in self._frozen:
                return False
            self._value[dim] = value
            return True
        if a is b:
            return True
        if a in self._frozen and b in self._frozen:
            return False
        keep, drop = (a, b) if a.order <= b.order else (b, a)
        if drop.name in self._reserved_names and keep.name not in self._reserved_names:
            keep, drop = drop, keep  # a dimension the user named (eye(n)) keeps its name
        self._parent[drop] = keep
        if drop in self._frozen:
            self._frozen.add(keep)
        return True

    def resolve_dim(self, dim):
        found = self._find(dim)
        return found if isinstance(found, int) else found.name

    def resolve_shape(self, shape) -> tuple:
        return tuple(self.resolve_dim(d) for d in shape)

    def dim_for_name(self, name):
        """The dimension variable behind a resolved dimension name (or the int itself)."""
        return name if isinstance(name, int) else self._by_name[name]

    def freeze(self) -> None:
        """From now on, distinct dimensions of the expression may not be merged (claim checking)."""
        self._frozen = {self._find(d) for d in self._parent if not isinstance(self._find(d), int)}

    # --- declarations -----------------------------------------------------------------------

    def _parse_shape_spec(self, name: str, spec: str) -> tuple:
        if default_kind(name) is None and not re.fullmatch(r"[^\W\d]\w*", name):
            raise DlcalcError(f"--shape {name}={spec}: {name!r} is not a valid name")
        if name in CALLABLE:
            raise DlcalcError(f"--shape {name}={spec}: {name} is a function name")
        parts = [p.strip() for p in spec.split(",")] if spec.strip() else []
        if len(parts) > 2:
            raise DlcalcError(f"--shape {name}={spec}: at most two dimensions (rows,cols)")
        dims = []
        for part in parts:
            if re.fullmatch(r"[1-9][0-9]{0,%d}" % (MAX_SIZE_DIGITS - 1), part):
                dims.append(int(part))
            elif re.fullmatch(r"[^\W\d]\w*", part):
                dims.append(part)
            else:
                raise DlcalcError(
                    f"--shape {name}={spec[:60]}: {part[:20]!r} is not a dimension (a name or a positive "
                    f"integer of at most {MAX_SIZE_DIGITS} digits)"
                )
        if not dims:
            return (1, 1)
        if len(dims) == 1:
            return (dims[0], 1)
        return tuple(dims)

    @staticmethod
    def _check_property(name: str, text: str) -> str:
        """One property or several, comma-separated (``symmetric,invertible``), normalised."""
        props = []
        for prop in (p.strip().lower() for p in text.split(",")):
            if prop not in PROPERTIES:
                raise DlcalcError(f"--assume {name}={text[:60]}: unknown property {prop[:30]!r} (choose from {', '.join(PROPERTIES)})")
            if prop not in props:
                props.append(prop)
        return ",".join(props)

    def _declare(self, name: str, kind_text: str) -> tuple:
        """Create the shape of a variable the first time it is seen."""
        if name in self.var_shapes:
            return self.var_shapes[name]
        if name in self.declared:
            shape = tuple(self._new_dim(d) if isinstance(d, str) else d for d in self.declared[name])
        else:
            kind = default_kind(name)
            if kind is None:
                raise DlcalcError(f"unknown name {name!r} in {kind_text}: give its shape with --shape {name}=DIMS")
            if kind == "scalar":
                shape = (1, 1)
            elif kind == "vector":
                shape = (self._new_dim(), 1)
            else:
                shape = (self._new_dim(), self._new_dim())
        self.var_shapes[name] = shape
        self._apply_assumption(name, shape)
        return shape

    def _apply_assumption(self, name: str, shape: tuple) -> None:
        for prop in (self.assume.get(name) or "").split(","):
            self._apply_property(name, prop, shape)

    def _apply_property(self, name: str, prop: str, shape: tuple) -> None:
        if prop in MATRIX_PROPERTIES:
            if shape[1] == 1 or not self._unify(shape[0], shape[1]):
                raise DlcalcError(f"--assume {name}={prop}: {name} is {self._show(shape)}, not a square matrix")
        if prop in VECTOR_PROPERTIES and (shape[1] != 1 or shape[0] == 1):
            raise DlcalcError(f"--assume {name}={prop}: {name} is {self._show(shape)}, not a column vector")

    def _show(self, shape) -> str:
        return format_shape(self.resolve_shape(shape))

    # --- parsing ----------------------------------------------------------------------------

    def parse(self, text: str, *, what: str = "expression", claim: bool = False) -> ir.Node:
        """Parse ``text`` into a typed tree (dimensions still unresolved: call ``finish``)."""
        tree, source = parse_ast(text, what)
        builder = _Builder(self, source, what, claim)
        if not claim:
            self._reserved_names |= {display_source(n.id) for n in ast.walk(tree) if isinstance(n, ast.Name)}
            self._reserved_names |= set(self.declared) | {
                d for dims in self.declared.values() for d in dims if isinstance(d, str)
            }
            # Dimensions named in --shape are distinct from each other: never merged or bound.
            for name, dims in self.declared.items():
                for d in dims:
                    if isinstance(d, str):
                        self._frozen.add(self._new_dim(d))
        return builder.build(tree.body)

    def unify_shapes(self, a: tuple, b: tuple) -> bool:
        return all(self._unify(x, y) for x, y in zip(a, b))

    def finish(self, node: ir.Node) -> ir.Node:
        """Replace dimension variables by their names (or sizes) throughout ``node``."""
        return _map_shapes(node, self.resolve_shape)

    def declare_variable(self, name: str) -> tuple:
        """The shape of ``name`` (creating it from --shape or the naming convention if new)."""
        return self._declare(name, "--wrt")

    def all_dims(self) -> list:
        """Resolved names of every free dimension."""
        names = []
        for dim in self._parent:
            found = self._find(dim)
            if not isinstance(found, int) and found.name not in names:
                names.append(found.name)
        return names


def _map_shapes(node: ir.Node, resolve) -> ir.Node:
    changes = {"shape": resolve(node.shape)}
    for f in fields(node):
        value = getattr(node, f.name)
        if isinstance(value, ir.Node):
            changes[f.name] = _map_shapes(value, resolve)
        elif isinstance(value, tuple) and value and isinstance(value[0], ir.Node):
            changes[f.name] = tuple(_map_shapes(v, resolve) for v in value)
    return replace(node, **changes)





_BINOPS = {ast.MatMult: "@", ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


class _Builder:
    """Walks a whitelisted ast and builds ir nodes whose shapes hold dimension variables."""

    def __init__(self, env: ShapeEnv, source: str, what: str, claim: bool):
        self.env = env
        self.source = source
        self.what = what
        self.claim = claim

    def text(self, node: ast.AST) -> str:
        return display_source(ast.get_source_segment(self.source, node) or ast.unparse(node))

    def fail(self, node: ast.AST, message: str):
        raise DlcalcError(f"{self.text(node)}: {message}")

    def mismatch(self, node, left, a, right, b):
        message = f"{self.text(node)}: {self.text(left)} is {self.env._show(a.shape)} but {self.text(right)} is {self.env._show(b.shape)}"
        if self.claim and self._only_frozen_conflict(a.shape, b.shape):
            raise ClaimShapeError(message)
        raise DlcalcError(message)

    def _only_frozen_conflict(self, a, b) -> bool:
        frozen = self.env._frozen
        return any(self.env._find(x) in frozen and self.env._find(y) in frozen for x, y in zip(a, b))

    def build(self, node: ast.AST) -> ir.Node:
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return self.binop(node, _BINOPS[type(node.op)])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand)
            return operand if isinstance(node.op, ast.UAdd) else ir.Mul(operand.shape, (ir.MINUS_ONE, operand))
        if isinstance(node, ast.Attribute):
            if node.attr != "T":
                self.fail(node, f"only .T is supported, not .{node.attr}")
            inner = self.build(node.value)
            return ir.Transpose((inner.shape[1], inner.shape[0]), inner)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Constant):
            return self.constant(node)
        self.fail(node, f"{describe_node(node)} is not supported")

    def constant(self, node: ast.Constant) -> ir.Node:
        if self.what == "derivative" and isinstance(node.value, int) and not isinstance(node.value, bool):
            if abs(node.value).bit_length() <= 128:  # a printed derivative may hold a computed constant
                return ir.num(node.value)
        return ir.num(exact_constant(node, self.fail))

    def name(self, node: ast.Name) -> ir.Node:
        name = display_source(node.id)
        if name in CALLABLE:
            self.fail(node, f"{name} is a function; call it as {name}(...)")
        if self.claim and name not in self.env.var_shapes:
            raise DlcalcError(f"the claim uses {display_source(name)}, which does not occur in the expression")
        shape = self.env._declare(name, self.what)
        return ir.Var(shape, name)

    def binop(self, node: ast.BinOp, op: str) -> ir.Node:
        left, right = self.build(node.left), self.build(node.right)
        if op == "@":
            if not self.env._unify(left.shape[1], right.shape[0]):
                self.mismatch(node, node.left, left, node.right, right)
            return ir.MatMul((left.shape[0], right.shape[1]), (left, right))
        shape = self._elementwise_shape(node, left, right)
        if op == "**":
            if isinstance(left, ir.Num) and isinstance(right, ir.Num) and right.value.denominator == 1:
                from dlcalc.deriv.simplify import exact_power  # fold 2**3, bounded before computing

                return ir.num(exact_power(left.value, right.value.numerator))
            return ir.Pow(shape, left, right)
        if op == "+":
            return ir.Add(shape, (left, right))
        if op == "-":
            return ir.Add(shape, (left, ir.Mul(right.shape, (ir.MINUS_ONE, right))))
        if op == "*":
            return ir.Mul(shape, (left, right))
        return ir.Mul(shape, (left, ir.Pow(right.shape, right, ir.MINUS_ONE)))

    def _is_scalar(self, node: ir.Node) -> bool:
        return self.env.resolve_shape(node.shape) == (1, 1)

    def _elementwise_shape(self, node, left, right) -> tuple:
        """NumPy broadcasting: along each axis equal sizes, or a size 1 that stretches."""
        if self._is_scalar(left):
            return right.shape
        if self._is_scalar(right):
            return left.shape
        shape = []
        for a, b in zip(left.shape, right.shape):
            if self.env._find(a) == 1:
                shape.append(b)
            elif self.env._find(b) == 1:
                shape.append(a)
            elif self.env._unify(a, b):
                shape.append(a)
            else:
                self.mismatch(node, node.left, left, node.right, right)
        return tuple(shape)

    def call(self, node: ast.Call) -> ir.Node:
        if not isinstance(node.func, ast.Name):
            self.fail(node, "only calls of the listed functions are supported")
        fname = node.func.id
        if fname not in CALLABLE:
            self.fail(node, f"unknown function {fname} (known: {', '.join(sorted(CALLABLE - {'step'}))})")
        if fname in ("eye", "ones"):
            if node.keywords:
                self.fail(node, f"{fname} takes no keyword arguments")
            return self.constant_matrix(node, fname)
        if fname == "softmax":
            return self.softmax(node)
        if fname in ("norm", "norm1", "norm2", "sum", "mean"):
            return self.reduction(node, fname)
        if node.keywords:
            self.fail(node, f"{fname} takes no keyword arguments")
        if len(node.args) != 1:
            self.fail(node, f"{fname} takes exactly one argument")
        arg = self.build(node.args[0])
        shape = self.env.resolve_shape(arg.shape)
        if fname in ir.SCALAR_OF_SQUARE or fname == "inv":
            if not self.env._unify(arg.shape[0], arg.shape[1]):
                self.fail(node, f"{self.text(node.args[0])} is {format_shape(shape)}, not square")
        if fname == "softmax" and (shape[1] != 1 or shape[0] == 1):
            self.fail(node, f"{self.text(node.args[0])} is {format_shape(shape)}, not a column vector")
        if fname == "diag":
            if shape[1] == 1 and shape[0] != 1:
                return ir.Func((arg.shape[0], arg.shape[0]), fname, arg)
            if shape[0] == 1 or not self.env._unify(arg.shape[0], arg.shape[1]):
                self.fail(node, f"{self.text(node.args[0])} is {format_shape(shape)}: diag takes a column vector or a square matrix")
            return ir.Func((arg.shape[0], 1), fname, arg)
        return ir.Func(ir.func_shape(fname, arg.shape), fname, arg)

    def option(self, node: ast.Call, fname: str, keyword: str):
        """The one optional second argument of a reduction (positional or ``keyword=``), or None."""
        extra = list(node.args[1:]) + [k.value for k in node.keywords if k.arg == keyword]
        unknown = [k.arg for k in node.keywords if k.arg != keyword]
        if unknown or not node.args or len(extra) > 1:
            self.fail(node, f"{fname} takes an array and at most one {keyword}")
        if not extra:
            return None
        if not isinstance(extra[0], ast.Constant) or isinstance(extra[0].value, bool):
            self.fail(node, f"{keyword} must be a literal")
        return extra[0].value

    def reduction(self, node: ast.Call, fname: str) -> ir.Node:
        """norm(x, 1|2|'fro') (norm1, norm2), sum(X, axis=0|1), mean(X, axis=0|1)."""
        if fname.startswith("norm"):
            order = self.option(node, fname, "ord") if fname == "norm" else int(fname[-1])
            if len(node.args) > 1 and fname != "norm":
                self.fail(node, f"{fname} takes one argument")
            return self.norm(node, self.build(node.args[0]), order)
        axis = self.option(node, fname, "axis")
        if axis not in (None, 0, 1):
            self.fail(node, "axis must be 0 (a row of column sums) or 1 (a column of row sums)")
        arg = self.build(node.args[0])
        total = self.axis_sum(arg, axis, "sum")
        if fname == "sum":
            return total
        count = self.axis_sum(ir.Ones(arg.shape) if not self._is_scalar(arg) else ir.ONE, axis, "sum")
        return ir.Mul(total.shape, (total, ir.Pow(count.shape, count, ir.MINUS_ONE)))

    def softmax(self, node: ast.Call) -> ir.Node:
        """softmax(z) of a column; softmax(X, axis=0) each column, softmax(X, axis=1) each row."""
        axis = self.option(node, "softmax", "axis")
        arg = self.build(node.args[0])
        shape = self.env.resolve_shape(arg.shape)
        if axis not in (None, 0, 1):
            self.fail(node, "axis must be 0 (each column) or 1 (each row)")
        if axis is None and (shape[1] != 1 or shape[0] == 1):
            self.fail(node, f"{self.text(node.args[0])} is {format_shape(shape)}, not a column vector (for a matrix give axis=0 or axis=1)")
        if axis == 1 and shape[0] == 1 and shape[1] != 1:  # a row: the softmax of its column, transposed
            column = ir.Transpose((arg.shape[1], arg.shape[0]), arg)
            return ir.Transpose(arg.shape, ir.Func(column.shape, "softmax", column))
        return ir.Func(arg.shape, ir.SOFTMAX_ROWS if axis == 1 else "softmax", arg)

    def axis_sum(self, arg: ir.Node, axis, fname: str) -> ir.Node:
        """sum over everything (a scalar), over rows (axis=0: ones(1, rows)@X) or columns (axis=1:
        X@ones(cols)), with NumPy's keepdims shapes."""
        rows, cols = arg.shape
        if axis is None:
            return ir.Func(ir.SCALAR, fname, arg)
        if axis == 0:
            return arg if self.env._find(rows) == 1 else ir.MatMul((1, cols), (ir.Ones((1, rows)), arg))
        return arg if self.env._find(cols) == 1 else ir.MatMul((rows, 1), (arg, ir.Ones((cols, 1))))

    def norm(self, node: ast.Call, arg: ir.Node, order) -> ir.Node:
        vector = 1 in self.env.resolve_shape(arg.shape)
        if order in (None, 2, "fro") and (vector or order != 2):
            return ir.Func(ir.SCALAR, "norm", arg)
        if order == 1 and vector:
            return ir.Func(ir.SCALAR, "sum", ir.Func(arg.shape, "abs", arg))
        if order == 2:
            self.fail(node, "the 2-norm of a matrix is its spectral norm, which is not supported; use 'fro'")
        self.fail(node, "the norm order must be 1 or 2 for a vector, 'fro' for a matrix")

    def constant_matrix(self, node: ast.Call, fname: str) -> ir.Node:
        limit = 1 if fname == "eye" else 2
        if not 1 <= len(node.args) <= limit:
            self.fail(node, f"{fname} takes {'one dimension' if limit == 1 else 'one or two dimensions'}")
        dims = [self.dimension(a) for a in node.args]
        if fname == "eye":
            return ir.Eye((dims[0], dims[0])) if dims[0] != 1 else ir.ONE
        shape = (dims[0], 1) if len(dims) == 1 else tuple(dims)
        return ir.ONE if shape == (1, 1) else ir.Ones(shape)

    def dimension(self, node: ast.AST):
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            if 1 <= node.value <= 10_000:
                return node.value
        if isinstance(node, ast.Name):
            if self.claim and node.id not in self.env._by_name:
                raise DlcalcError(f"the claim uses the dimension {node.id}, which does not occur in the expression")
            return self.env._new_dim(node.id)
        self.fail(node, "a dimension must be a name or a positive integer")
