"""How much a language model computes: FLOPs of a forward, decode or training step (llm-flops,
transformer-flops), model FLOPs utilisation (mfu) and the Chinchilla fits (scaling-law, compute-optimal)."""

from __future__ import annotations

from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import ABSENT, FLAG, FLOAT, INT, Param, Rule, choice, formula
from dlcalc.core.result import Result, Table
from dlcalc.llm import _arithmetic as arith
from dlcalc.llm._options import MODEL_PARAMS, beyond_positions, describe, model_from, title, value

FLOP_CONVENTIONS = {
    "flops": "as torch.utils.flop_counter.FlopCounterMode counts the Hugging Face eager implementation: "
    "2 per multiply-add, matrix products only (projections, MLP, attention core over the full n×n scores, "
    "LM head over every position); norms, softmax, activations, embeddings 0; backward = 2 × forward",
}

# ---- llm-flops ----------------------------------------------------------------------------------


def llm_flops(context, decode, train, batch_size, **options) -> Result:
    model = model_from(options)
    if decode and train:
        raise DlcalcError("--decode and --train exclude each other")
    parts = arith.forward_flops(model, context, decode=decode)
    factor = (1 + arith.BACKWARD_FACTOR if train else 1) * batch_size
    parts = {k: v * factor for k, v in parts.items()}
    flops = sum(parts.values())
    active = arith.count_params(model).active
    tokens = (1 if decode else context) * batch_size
    per_param = 6 if train else 2
    approx = per_param * active * tokens
    what = "one token after {:,} cached".format(context) if decode else f"{context:,} tokens"
    steps = [_substituted(model, context, decode),
             f"{'forward + backward' if train else 'forward'} over {what}, batch {batch_size}: {flops:,} FLOPs",
             f"{per_param}·N·tokens rule (N = {active:,} active parameters): {approx:,} "
             f"({100 * (approx - flops) / flops:+.1f} %)"]
    return Result(value=flops, steps=steps, warnings=beyond_positions(model, context + decode),
        table=Table(columns=["component", "FLOPs", "share"],
                    rows=[[k, f"{v:,}", f"{100 * v / flops:.1f} %"] for k, v in parts.items()], title=title(model)),
        extra={"model": model.name, "context": context, "flops": flops, "components": parts, "approx": approx,
               "approx_rule": f"{per_param}·N·tokens", "config": describe(model), "conventions": FLOP_CONVENTIONS},
    )


def _substituted(model, context, decode):
    """The forward formula with the model's numbers in it."""
    tokens, keys = (1, arith.cached_tokens(context, model.sliding_window) + 1) if decode else (context, context)
    mlp = f"{3 if model.gated_mlp else 2}·{model.d_model}·{model.d_ff}"
    if model.experts:
        mlp = f"{model.experts_per_token}·{mlp} + {model.d_model}·{model.experts}"
    return (f"{tokens}·2·({model.layers}·({model.d_model}·(2·{model.q_dim} + 2·{model.kv_dim}) + {mlp}) + "
            f"{model.embedding_width}·{model.vocab}) + 4·{model.layers}·{tokens}·{keys}·{model.q_dim}"
            + (" + OPT's projections" if model.embed_dim else ""))


formula(
    name="llm-flops",
    section="15.1",
    summary="FLOPs of a language model's forward pass, one decoding step, or a training step, as FlopCounterMode counts",
    params=(
        *MODEL_PARAMS,
        Param("context", INT, "tokens n in the pass (cached tokens with --decode)", minimum=1, maximum=10**7),
        Param("decode", FLAG, "one new token after n cached tokens", default=False),
        Param("train", FLAG, "forward + backward", default=False),
        Param("batch-size", INT, "sequences", default=1, minimum=1, maximum=10**8),
    ),
    formula="n·2·(L·(d·(2·q + 2·kv) + m·d·d_ff) + d·V) + 4·L·n²·q  (m = 3 gated, 2 plain); ×3 with --train",
    latex=r"2n\left(L(d(2q+2k) + m\,d\,d_{ff}) + dV\right) + 4Ln^2q",
    compute=llm_flops,
    examples=(
        ("llama2-7b --context 128", "1700001742848", "2N per token is 1.725e12"),
        ("llama2-7b --context 128 --decode", "13281787904", "one token after 128 cached"),
        ("llama2-7b --context 128 --train", "5100005228544", "3 × forward"),
    ),
    notes="--json: model, context, flops (exact), components, approx (2·N·tokens, 6·N·tokens with --train). "
    "MoE models count the experts each token is routed to.",
)


