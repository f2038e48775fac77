"""Graph formulas against references built here: matrices from their entry-wise definitions, the
1-WL test against a brute-force isomorphism search, filters against spectral evaluation.
"""

from __future__ import annotations

import itertools
import json
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_main


def out(args):
    run = run_main(list(map(str, args)))
    assert run.code == 0, run.err
    return run.out.strip()


def parse_matrix(text):
    return np.array(json.loads(text), dtype=float)


def edge_text(edges):
    return ",".join(f"{a}-{b}" for a, b in edges)


def random_graph(rng, nodes, p):
    edges = [(a, b) for a in range(nodes) for b in range(a + 1, nodes) if rng.random() < p]
    return edges


def connected(nodes, edges):
    seen, frontier = {0}, [0]
    while frontier:
        v = frontier.pop()
        for a, b in edges:
            for x, y in ((a, b), (b, a)):
                if x == v and y not in seen:
                    seen.add(y)
                    frontier.append(y)
    return len(seen) == nodes


def test_matrices_from_their_definitions():
    edges = [(0, 1), (1, 2), (2, 0), (2, 3)]
    A = parse_matrix(out(["graph-matrix", "--edges", edge_text(edges)]))
    D = parse_matrix(out(["graph-matrix", "--edges", edge_text(edges), "--which", "degree"]))
    B = parse_matrix(out(["graph-matrix", "--edges", edge_text(edges), "--which", "incidence"]))
    for n in range(4):
        for m in range(4):
            assert A[n, m] == ((n, m) in edges or (m, n) in edges)
    assert list(np.diag(D)) == [2, 2, 3, 1]
    for e, (source, target) in enumerate(edges):
        assert B[e, source] == -1 and B[e, target] == 1 and abs(B[e]).sum() == 2
    assert np.array_equal(B.T @ B, D - A)


def test_edge_list_forms_and_errors(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text("0 1\n1-2  # a comment\n\n3\n")
    degree = out(["graph-matrix", "--edges", f"@{path}", "--which", "degree"])
    assert degree == "[[1, 0, 0, 0], [0, 2, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]"
    for bad, reason in (("0-0", "self-loop"), ("0-1,1-0", "twice"), ("a-b", "node number"), ("0-1-2", "edge")):
        run = run_main(["graph-matrix", "--edges", bad])
        assert run.code == 2 and reason in run.err


def test_gcn_matrix_entries_and_spectrum():
    rng = random.Random(2)
    for _ in range(10):
        nodes = rng.randint(2, 8)
        edges = random_graph(rng, nodes, 0.5)
        if not edges:
            continue
        A_hat = parse_matrix(out(["gcn-norm", "--edges", edge_text(edges) + f",{nodes - 1}"]))
        degree = [1 + sum(v in e for e in edges) for v in range(nodes)]
        for i in range(nodes):
            for j in range(nodes):
                a_tilde = 1 if i == j or (i, j) in edges or (j, i) in edges else 0
                assert A_hat[i, j] == pytest.approx(a_tilde / math.sqrt(degree[i] * degree[j]), abs=1e-11)
        eigenvalues = np.linalg.eigvalsh(A_hat)
        assert eigenvalues.max() == pytest.approx(1) and eigenvalues.min() > -1


def test_laplacians():
    rng = random.Random(3)
    checked = 0
    while checked < 8:
        nodes = rng.randint(2, 7)
        edges = random_graph(rng, nodes, 0.6)
        if not edges or not connected(nodes, edges):
            continue
        checked += 1
        text = edge_text(edges)
        L = parse_matrix(out(["laplacian", "--edges", text]))
        x = np.array([rng.uniform(-1, 1) for _ in range(nodes)])
        assert x @ L @ x == pytest.approx(sum((x[i] - x[j]) ** 2 for i, j in edges))
        sym = [float(v) for v in out(["laplacian", "--edges", text, "--norm", "sym", "--spectrum"]).split(",")]
        assert sym[0] == pytest.approx(0, abs=1e-12) and sym[-1] <= 2 + 1e-12
        rw = [float(v) for v in out(["laplacian", "--edges", text, "--norm", "rw", "--spectrum"]).split(",")]
        assert np.allclose(rw, sym, atol=1e-9)  # L_rw and L_sym are similar matrices
        sheet = [float(v) for v in out(["laplacian", "--edges", text, "--norm", "sheet", "--spectrum"]).split(",")]
        assert sheet[0] > 1e-3  # E70: the sheet's mix has no zero mode


def test_spectral_conv_with_a_constant_filter():
    # y = c·1 lies in the eigenspace of 0 (a connected graph): only u₀ = 1/√n contributes
    edges = [(0, 1), (1, 2), (2, 3), (3, 0), (0, 2)]
    x = [1.0, -2.0, 0.5, 3.0]
    got = [float(v) for v in out(["spectral-conv", "--edges", edge_text(edges), "--x", "1,-2,0.5,3", "--y",
                                  "2,2,2,2"]).split(",")]
    # u₀ = 1/√n (made positive): u₀ (u₀ᵀx)(u₀ᵀy) = (1/√n)(Σx/√n)(2n/√n) = 2Σx/√n per node
    assert np.allclose(got, [2 * sum(x) / math.sqrt(4)] * 4)


def test_chebyshev_filter_is_spectral_and_k_localised():
    edges = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (1, 4)]
    theta = [0.5, -1.0, 0.25]
    x = [1.0, 0, 0, 0, 0, 2.0]
    record = json.loads(out(["cheb-filter", "--edges", edge_text(edges), "--x", "1,0,0,0,0,2", "--theta",
                             "0.5,-1,0.25", "--json"]))
    A = np.zeros((6, 6))
    for a, b in edges:
        A[a, b] = A[b, a] = 1
    L = np.diag(A.sum(0)) - A
    lam, U = np.linalg.eigh(L)
    g = np.polynomial.chebyshev.chebval(2 * lam / lam[-1] - 1, theta)  # the filter on the spectrum
    assert np.allclose(record["result"], U @ np.diag(g) @ U.T @ x, atol=1e-10)
    G = np.array(record["filter"])
    assert G[0, 3] == 0 and G[0, 5] == 0  # 3 hops apart, K = 2 (0-1-4-5: three hops)
    assert G[0, 2] != 0 and record["entries_beyond_K_hops"] == 0


