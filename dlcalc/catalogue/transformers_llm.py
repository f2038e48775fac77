"""Language models (the sheet's §15.2–15.3): perplexity and cross-entropy per token, noisy-channel
decoding, BERT's masking, ELMo's layer mix, and ViT's patch tokens."""

from __future__ import annotations

import math

from dlcalc.catalogue._common import finite_array, rounded, softmax_rows, the_one_given, vector_result, vector_text
from dlcalc.catalogue._transformers import BASE, LN_OF_BASE, LOG_PROBS, PROBS, token_log_probs
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import AXES, FLAG, FLOAT, INT, MATRIX, VECTOR, Param, Rule, choice, erratum, formula
from dlcalc.core.result import Result

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

# ---- perplexity ----------------------------------------------------------------------------



# e^H is a float only up to H = ln(largest float) ≈ 709.78 nats (1024 bits); beyond it the answer
# does not fit, and saying so beats printing inf.
MAX_NATS = math.log(1.7976931348623157e308)


def exp_of_nats(nats, what):
    """e^nats, or a one-line error when it would overflow a float."""
    if nats > MAX_NATS:
        raise DlcalcError(f"{what} e^H overflows a float: H = {nats:.6g} nats per token, at most "
                          f"{MAX_NATS:.6g} (1024 bits)")
    return math.exp(nats)


def perplexity(nll, log_probs, probs, base):
    source = the_one_given(nll=nll, log_probs=log_probs, probs=probs)
    if source == "nll":
        if nll < 0:
            raise DlcalcError("--nll must be ≥ 0")
        nats = nll * LN_OF_BASE[base]
    else:
        logs = token_log_probs(probs, log_probs, base)
        nats = -sum(logs) / len(logs)
    value = rounded(exp_of_nats(nats, "the perplexity"))
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
        LOG_PROBS,
        PROBS,
        BASE,
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
    ppl = rounded(math.exp(nats)) if nats <= MAX_NATS else None  # the answer is H; e^H may not fit a float
    return Result(value=rounded(value),
                  steps=[f"H = −(1/N) Σ_i ln q(x_i∣x_<i) over N = {len(logs)} tokens = {rounded(nats)} nats "
                         f"= {rounded(nats / math.log(2))} bits",
                         f"perplexity e^H = {'beyond the largest float' if ppl is None else ppl}"],
                  extra={"token_log_probs": rounded(logs), "perplexity": ppl,
                         "total_nll_nats": rounded(-sum(logs))})


formula(
    name="lm-cross-entropy",
    section="15.2",
    catalogue_id="LLM-CE LLM-GPT",
    summary="Language-model cross-entropy per token H = −(1/N)Σ log q(x_i∣x_<i), from probabilities or logits",
    params=(
        LOG_PROBS,
        PROBS,
        Param("logits", MATRIX, "the model's logits, one row per position (N×V)", default=()),
        Param("targets", VECTOR, "with --logits: the token id x_i at each position (0-based)", default=()),
        BASE,
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
