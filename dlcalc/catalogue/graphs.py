"""Geometric deep learning (sheet §16): graph matrices, GCN normalisation, Laplacians and their
spectra, spectral and Chebyshev filters, GAT attention, the 1-WL test, permutation symmetry.

Graphs are undirected and given as edge lists: "0-1,1-2,2-0" (a bare number is an isolated node:
"0-1,2"), or @FILE with one edge per line ("0 1" or "0-1"). Nodes are 0..n−1.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from dlcalc.catalogue._common import (complex_text, finite_array, matrix_result, rounded, the_one_given, vector_result,
                                     vector_text)
from dlcalc.core.errors import DlcalcError, ExitCode
from dlcalc.core.registry import FLAG, FLOAT, INT, MATRIX, VECTOR, Kind, Param, choice, erratum, formula
from dlcalc.core.result import Result, Table

# ---- edge lists ------------------------------------------------------------------------------

MAX_NODES = 2000  # dense matrices and eigen-decompositions: refuse what would hang


@dataclass(frozen=True)
class Graph:
    nodes: int
    edges: tuple[tuple[int, int], ...]  # as given (the orientation is used by the incidence matrix)

    def tolist(self) -> str:
        """The canonical edge-list text; dlcalc's JSON output calls tolist() for array-likes."""
        isolated = set(range(self.nodes)) - {v for edge in self.edges for v in edge}
        return ",".join([f"{a}-{b}" for a, b in self.edges] + [str(v) for v in sorted(isolated)])

    def neighbours(self) -> list[list[int]]:
        adjacent = [[] for _ in range(self.nodes)]
        for a, b in self.edges:
            adjacent[a].append(b)
            adjacent[b].append(a)
        return adjacent


def _node(token: str) -> int:
    if not re.fullmatch(r"\d+", token):
        raise DlcalcError(f"expected a node number, got {token!r}")
    node = int(token)
    if node >= MAX_NODES:
        raise DlcalcError(f"node {node}: at most {MAX_NODES} nodes")
    return node


def parse_edges(text: str) -> Graph:
    text = str(text).strip()
    if text.startswith("@"):
        try:
            with open(text[1:], encoding="utf-8") as handle:
                text = ",".join(line.split("#")[0].strip() for line in handle if line.split("#")[0].strip())
        except OSError as err:
            raise DlcalcError(f"cannot read {text[1:]}: {err.strerror}") from None
    edges, seen, largest = [], set(), -1
    for item in (part.strip() for part in re.split(r"[,;\n]", text)):
        if not item:
            continue
        ends = [e for e in re.split(r"[-\s]+", item) if e]
        if len(ends) == 1:
            largest = max(largest, _node(ends[0]))
            continue
        if len(ends) != 2:
            raise DlcalcError(f"expected an edge like 0-1, got {item!r}")
        a, b = _node(ends[0]), _node(ends[1])
        if a == b:
            raise DlcalcError(f"self-loop {item!r}: the sheet's graphs have a zero diagonal")
        if frozenset((a, b)) in seen:
            raise DlcalcError(f"edge {a}-{b} given twice")
        seen.add(frozenset((a, b)))
        edges.append((a, b))
        largest = max(largest, a, b)
    if largest < 0:
        raise DlcalcError("the graph has no nodes")
    return Graph(largest + 1, tuple(edges))


EDGES = Kind("EDGES", parse_edges)
_EDGES = Param("edges", EDGES, "edge list '0-1,1-2,2-0' (a bare number adds an isolated node) or @FILE",
               aliases=("graph",))


def adjacency(graph: Graph):
    import numpy as np

    A = np.zeros((graph.nodes, graph.nodes), dtype=int)
    for a, b in graph.edges:
        A[a, b] = A[b, a] = 1
    return A


def incidence(graph: Graph):
    """B ∈ {−1,0,1}^{|E|×|V|}: −1 at an edge's source, +1 at its target (as given)."""
    import numpy as np

    B = np.zeros((len(graph.edges), graph.nodes), dtype=int)
    for row, (a, b) in enumerate(graph.edges):
        B[row, a], B[row, b] = -1, 1
    return B


def _inverse_sqrt(degrees, what):
    import numpy as np

    if np.any(degrees == 0):
        raise DlcalcError(f"{what} needs every node to have a neighbour (node {int(np.argmin(degrees))} is isolated)")
    return np.diag(1 / np.sqrt(degrees))


def gcn_matrix(graph: Graph):
    """Â = D̃^{−½}(A + I)D̃^{−½} (Kipf & Welling's renormalisation)."""
    import numpy as np

    A_tilde = adjacency(graph) + np.eye(graph.nodes)
    scale = _inverse_sqrt(A_tilde.sum(axis=0), "Â")
    return scale @ A_tilde @ scale