def test_gat_coefficients_by_hand():
    edges = [(0, 1), (1, 2), (0, 2), (2, 3)]
    rng = random.Random(7)
    scores = [[round(rng.uniform(-3, 3), 2) for _ in range(4)] for _ in range(4)]
    alpha = parse_matrix(out(["gat-attention", "--edges", edge_text(edges), "--scores", json.dumps(scores)]))
    for i in range(4):
        allowed = [j for j in range(4) if j == i or (i, j) in edges or (j, i) in edges]
        e = {j: scores[i][j] if scores[i][j] > 0 else 0.2 * scores[i][j] for j in allowed}
        norm = sum(math.exp(v) for v in e.values())
        for j in range(4):
            assert alpha[i, j] == pytest.approx(math.exp(e[j]) / norm if j in allowed else 0, abs=1e-11)


# ---- Weisfeiler–Lehman ------------------------------------------------------------------------------


def isomorphic(n1, e1, n2, e2):
    """Brute force: try every bijection."""
    if n1 != n2 or len(e1) != len(e2):
        return False
    target = {frozenset(e) for e in e2}
    return any({frozenset((p[a], p[b])) for a, b in e1} == target for p in itertools.permutations(range(n2)))


def wl(g1, g2):
    run = run_main(["wl-test", "--g1", g1, "--g2", g2, "--json"])
    assert run.code in (0, 1), run.err
    record = json.loads(run.out)
    assert run.code == (1 if record["distinguished"] else 0)
    return record


def graph_text(nodes, edges):
    return edge_text(edges) + ("," if edges else "") + str(nodes - 1)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 10**6), n1=st.integers(1, 6), n2=st.integers(1, 6), p=st.sampled_from([0.3, 0.5, 0.7]))
def test_wl_never_separates_isomorphic_graphs(seed, n1, n2, p):
    rng = random.Random(seed)
    e1 = random_graph(rng, n1, p)
    if rng.random() < 0.5:  # half the time: a relabelled copy of the first graph
        perm = list(range(n1))
        rng.shuffle(perm)
        n2, e2 = n1, [(perm[a], perm[b]) for a, b in e1]
    else:
        e2 = random_graph(rng, n2, p)
    record = wl(graph_text(n1, e1), graph_text(n2, e2))
    if isomorphic(n1, e1, n2, e2):
        assert not record["distinguished"]
    if record["distinguished"]:
        assert not isomorphic(n1, e1, n2, e2)


