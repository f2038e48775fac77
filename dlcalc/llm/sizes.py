"""How big a language model is: parameters (llm-params), key/value cache (kv-cache) and memory per GPU
for inference or training (llm-memory)."""

from __future__ import annotations

import math
import re

from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import ABSENT, FLAG, INT, TEXT, Param, Rule, choice, formula
from dlcalc.core.result import Result, Table
from dlcalc.llm import _arithmetic as arith
from dlcalc.llm._model import Model
from dlcalc.llm._options import (CONFIG, MODEL, MODEL_PARAMS, beyond_positions, describe, human_bytes,
                                 model_from, title, value)

CONVENTIONS = {
    "parameters": "sum(p.numel() for p in model.parameters()) of the Hugging Face module; tied weights "
    "once; buffers (RoPE's inv_freq) are not parameters and not counted",
}

# ---- llm-params ---------------------------------------------------------------------------------


def llm_params(**options) -> Result:
    model = model_from(options)
    count = arith.count_params(model)
    total = count.total
    rows = [[name, f"{n:,}", f"{100 * n / total:.1f} %"] for name, n in count.components.items() if n]
    layer = arith.layer_components(model)
    outside = [f"{n:,}" for k, n in count.components.items() if n and k not in layer]
    steps = [f"{' + '.join(outside[:1])} + {model.layers}·({' + '.join(f'{n:,}' for n in layer.values())})"
             + (" + " + " + ".join(outside[1:]) if outside[1:] else "") + f" = {total:,}",
             f"{total:,} parameters ≈ {total / 1e9:.3f} B; non-embedding (Kaplan's N) {count.non_embedding:,}",
             "buffers such as RoPE's inv_freq are not parameters and are not counted"]
    if count.active != total:
        steps.append(f"active per token: {count.active:,} ({model.experts_per_token} of {model.experts} experts)")
    return Result(value=total,
        steps=steps,
        table=Table(columns=["component", "parameters", "share"], rows=rows, title=title(model)),
        extra={"total": total, "embedding": count.embedding, "lm_head": count.lm_head,
               "position_embedding": count.position_embedding, "non_embedding": count.non_embedding,
               "active": count.active, "components": count.components, "config": describe(model),
               "conventions": CONVENTIONS},
    )


formula(
    name="llm-params",
    section="15.2",
    summary="Parameters of a language model from a preset or config.json: total, by component, active (MoE)",
    params=MODEL_PARAMS,
    formula="V·d (embedding) + L·(attention q,k,v,o + MLP or experts + router + norms) + final norm + V·d (head, "
    "0 when tied)",
    latex=r"N = Vd + L\,(N_{\mathrm{attn}} + N_{\mathrm{mlp}} + N_{\mathrm{norm}}) + N_{\mathrm{head}}",
    compute=llm_params,
    examples=(
        ("llama2-7b", "6738415616", "meta-llama/Llama-2-7b-hf"),
        ("mixtral-8x7b", "46702792704", "12,879,925,248 active"),
        ("gpt2", "124439808", "tied embeddings, learned positions"),
        ("llama2-7b --layers 16", "3500281856", "half the layers"),
    ),
    notes="--json: total, embedding, lm_head (0 when tied), position_embedding, non_embedding (total minus "
    "those three), active (used per token), components. Counts as sum(p.numel()) of the Hugging Face module.",
)


# ---- kv-cache -----------------------------------------------------------------------------------


def kv_cache_bytes(model, config, layers, context, d_model, heads, kv_heads, head_dim, window, sequences, bytes):
    """2·L·n·kv_heads·head_dim·sequences·bytes, n capped by a sliding window; with a MODEL, a worked Result."""
    if value(model) is not None or value(config) is not None:
        return _kv_from_model(model, config, layers, context, d_model, heads, kv_heads, head_dim, window,
                              sequences, bytes)
    heads = heads or 1
    size = head_dim or d_model // heads
    return 2 * layers * arith.cached_tokens(context, window) * (kv_heads or heads) * size * sequences * bytes


