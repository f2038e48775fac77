"""Graph matrices and spectral graph networks (sheet §16.2, §16.3): adjacency, degree and incidence
matrices, GCN normalisation and layers (oversmoothing), Laplacians and their spectra, spectral
convolution, ChebNet filters. NumPy is imported inside the functions."""

from __future__ import annotations

from dlcalc.catalogue._common import finite_array, matrix_result, rounded, vector_result
from dlcalc.catalogue._graphs import (EDGES_PARAM, Graph, adjacency, gcn_matrix, incidence, laplacian_matrix,
                                      matrix_and_spectrum, node_features)
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLAG, FLOAT, INT, MATRIX, VECTOR, Param, choice, erratum, formula

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
    return matrix_and_spectrum("graph-matrix", matrix, False, steps, {"BtB_equals_D_minus_A": identity_holds})


formula(
    name="graph-matrix",
    section="16.2",
    catalogue_id="GDL-ADJ-DEG GDL-INCID",
    summary="Adjacency, degree or incidence matrix of an undirected graph from an edge list",
    params=(EDGES_PARAM, Param("which", choice("adjacency", "degree", "incidence"), "which matrix", default="adjacency")),
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
    return matrix_and_spectrum("gcn-norm", matrix, spectrum,
                                [f"Â = D̃^(−½)(A + I)D̃^(−½); Â·D̃^(½)1 = D̃^(½)1 up to {residual:.1g}"])


_SPECTRUM = Param("spectrum", FLAG, "print the eigenvalues instead of the matrix",
                  default=False)

formula(
    name="gcn-norm",
    section="16.2",
    catalogue_id="GDL-GCN-NORM",
    summary="GCN coupling matrix Â = D̃^{−½}(A + I)D̃^{−½} and its spectrum",
    params=(EDGES_PARAM, _SPECTRUM),
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
    result = matrix_and_spectrum("laplacian", matrix, spectrum, [steps], extra)
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
        EDGES_PARAM,
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
        EDGES_PARAM,
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


MAX_MATRIX_WORK = 10**10  # multiplications in repeated dense products: seconds, not hours
MAX_GCN_LAYERS = 10_000


def chebyshev_filter(edges, x, theta, norm, lambda_max):
    import numpy as np

    L = laplacian_matrix(edges, norm)
    eigenvalues = np.linalg.eigvalsh(L)
    top = lambda_max or float(eigenvalues[-1])
    if top <= 0:
        raise DlcalcError("λ_max must be positive (a graph without edges has L = 0)")
    if len(theta) * edges.nodes**3 > MAX_MATRIX_WORK:  # one n×n product per coefficient
        raise DlcalcError(f"too large: {len(theta)} coefficients on {edges.nodes} nodes take "
                          f"{len(theta) * edges.nodes**3:,} multiplications (at most {MAX_MATRIX_WORK:,})")
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
        EDGES_PARAM,
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



# ---- GCN propagation and oversmoothing -----------------------------------------------------------


def gcn_propagate(edges, X, W, layers, act):
    import numpy as np

    features = node_features(X, edges.nodes)
    weights = np.eye(features.shape[1]) if W == () else finite_array(W, "--W")
    if weights.ndim == 1:
        weights = weights[None, :]
    if weights.shape[0] != features.shape[1] or weights.shape[1] != features.shape[1]:
        raise DlcalcError(f"--W must be {features.shape[1]}×{features.shape[1]} (square, so that layers can repeat)")
    work = layers * edges.nodes**2 * features.shape[1]  # Â·H per layer
    if work > MAX_MATRIX_WORK:
        raise DlcalcError(f"too large: {layers} layers on {edges.nodes} nodes take {work:,} multiplications "
                          f"(at most {MAX_MATRIX_WORK:,})")
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
        EDGES_PARAM,
        Param("X", MATRIX, "node features, one row per node"),
        Param("W", MATRIX, "weights (F×F; default the identity)", default=()),
        Param("layers", INT, f"how many times to apply the layer (at most {MAX_GCN_LAYERS:,})", default=1, minimum=1,
              maximum=MAX_GCN_LAYERS),
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
