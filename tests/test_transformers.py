"""Attention, Transformer and LLM formulas against independent references.

Parameter counts: each model's tensors are enumerated here by name and shape, following the
reference implementations (Hugging Face BertModel and GPT2Model, torchvision VisionTransformer), and
checked against published totals: BERT-base 109,482,240 and BERT-large 335,141,888 (catalogue
E64); GPT-2 124,439,808 / 354,823,168 / 774,030,080 / 1,557,611,200 (Hugging Face model cards);
ViT 86,567,656 (B/16), 88,224,232 (B/32), 304,326,632 (L/16), 306,535,400 (L/32), 632,045,800
(H/14) from torchvision's documentation. MultiheadAttention and Transformer layer totals marked
"torch" were produced with PyTorch 2.13 during development.
"""

from __future__ import annotations

import itertools
import json
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_main
from dlcalc.catalogue import transformers


def out(args):
    run = run_main(args)
    assert run.code == 0, run.err
    return run.out.strip()


# ---- parameter counts --------------------------------------------------------------------------


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


@pytest.mark.parametrize(
    "args, torch_total",
    [
        (["--d-model", "512", "--heads", "8"], 1_050_624),
        (["--d-model", "768", "--heads", "12"], 2_362_368),
        (["--d-model", "512", "--heads", "8", "--kdim", "256", "--vdim", "128"], 722_944),
        (["--d-model", "512", "--heads", "8", "--no-bias"], 1_048_576),
        (["--d-model", "512", "--heads", "8", "--kdim", "256", "--vdim", "128", "--no-bias"], 720_896),
    ],
)
def test_mha_params_match_pytorch(args, torch_total):
    assert int(out(["mha-params", *args])) == torch_total


@settings(max_examples=40, deadline=None)
@given(d_head=st.integers(1, 64), heads=st.integers(1, 16), kdim=st.integers(0, 300), vdim=st.integers(0, 300))
def test_mha_params_are_the_projection_shapes(d_head, heads, kdim, vdim):
    d = d_head * heads
    k, v = kdim or d, vdim or d
    # nn.MultiheadAttention: q/k/v projection weights, in_proj_bias (3d), out_proj (d×d + d)
    expected = d * d + d * k + d * v + 3 * d + d * d + d
    args = ["mha-params", "--d-model", d, "--heads", heads, "--kdim", kdim, "--vdim", vdim]
    assert int(out(list(map(str, args)))) == expected


def test_transformer_layer_params_match_pytorch():
    assert int(out(["transformer-layer-params", "--d-model", "512", "--heads", "8", "--d-ff", "2048"])) == 3_152_384
    assert int(out(["transformer-layer-params", "--d-model", "1024", "--heads", "16"])) == 12_596_224
    assert int(out(["transformer-layer-params", "--d-model", "512", "--heads", "8", "--d-ff", "2048",
                    "--decoder"])) == 4_204_032
    d = 300  # 12d² + 13d for d_ff = 4d
    assert int(out(["transformer-layer-params", "--d-model", str(d)])) == 12 * d * d + 13 * d
    assert run_main(["mha-params", "--d-model", "10", "--heads", "3"]).code == 2


# ---- attention -------------------------------------------------------------------------------------


def reference_attention(Q, K, V, causal):
    """Loops and math.exp only."""
    d_k, n, m = len(Q[0]), len(Q), len(K)
    rows = []
    for i in range(n):
        scores = [sum(Q[i][c] * K[j][c] for c in range(d_k)) / math.sqrt(d_k) for j in range(m)]
        visible = [j for j in range(m) if not causal or j <= i + (m - n)]
        top = max(scores[j] for j in visible)
        weights = {j: math.exp(scores[j] - top) for j in visible}
        norm = sum(weights.values())
        rows.append([sum(weights[j] / norm * V[j][c] for j in visible) for c in range(len(V[0]))])
    return rows


def parse_matrix(text):
    return json.loads(text)


