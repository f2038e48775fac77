"""Attention and the Transformer layer (the sheet's missing §15.1): scaled dot-product attention,
parameter counts of nn.MultiheadAttention and nn.TransformerEncoderLayer / DecoderLayer, training
compute, sinusoidal positional encodings, and why attention scales by 1/√d_k."""

from __future__ import annotations

import math

from dlcalc.catalogue._common import finite_array, matrix_result, rounded, softmax_rows, vector_result
from dlcalc.catalogue._transformers import E55_LINK, HEADS_DIVIDE, layer_tensors, mha_tensors
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLAG, FLOAT, INT, MATRIX, Param, Rule, formula, identity
from dlcalc.core.result import Result, Table

# ---- scaled dot-product attention ----------------------------------------------------------


def causal_mask(n, m):
    """0 where query i may see key j (j ≤ i + m − n: the last query sees every key), else −∞."""
    import numpy as np

    offset = m - n
    allowed = np.arange(m)[None, :] <= np.arange(n)[:, None] + offset
    return np.where(allowed, 0.0, -np.inf)


def attention(Q, K, V, causal):
    q, k, v = finite_array(Q, "--Q"), finite_array(K, "--K"), finite_array(V, "--V")
    if q.shape[1] != k.shape[1]:
        raise DlcalcError(f"Q and K need the same width d_k, got {q.shape[1]} and {k.shape[1]}")
    if k.shape[0] != v.shape[0]:
        raise DlcalcError(f"K and V need the same number of rows (keys), got {k.shape[0]} and {v.shape[0]}")
    if causal and q.shape[0] > k.shape[0]:
        raise DlcalcError("a causal mask needs at most as many queries as keys")
    scores = q @ k.T / math.sqrt(q.shape[1])
    if causal:
        scores = scores + causal_mask(q.shape[0], k.shape[0])
    weights = softmax_rows(scores)
    out = weights @ v
    return matrix_result(out,
                         table=Table(columns=[f"key {j}" for j in range(k.shape[0])],
                                     rows=[[f"{w:.4f}" for w in row] for row in weights],
                                     title="attention weights (rows sum to 1)"),
                         extra={"weights": rounded(weights), "d_k": q.shape[1]},
                         steps=[f"softmax(QKᵀ/√{q.shape[1]}{' + M_causal' if causal else ''}) V"])


formula(
    name="attention",
    section="15.1",
    catalogue_id="TR-ATTN",
    summary="Scaled dot-product attention softmax(QKᵀ/√d_k + M)V on given Q, K, V",
    params=(
        Param("Q", MATRIX, "queries, one row each (n×d_k)"),
        Param("K", MATRIX, "keys, one row each (m×d_k)"),
        Param("V", MATRIX, "values, one row each (m×d_v)"),
        Param("causal", FLAG, "causal mask: query i sees keys j ≤ i (+ m − n)", default=False),
    ),
    formula="Attn(Q,K,V) = softmax(QKᵀ/√d_k + M)V, M_ij = −∞ where j may not be seen",
    latex=r"\mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}} + M\right)V",
    compute=attention,
    examples=(
        ("--Q '[[1,0]]' --K '[[1,0],[0,1]]' --V '[[1,0],[0,1]]'", "[[0.669761549327, 0.330238450673]]",
         "weights softmax(1/√2, 0)"),
        ("--Q '1,0;0,1' --K '1,0;0,1' --V '1,2;3,4' --causal", "[[1.0, 2.0], [2.33952309865, 3.33952309865]]",
         "the first query sees only the first key"),
    ),
    notes="The output prints as [[...], ...], one row per query. --json adds the weight matrix.",
)


# ---- parameter counts ----------------------------------------------------------------------


