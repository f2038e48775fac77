"""Tensors (sheet §18): contraction P ×_b Q, its matrix form, and the tensor chain rule
∂L/∂W = ∂L/∂y ×_(d3,d4) ∂y/∂W, checked numerically (einsum against finite differences) and
proven symbolically at small sizes.
"""

from __future__ import annotations

import json

from dlcalc.catalogue._common import matrix_result, shape_text
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import AXES, INT, Kind, Param, erratum, formula, identity

MAX_ENTRIES = 1_000_000


def _tensor(text: str):
    """JSON nested lists ('[[1,2],[3,4]]') or @file.npy -> nested lists of floats (checked later)."""
    text = str(text).strip()
    if text.startswith("@") and text.endswith(".npy"):
        import numpy as np

        try:
            return np.load(text[1:], allow_pickle=False).astype(float).tolist()
        except (OSError, ValueError) as err:
            raise DlcalcError(f"cannot read {text[1:]}: {err}") from None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise DlcalcError(f"expected nested lists like [[1,2],[3,4]] or @file.npy, got {text[:40]!r}") from None
    return value


TENSOR = Kind("TENSOR", _tensor)


def as_tensor(value, what):
    import numpy as np

    try:
        array = np.array(value, dtype=float)
    except (ValueError, TypeError):
        raise DlcalcError(f"{what}: the nested lists must be rectangular numbers") from None
    if array.size > MAX_ENTRIES or not np.all(np.isfinite(array)):
        raise DlcalcError(f"{what}: at most {MAX_ENTRIES:,} finite entries")
    return array


# ---- contraction ---------------------------------------------------------------------------------


def contract(P, Q, b):
    import numpy as np

    p, q = as_tensor(P, "--P"), as_tensor(Q, "--Q")
    if b > min(p.ndim, q.ndim) or p.shape[p.ndim - b:] != q.shape[:b]:
        raise DlcalcError(f"cannot contract the last {b} axes of P {shape_text(p.shape)} with the first {b} of "
                          f"Q {shape_text(q.shape)}: they must match")
    T = np.tensordot(p, q, axes=b)
    r, s, t = p.shape[:p.ndim - b], p.shape[p.ndim - b:], q.shape[b:]
    as_matrices = (p.reshape(int(np.prod(r)), int(np.prod(s))) @ q.reshape(int(np.prod(s)), int(np.prod(t)))).reshape(T.shape)
    agreement = float(np.max(abs(T - as_matrices), initial=0.0))
    return matrix_result(
        T,
        steps=[f"T_(i,k) = Σ_j P_(i,j) Q_(j,k): {shape_text(p.shape)} ×_{b} {shape_text(q.shape)} → "
               f"{shape_text(T.shape) or 'scalar'}",
               f"as a matrix product reshape(P, ({int(np.prod(r))}, {int(np.prod(s))})) · reshape(Q, "
               f"({int(np.prod(s))}, {int(np.prod(t))})): agrees to {agreement:.1g}"],
        extra={"shape": list(T.shape), "matrix_form_agreement": agreement},
    )


_E77 = erratum(
    "E77",
    title="tensor multiplication display",
    sheet="the dimension display repeats a row; 'isomorphic to some matrix-matrix product' has identical sides",
    correct="T = reshape(P, (Π r_i, Π s_j)) · reshape(Q, (Π s_j, Π t_k)), reshaped back to r × t",
    command="dlcalc tensor-contract --P '[[[1,2],[3,4]]]' --Q '[[1,0],[0,1]]' --b 1",
)