@pytest.mark.parametrize("causal", [False, True])
def test_attention_matches_loops(causal):
    rng = random.Random(4)
    for n, m, d_k, d_v in ((1, 3, 2, 2), (3, 3, 4, 1), (2, 5, 3, 3)):
        Q = [[rng.uniform(-2, 2) for _ in range(d_k)] for _ in range(n)]
        K = [[rng.uniform(-2, 2) for _ in range(d_k)] for _ in range(m)]
        V = [[rng.uniform(-2, 2) for _ in range(d_v)] for _ in range(m)]
        args = ["attention", "--Q", json.dumps(Q), "--K", json.dumps(K), "--V", json.dumps(V)] + ["--causal"] * causal
        assert np.allclose(parse_matrix(out(args)), reference_attention(Q, K, V, causal), atol=1e-10)


def test_causal_weights_are_lower_triangular_rows_of_one():
    record = json.loads(out(["attention", "--Q", "1,2;3,4;5,6", "--K", "1,0;0,1;1,1", "--V", "1;2;3", "--causal",
                             "--json"]))
    weights = np.array(record["weights"])
    assert np.allclose(weights.sum(axis=1), 1) and np.all(np.triu(weights, 1) == 0)


# ---- compute, memory, perplexity ----------------------------------------------------------------


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


def test_perplexity_is_exp_of_the_cross_entropy():
    rng = random.Random(5)
    for _ in range(20):
        probs = [rng.uniform(0.01, 1) for _ in range(rng.randint(1, 12))]
        cross_entropy = -sum(math.log(p) for p in probs) / len(probs)
        expected = math.exp(cross_entropy)
        given_probs = float(out(["perplexity", "--probs", ",".join(map(repr, probs))]))
        given_logs = float(out(["perplexity", "--log-probs=" + ",".join(repr(math.log(p)) for p in probs)]))
        given_bits = float(out(["perplexity", "--log-probs=" + ",".join(repr(math.log2(p)) for p in probs),
                                "--base", "2"]))
        given_nll = float(out(["perplexity", "--nll", repr(cross_entropy)]))
        for value in (given_probs, given_logs, given_bits, given_nll):
            assert value == pytest.approx(expected, rel=1e-10)


def test_uniform_model_has_perplexity_v_and_the_sheet_does_not():
    run = run_main(["perplexity", "--probs", ",".join(["0.02"] * 7), "--json"])
    record = json.loads(run.out)
    assert record["result"] == 50.0
    assert record["sheet_2_pow_H_nats"] == pytest.approx(2 ** math.log(50))  # 15.05 (E62)
    assert run_main(["perplexity", "--nll", "1", "--probs", "0.5"]).code == 2
    assert run_main(["perplexity", "--probs", "0,1"]).code == 2


# ---- ViT, BERT masking, autoregressive sampling ---------------------------------------------------


def test_vit_tokens_by_cutting_an_image():
    image = np.arange(224 * 224 * 3).reshape(224, 224, 3)
    patches = [image[r:r + 16, c:c + 16] for r in range(0, 224, 16) for c in range(0, 224, 16)]
    record = json.loads(out(["vit-tokens", "--image", "224", "--patch", "16", "--json"]))
    assert record["result"]["tokens"] == len(patches) + 1 == 197
    assert record["result"]["patch_dim"] == patches[0].reshape(-1).size == 768
    assert record["sheet_patch_dim"] == 16 * 3 * 3  # the sheet's p·q² (E65)
    assert out(["vit-tokens", "--image", "384,192", "--patch", "32", "--no-cls"]).startswith("tokens=72 ")
    assert run_main(["vit-tokens", "--image", "225", "--patch", "16"]).code == 2


def test_bert_mask_fractions_by_simulation():
    rng = random.Random(6)
    counts = {"mask": 0, "random": 0, "unchanged": 0}
    tokens = 200_000
    for _ in range(tokens):
        if rng.random() < 0.15:
            u = rng.random()
            counts["mask" if u < 0.8 else "random" if u < 0.9 else "unchanged"] += 1
    record = json.loads(out(["bert-mask", "--json"]))
    for name, fraction in record["result"].items():
        assert counts[name] / tokens == pytest.approx(fraction, abs=0.003)
    assert record["result"] == {"mask": 0.12, "random": 0.015, "unchanged": 0.015}


def test_sequence_log_probability_is_a_sum_of_logs():
    probs = [0.9, 0.05, 0.3, 0.7]
    assert float(out(["seq-logprob", "--probs", "0.9,0.05,0.3,0.7"])) == pytest.approx(
        sum(math.log(p) for p in probs), rel=1e-11)


