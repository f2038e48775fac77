"""Evaluate an expression tree with NumPy on a batch of instances at once.

Every value is an array of shape ``(batch, rows, cols)``; a batch of 1 broadcasts against any
other, so finite differences evaluate all perturbed points in one pass. With ``check=True`` the
evaluator rejects points too close to the edge of the domain (log of ~0, a near-singular inverse,
the kink of relu), because a finite difference there says nothing.
"""

from __future__ import annotations

import numpy as np

from dlcalc.deriv import ir
from dlcalc.deriv.to_numpy_syntax import to_numpy

MARGIN = 1e-3
POLE_MARGIN = 0.1
MAX_CONDITION = 1e5


_KINKED = {
    "relu": lambda x: np.maximum(x, 0.0),
    "step": lambda x: (x > 0).astype(float),
    "abs": np.abs,
    "sign": np.sign,  # sign(0) = 0: the subgradient convention of abs at 0
}
_TRIG = {"sin": np.sin, "cos": np.cos, "tan": np.tan, "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan}


class DomainViolation(Exception):
    """The instance is outside (or too close to the edge of) the expression's domain."""


def evaluate(node: ir.Node, values: dict, dims: dict, *, check: bool = False) -> np.ndarray:
    with np.errstate(all="ignore"):  # overflow shows as inf/nan, which the callers reject
        return _Evaluator(values, dims, check).run(node)


class _Evaluator:
    def __init__(self, values: dict, dims: dict, check: bool):
        self.values = values
        self.dims = dims
        self.check = check
        self.memo: dict = {}

    def run(self, node: ir.Node) -> np.ndarray:
        found = self.memo.get(id(node))
        if found is None:
            found = self._compute(node)
            self.memo[id(node)] = found
        return found

    def guard(self, ok, node: ir.Node, why: str) -> None:
        if self.check and not np.all(ok):
            raise DomainViolation(f"{why} in {to_numpy(node)}")

    def _compute(self, node: ir.Node) -> np.ndarray:
        if isinstance(node, ir.Var):
            return self.values[node.name]
        if isinstance(node, ir.Num):
            return np.full((1, 1, 1), float(node.value))
        if isinstance(node, ir.Eye):
            return np.eye(ir.concrete_shape(node.shape, self.dims)[0])[None]
        if isinstance(node, (ir.Ones, ir.Zero)):
            fill = 1.0 if isinstance(node, ir.Ones) else 0.0
            return np.full((1, *ir.concrete_shape(node.shape, self.dims)), fill)
        if isinstance(node, ir.Add):
            out = self.run(node.args[0])
            for a in node.args[1:]:
                out = out + self.run(a)
            return out
        if isinstance(node, ir.Mul):
            out = self.run(node.args[0])
            for a in node.args[1:]:
                out = out * self.run(a)
            return out
        if isinstance(node, ir.MatMul):
            out = self.run(node.args[0])
            for a in node.args[1:]:
                out = np.matmul(out, self.run(a))
            return out
        if isinstance(node, ir.Transpose):
            return np.swapaxes(self.run(node.arg), -1, -2)
        if isinstance(node, ir.Pow):
            return self._power(node)
        if isinstance(node, ir.Func):
            return self._func(node, self.run(node.arg))
        raise TypeError(f"cannot evaluate {type(node).__name__}")

    def _power(self, node: ir.Pow) -> np.ndarray:
        base, exp = self.run(node.base), self.run(node.exp)
        integral = np.all(exp == np.round(exp))
        if not integral:
            self.guard(base > MARGIN, node, "a non-integer power of a non-positive value")
        if np.any(exp < 0):  # near a pole, finite differences lose their accuracy: stay 0.1 away
            self.guard(np.abs(base) > POLE_MARGIN, node, "division by ~0")
        with np.errstate(all="ignore"):
            return np.power(base, exp)

    def _func(self, node: ir.Func, x: np.ndarray) -> np.ndarray:
        name = node.name
        with np.errstate(all="ignore"):
            if name == "log":
                self.guard(x > MARGIN, node, "log of a non-positive value")
                return np.log(x)
            if name == "sqrt":
                self.guard(x > MARGIN, node, "sqrt of a non-positive value")
                return np.sqrt(x)
            if name == "exp":
                return np.exp(x)
            if name == "tanh":
                return np.tanh(x)
            if name == "sigmoid":
                return 0.5 * (1.0 + np.tanh(0.5 * x))
            if name == "softplus":
                return np.logaddexp(0.0, x)
            if name in ("relu", "step", "abs", "sign"):
                self.guard(np.abs(x) > MARGIN, node, f"the kink of {name} at 0")
                return _KINKED[name](x)
            if name in _TRIG:
                return self._trig(node, name, x)
            if name == "trace":
                return np.trace(x, axis1=-2, axis2=-1)[..., None, None]
            if name == "sum":
                return np.sum(x, axis=(-2, -1), keepdims=True)
            if name == "norm":
                out = np.sqrt(np.sum(x * x, axis=(-2, -1), keepdims=True))
                self.guard(out > MARGIN, node, "the norm of ~0")
                return out
            if name in ("softmax", ir.SOFTMAX_ROWS):
                axis = -1 if name == ir.SOFTMAX_ROWS else -2
                shifted = np.exp(x - np.max(x, axis=axis, keepdims=True))
                return shifted / np.sum(shifted, axis=axis, keepdims=True)
            if name == "diag":
                if node.shape[1] == 1:
                    return np.diagonal(x, axis1=-2, axis2=-1)[..., None]
                return x * np.eye(x.shape[-2])[None]
            if name == "det":
                self._guard_conditioned(x, node)
                return np.linalg.det(x)[..., None, None]
            if name == "logdet":
                sign, logabs = np.linalg.slogdet(x)
                self.guard(sign > 0, node, "logdet of a matrix whose determinant is not positive")
                self._guard_conditioned(x, node)
                return np.where(sign > 0, logabs, np.nan)[..., None, None]
            if name == "inv":
                self._guard_conditioned(x, node)
                try:
                    return np.linalg.inv(x)
                except np.linalg.LinAlgError:
                    raise DomainViolation(f"a singular matrix in {to_numpy(node)}") from None
        raise TypeError(f"cannot evaluate {name}")

    def _trig(self, node: ir.Func, name: str, x: np.ndarray) -> np.ndarray:
        if name == "tan":
            self.guard(np.abs(np.cos(x)) > MARGIN, node, "a pole of tan")
        if name in ("arcsin", "arccos"):
            self.guard(np.abs(x) < 1 - MARGIN, node, f"{name} outside (-1, 1)")
        return _TRIG[name](x)

    def _guard_conditioned(self, x: np.ndarray, node: ir.Node) -> None:
        if self.check:
            with np.errstate(all="ignore"):
                condition = np.linalg.cond(x)
            self.guard(np.isfinite(condition) & (condition < MAX_CONDITION), node, "a (nearly) singular matrix")