formula(
    name="tensor-contract",
    section="18",
    catalogue_id="TEN-CONTRACT TEN-MATRIX",
    summary="Tensor contraction P ×_b Q over P's last b and Q's first b axes (and its matrix form)",
    params=(
        Param("P", TENSOR, "tensor as nested JSON lists, or @file.npy"),
        Param("Q", TENSOR, "tensor as nested JSON lists, or @file.npy"),
        Param("b", INT, "number of contracted axes", default=1, minimum=0),
    ),
    formula="T_{i1..ia,k1..kc} = Σ_{j1..jb} P_{i,j} Q_{j,k} = reshape(P,(Πr,Πs))·reshape(Q,(Πs,Πt))",
    latex=r"T_{i,k} = \sum_j P_{i,j} Q_{j,k}",
    compute=contract,
    errata=(_E77,),
    examples=(
        ("--P '[[1,2],[3,4]]' --Q '[[1,0],[0,1]]'", "[[1.0, 2.0], [3.0, 4.0]]"),
        ("--P '[[1,2],[3,4]]' --Q '[[1,2],[3,4]]' --b 2", "30.0", "Σ P⊙Q: a full contraction"),
    ),
    notes="The result prints as JSON nested lists (any rank).",
)


# ---- the tensor chain rule -------------------------------------------------------------------------
# The checked example: y(W) = A W B (d1×d2 → d3×d4), L(y) = Σ C ⊙ tanh(y).


