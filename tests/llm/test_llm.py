"""LLM arithmetic against published figures, hand formulas written here, and bad configs.

The PyTorch/transformers conformance test is tests/llm/test_llm_conformance.py.
"""

from __future__ import annotations

import ast
import json

import pytest

from conftest import run_main
from dlcalc.llm import _arithmetic as arith
from dlcalc.llm._model import PRESETS, from_config


def out(args):
    run = run_main(args)
    assert run.code == 0, run.err
    return run.out.strip()


def record(args):
    return json.loads(out([*args, "--json"]))


# ---- published parameter counts -------------------------------------------------------------------


def test_llama2_7b_parameters():
    # 6,738,415,616: sum(p.numel()) of LlamaForCausalLM for meta-llama/Llama-2-7b-hf (the "6.74B" of the
    # model card); by hand: two 32000×4096 matrices, 32 layers of 4·4096² + 3·4096·11008 + 2·4096, one norm
    by_hand = 2 * 32000 * 4096 + 32 * (4 * 4096**2 + 3 * 4096 * 11008 + 2 * 4096) + 4096
    assert by_hand == 6_738_415_616
    got = record(["llm-params", "llama2-7b"])
    assert got["total"] == got["result"] == 6_738_415_616
    assert got["active"] == got["total"]
    assert got["embedding"] == got["lm_head"] == 32000 * 4096 and got["position_embedding"] == 0
    assert got["non_embedding"] == 6_738_415_616 - 2 * 32000 * 4096
    assert sum(got["components"].values()) == got["total"]


def test_mixtral_total_and_active_parameters():
    # Mixtral of Experts (Jiang et al. 2024): 46.7B parameters, 12.9B active; exactly 46,702,792,704 and
    # 12,879,925,248 as Hugging Face's MixtralForCausalLM counts them
    got = record(["llm-params", "mixtral-8x7b"])
    assert got["total"] == 46_702_792_704
    assert got["active"] == 12_879_925_248
    expert = 3 * 4096 * 14336
    assert got["total"] - got["active"] == 32 * (8 - 2) * expert


def test_tied_models_count_the_embedding_once():
    assert record(["llm-params", "gpt2"])["total"] == 124_439_808  # GPT2LMHeadModel, Radford et al. 2019
    assert record(["llm-params", "gpt2-xl"])["total"] == 1_557_611_200
    gemma = record(["llm-params", "gemma-7b"])
    assert gemma["lm_head"] == 0 and gemma["total"] == 8_537_680_896  # google/gemma-7b: "8.54B"
    untied = record(["llm-params", "gemma-7b", "--untied"])
    assert untied["total"] - gemma["total"] == 256000 * 3072


def test_learned_positions_are_counted_and_separated():
    opt = record(["llm-params", "opt-13b"])
    assert opt["position_embedding"] == 2050 * 5120  # max_position_embeddings + OPT's offset of 2
    gpt2 = record(["llm-params", "gpt2"])
    assert gpt2["position_embedding"] == 1024 * 768
    assert gpt2["non_embedding"] == 124_439_808 - 50257 * 768 - 1024 * 768  # Kaplan's N: 85M


# ---- overrides ------------------------------------------------------------------------------------


def test_heads_override_moves_kv_heads_only_where_they_were_equal():
    mha = from_config(PRESETS["llama2-7b"], "x", {"heads": 16})
    assert (mha.heads, mha.kv_heads, mha.head_dim) == (16, 16, 256)
    gqa = from_config(PRESETS["llama3-8b"], "x", {"heads": 16})
    assert (gqa.heads, gqa.kv_heads, gqa.head_dim) == (16, 8, 256)
    gemma = from_config(PRESETS["gemma-7b"], "x", {"d_model": 2048})
    assert gemma.head_dim == 256  # an explicit head_dim stays


