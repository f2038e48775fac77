"""Attention, Transformers and LLMs (the sheet's missing §15.1, §15.2–15.3) and autoregressive
models (the empty §19.6).

Parameter counts follow PyTorch's nn.MultiheadAttention / nn.TransformerEncoderLayer and the
reference implementations of BERT (Hugging Face BertModel with pooler), GPT-2 (tied input and
output embeddings) and ViT (torchvision vit_*), tensor by tensor.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import softmax_rows, finite_array, matrix_result, rounded, the_one_given, vector_result, vector_text
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import AXES, FLAG, FLOAT, INT, MATRIX, VECTOR, Param, Rule, choice, erratum, formula
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


def mha_tensors(d_model, kdim, vdim, bias):
    """nn.MultiheadAttention's tensors {name: size}: the Q, K, V and output projections."""
    tensors = {"q_proj": d_model * d_model, "k_proj": d_model * kdim, "v_proj": d_model * vdim,
               "out_proj": d_model * d_model}
    if bias:
        tensors.update({"in_proj_bias": 3 * d_model, "out_proj_bias": d_model})
    return tensors


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


_E55_LINK = "E55"  # registered in rnn.py: the missing RNN and Transformer counts

_HEADS_DIVIDE = Rule(
    broken=lambda d_model, heads, **_: d_model % heads != 0,
    says=lambda d_model, heads, **_: f"--heads {heads} must divide --d-model {d_model}",
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
    rules=(_HEADS_DIVIDE,),
    errata=(_E55_LINK,),
    examples=(
        ("--d-model 512 --heads 8", "1050624"),
        ("--d-model 768 --heads 12", "2362368"),
        ("--d-model 512 --heads 8 --kdim 256 --vdim 128", "722944"),
        ("--d-model 512 --heads 8 --no-bias", "1048576"),
    ),
)


def ffn_tensors(d_model, d_ff, bias=True):
    tensors = {"ffn_in": d_model * d_ff, "ffn_out": d_ff * d_model}
    if bias:
        tensors.update({"ffn_in_bias": d_ff, "ffn_out_bias": d_model})
    return tensors


def layer_tensors(d_model, d_ff, decoder=False, bias=True):
    """One Transformer layer (post- or pre-norm alike): attention, FFN, LayerNorms (γ and β)."""
    tensors = {f"attn.{k}": v for k, v in mha_tensors(d_model, d_model, d_model, bias).items()}
    norms = 2
    if decoder:  # a second (cross-)attention block with its own LayerNorm
        tensors.update({f"cross_attn.{k}": v for k, v in mha_tensors(d_model, d_model, d_model, bias).items()})
        norms = 3
    tensors.update(ffn_tensors(d_model, d_ff, bias))
    tensors["layer_norms"] = norms * 2 * d_model
    return tensors


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
    rules=(_HEADS_DIVIDE,),
    errata=(_E55_LINK,),
    examples=(
        ("--d-model 512 --heads 8 --d-ff 2048", "3152384"),
        ("--d-model 1024 --heads 16", "12596224", "12d² + 13d"),
        ("--d-model 512 --heads 8 --d-ff 2048 --decoder", "4204032"),
    ),
)


