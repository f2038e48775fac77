"""Linear algebra (sheet §3, and the condition number of §2): definiteness, Sylvester's criterion,
Cholesky, condition numbers, trace and Frobenius norm, kernel Gram matrices.

Definiteness is decided from the eigenvalues and cross-checked with the *correct* Sylvester test:
leading principal minors characterise definiteness only; semidefiniteness needs every principal
minor (E20).
"""

from __future__ import annotations

import math
from itertools import combinations

from dlcalc.catalogue._common import matrix_result, rounded, symbol_matrix
from dlcalc.catalogue._definiteness import definiteness, zero_tolerance
from dlcalc.catalogue._matrices import real_matrix
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, MATRIX, Param, choice, claim, erratum, formula, identity
from dlcalc.core.result import Result

SECTION = "3"
MAX_GROUP_ORDER = 200  # is-group checks n³ = 8,000,000 triples at most (a few seconds in Python)
MAX_PRINCIPAL_MINORS_SIZE = 12  # 2^12 − 1 = 4095 principal minors; beyond, only the eigenvalues

CLASSES = ("positive definite", "positive semidefinite", "negative definite", "negative semidefinite", "indefinite")
_MATRIX = Param("matrix", MATRIX, 'a square matrix: "[[2,-1],[-1,2]]", "2,-1;-1,2" or @file.csv', aliases=("A",))


def as_array(matrix, name="matrix"):
    return real_matrix(matrix, f"--{name}", square=True)


def leading_minors(a):
    import numpy as np

    return [float(np.linalg.det(a[:k, :k])) for k in range(1, len(a) + 1)]


def principal_minors(a):
    """{index tuple: det} for every non-empty index subset."""
    import numpy as np

    n = len(a)
    return {idx: float(np.linalg.det(a[np.ix_(idx, idx)])) for k in range(1, n + 1) for idx in combinations(range(n), k)}


def sylvester_class(a, tol) -> str | None:
    """The correct Sylvester test: PD/ND by leading minors, PSD/NSD by all principal minors."""
    if len(a) > MAX_PRINCIPAL_MINORS_SIZE:
        return None
    leading = leading_minors(a)
    if all(d > tol for d in leading):
        return "positive definite"
    if all((-1) ** k * d > tol for k, d in enumerate(leading, start=1)):
        return "negative definite"
    minors = principal_minors(a)
    if all(d >= -tol for d in minors.values()):
        return "positive semidefinite"
    if all((-1) ** len(idx) * d >= -tol for idx, d in minors.items()):
        return "negative semidefinite"
    return "indefinite"


def psd(matrix):
    import numpy as np

    a = as_array(matrix)
    warnings = []
    if not np.allclose(a, a.T, rtol=1e-12, atol=1e-12):
        warnings.append("the matrix is not symmetric: classifying the quadratic form xᵀAx by (A + Aᵀ)/2")
        a = (a + a.T) / 2
    eigenvalues = np.linalg.eigvalsh(a)
    by_eigenvalues = definiteness(eigenvalues)
    # Minors of the matrix scaled to entries ≤ 1 (the class is scale-invariant), with a fixed tolerance.
    largest = float(np.abs(a).max())
    by_sylvester = sylvester_class(a / largest if largest else a, len(a) * 1e-12)
    leading = leading_minors(a)
    tr, det = float(np.trace(a)), float(np.linalg.det(a))
    steps = [
        f"eigenvalues: {', '.join(f'{v:.6g}' for v in eigenvalues)}",
        f"Tr A = {tr:.6g}, det A = {det:.6g} (PSD ⟹ both ≥ 0; necessary, not sufficient)",
        f"leading principal minors D_k: {', '.join(f'{d:.6g}' for d in leading)}",
        "Sylvester: PD ⟺ all D_k > 0;  ND ⟺ (−1)^k D_k > 0;  PSD ⟺ ALL principal minors ≥ 0 "
        "(leading ones are not enough, E20)",
        f"Sylvester's test says: {by_sylvester or 'skipped (matrix too large for all principal minors)'}",
    ]
    if by_sylvester is not None and by_sylvester != by_eigenvalues:
        warnings.append(f"eigenvalues say {by_eigenvalues} but the minors say {by_sylvester}: "
                        "the matrix is numerically borderline")
    return Result(value=by_eigenvalues, steps=steps, warnings=warnings,
                  extra={"eigenvalues": rounded(eigenvalues), "leading_minors": rounded(leading),
                         "trace": rounded(tr), "det": rounded(det),
                         "sylvester": by_sylvester})


