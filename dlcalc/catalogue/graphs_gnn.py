"""Message-passing graph networks (sheet §16.4, §16.5): GAT attention, the 1-WL test and GIN layers.
NumPy is imported inside the functions."""

from __future__ import annotations

from collections import Counter

from dlcalc.catalogue._common import finite_array, matrix_result, rounded, the_one_given
from dlcalc.catalogue._graphs import EDGES, EDGES_PARAM, Graph, adjacency, layer_weights, node_features
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLAG, FLOAT, INT, MATRIX, VECTOR, Param, formula
from dlcalc.core.result import Result, Table

# ---- graph attention ---------------------------------------------------------------------------


def gat_scores(X, W, a, nodes):
    """s_ij = aᵀ[h_i ‖ h_j] with h = XW (row i is node i's transformed features): a₁·h_i + a₂·h_j."""
    import numpy as np

    features = node_features(X, nodes)
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
        EDGES_PARAM,
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


def gin_layer(edges, X, eps, W):
    import numpy as np

    features = node_features(X, edges.nodes)
    aggregated = (1 + eps) * features + adjacency(edges) @ features  # (1 + ε)h_v + Σ_{u∈N(v)} h_u
    if W != ():
        aggregated = np.maximum(aggregated @ layer_weights(W, features.shape[1], "--W"), 0.0)  # a one-layer MLP: ReLU(h W)
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
        EDGES_PARAM,
        Param("X", MATRIX, "node features, one row per node"),
        Param("eps", FLOAT, "ε", default=0.0),
        Param("W", MATRIX, "weights of a one-layer ReLU MLP (default: no MLP)", default=()),
    ),
    formula="h'_v = MLP((1 + ε)h_v + Σ_{u∈N(v)} h_u)",
    latex=r"h'_v = \mathrm{MLP}\Big((1+\epsilon)h_v + \sum_{u\in\mathcal N(v)} h_u\Big)",
    compute=gin_layer,
    examples=(("--edges 0-1,1-2 --X '1;10;100' --eps 0.5", "[[11.5], [116.0], [160.0]]", "1.5·h_v + neighbours"),),
)