def chain_instance(d1, d2, d3, d4, seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    return {"A": rng.standard_normal((d3, d1)), "W": rng.standard_normal((d1, d2)),
            "B": rng.standard_normal((d2, d4)), "C": rng.standard_normal((d3, d4))}


def loss(inst, W):
    import numpy as np

    return float(np.sum(inst["C"] * np.tanh(inst["A"] @ W @ inst["B"])))


def chain_rule_gradient(inst):
    """(∂L/∂y, T, ∂L/∂W) with T_ijkl = ∂y_ij/∂W_kl = A_ik B_lj, contracted over (d3, d4)."""
    import numpy as np

    A, W, B, C = inst["A"], inst["W"], inst["B"], inst["C"]
    dL_dy = C * (1 - np.tanh(A @ W @ B) ** 2)
    T = np.einsum("ik,lj->ijkl", A, B)
    return dL_dy, T, np.tensordot(dL_dy, T, axes=([0, 1], [0, 1]))


def finite_difference_gradient(inst, h=1e-6):
    import numpy as np

    W = inst["W"]
    grad = np.zeros_like(W)
    for index in np.ndindex(*W.shape):
        step = np.zeros_like(W)
        step[index] = h
        grad[index] = (loss(inst, W + step) - loss(inst, W - step)) / (2 * h)
    return grad


def given_instance(A, W, B, C):
    inst = {name: as_tensor(value, f"--{name}") for name, value in zip("AWBC", (A, W, B, C))}
    if any(m.ndim != 2 for m in inst.values()):
        raise DlcalcError("--A, --W, --B and --C must be matrices")
    (d3, d1), (d2, d4) = inst["A"].shape, inst["B"].shape
    if inst["W"].shape != (d1, d2) or inst["C"].shape != (d3, d4):
        raise DlcalcError(f"shapes do not chain: A {shape_text(inst['A'].shape)}, W {shape_text(inst['W'].shape)}, "
                          f"B {shape_text(inst['B'].shape)}, C {shape_text(inst['C'].shape)} (need d3×d1, d1×d2, "
                          "d2×d4, d3×d4)")
    return inst, (d1, d2, d3, d4), "given A, W, B, C"


def tensor_chain(shapes, seed, A, W, B, C):
    import numpy as np

    matrices = (A, W, B, C)
    if any(m != () for m in matrices):
        if any(m == () for m in matrices):
            raise DlcalcError("give all of --A, --W, --B, --C, or none (then --shapes picks a random instance)")
        inst, (d1, d2, d3, d4), source = given_instance(A, W, B, C)
    else:
        if len(shapes) != 4:
            raise DlcalcError("--shapes needs d1,d2,d3,d4 (W is d1×d2, y is d3×d4)")
        d1, d2, d3, d4 = shapes
        inst, source = chain_instance(d1, d2, d3, d4, seed), f"random A, W, B, C; seed {seed}"
    if d1 * d2 * d3 * d4 > 200_000:
        raise DlcalcError("at most 200,000 entries in ∂y/∂W (d1·d2·d3·d4)")
    dL_dy, T, grad = chain_rule_gradient(inst)
    numeric = finite_difference_gradient(inst)
    closed = inst["A"].T @ dL_dy @ inst["B"].T
    error = float(max(np.max(abs(grad - numeric)), np.max(abs(grad - closed))))
    sheet = ("the sheet's ∂L/∂W ×_(d3,d4) ∂y/∂W cannot even be formed: ∂L/∂W is "
             f"{d1}×{d2}, the contracted axes are {d3}×{d4}") if (d1, d2) != (d3, d4) else \
        "the sheet's ∂L/∂W ×_(d3,d4) ∂y/∂W is circular (∂L/∂W on both sides)"
    return matrix_result(grad,
                         steps=[f"y = AWB: W {d1}×{d2} → y {d3}×{d4};  L = Σ C ⊙ tanh(y)  ({source})",
                                f"∂L/∂y {d3}×{d4}, T = ∂y/∂W {d3}×{d4}×{d1}×{d2} with T_ijkl = ∂y_ij/∂W_kl = A_ik B_lj",
                                f"∂L/∂W = ∂L/∂y ×_(d3,d4) T matches central differences and Aᵀ(∂L/∂y)Bᵀ to {error:.1g}",
                                sheet],
                         extra={"max_error": error, "shapes": {"dL/dy": [d3, d4], "dy/dW": [d3, d4, d1, d2], "dL/dW": [d1, d2]},
                                "sheet": sheet},
                         warnings=[] if error < 1e-6 else [f"disagreement {error:.2g}: please report this"])


_E78 = erratum(
    "E78",
    title="tensor chain rule",
    sheet="∂L/∂W = ∂L/∂W ×_{d3,d4} ∂y/∂W and T_{i,j,k,l} = ∂y_{i,j,l}/∂W_{k,l}",
    correct="∂L/∂W = ∂L/∂y ×_{(d3,d4)} ∂y/∂W: (∂L/∂W)_kl = Σ_ij (∂L/∂y)_ij T_ijkl with T_ijkl = ∂y_ij/∂W_kl "
    "∈ ℝ^{d3×d4×d1×d2}. The sheet's form is circular and its contraction has the wrong shapes",
    command="dlcalc tensor-chain --shapes 3,4,2,5",
)

formula(
    name="tensor-chain",
    section="18",
    catalogue_id="TEN-CHAIN",
    summary="Check the tensor chain rule ∂L/∂W = ∂L/∂y ×_(d3,d4) ∂y/∂W on y = AWB, L = ΣC⊙tanh(y)",
    params=(
        Param("shapes", AXES, "d1,d2,d3,d4 of a random instance: W is d1×d2, y is d3×d4", default=(2, 3, 4, 5),
              minimum=1),
        Param("seed", INT, "random instance seed", default=0, minimum=0),
        Param("A", TENSOR, "A (d3×d1), instead of a random instance", default=()),
        Param("W", TENSOR, "W (d1×d2)", default=()),
        Param("B", TENSOR, "B (d2×d4)", default=()),
        Param("C", TENSOR, "C (d3×d4), the loss weights", default=()),
    ),
    formula="(∂L/∂W)_kl = Σ_ij (∂L/∂y)_ij ∂y_ij/∂W_kl;  for y = AWB: ∂L/∂W = Aᵀ(∂L/∂y)Bᵀ",
    latex=r"\frac{\partial L}{\partial W} = \frac{\partial L}{\partial y} \times_{(d_3,d_4)} \frac{\partial y}{\partial W}",
    compute=tensor_chain,
    errata=(_E78,),
    sheet_says="∂L/∂W = ∂L/∂W ×_{d3,d4} ∂y/∂W",
    examples=(
        ("--A '[[1,0],[0,1]]' --W '[[0,0],[0,0]]' --B '[[1,2],[3,4]]' --C '[[1,1],[1,1]]'", "[[3.0, 7.0], [3.0, 7.0]]",
         "y = 0, so ∂L/∂y = C and ∂L/∂W = Aᵀ·C·Bᵀ"),
    ),
    notes="Prints ∂L/∂W as [[...], ...] for the given or random instance; the steps report the agreement "
    "of the contraction, central differences and the closed form. `dlcalc verify tensor-chain-rule` "
    "proves the rule symbolically.",
)


def chain_rule_statement(variant="correct", d1=2, d2=2, d3=2, d4=2, power=3):
    """(lhs, rhs) as SymPy matrices at small sizes, with L = Σ_ij c_ij·y_ij^power (a non-linear loss).

    lhs: ∂L/∂W computed entry by entry (differentiate L(W) directly).
    rhs, correct: Σ_ij (∂L/∂y)_ij ∂y_ij/∂W_kl.  sheet: the true ∂L/∂W contracted with ∂y/∂W over (d3,d4).
    closed: Aᵀ(∂L/∂y)Bᵀ. The sheet's version is refuted as well with power = 2, in a fraction of the time."""
    import sympy

    A = sympy.Matrix(d3, d1, lambda i, j: sympy.Symbol(f"a{i}{j}"))
    W = sympy.Matrix(d1, d2, lambda i, j: sympy.Symbol(f"w{i}{j}"))
    B = sympy.Matrix(d2, d4, lambda i, j: sympy.Symbol(f"b{i}{j}"))
    C = sympy.Matrix(d3, d4, lambda i, j: sympy.Symbol(f"c{i}{j}"))
    y = A * W * B
    L = sum(C[i, j] * y[i, j] ** power for i in range(d3) for j in range(d4))
    direct = W.applyfunc(lambda w: sympy.diff(L, w))
    dL_dy = sympy.Matrix(d3, d4, lambda i, j: power * C[i, j] * y[i, j] ** (power - 1))
    if variant == "closed":
        return direct, A.T * dL_dy * B.T
    weights = direct if variant == "sheet" else dL_dy
    if weights.shape != (d3, d4):
        raise DlcalcError("the sheet's contraction needs ∂L/∂W to have the shape of y")
    rhs = sympy.Matrix(d1, d2, lambda k, l: sum(weights[i, j] * sympy.diff(y[i, j], W[k, l])
                                                for i in range(d3) for j in range(d4)))
    return direct, rhs


identity(
    name="tensor-chain-rule",
    section="18",
    catalogue_id="TEN-CHAIN",
    summary="Tensor chain rule (∂L/∂W)_kl = Σ_ij (∂L/∂y)_ij ∂y_ij/∂W_kl, proven entry by entry at 2×2",
    formula="∂L/∂W = ∂L/∂y ×_(d3,d4) ∂y/∂W",
    latex=r"\Big(\frac{\partial L}{\partial W}\Big)_{kl} = \sum_{ij} \Big(\frac{\partial L}{\partial y}\Big)_{ij}\frac{\partial y_{ij}}{\partial W_{kl}}",
    build=chain_rule_statement,
    method="expand",
    sheet_version=lambda: chain_rule_statement("sheet", power=2),
    errata=(_E78,),
    sheet_says="∂L/∂W = ∂L/∂W ×_{d3,d4} ∂y/∂W",
)

identity(
    name="tensor-chain-awb",
    section="18",
    catalogue_id="TEN-AWB",
    summary="For y = AWB: ∂L/∂W = Aᵀ(∂L/∂y)Bᵀ (proven entry by entry at small sizes)",
    formula="y = AWB ⇒ ∂L/∂W = Aᵀ (∂L/∂y) Bᵀ",
    latex=r"y = AWB \Rightarrow \frac{\partial L}{\partial W} = A^\top \frac{\partial L}{\partial y} B^\top",
    build=lambda: chain_rule_statement("closed"),
    method="expand",
)
