"""Linear algebra: definiteness against an exact rational classification (all principal minors by
fraction-exact Bareiss elimination), Cholesky by reconstruction, norms and condition numbers by NumPy,
and the trace identities refuted when the permutation is not cyclic."""

from __future__ import annotations

import json
from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_main
from dlcalc.catalogue import linalg
from dlcalc.catalogue._common import symbol_matrix
from dlcalc.core.proof import prove_equal


def exact_det(rows):
    """Determinant with Fractions (Gaussian elimination, exact)."""
    m = [[Fraction(x) for x in row] for row in rows]
    n, det = len(m), Fraction(1)
    for col in range(n):
        pivot = next((r for r in range(col, n) if m[r][col] != 0), None)
        if pivot is None:
            return Fraction(0)
        if pivot != col:
            m[col], m[pivot] = m[pivot], m[col]
            det = -det
        det *= m[col][col]
        for r in range(col + 1, n):
            factor = m[r][col] / m[col][col]
            m[r] = [a - factor * b for a, b in zip(m[r], m[col])]
    return det


def exact_class(a):
    """Definiteness from exact principal minors: PSD iff all ≥ 0; PD iff all leading > 0."""
    n = len(a)
    minors = {idx: exact_det([[a[i][j] for j in idx] for i in idx]) for k in range(1, n + 1) for idx in combinations(range(n), k)}
    leading = [minors[tuple(range(k))] for k in range(1, n + 1)]
    if all(d > 0 for d in leading):
        return "positive definite"
    if all((-1) ** k * d > 0 for k, d in enumerate(leading, start=1)):
        return "negative definite"
    if all(d >= 0 for d in minors.values()):
        return "positive semidefinite"
    if all((-1) ** len(idx) * d >= 0 for idx, d in minors.items()):
        return "negative semidefinite"
    return "indefinite"


@st.composite
def symmetric_int_matrices(draw):
    n = draw(st.integers(1, 4))
    # Low-rank products make semidefinite cases common, not just random indefinite ones.
    rank = draw(st.integers(0, n))
    b = np.array(draw(st.lists(st.integers(-3, 3), min_size=n * max(rank, 1), max_size=n * max(rank, 1)))).reshape(n, max(rank, 1))
    sign = draw(st.sampled_from([1, -1, 0]))
    if sign == 0:
        c = np.array(draw(st.lists(st.integers(-4, 4), min_size=n * n, max_size=n * n))).reshape(n, n)
        return (c + c.T).tolist()
    return (sign * (b @ b.T)).tolist() if rank else np.zeros((n, n), dtype=int).tolist()


@given(symmetric_int_matrices())
@settings(max_examples=150, deadline=None)
def test_psd_classification_matches_exact_minors(matrix):
    result = linalg.psd(tuple(tuple(float(x) for x in row) for row in matrix))
    expected = exact_class(matrix)
    if not any(any(row) for row in matrix):
        expected = "positive semidefinite"  # the zero matrix: our convention
    assert result.value == expected
    assert result.extra["sylvester"] == expected


def test_the_sheets_leading_minor_test_is_not_enough():
    """E20: diag(0, −1) has leading minors 0, 0 (≥ 0) but is not PSD."""
    run = run_main(["psd", "--matrix", "[[0,0],[0,-1]]", "--json"])
    record = json.loads(run.out)
    assert record["leading_minors"] == [0.0, 0.0]
    assert record["result"] == "negative semidefinite"


def test_psd_plain_output_is_one_of_five_words():
    for matrix, expected in [("[[2,-1],[-1,2]]", "positive definite"), ("[[1,2],[2,1]]", "indefinite")]:
        assert run_main(["psd", "--matrix", matrix]).out == expected + "\n"
    assert run_main(["psd", "--matrix", "[[1,2,3],[4,5,6]]"]).code == 2  # not square


def test_cholesky_reconstructs_and_refuses_singular():
    rng = np.random.default_rng(1)
    b = rng.normal(size=(4, 4))
    a = b @ b.T + 0.1 * np.eye(4)
    lower = np.array(json.loads(run_main(["cholesky", "--matrix", json.dumps(a.tolist()), "--json"]).out)["result"])
    assert np.allclose(lower @ lower.T, a, atol=1e-10)
    assert np.allclose(lower, np.tril(lower)) and (np.diag(lower) > 0).all()
    refused = run_main(["cholesky", "--matrix", "[[1,1],[1,1]]"])
    assert refused.code == 2 and "positive semidefinite" in refused.err