def laplacian_matrix(graph: Graph, norm: str):
    import numpy as np

    A = adjacency(graph).astype(float)
    degrees = A.sum(axis=0)
    identity = np.eye(graph.nodes)
    if norm == "none":
        return np.diag(degrees) - A
    if norm == "sym":
        scale = _inverse_sqrt(degrees, "L_sym")
        return identity - scale @ A @ scale
    if norm == "rw":
        return identity - _inverse_sqrt(degrees, "L_rw") ** 2 @ A
    if norm == "renorm":
        return identity - gcn_matrix(graph)
    # the sheet's mix I − D̃^{−½} A D̃^{−½} (E70), kept to show that it is not a Laplacian
    scale = _inverse_sqrt(degrees + 1, "the sheet's mix")
    return identity - scale @ A @ scale


def spectrum(matrix):
    """Eigenvalues, ascending; real for the symmetric matrices (eigvalsh), else complex-aware."""
    import numpy as np

    if np.allclose(matrix, matrix.T):
        values = np.linalg.eigvalsh(matrix)
    else:
        values = np.linalg.eigvals(matrix)
        values = np.sort_complex(values) if np.any(abs(values.imag) > 1e-12) else np.sort(values.real)
    # round-off around exact zeros (L1 = 0) would print as ±1e-16
    scale = max(1.0, float(np.max(abs(values), initial=0.0)))
    return np.where(abs(values) < 1e-12 * scale, 0.0, values)


def _matrix_and_spectrum(name, matrix, show_spectrum, steps, extra=None):
    """A square matrix's Result, its spectrum in the steps and the JSON; --spectrum shows the spectrum instead."""
    import numpy as np

    eigenvalues = spectrum(matrix)
    shown = [complex_text(v) for v in eigenvalues] if np.iscomplexobj(eigenvalues) else rounded(eigenvalues)
    fields = dict(steps=steps + [f"spectrum: {', '.join(str(v) for v in shown)}"], extra={"spectrum": shown, **(extra or {})})
    if show_spectrum:
        return Result(value=shown, plain=vector_text(eigenvalues), **fields)
    return matrix_result(matrix, **fields)


def graph_matrix(edges, which):
    import numpy as np

    A = adjacency(edges)
    matrices = {
        "adjacency": A,
        "degree": np.diag(A.sum(axis=0)),
        "incidence": incidence(edges),
    }
    matrix = matrices[which]
    B = matrices["incidence"]
    identity_holds = bool(np.array_equal(B.T @ B, matrices["degree"] - A))
    steps = [f"{edges.nodes} nodes, {len(edges.edges)} edges; BᵀB = D − A: {'yes' if identity_holds else 'no'}"]
    if which == "incidence":  # not square: no spectrum
        return matrix_result(matrix, steps=steps, extra={"BtB_equals_D_minus_A": identity_holds})
    return _matrix_and_spectrum("graph-matrix", matrix, False, steps, {"BtB_equals_D_minus_A": identity_holds})


formula(
    name="graph-matrix",
    section="16.2",
    catalogue_id="GDL-ADJ-DEG GDL-INCID",
    summary="Adjacency, degree or incidence matrix of an undirected graph from an edge list",
    params=(_EDGES, Param("which", choice("adjacency", "degree", "incidence"), "which matrix", default="adjacency")),
    formula="A_nm = 1 iff {n,m} ∈ E; D = diag(Σ_n A_nm); B_ek = −1 (source), +1 (target); BᵀB = D − A",
    latex=r"A_{nm} = [\{n,m\}\in\mathcal E],\ D = \mathrm{diag}(A\mathbf 1),\ B^\top B = D - A",
    compute=graph_matrix,
    examples=(
        ("--edges 0-1,1-2,2-0", "[[0, 1, 1], [1, 0, 1], [1, 1, 0]]"),
        ("--edges 0-1,1-2 --which degree", "[[1, 0, 0], [0, 2, 0], [0, 0, 1]]"),
        ("--edges 0-1,1-2 --which incidence", "[[-1, 1, 0], [0, -1, 1]]"),
    ),
    notes="Matrices print as [[...], ...]. --json adds the spectrum and checks BᵀB = D − A.",
)


_E69 = erratum(
    "E69",
    title="GCN normalisation line overloads Ã",
    sheet="Ã = D̃^{−½} Ã D̃^{−½} = D̃^{−½}(A + I)D̃^{−½}, with Ã just defined as A + I",
    correct="Ã = A + I, D̃ = D + I, Â = D̃^{−½} Ã D̃^{−½}; the layer is X' = σ(ÂXW). Eigenvalues of Â lie "
    "in (−1, 1], with 1 for the eigenvector D̃^{½}1",
    command="dlcalc gcn-norm --edges 0-1,1-2 --spectrum",
)


