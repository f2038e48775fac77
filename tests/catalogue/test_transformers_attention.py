"""Attention and the Transformer layer against independent references: loops for attention, the
projection shapes of nn.MultiheadAttention, nn.TransformerEncoderLayer / DecoderLayer counted weight
by weight here and, where torch is installed, built; the sinusoidal encoding by its definition; the
identities proven once each. Totals marked "torch" were produced with PyTorch 2.13."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_main
from dlcalc.catalogue import transformers_attention as ta
from dlcalc.core import registry


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
    assert int(run_main(["mha-params", *args]).out.strip()) == torch_total


@settings(max_examples=40, deadline=None)
@given(d_head=st.integers(1, 64), heads=st.integers(1, 16), kdim=st.integers(0, 300), vdim=st.integers(0, 300))
def test_mha_params_are_the_projection_shapes(d_head, heads, kdim, vdim):
    d = d_head * heads
    k, v = kdim or d, vdim or d
    # nn.MultiheadAttention: q/k/v projection weights, in_proj_bias (3d), out_proj (d×d + d)
    expected = d * d + d * k + d * v + 3 * d + d * d + d
    args = ["mha-params", "--d-model", d, "--heads", heads, "--kdim", kdim, "--vdim", vdim]
    assert int(run_main(list(map(str, args))).out.strip()) == expected


def test_transformer_layer_params_match_pytorch():
    assert int(run_main(["transformer-layer-params", "--d-model", "512", "--heads", "8", "--d-ff", "2048"]).out.strip()) == 3_152_384
    assert int(run_main(["transformer-layer-params", "--d-model", "1024", "--heads", "16"]).out.strip()) == 12_596_224
    assert int(run_main(["transformer-layer-params", "--d-model", "512", "--heads", "8", "--d-ff", "2048",
                    "--decoder"]).out.strip()) == 4_204_032
    d = 300  # 12d² + 13d for d_ff = 4d
    assert int(run_main(["transformer-layer-params", "--d-model", str(d)]).out.strip()) == 12 * d * d + 13 * d
    assert run_main(["mha-params", "--d-model", "10", "--heads", "3"]).code == 2


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
        assert np.allclose(parse_matrix(run_main(args).out.strip()), reference_attention(Q, K, V, causal), atol=1e-10)


def test_causal_weights_are_lower_triangular_rows_of_one():
    record = json.loads(run_main(["attention", "--Q", "1,2;3,4;5,6", "--K", "1,0;0,1;1,1", "--V", "1;2;3", "--causal",
                             "--json"]).out.strip())
    weights = np.array(record["weights"])
    assert np.allclose(weights.sum(axis=1), 1) and np.all(np.triu(weights, 1) == 0)


def test_positional_encoding_by_definition():
    got = [float(v) for v in run_main(["positional-encoding", "--pos", "7", "--d-model", "6"]).out.strip().split(",")]
    expected = []
    for i in range(3):
        angle = 7 / 10000 ** (2 * i / 6)
        expected += [math.sin(angle), math.cos(angle)]
    assert np.allclose(got, expected, atol=1e-11)
    assert run_main(["positional-encoding", "--pos", "1", "--d-model", "5"]).code == 2


def test_positional_encoding_bounds():
    run = run_main(["positional-encoding", "--pos", "1", "--d-model", "100000000"])
    assert (run.code, run.out) == (2, "")
    assert run.err == "dlcalc: error: --d-model: must be at most 100,000, got 100000000\n"
    assert run_main(["positional-encoding", "--pos", str(10**16), "--d-model", "2"]).code == 2
    assert run_main(["positional-encoding", "--pos", "1", "--d-model", "2", "--base", "0.5"]).code == 2
    widest = run_main(["positional-encoding", "--pos", "3", "--d-model", "100000"]).out.split(",")
    assert len(widest) == 100_000 and float(widest[0]) == pytest.approx(math.sin(3))


# ---- nn.TransformerEncoderLayer / DecoderLayer, weight by weight -------------------------------------


def torch_layer_shapes(d, d_ff, decoder=False, bias=True):
    """The parameters of nn.TransformerEncoderLayer (decoder: nn.TransformerDecoderLayer) by their torch
    names and shapes. bias=False removes every bias, the LayerNorms' included (torch ≥ 2.1)."""
    def attention(prefix):
        shapes = {f"{prefix}.in_proj_weight": (3 * d, d), f"{prefix}.out_proj.weight": (d, d)}
        if bias:
            shapes |= {f"{prefix}.in_proj_bias": (3 * d,), f"{prefix}.out_proj.bias": (d,)}
        return shapes

    shapes = attention("self_attn") | (attention("multihead_attn") if decoder else {})
    shapes |= {"linear1.weight": (d_ff, d), "linear2.weight": (d, d_ff)}
    if bias:
        shapes |= {"linear1.bias": (d_ff,), "linear2.bias": (d,)}
    for norm in ("norm1", "norm2", "norm3")[:3 if decoder else 2]:
        shapes[f"{norm}.weight"] = (d,)
        if bias:
            shapes[f"{norm}.bias"] = (d,)
    return shapes