def reference_sampling(logits, temperature, top_k, top_p):
    weights = [math.exp(z / temperature) for z in logits]
    probs = [w / sum(weights) for w in weights]
    order = sorted(range(len(probs)), key=lambda i: -probs[i])[: top_k or len(probs)]
    kept, mass = [], 0.0
    for i in order:  # the smallest prefix of the ranking whose mass reaches top_p
        kept.append(i)
        mass += probs[i]
        if mass >= top_p:
            break
    norm = sum(probs[i] for i in kept)
    return [probs[i] / norm if i in kept else 0.0 for i in range(len(probs))]


@settings(max_examples=40, deadline=None)
@given(
    logits=st.lists(st.floats(-5, 5).map(lambda x: round(x, 3)), min_size=1, max_size=8, unique=True),
    temperature=st.sampled_from([0.5, 1.0, 2.0]),
    top_k=st.integers(0, 8),
    top_p=st.sampled_from([0.3, 0.6, 0.9, 1.0]),
)
def test_sampling_matches_the_definition(logits, temperature, top_k, top_p):
    args = ["sampling-probs", "--logits=" + ",".join(map(repr, logits)), "--temperature", repr(temperature),
            "--top-k", str(top_k), "--top-p", repr(top_p)]
    got = [float(v) for v in out(args).split(",")]
    assert np.allclose(got, reference_sampling(logits, temperature, top_k, top_p), atol=1e-10)


# ---- identities --------------------------------------------------------------------------------------


def test_sinusoidal_shift_is_a_rotation_and_not_its_transpose():
    assert transformers.prove_sinusoidal_shift().proven
    assert not transformers.prove_sinusoidal_shift("transposed").proven


def test_scaled_scores_have_unit_variance_and_unscaled_do_not():
    assert transformers.prove_attention_variance().proven
    assert not transformers.prove_attention_variance(scaled=False).proven


def test_nucleus_keeps_the_token_that_reaches_p_exactly():
    # four equal tokens: two reach the mass 0.5 exactly, and the nucleus stops there
    assert out(["sampling-probs", "--logits", "0,0,0,0", "--top-p", "0.5"]) == "0.5,0.5,0.0,0.0"
    assert out(["sampling-probs", "--logits", "0,0,0,0", "--top-k", "3"]) == ",".join(["0.333333333333"] * 3 + ["0.0"])


def test_positional_encoding_by_definition():
    got = [float(v) for v in out(["positional-encoding", "--pos", "7", "--d-model", "6"]).split(",")]
    expected = []
    for i in range(3):
        angle = 7 / 10000 ** (2 * i / 6)
        expected += [math.sin(angle), math.cos(angle)]
    assert np.allclose(got, expected, atol=1e-11)
    assert run_main(["positional-encoding", "--pos", "1", "--d-model", "5"]).code == 2


def test_elmo_mix_by_hand():
    h, w, gamma = [[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]], [0.2, -1.0, 0.7], 1.7
    s = [math.exp(v) / sum(math.exp(u) for u in w) for v in w]
    expected = [gamma * sum(s[j] * h[j][c] for j in range(3)) for c in range(2)]
    got = [float(v) for v in out(["elmo-mix", "--h", json.dumps(h), "--w=0.2,-1,0.7", "--gamma", "1.7"]).split(",")]
    assert np.allclose(got, expected, atol=1e-11)


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


# ---- LM cross-entropy and noisy-channel decoding ---------------------------------------------------------


def test_lm_cross_entropy_from_logits_by_a_loop_and_its_exp_is_the_perplexity():
    rng = np.random.default_rng(11)
    logits, targets = rng.standard_normal((7, 5)) * 3, rng.integers(0, 5, 7)
    nll = 0.0
    for row, target in zip(logits.tolist(), targets.tolist()):  # −ln softmax, written out
        nll += math.log(sum(math.exp(v) for v in row)) - row[target]
    args = ["lm-cross-entropy", "--logits", json.dumps(logits.tolist()),
            "--targets", ",".join(map(str, targets.tolist()))]
    assert float(out(args)) == pytest.approx(nll / 7, rel=1e-11)
    assert float(out([*args, "--unit", "bits"])) == pytest.approx(nll / 7 / math.log(2), rel=1e-11)
    probs = [math.exp(-(math.log(sum(math.exp(v) for v in row)) - row[t])) for row, t in zip(logits.tolist(), targets)]
    by_probs = float(out(["lm-cross-entropy", "--probs", ",".join(map(repr, probs))]))
    assert by_probs == pytest.approx(nll / 7, rel=1e-10)
    perplexity = float(out(["perplexity", "--probs", ",".join(map(repr, probs))]))
    assert perplexity == pytest.approx(math.exp(by_probs), rel=1e-10)
    # bits in, bits out: −mean log₂ q
    assert float(out(["lm-cross-entropy", "--log-probs=-1,-3", "--base", "2", "--unit", "bits"])) == 2.0
    assert run_main(["lm-cross-entropy", "--logits", "0,0", "--targets", "0.5"]).code == 2


