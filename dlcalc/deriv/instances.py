"""Random instances for checking derivatives: dimension sizes and variable values.

Values honour ``--assume`` properties (symmetric, spd, orthogonal, simplex, ...). ``nice=True``
draws small integers (or simple fractions) where the property allows, for readable counterexamples.
Every array has shape ``(1, rows, cols)`` so it broadcasts against a batch.
"""

from __future__ import annotations

import numpy as np

SIZES = (2, 3, 4, 5)


def dimension_draws(dims: list, rng: np.random.Generator) -> list:
    """Sizes for the free dimensions: two draws with distinct sizes (so that transposes and
    swapped factors show up as shape errors), then one where every dimension is equal."""
    draws = []
    for _ in range(2):
        sizes = list(rng.permutation(SIZES))
        draws.append({d: int(sizes[i % len(sizes)]) for i, d in enumerate(dims)})
    draws.append({d: 3 for d in dims})
    return draws


def small_draw(dims: list) -> dict:
    """The smallest sizes that still tell dimensions apart (2, 3, 2, 3, ...)."""
    return {d: 2 + (i % 2) for i, d in enumerate(dims)}


# For several properties, the first of these drawn, the others checked (redrawn until they hold).
_PRIMARY = ("orthogonal", "spd", "diagonal", "symmetric", "simplex", "sign", "unit", "positive", "posdet", "invertible")
_HOLDS = {
    "symmetric": lambda m: np.allclose(m, m.T),
    "spd": lambda m: np.allclose(m, m.T) and np.all(np.linalg.eigvalsh(m) > 0),
    "diagonal": lambda m: np.allclose(m, np.diag(np.diag(m))),
    "orthogonal": lambda m: np.allclose(m @ m.T, np.eye(len(m))),
    "invertible": lambda m: np.linalg.cond(m) < 1e6,
    "posdet": lambda m: np.linalg.det(m) > 0 and np.linalg.cond(m) < 1e6,
    "positive": lambda m: np.all(m > 0),
    "unit": lambda m: np.all((m > 0) & (m < 1)),
    "sign": lambda m: np.all(np.abs(m) == 1),
    "simplex": lambda m: np.all(m > 0) and np.isclose(np.sum(m), 1),
}
MAX_REDRAWS = 200


def draw(shape: tuple, prop: str | None, rng: np.random.Generator, nice: bool = False) -> np.ndarray:
    """Values with the property (or comma-separated properties, all of which must hold)."""
    rows, cols = shape
    maker = _NICE if nice else _RANDOM
    props = prop.split(",") if prop else []
    if len(props) <= 1:
        value = maker.get(prop, maker[None])(rows, cols, rng)
        return np.asarray(value, dtype=float).reshape(1, rows, cols)
    others = [p for p in props if p != "symmetric"]  # symmetric: drawn with another property, then mirrored
    primary = min(others or props, key=_PRIMARY.index)
    for _ in range(MAX_REDRAWS):
        value = np.asarray(maker[primary](rows, cols, rng), dtype=float)
        if "symmetric" in props and rows == cols:
            value = _symmetrised(value, primary, rng)
        if all(_HOLDS[p](value) for p in props):
            return value.reshape(1, rows, cols)
    from dlcalc.core.errors import DlcalcError

    raise DlcalcError(f"--assume: no values found that are {' and '.join(props)} at {rows}×{cols}")


def _symmetrised(value: np.ndarray, primary: str, rng) -> np.ndarray:
    """A symmetric matrix keeping the primary property: an orthogonal Q becomes Q diag(±1) Qᵀ
    (symmetric and orthogonal); entry-wise properties (positive, unit, sign) survive mirroring the
    upper triangle. Random draws are almost never symmetric by chance."""
    if primary == "orthogonal":
        signs = np.where(rng.random(len(value)) < 0.5, -1.0, 1.0)
        return (value * signs) @ value.T
    return np.triu(value) + np.triu(value, 1).T


# --- continuous draws -------------------------------------------------------------------------


def _normal(rows, cols, rng):
    return rng.standard_normal((rows, cols))