@pytest.mark.parametrize("matrix", [[[4.0, 1.0], [2.0, 3.0]], [[1.0, 2.0, 0.0], [0.0, 1.0, 5.0], [1.0, 0.0, 1.0]]])
def test_cond_and_lipschitz_against_numpy(matrix):
    assert json.loads(run_main(["cond", "--matrix", json.dumps(matrix), "--json"]).out)["result"] == pytest.approx(np.linalg.cond(matrix), rel=1e-12)
    assert json.loads(run_main(["lipschitz", "--matrix", json.dumps(matrix), "--json"]).out)["result"] == pytest.approx(np.linalg.norm(matrix, 2), rel=1e-12)


def test_cond_of_a_saddle_is_not_the_signed_ratio():
    assert run_main(["cond", "--matrix", "[[-10,0],[0,1]]"]).out.strip() == "10.0"  # E14: sheet gives 0.1


def test_frobenius_and_trace():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(3, 5))
    assert json.loads(run_main(["frobenius", "--matrix", json.dumps(a.tolist()), "--json"]).out)["result"] == pytest.approx(np.linalg.norm(a), rel=1e-14)
    sq = rng.normal(size=(4, 4))
    assert json.loads(run_main(["trace", "--matrix", json.dumps(sq.tolist()), "--json"]).out)["result"] == pytest.approx(np.linalg.eigvals(sq).sum().real, rel=1e-10)


def test_gram_matrix_entries_and_definiteness():
    points = [[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]]
    record = json.loads(run_main(["gram", "--points", json.dumps(points), "--kernel", "rbf", "--gamma", "0.5", "--json"]).out)
    expected = [[np.exp(-0.5 * np.sum((np.array(p) - np.array(q)) ** 2)) for q in points] for p in points]
    assert np.allclose(record["result"], expected, atol=1e-12)
    assert record["class"] == "positive definite"


def test_trace_identities_and_a_non_cyclic_order_refuted():
    assert prove_equal(*linalg.trace_cyclic_statement("CAB")).proven
    # Tr(ABC) = Tr(BAC) is false in general: square 2×2 matrices.
    import sympy

    a, b, c = (symbol_matrix(n, 2, 2) for n in "abc")
    assert not prove_equal((a * b * c).trace(), (b * a * c).trace()).proven
    lhs, rhs = linalg.frobenius_trace_statement()
    m = symbol_matrix("a", 2, 3)
    assert not prove_equal(lhs, (m * m.T).trace() + sympy.Integer(1)).proven


def cayley(op, elements):
    index = {e: i for i, e in enumerate(elements)}
    return json.dumps([[index[op(a, b)] for b in elements] for a in elements])


def test_is_group_on_known_groups_and_non_groups():
    from itertools import permutations

    s3 = list(permutations(range(3)))
    compose = lambda p, q: tuple(p[q[i]] for i in range(3))  # noqa: E731
    assert run_main(["is-group", "--table", cayley(compose, s3)]).out == "group\n"  # non-abelian S3
    assert run_main(["is-group", "--table", cayley(lambda a, b: (a * b) % 5, [1, 2, 3, 4])]).code == 0  # (ℤ/5)*
    not_group = run_main(["is-group", "--table", cayley(lambda a, b: (a * b) % 4, [0, 1, 2, 3])])
    assert not_group.code == 1 and "inverses" in not_group.out
    subtraction = run_main(["is-group", "--table", cayley(lambda a, b: (a - b) % 3, [0, 1, 2])])
    assert subtraction.code == 1 and "associativity" in subtraction.out


def test_svd_matches_numpy_and_reconstructs():
    a = np.random.default_rng(6).normal(size=(5, 3))
    record = json.loads(run_main(["svd", "--matrix", json.dumps(a.tolist()), "--json"]).out)
    assert record["result"] == pytest.approx(np.linalg.svd(a, compute_uv=False).tolist(), abs=1e-11)
    u, v = np.array(record["U"]), np.array(record["V"])
    assert np.allclose(u @ np.diag(record["result"]) @ v.T, a, atol=1e-10)


@given(symmetric_int_matrices(), st.sampled_from([1e-30, 1e-8, 1e8, 1e30]))
@settings(max_examples=60, deadline=None)
def test_classification_is_scale_invariant(matrix, scale):
    original = linalg.psd(tuple(tuple(float(x) for x in row) for row in matrix)).value
    scaled = linalg.psd(tuple(tuple(scale * x for x in row) for row in matrix)).value
    assert scaled == original


