"""One description of a decoder-only language model: architecture families as data, presets with the
values of their published config.json files, a reader for a Hugging Face config.json from disk, and
command-line overrides. Nothing here computes; _arithmetic.py does.

A family row says, for one Hugging Face ``model_type``, which config.json key holds each field, the
defaults the Hugging Face class uses when a key is absent, and what the architecture has (gated or
plain MLP, RMSNorm or LayerNorm, biases, learned positions, fused projections).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from dlcalc.core.errors import DlcalcError

# ---- the model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    """What the arithmetic needs. Sizes are counts; booleans say whether a tensor exists."""

    name: str
    model_type: str
    layers: int
    d_model: int
    heads: int
    kv_heads: int
    head_dim: int
    d_ff: int
    vocab: int
    tied: bool
    gated_mlp: bool  # SwiGLU/GeGLU: gate, up and down projections; else fc_in and fc_out
    layer_norm: bool  # LayerNorm (weight and bias); else RMSNorm (weight only)
    norms_per_layer: int
    qkv_bias: bool
    o_bias: bool
    mlp_bias: bool
    positions: int = 0  # rows of a learned position table (0: rotary or ALiBi)
    embed_dim: int = 0  # OPT's word_embed_proj_dim when it differs from d_model (0: d_model)
    experts: int = 0  # 0: a dense MLP
    experts_per_token: int = 0
    sliding_window: int = 0  # 0: none
    fused_qkv: bool = False  # one projection for q, k, v (GPT-2, Phi-3, Falcon): counts as q+k+v
    fused_gate_up: bool = False  # Phi-3's gate_up_proj
    parallel_attn: bool = False  # Falcon: attention and MLP read the same normalised input
    max_context: int = 0  # max_position_embeddings / n_positions, for information
    final_norm: bool = True  # OPT with do_layer_norm_before false (opt-350m) has none

    @property
    def q_dim(self) -> int:
        return self.heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        return self.kv_heads * self.head_dim

    @property
    def embedding_width(self) -> int:
        return self.embed_dim or self.d_model


# ---- families (data) -------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    keys: dict[str, str]  # field -> config.json key
    defaults: dict[str, Any]  # config key -> value the Hugging Face class uses when absent
    has: dict[str, Any]  # fixed properties of the architecture (Model fields)


_LLAMA_KEYS = {"layers": "num_hidden_layers", "d_model": "hidden_size", "heads": "num_attention_heads",
               "kv_heads": "num_key_value_heads", "head_dim": "head_dim", "d_ff": "intermediate_size",
               "vocab": "vocab_size", "tied": "tie_word_embeddings", "max_context": "max_position_embeddings"}
_ROTARY_RMS = {"gated_mlp": True, "layer_norm": False, "norms_per_layer": 2}

FAMILIES: dict[str, Family] = {
    # LlamaConfig: attention_bias and mlp_bias default False; embeddings untied by default
    "llama": Family({**_LLAMA_KEYS, "attention_bias": "attention_bias", "mlp_bias": "mlp_bias"},
                    {"tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False}, _ROTARY_RMS),
    "mistral": Family({**_LLAMA_KEYS, "sliding_window": "sliding_window"},
                      {"tie_word_embeddings": False, "sliding_window": None}, _ROTARY_RMS),
    "mixtral": Family({**_LLAMA_KEYS, "sliding_window": "sliding_window", "experts": "num_local_experts",
                       "experts_per_token": "num_experts_per_tok"},
                      {"tie_word_embeddings": False, "sliding_window": None, "num_local_experts": 8,
                       "num_experts_per_tok": 2}, _ROTARY_RMS),
    # Qwen2: biases on q, k and v only; the window applies only with use_sliding_window, and only to
    # the layers from max_window_layers on (Qwen2Config.layer_types)
    "qwen2": Family({**_LLAMA_KEYS, "sliding_window": "sliding_window", "window_switch": "use_sliding_window"},
                    {"tie_word_embeddings": False, "sliding_window": None, "use_sliding_window": False,
                     "max_window_layers": 28},
                    {**_ROTARY_RMS, "qkv_bias": True}),
    # Gemma: head_dim is its own field (256, not d/H), embeddings tied
    "gemma": Family(_LLAMA_KEYS, {"tie_word_embeddings": True, "head_dim": 256}, _ROTARY_RMS),
    # Phi-3: fused qkv_proj and gate_up_proj, no biases
    "phi3": Family({**_LLAMA_KEYS, "sliding_window": "sliding_window"},
                   {"tie_word_embeddings": False, "sliding_window": None},
                   {**_ROTARY_RMS, "fused_qkv": True, "fused_gate_up": True}),
    # GPT-2: fused c_attn, learned positions, LayerNorm, biases everywhere; n_inner None means 4d
    "gpt2": Family({"layers": "n_layer", "d_model": "n_embd", "heads": "n_head", "d_ff": "n_inner",
                    "vocab": "vocab_size", "tied": "tie_word_embeddings", "positions": "n_positions",
                    "max_context": "n_positions"},
                   {"tie_word_embeddings": True, "n_inner": None},
                   {"gated_mlp": False, "layer_norm": True, "norms_per_layer": 2, "qkv_bias": True, "o_bias": True,
                    "mlp_bias": True, "fused_qkv": True}),
    # OPT: a learned table of max_position_embeddings + 2 rows (an offset of 2), biases (enable_bias)
    "opt": Family({"layers": "num_hidden_layers", "d_model": "hidden_size", "heads": "num_attention_heads",
                   "d_ff": "ffn_dim", "vocab": "vocab_size", "tied": "tie_word_embeddings",
                   "positions": "max_position_embeddings", "max_context": "max_position_embeddings",
                   "embed_dim": "word_embed_proj_dim", "bias": "enable_bias",
                   "final_norm": "do_layer_norm_before"},
                  {"tie_word_embeddings": True, "enable_bias": True, "word_embed_proj_dim": None,
                   "do_layer_norm_before": True},
                  {"gated_mlp": False, "layer_norm": True, "norms_per_layer": 2, "position_offset": 2}),
    # Falcon: fused query_key_value, ALiBi or rotary (no table), multi-query (one KV head) or, in the
    # new decoder architecture, num_kv_heads; parallel attention shares one LayerNorm per layer
    "falcon": Family({"layers": "num_hidden_layers", "d_model": "hidden_size", "heads": "num_attention_heads",
                      "d_ff": "ffn_hidden_size", "vocab": "vocab_size", "tied": "tie_word_embeddings",
                      "bias": "bias"},
                     {"tie_word_embeddings": True, "bias": False, "multi_query": True, "parallel_attn": True,
                      "new_decoder_architecture": False, "ffn_hidden_size": None, "num_kv_heads": None,
                      "num_ln_in_parallel_attn": None},
                     {"gated_mlp": False, "layer_norm": True, "fused_qkv": True}),
}
SUPPORTED = tuple(FAMILIES)

# ---- presets: the published config.json values that change the arithmetic ----------------------
# Each from the model's config.json on the Hugging Face hub (organisation/name in the comment).
_LLAMA2 = {"model_type": "llama", "vocab_size": 32000, "max_position_embeddings": 4096}
_LLAMA3 = {"model_type": "llama", "vocab_size": 128256, "max_position_embeddings": 8192}
PRESETS: dict[str, dict[str, Any]] = {
    # meta-llama/Llama-2-7b-hf, -13b-hf, -70b-hf
    "llama2-7b": {**_LLAMA2, "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
                  "num_key_value_heads": 32, "intermediate_size": 11008},
    "llama2-13b": {**_LLAMA2, "hidden_size": 5120, "num_hidden_layers": 40, "num_attention_heads": 40,
                   "num_key_value_heads": 40, "intermediate_size": 13824},
    "llama2-70b": {**_LLAMA2, "hidden_size": 8192, "num_hidden_layers": 80, "num_attention_heads": 64,
                   "num_key_value_heads": 8, "intermediate_size": 28672},
    # meta-llama/Meta-Llama-3-8B, Meta-Llama-3-70B
    "llama3-8b": {**_LLAMA3, "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
                  "num_key_value_heads": 8, "intermediate_size": 14336},
    "llama3-70b": {**_LLAMA3, "hidden_size": 8192, "num_hidden_layers": 80, "num_attention_heads": 64,
                   "num_key_value_heads": 8, "intermediate_size": 28672},
    # meta-llama/Llama-3.1-405B
    "llama3.1-405b": {**_LLAMA3, "hidden_size": 16384, "num_hidden_layers": 126, "num_attention_heads": 128,
                      "num_key_value_heads": 8, "intermediate_size": 53248, "max_position_embeddings": 131072},
    # meta-llama/Llama-3.2-1B, Llama-3.2-3B (tied embeddings, explicit head_dim)
    "llama3.2-1b": {**_LLAMA3, "hidden_size": 2048, "num_hidden_layers": 16, "num_attention_heads": 32,
                    "num_key_value_heads": 8, "head_dim": 64, "intermediate_size": 8192,
                    "tie_word_embeddings": True, "max_position_embeddings": 131072},
    "llama3.2-3b": {**_LLAMA3, "hidden_size": 3072, "num_hidden_layers": 28, "num_attention_heads": 24,
                    "num_key_value_heads": 8, "head_dim": 128, "intermediate_size": 8192,
                    "tie_word_embeddings": True, "max_position_embeddings": 131072},
    # mistralai/Mistral-7B-v0.1
    "mistral-7b": {"model_type": "mistral", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
                   "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 32000,
                   "sliding_window": 4096, "max_position_embeddings": 32768},
    # mistralai/Mixtral-8x7B-v0.1
    "mixtral-8x7b": {"model_type": "mixtral", "hidden_size": 4096, "num_hidden_layers": 32,
                     "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
                     "vocab_size": 32000, "num_local_experts": 8, "num_experts_per_tok": 2,
                     "sliding_window": None, "max_position_embeddings": 32768},
    # Qwen/Qwen2-7B, Qwen/Qwen2.5-0.5B
    "qwen2-7b": {"model_type": "qwen2", "hidden_size": 3584, "num_hidden_layers": 28, "num_attention_heads": 28,
                 "num_key_value_heads": 4, "intermediate_size": 18944, "vocab_size": 152064,
                 "tie_word_embeddings": False, "max_position_embeddings": 131072},
    "qwen2.5-0.5b": {"model_type": "qwen2", "hidden_size": 896, "num_hidden_layers": 24, "num_attention_heads": 14,
                     "num_key_value_heads": 2, "intermediate_size": 4864, "vocab_size": 151936,
                     "tie_word_embeddings": True, "max_position_embeddings": 32768},
    # google/gemma-2b, google/gemma-7b
    "gemma-2b": {"model_type": "gemma", "hidden_size": 2048, "num_hidden_layers": 18, "num_attention_heads": 8,
                 "num_key_value_heads": 1, "head_dim": 256, "intermediate_size": 16384, "vocab_size": 256000,
                 "max_position_embeddings": 8192},
    "gemma-7b": {"model_type": "gemma", "hidden_size": 3072, "num_hidden_layers": 28, "num_attention_heads": 16,
                 "num_key_value_heads": 16, "head_dim": 256, "intermediate_size": 24576, "vocab_size": 256000,
                 "max_position_embeddings": 8192},
    # microsoft/Phi-3-mini-4k-instruct
    "phi3-mini": {"model_type": "phi3", "hidden_size": 3072, "num_hidden_layers": 32, "num_attention_heads": 32,
                  "num_key_value_heads": 32, "intermediate_size": 8192, "vocab_size": 32064,
                  "tie_word_embeddings": False, "sliding_window": 2047, "max_position_embeddings": 4096},
    # tiiuae/falcon-7b
    "falcon-7b": {"model_type": "falcon", "hidden_size": 4544, "num_hidden_layers": 32, "num_attention_heads": 71,
                  "vocab_size": 65024, "multi_query": True, "parallel_attn": True, "bias": False,
                  "new_decoder_architecture": False},
    # facebook/opt-13b
    "opt-13b": {"model_type": "opt", "hidden_size": 5120, "num_hidden_layers": 40, "num_attention_heads": 40,
                "ffn_dim": 20480, "vocab_size": 50272, "max_position_embeddings": 2048,
                "word_embed_proj_dim": 5120, "do_layer_norm_before": True},
    # openai-community/gpt2, gpt2-medium, gpt2-large, gpt2-xl
    "gpt2": {"model_type": "gpt2", "n_layer": 12, "n_embd": 768, "n_head": 12, "vocab_size": 50257, "n_positions": 1024},
    "gpt2-medium": {"model_type": "gpt2", "n_layer": 24, "n_embd": 1024, "n_head": 16, "vocab_size": 50257,
                    "n_positions": 1024},
    "gpt2-large": {"model_type": "gpt2", "n_layer": 36, "n_embd": 1280, "n_head": 20, "vocab_size": 50257,
                   "n_positions": 1024},
    "gpt2-xl": {"model_type": "gpt2", "n_layer": 48, "n_embd": 1600, "n_head": 25, "vocab_size": 50257,
                "n_positions": 1024},
}

# ---- reading a config -------------------------------------------------------------------------

MAX_CONFIG_BYTES = 1 << 20  # a config.json is a few KiB; refuse anything past 1 MiB
MAX_SIZE = 10**7  # a bound on every width, count and vocabulary (the largest real ones are ~10^6)


def read_config_file(path: str) -> dict[str, Any]:
    """A config.json from disk -> its object; one-line errors for unreadable or garbage files."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as err:
        raise DlcalcError(f"--config: cannot read {_short(path)}: {err.strerror}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise DlcalcError(f"--config: {_short(path)} is larger than 1 MiB; not a config.json")
    try:
        config = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as err:
        raise DlcalcError(f"--config: {_short(path)} is not valid JSON ({_short(str(err))})") from None
    if not isinstance(config, dict):
        raise DlcalcError(f"--config: {_short(path)} holds a JSON {type(config).__name__}, not an object")
    return config


def _short(text: str, limit: int = 60) -> str:
    """At most ``limit`` characters, control characters escaped: an error message stays one line."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.encode("unicode_escape").decode("ascii")


def _field(config: dict[str, Any], key: str, family: Family, kind: type, *, required: bool = True) -> Any:
    """config[key] (or the family's default), checked: a missing or mistyped field names itself."""
    if key in config:
        value = config[key]
    elif key in family.defaults:
        value = family.defaults[key]
    elif required:
        raise DlcalcError(f"config: missing field {key!r} (needed for {config.get('model_type')})")
    else:
        return None
    if value is None:
        if required and family.defaults.get(key, 0) is not None:  # null only where the class allows it
            raise DlcalcError(f"config: field {key!r} is null; it must be "
                              + ("true or false" if kind is bool else "a whole number"))
        return None
    if kind is bool:
        if not isinstance(value, bool):
            raise DlcalcError(f"config: field {key!r} must be true or false, got {_short(repr(value))}")
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise DlcalcError(f"config: field {key!r} must be a whole number, got {_short(repr(value))}")
    if not 1 <= value <= MAX_SIZE:
        raise DlcalcError(f"config: field {key!r} must lie in 1..{MAX_SIZE:,}, got {value}")
    return value


def _family_of(config: dict[str, Any]) -> Family:
    model_type = config.get("model_type")
    if model_type is None:
        raise DlcalcError(f"config: missing field 'model_type' (supported: {', '.join(SUPPORTED)})")
    if not isinstance(model_type, str) or model_type not in FAMILIES:
        raise DlcalcError(f"config: unsupported model_type {_short(repr(model_type))}; supported: {', '.join(SUPPORTED)}")
    return FAMILIES[model_type]


# How each field is read: its type, and whether a config must have it (or the family a default).
# The last four set Model fields of their own: a bias switch sets the biases it covers, a window
# switch turns the sliding window off, OPT's positions carry an offset, a projection equal to d is none.
FIELD_TYPES = {
    "layers": (int, True), "d_model": (int, True), "heads": (int, True), "vocab": (int, True),
    "d_ff": (int, True), "tied": (bool, True), "head_dim": (int, False), "kv_heads": (int, False),
    "max_context": (int, False), "sliding_window": (int, False), "experts": (int, True),
    "experts_per_token": (int, True), "positions": (int, True), "embed_dim": (int, False),
    "final_norm": (bool, True), "attention_bias": (bool, True), "mlp_bias": (bool, True), "bias": (bool, True),
    "window_switch": (bool, True),
}
_BIASES = {"attention_bias": ("qkv_bias", "o_bias"), "mlp_bias": ("mlp_bias",),
           "bias": ("qkv_bias", "o_bias", "mlp_bias")}


def fields_of(config: dict[str, Any]) -> dict[str, Any]:
    """A config.json object -> the model's fields; None where a field is derived (head_dim = d/H)."""
    family = _family_of(config)
    fields: dict[str, Any] = {"model_type": config["model_type"], **family.has}
    read = {name: _field(config, key, family, FIELD_TYPES[name][0], required=FIELD_TYPES[name][1])
            for name, key in family.keys.items()}
    for switch, biases in _BIASES.items():
        if switch in read:
            fields.update(dict.fromkeys(biases, read.pop(switch)))
    if read.pop("window_switch", True) is False:
        read["sliding_window"] = None
    if "sliding_window" in read:
        read["sliding_window"] = read["sliding_window"] or 0
    if "positions" in read:
        read["positions"] += family.has.get("position_offset", 0)
    if read.get("embed_dim") == read["d_model"]:
        read["embed_dim"] = None
    fields.update({k: v for k, v in read.items() if not (k == "embed_dim" and v is None)})
    fields.pop("position_offset", None)
    if config["model_type"] == "falcon":
        _falcon_fields(config, family, fields)
    if fields.get("sliding_window") and "max_window_layers" in family.defaults:
        _windowed_layers(config, family, fields)
    return fields


def _windowed_layers(config: dict[str, Any], family: Family, fields: dict[str, Any]) -> None:
    """Qwen2 windows the layers i >= max_window_layers only: none of them means no window; a mix of
    full and windowed layers is refused rather than counted as if every layer were windowed."""
    first = config.get("max_window_layers", family.defaults["max_window_layers"])
    if isinstance(first, bool) or not isinstance(first, int) or not 0 <= first <= MAX_SIZE:
        raise DlcalcError(f"config: field 'max_window_layers' must be a whole number >= 0, got {_short(repr(first))}")
    if first >= fields["layers"]:
        fields["sliding_window"] = 0
    elif first > 0:
        raise DlcalcError(f"config: a sliding window on layers {first}..{fields['layers'] - 1} only "
                          f"(max_window_layers {first}) is not supported; set max_window_layers to 0 or "
                          f"use_sliding_window to false")


def _falcon_fields(config: dict[str, Any], family: Family, fields: dict[str, Any]) -> None:
    """Multi-query (one KV head) or, in the new decoder architecture, num_kv_heads and one or two
    LayerNorms per layer; parallel attention shares one LayerNorm in the old one."""
    parallel = _field(config, "parallel_attn", family, bool)
    fields["parallel_attn"] = parallel
    if _field(config, "new_decoder_architecture", family, bool):
        fields["kv_heads"] = _field(config, "num_kv_heads", family, int)
        in_parallel = _field(config, "num_ln_in_parallel_attn", family, int, required=False) or 2
        fields["norms_per_layer"] = in_parallel
    else:
        fields["kv_heads"] = 1 if _field(config, "multi_query", family, bool) else None
        fields["norms_per_layer"] = 1 if parallel else 2


# ---- overrides and the finished model ----------------------------------------------------------

def apply_overrides(fields: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Change only the fields named; --heads also moves kv_heads where they were equal (plain MHA)."""
    fields = dict(fields)
    given = {k: v for k, v in overrides.items() if v is not None}
    if "heads" in given and "kv_heads" not in given and fields.get("kv_heads") in (None, fields["heads"]):
        fields["kv_heads"] = None  # follows the heads
    if "experts" in given or "experts_per_token" in given:
        if not fields.get("experts"):
            raise DlcalcError(f"--experts/--experts-per-token apply to mixture-of-experts models; "
                              f"{fields['model_type']} is dense")
    fields.update(given)
    return fields


def finish(name: str, fields: dict[str, Any]) -> Model:
    """Fill the derived fields and check that the whole is consistent; an error names the fields as
    the config.json spells them (and as the options do)."""
    values = dict(fields)
    said = _spelling(values["model_type"])
    d, heads = values["d_model"], values["heads"]
    if values.get("head_dim") is None:
        if d % heads:
            raise DlcalcError(f"{said('heads')} {heads} does not divide {said('d_model')} {d}, and no head_dim is given")
        values["head_dim"] = d // heads
    if values.get("kv_heads") is None:
        values["kv_heads"] = heads
    if heads % values["kv_heads"]:
        raise DlcalcError(f"{said('kv_heads')} {values['kv_heads']} must divide {said('heads')} {heads}")
    if values.get("d_ff") is None:
        values["d_ff"] = 4 * d  # GPT-2's n_inner and Falcon's ffn_hidden_size default to 4d
    if values.get("experts") and not 1 <= values["experts_per_token"] <= values["experts"]:
        raise DlcalcError(f"{said('experts_per_token')} {values['experts_per_token']} must lie in "
                          f"1..{said('experts')} {values['experts']}")
    for key in ("layers", "d_model", "heads", "kv_heads", "head_dim", "d_ff", "vocab"):
        if not 1 <= values[key] <= MAX_SIZE:
            raise DlcalcError(f"{key} must lie in 1..{MAX_SIZE:,}, got {values[key]}")
    values.setdefault("qkv_bias", False)
    values.setdefault("o_bias", False)
    values.setdefault("mlp_bias", False)
    values["max_context"] = values.get("max_context") or 0
    return Model(name=name, **values)


def _spelling(model_type: str):
    """field -> 'num_key_value_heads (--kv-heads)': the config key and the option that set it."""
    keys = FAMILIES[model_type].keys

    def said(field: str) -> str:
        option = "--" + field.replace("_", "-")
        return f"{keys[field]} ({option})" if field in keys else option

    return said


def load(preset: Any, config: Any, overrides: dict[str, Any] | None = None, *, tied: bool | None = None) -> Model:
    """MODEL (a preset name) or --config FILE, with overrides -> a Model."""
    has_preset, has_config = _given(preset), _given(config)
    if has_preset == has_config:
        raise DlcalcError("give a MODEL (a preset: " + ", ".join(PRESETS) + ") or --config FILE, not both"
                          if has_preset else "give a MODEL (a preset: " + ", ".join(PRESETS) + ") or --config FILE")
    if has_preset:
        if preset not in PRESETS:
            raise DlcalcError(f"unknown model {_short(repr(preset))}; presets: {', '.join(PRESETS)}")
        return from_config(PRESETS[preset], preset, overrides, tied=tied)
    return from_config(read_config_file(config), str(config), overrides, tied=tied)


def from_config(raw: dict[str, Any], name: str, overrides: dict[str, Any] | None = None, *,
                tied: bool | None = None) -> Model:
    """A config.json object (already parsed) with overrides -> a Model."""
    fields = apply_overrides(fields_of(raw), overrides or {})
    if tied is not None:
        fields["tied"] = tied
    return finish(name, fields)


def _given(value: Any) -> bool:
    return isinstance(value, str) and value != "none" and value != ""