def layer_params(d, heads, d_ff, decoder=False, bias=True):
    args = ["transformer-layer-params", "--d-model", str(d), "--heads", str(heads), "--d-ff", str(d_ff)]
    run = run_main(args + ["--decoder"] * decoder + ["--no-bias"] * (not bias))
    assert run.code == 0, run.err
    return int(run.out)


@pytest.mark.parametrize("decoder", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("d, heads, d_ff", [(32, 2, 128), (512, 8, 2048), (12, 3, 7)])
def test_transformer_layer_params_are_the_weight_shapes(d, heads, d_ff, decoder, bias):
    expected = sum(math.prod(s) for s in torch_layer_shapes(d, d_ff, decoder, bias).values())
    assert layer_params(d, heads, d_ff, decoder, bias) == expected


def test_no_bias_drops_the_layer_norm_biases_too():
    assert layer_params(32, 2, 128, bias=False) == 12_352  # torch: nn.TransformerEncoderLayer(32, 2, 128, bias=False)
    assert layer_params(32, 2, 128) - layer_params(32, 2, 128, bias=False) == 3 * 32 + 128 + 2 * 32 + 2 * 32


@pytest.mark.parametrize("decoder", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_transformer_layer_params_match_torch_modules(decoder, bias):
    torch = pytest.importorskip("torch")
    layer_class = torch.nn.TransformerDecoderLayer if decoder else torch.nn.TransformerEncoderLayer
    for d, heads, d_ff in ((32, 2, 128), (48, 4, 100)):
        module = layer_class(d, heads, dim_feedforward=d_ff, bias=bias)
        torch_total = sum(p.numel() for p in module.parameters())
        assert layer_params(d, heads, d_ff, decoder, bias) == torch_total
        names = {name: tuple(p.shape) for name, p in module.named_parameters()}
        assert names == torch_layer_shapes(d, d_ff, decoder, bias)  # the by-hand shapes are torch's own


def test_mha_params_match_torch_modules():
    torch = pytest.importorskip("torch")
    for d, heads, kdim, vdim, bias in ((16, 4, 0, 0, True), (16, 2, 8, 5, True), (16, 2, 8, 5, False)):
        module = torch.nn.MultiheadAttention(d, heads, kdim=kdim or None, vdim=vdim or None, bias=bias)
        args = ["mha-params", "--d-model", str(d), "--heads", str(heads), "--kdim", str(kdim), "--vdim", str(vdim)]
        assert int(run_main(args + ["--no-bias"] * (not bias)).out) == sum(p.numel() for p in module.parameters())


# ---- identities: each proven once; an altered statement must fail ------------------------------------


def test_sinusoidal_shift_is_a_rotation_and_not_its_transpose():
    from dlcalc.core.proof import prove_statement

    assert ta.sinusoidal_shift_statement is registry.get("sinusoidal-pe-shift").build
    assert registry.get("sinusoidal-pe-shift").prove().proven  # what `dlcalc verify` runs
    pe, shifted, rotation = ta.sinusoidal_pair()
    assert not prove_statement(lambda: (shifted.applyfunc(lambda e: e.expand(trig=True)), rotation.T * pe)).proven


def test_scaled_scores_have_unit_variance_and_unscaled_do_not():
    assert registry.get("attention-scaling").prove().proven  # sympy.stats and sampling
    assert ta.score_variance(3, scaled=False) == 3  # Var(q·k) = d_k: without 1/√d_k it is not 1
    assert ta.sampled_score_variance(3, scaled=False) == pytest.approx(3, rel=0.05)