def gcn_norm(edges, spectrum):
    import numpy as np

    matrix = gcn_matrix(edges)
    top = np.sqrt(adjacency(edges).sum(axis=0) + 1)
    residual = float(np.max(abs(matrix @ top - top)))
    return _matrix_and_spectrum("gcn-norm", matrix, spectrum,
                                [f"Â = D̃^(−½)(A + I)D̃^(−½); Â·D̃^(½)1 = D̃^(½)1 up to {residual:.1g}"])


_SPECTRUM = Param("spectrum", FLAG, "print the eigenvalues instead of the matrix",
                  default=False)

formula(
    name="gcn-norm",
    section="16.2",
    catalogue_id="GDL-GCN-NORM",
    summary="GCN coupling matrix Â = D̃^{−½}(A + I)D̃^{−½} and its spectrum",
    params=(_EDGES, _SPECTRUM),
    formula="Â = D̃^{−½}(A + I)D̃^{−½}, D̃ = D + I",
    latex=r"\hat A = \tilde D^{-1/2}(A + I)\tilde D^{-1/2}",
    compute=gcn_norm,
    errata=(_E69,),
    sheet_says="Ã = D̃^{−½} Ã D̃^{−½} (the same symbol for two matrices)",
    examples=(
        ("--edges 0-1", "[[0.5, 0.5], [0.5, 0.5]]"),
        ("--edges 0-1,1-2 --spectrum", "-0.166666666667,0.5,1.0", "trace 4/3 = −1/6 + 1/2 + 1"),
    ),
)


_E70 = erratum(
    "E70",
    title="normalised Laplacian mixes D̃ with A",
    sheet="Normalized: L̃ = I − D̃^{−½} A D̃^{−½}",
    correct="L_sym = I − D^{−½}AD^{−½} (spectrum in [0, 2], smallest eigenvalue 0 with eigenvector "
    "D^{½}1); the renormalised version is I − D̃^{−½}(A + I)D̃^{−½} = I − Â. The sheet's mix has no zero "
    "eigenvalue",
    command="dlcalc laplacian --edges 0-1,1-2,2-0,2-3 --norm sheet --spectrum",
)


def laplacian(edges, norm, spectrum):
    import numpy as np

    matrix = laplacian_matrix(edges, norm)
    eigenvalues = np.linalg.eigvals(matrix).real
    smallest = float(eigenvalues.min())
    steps = {
        "none": "L = D − A;  xᵀLx = Σ_{(i,j)∈E} (x_i − x_j)²",
        "sym": "L_sym = I − D^(−½) A D^(−½), spectrum ⊂ [0, 2]",
        "rw": "L_rw = I − D⁻¹A (not symmetric; same spectrum as L_sym)",
        "renorm": "I − Â = I − D̃^(−½)(A + I)D̃^(−½)",
        "sheet": "the sheet's I − D̃^(−½) A D̃^(−½): not a Laplacian (E70)",
    }[norm]
    extra = {"smallest_eigenvalue": rounded(smallest)}
    if norm == "none":
        extra.update(_laplacian_identities(edges, matrix))
        steps += (f"; L1 = 0: {extra['L1_is_zero']}; xᵀLx = Σ_E (x_i − x_j)² at x = (0, 1, 4, …): "
                  f"{extra['quadratic_form_matches']}")
    result = _matrix_and_spectrum("laplacian", matrix, spectrum, [steps], extra)
    if norm == "sheet" and abs(smallest) > 1e-9:
        result.warnings.append(f"the sheet's matrix has smallest eigenvalue {rounded(smallest)}, not 0: "
                               "it has no constant-like zero mode (E70)")
    return result


def _laplacian_identities(graph, L):
    """L1 = 0 and xᵀLx = Σ_{(i,j)∈E} (x_i − x_j)², the latter at x_m = m² (distinct differences)."""
    import numpy as np

    x = np.arange(graph.nodes, dtype=float) ** 2
    by_edges = sum((x[i] - x[j]) ** 2 for i, j in graph.edges)
    return {"L1_is_zero": bool(np.allclose(L @ np.ones(graph.nodes), 0.0)),
            "quadratic_form_matches": bool(np.isclose(x @ L @ x, by_edges))}