@given(symmetric_int_matrices(), st.integers(0, 1000))
@settings(max_examples=80, deadline=None)
def test_psd_verdict_agrees_with_the_quadratic_form_and_trace_det(matrix, seed):
    """LA-PSD: PSD ⟺ xᵀAx ≥ 0 ∀x (sampled x, plus the exact witness below); LA-PSD-TRDET: PSD ⟹ Tr, det ≥ 0."""
    a = np.array(matrix, dtype=float)
    result = linalg.psd(tuple(tuple(row) for row in matrix))
    xs = np.random.default_rng(seed).normal(size=(200, len(a)))
    forms = np.einsum("ki,ij,kj->k", xs, a, xs)
    if result.value.startswith("positive"):
        assert forms.min() >= -1e-9
        assert result.extra["trace"] >= -1e-9 and result.extra["det"] >= -1e-9
        assert exact_det(matrix) >= 0 and sum(matrix[i][i] for i in range(len(a))) >= 0
    else:  # some x has xᵀAx < 0: e_i, e_i ± e_j, or the eigenvector of a negative eigenvalue
        candidates = [np.eye(len(a))[i] for i in range(len(a))]
        candidates += [np.eye(len(a))[i] + s * np.eye(len(a))[j] for i in range(len(a)) for j in range(i) for s in (1, -1)]
        candidates += list(np.linalg.eigh(a)[1].T)
        assert min(c @ a @ c for c in candidates) < 0


def test_trace_and_det_are_necessary_not_sufficient():
    record = json.loads(run_main(["psd", "--matrix", "[[2,0,0],[0,-1,0],[0,0,-1]]", "--json"]).out)
    assert record["trace"] == 0.0 and record["det"] == pytest.approx(2.0)
    assert record["result"] == "indefinite"


@pytest.mark.parametrize("seed", range(5))
def test_xxt_and_sample_covariances_are_psd(seed):
    """PROB-COV-PSD (E02): XXᵀ ⪰ 0 for any real X, even with negative entries; so is a sample covariance."""
    x = np.random.default_rng(seed).normal(size=(3, 2))  # rank 2 in ℝ³: XXᵀ is singular PSD
    gram = x @ x.T
    assert linalg.psd(tuple(map(tuple, gram.tolist()))).value in ("positive semidefinite", "positive definite")
    samples = np.random.default_rng(seed + 10).normal(size=(6, 3))
    cov = np.cov(samples, rowvar=False)
    assert linalg.psd(tuple(map(tuple, cov.tolist()))).value == "positive definite"


# ---- issue 12: a value that is not a matrix is a one-line error; cond of a singular matrix is ∞ --------

NOT_MATRICES = {
    "3-D": "[[[1]]]",  # cond printed an internal error (TypeError), exit 70
    "ragged": "[[1,[2]]]",
    "empty rows": "[[],[]]",
}


@pytest.mark.parametrize("command", ["psd", "cholesky", "cond", "trace", "frobenius", "svd", "lipschitz", "is-group"])
@pytest.mark.parametrize("shape", sorted(NOT_MATRICES))
def test_non_matrices_are_refused_in_one_line(command, shape):
    option = "--table" if command == "is-group" else "--matrix"
    run = run_main([command, option, NOT_MATRICES[shape]])
    assert run.code == 2 and run.err.startswith("dlcalc: error: ") and run.err.count("\n") == 1, run


def test_gram_refuses_a_3d_point_set():
    run = run_main(["gram", "--points", "[[[0]],[[1]]]"])
    assert run.code == 2 and "nested 3 deep" in run.err


def test_cond_of_a_singular_matrix_is_infinite_by_definition():
    assert run_main(["cond", "--A", "[[1,2],[2,4]]"]).out.strip() == "inf"  # rank 1: σ_min = 0
    assert np.linalg.cond(np.array([[1.0, 0.0], [0.0, 0.0]])) == np.inf  # NumPy agrees
    from dlcalc.core import registry

    assert "∞ by definition" in registry.get("cond").notes


def test_is_group_bounds_the_table():
    order = linalg.MAX_GROUP_ORDER + 1
    table = json.dumps([[(a + b) % order for b in range(order)] for a in range(order)])
    run = run_main(["is-group", "--table", table])
    assert run.code == 2 and f"at most {linalg.MAX_GROUP_ORDER}" in run.err