def test_override_changes_the_count_as_a_layer_does():
    full = record(["llm-params", "llama2-7b"])["total"]
    half = record(["llm-params", "llama2-7b", "--layers", "16"])["total"]
    layer = 4 * 4096**2 + 3 * 4096 * 11008 + 2 * 4096
    assert full - half == 16 * layer


def test_tied_and_untied_exclude_each_other_and_moe_options_need_moe():
    assert run_main(["llm-params", "gpt2", "--tied", "--untied"]).code == 2
    assert run_main(["llm-params", "llama2-7b", "--experts", "4"]).code == 2
    one_expert = record(["llm-params", "mixtral-8x7b", "--experts-per-token", "1"])
    assert one_expert["total"] == 46_702_792_704  # routing changes what is active, not what exists
    assert one_expert["active"] == 12_879_925_248 - 32 * 3 * 4096 * 14336  # one expert's MLP less per layer


# ---- FLOPs ---------------------------------------------------------------------------------------


def matmul(m, k, n):
    return 2 * m * k * n


def test_llama2_7b_forward_flops_at_128_tokens():
    # 1,700,001,742,848: FlopCounterMode on LlamaForCausalLM (eager) over 128 tokens, rebuilt here
    # from the matrix products of one layer: q, k, v, o; gate, up, down; QKᵀ and AV per head
    n, d, ff, heads, hd = 128, 4096, 11008, 32, 128
    layer = 4 * matmul(n, d, d) + 3 * matmul(n, d, ff) + heads * (matmul(n, hd, n) + matmul(n, n, hd))
    total = 32 * layer + matmul(n, d, 32000)
    assert total == 1_700_001_742_848
    got = record(["llm-flops", "llama2-7b", "--context", "128"])
    assert got["flops"] == got["result"] == 1_700_001_742_848
    assert got["approx"] == 2 * 6_738_415_616 * 128
    assert sum(got["components"].values()) == got["flops"]
    # transformer-flops, widened, says the same
    assert int(out(["transformer-flops", "--layers", "32", "--context", "128", "--d-model", "4096", "--d-ff",
                    "11008", "--mlp", "gated", "--vocab", "32000"])) == 1_700_001_742_848


def test_decode_and_training_flops():
    n = 128
    decode = record(["llm-flops", "llama2-7b", "--context", str(n), "--decode"])["flops"]
    layer = 4 * matmul(1, 4096, 4096) + 3 * matmul(1, 4096, 11008) + 32 * 2 * matmul(1, 128, n + 1)
    assert decode == 32 * layer + matmul(1, 4096, 32000)
    train = record(["llm-flops", "llama2-7b", "--context", str(n), "--train", "--batch-size", "2"])
    assert train["flops"] == 2 * 3 * 1_700_001_742_848
    assert train["approx"] == 6 * 6_738_415_616 * n * 2


def test_transformer_flops_gqa_and_head_size():
    n, d, heads, kv, hd, ff = 16, 64, 8, 2, 4, 32  # q width 32 < d: an explicit head size
    layer = matmul(n, d, heads * hd) + 2 * matmul(n, d, kv * hd) + matmul(n, heads * hd, d)
    layer += heads * (matmul(n, hd, n) + matmul(n, n, hd)) + 2 * matmul(n, d, ff)
    got = out(["transformer-flops", "--layers", "3", "--context", str(n), "--d-model", str(d), "--heads", str(heads),
               "--kv-heads", str(kv), "--head-dim", str(hd), "--d-ff", str(ff)])
    assert int(got) == 3 * layer
    assert run_main(["transformer-flops", "--layers", "1", "--context", "1", "--d-model", "8", "--kv-heads", "2"]).code == 2


def test_transformer_flops_batch_rows_old_and_new_options():
    text = "layers,context,d-model,mlp,vocab\n12,1024,768,plain,0\n32,128,4096,gated,32000\n"
    run = run_main(["transformer-flops", "--batch", "-", "--d-ff", "11008"], stdin=text)
    # row 1 with d_ff 11008 instead of 4d, by hand; row 2 is Llama-2-7B
    n, d, ff = 1024, 768, 11008
    row1 = 12 * (4 * matmul(n, d, d) + 2 * matmul(n, d, n) + 2 * matmul(n, d, ff))
    assert run.out.split() == [str(row1), "1700001742848"] and run.code == 0