_E20 = erratum(
    "E20",
    title="Sylvester criterion stated for PSD",
    sheet="positive semi-definite iff all upper-left k×k minors have a positive determinant … "
    "Otherwise: indefinite",
    correct="symmetric A is PD ⟺ all leading principal minors > 0; PSD ⟺ ALL principal minors "
    "(every index subset) ≥ 0; failing the PD and ND tests does not make A indefinite",
    command="dlcalc psd --matrix '[[1,0],[0,0]]'",
)

_E02 = erratum(
    "E02",
    title="'XXᵀ ≥ 0 (symmetric PSD)'",
    sheet="XXᵀ ≥ 0 (symmetric positive semidefinite)",
    correct="XXᵀ ⪰ 0 (Loewner order, not entrywise ≥) for any real X; in context Cov[X] = E[(X−μ)(X−μ)ᵀ] ⪰ 0",
    command="dlcalc psd --matrix '[[1,-2],[-2,4]]'",
)

formula(
    name="psd",
    section=SECTION,
    catalogue_id="LA-SYLV-PSD LA-PSD LA-PSD-EIG LA-PSD-TRDET LA-SYLV-PD LA-SYLV-ND PROB-COV-PSD",
    summary="Definiteness of a symmetric matrix (eigenvalues, cross-checked by Sylvester's criterion)",
    params=(_MATRIX,),
    formula="PD ⟺ λ_i > 0 ⟺ all leading minors > 0;  PSD ⟺ λ_i ≥ 0 ⟺ all principal minors ≥ 0",
    latex=r"A \succ 0 \iff \lambda_{\min}(A) > 0 \iff D_k > 0\ \forall k",
    compute=psd,
    errata=(_E20, _E02),
    examples=(
        ("--matrix '[[2,-1],[-1,2]]'", "positive definite"),
        ("--matrix '[[1,-2],[-2,4]]'", "positive semidefinite", "XXᵀ for X = (1, −2)ᵀ: PSD with negative entries"),
        ("--matrix '[[1,0],[0,0]]'", "positive semidefinite", "leading minors 1, 0: the sheet's test fails it"),
        ("--matrix '[[0,0],[0,-1]]'", "negative semidefinite", "leading minors 0, 0 ≥ 0, yet not PSD"),
        ("--matrix '[[-2,0],[0,-3]]'", "negative definite"),
        ("--matrix '[[1,2],[2,1]]'", "indefinite"),
        ("--matrix '[[2,0,0],[0,-1,0],[0,0,-1]]'", "indefinite", "Tr A = 0 and det A = 2 are ≥ 0, yet not PSD"),
    ),
)


# ---- Cholesky ------------------------------------------------------------------------------


def cholesky(matrix):
    import numpy as np

    a = as_array(matrix)
    if not np.allclose(a, a.T, rtol=1e-12, atol=1e-12):
        raise DlcalcError("Cholesky needs a symmetric matrix")
    try:
        lower = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        kind = definiteness(np.linalg.eigvalsh(a))
        hint = "; a singular PSD matrix has non-unique factors LLᵀ (use pivoted Cholesky or LDLᵀ)" \
            if kind == "positive semidefinite" else ""
        raise DlcalcError(f"no Cholesky factor with a positive diagonal: the matrix is {kind}{hint}") from None
    residual = float(np.abs(lower @ lower.T - a).max())
    return matrix_result(lower,
                  steps=[f"A = LLᵀ with L lower-triangular, positive diagonal; max |LLᵀ − A| = {residual:.2g}"])


