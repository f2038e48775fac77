"""Helpers shared by the transformers* modules (not a catalogue area: it declares no formula): the
tensors of attention, feed-forward and whole layers as PyTorch builds them, the heads rule, and
per-token log-probabilities for perplexity and sequence scores."""

from __future__ import annotations

import math

from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import VECTOR, Param, Rule, choice

E55_LINK = "E55"  # registered by rnn_params: the missing RNN and Transformer counts


def mha_tensors(d_model, kdim, vdim, bias):
    """nn.MultiheadAttention's tensors {name: size}: the Q, K, V and output projections."""
    tensors = {"q_proj": d_model * d_model, "k_proj": d_model * kdim, "v_proj": d_model * vdim,
               "out_proj": d_model * d_model}
    if bias:
        tensors.update({"in_proj_bias": 3 * d_model, "out_proj_bias": d_model})
    return tensors


HEADS_DIVIDE = Rule(
    broken=lambda d_model, heads, **_: d_model % heads != 0,
    says=lambda d_model, heads, **_: f"--heads {heads} must divide --d-model {d_model}",
)


def ffn_tensors(d_model, d_ff, bias=True):
    tensors = {"ffn_in": d_model * d_ff, "ffn_out": d_ff * d_model}
    if bias:
        tensors.update({"ffn_in_bias": d_ff, "ffn_out_bias": d_model})
    return tensors


def layer_tensors(d_model, d_ff, decoder=False, bias=True):
    """One Transformer layer (post- or pre-norm alike): attention, FFN, LayerNorms (γ, and β unless
    bias=False: nn.TransformerEncoderLayer/DecoderLayer(bias=False) drop the LayerNorm biases too)."""
    tensors = {f"attn.{k}": v for k, v in mha_tensors(d_model, d_model, d_model, bias).items()}
    norms = 2
    if decoder:  # a second (cross-)attention block with its own LayerNorm
        tensors.update({f"cross_attn.{k}": v for k, v in mha_tensors(d_model, d_model, d_model, bias).items()})
        norms = 3
    tensors.update(ffn_tensors(d_model, d_ff, bias))
    tensors["layer_norms"] = norms * (2 if bias else 1) * d_model
    return tensors


LN_OF_BASE = {"e": 1.0, "2": math.log(2)}  # natural log of the base: ln q = log_b q · ln b


def token_log_probs(probs, log_probs, base):
    """Per-token natural logs ln q(x_i∣x_<i) from probabilities or from logs in `base`."""
    if probs != ():
        if any(not 0 < p <= 1 for p in probs):
            raise DlcalcError("--probs must lie in (0, 1]")
        return [math.log(p) for p in probs]
    if any(lp > 0 for lp in log_probs):
        raise DlcalcError("--log-probs must be ≤ 0 (logs of probabilities)")
    return [lp * LN_OF_BASE[base] for lp in log_probs]


PROBS = Param("probs", VECTOR, "q(x_i∣x_<i) per token", default=())
LOG_PROBS = Param("log-probs", VECTOR, "log q(x_i∣x_<i) per token (in --base); write --log-probs=-1,-2", default=())
BASE = Param("base", choice("e", "2"), "base of the logs given (e: nats, 2: bits)", default="e")