# ---- KV cache ------------------------------------------------------------------------------------


def test_kv_cache_per_token_of_published_models():
    # Gemma-7B: 28 layers × 16 KV heads × head_dim 256 × K and V × 2 bytes (d/heads would give 192)
    assert int(out(["kv-cache", "gemma-7b", "--context", "1"])) == 28 * 16 * 256 * 2 * 2 == 458_752
    # OPT-13B at fp16: 40 layers × 5120 × 2 × 2 bytes
    assert int(out(["kv-cache", "opt-13b", "--context", "1"])) == 819_200
    # explicit options, old style: d/heads
    assert int(out(["kv-cache", "--layers", "28", "--context", "1", "--d-model", "3072", "--heads", "16"])) == 344_064
    assert int(out(["kv-cache", "--layers", "28", "--context", "1", "--heads", "16", "--head-dim", "256"])) == 458_752


def test_kv_cache_sliding_window_and_overrides():
    per_token = 2 * 32 * 8 * 128 * 2
    # a window W keeps W − 1 tokens: the next one attends to itself and those (Mistral-7B-v0.1: W = 4096)
    assert int(out(["kv-cache", "mistral-7b", "--context", "32768"])) == 4095 * per_token
    assert int(out(["kv-cache", "mistral-7b", "--context", "1000"])) == 1000 * per_token
    assert int(out(["kv-cache", "mistral-7b", "--context", "32768", "--window", "8192"])) == 8191 * per_token
    assert int(out(["kv-cache", "llama3-8b", "--context", "10", "--kv-heads", "4", "--bytes", "1"])) == 10 * 2 * 32 * 4 * 128
    assert run_main(["kv-cache", "--context", "5", "--d-model", "8"]).code == 2  # no --layers, no MODEL
    # --kv-heads without --heads: one query head and 8 KV heads of d each would be 8× the MHA cache
    assert "--kv-heads needs --heads" in error_of(["kv-cache", "--layers", "1", "--context", "1", "--d-model", "64",
                                                   "--kv-heads", "8"])


def test_qwen2_windows_only_the_layers_from_max_window_layers(tmp_path):
    # Qwen2Config.layer_types: layer i slides iff use_sliding_window and i >= max_window_layers (default 28)
    qwen = {**PRESETS["qwen2.5-0.5b"], "use_sliding_window": True, "sliding_window": 4}
    per_token = 2 * 24 * 2 * 64 * 2
    for extra, cached in [({}, 100), ({"max_window_layers": 24}, 100), ({"max_window_layers": 0}, 3)]:
        path = write(tmp_path, json.dumps({**qwen, **extra}))
        assert int(out(["kv-cache", "--config", path, "--context", "100"])) == cached * per_token
    mixed = write(tmp_path, json.dumps({**qwen, "max_window_layers": 12}))
    assert "max_window_layers 12" in error_of(["kv-cache", "--config", mixed, "--context", "100"])
    bad = write(tmp_path, json.dumps({**qwen, "max_window_layers": "all"}))
    assert "'max_window_layers' must be a whole number" in error_of(["llm-params", "--config", bad])


def test_kv_cache_batch_with_and_without_a_model():
    text = "model,layers,context,d-model\n,12,1024,768\ngemma-7b,0,2,0\nnope,0,2,0\n"
    run = run_main(["kv-cache", "--batch", "-"], stdin=text)
    assert run.out.splitlines() == ["37748736", str(2 * 458_752), ""]
    assert run.code == 1 and "line 4" in run.err


