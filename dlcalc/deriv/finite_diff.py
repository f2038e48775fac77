"""Central finite differences, vectorised: all perturbed points are evaluated in one batch.

``fn`` maps a batch of points ``(B, rows, cols)`` to a batch of values ``(B, p, q)``.
Central differences have error O(h^2) from truncation and O(eps/h) from rounding; h = 1e-5
(scaled by the point's size) balances the two at about 1e-10 relative.
"""

from __future__ import annotations

import numpy as np

STEP = 1e-5
HESSIAN_STEP = 1e-4


def _step(x0: np.ndarray, base: float) -> float:
    return base * max(1.0, float(np.max(np.abs(x0))))


def jacobian(fn, x0: np.ndarray) -> np.ndarray:
    """J[i, j, k, l] = d f[i, j] / d x[k, l] at ``x0`` (shape (rows, cols))."""
    rows, cols = x0.shape
    n = rows * cols
    h = _step(x0, STEP)
    offsets = np.eye(n).reshape(n, rows, cols) * h
    points = np.concatenate([x0[None] + offsets, x0[None] - offsets])
    values = _batched(fn(points), len(points))
    diff = (values[:n] - values[n:]) / (2 * h)  # (n, p, q)
    p, q = diff.shape[1:]
    return np.moveaxis(diff, 0, -1).reshape(p, q, rows, cols)


def hessian(fn, x0: np.ndarray) -> np.ndarray:
    """H[i, j] = d^2 f / dx_i dx_j for a scalar f of a vector (or matrix, flattened) x."""
    rows, cols = x0.shape
    n = rows * cols
    h = _step(x0, HESSIAN_STEP)
    basis = np.eye(n).reshape(n, rows, cols) * h
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    i, j = i.ravel(), j.ravel()
    shifts = [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    points = np.concatenate([x0[None] + a * basis[i] + b * basis[j] for a, b in shifts])
    values = _batched(fn(points), len(points))[:, 0, 0].reshape(4, n * n)
    second = (values[0] - values[1] - values[2] + values[3]) / (4 * h * h)
    return second.reshape(n, n)


def _batched(values: np.ndarray, count: int) -> np.ndarray:
    """A value that does not depend on x comes back with batch size 1: broadcast it."""
    return np.broadcast_to(values, (count,) + values.shape[1:])


def directional(fn, x0: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """(f(x0 + h v) - f(x0 - h v)) / 2h for each direction v (shape (k, rows, cols)): (k, p, q)."""
    h = _step(x0, STEP)
    k = len(directions)
    points = np.concatenate([x0[None] + h * directions, x0[None] - h * directions])
    values = _batched(fn(points), 2 * k)
    return (values[:k] - values[k:]) / (2 * h)