_E19 = erratum(
    "E19",
    title="Cholesky for PSD matrices",
    sheet="PSD ⟹ Cholesky decomposition exists: A = LLᵀ",
    correct="a unique Cholesky factor with positive diagonal exists iff A is PD; a singular PSD matrix "
    "has non-unique factorisations and the standard algorithm fails",
    command="dlcalc cholesky --matrix '[[1,1],[1,1]]'",
)

formula(
    name="cholesky",
    section=SECTION,
    catalogue_id="LA-CHOL",
    summary="Cholesky factor L (A = LLᵀ) of a positive definite matrix",
    params=(_MATRIX,),
    formula="A = LLᵀ, L lower-triangular with positive diagonal ⟺ A positive definite",
    latex=r"A = LL^\top",
    compute=cholesky,
    errata=(_E19,),
    examples=(("--matrix '[[4,2],[2,2]]'", "[[2.0, 0.0], [1.0, 1.0]]"),),
)


# ---- condition number ----------------------------------------------------------------------


def condition_number(matrix):
    import numpy as np

    a = as_array(matrix)
    singular = np.linalg.svd(a, compute_uv=False)
    kappa = math.inf if singular[-1] <= zero_tolerance(singular, len(a)) else float(singular[0] / singular[-1])
    steps = [f"singular values: {', '.join(f'{s:.6g}' for s in singular)}", "κ₂ = σ_max/σ_min"]
    if np.allclose(a, a.T):
        eigenvalues = np.linalg.eigvalsh(a)
        steps.append(f"symmetric: eigenvalues {', '.join(f'{v:.6g}' for v in eigenvalues)}; "
                     "κ₂ = max|λ|/min|λ| (not the signed |λ_max|/|λ_min|, E14)")
    return Result(value=kappa if math.isfinite(kappa) else "inf",
                  plain=repr(kappa) if math.isfinite(kappa) else "inf", steps=steps)


_E14 = erratum(
    "E14",
    title="condition number of a 'positive semi-definite' matrix",
    sheet="for a symmetric PSD matrix κ(H) = |λ_max|/|λ_min| ≥ 1",
    correct="κ = λ_max/λ_min needs a positive definite H (singular PSD gives κ = ∞); for a general "
    "symmetric H, κ₂ = max|λ|/min|λ| = σ_max/σ_min",
    command="dlcalc cond --matrix '[[-10,0],[0,1]]'",
)

formula(
    name="cond",
    infinite_ok=True,  # an infinite answer is the true one here
    section="2",
    catalogue_id="ANA-COND",
    summary="Condition number κ₂ = σ_max/σ_min of a square matrix (∞ if singular)",
    params=(_MATRIX,),
    formula="κ₂(A) = σ_max/σ_min;  for SPD H: λ_max/λ_min = L/μ",
    latex=r"\kappa_2(A) = \frac{\sigma_{\max}(A)}{\sigma_{\min}(A)}",
    compute=condition_number,
    errata=(_E14,),
    notes="κ₂ of a singular matrix is ∞ by definition (σ_min = 0, up to rounding: σ_min within 16·n·ε·σ_max "
    "counts as 0), and dlcalc prints inf; this is the true answer, not an overflow.",
    examples=(
        ("--matrix '[[50,0],[0,1]]'", "50.0"),
        ("--matrix '[[-10,0],[0,1]]'", "10.0", "a saddle: the signed ratio would be 0.1"),
        ("--matrix '[[1,0],[0,0]]'", "inf"),
    ),
)


# ---- trace and Frobenius norm --------------------------------------------------------------


def trace(matrix):
    import numpy as np

    a = as_array(matrix)
    diagonal = float(np.trace(a))
    eigen_sum = complex(np.linalg.eigvals(a).sum())
    return Result(value=diagonal,
                  steps=[f"Σ a_ii = {diagonal!r};  Σ λ_i = {eigen_sum.real:.12g}"])