def _positive(rows, cols, rng):
    return rng.uniform(0.2, 2.0, (rows, cols))


def _unit(rows, cols, rng):
    return rng.uniform(0.05, 0.95, (rows, cols))


def _sign(rows, cols, rng):
    return rng.choice([-1.0, 1.0], (rows, cols))


def _simplex(rows, cols, rng):
    v = rng.uniform(0.2, 1.0, (rows, cols))
    return v / v.sum()


def _symmetric(n, _, rng):
    m = rng.standard_normal((n, n))
    return (m + m.T) / 2


def _spd(n, _, rng):
    m = rng.standard_normal((n, n))
    return m @ m.T / n + 0.5 * np.eye(n)


def _diagonal(n, _, rng):
    return np.diag(rng.uniform(0.5, 2.0, n) * rng.choice([-1.0, 1.0], n))


def _orthogonal(n, _, rng):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _invertible(n, _, rng):
    for _ in range(100 if n <= 8 else 0):  # small sizes: a Gaussian matrix, redrawn until well conditioned
        m = rng.standard_normal((n, n))
        if np.linalg.cond(m) < 50:
            return m
    # large sizes (a Gaussian matrix's condition grows with n): shift the spectrum away from 0
    return rng.standard_normal((n, n)) / np.sqrt(n) + 3.0 * np.eye(n)


def _posdet(n, _, rng):
    m = _invertible(n, n, rng)
    if np.linalg.det(m) < 0:
        m[0] = -m[0]
    return m


_RANDOM = {
    None: _normal, "positive": _positive, "unit": _unit, "sign": _sign, "simplex": _simplex,
    "symmetric": _symmetric, "spd": _spd, "diagonal": _diagonal, "orthogonal": _orthogonal,
    "invertible": _invertible, "posdet": _posdet,
}


# --- small-integer draws ----------------------------------------------------------------------


def _int_matrix(rows, cols, rng, low=-3, high=3):
    return rng.integers(low, high + 1, (rows, cols)).astype(float)


def _nice_positive(rows, cols, rng):
    return _int_matrix(rows, cols, rng, 1, 3)


def _nice_unit(rows, cols, rng):
    return rng.choice([0.25, 0.5, 0.75], (rows, cols))


def _nice_simplex(rows, cols, rng):
    v = _int_matrix(rows, cols, rng, 1, 3)
    return v / v.sum()


def _nice_symmetric(n, _, rng):
    m = np.triu(_int_matrix(n, n, rng))
    return m + np.triu(m, 1).T


def _nice_spd(n, _, rng):
    m = _int_matrix(n, n, rng, -2, 2)
    return m @ m.T + np.eye(n)


def _nice_diagonal(n, _, rng):
    return np.diag(rng.choice([-2.0, -1.0, 1.0, 2.0, 3.0], n))


def _nice_orthogonal(n, _, rng):
    return np.eye(n)[rng.permutation(n)] * rng.choice([-1.0, 1.0], (n, 1))


def _nice_with_det(n, rng, positive: bool):
    for _ in range(100):
        m = _int_matrix(n, n, rng)
        det = np.linalg.det(m)
        if abs(det) >= 1:
            if positive and det < 0:
                m[0] = -m[0]
            return m
    return np.eye(n)


_NICE = {
    None: _int_matrix, "positive": _nice_positive, "unit": _nice_unit, "sign": _sign,
    "simplex": _nice_simplex, "symmetric": _nice_symmetric, "spd": _nice_spd, "diagonal": _nice_diagonal,
    "orthogonal": _nice_orthogonal,
    "invertible": lambda n, _, rng: _nice_with_det(n, rng, False),
    "posdet": lambda n, _, rng: _nice_with_det(n, rng, True),
}


def componentwise_draws(dims: list) -> list:
    """Sizes for the component-wise derivation: 2 and 3 alternating, then swapped, so every
    dimension takes both sizes and distinct dimensions differ (one draw if nothing is free)."""
    first = small_draw(dims)
    second = {d: 5 - s for d, s in first.items()}
    return [first, second] if dims else [first]