def _kv_from_model(model, config, layers, context, d_model, heads, kv_heads, head_dim, window, sequences, nbytes):
    given = {"layers": layers, "d_model": d_model, "heads": heads, "kv_heads": kv_heads, "head_dim": head_dim}
    m = model_from({"model": model, "config": config, **{k: (v or None) for k, v in given.items()}})
    window = window or m.sliding_window
    cached = arith.cached_tokens(context, window)
    per_token = arith.kv_values_per_token(m) * nbytes
    total = per_token * cached * sequences
    steps = [f"per token: 2·L·kv_heads·head_dim·bytes = 2·{m.layers}·{m.kv_heads}·{m.head_dim}·{nbytes} = {per_token:,} B",
             f"× {cached:,} cached tokens" + (f" (window {window:,})" if window and window < context else "")
             + f" × {sequences} sequence{'s' if sequences > 1 else ''} = {total:,} B = {human_bytes(total)}"]
    return Result(value=total, steps=steps, warnings=beyond_positions(m, context),
                  extra={"bytes_per_token": per_token, "cached_tokens": cached, "config": describe(m)})


def _kv_needs(name):
    def broken(model, config, layers, d_model, head_dim, **_):
        no_model = value(model) is None and value(config) is None
        return no_model and (layers == 0 if name == "layers" else d_model == 0 and head_dim == 0)

    return Rule(broken=broken, says=lambda **_: f"missing option --{name.replace('_', '-')} (or give a MODEL)")


formula(
    name="kv-cache",
    section="15.1",
    catalogue_id="TR-KV",
    summary="Bytes of a Transformer's key/value cache: 2·L·n·kv_heads·head_dim·bytes per sequence",
    params=(
        MODEL,
        CONFIG,
        Param("layers", INT, "layers L (0: MODEL's)", default=0, minimum=0),
        Param("context", INT, "cached tokens n", minimum=1),
        Param("d-model", INT, "model width d (0: MODEL's; not needed with --head-dim)", default=0, minimum=0),
        Param("heads", INT, "query heads (0: MODEL's, or 1)", default=0, minimum=0),
        Param("kv-heads", INT, "key/value heads (grouped-query attention; 0: as many as --heads)", default=0,
              minimum=0),
        Param("head-dim", INT, "head size (0: MODEL's, or d/heads)", default=0, minimum=0),
        Param("window", INT, "sliding window W: W − 1 tokens cached at most (0: MODEL's, or none)", default=0,
              minimum=0),
        Param("sequences", INT, "sequences in the batch", default=1, minimum=1),
        Param("bytes", INT, "bytes per value (2 for fp16/bf16, 4 for fp32)", default=2, minimum=1),
    ),
    formula="2·L·min(n, window − 1)·kv_heads·head_dim·sequences·bytes  (head_dim = d/heads unless given)",
    latex=r"2\,L\,n\,h_{kv}\,d_{head}\,b",
    compute=kv_cache_bytes,
    rules=(
        _kv_needs("layers"),
        _kv_needs("d_model"),
        Rule(broken=lambda d_model, heads, head_dim, **_: head_dim == 0 and heads > 0 and d_model % heads != 0,
             says=lambda d_model, heads, **_: f"--heads {heads} must divide --d-model {d_model}"),
        # without a MODEL, --heads 0 means one head: --kv-heads alone would cache more heads than it queries
        Rule(broken=lambda model, config, heads, kv_heads, **_: kv_heads > 0 and heads == 0
             and value(model) is None and value(config) is None,
             says=lambda **_: "--kv-heads needs --heads (or a MODEL)"),
        Rule(broken=lambda heads, kv_heads, **_: kv_heads > 0 and heads > 0 and heads % kv_heads != 0,
             says=lambda heads, kv_heads, **_: f"--kv-heads {kv_heads} must divide --heads {heads}"),
    ),
    examples=(
        ("--layers 12 --context 1024 --d-model 768", "37748736", "GPT-2 small, full context, fp16"),
        ("--layers 32 --context 4096 --d-model 4096 --heads 32", "2147483648", "a 7B model: 0.5 MiB per token"),
        ("--layers 32 --context 4096 --d-model 4096 --heads 32 --kv-heads 8", "536870912", "GQA with 8 KV heads"),
        ("gemma-7b --context 1", "458752", "head_dim 256, not d/heads = 192"),
        ("opt-13b --context 1", "819200"),
        ("mistral-7b --context 32768", "536739840", "the 4,096-token sliding window keeps 4,095 tokens"),
    ),
    notes="A MODEL (preset or --config) supplies layers, heads, kv-heads, head size and sliding window; "
    "the options given override it. --json with a MODEL adds bytes_per_token.",
)


