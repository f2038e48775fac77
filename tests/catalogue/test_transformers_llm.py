"""Language and autoregressive models against independent references: perplexity and cross-entropy
by loops over the tokens, ViT tokens by cutting an image, BERT masking by simulation, ELMo by hand,
noisy-channel decoding by Bayes, sampling distributions by their definition."""

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


def test_perplexity_is_exp_of_the_cross_entropy():
    rng = random.Random(5)
    for _ in range(20):
        probs = [rng.uniform(0.01, 1) for _ in range(rng.randint(1, 12))]
        cross_entropy = -sum(math.log(p) for p in probs) / len(probs)
        expected = math.exp(cross_entropy)
        given_probs = float(run_main(["perplexity", "--probs", ",".join(map(repr, probs))]).out.strip())
        given_logs = float(run_main(["perplexity", "--log-probs=" + ",".join(repr(math.log(p)) for p in probs)]).out.strip())
        given_bits = float(run_main(["perplexity", "--log-probs=" + ",".join(repr(math.log2(p)) for p in probs),
                                "--base", "2"]).out.strip())
        given_nll = float(run_main(["perplexity", "--nll", repr(cross_entropy)]).out.strip())
        for value in (given_probs, given_logs, given_bits, given_nll):
            assert value == pytest.approx(expected, rel=1e-10)


def test_uniform_model_has_perplexity_v_and_the_sheet_does_not():
    run = run_main(["perplexity", "--probs", ",".join(["0.02"] * 7), "--json"])
    record = json.loads(run.out)
    assert record["result"] == 50.0
    assert record["sheet_2_pow_H_nats"] == pytest.approx(2 ** math.log(50))  # 15.05 (E62)
    assert run_main(["perplexity", "--nll", "1", "--probs", "0.5"]).code == 2
    assert run_main(["perplexity", "--probs", "0,1"]).code == 2


def test_vit_tokens_by_cutting_an_image():
    image = np.arange(224 * 224 * 3).reshape(224, 224, 3)
    patches = [image[r:r + 16, c:c + 16] for r in range(0, 224, 16) for c in range(0, 224, 16)]
    record = json.loads(run_main(["vit-tokens", "--image", "224", "--patch", "16", "--json"]).out.strip())
    assert record["result"]["tokens"] == len(patches) + 1 == 197
    assert record["result"]["patch_dim"] == patches[0].reshape(-1).size == 768
    assert record["sheet_patch_dim"] == 16 * 3 * 3  # the sheet's p·q² (E65)
    assert run_main(["vit-tokens", "--image", "384,192", "--patch", "32", "--no-cls"]).out.strip().startswith("tokens=72 ")
    assert run_main(["vit-tokens", "--image", "225", "--patch", "16"]).code == 2


def test_bert_mask_fractions_by_simulation():
    rng = random.Random(6)
    counts = {"mask": 0, "random": 0, "unchanged": 0}
    tokens = 200_000
    for _ in range(tokens):
        if rng.random() < 0.15:
            u = rng.random()
            counts["mask" if u < 0.8 else "random" if u < 0.9 else "unchanged"] += 1
    record = json.loads(run_main(["bert-mask", "--json"]).out.strip())
    for name, fraction in record["result"].items():
        assert counts[name] / tokens == pytest.approx(fraction, abs=0.003)
    assert record["result"] == {"mask": 0.12, "random": 0.015, "unchanged": 0.015}


def test_elmo_mix_by_hand():
    h, w, gamma = [[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]], [0.2, -1.0, 0.7], 1.7
    s = [math.exp(v) / sum(math.exp(u) for u in w) for v in w]
    expected = [gamma * sum(s[j] * h[j][c] for j in range(3)) for c in range(2)]
    got = [float(v) for v in run_main(["elmo-mix", "--h", json.dumps(h), "--w=0.2,-1,0.7", "--gamma", "1.7"]).out.strip().split(",")]
    assert np.allclose(got, expected, atol=1e-11)


def test_lm_cross_entropy_from_logits_by_a_loop_and_its_exp_is_the_perplexity():
    rng = np.random.default_rng(11)
    logits, targets = rng.standard_normal((7, 5)) * 3, rng.integers(0, 5, 7)
    nll = 0.0
    for row, target in zip(logits.tolist(), targets.tolist()):  # −ln softmax, written out
        nll += math.log(sum(math.exp(v) for v in row)) - row[target]
    args = ["lm-cross-entropy", "--logits", json.dumps(logits.tolist()),
            "--targets", ",".join(map(str, targets.tolist()))]
    assert float(run_main(args).out.strip()) == pytest.approx(nll / 7, rel=1e-11)
    assert float(run_main([*args, "--unit", "bits"]).out.strip()) == pytest.approx(nll / 7 / math.log(2), rel=1e-11)
    probs = [math.exp(-(math.log(sum(math.exp(v) for v in row)) - row[t])) for row, t in zip(logits.tolist(), targets)]
    by_probs = float(run_main(["lm-cross-entropy", "--probs", ",".join(map(repr, probs))]).out.strip())
    assert by_probs == pytest.approx(nll / 7, rel=1e-10)
    perplexity = float(run_main(["perplexity", "--probs", ",".join(map(repr, probs))]).out.strip())
    assert perplexity == pytest.approx(math.exp(by_probs), rel=1e-10)
    # bits in, bits out: −mean log₂ q
    assert float(run_main(["lm-cross-entropy", "--log-probs=-1,-3", "--base", "2", "--unit", "bits"]).out.strip()) == 2.0
    assert run_main(["lm-cross-entropy", "--logits", "0,0", "--targets", "0.5"]).code == 2