# ---- memory --------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage, published_gb", [(0, 120), (1, 31.4), (2, 16.6), (3, 1.9)])
def test_zero_paper_7_5b_on_64_gpus(stage, published_gb):
    # Rajbhandari et al. 2019, Figure 1: Ψ = 7.5B, N_d = 64, K = 12 (mixed-precision Adam)
    parts, formulas = {}, {}
    arith_model = from_config(PRESETS["llama2-7b"], "x")
    from dlcalc.llm.sizes import _training_parts

    _training_parts(arith_model, 7.5e9, parts, formulas, "bf16", "adamw", stage, 64, 1, 0)
    total = (parts["weights"] + parts["gradients"] + parts["optimizer_states"]) / 1e9
    assert round(total, 1) == published_gb


def test_korthikanti_gpt3_activations_per_layer():
    # Korthikanti et al. 2022, Table 2 and §4: GPT-3 175B (s = 2048, h = 12288, a = 96, b = 1),
    # sbh(34 + 5as/h) = 2,868,903,936 bytes per layer without recomputation or parallelism
    assert arith.korthikanti_per_layer(2048, 1, 12288, 96) == 2_868_903_936
    sbh = 2048 * 12288
    t = 8  # their tensor-parallel variants, Table 2
    assert arith.korthikanti_per_layer(2048, 1, 12288, 96, tp=t) == pytest.approx(sbh * (10 + 24 / t + 5 * 96 * 2048 / (12288 * t)))
    assert arith.korthikanti_per_layer(2048, 1, 12288, 96, tp=t, sp=True) == pytest.approx(sbh * 114 / t)
    assert arith.korthikanti_per_layer(2048, 1, 12288, 96, tp=t, sp=True, recompute="selective") == pytest.approx(sbh * 34 / t)
    assert arith.korthikanti_per_layer(2048, 1, 12288, 96, recompute="full") == 2 * sbh


def test_memory_inference_and_training_breakdowns():
    n = 6_738_415_616
    inference = record(["llm-memory", "llama2-7b", "--context", "4096", "--batch-size", "2", "--kv-dtype", "fp16"])
    assert inference["weights"] == 2 * n
    assert inference["kv_cache"] == 2 * 32 * 4096 * 4096 * 2 * 2
    assert inference["total"] == inference["weights"] + inference["kv_cache"]
    assert inference["gradients"] == inference["optimizer_states"] == inference["activations"] == 0
    training = record(["llm-memory", "llama2-7b", "--mode", "training", "--optimizer", "sgd", "--dtype", "fp32",
                       "--context", "1024", "--recompute", "selective"])
    assert (training["weights"], training["gradients"], training["optimizer_states"]) == (4 * n, 4 * n, 0)
    assert training["activations"] == 32 * 1024 * 4096 * 34
    assert "fp32 activations take about twice" in " ".join(training["warnings"])
    assert set(training["formulas"]) >= {"weights", "gradients", "optimizer_states", "activations"}
    mixed = record(["llm-memory", "llama2-7b", "--mode", "training", "--optimizer", "adam8bit"])
    assert mixed["optimizer_states"] == 6 * n  # Transformer Math 101: 8-bit Adam + fp32 master copy


def test_memory_fit_answers_the_inverse_question():
    n = 8_030_261_248  # llama3-8b
    budget = 24 * 2**30
    best = int(out(["llm-memory", "llama3-8b", "--fit", "24GiB"]))
    per_token = 2 * 32 * 8 * 128 * 2
    assert 2 * n + best * per_token <= budget < 2 * n + (best + 1) * per_token
    answer = record(["llm-memory", "llama3-8b", "--fit", "24GiB"])  # the breakdown is the one at the answer
    assert answer["fit"] == {"context": best, "size": budget}
    assert answer["kv_cache"] == best * per_token and answer["total"] == 2 * n + best * per_token
    batch = int(out(["llm-memory", "llama2-7b", "--mode", "training", "--zero", "3", "--gpus", "8",
                     "--recompute", "full", "--fit", "80GB"]))
    fixed, per_seq = 16 * 6_738_415_616 / 8, 32 * 2 * 2048 * 4096
    assert fixed + batch * per_seq <= 80e9 < fixed + (batch + 1) * per_seq
    assert run_main(["llm-memory", "llama2-70b", "--fit", "10GB"]).code == 2
    assert run_main(["llm-memory", "gpt2", "--fit", "lots"]).code == 2
    assert "not a finite size" in error_of(["llm-memory", "gpt2", "--fit", "1e999GB"])