formula(
    name="laplacian",
    section="16.3",
    catalogue_id="GDL-LSYM GDL-LAP",
    summary="Graph Laplacian L = D − A, normalised (sym, rw), renormalised, and its spectrum",
    params=(
        _EDGES,
        Param("norm", choice("none", "sym", "rw", "renorm", "sheet"),
              "none: D − A; sym: I − D^−½AD^−½; rw: I − D⁻¹A; renorm: I − Â; sheet: the sheet's (wrong) mix",
              default="none"),
        _SPECTRUM,
    ),
    formula="L = D − A; L_sym = I − D^{−½}AD^{−½}; L_rw = I − D⁻¹A; I − Â",
    latex=r"L = D - A,\quad L_{\mathrm{sym}} = I - D^{-1/2} A D^{-1/2}",
    compute=laplacian,
    errata=(_E70,),
    sheet_says="L̃ = I − D̃^{−½} A D̃^{−½}",
    examples=(
        ("--edges 0-1,1-2", "[[1.0, -1.0, 0.0], [-1.0, 2.0, -1.0], [0.0, -1.0, 1.0]]"),
        ("--edges 0-1,1-2,2-0 --spectrum", "0.0,3.0,3.0"),
        ("--edges 0-1,1-2 --norm sym --spectrum", "0.0,1.0,2.0", "a bipartite graph reaches 2"),
        ("--edges 0-1 --norm sheet --spectrum", "0.5,1.5", "no zero eigenvalue"),
    ),
)


def _checked_signal(values, nodes, what):
    import numpy as np

    signal = np.array(values, dtype=float)
    if signal.shape != (nodes,):
        raise DlcalcError(f"{what} needs one value per node ({nodes}), got {len(values)}")
    return signal


_SIGNAL = Param("x", VECTOR, "signal on the nodes")
_L_CHOICE = choice("none", "sym")


def first_nonzero_signs(U):
    """±1 per column so that each column's first entry that is not ~0 becomes positive."""
    import numpy as np

    first = np.argmax(abs(U) > 1e-9, axis=0)
    return np.sign(U[first, np.arange(U.shape[1])])


def spectral_conv(edges, x, y, norm):
    import numpy as np

    L = laplacian_matrix(edges, norm)
    eigenvalues, U = np.linalg.eigh(L)
    U = U * first_nonzero_signs(U)
    xs, ys = _checked_signal(x, edges.nodes, "--x"), _checked_signal(y, edges.nodes, "--y")
    out = U @ ((U.T @ xs) * (U.T @ ys))
    warnings = ["x ∗ y is odd in each eigenvector's sign; dlcalc makes the first nonzero entry of every "
                "eigenvector positive"]
    if np.any(np.diff(eigenvalues) < 1e-9):
        warnings.append("L has a repeated eigenvalue: the graph Fourier basis, and so x ∗ y, depends on the "
                        "choice of eigenvectors inside that eigenspace")
    return vector_result(out,
                         steps=["x ∗_G y = U((Uᵀx) ⊙ (Uᵀy)), U the eigenvectors of L"], warnings=warnings,
                         extra={"eigenvalues": rounded(eigenvalues)})


formula(
    name="spectral-conv",
    section="16.3",
    catalogue_id="GDL-SPECCONV",
    summary="Spectral graph convolution x ∗ y = U((Uᵀx) ⊙ (Uᵀy)) in the Laplacian's eigenbasis",
    params=(
        _EDGES,
        _SIGNAL,
        Param("y", VECTOR, "filter signal on the nodes"),
        Param("norm", _L_CHOICE, "which Laplacian gives U: D − A or L_sym", default="none"),
    ),
    formula="x ∗_G y = U((Uᵀx) ⊙ (Uᵀy))",
    latex=r"x *_G y = U\big((U^\top x) \odot (U^\top y)\big)",
    compute=spectral_conv,
    examples=(
        ("--edges 0-1 --x 1,0 --y 1,1", "0.707106781187,0.707106781187", "y = √2·u₀: only the constant mode u₀ passes"),
    ),
)


def chebyshev_filter(edges, x, theta, norm, lambda_max):
    import numpy as np

    L = laplacian_matrix(edges, norm)
    eigenvalues = np.linalg.eigvalsh(L)
    top = lambda_max or float(eigenvalues[-1])
    if top <= 0:
        raise DlcalcError("λ_max must be positive (a graph without edges has L = 0)")
    scaled = 2 * L / top - np.eye(edges.nodes)
    # T_0 = I, T_1 = L̂, T_k = 2 L̂ T_{k−1} − T_{k−2}
    powers = [np.eye(edges.nodes), scaled]
    while len(powers) < len(theta):
        powers.append(2 * scaled @ powers[-1] - powers[-2])
    G = sum(t * T for t, T in zip(theta, powers))
    signal = _checked_signal(x, edges.nodes, "--x")
    out = G @ signal
    hops = hop_distances(edges)
    K = len(theta) - 1
    leaks = float(np.max(abs(G[hops > K]), initial=0.0))
    return vector_result(out,
                         steps=[f"L̂ = 2L/λ_max − I with λ_max = {rounded(top)}: spectrum of L̂ in [−1, 1]",
                                f"g_θ(L) x = Σ_k θ_k T_k(L̂) x with K = {K}: the filter is {K}-hop localised "
                                f"(largest entry beyond {K} hops: {leaks:.1g})"],
                         extra={"lambda_max": rounded(top), "filter": rounded(G), "entries_beyond_K_hops": leaks,
                                "spectrum_of_L": rounded(eigenvalues)})


