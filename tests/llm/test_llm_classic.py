"""Transformer models as a whole (model-params, transformer-flops, kv-cache) against independent
references.

Parameter counts: each model's tensors are enumerated here by name and shape, following the
reference implementations (Hugging Face BertModel and GPT2Model, torchvision VisionTransformer), and
checked against published totals: BERT-base 109,482,240 and BERT-large 335,141,888 (catalogue
E64); GPT-2 124,439,808 / 354,823,168 / 774,030,080 / 1,557,611,200 (Hugging Face model cards);
ViT 86,567,656 (B/16), 88,224,232 (B/32), 304,326,632 (L/16), 306,535,400 (L/32), 632,045,800
(H/14) from torchvision's documentation.
"""

from __future__ import annotations

import json
import math

import pytest

from conftest import run_main


def out(args):
    run = run_main(args)
    assert run.code == 0, run.err
    return run.out.strip()


def linear(prefix, n_in, n_out, bias=True):
    shapes = {f"{prefix}.weight": (n_out, n_in)}
    if bias:
        shapes[f"{prefix}.bias"] = (n_out,)
    return shapes


def layer_norm(prefix, d):
    return {f"{prefix}.weight": (d,), f"{prefix}.bias": (d,)}


def encoder_block(prefix, d, d_ff):
    """The tensors of one BERT / GPT-2 / ViT block (separate q, k, v as in BERT; same sizes)."""
    shapes = {}
    for name in ("query", "key", "value", "attn_out"):
        shapes |= linear(f"{prefix}.{name}", d, d)
    shapes |= layer_norm(f"{prefix}.ln1", d) | layer_norm(f"{prefix}.ln2", d)
    shapes |= linear(f"{prefix}.ffn_in", d, d_ff) | linear(f"{prefix}.ffn_out", d_ff, d)
    return shapes


def bert_shapes(L, d, vocab=30522, positions=512, pooler=True):
    shapes = {"word_embeddings": (vocab, d), "position_embeddings": (positions, d), "token_type_embeddings": (2, d)}
    shapes |= layer_norm("embeddings.LayerNorm", d)
    for i in range(L):
        shapes |= encoder_block(f"layer.{i}", d, 4 * d)
    if pooler:
        shapes |= linear("pooler.dense", d, d)
    return shapes


def gpt2_shapes(L, d, vocab=50257, positions=1024):
    shapes = {"wte": (vocab, d), "wpe": (positions, d)}  # lm_head.weight is wte (tied)
    for i in range(L):
        shapes |= encoder_block(f"h.{i}", d, 4 * d)
    return shapes | layer_norm("ln_f", d)


def vit_shapes(L, d, patch, image=224, classes=1000):
    tokens = (image // patch) ** 2 + 1
    shapes = {"conv_proj.weight": (d, 3, patch, patch), "conv_proj.bias": (d,), "class_token": (1, 1, d),
              "pos_embedding": (1, tokens, d)}
    for i in range(L):
        shapes |= encoder_block(f"encoder.layers.{i}", d, 4 * d)
    return shapes | layer_norm("encoder.ln", d) | linear("heads.head", d, classes)


def total(shapes):
    return sum(math.prod(s) for s in shapes.values())


PRESETS = [
    ("bert-base", bert_shapes(12, 768), 109_482_240),
    ("bert-large", bert_shapes(24, 1024), 335_141_888),
    ("gpt2", gpt2_shapes(12, 768), 124_439_808),
    ("gpt2-medium", gpt2_shapes(24, 1024), 354_823_168),
    ("gpt2-large", gpt2_shapes(36, 1280), 774_030_080),
    ("gpt2-xl", gpt2_shapes(48, 1600), 1_557_611_200),
    ("vit-b16", vit_shapes(12, 768, 16), 86_567_656),
    ("vit-b32", vit_shapes(12, 768, 32), 88_224_232),
    ("vit-l16", vit_shapes(24, 1024, 16), 304_326_632),
    ("vit-l32", vit_shapes(24, 1024, 32), 306_535_400),
    ("vit-h14", vit_shapes(32, 1280, 14), 632_045_800),
]


@pytest.mark.parametrize("preset, shapes, published", PRESETS, ids=[p[0] for p in PRESETS])
def test_presets_match_enumerated_tensors_and_published_totals(preset, shapes, published):
    assert total(shapes) == published
    record = json.loads(out(["model-params", preset, "--json"]))
    assert record["result"] == record["total"] == published
    assert sum(record["components"].values()) == published


def test_preset_overrides_and_variants():
    assert int(out(["model-params", "bert-base", "--no-pooler"])) == total(bert_shapes(12, 768, pooler=False))
    assert int(out(["model-params", "gpt2", "--untied"])) == 124_439_808 + 50257 * 768
    assert int(out(["model-params", "gpt2", "--layers", "6"])) == total(gpt2_shapes(6, 768))
    assert int(out(["model-params", "bert-base", "--vocab", "50000", "--context", "1024"])) == total(
        bert_shapes(12, 768, vocab=50000, positions=1024))
    assert run_main(["model-params", "gpt2", "--no-pooler"]).code == 2
    assert run_main(["model-params", "gpt5"]).code == 2


def test_training_flops_and_kv_cache():
    assert float(out(["training-flops", "--params", "1e9", "--tokens", "2e10"])) == 6 * 1e9 * 2e10
    # K and V per layer: (sequences, kv_heads, context, head_dim) each, in bytes
    layers, context, d, heads, kv_heads, seqs, nbytes = 32, 4096, 4096, 32, 8, 3, 2
    per_tensor = seqs * kv_heads * context * (d // heads) * nbytes
    args = ["kv-cache", "--layers", layers, "--context", context, "--d-model", d, "--heads", heads,
            "--kv-heads", kv_heads, "--sequences", seqs, "--bytes", nbytes]
    assert int(out(list(map(str, args)))) == layers * 2 * per_tensor
    assert int(out(["kv-cache", "--layers", "32", "--context", "1", "--d-model", "4096"])) == 2 * 32 * 4096 * 2
    assert run_main(["kv-cache", "--layers", "1", "--context", "1", "--d-model", "8", "--heads", "4",
                     "--kv-heads", "3"]).code == 2


def test_kv_cache_batch_rows_with_and_without_grouped_heads():
    text = "layers,context,d-model,heads,kv-heads\n12,1024,768,12,0\n32,4096,4096,32,8\n1,1,8,4,3\n"
    run = run_main(["kv-cache", "--batch", "-"], stdin=text)
    assert run.out.splitlines() == ["37748736", "536870912", ""]
    assert run.code == 1 and "line 4" in run.err


def matmul_flops(a_rows, inner, b_cols):
    return 2 * a_rows * inner * b_cols


def test_transformer_flops_by_matmul_shapes():
    L, n, d, d_ff = 3, 50, 16, 40
    per_layer = 4 * matmul_flops(n, d, d)  # Q, K, V and output projections
    per_layer += matmul_flops(n, d, n) + matmul_flops(n, n, d)  # QKᵀ and A·V
    per_layer += matmul_flops(n, d, d_ff) + matmul_flops(n, d_ff, d)  # the two FFN layers
    assert int(out(["transformer-flops", "--layers", "3", "--context", "50", "--d-model", "16", "--d-ff", "40"])) \
        == L * per_layer
