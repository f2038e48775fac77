"""Functions of sets (sheet §16.1): permutation invariance and equivariance, Deep Sets and PointNet,
permutation matrices. NumPy is imported inside the functions."""

from __future__ import annotations

from dlcalc.catalogue._common import finite_array, matrix_result, rounded, vector_result, vector_text
from dlcalc.catalogue._graphs import layer_weights
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import MATRIX, Kind, Param, choice, erratum, formula
from dlcalc.core.result import Result

# ---- permutation invariance and equivariance -----------------------------------------------------


def _set_functions():
    """Functions of a set X (one element per row) that dlcalc can test; names only, never code."""
    import numpy as np

    from dlcalc.catalogue._common import softmax_rows

    return {
        "sum": lambda X: X.sum(axis=0),
        "mean": lambda X: X.mean(axis=0),
        "max": lambda X: X.max(axis=0),
        "sort": lambda X: np.sort(X, axis=0),
        "first": lambda X: X[0],
        "cumsum": lambda X: np.cumsum(X, axis=0),
        "softmax-rows": softmax_rows,
        "center": lambda X: X - X.mean(axis=0),
        "deepsets": lambda X: np.tanh(np.tanh(X).sum(axis=0)),  # ρ(Σ φ(x_m)) with φ = ρ = tanh
        # PointNet: shared per-point map φ(x) = relu(x − 1), max-pool, then ρ = tanh
        "pointnet": lambda X: np.tanh(np.maximum(X - 1.0, 0.0).max(axis=0)),
        "weighted-sum": lambda X: (np.arange(1, len(X) + 1)[:, None] * X).sum(axis=0),
    }


def permutations_to_try(n, limit, rng):
    from itertools import islice, permutations

    import numpy as np

    if n <= 7:
        return [np.array(p) for p in islice(permutations(range(n)), limit)]
    return [rng.permutation(n) for _ in range(limit)]


def permutation_check(function, X):
    import numpy as np

    f = _set_functions()[function]
    data = finite_array(X, "--X")
    if data.ndim == 1:
        data = data[:, None]
    base = f(data)
    rng = np.random.default_rng(0)
    invariant = equivariant = True
    witness = {}
    for perm in permutations_to_try(len(data), 5040, rng):
        out = f(data[perm])
        if invariant and (out.shape != base.shape or not np.allclose(out, base)):
            invariant, witness["invariance"] = False, perm.tolist()
        if equivariant and (out.shape != base.shape or base.shape[0] != len(data) or not np.allclose(out, base[perm])):
            equivariant, witness["equivariance"] = False, perm.tolist()
        if not (invariant or equivariant):
            break
    verdict = "invariant" if invariant else "equivariant" if equivariant else "neither"
    if invariant and equivariant:
        verdict = "invariant and equivariant"
    return Result(value=verdict,
                  steps=["invariant: f(PX) = f(X); equivariant: f(PX) = P f(X), for the permutations tried"],
                  extra={"invariant": invariant, "equivariant": equivariant, "counterexample": witness},
                  holds=invariant or equivariant)


_E67 = erratum(
    "E67",
    title="Deep Sets statement",
    sheet="an element-wise encoder φ and an invariant aggregator ρ (e.g., sum, max)",
    correct="the sum Σφ(x_m) is the invariant aggregator and ρ an arbitrary (continuous) function applied "
    "afterwards; a theorem for countable domains or fixed-size sets with latent dimension ≥ M "
    "(Zaheer et al. 2017; Wagstaff et al. 2019)",
    command="dlcalc perm-check --function deepsets --X '1,0;2,1;4,1'",
)
_E68 = erratum(
    "E68",
    title="PointNet T-Net 'for rotation invariance'",
    sheet="uses a T-Net to predict affine transformations (canonicalization) for rotation invariance",
    correct="the T-Net learns an input-dependent alignment; rotation invariance is approximate, not "
    "guaranteed. Only the permutation invariance from max-pooling is exact",
    command="dlcalc perm-check --function max --X '1,0;2,1;4,1'",
)

