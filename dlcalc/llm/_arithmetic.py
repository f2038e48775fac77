"""The pure arithmetic of a Model: parameters by component, FLOPs as torch's FlopCounterMode counts the
Hugging Face eager implementation, KV cache, memory (Korthikanti et al. 2022; ZeRO, Rajbhandari et al.
2019), MFU (PaLM, Chowdhery et al. 2022, App. B) and the Chinchilla fits. Python ints where exact.
"""

from __future__ import annotations

from dataclasses import dataclass

from dlcalc.core.errors import DlcalcError
from dlcalc.llm._model import Model

# ---- parameters ---------------------------------------------------------------------------------


def _norm(model: Model, width: int) -> int:
    return 2 * width if model.layer_norm else width  # LayerNorm: weight and bias; RMSNorm: weight


def attention_params(model: Model) -> dict[str, int]:
    d, q, kv = model.d_model, model.q_dim, model.kv_dim
    bias = model.qkv_bias
    return {"q": d * q + bias * q, "k": d * kv + bias * kv, "v": d * kv + bias * kv, "o": q * d + model.o_bias * d}


def mlp_params(model: Model) -> int:
    """One dense MLP (or one expert): gated = gate, up, down; plain = fc_in, fc_out."""
    d, ff, bias = model.d_model, model.d_ff, model.mlp_bias
    if model.gated_mlp:
        return 3 * d * ff + bias * (2 * ff + d)
    return 2 * d * ff + bias * (ff + d)


def layer_components(model: Model) -> dict[str, int]:
    """Parameters of one decoder layer, by component."""
    parts = {f"attention.{k}": v for k, v in attention_params(model).items()}
    if model.experts:
        parts["experts"] = model.experts * mlp_params(model)
        parts["router"] = model.d_model * model.experts
    else:
        parts["mlp"] = mlp_params(model)
    parts["norms"] = model.norms_per_layer * _norm(model, model.d_model)
    return parts


def components(model: Model) -> dict[str, int]:
    """The whole model by component; every value is a sum of tensor sizes of the HF module."""
    e, d = model.embedding_width, model.d_model
    layer = layer_components(model)
    parts = {"embedding": model.vocab * e, "position_embedding": model.positions * d}
    if model.embed_dim:  # OPT's project_in and project_out (no bias)
        parts["projections"] = 2 * e * d
    parts.update({k: model.layers * v for k, v in layer.items()})
    parts["final_norm"] = _norm(model, d) if model.final_norm else 0
    parts["lm_head"] = 0 if model.tied else model.vocab * e
    return parts


def inactive_params(model: Model) -> int:
    """Parameters a token does not use: the experts it is not routed to."""
    if not model.experts:
        return 0
    return model.layers * (model.experts - model.experts_per_token) * mlp_params(model)


@dataclass(frozen=True)
class ParamCount:
    total: int
    embedding: int
    lm_head: int
    position_embedding: int
    non_embedding: int
    active: int
    components: dict[str, int]


def count_params(model: Model) -> ParamCount:
    parts = components(model)
    total = sum(parts.values())
    embedding, head, positions = parts["embedding"], parts["lm_head"], parts["position_embedding"]
    return ParamCount(total, embedding, head, positions, total - embedding - head - positions,
                      total - inactive_params(model), parts)


# ---- FLOPs (2 per multiply-add, matrix products only) ---------------------------------------------


def matmul_flop_terms(tokens, keys, layers, d_model, q_width, kv_width, d_ff, mlp_matrices, vocab,
                      experts_used=1, experts=0):
    """FLOPs of the matrix products of ``tokens`` new tokens attending to ``keys`` keys, by component.
    Plain arithmetic, so that NumPy arrays (batch rows) work as numbers do."""
    return {
        "attention_projections": 2 * tokens * layers * d_model * (2 * q_width + 2 * kv_width),
        "mlp": 2 * tokens * layers * experts_used * mlp_matrices * d_model * d_ff,
        "router": 2 * tokens * layers * d_model * experts,
        # QKᵀ and A·V over every query head: the full score matrix (the causal mask saves no work
        # in the eager implementation)
        "attention_core": 4 * layers * tokens * keys * q_width,
        "lm_head": 2 * tokens * d_model * vocab,
    }


def forward_flops(model: Model, context: int, *, decode: bool = False) -> dict[str, int]:
    """Components of one forward pass over ``context`` tokens (the full score matrix, even with a sliding
    window, which only masks it), or (decode) of one new token after ``context`` tokens, which attends
    to the cached ones and itself."""
    tokens = 1 if decode else context
    keys = cached_tokens(context, model.sliding_window) + 1 if decode else context
    terms = matmul_flop_terms(tokens, keys, model.layers, model.d_model,
                              model.q_dim, model.kv_dim, model.d_ff, 3 if model.gated_mlp else 2, model.vocab,
                              model.experts_per_token or 1, model.experts)
    terms["lm_head"] = 2 * tokens * model.embedding_width * model.vocab
    if model.embed_dim:  # OPT's project_in and project_out
        terms["projections"] = 2 * tokens * 2 * model.embed_dim * model.d_model
    if model.experts:
        terms["experts"] = terms.pop("mlp")
    else:
        del terms["router"]
    return terms