def hop_distances(graph: Graph):
    """All-pairs hop counts by breadth-first search (unreachable: a large number)."""
    import numpy as np

    far = graph.nodes + 1
    distances = np.full((graph.nodes, graph.nodes), far)
    neighbours = graph.neighbours()
    for source in range(graph.nodes):
        distances[source, source] = 0
        frontier = [source]
        while frontier:
            following = []
            for node in frontier:
                for other in neighbours[node]:
                    if distances[source, other] == far:
                        distances[source, other] = distances[source, node] + 1
                        following.append(other)
            frontier = following
    return distances


_E71 = erratum(
    "E71",
    title="ChebNet needs a rescaled Laplacian",
    sheet="g_θ(L) ≈ Σ θ_k T_k(L̃) with L̃ the normalised Laplacian",
    correct="Chebyshev polynomials need a spectrum in [−1, 1]: L̂ = 2L/λ_max − I (Defferrard et al. 2016); "
    "for L_sym with λ_max ≤ 2 commonly L_sym − I. The filter is K-hop localised",
    command="dlcalc cheb-filter --edges 0-1,1-2,2-3 --x 1,0,0,0 --theta 1,0.5",
)

formula(
    name="cheb-filter",
    section="16.3",
    catalogue_id="GDL-CHEB",
    summary="ChebNet filter Σ θ_k T_k(L̂) x with L̂ = 2L/λ_max − I (K-hop localised)",
    params=(
        _EDGES,
        _SIGNAL,
        Param("theta", VECTOR, "coefficients θ_0..θ_K"),
        Param("norm", _L_CHOICE, "L = D − A or L_sym", default="none"),
        Param("lambda-max", FLOAT, "λ_max for the rescaling (default: computed; 2 is common for sym)",
              default=0.0, minimum=0),
    ),
    formula="g_θ(L)x ≈ Σ_{k=0}^{K} θ_k T_k(L̂)x, L̂ = 2L/λ_max − I, T_k = 2L̂T_{k−1} − T_{k−2}",
    latex=r"g_\theta(L)x \approx \sum_{k=0}^{K} \theta_k T_k(\hat L)x,\ \hat L = \tfrac{2L}{\lambda_{\max}} - I",
    compute=chebyshev_filter,
    errata=(_E71,),
    sheet_says="Σ θ_k T_k(L̃) with the unscaled normalised Laplacian",
    examples=(
        ("--edges 0-1 --x 1,0 --theta 0,1", "0.0,-1.0", "T₁(L̂) = L − I for one edge (λ_max = 2)"),
        ("--edges 0-1,1-2 --x 1,0,0 --theta 1,1 --norm sym --lambda-max 2", "1.0,-0.707106781187,0.0"),
    ),
)


# ---- graph attention ---------------------------------------------------------------------------


def _node_features(X, nodes):
    """--X as an array with one row per node (a vector is one feature per node), or an error."""
    features = finite_array(X, "--X")
    features = features[:, None] if features.ndim == 1 else features
    if features.shape[0] != nodes:
        raise DlcalcError(f"--X needs one row per node ({nodes}), got {features.shape[0]}")
    return features


def gat_scores(X, W, a, nodes):
    """s_ij = aᵀ[h_i ‖ h_j] with h = XW (row i is node i's transformed features): a₁·h_i + a₂·h_j."""
    import numpy as np

    features = _node_features(X, nodes)
    weights = np.eye(features.shape[1]) if W == () else finite_array(W, "--W")
    weights = weights[None, :] if weights.ndim == 1 else weights
    if weights.shape[0] != features.shape[1]:
        raise DlcalcError(f"--W needs {features.shape[1]} rows (the feature width of --X), got {weights.shape[0]}")
    hidden = features @ weights
    vector = np.array(a, dtype=float)
    if vector.shape != (2 * hidden.shape[1],):
        raise DlcalcError(f"--a needs {2 * hidden.shape[1]} values (aᵀ[Wx_i ‖ Wx_j]), got {vector.size}")
    width = hidden.shape[1]
    return (hidden @ vector[:width])[:, None] + (hidden @ vector[width:])[None, :], hidden