def test_learned_position_tables_bound_the_context():
    # GPT-2 has n_positions = 1024 rows of wpe: a longer context cannot run, so --fit stops there
    assert int(out(["llm-memory", "gpt2", "--fit", "24GiB"])) == 1024
    per_token = 2 * 12 * 768 * 2
    assert int(out(["llm-memory", "gpt2", "--fit", f"{2 * 124_439_808 + 1000 * per_token}B"])) == 1000
    for args in (["llm-flops", "gpt2", "--context", "1025"], ["llm-flops", "opt-13b", "--context", "2048", "--decode"],
                 ["kv-cache", "gpt2", "--context", "1025"], ["llm-memory", "gpt2", "--context", "1025"]):
        assert "learned positions" in run_main(args).err
    for args in (["llm-flops", "gpt2", "--context", "1024"], ["llm-flops", "opt-13b", "--context", "2047", "--decode"],
                 ["llm-memory", "llama3-8b", "--context", "100000"]):  # rotary: no table
        assert run_main(args).err == ""


def test_memory_refuses_what_does_not_apply():
    assert run_main(["llm-memory", "gpt2", "--zero", "2"]).code == 2
    for training_only in (["--sp"], ["--flash"], ["--recompute", "full"]):  # they change activations only
        assert "apply to --mode training" in error_of(["llm-memory", "gpt2", *training_only])
    assert run_main(["llm-memory", "gpt2", "--mode", "training", "--dtype", "int4"]).code == 2
    assert run_main(["llm-memory", "gpt2", "--gpus", "3", "--tp", "2"]).code == 2
    lora = record(["llm-memory", "llama2-7b", "--mode", "training", "--dtype", "int4", "--lora-rank", "8"])
    adapters = 32 * 8 * (4 * (4096 + 4096) + 3 * (4096 + 11008))
    assert lora["optimizer_states"] == 12 * adapters and lora["gradients"] == 2 * adapters


# ---- MFU and scaling laws ------------------------------------------------------------------------------


def test_palm_540b_mfu():
    # Chowdhery et al. 2022, Table 3 and App. B: 238.3K tokens/s on 6144 TPU v4 (275 TFLOP/s), N = 540.35B,
    # L = 118, H = 48, Q = 256, T = 2048: MFU 46.2 %, 45.7 % without the attention term
    common = ["--params", "540.35e9", "--tokens-per-second", "238300", "--gpus", "6144", "--peak-tflops", "275"]
    full = record(["mfu", *common, "--layers", "118", "--heads", "48", "--head-dim", "256", "--context", "2048"])
    assert round(100 * full["mfu"], 1) == 46.2
    assert full["flops_per_token"] == 6 * 540.35e9 + 12 * 118 * 48 * 256 * 2048
    assert full["hfu"] > full["mfu"]
    assert round(100 * record(["mfu", *common])["mfu"], 1) == 45.7
    assert run_main(["mfu", *common, "--layers", "118"]).code == 2
    # HFU: full recomputation runs the forward twice, 8N + 16·L·H·Q·T per token
    assert full["hfu"] == pytest.approx(238300 * (8 * 540.35e9 + 16 * 118 * 48 * 256 * 2048) / (6144 * 275e12))
    note = run_main(["mfu", *common, "--context", "2048"]).err  # --context given: the note asks for the rest
    assert "left out (give --layers, --heads, --head-dim)" in note