def test_noisy_channel_posterior_by_enumeration_and_bayes():
    lm, channel = [0.3, 0.05, 0.15, 0.01], [0.02, 0.4, 0.1, 0.9]
    joint = [p * c for p, c in zip(lm, channel)]
    record = json.loads(run_main(["noisy-channel", "--lm", "0.3,0.05,0.15,0.01", "--channel", "0.02,0.4,0.1,0.9", "--json"]).out.strip())
    assert record["result"]["best"] == max(range(4), key=joint.__getitem__) == 1
    assert np.allclose(record["result"]["posterior"], np.array(joint) / sum(joint))
    assert record["channel_only_best"] == 3  # the channel alone decodes differently
    # with a normalised prior the posterior is Bayes' rule (an independent implementation)
    normalised = np.array(lm) / sum(lm)
    bayes = run_main(["bayes", "--prior", ",".join(map(repr, normalised.tolist())), "--lik", "0.02,0.4,0.1,0.9"]).out.strip()
    assert np.allclose([float(v) for v in bayes.split(",")], record["result"]["posterior"])
    assert run_main(["noisy-channel", "--lm", "0.5", "--channel", "0.5,0.5"]).code == 2


def test_gpt_causal_lm_loss_is_the_summed_token_nll():
    """LLM-GPT: the causal LM loss −Σ_t log p(x_t∣x_<t), from logits, is N·H and −seq-logprob."""
    rng = np.random.default_rng(4)
    logits, targets = rng.standard_normal((4, 5)), [3, 0, 4, 1]
    by_hand = -sum(row[t] - math.log(sum(math.exp(v) for v in row)) for row, t in zip(logits.tolist(), targets))
    record = json.loads(run_main(["lm-cross-entropy", "--logits", json.dumps(logits.tolist()),
                             "--targets", ",".join(map(str, targets)), "--json"]).out.strip())
    assert record["total_nll_nats"] == pytest.approx(by_hand) and record["result"] == pytest.approx(by_hand / 4)
    probs = [math.exp(-v) for v in (-(row[t] - math.log(sum(math.exp(x) for x in row)))
                                    for row, t in zip(logits.tolist(), targets))]
    assert float(run_main(["seq-logprob", "--probs", ",".join(map(str, probs))]).out.strip()) == pytest.approx(-by_hand)


def test_sequence_log_probability_is_a_sum_of_logs():
    probs = [0.9, 0.05, 0.3, 0.7]
    assert float(run_main(["seq-logprob", "--probs", "0.9,0.05,0.3,0.7"]).out.strip()) == pytest.approx(
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
    got = [float(v) for v in run_main(args).out.strip().split(",")]
    assert np.allclose(got, reference_sampling(logits, temperature, top_k, top_p), atol=1e-10)


def test_nucleus_keeps_the_token_that_reaches_p_exactly():
    # four equal tokens: two reach the mass 0.5 exactly, and the nucleus stops there
    assert run_main(["sampling-probs", "--logits", "0,0,0,0", "--top-p", "0.5"]).out.strip() == "0.5,0.5,0.0,0.0"
    assert run_main(["sampling-probs", "--logits", "0,0,0,0", "--top-k", "3"]).out.strip() == ",".join(["0.333333333333"] * 3 + ["0.0"])


def test_chain_rule_rebuilds_a_joint_distribution():
    """RNN-AR: P(x_1..x_T) = Π_t P(x_t∣x_<t), with the conditionals got by marginalising a random joint."""
    rng = np.random.default_rng(9)
    sequences = list(itertools.product(range(3), repeat=3))
    joint = dict(zip(sequences, rng.dirichlet(np.ones(len(sequences)))))

    def prefix_mass(prefix):
        return sum(p for s, p in joint.items() if s[:len(prefix)] == prefix)

    for sequence in sequences:
        conditionals = [prefix_mass(sequence[:t + 1]) / prefix_mass(sequence[:t]) for t in range(3)]
        got = float(run_main(["seq-logprob", "--probs", ",".join(f"{c:.17g}" for c in conditionals)]).out.strip())
        assert got == pytest.approx(math.log(joint[sequence]), rel=1e-9)
    # an altered chain that conditions on the previous token only is wrong for a general joint
    sequence = sequences[5]
    markov = [prefix_mass(sequence[:1])] + [
        sum(p for s, p in joint.items() if s[t - 1:t + 1] == sequence[t - 1:t + 1])
        / sum(p for s, p in joint.items() if s[t - 1] == sequence[t - 1]) for t in (1, 2)]
    assert math.prod(markov) != pytest.approx(joint[sequence], rel=1e-3)


def test_a_perplexity_beyond_the_largest_float_is_an_input_error():
    run = run_main(["perplexity", "--nll", "1000"])
    assert (run.code, run.out) == (2, "")
    assert run.err == ("dlcalc: error: the perplexity e^H overflows a float: H = 1000 nats per token, at most "
                       "709.783 (1024 bits)\n")
    assert run_main(["perplexity", "--probs", "1e-320"]).code == 2  # ln of a subnormal: H ≈ 736.8 nats
    # just below the limit the answer is e^H, as math.exp says
    assert float(run_main(["perplexity", "--nll", "709"]).out) == pytest.approx(math.exp(709), rel=1e-11)
    assert float(run_main(["perplexity", "--nll", "1020", "--base", "2"]).out) == pytest.approx(2.0**1020, rel=1e-11)


def test_lm_cross_entropy_answers_when_only_its_perplexity_overflows():
    record = json.loads(run_main(["lm-cross-entropy", "--probs", "1e-320", "--json"]).out)
    assert record["result"] == pytest.approx(-math.log(1e-320), rel=1e-11) and record["perplexity"] is None