def gat_attention(edges, scores, X, W, a, slope, no_self_loops):
    import numpy as np

    from dlcalc.catalogue._common import softmax_rows

    source = the_one_given(scores=scores, X=X)
    if source == "scores":
        if W != () or a != ():
            raise DlcalcError("--W and --a go with --X")
        raw, hidden = finite_array(scores, "--scores"), None
        if raw.shape != (edges.nodes, edges.nodes):
            raise DlcalcError(f"--scores must be {edges.nodes}×{edges.nodes} (one score per ordered pair)")
    else:
        if a == ():
            raise DlcalcError("--X needs --a (the attention vector, 2F' values)")
        raw, hidden = gat_scores(X, W, a, edges.nodes)
    activated = np.where(raw > 0, raw, slope * raw)
    allowed = adjacency(edges).astype(bool)
    if not no_self_loops:
        allowed |= np.eye(edges.nodes, dtype=bool)
    if not np.all(allowed.any(axis=1)):
        raise DlcalcError("an isolated node has no neighbour to attend to (keep the self-loops)")
    alpha = softmax_rows(np.where(allowed, activated, -np.inf))
    extra = {} if hidden is None else {"scores": rounded(raw), "output": rounded(alpha @ hidden)}
    return matrix_result(alpha,
                         steps=([] if hidden is None else ["s_ij = aᵀ[Wx_i ‖ Wx_j] = a₁ᵀWx_i + a₂ᵀWx_j"])
                         + [f"e_ij = LeakyReLU_{slope:g}(s_ij); α_ij = softmax over j ∈ N(i)"
                            + ("" if no_self_loops else " ∪ {i}")]
                         + ([] if hidden is None else ["x'_i = Σ_j α_ij Wx_j (before σ) in --json's output"]),
                         extra=extra)


formula(
    name="gat-attention",
    section="16.4",
    catalogue_id="GDL-GAT",
    summary="GAT attention α_ij = softmax_{j∈N(i)∪{i}} LeakyReLU(aᵀ[Wx_i‖Wx_j]) from X, W, a or from raw scores",
    params=(
        _EDGES,
        Param("scores", MATRIX, "raw scores s_ij = aᵀ[Wx_i ‖ Wx_j] (n×n; only neighbours are used)", default=()),
        Param("X", MATRIX, "node features, one row per node (instead of --scores)", default=()),
        Param("W", MATRIX, "with --X: weights F×F' (Wx_i is row i of XW; default the identity)", default=()),
        Param("a", VECTOR, "with --X: attention vector a (2F' values: a₁ for x_i, then a₂ for x_j)", default=()),
        Param("slope", FLOAT, "LeakyReLU negative slope", default=0.2, minimum=0),
        Param("no-self-loops", FLAG, "softmax over N(i) only", default=False),
    ),
    formula="e_ij = LeakyReLU(aᵀ[Wx_i‖Wx_j]); α_ij = exp(e_ij)/Σ_{k∈N(i)∪{i}} exp(e_ik)",
    latex=r"\alpha_{ij} = \frac{\exp(e_{ij})}{\sum_{k\in\mathcal N(i)\cup\{i\}} \exp(e_{ik})}",
    compute=gat_attention,
    examples=(
        ("--edges 0-1 --scores '0,0;0,0'", "[[0.5, 0.5], [0.5, 0.5]]"),
        ("--edges 0-1,1-2 --scores '0,1,9;0,0,-5;0,0,0' --no-self-loops",
         "[[0.0, 1.0, 0.0], [0.73105857863, 0.0, 0.26894142137], [0.0, 1.0, 0.0]]", "node 1: softmax(0, LeakyReLU(−5) = −1)"),
        ("--edges 0-1 --X '0;1' --a 0,1", "[[0.26894142137, 0.73105857863], [0.26894142137, 0.73105857863]]",
         "s_ij = x_j: every row is softmax(0, 1)"),
    ),
    notes="--json adds the scores and the aggregated features Σ_j α_ij Wx_j when --X is given.",
)


# ---- Weisfeiler–Lehman colour refinement ---------------------------------------------------------


def wl_refine(graphs: list[Graph], iterations: int):
    """1-WL on several graphs with one shared colour table, so colours compare across graphs.

    Returns [(iteration, [Counter of colours per graph])], starting with iteration 0 (one colour),
    ending when the partition of the disjoint union stops refining or after `iterations` rounds."""
    colours = [[0] * g.nodes for g in graphs]
    history = [(0, [Counter(c) for c in colours])]
    neighbours = [g.neighbours() for g in graphs]
    classes = 1
    for iteration in range(1, iterations + 1):
        signatures = [
            [(c[v], tuple(sorted(c[u] for u in adj[v]))) for v in range(len(c))]
            for c, adj in zip(colours, neighbours)
        ]
        table = {sig: index for index, sig in enumerate(sorted({s for sigs in signatures for s in sigs}))}
        colours = [[table[s] for s in sigs] for sigs in signatures]
        history.append((iteration, [Counter(c) for c in colours]))
        if len(table) == classes:  # no class split: the refinement is stable
            break
        classes = len(table)
    return history