formula(
    name="trace",
    section=SECTION,
    catalogue_id="LA-TRACE",
    summary="Trace of a square matrix (sum of the diagonal = sum of the eigenvalues)",
    params=(_MATRIX,),
    formula="Tr(A) = Σ a_ii = Σ λ_i",
    latex=r"\mathrm{Tr}(A) = \sum_i a_{ii} = \sum_i \lambda_i",
    compute=trace,
    examples=(("--matrix '[[1,2],[3,4]]'", "5.0"),),
)


def frobenius(matrix):
    import numpy as np

    a = real_matrix(matrix, "--matrix")
    entries = math.hypot(*a.ravel().tolist())  # scaled: no overflow or underflow
    by_trace = math.sqrt(float(np.trace(a.T @ a)))
    by_singular = math.sqrt(float((np.linalg.svd(a, compute_uv=False) ** 2).sum()))
    return Result(value=entries,
                  steps=[f"sqrt(Σ a_ij²) = {entries!r}", f"sqrt(Tr(AᵀA)) = {by_trace!r}", f"sqrt(Σ σ_i²) = {by_singular!r}"])


formula(
    name="frobenius",
    section=SECTION,
    catalogue_id="LA-FROB",
    summary="Frobenius norm of a matrix, by entries, by Tr(AᵀA) and by singular values",
    params=(Param("matrix", MATRIX, "any matrix (need not be square)", aliases=("A",)),),
    formula="‖A‖_F = sqrt(Σ a_ij²) = sqrt(Tr(AᵀA)) = sqrt(Σ σ_i²)",
    latex=r"\|A\|_F = \sqrt{\sum_{ij} a_{ij}^2} = \sqrt{\mathrm{Tr}(A^\top A)}",
    compute=frobenius,
    examples=(("--matrix '[[3,0],[0,4]]'", "5.0"), ("--matrix '[[1,1,1,1]]'", "2.0")),
)


# ---- kernels -------------------------------------------------------------------------------


def gram_matrix(points, kernel, gamma, degree, coef0):
    import numpy as np

    x = real_matrix(points, "--points")
    inner = x @ x.T
    if kernel == "linear":
        return inner
    if kernel == "poly":
        return (gamma * inner + coef0) ** degree
    squared = np.diag(inner)[:, None] + np.diag(inner)[None, :] - 2 * inner
    return np.exp(-gamma * np.maximum(squared, 0.0))


def gram(points, kernel, gamma, degree, coef0):
    import numpy as np

    k = gram_matrix(points, kernel, gamma, degree, coef0)
    eigenvalues = np.linalg.eigvalsh(k)
    verdict = definiteness(eigenvalues)
    psd_ok = verdict.startswith("positive")
    return matrix_result(k,
                  steps=[f"eigenvalues: {', '.join(f'{v:.6g}' for v in eigenvalues)}",
                         f"the Gram matrix is {verdict}" + ("" if psd_ok else ": this k is not a Mercer kernel")],
                  extra={"class": verdict})


_E18 = erratum(
    "E18",
    title="'Kernels are positive semi-definite matrices'",
    sheet="Kernels are positive semi-definite matrices",
    correct="a kernel is a function k(x, x'); it is positive semidefinite in the sense that every Gram "
    "matrix [k(x_i, x_j)] is PSD",
    command="dlcalc gram --points '[[0,0],[1,0],[0,2]]' --kernel rbf",
)

formula(
    name="gram",
    section=SECTION,
    catalogue_id="LA-KERNEL-PSD",
    summary="Gram matrix K_ij = k(x_i, x_j) of a kernel on points, and its definiteness",
    params=(
        Param("points", MATRIX, "one point per row"),
        Param("kernel", choice("rbf", "linear", "poly"), "rbf exp(−γ‖x−y‖²), linear xᵀy, poly (γxᵀy + c)^d", default="rbf"),
        Param("gamma", FLOAT, "γ", default=1.0),
        Param("degree", FLOAT, "d (poly)", default=2.0),
        Param("coef0", FLOAT, "c (poly)", default=1.0),
    ),
    formula="K_ij = k(x_i, x_j);  k is a Mercer kernel ⟺ every Gram matrix is PSD",
    latex=r"K_{ij} = k(x_i, x_j) \succeq 0",
    compute=gram,
    errata=(_E18,),
    examples=(("--points '[[1,0],[0,1]]' --kernel linear", "[[1.0, 0.0], [0.0, 1.0]]"),
              ("--points '[[0],[1]]' --kernel poly --gamma 1 --degree 2 --coef0 1", "[[1.0, 1.0], [1.0, 4.0]]")),
)