def test_mfu_from_a_model_uses_its_shape():
    got = record(["mfu", "llama2-7b", "--context", "4096", "--tokens-per-second", "3000", "--peak-tflops", "312"])
    assert got["flops_per_token"] == 6 * 6_738_415_616 + 12 * 32 * 32 * 128 * 4096


def test_gpt3_training_compute():
    # Brown et al. 2020, Table D.1: GPT-3 175B (174.6B parameters) on 300B tokens: 3.14e23 FLOPs
    got = record(["scaling-law", "--params", "174.6e9", "--tokens", "300e9"])
    assert float(f"{got['compute']:.3g}") == 3.14e23


def test_scaling_law_by_hand():
    # Hoffmann et al. 2022, eq. 10: L = 1.69 + 406.4/N^0.34 + 410.7/D^0.28
    got = float(out(["scaling-law", "--params", "70e9", "--tokens", "1.4e12"]))
    assert got == pytest.approx(1.69 + 406.4 / 70e9**0.34 + 410.7 / 1.4e12**0.28, rel=1e-11)


@pytest.mark.parametrize("fit", ["chinchilla", "epoch"])
@pytest.mark.parametrize("compute", [1e21, 5.76e23, 1e25])
def test_compute_optimal_is_the_minimum_on_the_budget(fit, compute):
    import numpy as np

    got = record(["compute-optimal", "--compute", str(compute), "--fit", fit])
    c = arith.FITS[fit]
    n = np.logspace(6, 14, 400_001)  # brute force along 6ND = C
    loss = c["E"] + c["A"] / n ** c["alpha"] + c["B"] / (compute / (6 * n)) ** c["beta"]
    best = n[np.argmin(loss)]
    assert got["params"] == pytest.approx(best, rel=1e-4)
    assert got["tokens"] * got["params"] * 6 == pytest.approx(compute, rel=1e-9)
    assert got["loss"] == pytest.approx(loss.min(), rel=1e-9)
    assert got["tokens_per_param"] == pytest.approx(got["tokens"] / got["params"])


# ---- bad configs ------------------------------------------------------------------------------------


def write(tmp_path, text):
    path = tmp_path / "config.json"
    path.write_text(text)
    return str(path)


def error_of(args):
    run = run_main(args)
    assert run.code == 2 and run.out == ""
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dlcalc: error:"), run.err
    return lines[0]


def test_config_file_reads_like_the_preset(tmp_path):
    path = write(tmp_path, json.dumps({**PRESETS["mixtral-8x7b"], "architectures": ["MixtralForCausalLM"]}))
    assert int(out(["llm-params", "--config", path])) == 46_702_792_704


@pytest.mark.parametrize("config, says", [
    ({"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 8,
      "vocab_size": 10}, "missing field 'num_hidden_layers'"),
    ({"model_type": "llama", "hidden_size": "64", "num_hidden_layers": 2, "num_attention_heads": 4,
      "intermediate_size": 8, "vocab_size": 10}, "field 'hidden_size' must be a whole number"),
    ({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
      "intermediate_size": 8, "vocab_size": 10, "tie_word_embeddings": "yes"}, "'tie_word_embeddings' must be true or false"),
    ({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
      "num_key_value_heads": 3, "intermediate_size": 8, "vocab_size": 10}, "num_key_value_heads (--kv-heads) 3 must divide num_attention_heads (--heads) 4"),
    ({"model_type": "llama", "hidden_size": 66, "num_hidden_layers": 2, "num_attention_heads": 4,
      "intermediate_size": 8, "vocab_size": 10}, "num_attention_heads (--heads) 4 does not divide hidden_size (--d-model) 66"),
    ({"model_type": "mixtral", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
      "intermediate_size": 8, "vocab_size": 10, "num_local_experts": 2, "num_experts_per_tok": 3},
     "num_experts_per_tok (--experts-per-token) 3 must lie in 1..num_local_experts (--experts) 2"),
    ({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
      "intermediate_size": 8, "vocab_size": 0}, "field 'vocab_size' must lie in 1..10,000,000, got 0"),
    ({"model_type": "bert", "hidden_size": 64}, "unsupported model_type 'bert'; supported: llama, mistral"),
    ({"model_type": ["llama"]}, "unsupported model_type ['llama']; supported: llama"),
    ({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": None, "num_attention_heads": 4,
      "intermediate_size": 8, "vocab_size": 10}, "field 'num_hidden_layers' is null"),
    ({"model_type": "opt", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "ffn_dim": 8,
      "vocab_size": 10, "max_position_embeddings": None}, "field 'max_position_embeddings' is null"),
    ({"model_type": "mixtral", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
      "intermediate_size": 8, "vocab_size": 10, "num_local_experts": None}, "field 'num_local_experts' is null"),
    ({"hidden_size": 64}, "missing field 'model_type'"),
    ([1, 2], "holds a JSON list, not an object"),
])
def test_bad_configs_are_one_line_errors(tmp_path, config, says):
    assert says in error_of(["llm-params", "--config", write(tmp_path, json.dumps(config))])