formula(
    name="perm-check",
    section="16.1",
    catalogue_id="GDL-INV GDL-EQUIV",
    summary="Is a set function permutation invariant, equivariant or neither? (tried on all/many permutations)",
    params=(
        Param("function", choice(*("sum", "mean", "max", "sort", "first", "cumsum", "softmax-rows", "center",
                                    "deepsets", "pointnet", "weighted-sum")), "the function f of the rows of X"),
        Param("X", MATRIX, "the set: one element per row"),
    ),
    formula="invariant: f(PX) = f(X); equivariant: f(PX) = P f(X)",
    latex=r"f(PX) = f(X) \quad\text{or}\quad f(PX) = P f(X)",
    compute=permutation_check,
    errata=(_E67, _E68),
    examples=(
        ("--function sum --X '1;2;3'", "invariant"),
        ("--function center --X '1,0;2,1;4,1'", "equivariant"),
        ("--function first --X '1;2;3'", "neither"),
    ),
    notes="All permutations are tried for up to 7 rows, 5040 random ones beyond. Exit 1 for 'neither'. "
    "A check on one X can refute a symmetry, not prove it for every X.",
)


# ---- Deep Sets and PointNet ----------------------------------------------------------------------

_POOLS = {"sum": "Σ", "mean": "mean", "max": "max"}


def set_network(X, phi, rho, act, pool):
    """ρ(pool_m φ(x_m)) with φ(x) = σ(x W_φ) applied to each row and ρ(s) = σ(s W_ρ)."""
    import numpy as np

    data = finite_array(X, "--X")
    data = data[:, None] if data.ndim == 1 else data
    W_phi = layer_weights(phi, data.shape[1], "--phi")
    W_rho = layer_weights(rho, W_phi.shape[1], "--rho")
    sigma = {"relu": lambda a: np.maximum(a, 0.0), "tanh": np.tanh, "none": lambda a: a}[act]
    encoded = sigma(data @ W_phi)  # one row per element: the same φ for every element
    pooled = {"sum": encoded.sum(axis=0), "mean": encoded.mean(axis=0), "max": encoded.max(axis=0)}[pool]
    return sigma(pooled @ W_rho), pooled


def deepsets(X, phi, rho, act, pool):
    import numpy as np

    value, pooled = set_network(X, phi, rho, act, pool)
    data = finite_array(X, "--X")
    worst = max(float(np.max(abs(set_network(data[perm], phi, rho, act, pool)[0] - value), initial=0.0))
                for perm in permutations_to_try(len(data), 5040, np.random.default_rng(0)))
    name = "PointNet" if pool == "max" else "Deep Sets"
    return vector_result(value,
                         steps=[f"{name}: f(X) = ρ({_POOLS[pool]}_m φ(x_m)), φ(x) = {act}(x W_φ), ρ(s) = {act}(s W_ρ)",
                                f"pooled {_POOLS[pool]}_m φ(x_m) = {vector_text(pooled)}",
                                f"largest change of f(PX) over the permutations tried: {worst:.1g}"],
                         extra={"pooled": rounded(pooled), "largest_change_under_permutation": worst})


formula(
    name="deepsets",
    section="16.1",
    catalogue_id="GDL-DEEPSETS GDL-POINTNET",
    summary="Deep Sets f(X) = ρ(Σ_m φ(x_m)) or PointNet ρ(max_m φ(x_m)) with one-layer φ and ρ",
    params=(
        Param("X", MATRIX, "the set: one element per row (M×d)"),
        Param("phi", MATRIX, "weights W_φ of the per-element encoder φ(x) = σ(x W_φ) (d×h)"),
        Param("rho", MATRIX, "weights W_ρ of ρ(s) = σ(s W_ρ) applied after pooling (h×o)"),
        Param("act", choice("relu", "tanh", "none"), "activation σ of φ and ρ", default="relu"),
        Param("pool", choice("sum", "mean", "max"), "sum (Deep Sets), mean, or max (PointNet)", default="sum"),
    ),
    formula="f(X) = ρ(Σ_m φ(x_m)) (Deep Sets); PointNet: ρ(max_m φ(x_m)); both permutation invariant",
    latex=r"f(X) = \rho\Big(\sum_m \varphi(x_m)\Big)",
    compute=deepsets,
    errata=(_E67, _E68),
    sheet_says="an element-wise encoder φ and an invariant aggregator ρ (e.g., sum, max)",
    examples=(
        ("--X '1,-1;2,0' --phi '1,0;0,1' --rho '1;1'", "3.0", "φ: (1,0), (2,0); Σ = (3,0); ρ = relu(3 + 0)"),
        ("--X '1,-1;2,0' --phi '1,0;0,1' --rho '1;1' --pool max", "2.0", "max-pool (PointNet): (2,0)"),
    ),
    notes="ρ is applied after the sum; the sum (or max) is the invariant aggregator (E67). All orders are "
    "tried for up to 7 elements, 5040 random ones beyond.",
)


