"""Transformer models as a whole (the sheet's §15.1–15.2): parameters of BERT, GPT-2 and ViT
presets, forward FLOPs of a stack of layers, and the key/value cache.

Parameter counts follow the reference implementations of BERT (Hugging Face BertModel with
pooler), GPT-2 (tied input and output embeddings) and ViT (torchvision vit_*), tensor by tensor.
"""

from __future__ import annotations

from dlcalc.catalogue._transformers import E55_LINK as _E55_LINK
from dlcalc.catalogue._transformers import HEADS_DIVIDE as _HEADS_DIVIDE
from dlcalc.catalogue._transformers import layer_tensors
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLAG, INT, Param, Rule, choice, erratum, formula
from dlcalc.core.result import Result, Table


# ---- whole models ----------------------------------------------------------------------------

# Published architectures. bert: Devlin et al. 2019 (vocab 30522, 512 positions, 2 segment types);
# gpt2: Radford et al. 2019 (vocab 50257, 1024 positions); vit: Dosovitskiy et al. 2021 as in
# torchvision (224×224 images, 1000 classes).
PRESETS = {
    "bert-base": {"arch": "bert", "layers": 12, "d_model": 768, "heads": 12, "vocab": 30522, "context": 512},
    "bert-large": {"arch": "bert", "layers": 24, "d_model": 1024, "heads": 16, "vocab": 30522, "context": 512},
    "gpt2": {"arch": "gpt2", "layers": 12, "d_model": 768, "heads": 12, "vocab": 50257, "context": 1024},
    "gpt2-medium": {"arch": "gpt2", "layers": 24, "d_model": 1024, "heads": 16, "vocab": 50257, "context": 1024},
    "gpt2-large": {"arch": "gpt2", "layers": 36, "d_model": 1280, "heads": 20, "vocab": 50257, "context": 1024},
    "gpt2-xl": {"arch": "gpt2", "layers": 48, "d_model": 1600, "heads": 25, "vocab": 50257, "context": 1024},
    "vit-b16": {"arch": "vit", "layers": 12, "d_model": 768, "heads": 12, "patch": 16},
    "vit-b32": {"arch": "vit", "layers": 12, "d_model": 768, "heads": 12, "patch": 32},
    "vit-l16": {"arch": "vit", "layers": 24, "d_model": 1024, "heads": 16, "patch": 16},
    "vit-l32": {"arch": "vit", "layers": 24, "d_model": 1024, "heads": 16, "patch": 32},
    "vit-h14": {"arch": "vit", "layers": 32, "d_model": 1280, "heads": 16, "patch": 14},
}
_VIT_DEFAULTS = {"image": 224, "channels": 3, "classes": 1000}


def _layers_component(config):
    d = config["d_model"]
    return config["layers"] * sum(layer_tensors(d, config["d_ff"]).values())


def bert_components(config, pooler=True):
    d = config["d_model"]
    components = {
        # word, position and segment embeddings, then a LayerNorm
        "embeddings": (config["vocab"] + config["context"] + 2) * d + 2 * d,
        "layers": _layers_component(config),
    }
    if pooler:
        components["pooler"] = d * d + d
    return components


def gpt2_components(config, tied=True):
    d = config["d_model"]
    components = {
        "token_embedding": config["vocab"] * d,
        "position_embedding": config["context"] * d,
        "layers": _layers_component(config),
        "final_norm": 2 * d,
    }
    if not tied:
        components["lm_head"] = config["vocab"] * d
    return components