# ---- identities ------------------------------------------------------------------------------


def trace_cyclic_statement(order: str = "BCA"):
    """Tr(ABC) vs Tr of a reordering, on rectangular A (2×3), B (3×4), C (4×2).

    'BCA' and 'CAB' are cyclic; 'BAC' is not (and does not even conform here; a test uses square
    matrices for it)."""
    a, b, c = symbol_matrix("a", 2, 3), symbol_matrix("b", 3, 4), symbol_matrix("c", 4, 2)
    named = {"A": a, "B": b, "C": c}
    product = named[order[0]] * named[order[1]] * named[order[2]]
    return (a * b * c).trace(), product.trace()


def trace_linear_statement():
    """Tr(A + cB) vs Tr A + c Tr B, and Tr(Aᵀ) vs Tr A, on 3×3 matrices (one combined statement)."""
    import sympy

    a, b = symbol_matrix("a", 3, 3), symbol_matrix("b", 3, 3)
    c = sympy.Symbol("c", real=True)
    return (a + c * b).trace() + a.T.trace(), 2 * a.trace() + c * b.trace()


def frobenius_trace_statement():
    """Σ a_ij² vs Tr(AᵀA) for a 2×3 matrix (the square roots of both sides are the norm)."""
    a = symbol_matrix("a", 2, 3)
    return sum(x**2 for x in a), (a.T * a).trace()


def frobenius_rotation_statement():
    """‖QA‖_F² vs ‖A‖_F² for a 2×2 rotation Q."""
    import sympy

    theta = sympy.Symbol("theta", real=True)
    q = sympy.Matrix([[sympy.cos(theta), -sympy.sin(theta)], [sympy.sin(theta), sympy.cos(theta)]])
    a = symbol_matrix("a", 2, 2)
    return ((q * a).T * (q * a)).trace(), (a.T * a).trace()



identity(
    name="trace-cyclic",
    section=SECTION,
    catalogue_id="LA-TRACE-CYC",
    summary="The trace is invariant under cyclic permutations",
    formula="Tr(ABC) = Tr(BCA) = Tr(CAB) (cyclic permutations only)",
    latex=r"\mathrm{Tr}(ABC) = \mathrm{Tr}(BCA)",
    build=trace_cyclic_statement,
    method="expand (2×3, 3×4, 4×2)",
)
identity(
    name="trace-linear",
    section=SECTION,
    catalogue_id="LA-TRACE-LIN",
    summary="The trace is linear and transpose-invariant",
    formula="Tr(A + cB) = Tr A + c Tr B;  Tr(Aᵀ) = Tr A",
    latex=r"\mathrm{Tr}(A + cB) = \mathrm{Tr}A + c\,\mathrm{Tr}B",
    build=trace_linear_statement,
    method="expand (3×3)",
)
identity(
    name="frobenius-trace",
    section=SECTION,
    catalogue_id="LA-FROB",
    summary="‖A‖_F² = Tr(AᵀA)",
    formula="Σ a_ij² = Tr(AᵀA)",
    latex=r"\|A\|_F^2 = \mathrm{Tr}(A^\top A)",
    build=frobenius_trace_statement,
    method="expand (2×3)",
)
identity(
    name="frobenius-rotation",
    section=SECTION,
    catalogue_id="LA-FROB",
    summary="The Frobenius norm is invariant under rotations",
    formula="‖QA‖_F = ‖A‖_F for orthogonal Q",
    latex=r"\|QA\|_F = \|A\|_F",
    build=frobenius_rotation_statement,
    method="trigsimp (2×2)",
)


# ---- groups and the SVD --------------------------------------------------------------------------