# ---- permutation matrices ------------------------------------------------------------------------


def _permutation(text):
    values = [v.strip() for v in str(text).split(",") if v.strip()]
    if not values or any(not v.isdigit() for v in values):
        raise DlcalcError(f"expected a permutation like 2,0,1, got {text!r}")
    perm = tuple(int(v) for v in values)
    if sorted(perm) != list(range(len(perm))):
        raise DlcalcError(f"{text!r} is not a permutation of 0..{len(perm) - 1}")
    return perm


PERMUTATION = Kind("PERM", _permutation)


def permutation_matrix(pi, X):
    """P with (PX)_j = X_{π(j)}: row j of P has its 1 in column π(j). With X: PX instead of P."""
    import numpy as np

    n = len(pi)
    P = np.zeros((n, n), dtype=int)
    P[np.arange(n), pi] = 1
    if X != ():
        return _permuted_rows(P, pi, finite_array(X, "--X"))
    orthogonal = bool(np.array_equal(P @ P.T, np.eye(n, dtype=int)))
    inverse_is_transpose = bool(np.allclose(np.linalg.inv(P), P.T))
    two_line = f"(0 1 … {n - 1} ; {' '.join(map(str, pi))})"
    return matrix_result(P,
                         steps=[f"two-line notation: top row 0..{n - 1}, bottom row π(0)..π({n - 1}): {two_line}",
                                f"PPᵀ = I: {orthogonal}; P⁻¹ = Pᵀ: {inverse_is_transpose}; PX permutes rows, XPᵀ "
                                "permutes columns"],
                         extra={"two_line": [list(range(n)), list(pi)], "PPt_is_I": orthogonal,
                                "inverse_is_transpose": inverse_is_transpose})


def _permuted_rows(P, pi, X):
    """PX, checked row by row against (PX)_j = X_{π(j)}; XPᵀ against column π(j) when X is square."""
    import numpy as np

    X = X[:, None] if X.ndim == 1 else X
    if X.shape[0] != len(pi):
        raise DlcalcError(f"--X needs one row per entry of --pi ({len(pi)}), got {X.shape[0]}")
    rows_ok = all(np.array_equal((P @ X)[j], X[pi[j]]) for j in range(len(pi)))
    extra = {"rows_are_X_pi": rows_ok}
    steps = [f"(PX)_j = X_(π(j)) for every row j: {rows_ok}"]
    if X.shape[1] == len(pi):
        cols_ok = all(np.array_equal((X @ P.T)[:, j], X[:, pi[j]]) for j in range(len(pi)))
        extra["columns_of_XPt_are_X_pi"] = cols_ok
        steps.append(f"column j of XPᵀ is column π(j) of X: {cols_ok}")
    return matrix_result(P @ X, steps=steps, extra=extra)


_E66 = erratum(
    "E66",
    title="Cauchy two-line notation",
    sheet="π = (π(1) π(2) … π(M)) (one line)",
    correct="a two-row array: top row 1 2 … M, bottom row π(1) π(2) … π(M)",
    command="dlcalc perm-matrix --pi 2,0,1",
)

formula(
    name="perm-matrix",
    section="16.1",
    catalogue_id="GDL-PERM GDL-PERM-ACT GDL-CAUCHY",
    summary="Permutation matrix of π (two-line notation), with PPᵀ = I and P⁻¹ = Pᵀ checked",
    params=(Param("pi", PERMUTATION, "the permutation's bottom row π(0),…,π(M−1), e.g. 2,0,1"),
            Param("X", MATRIX, "print PX for this matrix (one row per entry of π) instead of P", default=())),
    formula="P_{j,π(j)} = 1, so (PX)_j = X_{π(j)}; XPᵀ permutes columns; PPᵀ = I, P⁻¹ = Pᵀ",
    latex=r"P_{j,\pi(j)} = 1,\ PP^\top = I",
    compute=permutation_matrix,
    errata=(_E66,),
    examples=(("--pi 2,0,1", "[[0, 0, 1], [1, 0, 0], [0, 1, 0]]"), ("--pi 0,1", "[[1, 0], [0, 1]]"),
              ("--pi 2,0,1 --X '10,11;20,21;30,31'", "[[30.0, 31.0], [10.0, 11.0], [20.0, 21.0]]",
               "row j of PX is row π(j) of X")),
    notes="Nodes and positions count from 0 here; the sheet counts from 1.",
)