BACKWARD_FACTOR = 2  # every matrix product's backward is two products of its size (input and weight grads)


# ---- KV cache -----------------------------------------------------------------------------------

DTYPE_BYTES = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "int8": 1.0, "int4": 0.5}


def kv_values_per_token(model: Model) -> int:
    """Values cached per token: a key and a value of kv_heads·head_dim in every layer."""
    return 2 * model.layers * model.kv_dim


def cached_tokens(context: int, window: int) -> int:
    """Tokens a cache holds after ``context`` tokens: with a sliding window W the next token attends to
    itself and W − 1 earlier ones, so W − 1 are kept (as Hugging Face's sliding-window cache does)."""
    return min(context, window - 1) if window else context


# ---- memory -------------------------------------------------------------------------------------

# Bytes of optimizer state per trained parameter (EleutherAI, "Transformer Math 101"): with 16-bit
# mixed precision the fp32 master copy (4 bytes) is counted here; in fp32 training there is none.
OPTIMIZER_BYTES_MIXED = {"adamw": 12, "adam8bit": 6, "sgd-momentum": 8, "sgd": 4}
OPTIMIZER_BYTES_FP32 = {"adamw": 8, "adam8bit": 2, "sgd-momentum": 4, "sgd": 0}


def korthikanti_per_layer(s: int, b: int, h: int, a: int, *, tp: int = 1, sp: bool = False,
                          recompute: str = "none", flash: bool = False) -> float:
    """Activation bytes of one Transformer layer (Korthikanti et al. 2022, Table 2), 16-bit:
    sbh(34 + 5as/h) unsplit; sbh(10 + 24/t + 5as/(ht)) with tensor parallelism; sbh/t·(34 + 5as/h)
    with sequence parallelism too. Selective recomputation (and a fused attention that never stores
    the scores, --flash) drops the 5as/h term; full recomputation keeps only the layer input 2sbh."""
    sbh = s * b * h
    if recompute == "full":
        return 2 * sbh / (tp if sp else 1)
    scores = 0 if (recompute == "selective" or flash) else 5 * a * s / h
    if sp:
        return sbh * (34 + scores) / tp
    return sbh * (10 + 24 / tp + scores / tp)


def zero_partition(stage: int, data_parallel: int) -> tuple[int, int, int]:
    """Divisors of (weights, gradients, optimizer states) under ZeRO stage 0..3."""
    n = data_parallel
    return {0: (1, 1, 1), 1: (1, 1, n), 2: (1, n, n), 3: (n, n, n)}[stage]


def lora_params(model: Model, rank: int) -> int:
    """LoRA adapters A (r×in) and B (out×r) on every attention and MLP projection of every layer."""
    d, q, kv, ff = model.d_model, model.q_dim, model.kv_dim, model.d_ff
    pairs = [(d, q), (d, kv), (d, kv), (q, d)]
    mlp = [(d, ff), (d, ff), (ff, d)] if model.gated_mlp else [(d, ff), (ff, d)]
    per_expert = sum(rank * (i + o) for i, o in mlp)
    return model.layers * (sum(rank * (i + o) for i, o in pairs) + per_expert * max(model.experts, 1))


# ---- MFU ----------------------------------------------------------------------------------------


def palm_flops_per_token(params: float, attention: float, *, recompute: bool = False) -> float:
    """PaLM App. B: 6N + 12·L·H·Q·T per token; with full recomputation the forward runs twice:
    8N + 16·L·H·Q·T (``attention`` is L·H·Q·T)."""
    return (8 if recompute else 6) * params + (16 if recompute else 12) * attention


# ---- scaling laws -------------------------------------------------------------------------------

# L(N, D) = E + A/N^α + B/D^β. chinchilla: Hoffmann et al. 2022, approach 3 (eq. 10);
# epoch: Besiroglu et al. 2024, "Chinchilla Scaling: A replication attempt", their refit (eq. 4).
FITS = {
    "chinchilla": {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28},
    "epoch": {"E": 1.8172, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658},
}


def predicted_loss(fit: dict[str, float], params: float, tokens: float) -> float:
    return fit["E"] + fit["A"] / params ** fit["alpha"] + fit["B"] / tokens ** fit["beta"]


def compute_optimal(fit: dict[str, float], compute: float) -> tuple[float, float]:
    """argmin L(N, D) subject to 6ND = C (Hoffmann et al. eq. 4):
    N = G·(C/6)^(β/(α+β)), D = (C/6)/N, G = (αA/(βB))^(1/(α+β))."""
    a, b = fit["alpha"], fit["beta"]
    g = (a * fit["A"] / (b * fit["B"])) ** (1 / (a + b))
    params = g * (compute / 6) ** (b / (a + b))
    return params, compute / 6 / params


def check_positive(**values: float) -> None:
    for name, value in values.items():
        if not value > 0:
            raise DlcalcError(f"--{name.replace('_', '-')} must be > 0, got {value}")