def test_wl_known_cases():
    two_triangles = "0-1,1-2,2-0,3-4,4-5,5-3"
    hexagon = "0-1,1-2,2-3,3-4,4-5,5-0"
    assert not wl(two_triangles, hexagon)["distinguished"]  # the classic 1-WL failure
    assert not isomorphic(6, [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)], 6,
                          [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 0)])
    record = wl("0-1,1-2,2-3", "0-1,0-2,0-3")
    assert record["iteration"] == 1 and record["histograms"][0] != record["histograms"][1]
    # a path of 5 vs a triangle plus an edge: equal degree histograms, separated one round later
    deep = wl("0-1,1-2,2-3,3-4", "0-1,1-2,2-0,3-4")
    assert deep["distinguished"] and deep["iteration"] == 2
    assert wl("0-1", "0-1,2")["iteration"] == 0


def test_wl_exit_codes_in_plain_mode():
    assert run_main(["wl-test", "--g1", "0-1,1-2", "--g2", "0-1,0-2"]).code == 0
    run = run_main(["wl-test", "--g1", "0-1,1-2", "--g2", "0-1,2"])
    assert run.code == 1 and run.out.strip() == "distinguished at iteration 1"


# ---- permutations -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "function, verdict",
    [("sum", "invariant"), ("mean", "invariant"), ("max", "invariant"), ("sort", "invariant"),
     ("deepsets", "invariant"), ("pointnet", "invariant"), ("center", "equivariant"), ("softmax-rows", "equivariant"),
     ("first", "neither"), ("cumsum", "neither"), ("weighted-sum", "neither")],
)
def test_permutation_symmetry_verdicts(function, verdict):
    run = run_main(["perm-check", "--function", function, "--X", "1,0;2,1;4,1;-1,3"])
    assert run.out.strip() == verdict and run.code == (1 if verdict == "neither" else 0)


def test_permutation_matrix_acts_on_rows():
    pi = [2, 0, 3, 1]
    P = parse_matrix(out(["perm-matrix", "--pi", "2,0,3,1"]))
    X = np.arange(8.0).reshape(4, 2)
    assert np.array_equal(P @ X, X[pi]) and np.array_equal(P @ P.T, np.eye(4))
    assert run_main(["perm-matrix", "--pi", "0,0,1"]).code == 2


def test_perm_matrix_times_X_gathers_rows_pi_j():
    pi = [2, 0, 3, 1]  # not an involution: π and π⁻¹ differ
    X = np.arange(16.0).reshape(4, 4) ** 2
    run = run_main(["perm-matrix", "--pi", "2,0,3,1", "--X", json.dumps(X.tolist()), "--json"])
    record = json.loads(run.out)
    PX = np.array(record["result"])
    assert all(np.array_equal(PX[j], X[pi[j]]) for j in range(4))
    inverse = np.argsort(pi)
    assert not np.array_equal(PX, X[inverse])  # the other reading, X_{π⁻¹(j)}, is refuted
    assert record["rows_are_X_pi"] and record["columns_of_XPt_are_X_pi"]
    P = parse_matrix(out(["perm-matrix", "--pi", "2,0,3,1"]))
    assert all(np.array_equal((X @ P.T)[:, j], X[:, pi[j]]) for j in range(4))
    assert run_main(["perm-matrix", "--pi", "2,0,1", "--X", "1;2"]).code == 2


def test_pointnet_is_permutation_invariant_but_not_rotation_invariant():
    from dlcalc.catalogue.graphs_sets import _set_functions

    f = _set_functions()["pointnet"]
    X = np.array([[1.0, 0.0], [2.0, 1.0], [4.0, 1.0], [-1.0, 3.0]])
    for perm in itertools.permutations(range(4)):
        assert np.allclose(f(X[list(perm)]), f(X))
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]])
    assert not np.allclose(f(X @ rotation.T), f(X))  # E68: max-pooling gives no rotation invariance


@pytest.mark.parametrize("seed", range(5))
def test_laplacian_identities_on_random_graphs(seed):
    rng = random.Random(seed)
    edges = random_graph(rng, 6, 0.5) or [(0, 1)]
    nodes = 1 + max(max(e) for e in edges)
    run = run_main(["laplacian", "--edges", edge_text(edges), "--json"])
    record = json.loads(run.out)
    L = np.array(record["result"])
    assert record["L1_is_zero"] and record["quadratic_form_matches"]
    x = np.random.default_rng(seed).standard_normal(nodes)
    assert np.isclose(x @ L @ x, sum((x[i] - x[j]) ** 2 for i, j in edges))
    assert np.allclose(L @ np.ones(nodes), 0) and np.linalg.eigvalsh(L).min() > -1e-12
    D_plus_A = np.diag(L.diagonal()) + (np.diag(L.diagonal()) - L)
    assert not np.isclose(x @ D_plus_A @ x, sum((x[i] - x[j]) ** 2 for i, j in edges))  # D + A: (x_i + x_j)²


