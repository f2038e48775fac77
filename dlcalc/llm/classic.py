"""model-params: the sheet's BERT, GPT-2 and ViT presets by component. Their layers are counted by the
same code as every llm-* model (an encoder layer is a GPT-2 layer: LayerNorms, biases, a plain MLP).

Parameter counts follow the reference implementations of BERT (Hugging Face BertModel with pooler),
GPT-2 (tied input and output embeddings) and ViT (torchvision vit_*), tensor by tensor.
"""

from __future__ import annotations

from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLAG, INT, Param, choice, formula
from dlcalc.core.result import Result, Table
from dlcalc.llm._arithmetic import layer_components
from dlcalc.llm._model import Model

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


def encoder_layer(d_model: int, d_ff: int) -> Model:
    """A post- or pre-norm Transformer layer with biases and LayerNorms (BERT, GPT-2, ViT)."""
    return Model(name="layer", model_type="gpt2", layers=1, d_model=d_model, heads=1, kv_heads=1, head_dim=d_model,
                 d_ff=d_ff, vocab=1, tied=True, gated_mlp=False, layer_norm=True, norms_per_layer=2,
                 qkv_bias=True, o_bias=True, mlp_bias=True)


def _layers_component(config):
    return config["layers"] * sum(layer_components(encoder_layer(config["d_model"], config["d_ff"])).values())


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
    return Result(value=total,
        table=Table(columns=["component", "parameters", "share"],
                    rows=[[k, f"{v:,}", f"{100 * v / total:.1f} %"] for k, v in components.items()],
                    title=f"{preset}: " + ", ".join(f"{k}={v}" for k, v in shown.items())),
        extra={"total": total, "components": components, "config": shown},
        steps=[f"{total:,} parameters ≈ {total / 1e6:.1f} M"],
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
    errata=("E64", "E55"),  # declared with bert-mask and with the LSTM parameter counts
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