def wl_test(g1, g2, iterations):
    history = wl_refine([g1, g2], iterations)
    differing = next(((k, h) for k, h in history if h[0] != h[1]), None)
    iteration, histograms = differing or history[-1]
    shown = [{str(colour): count for colour, count in sorted(h.items())} for h in histograms]
    table = Table(columns=["iteration", "colours G1", "colours G2"],
                  rows=[[k, _histogram_text(h[0]), _histogram_text(h[1])] for k, h in history[:iteration + 1]],
                  title="colour histograms (colour:count)")
    if differing:
        return Result(value=f"distinguished at iteration {iteration}",
                      table=table, holds=False,
                      extra={"distinguished": True, "iteration": iteration, "histograms": shown},
                      steps=["the colour histograms differ: the graphs are certainly not isomorphic"])
    return Result(value="not distinguished", table=table,
                  extra={"distinguished": False, "iteration": None, "iterations_run": history[-1][0],
                         "histograms": shown},
                  steps=[f"stable after {history[-1][0]} iterations with equal histograms: 1-WL cannot tell "
                         "them apart (they may or may not be isomorphic)"])


def _histogram_text(histogram: Counter) -> str:
    return " ".join(f"{colour}:{count}" for colour, count in sorted(histogram.items()))


formula(
    name="wl-test",
    section="16.5",
    catalogue_id="GDL-WL",
    summary="1-WL colour refinement on two graphs: exit 1 if distinguished (not isomorphic), 0 if not",
    params=(
        Param("g1", EDGES, "first graph's edge list"),
        Param("g2", EDGES, "second graph's edge list"),
        Param("iterations", INT, "at most this many refinement rounds", default=100, minimum=0),
    ),
    formula="c'(v) = hash(c(v), {{c(u) : u ∈ N(v)}}); distinguished when the colour histograms differ",
    latex=r"c^{(k+1)}(v) = \mathrm{hash}\big(c^{(k)}(v), \{\!\{c^{(k)}(u) : u \in \mathcal N(v)\}\!\}\big)",
    compute=wl_test,
    examples=(
        ("--g1 0-1,1-2,2-0,3-4,4-5,5-3 --g2 0-1,1-2,2-3,3-4,4-5,5-0", "not distinguished", "2×C3 vs C6"),
        ("--g1 0-1,1-2,2-3 --g2 0-1,0-2,0-3", "distinguished at iteration 1", "path vs star"),
        ("--g1 0-1 --g2 0-1,2", "distinguished at iteration 0", "different node counts"),
    ),
    notes="Like cmp: exit 0 when not distinguished, 1 when distinguished. Message-passing GNNs (GIN at "
    "best) separate at most the graphs 1-WL separates.",
)


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


def _permutations(n, limit, rng):
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
    for perm in _permutations(len(data), 5040, rng):
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


def _layer_weights(W, rows, what):
    weights = finite_array(W, what)
    weights = weights[None, :] if weights.ndim == 1 else weights
    if weights.shape[0] != rows:
        raise DlcalcError(f"{what} needs {rows} rows, got {weights.shape[0]}")
    return weights


def set_network(X, phi, rho, act, pool):
    """ρ(pool_m φ(x_m)) with φ(x) = σ(x W_φ) applied to each row and ρ(s) = σ(s W_ρ)."""
    import numpy as np

    data = finite_array(X, "--X")
    data = data[:, None] if data.ndim == 1 else data
    W_phi = _layer_weights(phi, data.shape[1], "--phi")
    W_rho = _layer_weights(rho, W_phi.shape[1], "--rho")
    sigma = {"relu": lambda a: np.maximum(a, 0.0), "tanh": np.tanh, "none": lambda a: a}[act]
    encoded = sigma(data @ W_phi)  # one row per element: the same φ for every element
    pooled = {"sum": encoded.sum(axis=0), "mean": encoded.mean(axis=0), "max": encoded.max(axis=0)}[pool]
    return sigma(pooled @ W_rho), pooled


def deepsets(X, phi, rho, act, pool):
    import numpy as np

    value, pooled = set_network(X, phi, rho, act, pool)
    data = finite_array(X, "--X")
    worst = max(float(np.max(abs(set_network(data[perm], phi, rho, act, pool)[0] - value), initial=0.0))
                for perm in _permutations(len(data), 5040, np.random.default_rng(0)))
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