def test_garbage_and_missing_files(tmp_path):
    assert "is not valid JSON" in error_of(["llm-params", "--config", write(tmp_path, "{model_type: llama\x00")])
    assert "cannot read" in error_of(["llm-params", "--config", str(tmp_path / "nope.json")])
    assert "presets:" in error_of(["llm-params", "llama9"])
    assert "not both" in error_of(["llm-params", "gpt2", "--config", write(tmp_path, "{}")])
    assert "give a MODEL" in error_of(["llm-flops", "--context", "5"])


# ---- batch and the terminal ----------------------------------------------------------------------------


def test_llm_commands_take_batch_rows():
    run = run_main(["llm-params", "--batch", "-"], stdin="model,layers\nllama2-7b,\ngpt2,6\nfoo,\n")
    layer = 4 * 768 * 768 + 4 * 768 + 2 * 768 * 3072 + 3072 + 768 + 4 * 768  # a GPT-2 layer, by hand
    assert run.out.splitlines() == ["6738415616", str(124_439_808 - 6 * layer), ""]
    assert run.code == 1 and "line 4" in run.err and "presets:" in run.err


def test_terminal_shows_each_memory_line_with_its_formula():
    import io

    from dlcalc.core import registry
    from dlcalc.core.evaluate import evaluate
    from dlcalc.render.terminal import render_terminal

    result = evaluate(registry.get("llm-memory"), {"model": "llama2-7b", "mode": "training", "zero": "3",
                                                   "gpus": "8"})
    screen = io.StringIO()
    render_terminal(result, screen)
    text = screen.getvalue()
    for part in ("weights", "gradients", "optimizer_states", "activations", "total", "GiB", "GB"):
        assert part in text
    assert "6,738,415,616·12/(1·8)" in text  # the optimizer line, values substituted


@pytest.mark.parametrize("command, args", [
    ("llm-params", {"model": "mixtral-8x7b"}), ("llm-params", {"model": "gpt2"}),
    ("llm-flops", {"model": "llama2-7b", "context": "128"}),
    ("llm-flops", {"model": "mixtral-8x7b", "context": "64", "decode": True}),
    ("llm-flops", {"model": "qwen2-7b", "context": "100"}),
])
def test_the_substituted_formula_on_screen_gives_the_value(command, args):
    from dlcalc.core import registry
    from dlcalc.core.evaluate import evaluate

    result = evaluate(registry.get(command), args)
    shown = result.steps[0].split(" = ")[0].replace("·", "*").replace(",", "")
    assert arithmetic(ast.parse(shown, mode="eval").body) == result.value


def arithmetic(node):
    """Sums and products of whole numbers, read from the tree (no eval)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    left, right = arithmetic(node.left), arithmetic(node.right)
    return left + right if isinstance(node.op, ast.Add) else left * right