def test_noisy_channel_posterior_by_enumeration_and_bayes():
    lm, channel = [0.3, 0.05, 0.15, 0.01], [0.02, 0.4, 0.1, 0.9]
    joint = [p * c for p, c in zip(lm, channel)]
    record = json.loads(out(["noisy-channel", "--lm", "0.3,0.05,0.15,0.01", "--channel", "0.02,0.4,0.1,0.9", "--json"]))
    assert record["result"]["best"] == max(range(4), key=joint.__getitem__) == 1
    assert np.allclose(record["result"]["posterior"], np.array(joint) / sum(joint))
    assert record["channel_only_best"] == 3  # the channel alone decodes differently
    # with a normalised prior the posterior is Bayes' rule (an independent implementation)
    normalised = np.array(lm) / sum(lm)
    bayes = out(["bayes", "--prior", ",".join(map(repr, normalised.tolist())), "--lik", "0.02,0.4,0.1,0.9"])
    assert np.allclose([float(v) for v in bayes.split(",")], record["result"]["posterior"])
    assert run_main(["noisy-channel", "--lm", "0.5", "--channel", "0.5,0.5"]).code == 2


def test_gpt_causal_lm_loss_is_the_summed_token_nll():
    """LLM-GPT: the causal LM loss −Σ_t log p(x_t∣x_<t), from logits, is N·H and −seq-logprob."""
    rng = np.random.default_rng(4)
    logits, targets = rng.standard_normal((4, 5)), [3, 0, 4, 1]
    by_hand = -sum(row[t] - math.log(sum(math.exp(v) for v in row)) for row, t in zip(logits.tolist(), targets))
    record = json.loads(out(["lm-cross-entropy", "--logits", json.dumps(logits.tolist()),
                             "--targets", ",".join(map(str, targets)), "--json"]))
    assert record["total_nll_nats"] == pytest.approx(by_hand) and record["result"] == pytest.approx(by_hand / 4)
    probs = [math.exp(-v) for v in (-(row[t] - math.log(sum(math.exp(x) for x in row)))
                                    for row, t in zip(logits.tolist(), targets))]
    assert float(out(["seq-logprob", "--probs", ",".join(map(str, probs))])) == pytest.approx(-by_hand)


def test_chain_rule_rebuilds_a_joint_distribution():
    """RNN-AR: P(x_1..x_T) = Π_t P(x_t∣x_<t), with the conditionals got by marginalising a random joint."""
    rng = np.random.default_rng(9)
    sequences = list(itertools.product(range(3), repeat=3))
    joint = dict(zip(sequences, rng.dirichlet(np.ones(len(sequences)))))

    def prefix_mass(prefix):
        return sum(p for s, p in joint.items() if s[:len(prefix)] == prefix)

    for sequence in sequences:
        conditionals = [prefix_mass(sequence[:t + 1]) / prefix_mass(sequence[:t]) for t in range(3)]
        got = float(out(["seq-logprob", "--probs", ",".join(f"{c:.17g}" for c in conditionals)]))
        assert got == pytest.approx(math.log(joint[sequence]), rel=1e-9)
    # an altered chain that conditions on the previous token only is wrong for a general joint
    sequence = sequences[5]
    markov = [prefix_mass(sequence[:1])] + [
        sum(p for s, p in joint.items() if s[t - 1:t + 1] == sequence[t - 1:t + 1])
        / sum(p for s, p in joint.items() if s[t - 1] == sequence[t - 1]) for t in (1, 2)]
    assert math.prod(markov) != pytest.approx(joint[sequence], rel=1e-3)