def group_check(table):
    """Decide the group axioms for a Cayley table over {0, ..., n−1}; a failing axiom gets a witness."""
    cells = real_matrix(table, "--table", square=True)
    n = len(cells)
    if n > MAX_GROUP_ORDER:
        raise DlcalcError(f"--table: at most {MAX_GROUP_ORDER} elements (associativity checks n³ triples), got {n}")
    if any(x != int(x) for x in cells.ravel().tolist()):
        raise DlcalcError("--table: entries must be element indices 0..n−1")
    op = [[int(x) for x in row] for row in cells.tolist()]
    elements = range(n)
    failures = []
    outside = [(a, b) for a in elements for b in elements if not 0 <= op[a][b] < n]
    if outside:
        failures.append(f"closure: {outside[0][0]}∘{outside[0][1]} = {op[outside[0][0]][outside[0][1]]} is not an element")
    else:
        bad = next(((a, b, c) for a in elements for b in elements for c in elements
                    if op[op[a][b]][c] != op[a][op[b][c]]), None)
        if bad:
            failures.append(f"associativity: ({bad[0]}∘{bad[1]})∘{bad[2]} ≠ {bad[0]}∘({bad[1]}∘{bad[2]})")
        identity = next((e for e in elements if all(op[e][a] == a == op[a][e] for a in elements)), None)
        if identity is None:
            failures.append("identity: no element e with e∘a = a∘e = a for all a")
        else:
            lonely = next((a for a in elements if not any(op[a][b] == identity == op[b][a] for b in elements)), None)
            if lonely is not None:
                failures.append(f"inverses: {lonely} has no inverse")
    holds = not failures
    return Result(value=holds, plain="group" if holds else "not a group: " + failures[0],
                  steps=failures or ["closure, associativity, identity and inverses all hold"], holds=holds)


claim(
    name="is-group",
    section=SECTION,
    catalogue_id="LA-GROUP",
    summary="Decide whether a Cayley table defines a group (closure, associativity, identity, inverses)",
    params=(Param("table", MATRIX, f"the Cayley table: entry [a][b] is the index of a∘b, elements 0..n−1 "
                  f"(n at most {MAX_GROUP_ORDER})"),),
    formula="closure, associativity, identity element, inverse elements",
    latex=r"(G, \circ)\ \text{closed, associative, with identity and inverses}",
    compute=group_check,
    examples=(("--table '[[0,1,2],[1,2,0],[2,0,1]]'", "group", "ℤ/3 under addition"),
              ("--table '[[0,0],[0,1]]'", "not a group: inverses: 0 has no inverse", "({0,1}, ·): 0 has no inverse")),
    notes="Exit 0 for a group, 1 otherwise (the first failing axiom is named).",
)


def svd(matrix):
    import numpy as np

    a = real_matrix(matrix, "--matrix")
    u, singular, vt = np.linalg.svd(a, full_matrices=False)
    residual = float(np.abs(u @ np.diag(singular) @ vt - a).max())
    return Result(value=rounded(singular),
                  steps=[f"thin SVD: U {u.shape[0]}×{u.shape[1]}, Σ {len(singular)}×{len(singular)}, V {vt.shape[1]}×{vt.shape[0]}; "
                         f"max |UΣVᵀ − A| = {residual:.2g}", "the full SVD has U m×m, V n×n and Σ m×n"],
                  extra={"U": rounded(u), "V": rounded(vt.T)})


formula(
    name="svd",
    section="11.3",
    catalogue_id="OPT-SVD",
    summary="Singular values of a matrix (thin SVD; U and V in --json)",
    params=(Param("matrix", MATRIX, "any matrix", aliases=("A",)),),
    formula="A = UΣVᵀ, U ∈ O(m), V ∈ O(n), Σ ∈ ℝ^{m×n} (thin: U m×r, V n×r)",
    latex=r"A = U\Sigma V^\top",
    compute=svd,
    examples=(("--matrix '[[3,0],[0,-4]]'", "4.0,3.0"), ("--matrix '[[1,1],[1,1],[0,0]]'", "2.0,0.0")),
)