def mha_params(d_model, heads, kdim, vdim, no_bias):
    tensors = mha_tensors(d_model, kdim or d_model, vdim or d_model, not no_bias)
    total = sum(tensors.values())
    return Result(
        value=total,
        table=Table(columns=["tensor", "parameters"], rows=[[k, v] for k, v in tensors.items()]),
        extra={"total": total, "components": tensors, "head_dim": d_model // heads},
        steps=[f"d·(d + k + v) + d² {'' if no_bias else '+ 4d '}= {total}; the head count only splits d "
               f"into {heads} heads of {d_model // heads}"],
    )



formula(
    name="mha-params",
    section="15.1",
    catalogue_id="TR-MHA-PARAMS",
    summary="Parameters of multi-head attention, as nn.MultiheadAttention",
    params=(
        Param("d-model", INT, "model width d (embed_dim)", aliases=("embed-dim",), minimum=1),
        Param("heads", INT, "number of heads h (num_heads); does not change the count", minimum=1),
        Param("kdim", INT, "key input width (0: d)", default=0, minimum=0),
        Param("vdim", INT, "value input width (0: d)", default=0, minimum=0),
        Param("no-bias", FLAG, "no biases (bias=False)", default=False),
    ),
    formula="d² + d·kdim + d·vdim + d² + 4d  (= 4d² + 4d when kdim = vdim = d)",
    latex=r"4d^2 + 4d",
    compute=mha_params,
    rules=(HEADS_DIVIDE,),
    errata=(E55_LINK,),
    examples=(
        ("--d-model 512 --heads 8", "1050624"),
        ("--d-model 768 --heads 12", "2362368"),
        ("--d-model 512 --heads 8 --kdim 256 --vdim 128", "722944"),
        ("--d-model 512 --heads 8 --no-bias", "1048576"),
    ),
)



def transformer_layer_params(d_model, heads, d_ff, decoder, no_bias):
    tensors = layer_tensors(d_model, d_ff or 4 * d_model, decoder, not no_bias)
    total = sum(tensors.values())
    return Result(
        value=total,
        table=Table(columns=["tensor", "parameters"], rows=[[k, v] for k, v in tensors.items()]),
        extra={"total": total, "components": tensors},
        steps=["4d² + 4d (attention) + 2·d·d_ff + d_ff + d (FFN) + 4d (two LayerNorms) = 12d² + 13d for d_ff = 4d"],
    )


formula(
    name="transformer-layer-params",
    section="15.1",
    catalogue_id="TR-LAYER-PARAMS",
    summary="Parameters of one Transformer layer, as nn.TransformerEncoderLayer / DecoderLayer",
    params=(
        Param("d-model", INT, "model width d", minimum=1),
        Param("heads", INT, "number of heads (does not change the count)", default=1, minimum=1),
        Param("d-ff", INT, "feed-forward width (0: 4d)", aliases=("dim-feedforward",), default=0, minimum=0),
        Param("decoder", FLAG, "a decoder layer: add cross-attention and a third LayerNorm", default=False),
        Param("no-bias", FLAG, "no biases in the linear maps", default=False),
    ),
    formula="encoder: 4d² + 4d + 2·d·d_ff + d_ff + d + 4d  (12d² + 13d for d_ff = 4d)",
    latex=r"12d^2 + 13d \quad (d_{ff} = 4d)",
    compute=transformer_layer_params,
    rules=(HEADS_DIVIDE,),
    errata=(E55_LINK,),
    examples=(
        ("--d-model 512 --heads 8 --d-ff 2048", "3152384"),
        ("--d-model 1024 --heads 16", "12596224", "12d² + 13d"),
        ("--d-model 512 --heads 8 --d-ff 2048 --decoder", "4204032"),
    ),
)



# ---- compute and memory ----------------------------------------------------------------------


def training_flops(params, tokens):
    return 6 * params * tokens


formula(
    name="training-flops",
    vectorised=True,
    section="15.1",
    catalogue_id="TR-FLOPS",
    summary="Training compute ≈ 6·N·D FLOPs (2ND forward, 4ND backward)",
    params=(
        Param("params", FLOAT, "parameters N", aliases=("n",), minimum=0),
        Param("tokens", FLOAT, "training tokens D", aliases=("d",), minimum=0),
    ),
    formula="C ≈ 6·N·D",
    latex=r"C \approx 6ND",
    compute=training_flops,
    present=rounded,
    show=lambda params, tokens: f"6·{params:g}·{tokens:g} = {rounded(training_flops(params, tokens)):g}",
    examples=(
        ("--params 1.75e11 --tokens 3e11", "3.15e+23", "GPT-3 175B on 300B tokens (paper: 3.14e23)"),
        ("--params 124439808 --tokens 1e9", "7.46638848e+17"),
    ),
    notes="Kaplan et al. 2020: about 2N FLOPs per token forward and 4N backward; the attention "
    "term 6·L·n·d per token is left out.",
)



# ---- positional encodings ----------------------------------------------------------------------


MAX_POSITION = 10**15  # below 2⁵³: the position is still an exact float, so the angles are defined
MAX_PE_WIDTH = 100_000  # one Python step and one printed number per entry


def positional_encoding(pos, d_model, base):
    """PE(pos, 2i) = sin(pos/base^{2i/d}), PE(pos, 2i+1) = cos(pos/base^{2i/d}) (Vaswani et al. 2017)."""
    values = []
    for index in range(d_model):
        angle = pos / base ** (2 * (index // 2) / d_model)
        values.append(math.sin(angle) if index % 2 == 0 else math.cos(angle))
    return vector_result(values,
                         steps=[f"PE(pos, 2i) = sin(pos/{base:g}^(2i/{d_model})), PE(pos, 2i+1) = cos(…); "
                                "PE(pos + k) = R_k PE(pos) (verify sinusoidal-pe-shift)"])


formula(
    name="positional-encoding",
    section="15.1",
    catalogue_id="TR-PE",
    summary="Sinusoidal positional encoding vector PE(pos) of the original Transformer",
    params=(
        Param("pos", INT, f"position (at most {MAX_POSITION:.0e})", minimum=0, maximum=MAX_POSITION),
        Param("d-model", INT, f"model width d (even, at most {MAX_PE_WIDTH:,})", minimum=2, maximum=MAX_PE_WIDTH),
        Param("base", FLOAT, "frequency base (at least 1: a smaller base overflows the angles)", default=10000.0,
              minimum=1),
    ),
    formula="PE(pos, 2i) = sin(pos/10000^{2i/d}), PE(pos, 2i+1) = cos(pos/10000^{2i/d})",
    latex=r"PE_{(pos,2i)} = \sin\!\big(pos/10000^{2i/d}\big)",
    compute=positional_encoding,
    rules=(Rule(broken=lambda d_model, **_: d_model % 2 == 1,
                says=lambda d_model, **_: f"--d-model must be even, got {d_model}"),),
    examples=(
        ("--pos 0 --d-model 4", "0.0,1.0,0.0,1.0"),
        ("--pos 1 --d-model 2", "0.841470984808,0.540302305868", "sin 1, cos 1"),
    ),
)


# ---- identities ----------------------------------------------------------------------------


def sinusoidal_pair():
    """One frequency ω of the encoding at position p: (PE(p), PE(p + k), R_k) as SymPy matrices, with
    PE(p) = (sin ωp, cos ωp) and R_k = [[cos ωk, sin ωk], [−sin ωk, cos ωk]]."""
    import sympy

    pos, k = sympy.symbols("pos k", real=True)
    w = sympy.Symbol("omega", positive=True)
    pe = sympy.Matrix([sympy.sin(w * pos), sympy.cos(w * pos)])
    rotation = sympy.Matrix([[sympy.cos(w * k), sympy.sin(w * k)], [-sympy.sin(w * k), sympy.cos(w * k)]])
    return pe, pe.subs(pos, pos + k), rotation


def sinusoidal_shift_statement():
    """PE(pos + k), its angle sums expanded, and R_k·PE(pos)."""
    pe, shifted, rotation = sinusoidal_pair()
    return shifted.applyfunc(lambda e: e.expand(trig=True)), rotation * pe


identity(
    name="sinusoidal-pe-shift",
    section="15.1",
    catalogue_id="TR-PE",
    summary="Sinusoidal positional encodings: PE(pos + k) = R_k·PE(pos), a rotation per frequency",
    formula="(sin ω(p+k), cos ω(p+k)) = [[cos ωk, sin ωk], [−sin ωk, cos ωk]]·(sin ωp, cos ωp)",
    latex=r"PE_{pos+k} = R_k\,PE_{pos}",
    build=sinusoidal_shift_statement,
    method="trigsimp",
)


ATTENTION_VARIANCE_WIDTH = 3  # d_k of the symbolic check (the argument is the same for every d_k)


def score_variance(d_k, scaled):
    """Var(q·k), or Var(q·k/√d_k) when ``scaled``, for q, k with i.i.d. N(0,1) entries, by sympy.stats:
    Var(q·k) = Σ E[q_i²]E[k_i²] = d_k (zero mean, independent)."""
    import sympy
    from sympy.stats import E, Normal

    q = [Normal(f"q{i}", 0, 1) for i in range(d_k)]
    k = [Normal(f"k{i}", 0, 1) for i in range(d_k)]
    score = sum(qi * ki for qi, ki in zip(q, k)) / (sympy.sqrt(d_k) if scaled else 1)
    return sympy.expand(E(score**2) - E(score) ** 2)


def attention_variance_statement():
    """Var(q·k/√d_k) and 1."""
    import sympy

    return score_variance(ATTENTION_VARIANCE_WIDTH, scaled=True), sympy.Integer(1)


def prove_attention_variance():
    """The expectation proven equal to 1 by SymPy, and guarded by sampling: the statement has no free
    symbols, so the usual spot check would only re-evaluate SymPy's own answer."""
    from dlcalc.core.proof import Proof, prove_statement

    proof = prove_statement(attention_variance_statement)
    sampled = sampled_score_variance(ATTENTION_VARIANCE_WIDTH, scaled=True)
    method = "sympy.stats expectation + Monte Carlo spot check"
    if proof.proven and abs(sampled - 1.0) < 0.05:
        return Proof(True, method, f"Var = 1 for d_k = {ATTENTION_VARIANCE_WIDTH}; sampled {sampled:.3f}")
    return Proof(False, method, f"{proof.detail}; sampled {sampled:.3f}, not 1")


def sampled_score_variance(d_k, scaled, samples=200_000):
    import numpy as np

    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((2, samples, d_k))
    scores = (q * k).sum(axis=1) / (math.sqrt(d_k) if scaled else 1)
    return float(scores.var())


identity(
    name="attention-scaling",
    section="15.1",
    catalogue_id="TR-ATTN-VAR",
    summary="Why 1/√d_k: for i.i.d. unit-variance q, k, Var(q·k) = d_k, so Var(q·k/√d_k) = 1",
    formula="Var(q·k) = d_k ⇒ Var(q·k/√d_k) = 1",
    latex=r"\mathrm{Var}(q^\top k / \sqrt{d_k}) = 1",
    build=attention_variance_statement,
    prove=prove_attention_variance,
)