def test_gcn_layer_by_loops_and_oversmoothing_limit():
    edges = [(0, 1), (1, 2), (2, 3), (1, 3)]
    X = [[1.0, -1.0], [0.5, 2.0], [0.0, 0.0], [3.0, 1.0]]
    W = [[0.5, -1.0], [1.0, 0.25]]
    degree = [1 + sum(v in e for e in edges) for v in range(4)]
    a_hat = [[(1 if i == j or (i, j) in edges or (j, i) in edges else 0) / math.sqrt(degree[i] * degree[j])
              for j in range(4)] for i in range(4)]
    AX = [[sum(a_hat[i][k] * X[k][f] for k in range(4)) for f in range(2)] for i in range(4)]
    expected = [[max(0.0, sum(AX[i][f] * W[f][g] for f in range(2))) for g in range(2)] for i in range(4)]
    got = parse_matrix(out(["gcn-layer", "--edges", edge_text(edges), "--X", json.dumps(X), "--W", json.dumps(W),
                            "--act", "relu"]))
    assert np.allclose(got, expected, atol=1e-11)
    # Â^k X → v vᵀ X with v ∝ √(d + 1), the top eigenvector (eigenvalue 1) of Â
    v = np.sqrt(np.array(degree, dtype=float))
    v /= np.linalg.norm(v)
    limit = parse_matrix(out(["gcn-layer", "--edges", edge_text(edges), "--X", json.dumps(X), "--layers", 200]))
    assert np.allclose(limit, np.outer(v, v @ np.array(X)), atol=1e-9)


def test_gin_layer_by_loops():
    edges = [(0, 1), (1, 2), (2, 0), (2, 3)]
    X = [[1.0, 2.0], [-1.0, 0.5], [0.0, 3.0], [2.0, -2.0]]
    W = [[1.0, -1.0], [0.5, 2.0]]
    neighbours = {v: [u for e in edges for u in e if v in e and u != v] for v in range(4)}
    agg = [[1.25 * X[v][f] + sum(X[u][f] for u in neighbours[v]) for f in range(2)] for v in range(4)]
    expected = [[max(0.0, sum(agg[v][f] * W[f][g] for f in range(2))) for g in range(2)] for v in range(4)]
    got = parse_matrix(out(["gin-layer", "--edges", edge_text(edges), "--X", json.dumps(X), "--eps", 0.25,
                            "--W", json.dumps(W)]))
    assert np.allclose(got, expected)


def test_gat_from_features_by_the_paper_definition_and_by_raw_scores():
    edges = [(0, 1), (1, 2), (2, 3), (3, 0), (0, 2)]
    rng = np.random.default_rng(13)
    X, W, a = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(4)
    args = ["gat-attention", "--edges", edge_text(edges), "--X", json.dumps(X.tolist()), "--W", json.dumps(W.tolist()),
            "--a", ",".join(map(repr, a.tolist()))]
    record = json.loads(out([*args, "--json"]))
    alpha = np.array(record["result"])
    for i in range(4):
        hi = [sum(X[i, f] * W[f, c] for f in range(3)) for c in range(2)]  # (Wx_i), entry by entry
        neighbourhood = [j for j in range(4) if j == i or (i, j) in edges or (j, i) in edges]
        e = {}
        for j in neighbourhood:
            hj = [sum(X[j, f] * W[f, c] for f in range(3)) for c in range(2)]
            z = sum(w * v for w, v in zip(a, hi + hj))  # aᵀ[Wx_i ‖ Wx_j]
            e[j] = z if z > 0 else 0.2 * z
        norm = sum(math.exp(v) for v in e.values())
        for j in range(4):
            assert alpha[i, j] == pytest.approx(math.exp(e[j]) / norm if j in e else 0.0, abs=1e-11)
    assert np.allclose(record["output"], alpha @ X @ W)
    # the raw-score route on the same scores agrees
    by_scores = parse_matrix(out(["gat-attention", "--edges", edge_text(edges),
                                  "--scores", json.dumps(record["scores"])]))
    assert np.allclose(by_scores, alpha, atol=1e-11)
    assert run_main(["gat-attention", "--edges", "0-1", "--scores", "0,0;0,0", "--a", "1,1"]).code == 2
    assert run_main(["gat-attention", "--edges", "0-1", "--X", "1;2", "--scores", "0,0;0,0"]).code == 2


