"""Autoregressive models (the sheet's empty §19.6): the chain rule for a sequence's log-probability,
and the next-token distribution with temperature, top-k and top-p."""

from __future__ import annotations

import math

from dlcalc.catalogue._common import rounded, softmax_rows, the_one_given, vector_result, vector_text
from dlcalc.catalogue._transformers import BASE, LOG_PROBS, PROBS, token_log_probs
from dlcalc.core.registry import FLOAT, INT, VECTOR, Param, Rule, erratum, formula
from dlcalc.core.result import Result

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
        PROBS,
        LOG_PROBS,
        BASE,
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
