"""Helpers shared by the graphs_* modules (not a catalogue area: it declares no formula).

Graphs are undirected and given as edge lists: "0-1,1-2,2-0" (a bare number is an isolated node:
"0-1,2"), or @FILE with one edge per line ("0 1" or "0-1"). Nodes are 0..n−1. Here: the edge-list
kind, the graph matrices (adjacency, incidence, GCN, Laplacians), spectra, and checked inputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dlcalc.catalogue._common import complex_text, finite_array, matrix_result, rounded, vector_text
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import Kind, Param
from dlcalc.core.result import Result

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
EDGES_PARAM = Param("edges", EDGES, "edge list '0-1,1-2,2-0' (a bare number adds an isolated node) or @FILE",
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


def matrix_and_spectrum(name, matrix, show_spectrum, steps, extra=None):
    """A square matrix's Result, its spectrum in the steps and the JSON; --spectrum shows the spectrum instead."""
    import numpy as np

    eigenvalues = spectrum(matrix)
    shown = [complex_text(v) for v in eigenvalues] if np.iscomplexobj(eigenvalues) else rounded(eigenvalues)
    fields = dict(steps=steps + [f"spectrum: {', '.join(str(v) for v in shown)}"], extra={"spectrum": shown, **(extra or {})})
    if show_spectrum:
        return Result(value=shown, plain=vector_text(eigenvalues), **fields)
    return matrix_result(matrix, **fields)



def node_features(X, nodes):
    """--X as an array with one row per node (a vector is one feature per node), or an error."""
    features = finite_array(X, "--X")
    features = features[:, None] if features.ndim == 1 else features
    if features.shape[0] != nodes:
        raise DlcalcError(f"--X needs one row per node ({nodes}), got {features.shape[0]}")
    return features



def layer_weights(W, rows, what):
    weights = finite_array(W, what)
    weights = weights[None, :] if weights.ndim == 1 else weights
    if weights.shape[0] != rows:
        raise DlcalcError(f"{what} needs {rows} rows, got {weights.shape[0]}")
    return weights