# ---- Deep Sets and PointNet -------------------------------------------------------------------------


def set_network_by_loops(X, W_phi, W_rho, sigma, pool):
    encoded = [[sigma(sum(x[i] * W_phi[i][j] for i in range(len(x)))) for j in range(len(W_phi[0]))] for x in X]
    columns = list(zip(*encoded))
    pooled = [sum(c) if pool == "sum" else max(c) if pool == "max" else sum(c) / len(c) for c in columns]
    return [sigma(sum(pooled[j] * W_rho[j][k] for j in range(len(pooled)))) for k in range(len(W_rho[0]))]


@pytest.mark.parametrize("pool", ["sum", "mean", "max"])
@pytest.mark.parametrize("act, sigma", [("relu", lambda a: max(a, 0.0)), ("tanh", math.tanh)])
def test_deepsets_by_loops_and_invariance(pool, act, sigma):
    rng = np.random.default_rng(11)
    X, W_phi, W_rho = rng.standard_normal((5, 2)), rng.standard_normal((2, 4)), rng.standard_normal((4, 3))
    args = ["deepsets", "--X", json.dumps(X.tolist()), "--phi", json.dumps(W_phi.tolist()),
            "--rho", json.dumps(W_rho.tolist()), "--act", act, "--pool", pool, "--json"]
    record = json.loads(out(args))
    expected = set_network_by_loops(X.tolist(), W_phi.tolist(), W_rho.tolist(), sigma, pool)
    assert np.allclose(record["result"], expected, atol=1e-11)
    assert record["largest_change_under_permutation"] < 1e-12
    for perm in itertools.permutations(range(5)):
        shuffled = set_network_by_loops(X[list(perm)].tolist(), W_phi.tolist(), W_rho.tolist(), sigma, pool)
        assert np.allclose(shuffled, expected, atol=1e-12)
    # altered statements: ρ inside the sum (the sheet's 'ρ is the aggregator' read literally) computes
    # another function, and a position-weighted pool is not invariant
    inside = np.sum([set_network_by_loops([x], W_phi.tolist(), W_rho.tolist(), sigma, "sum") for x in X.tolist()], axis=0)
    assert not np.allclose(inside, expected, atol=1e-3)
    weights = np.arange(1, 6)[:, None]
    weighted = lambda Y: np.tanh((weights * np.tanh(Y @ W_phi)).sum(axis=0) @ W_rho)
    assert not np.allclose(weighted(X), weighted(X[::-1]))


def test_deepsets_shape_errors():
    assert run_main(["deepsets", "--X", "1,-1;2,0", "--phi", "1,0", "--rho", "1"]).code == 2
    assert run_main(["deepsets", "--X", "1,-1;2,0", "--phi", "1,0;0,1", "--rho", "1;1;1"]).code == 2


def test_perm_matrix_reports_the_two_line_notation():
    record = json.loads(out(["perm-matrix", "--pi", "2,0,3,1", "--json"]))
    assert record["two_line"] == [[0, 1, 2, 3], [2, 0, 3, 1]]  # top row the positions, bottom row π (E66)
    assert record["errata"] == ["E66"]


def test_repeated_dense_products_are_bounded():
    run = run_main(["gcn-layer", "--edges", "0-1", "--X", "1;3", "--layers", "1000000"])
    assert (run.code, run.err) == (2, "dlcalc: error: --layers: must be at most 10,000, got 1000000\n")
    path = ",".join(f"{i}-{i + 1}" for i in range(1999))
    heavy = run_main(["gcn-layer", "--edges", path, "--X", ";".join(["1"] * 2000), "--layers", "10000"])
    assert heavy.code == 2 and "multiplications (at most 10,000,000,000)" in heavy.err
    cheb = run_main(["cheb-filter", "--edges", path, "--x", ",".join(["1"] * 2000), "--theta", ",".join(["1"] * 5000)])
    assert cheb.code == 2 and cheb.err.count("\n") == 1 and "5000 coefficients on 2000 nodes" in cheb.err
    # the largest stack allowed on a small graph is answered: Â of one edge averages the two nodes
    assert run_main(["gcn-layer", "--edges", "0-1", "--X", "1;3", "--layers", "10000"]).out == "[[2.0], [2.0]]\n"