_E64 = erratum(
    "E64",
    title="BERT facts",
    sheet="'a transformer just bigger (24 blocks, 16 heads, 1024 …, 340M)'; 'mask 15% of the total "
    "words'; 'trained on Self-supervised learning & Sentence pair classification'",
    correct="BERT is an encoder-only Transformer; 24/16/1024 is BERT-large with 335,141,888 parameters "
    "(paper: 340M), BERT-base (12/12/768) has 109,482,240; 15 % of WordPiece tokens are selected; the "
    "two pre-training tasks are masked LM and next-sentence prediction, both self-supervised",
    command="dlcalc model-params bert-large",
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


# ---- perplexity ----------------------------------------------------------------------------

_LN = {"e": 1.0, "2": math.log(2)}  # natural log of the base: ln q = log_b q · ln b


def token_log_probs(probs, log_probs, base):
    """Per-token natural logs ln q(x_i∣x_<i) from probabilities or from logs in `base`."""
    if probs != ():
        if any(not 0 < p <= 1 for p in probs):
            raise DlcalcError("--probs must lie in (0, 1]")
        return [math.log(p) for p in probs]
    if any(lp > 0 for lp in log_probs):
        raise DlcalcError("--log-probs must be ≤ 0 (logs of probabilities)")
    return [lp * _LN[base] for lp in log_probs]


_PROBS = Param("probs", VECTOR, "q(x_i∣x_<i) per token", default=())
_LOG_PROBS = Param("log-probs", VECTOR, "log q(x_i∣x_<i) per token (in --base); write --log-probs=-1,-2", default=())
_BASE = Param("base", choice("e", "2"), "base of the logs given (e: nats, 2: bits)", default="e")


def perplexity(nll, log_probs, probs, base):
    source = the_one_given(nll=nll, log_probs=log_probs, probs=probs)
    if source == "nll":
        if nll < 0:
            raise DlcalcError("--nll must be ≥ 0")
        nats = nll * _LN[base]
    else:
        logs = token_log_probs(probs, log_probs, base)
        nats = -sum(logs) / len(logs)
    value = rounded(math.exp(nats))
    bits = nats / math.log(2)
    warnings = []
    sheet = 2**nats
    if source == "probs" or base == "e":  # the sheet's 2^H is right only for H in bits
        warnings.append(f"the sheet's 2^H with H in nats gives {rounded(sheet)}, not {value} (E62)")
    return Result(
        value=value,
        steps=[f"H = {rounded(nats)} nats = {rounded(bits)} bits per token", f"PPL = e^H = 2^(H in bits) = {value}"],
        warnings=warnings,
        extra={"cross_entropy_nats": rounded(nats), "cross_entropy_bits": rounded(bits),
               "sheet_2_pow_H_nats": rounded(sheet)},
    )


_E62 = erratum(
    "E62",
    title="perplexity base",
    sheet="PPL(X) = 2^{H(p,q)} with H = −(1/N)Σ log q(x_i), log unspecified",
    correct="PPL = exp(−(1/N)Σ ln q(x_i∣x_{<i})) = 2^{−(1/N)Σ log₂ q(x_i∣x_{<i})}: the base of the power "
    "must match the base of the log; ML code uses ln, so PPL = e^H",
    command="dlcalc perplexity --probs 0.02,0.02,0.02",
)
_E63 = erratum(
    "E63",
    title="perplexity indices",
    sheet="X = (x_0, …, x_t), 't is the sequence length', then 'N is the sequence length'; q(x_i)",
    correct="one length N and conditional probabilities q(x_i∣x_{<i})",
    command="dlcalc perplexity --log-probs=-1,-2,-3",
)

formula(
    name="perplexity",
    section="15.2",
    catalogue_id="LLM-PPL",
    summary="Perplexity from a mean NLL, per-token log-probabilities or token probabilities",
    params=(
        Param("nll", FLOAT, "mean negative log-likelihood per token (in --base)", default=()),
        _LOG_PROBS,
        _PROBS,
        _BASE,
    ),
    formula="PPL = exp(−(1/N)Σ ln q(x_i∣x_<i)) = 2^(−(1/N)Σ log₂ q(x_i∣x_<i)) = (Π q)^(−1/N)",
    latex=r"\mathrm{PPL} = \exp\Big(-\frac1N\sum_i \ln q(x_i\mid x_{<i})\Big)",
    compute=perplexity,
    errata=(_E62, _E63),
    sheet_says="PPL = 2^H with H in an unspecified log",
    examples=(
        ("--probs 0.02,0.02,0.02", "50.0", "uniform over 50 tokens; the sheet's 2^H gives 15.05"),
        ("--nll 2.302585092994046", "10.0"),
        ("--nll 3.321928094887362 --base 2", "10.0"),
        ("--log-probs=-1,-2,-3", "7.38905609893", "e²"),
    ),
)


def logit_log_probs(logits, targets):
    """ln softmax(logits_i)[target_i] for each row i (the way language models score a sequence)."""
    import numpy as np

    rows = finite_array(logits, "--logits")
    if len(targets) != rows.shape[0]:
        raise DlcalcError(f"--targets needs one token id per row of --logits ({rows.shape[0]}), got {len(targets)}")
    ids = [int(t) for t in targets]
    if any(t != i or not 0 <= i < rows.shape[1] for t, i in zip(targets, ids)):
        raise DlcalcError(f"--targets must be token ids 0..{rows.shape[1] - 1}")
    peak = rows.max(axis=1, keepdims=True)
    log_softmax = rows - peak - np.log(np.exp(rows - peak).sum(axis=1, keepdims=True))
    return [float(log_softmax[i, t]) for i, t in enumerate(ids)]


def lm_cross_entropy(log_probs, probs, logits, targets, base, unit):
    source = the_one_given(log_probs=log_probs, probs=probs, logits=logits)
    if source == "logits":
        logs = logit_log_probs(logits, targets)
    elif targets != ():
        raise DlcalcError("--targets goes with --logits")
    else:
        logs = token_log_probs(probs, log_probs, base)
    nats = -sum(logs) / len(logs)
    value = nats if unit == "nats" else nats / math.log(2)
    return Result(value=rounded(value),
                  steps=[f"H = −(1/N) Σ_i ln q(x_i∣x_<i) over N = {len(logs)} tokens = {rounded(nats)} nats "
                         f"= {rounded(nats / math.log(2))} bits",
                         f"perplexity e^H = {rounded(math.exp(nats))}"],
                  extra={"token_log_probs": rounded(logs), "perplexity": rounded(math.exp(nats)),
                         "total_nll_nats": rounded(-sum(logs))})


formula(
    name="lm-cross-entropy",
    section="15.2",
    catalogue_id="LLM-CE LLM-GPT",
    summary="Language-model cross-entropy per token H = −(1/N)Σ log q(x_i∣x_<i), from probabilities or logits",
    params=(
        _LOG_PROBS,
        _PROBS,
        Param("logits", MATRIX, "the model's logits, one row per position (N×V)", default=()),
        Param("targets", VECTOR, "with --logits: the token id x_i at each position (0-based)", default=()),
        _BASE,
        Param("unit", choice("nats", "bits"), "unit of the answer", default="nats"),
    ),
    formula="H = −(1/N) Σ_{i=1}^{N} log q(x_i∣x_<i);  q = softmax(logits_i)",
    latex=r"H = -\frac1N\sum_{i=1}^{N}\log q(x_i\mid x_{<i})",
    compute=lm_cross_entropy,
    errata=(_E63,),
    sheet_says="H(p, q) = −(1/N) Σ log q(x_i) with two different lengths",
    examples=(
        ("--probs 0.5,0.25", "1.03972077084", "(ln 2 + ln 4)/2 = 1.5 ln 2"),
        ("--probs 0.5,0.25 --unit bits", "1.5"),
        ("--logits '0,0;0,0' --targets 0,1", "0.69314718056", "uniform over 2 tokens: ln 2"),
    ),
    notes="e^H is `perplexity` (--json adds it). The causal LM loss (LLM-GPT) is N·H.",
)


def noisy_channel(lm, channel):
    import numpy as np

    prior, likelihood = np.array(lm, dtype=float), np.array(channel, dtype=float)
    if prior.shape != likelihood.shape:
        raise DlcalcError(f"--lm and --channel need one value per candidate, got {prior.size} and {likelihood.size}")
    if np.any(prior < 0) or np.any(likelihood < 0) or np.any(likelihood > 1):
        raise DlcalcError("--lm must be non-negative and --channel must lie in [0, 1]")
    scores = prior * likelihood
    if scores.sum() == 0:
        raise DlcalcError("every candidate has Pr(source∣target)·Pr(target) = 0")
    posterior, best = scores / scores.sum(), int(np.argmax(scores))
    steps = ["Pr(target∣source) ∝ Pr(source∣target)·Pr(target); decode argmax_target of the product",
             f"scores {vector_text(scores)}; candidate {best} wins"]
    if int(np.argmax(likelihood)) != best:
        steps.append(f"the channel alone would pick candidate {int(np.argmax(likelihood))}: the language model's "
                     "prior changes the decision")
    return Result(value={"best": best, "posterior": rounded(posterior)},
                  plain=f"best={best} posterior={vector_text(posterior)}", steps=steps,
                  extra={"scores": rounded(scores), "channel_only_best": int(np.argmax(likelihood))})


formula(
    name="noisy-channel",
    section="15.2",
    catalogue_id="LLM-NOISYCH",
    summary="Noisy-channel decoding: Pr(target∣source) ∝ Pr(source∣target)·Pr(target) over candidates",
    params=(
        Param("lm", VECTOR, "language-model probability Pr(target) of each candidate (need not sum to 1)"),
        Param("channel", VECTOR, "channel probability Pr(source∣target) of each candidate"),
    ),
    formula="t̂ = argmax_t Pr(s∣t)·Pr(t);  Pr(t∣s) = Pr(s∣t)Pr(t) / Σ_t' Pr(s∣t')Pr(t')",
    latex=r"\hat t = \arg\max_t \Pr(s\mid t)\Pr(t)",
    compute=noisy_channel,
    examples=(
        ("--lm 0.02,0.001 --channel 0.1,0.5", "best=0 posterior=0.8,0.2",
         "0.002 vs 0.0005: the fluent candidate wins though the channel prefers candidate 1"),
    ),
    notes="Candidates are numbered from 0. The posterior is over the candidates given (renormalised).",
)


# ---- Vision Transformer tokens -----------------------------------------------------------------


def vit_tokens(image, patch, channels, d_model, no_cls):
    if len(image) > 2:
        raise DlcalcError(f"--image: expected H,W or one value, got {len(image)} values")
    height, width = (image * 2)[:2] if len(image) == 1 else image
    if height % patch or width % patch:
        raise DlcalcError(f"--patch {patch} must divide the image size {height}×{width}")
    patches = (height // patch) * (width // patch)
    patch_dim = patch * patch * channels
    value = {"tokens": patches + (0 if no_cls else 1), "patch_dim": patch_dim,
             "projection": f"{d_model}x{patch_dim}"}
    return Result(
        value=value,
        steps=[f"N = HW/p² = {height}·{width}/{patch}² = {patches} patches"
               + ("" if no_cls else " + 1 [CLS]"),
               f"vec(patch) ∈ ℝ^(p²q) = ℝ^{patch_dim}; V ∈ ℝ^({d_model}×{patch_dim}) "
               f"(the sheet's p·q² = {patch * channels * channels})"],
        extra={"patches": patches, "projection_params": d_model * patch_dim + d_model,
               "sheet_patch_dim": patch * channels * channels},
    )


_E65 = erratum(
    "E65",
    title="ViT patch projection dimensions",
    sheet="p^i ∈ ℝ^{p×p×q} ↦ x^i = V vec(p^i) ∈ ℝⁿ, V ∈ ℝ^{n×(pq²)}",
    correct="vec(p^i) ∈ ℝ^{p²q}, so V ∈ ℝ^{n×(p²q)}: 768 for 16×16×3 patches, not 144",
    command="dlcalc vit-tokens --image 224 --patch 16 --channels 3 --d-model 768",
)

formula(
    name="vit-tokens",
    section="15.3",
    catalogue_id="LLM-VIT-TOK",
    summary="ViT: number of patch tokens and the shape of the patch projection V",
    params=(
        Param("image", AXES, "image size H,W (or one value for square)", minimum=1),
        Param("patch", INT, "patch side p", minimum=1),
        Param("channels", INT, "channels q", default=3, minimum=1),
        Param("d-model", INT, "embedding width n", default=768, minimum=1),
        Param("no-cls", FLAG, "no [CLS] token", default=False),
    ),
    formula="N = HW/p² (+1 [CLS]); V ∈ ℝ^{n×(p²q)}",
    latex=r"N = \frac{HW}{p^2},\quad V \in \mathbb{R}^{n \times p^2 q}",
    compute=vit_tokens,
    errata=(_E65,),
    sheet_says="V ∈ ℝ^{n×(pq²)}",
    examples=(
        ("--image 224 --patch 16", "tokens=197 patch_dim=768 projection=768x768"),
        ("--image 384,384 --patch 32 --d-model 1024 --no-cls", "tokens=144 patch_dim=3072 projection=1024x3072"),
    ),
)


# ---- BERT masking --------------------------------------------------------------------------


def bert_mask(rate, split, tokens):
    if len(split) != 3 or any(s < 0 for s in split) or abs(sum(split) - 1) > 1e-9:
        raise DlcalcError("--split needs three non-negative shares (mask, random, unchanged) summing to 1")
    fractions = {name: rounded(rate * share) for name, share in zip(("mask", "random", "unchanged"), split)}
    extra = {}
    if tokens:
        extra["expected_tokens"] = {k: rounded(v * tokens) for k, v in fractions.items()}
    return Result(
        value=fractions, extra=extra,
        steps=[f"{rate:g} of all tokens are selected; of those {split[0]:g} → [MASK], {split[1]:g} → a "
               f"random token, {split[2]:g} kept", "fractions of all tokens: "
               + ", ".join(f"{k} {v:g}" for k, v in fractions.items())],
    )


formula(
    name="bert-mask",
    section="15.2",
    catalogue_id="LLM-BERT-MASK",
    summary="BERT masked-LM corruption: fractions of all tokens masked, randomised, kept",
    params=(
        Param("rate", FLOAT, "fraction of tokens selected", default=0.15, minimum=0),
        Param("split", VECTOR, "shares of the selected: mask, random, unchanged", default=(0.8, 0.1, 0.1)),
        Param("tokens", INT, "sequence length, for expected counts", default=0, minimum=0),
    ),
    formula="mask = r·s₁, random = r·s₂, unchanged = r·s₃ of all tokens",
    latex=r"(r s_1,\ r s_2,\ r s_3)",
    compute=bert_mask,
    errata=(_E64,),
    rules=(Rule(broken=lambda rate, **_: rate > 1, says=lambda rate, **_: f"--rate must be at most 1, got {rate}"),),
    examples=(
        ("", "mask=0.12 random=0.015 unchanged=0.015", "Devlin et al. 2019"),
        ("--rate 0.15 --tokens 512", "mask=0.12 random=0.015 unchanged=0.015"),
    ),
)


# ---- autoregressive models (§19.6) -------------------------------------------------------------


_E61 = erratum(
    "E61",
    title="teacher forcing",
    sheet="feed the ground truth text vector z_{t−1} as input to step t",
    correct="feed the ground-truth token (y_{t−1}, or x_t for language modelling) instead of the model's "
    "prediction ŷ_{t−1}; z_{t−1} is the hidden state. The training loss is then Σ_t −log p(x_t∣x_<t) "
    "with true prefixes",
    command="dlcalc seq-logprob --probs 0.5,0.25,0.5",
)


def sequence_log_prob(probs, log_probs, base):
    the_one_given(probs=probs, log_probs=log_probs)
    nats = token_log_probs(probs, log_probs, base)
    total = sum(nats)
    return Result(
        value=rounded(total),
        steps=[f"log p(x) = Σ_i log p(x_i∣x_<i) = {rounded(total)} nats = {rounded(total / math.log(2))} bits",
               f"p(x) = {rounded(math.exp(total)):g}"],
        extra={"log_prob_bits": rounded(total / math.log(2)), "prob": rounded(math.exp(total)),
               "nll_per_token": rounded(-total / len(nats))},
    )


formula(
    name="seq-logprob",
    section="19.6",
    catalogue_id="AR-CHAIN RNN-AR",
    summary="Log-probability of a sequence by the chain rule: Σ log p(x_i∣x_<i) (in nats)",
    params=(
        _PROBS,
        _LOG_PROBS,
        _BASE,
    ),
    formula="log p(x_1..x_T) = Σ_t log p(x_t∣x_<t)",
    latex=r"\log p(x) = \sum_t \log p(x_t \mid x_{<t})",
    compute=sequence_log_prob,
    errata=(_E61,),
    examples=(
        ("--probs 0.5,0.25,0.5", "-2.77258872224", "ln(1/16)"),
        ("--log-probs=-1,-3 --base 2", "-2.77258872224", "−4 bits"),
    ),
)


def sampling_distribution(logits, temperature, top_k, top_p):
    import numpy as np

    probs = softmax_rows(np.array(logits, dtype=float) / temperature)
    order = np.argsort(-probs, kind="stable")
    keep = np.zeros(len(probs), dtype=bool)
    limit = top_k or len(probs)
    cumulative = 0.0
    for rank, index in enumerate(order[:limit]):
        # top-p keeps the smallest prefix whose mass reaches p (the token crossing p is kept)
        if rank > 0 and cumulative >= top_p - 1e-12:
            break
        keep[index] = True
        cumulative += probs[index]
    truncated = np.where(keep, probs, 0.0)
    truncated /= truncated.sum()
    return vector_result(truncated,
                         steps=[f"softmax(z/{temperature:g}) = {vector_text(probs)}",
                                f"kept {int(keep.sum())} of {len(probs)} tokens (top-k {top_k or 'off'}, "
                                f"top-p {top_p:g}), renormalised"],
                         extra={"before_truncation": rounded(probs), "kept": int(keep.sum())})


formula(
    name="sampling-probs",
    section="19.6",
    catalogue_id="AR-SAMPLE",
    summary="Next-token distribution with temperature, top-k and top-p (nucleus) truncation",
    params=(
        Param("logits", VECTOR, "logits z over the vocabulary"),
        Param("temperature", FLOAT, "temperature T > 0", default=1.0, aliases=("T",)),
        Param("top-k", INT, "keep the k most likely tokens (0: all)", default=0, minimum=0),
        Param("top-p", FLOAT, "keep the smallest set with mass ≥ p", default=1.0),
    ),
    formula="p = softmax(z/T); keep the top-k / smallest nucleus with mass ≥ p; renormalise",
    latex=r"p_i \propto \exp(z_i/T)\ \text{on the kept set}",
    compute=sampling_distribution,
    rules=(
        Rule(broken=lambda temperature, **_: temperature <= 0,
             says=lambda temperature, **_: f"--temperature must be > 0, got {temperature}"),
        Rule(broken=lambda top_p, **_: (top_p <= 0) | (top_p > 1),
             says=lambda top_p, **_: f"--top-p must lie in (0, 1], got {top_p}"),
    ),
    examples=(
        ("--logits 0,0,0,0", "0.25,0.25,0.25,0.25"),
        ("--logits 2,1,0 --top-k 2", "0.73105857863,0.26894142137,0.0", "σ(1) and 1 − σ(1)"),
        ("--logits 0,0 --temperature 0.5", "0.5,0.5"),
        ("--logits 3,2,1,0 --top-p 0.8", "0.73105857863,0.26894142137,0.0,0.0", "the nucleus is the first two"),
    ),
)


# ---- ELMo ---------------------------------------------------------------------------------------


def elmo_mix(h, w, gamma):
    import numpy as np

    layers = finite_array(h, "--h")
    layers = layers[:, None] if layers.ndim == 1 else layers
    weights = np.array(w, dtype=float)
    if weights.shape != (layers.shape[0],):
        raise DlcalcError(f"--w needs one weight per layer representation ({layers.shape[0]} rows of --h)")
    s = softmax_rows(weights)
    mixed = gamma * s @ layers
    return vector_result(mixed,
                         steps=[f"s = softmax(w) = {vector_text(s)};  ELMo = γ Σ_j s_j h_j with γ = {gamma:g}",
                                f"{layers.shape[0]} representations: an L-layer biLM gives 2L + 1 per token "
                                "(token layer + forward and backward states per layer)"],
                         extra={"s": rounded(s)})


formula(
    name="elmo-mix",
    section="15.2",
    catalogue_id="LLM-ELMO",
    summary="ELMo's task-specific mix γ Σ_j softmax(w)_j h_j of a biLM's layer representations",
    params=(
        Param("h", MATRIX, "layer representations h_0..h_L, one row each"),
        Param("w", VECTOR, "unnormalised layer weights (softmax-normalised to s)"),
        Param("gamma", FLOAT, "scale γ", default=1.0),
    ),
    formula="ELMo_k = γ Σ_{j=0}^{L} s_j h_{k,j}, s = softmax(w)",
    latex=r"\mathrm{ELMo}_k = \gamma \sum_{j=0}^{L} s_j h_{k,j}",
    compute=elmo_mix,
    examples=(("--h '1,0;0,1;1,1' --w 0,0,0 --gamma 3", "2.0,2.0", "equal weights: 3·(2/3, 2/3)"),),
)


# ---- positional encodings ----------------------------------------------------------------------


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
        Param("pos", INT, "position", minimum=0),
        Param("d-model", INT, "model width d (even)", minimum=2),
        Param("base", FLOAT, "frequency base", default=10000.0, minimum=1e-300),
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


def sinusoidal_shift_statement(variant="correct"):
    """(lhs, rhs) for one frequency pair of the sinusoidal encoding: PE(pos+k) = R_k PE(pos).

    correct R_k = [[cos ωk, sin ωk], [−sin ωk, cos ωk]] acting on (sin ωp, cos ωp);
    'transposed' uses Rᵀ, which is wrong (a test feeds it to see it refuted)."""
    import sympy

    pos, k = sympy.symbols("pos k", real=True)
    w = sympy.Symbol("omega", positive=True)
    pe = sympy.Matrix([sympy.sin(w * pos), sympy.cos(w * pos)])
    rotation = sympy.Matrix([[sympy.cos(w * k), sympy.sin(w * k)], [-sympy.sin(w * k), sympy.cos(w * k)]])
    if variant == "transposed":
        rotation = rotation.T
    shifted = pe.subs(pos, pos + k)
    return shifted, rotation * pe


def prove_sinusoidal_shift(variant="correct"):
    from dlcalc.core.proof import prove_matrices_equal

    shifted, rotated = sinusoidal_shift_statement(variant)
    return prove_matrices_equal(shifted.applyfunc(lambda e: e.expand(trig=True)), rotated, method="trigsimp")


formula(
    name="sinusoidal-pe-shift",
    section="15.1",
    catalogue_id="TR-PE",
    summary="Sinusoidal positional encodings: PE(pos + k) = R_k·PE(pos), a rotation per frequency",
    params=(),
    formula="(sin ω(p+k), cos ω(p+k)) = [[cos ωk, sin ωk], [−sin ωk, cos ωk]]·(sin ωp, cos ωp)",
    latex=r"PE_{pos+k} = R_k\,PE_{pos}",
    kind="identity",
    prove=prove_sinusoidal_shift,
)


def attention_variance_statement(d_k=3, scaled=True):
    """(lhs, rhs): Var(q·k/√d_k) for q, k with i.i.d. N(0,1) entries, and the claimed value 1.

    Var(q·k) = Σ E[q_i²]E[k_i²] = d_k (zero mean, independent); so the scaled variance is 1.
    With scaled=False the claim Var(q·k) = 1 is refuted."""
    import sympy
    from sympy.stats import E, Normal

    q = [Normal(f"q{i}", 0, 1) for i in range(d_k)]
    k = [Normal(f"k{i}", 0, 1) for i in range(d_k)]
    score = sum(qi * ki for qi, ki in zip(q, k)) / (sympy.sqrt(d_k) if scaled else 1)
    variance = sympy.expand(E(score**2) - E(score) ** 2)
    return variance, sympy.Integer(1)


def prove_attention_variance(d_k=3, scaled=True):
    from dlcalc.core.proof import Proof

    variance, claimed = attention_variance_statement(d_k, scaled)
    sampled = sampled_score_variance(d_k, scaled)
    method = "sympy.stats expectation + Monte Carlo spot check"
    if sympy_equal(variance, claimed) and abs(sampled - float(claimed)) < 0.05:
        return Proof(True, method, f"Var = {variance} for d_k = {d_k}; sampled {sampled:.3f}")
    return Proof(False, method, f"variance is {variance} (sampled {sampled:.3f}), not {claimed}")


def sampled_score_variance(d_k, scaled, samples=200_000):
    import numpy as np

    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((2, samples, d_k))
    scores = (q * k).sum(axis=1) / (math.sqrt(d_k) if scaled else 1)
    return float(scores.var())


def sympy_equal(a, b):
    import sympy

    return sympy.simplify(a - b) == 0


formula(
    name="attention-scaling",
    section="15.1",
    catalogue_id="TR-ATTN-VAR",
    summary="Why 1/√d_k: for i.i.d. unit-variance q, k, Var(q·k) = d_k, so Var(q·k/√d_k) = 1",
    params=(),
    formula="Var(q·k) = d_k ⇒ Var(q·k/√d_k) = 1",
    latex=r"\mathrm{Var}(q^\top k / \sqrt{d_k}) = 1",
    kind="identity",
    prove=prove_attention_variance,
)