# ---- transformer-flops --------------------------------------------------------------------------


def transformer_flops(layers, context, d_model, d_ff, heads, kv_heads, head_dim, mlp, vocab):
    """The sheet's forward FLOPs, widened: GQA (kv-heads), an explicit head size, a gated MLP and an
    LM head. Plain arithmetic, so batch rows arrive as arrays."""
    ff = d_ff + (d_ff == 0) * 4 * d_model
    q_width = (head_dim > 0) * (heads > 0) * heads * head_dim + ((head_dim == 0) | (heads == 0)) * d_model
    size = head_dim + (head_dim == 0) * (d_model // (heads + (heads == 0)))
    kv_width = (kv_heads > 0) * kv_heads * size + (kv_heads == 0) * q_width
    terms = arith.matmul_flop_terms(context, context, layers, d_model, q_width, kv_width, ff,
                                    2 + (mlp == "gated"), vocab)
    return terms["attention_projections"] + terms["mlp"] + terms["attention_core"] + terms["lm_head"]


def _show_transformer_flops(layers, context, d_model, **rest):
    core = 4 * layers * context**2 * d_model
    return f"{transformer_flops(layers, context, d_model, **rest):,} FLOPs; attention scores and mixing ≈ {core:,}"


formula(
    name="transformer-flops",
    vectorised=True,
    section="15.1",
    catalogue_id="TR-ATTN-COST",
    summary="Forward FLOPs of L Transformer layers on n tokens: the n²d attention terms and the nd² rest",
    params=(
        Param("layers", INT, "layers L", minimum=1),
        Param("context", INT, "sequence length n", minimum=1),
        Param("d-model", INT, "model width d", minimum=1),
        Param("d-ff", INT, "feed-forward width (0: 4d)", default=0, minimum=0),
        Param("heads", INT, "query heads (needed with --kv-heads or --head-dim; 0: d is the attention width)",
              default=0, minimum=0),
        Param("kv-heads", INT, "key/value heads (grouped-query attention; 0: as many as --heads)", default=0,
              minimum=0),
        Param("head-dim", INT, "head size (0: d/heads)", default=0, minimum=0),
        Param("mlp", choice("plain", "gated"), "plain: two matrices; gated (SwiGLU): three", default="plain"),
        Param("vocab", INT, "vocabulary: adds the LM head 2·n·d·V (0: none)", default=0, minimum=0),
    ),
    formula="L·(8nd² + 4n²d + 4n·d·d_ff) = L·(24nd² + 4n²d) for d_ff = 4d; GQA, head size, gated MLP and LM "
    "head widen it",
    latex=r"L\,(8nd^2 + 4n^2 d + 4 n d\,d_{ff})",
    compute=transformer_flops,
    show=_show_transformer_flops,
    rules=(
        Rule(broken=lambda heads, kv_heads, head_dim, **_: ((kv_heads > 0) | (head_dim > 0)) & (heads == 0),
             says=lambda **_: "--kv-heads and --head-dim need --heads"),
        Rule(broken=lambda heads, kv_heads, **_: (kv_heads > 0) & (heads % (kv_heads + (kv_heads == 0)) != 0),
             says=lambda heads, kv_heads, **_: f"--kv-heads {kv_heads} must divide --heads {heads}"),
        Rule(broken=lambda d_model, heads, head_dim, kv_heads, **_: (heads > 0) & (head_dim == 0) & (kv_heads > 0)
             & (d_model % (heads + (heads == 0)) != 0),
             says=lambda d_model, heads, **_: f"--heads {heads} must divide --d-model {d_model} (or give --head-dim)"),
    ),
    examples=(
        ("--layers 12 --context 1024 --d-model 768", "212600881152", "GPT-2 small, one full-context forward pass"),
        ("--layers 1 --context 2 --d-model 1 --d-ff 1", "40", "16 (projections) + 16 (n² terms) + 8 (FFN)"),
        ("--layers 32 --context 128 --d-model 4096 --d-ff 11008 --mlp gated --vocab 32000", "1700001742848",
         "Llama-2-7B as FlopCounterMode counts it"),
        ("--layers 32 --context 128 --d-model 4096 --heads 32 --kv-heads 8 --d-ff 14336 --mlp gated --vocab 128256",
         "1929782493184", "Llama-3-8B"),
    ),
    notes="Counts 2 FLOPs per multiply-add. The n² terms dominate once n > 6d (for d_ff = 4d). llm-flops does "
    "the same from a preset or config.json.",
)


# ---- mfu ----------------------------------------------------------------------------------------


def mfu(tokens_per_second, gpus, peak_tflops, params, context, **options) -> Result:
    arith.check_positive(tokens_per_second=tokens_per_second, peak_tflops=peak_tflops)
    named = value(options.get("model")) is not None or value(options.get("config")) is not None
    warnings = []
    if named:
        if value(params) is not None:
            raise DlcalcError("give MODEL (or --config) or --params, not both")
        model = model_from(options)
        n = arith.count_params(model).active
        attention = model.layers * model.heads * model.head_dim * context if context else None
        source = f"{model.name}: N = {n:,} (active) parameters"
    else:
        if value(params) is None:
            raise DlcalcError("give MODEL, --config or --params")
        arith.check_positive(params=params)
        n = params
        shape = [value(options.get(k)) for k in ("layers", "heads", "head_dim")]
        if any(v is not None for v in shape) and (None in shape or not context):
            raise DlcalcError("the attention term needs --layers, --heads, --head-dim and --context together")
        attention = shape[0] * shape[1] * shape[2] * context if None not in shape else None
        source = f"N = {n:g} parameters"
    if attention is None:
        missing = ([] if context else ["--context"]) + ([] if named else ["--layers", "--heads", "--head-dim"])
        warnings.append(f"attention term 12·L·H·Q·T left out (give {', '.join(missing)})")
        attention = 0
    per_token = arith.palm_flops_per_token(n, attention)
    per_token_hfu = arith.palm_flops_per_token(n, attention, recompute=True)
    peak = gpus * peak_tflops * 1e12
    model_util, hardware_util = tokens_per_second * per_token / peak, tokens_per_second * per_token_hfu / peak
    steps = [source,
             f"FLOPs per token 6N + 12·L·H·Q·T = {6 * n:.6g} + {12 * attention:.6g} = {per_token:.6g}",
             f"MFU = {tokens_per_second:g} tokens/s × {per_token:.6g} / ({gpus} × {peak_tflops:g} TFLOP/s) = "
             f"{100 * model_util:.1f} %",
             f"HFU with full recomputation (8N + 16·L·H·Q·T) = {100 * hardware_util:.1f} %"]
    return Result(value=_sig(model_util), steps=steps, warnings=warnings,
                  plain=f"{_sig(model_util)}",
                  extra={"mfu": _sig(model_util), "hfu": _sig(hardware_util), "flops_per_token": per_token,
                         "flops_per_token_hfu": per_token_hfu, "attention_flops_per_token": 12 * attention,
                         "conventions": {"mfu": "PaLM (Chowdhery et al. 2022) App. B: 6N + 12·L·H·Q·T per token",
                                         "hfu": "full recomputation: 8N + 16·L·H·Q·T per token"}})


def _sig(x: float) -> float:
    return float(f"{x:.12g}")


formula(
    name="mfu",
    section="15.1",
    summary="Model FLOPs utilisation from a measured throughput (PaLM App. B), and HFU under full recomputation",
    params=(
        *MODEL_PARAMS,
        Param("params", FLOAT, "parameters N (instead of MODEL)", default=ABSENT, minimum=0),
        Param("tokens-per-second", FLOAT, "measured training throughput, all GPUs together", minimum=0),
        Param("gpus", INT, "accelerators", default=1, minimum=1),
        Param("peak-tflops", FLOAT, "peak dense TFLOP/s of one accelerator (bf16)", minimum=0),
        Param("context", INT, "sequence length T (for the attention term)", default=0, minimum=0),
    ),
    formula="MFU = tokens/s · (6N + 12·L·H·Q·T) / (gpus · peak)",
    latex=r"\mathrm{MFU} = \frac{R\,(6N + 12LHQT)}{G\,P}",
    compute=mfu,
    examples=(
        ("--params 540.35e9 --layers 118 --heads 48 --head-dim 256 --context 2048 --tokens-per-second 238300 "
         "--gpus 6144 --peak-tflops 275", "0.462289420251", "PaLM 540B: 46.2 %"),
        ("--params 540.35e9 --tokens-per-second 238300 --gpus 6144 --peak-tflops 275", "0.457263512074",
         "without the attention term: 45.7 %"),
    ),
    notes="--json: mfu and hfu as fractions, flops_per_token. With MODEL, N is the active parameter count and "
    "L, H, Q come from the model; T is --context.",
)


# ---- scaling laws -------------------------------------------------------------------------------

_FIT = Param("fit", choice(*arith.FITS), "constants: chinchilla (Hoffmann et al. 2022, approach 3) or epoch "
             "(Besiroglu et al. 2024)", default="chinchilla")


def _fit_text(fit):
    c = arith.FITS[fit]
    return f"E = {c['E']}, A = {c['A']}, B = {c['B']}, α = {c['alpha']}, β = {c['beta']}"


def scaling_law(params, tokens, fit) -> Result:
    arith.check_positive(params=params, tokens=tokens)
    c = arith.FITS[fit]
    loss = arith.predicted_loss(c, params, tokens)
    steps = [f"{fit}: {_fit_text(fit)}",
             f"L = {c['E']} + {c['A']}/{params:g}^{c['alpha']} + {c['B']}/{tokens:g}^{c['beta']} = {loss:.6f}",
             f"compute 6ND = {6 * params * tokens:.4g} FLOPs"]
    return Result(value=_sig(loss), steps=steps,
                  extra={"loss": _sig(loss), "compute": 6 * params * tokens, "fit": c})


formula(
    name="scaling-law",
    section="15.2",
    summary="Predicted pre-training loss L(N, D) = E + A/N^α + B/D^β (Chinchilla fits)",
    params=(
        Param("params", FLOAT, "parameters N", minimum=0),
        Param("tokens", FLOAT, "training tokens D", minimum=0),
        _FIT,
    ),
    formula="L(N, D) = E + A/N^α + B/D^β",
    latex=r"L(N, D) = E + \frac{A}{N^\alpha} + \frac{B}{D^\beta}",
    compute=scaling_law,
    examples=(
        ("--params 70e9 --tokens 1.4e12", "1.93664547056", "Chinchilla 70B"),
        ("--params 175e9 --tokens 300e9 --fit epoch", "2.00854372378", "GPT-3's N and D"),
    ),
    notes="--json: loss, compute (6ND), the constants.",
)


def compute_optimal(compute, fit) -> Result:
    arith.check_positive(compute=compute)
    c = arith.FITS[fit]
    params, tokens = arith.compute_optimal(c, compute)
    loss = arith.predicted_loss(c, params, tokens)
    a, b = c["alpha"], c["beta"]
    answer = {"params": _sig(params), "tokens": _sig(tokens), "tokens_per_param": _sig(tokens / params),
              "loss": _sig(loss)}
    steps = [f"{fit}: {_fit_text(fit)}",
             f"N = G·(C/6)^(β/(α+β)), G = (αA/(βB))^(1/(α+β)); β/(α+β) = {b / (a + b):.4f}",
             f"N = {params:.4g} parameters, D = C/(6N) = {tokens:.4g} tokens ({tokens / params:.1f} per parameter)",
             f"predicted loss {loss:.4f}"]
    return Result(value=answer, steps=steps,
                  plain=f"params={params:.6g} tokens={tokens:.6g} tokens_per_param={tokens / params:.4g} loss={loss:.6g}",
                  extra={**answer, "fit": c})


formula(
    name="compute-optimal",
    section="15.2",
    summary="Compute-optimal model size and tokens for a budget C = 6ND (Chinchilla fits), and the loss",
    params=(Param("compute", FLOAT, "training compute C in FLOPs", minimum=0), _FIT),
    formula="min L(N, D) s.t. 6ND = C: N = G·(C/6)^(β/(α+β)), D = C/(6N), G = (αA/(βB))^(1/(α+β))",
    latex=r"N_{opt} = G\,(C/6)^{\beta/(\alpha+\beta)}",
    compute=compute_optimal,
    examples=(
        ("--compute 5.76e23", "params=3.21899e+10 tokens=2.98231e+12 tokens_per_param=92.65 loss=1.93075", "Gopher's budget"),
    ),
    notes="--json: params, tokens, tokens_per_param, loss.",
)