# ---- llm-memory ---------------------------------------------------------------------------------

DTYPES = tuple(arith.DTYPE_BYTES)
_SIZE = re.compile(r"\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmgt]i?b|b)?\s*", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
MAX_FIT = 10**8  # the search for the largest context or batch stops here


def parse_size(text: str) -> float:
    match = _SIZE.fullmatch(text)
    if not match:
        raise DlcalcError(f"--fit: expected a size like 24GiB or 80GB, got {text[:40]!r}")
    size = float(match.group(1)) * _UNITS[(match.group(2) or "b").lower()]
    if not math.isfinite(size):
        raise DlcalcError(f"--fit: {text[:40]!r} is not a finite size")
    return size


def memory_parts(model: Model, *, mode, dtype, context, batch_size, kv_dtype, optimizer, zero, gpus, tp, sp,
                 recompute, flash, lora_rank):
    """Bytes per GPU of each part, and the formula of each with its values."""
    params = arith.count_params(model).total
    wb = arith.DTYPE_BYTES[dtype]
    data_parallel = gpus // tp
    parts = dict.fromkeys(("weights", "kv_cache", "gradients", "optimizer_states", "activations"), 0)
    formulas = {}
    if mode == "inference":
        parts["weights"] = params * wb / tp
        formulas["weights"] = f"N·bytes/tp = {params:,}·{wb:g}/{tp}"
        cached = arith.cached_tokens(context, model.sliding_window)
        kv_per_gpu = math.ceil(model.kv_heads / tp) * model.head_dim * 2 * model.layers
        kvb = arith.DTYPE_BYTES[kv_dtype]
        parts["kv_cache"] = kv_per_gpu * cached * batch_size * kvb
        formulas["kv_cache"] = (f"2·L·⌈kv_heads/tp⌉·head_dim·n·B·bytes = 2·{model.layers}·{math.ceil(model.kv_heads / tp)}"
                                f"·{model.head_dim}·{cached}·{batch_size}·{kvb:g}")
    else:
        _training_parts(model, params, parts, formulas, dtype, optimizer, zero, data_parallel, tp, lora_rank)
        per_layer = arith.korthikanti_per_layer(context, batch_size, model.d_model, model.heads, tp=tp, sp=sp,
                                                recompute=recompute, flash=flash)
        parts["activations"] = model.layers * per_layer
        formulas["activations"] = _activation_formula(model, context, batch_size, tp, sp, recompute, flash)
    parts = {k: math.ceil(v) for k, v in parts.items()}
    return parts, formulas


def _training_parts(model, params, parts, formulas, dtype, optimizer, zero, data_parallel, tp, lora_rank):
    wdiv, gdiv, odiv = arith.zero_partition(zero, data_parallel)
    wb = arith.DTYPE_BYTES[dtype]
    if lora_rank:
        trained = arith.lora_params(model, lora_rank)
        adapter_b = 4.0 if dtype == "fp32" else 2.0
        parts["weights"] = (params * wb + trained * adapter_b) / (tp * wdiv)
        formulas["weights"] = f"(N·{wb:g} + N_lora·{adapter_b:g})/(tp·{wdiv}) with N_lora = {trained:,} (rank {lora_rank})"
    else:
        if dtype in ("int8", "int4"):
            raise DlcalcError(f"--dtype {dtype} training needs --lora-rank (the quantised weights stay frozen)")
        trained, adapter_b = params, wb
        parts["weights"] = params * wb / (tp * wdiv)
        formulas["weights"] = f"N·{wb:g}/(tp·{wdiv}) = {params:,}·{wb:g}/({tp}·{wdiv})"
    table = arith.OPTIMIZER_BYTES_FP32 if adapter_b == 4.0 else arith.OPTIMIZER_BYTES_MIXED
    k = table[optimizer]
    parts["gradients"] = trained * adapter_b / (tp * gdiv)
    formulas["gradients"] = f"N_trained·{adapter_b:g}/(tp·{gdiv}) = {trained:,}·{adapter_b:g}/({tp}·{gdiv})"
    parts["optimizer_states"] = trained * k / (tp * odiv)
    master = "fp32 master copy included" if adapter_b == 2.0 else "no master copy"
    formulas["optimizer_states"] = f"N_trained·K/(tp·{odiv}) = {trained:,}·{k}/({tp}·{odiv}), K = {k} for {optimizer} ({master})"


def _activation_formula(model, s, b, tp, sp, recompute, flash):
    h, a, layers = model.d_model, model.heads, model.layers
    head = "L·sbh·"
    if recompute == "full":
        return f"L·2sbh{'/t' if sp else ''} (full recomputation) = {layers}·2·{s}·{b}·{h}" + (f"/{tp}" if sp else "")
    scores = "" if (recompute == "selective" or flash) else " + 5as/h"
    if sp:
        return f"{head}(34{scores})/t = {layers}·{s}·{b}·{h}·(34{scores.replace('as/h', f'·{a}·{s}/{h}')})/{tp}"
    return (f"{head}(10 + 24/t{scores}{'/t' if scores else ''}) = {layers}·{s}·{b}·{h}·(10 + 24/{tp}"
            + (f" + 5·{a}·{s}/({h}·{tp})" if scores else "") + ")")


def llm_memory(mode, dtype, context, batch_size, kv_dtype, optimizer, zero, gpus, tp, sp, recompute, flash,
               lora_rank, fit, **options) -> Result:
    model = model_from(options)
    zero = int(zero)
    if gpus % tp:
        raise DlcalcError(f"--tp {tp} must divide --gpus {gpus}")
    if mode == "inference" and (zero or lora_rank or optimizer != "adamw" or sp or flash or recompute != "none"):
        raise DlcalcError("--zero, --optimizer, --lora-rank, --sp, --flash and --recompute apply to --mode training "
                          "(inference counts no activations)")
    settings = dict(mode=mode, dtype=dtype, context=context, batch_size=batch_size, kv_dtype=kv_dtype,
                    optimizer=optimizer, zero=zero, gpus=gpus, tp=tp, sp=sp, recompute=recompute,
                    flash=flash, lora_rank=lora_rank)
    fitted = _largest_fitting(model, settings, parse_size(fit)) if value(fit) is not None else None
    if fitted:  # the breakdown below is the one at the answer
        settings[fitted[0]] = fitted[1]
    context, batch_size = settings["context"], settings["batch_size"]
    parts, formulas = memory_parts(model, **settings)
    total = sum(parts.values())
    extra = {"total": total, **parts, "formulas": formulas, "config": describe(model),
             "conventions": {"units": "bytes per GPU",
                             "activations": "Korthikanti et al. 2022, 16-bit, per layer × L; embedding and loss "
                             "terms left out", "zero": "Rajbhandari et al. 2019 over gpus/tp data-parallel ranks"}}
    rows = [[name, human_bytes(n), formulas.get(name, "")] for name, n in parts.items() if n or name in formulas]
    rows.append(["total", human_bytes(total), "sum"])
    if mode == "training":
        caveat = ("activations per Korthikanti et al. 2022 (16-bit, standard attention and 4d MLP assumed); "
                  "embedding and loss terms left out")
    else:
        caveat = "transient activations of the forward pass are not counted"
    extra["conventions"]["left_out"] = caveat
    result = Result(value=total, extra=extra, warnings=beyond_positions(model, context),
                    table=Table(columns=["part", "per GPU", "formula"], rows=rows, title=title(model)),
                    steps=[f"{mode}, {dtype}, context {context:,}, batch {batch_size}, {gpus} GPU(s), tp {tp}"
                           + (f", ZeRO-{zero}" if mode == "training" else ""),
                           f"total per GPU: {human_bytes(total)}", caveat])
    if mode == "training" and dtype == "fp32":
        result.warnings.append("activations are Korthikanti's 16-bit bytes; fp32 activations take about twice as many")
    if fitted:
        key, best, size, note = fitted
        result.value = best
        result.extra["fit"] = {key: best, "size": size}
        result.steps.append(f"{'longest context' if key == 'context' else 'largest batch'} in {human_bytes(size)} "
                            f"per GPU: {best:,}")
        result.warnings.extend([note] if note else [])
    return result


def _largest_fitting(model, settings, size):
    """The longest context (inference) or largest batch (training) whose total fits in ``size``:
    (option, value, size, a note where a limit rather than the memory stopped the search)."""
    key = "context" if settings["mode"] == "inference" else "batch_size"

    def fits(n):
        return sum(memory_parts(model, **{**settings, key: n})[0].values()) <= size

    if not fits(1):
        raise DlcalcError(f"--fit: even {key.replace('_', ' ')} 1 needs more than {size:,.0f} bytes per GPU")
    # a learned position table bounds the context the model can run
    limit = min(MAX_FIT, model.max_context) if key == "context" and model.positions else MAX_FIT
    if fits(limit):
        note = (f"fits at {limit:,} (the model's learned positions)" if limit < MAX_FIT else
                f"fits at {MAX_FIT:,} (the search limit)"
                + (": the sliding window caps the cache" if model.sliding_window else ""))
        return key, limit, size, note
    low, high = 1, limit  # fits(low), not fits(high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return key, low, size, None


formula(
    name="llm-memory",
    section="15.2",
    summary="Memory per GPU to run or train a language model: weights, KV cache, gradients, optimizer, activations",
    params=(
        *MODEL_PARAMS,
        Param("mode", choice("inference", "training"), "what the GPUs do", default="inference"),
        Param("dtype", choice(*DTYPES), "weights (training in bf16/fp16 is mixed precision)", default="bf16"),
        Param("context", INT, "tokens per sequence", default=2048, minimum=1, maximum=MAX_FIT),
        Param("batch-size", INT, "sequences", default=1, minimum=1, maximum=MAX_FIT),
        Param("kv-dtype", choice(*DTYPES), "KV cache values", default="=dtype"),
        Param("optimizer", choice(*arith.OPTIMIZER_BYTES_MIXED), "optimizer (training)", default="adamw"),
        Param("zero", choice("0", "1", "2", "3"), "ZeRO stage (training)", default="0"),
        Param("gpus", INT, "GPUs in all", default=1, minimum=1, maximum=MAX_FIT),
        Param("tp", INT, "tensor-parallel degree", default=1, minimum=1, maximum=MAX_FIT),
        Param("sp", FLAG, "sequence parallelism (with --tp)", default=False),
        Param("recompute", choice("none", "selective", "full"), "activation recomputation", default="none"),
        Param("flash", FLAG, "a fused attention that stores no score matrix", default=False),
        Param("lora-rank", INT, "train LoRA adapters of this rank only (0: full training)", default=0, minimum=0,
              maximum=MAX_FIT),
        Param("fit", TEXT, "a memory size like 24GiB: answer the longest context (inference) or largest batch "
              "(training) that fits", default=ABSENT),
    ),
    formula="weights + KV cache (inference) | weights + gradients + optimizer states + L·activations (training), "
    "per GPU",
    latex=r"M = M_w + M_{kv} + M_g + M_{opt} + L\cdot sbh\,(34 + 5as/h)",
    compute=llm_memory,
    examples=(
        ("llama2-7b --context 4096", "15624314880", "13.48 GB of bf16 weights + 2 GiB of KV cache"),
        ("llama2-7b --mode training --zero 3 --gpus 8 --context 2048 --batch-size 1 --recompute full",
         "14013702144", "16 bytes per parameter / 8 + full recomputation"),
        ("llama3-8b --fit 24GiB", "74075", "the longest bf16 context on a 24 GiB GPU"),
    ),
    notes="--json keys (bytes per GPU): total, weights, kv_cache, gradients, optimizer_states, activations, "
    "formulas. Mixed precision (bf16/fp16): 16-bit weights and gradients; the optimizer states include an fp32 "
    "master copy: adamw 12, adam8bit 6, sgd-momentum 8, sgd 4 bytes per parameter (fp32: 8, 2, 4, 0).",
)