def vit_components(config):
    d, patch = config["d_model"], config["patch"]
    tokens = (config["image"] // patch) ** 2 + 1
    return {
        "patch_projection": patch * patch * config["channels"] * d + d,
        "class_token": d,
        "position_embedding": tokens * d,
        "layers": _layers_component(config),
        "final_norm": 2 * d,
        "head": d * config["classes"] + config["classes"],
    }


def model_config(preset, overrides):
    config = {**PRESETS[preset]}
    if config["arch"] == "vit":
        config = {**_VIT_DEFAULTS, **config}
    for key, value in overrides.items():
        if value:
            config[key] = value
    config.setdefault("d_ff", 0)
    config["d_ff"] = config["d_ff"] or 4 * config["d_model"]
    if config["d_model"] % config["heads"]:
        raise DlcalcError(f"--heads {config['heads']} must divide --d-model {config['d_model']}")
    if config["arch"] == "vit" and config["image"] % config["patch"]:
        raise DlcalcError(f"--patch {config['patch']} must divide the image size {config['image']}")
    return config


def model_params(preset, layers, d_model, heads, d_ff, vocab, context, no_pooler, untied):
    config = model_config(preset, {"layers": layers, "d_model": d_model, "heads": heads, "d_ff": d_ff,
                                   "vocab": vocab, "context": context})
    arch = config["arch"]
    if no_pooler and arch != "bert":
        raise DlcalcError("--no-pooler applies to BERT presets only")
    if untied and arch != "gpt2":
        raise DlcalcError("--untied applies to GPT-2 presets only")
    components = {
        "bert": lambda: bert_components(config, pooler=not no_pooler),
        "gpt2": lambda: gpt2_components(config, tied=not untied),
        "vit": lambda: vit_components(config),
    }[arch]()
    total = sum(components.values())
    shown = {k: v for k, v in config.items() if k != "arch"}
    return Result(
        value=total,
        table=Table(columns=["component", "parameters", "share"],
                    rows=[[k, f"{v:,}", f"{100 * v / total:.1f} %"] for k, v in components.items()],
                    title=f"{preset}: " + ", ".join(f"{k}={v}" for k, v in shown.items())),
        extra={"total": total, "components": components, "config": shown},
        steps=[f"{total:,} parameters ≈ {total / 1e6:.1f} M"],
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

formula(
    name="model-params",
    section="15.2",
    catalogue_id="LLM-BERT-PARAMS LLM-VIT-PARAMS",
    summary="Parameters of BERT, GPT-2 and ViT models by component, from a preset (overridable)",
    params=(
        Param("preset", choice(*PRESETS), "model: " + ", ".join(PRESETS), positional=True),
        Param("layers", INT, "override the number of layers", default=0, minimum=0),
        Param("d-model", INT, "override the width d", default=0, minimum=0),
        Param("heads", INT, "override the number of heads", default=0, minimum=0),
        Param("d-ff", INT, "override the feed-forward width (0: 4d)", default=0, minimum=0),
        Param("vocab", INT, "override the vocabulary size (BERT, GPT-2)", default=0, minimum=0),
        Param("context", INT, "override the number of positions (BERT, GPT-2)", default=0, minimum=0),
        Param("no-pooler", FLAG, "BERT without the pooler (d² + d)", default=False),
        Param("untied", FLAG, "GPT-2 with a separate output matrix (V·d more)", default=False),
    ),
    formula="Σ embeddings + L·(12d² + 13d) + head; a layer is 4d² + 4d + 2·d·d_ff + d_ff + 5d",
    latex=r"N = N_{\mathrm{emb}} + L(12d^2 + 13d) + N_{\mathrm{head}}",
    compute=model_params,
    errata=(_E64, _E55_LINK),
    examples=(
        ("bert-base", "109482240", "with the pooler, as BertModel"),
        ("bert-large", "335141888", "the paper's '340M'"),
        ("gpt2", "124439808", "tied embeddings"),
        ("gpt2-xl", "1557611200"),
        ("vit-b16", "86567656", "torchvision vit_b_16"),
        ("vit-l16", "304326632"),
        ("bert-base --no-pooler", "108891648"),
    ),
    notes="--json gives {total, components, config}. Presets: BERT as Hugging Face BertModel; GPT-2 as "
    "GPT2Model/LMHead (the output matrix is the token embedding); ViT as torchvision at 224×224 with a "
    "1000-class head.",
)


# ---- compute and memory ----------------------------------------------------------------------


def forward_flops(layers, context, d_model, d_ff):
    """Forward FLOPs of the Transformer layers for one sequence (2 per multiply-add; no embeddings,
    softmax or norms): projections 4·2nd², scores QKᵀ 2n²d, mixing AV 2n²d, FFN 2·2n·d·d_ff."""
    ff = d_ff + (d_ff == 0) * 4 * d_model
    projections = 8 * context * d_model * d_model
    attention_terms = 4 * context * context * d_model
    ffn = 4 * context * d_model * ff
    return layers * (projections + attention_terms + ffn)


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
    ),
    formula="L·(8nd² + 4n²d + 4n·d·d_ff) = L·(24nd² + 4n²d) for d_ff = 4d",
    latex=r"L\,(8nd^2 + 4n^2 d + 4 n d\,d_{ff})",
    compute=forward_flops,
    show=lambda layers, context, d_model, d_ff: f"attention scores and mixing {4 * layers * context**2 * d_model:,} "
    f"of {forward_flops(layers, context, d_model, d_ff):,} FLOPs",
    examples=(
        ("--layers 12 --context 1024 --d-model 768", "212600881152", "GPT-2 small, one full-context forward pass"),
        ("--layers 1 --context 2 --d-model 1 --d-ff 1", "40", "16 (projections) + 16 (n² terms) + 8 (FFN)"),
    ),
    notes="Counts 2 FLOPs per multiply-add. The n² terms dominate once n > 6d (for d_ff = 4d).",
)


def kv_cache_bytes(layers, context, d_model, heads, kv_heads, sequences, bytes):
    # keys and values: 2 tensors of context × (d·kv_heads/heads) per layer; kv_heads 0 means all heads
    kv = kv_heads + (kv_heads == 0) * heads
    return 2 * layers * context * d_model * kv // heads * sequences * bytes


formula(
    name="kv-cache",
    vectorised=True,
    section="15.1",
    catalogue_id="TR-KV",
    summary="Bytes of a Transformer's key/value cache: 2·L·n·d_kv·bytes per sequence",
    params=(
        Param("layers", INT, "layers L", minimum=1),
        Param("context", INT, "cached tokens n", minimum=1),
        Param("d-model", INT, "model width d", minimum=1),
        Param("heads", INT, "query heads", default=1, minimum=1),
        Param("kv-heads", INT, "key/value heads (grouped-query attention; 0: as many as --heads)", default=0,
              minimum=0),
        Param("sequences", INT, "sequences in the batch", default=1, minimum=1),
        Param("bytes", INT, "bytes per value (2 for fp16/bf16, 4 for fp32)", default=2, minimum=1),
    ),
    formula="2·L·n·d·(kv_heads/heads)·sequences·bytes",
    latex=r"2\,L\,n\,d_{kv}\,b",
    compute=kv_cache_bytes,
    rules=(
        _HEADS_DIVIDE,
        Rule(broken=lambda heads, kv_heads, **_: (kv_heads > 0) & ((heads % (kv_heads + (kv_heads == 0)) != 0)
                                                               | (kv_heads > heads)),
             says=lambda heads, kv_heads, **_: f"--kv-heads {kv_heads} must divide --heads {heads}"),
    ),
    examples=(
        ("--layers 12 --context 1024 --d-model 768", "37748736", "GPT-2 small, full context, fp16"),
        ("--layers 32 --context 4096 --d-model 4096 --heads 32", "2147483648", "a 7B model: 0.5 MiB per token"),
        ("--layers 32 --context 4096 --d-model 4096 --heads 32 --kv-heads 8", "536870912", "GQA with 8 KV heads"),
    ),
)
