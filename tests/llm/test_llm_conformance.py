"""Every preset against the Hugging Face implementation itself (skipped without torch and transformers).

Parameters: the full-size model built on the meta device from the preset's config (nothing is
downloaded, no memory is used). KV cache and FLOPs: a shrunk variant of each preset (2 layers, narrow,
same family features, same head grouping) built on the CPU, run once; FlopCounterMode counts the
forward pass, one decoding step and forward + backward.
"""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from dlcalc.llm import _arithmetic as arith  # noqa: E402
from dlcalc.llm._model import FAMILIES, PRESETS, from_config  # noqa: E402

CONTEXT = 8

# Configs with what no preset has: OPT's projections without a final LayerNorm (facebook/opt-350m),
# Falcon's new decoder architecture (tiiuae/falcon-40b) and its sequential, biased, multi-head variant
# (tiiuae/falcon-rw-1b), Llama biases, Qwen2's sliding-window switch and max_window_layers, Gemma's default head_dim.
VARIANTS = {
    "opt-350m": {"model_type": "opt", "hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
                 "ffn_dim": 4096, "vocab_size": 50272, "max_position_embeddings": 2048, "word_embed_proj_dim": 512,
                 "do_layer_norm_before": False},
    "falcon-40b": {"model_type": "falcon", "hidden_size": 8192, "num_hidden_layers": 60, "num_attention_heads": 128,
                   "num_kv_heads": 8, "new_decoder_architecture": True, "parallel_attn": True, "bias": False,
                   "vocab_size": 65024},
    "falcon-rw-1b": {"model_type": "falcon", "hidden_size": 2048, "num_hidden_layers": 24, "num_attention_heads": 32,
                     "multi_query": False, "parallel_attn": False, "bias": True, "alibi": True, "vocab_size": 50304},
    "llama-biased": {**PRESETS["llama3.2-1b"], "attention_bias": True, "mlp_bias": True},
    "qwen2-window": {**PRESETS["qwen2.5-0.5b"], "use_sliding_window": True, "sliding_window": 4096,
                     "max_window_layers": 0},
    # use_sliding_window with the default max_window_layers (28): no layer of 24 is windowed
    "qwen2-window-off": {**PRESETS["qwen2.5-0.5b"], "use_sliding_window": True, "sliding_window": 4},
    "mistral-window-4": {**PRESETS["mistral-7b"], "sliding_window": 4},  # shrunk: a window below CONTEXT
    "phi3-window-4": {**PRESETS["phi3-mini"], "sliding_window": 4},  # Phi-3's window caps its cache too
    "gemma-no-head-dim": {k: v for k, v in PRESETS["gemma-2b"].items() if k != "head_dim"},
}
ALL = {**PRESETS, **VARIANTS}


def hf_config(raw):
    fields = {k: v for k, v in raw.items() if k != "model_type"}
    config = transformers.AutoConfig.for_model(raw["model_type"], **fields)
    config._attn_implementation = "eager"
    config._experts_implementation = "eager"  # transformers ≥ 5: a loop of linear maps, as FlopCounterMode sees it
    return config


def build(raw, device):
    config = hf_config(raw)
    with torch.device(device):
        return transformers.AutoModelForCausalLM.from_config(config)


def expert_parameters(model):
    return sum(p.numel() for name, p in model.named_parameters() if ".experts." in name or name.endswith(".experts"))


@pytest.mark.parametrize("preset", list(ALL))
def test_parameters_match_the_meta_model(preset):
    raw = ALL[preset]
    hf = build(raw, "meta")
    total = sum(p.numel() for p in hf.parameters())
    count = arith.count_params(from_config(raw, preset))
    assert count.total == total
    mine = from_config(raw, preset)
    if mine.experts:
        unused = expert_parameters(hf) * (mine.experts - mine.experts_per_token) // mine.experts
        assert count.active == total - unused
    else:
        assert count.active == total
    embedding = hf.get_input_embeddings().weight
    assert count.embedding == embedding.numel()
    head = hf.get_output_embeddings().weight
    assert count.lm_head == (0 if head is embedding else head.numel())  # a tied head is counted once