# ---- GCN propagation and oversmoothing -----------------------------------------------------------


def gcn_propagate(edges, X, W, layers, act):
    import numpy as np

    features = _node_features(X, edges.nodes)
    weights = np.eye(features.shape[1]) if W == () else finite_array(W, "--W")
    if weights.ndim == 1:
        weights = weights[None, :]
    if weights.shape[0] != features.shape[1] or weights.shape[1] != features.shape[1]:
        raise DlcalcError(f"--W must be {features.shape[1]}×{features.shape[1]} (square, so that layers can repeat)")
    A_hat = gcn_matrix(edges)
    phi = (lambda a: np.maximum(a, 0.0)) if act == "relu" else (lambda a: a)
    H = features
    for _ in range(layers):
        H = phi(A_hat @ H @ weights)
    # oversmoothing: Â^k X tends to rows proportional to √(d_m + 1) on a connected graph
    direction = np.sqrt(adjacency(edges).sum(axis=0) + 1.0)
    scaled = H / direction[:, None]
    spread = float(np.max(np.ptp(scaled, axis=0)) / max(float(np.max(abs(scaled))), 1e-300))
    return matrix_result(H,
                         steps=[f"X' = {'relu' if act == 'relu' else 'id'}(ÂXW), applied {layers} time(s); "
                                "Â = D̃^(−½)(A + I)D̃^(−½)",
                                f"rows divided by √(d_m + 1) differ by {spread:.2g} (relative): → 0 means oversmoothed"],
                         extra={"relative_spread_after_scaling": spread})


formula(
    name="gcn-layer",
    section="16.2",
    catalogue_id="GDL-GCN GDL-OVERSMOOTH",
    summary="GCN layers X' = σ(ÂXW) repeated k times, with an oversmoothing measure",
    params=(
        _EDGES,
        Param("X", MATRIX, "node features, one row per node"),
        Param("W", MATRIX, "weights (F×F; default the identity)", default=()),
        Param("layers", INT, "how many times to apply the layer", default=1, minimum=1),
        Param("act", choice("none", "relu"), "activation σ", default="none"),
    ),
    formula="X' = σ(ÂXW), Â = D̃^{−½}(A + I)D̃^{−½}; Â^k X → rows ∝ √(d_m + 1)",
    latex=r"X' = \sigma(\hat A X W)",
    compute=gcn_propagate,
    errata=(_E69,),
    examples=(
        ("--edges 0-1 --X '1;3'", "[[2.0], [2.0]]", "one edge: Â averages the two nodes"),
        ("--edges 0-1,1-2 --X '1;0;0' --layers 60", "[[0.285714285714], [0.349927106112], [0.285714285714]]",
         "oversmoothed: v(vᵀx) with v = (√2, √3, √2)/√7, i.e. 2/7 and √6/7"),
    ),
)


def gin_layer(edges, X, eps, W):
    import numpy as np

    features = _node_features(X, edges.nodes)
    aggregated = (1 + eps) * features + adjacency(edges) @ features  # (1 + ε)h_v + Σ_{u∈N(v)} h_u
    if W != ():
        aggregated = np.maximum(aggregated @ _layer_weights(W, features.shape[1], "--W"), 0.0)  # a one-layer MLP: ReLU(h W)
    return matrix_result(aggregated,
                         steps=["h'_v = MLP((1 + ε)h_v + Σ_(u∈N(v)) h_u)" + (" with MLP = ReLU(·W)" if W != () else
                                                                              " (MLP = identity)"),
                                "a sum aggregator with an injective MLP is as powerful as 1-WL (Xu et al. 2019)"])


formula(
    name="gin-layer",
    section="16.5",
    catalogue_id="GDL-GIN",
    summary="GIN layer h'_v = MLP((1 + ε)h_v + Σ_{u∈N(v)} h_u) (the MLP: identity or ReLU(hW))",
    params=(
        _EDGES,
        Param("X", MATRIX, "node features, one row per node"),
        Param("eps", FLOAT, "ε", default=0.0),
        Param("W", MATRIX, "weights of a one-layer ReLU MLP (default: no MLP)", default=()),
    ),
    formula="h'_v = MLP((1 + ε)h_v + Σ_{u∈N(v)} h_u)",
    latex=r"h'_v = \mathrm{MLP}\Big((1+\epsilon)h_v + \sum_{u\in\mathcal N(v)} h_u\Big)",
    compute=gin_layer,
    examples=(("--edges 0-1,1-2 --X '1;10;100' --eps 0.5", "[[11.5], [116.0], [160.0]]", "1.5·h_v + neighbours"),),
)