def shrunk(raw):
    """The same family and features, small: 2 layers, head size 16, at most 4 query heads, the same
    heads-per-KV-head grouping where it fits, a small vocabulary and MLP."""
    keys = {**FAMILIES[raw["model_type"]].keys, "kv_heads": "num_kv_heads"} if raw["model_type"] == "falcon" \
        and raw.get("new_decoder_architecture") else FAMILIES[raw["model_type"]].keys
    small = dict(raw)
    model = from_config(raw, "x")
    group = model.heads // model.kv_heads
    kv = 1 if group >= 4 else min(model.kv_heads, 2)
    heads = kv * min(group, 4)
    values = {"layers": 2, "d_model": heads * 16, "heads": heads, "vocab": 96, "d_ff": 40}
    if "kv_heads" in keys:
        values["kv_heads"] = kv
    for field, v in values.items():
        small[keys[field]] = v
    if raw.get("head_dim"):
        small["head_dim"] = 16
    small.update(pad_token_id=0, bos_token_id=0, eos_token_id=0)  # inside the small vocabulary
    if raw["model_type"] == "opt":
        if raw.get("word_embed_proj_dim") != raw["hidden_size"]:
            small["word_embed_proj_dim"] = small["hidden_size"] // 2
        else:
            small["word_embed_proj_dim"] = small["hidden_size"]
        small["max_position_embeddings"] = 64
    if raw["model_type"] == "gpt2":
        small["n_positions"] = 64
    return small


def kv_bytes(cache):
    layers = getattr(cache, "layers", None)
    if layers is not None:
        return sum(layer.keys.numel() * layer.keys.element_size() + layer.values.numel() * layer.values.element_size()
                   for layer in layers)
    return sum(k.numel() * k.element_size() + v.numel() * v.element_size() for k, v in zip(cache.key_cache, cache.value_cache))


def counted(run):
    with FlopCounterMode(display=False) as counter:
        result = run()
    return counter.get_total_flops(), result


def distinct_shrunk():
    """One preset per distinct shrunk config (gpt2 and gpt2-xl shrink to the same model)."""
    seen, names = set(), []
    for name, raw in ALL.items():
        key = json.dumps(shrunk(raw), sort_keys=True)
        if key not in seen:
            seen.add(key)
            names.append(name)
    return names


@pytest.mark.parametrize("preset", distinct_shrunk())
def test_kv_cache_and_flops_match_a_shrunk_model(preset):
    raw = shrunk(ALL[preset])
    torch.manual_seed(0)
    hf = build(raw, "cpu")
    mine = from_config(raw, preset)
    ids = torch.randint(0, 96, (1, CONTEXT))

    with torch.no_grad():
        forward, output = counted(lambda: hf(ids, use_cache=True))
    assert forward == sum(arith.forward_flops(mine, CONTEXT).values())

    cache = output.past_key_values
    cached = arith.cached_tokens(CONTEXT, mine.sliding_window)
    assert kv_bytes(cache) == arith.kv_values_per_token(mine) * 4 * cached  # fp32 values

    with torch.no_grad():
        decode, _ = counted(lambda: hf(ids[:, :1], past_key_values=cache, use_cache=True))
    assert decode == sum(arith.forward_flops(mine, CONTEXT, decode=True).values())

    def train():
        hf(ids, labels=ids).loss.backward()

    training, _ = counted(train)
    assert training == (1 + arith.BACKWARD_FACTOR) * forward


@pytest.mark.parametrize("preset, published_kv", [
    ("llama2-7b", None), ("llama3-8b", None), ("falcon-7b", None),
    ("gemma-7b", 458_752),  # the issue's anchor: bytes per token at bf16
    ("opt-13b", 819_200),  # at fp16
])
def test_full_size_forward_on_the_meta_device(preset, published_kv):
    """The full model on the meta device (shapes only): FlopCounterMode over 128 tokens and the cache."""
    raw = PRESETS[preset]
    hf = build(raw, "meta")
    mine = from_config(raw, preset)
    ids = torch.zeros(1, 128, dtype=torch.long, device="meta")
    with torch.no_grad():
        forward, output = counted(lambda: hf(ids, use_cache=True))
    assert forward == sum(arith.forward_flops(mine, 128).values())
    if preset == "llama2-7b":
        assert forward == 1_700_001_742_848
    per_token_16bit = kv_bytes(output.past_key_values) // 128 // 2  # fp32 on the meta device
    assert per_token_16bit == arith.kv_values_per_token(mine) * 2
    if published_kv:
        assert per_token_16bit == published_kv
