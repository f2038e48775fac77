"""dlcalc net: every construct of the spec language, checked against counts worked out by hand, and
every refusal (with PyTorch's rule, the layer's index and text)."""

from __future__ import annotations

import time

import pytest

from dlcalc.core.errors import DlcalcError
from dlcalc.net.network import summarize
from dlcalc.net.spec import parse


def last(text, **options):
    """(output shape, params, buffers, macs) of the last row."""
    row = summarize(text, **options).rows[-1]
    return row.out, row.params, row.buffers, row.macs


def refuses(text, message, **options):
    with pytest.raises(DlcalcError) as err:
        summarize(text, **options)
    assert err.value.message == message
    return err.value.message


# ---- layers --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    # out = ⌊(32 + 2 − 3)/2⌋ + 1 = 16; params 16·3·9 + 16; MACs per output 3·9
    ("in 3x32x32, conv 16 k3 s2 p1", ((16, 16, 16), 448, 0, 16 * 16 * 16 * 27)),
    ("in 16x100, conv 32 k5", ((32, 96), 32 * 16 * 5 + 32, 0, 32 * 96 * 16 * 5)),  # Conv1d
    ("in 3x16x112x112, conv 64 k3 p1 nobias", ((64, 16, 112, 112), 64 * 3 * 27, 0, 64 * 16 * 112 * 112 * 81)),
    ("in 1x10, conv 1 k4 psame", ((1, 10), 5, 0, 40)),  # even kernel: 3 zeros, the extra one at the end
    ("in 1x10, conv 1 k4 pvalid", ((1, 7), 5, 0, 28)),
    ("in 1x20x20, conv 4 k3x5", ((4, 18, 16), 4 * 15 + 4, 0, 4 * 18 * 16 * 15)),
    ("in 4x20x20, conv 8 k3 d2 g2", ((8, 16, 16), 8 * 2 * 9 + 8, 0, 8 * 16 * 16 * 2 * 9)),
    # (10 − 1)·2 − 2·1 + (3 − 1) + 1 + 1 = 20; MACs over the input positions
    ("in 8x10x10, tconv 4 k3 s2 p1 op1", ((4, 20, 20), 8 * 4 * 9 + 4, 0, 10 * 10 * 9 * 8 * 4)),
    ("in 1x5x5, maxpool k2 ceil", ((1, 3, 3), 0, 0, 0)),
    ("in 1x6x6, maxpool k2 s2 p1 ceil", ((1, 4, 4), 0, 0, 0)),  # the window starting in the padding is dropped
    ("in 1x6, maxpool k2", ((1, 3), 0, 0, 0)),  # stride defaults to the kernel
    ("in 2x9x9, maxpool k3 s1 d2", ((2, 5, 5), 0, 0, 0)),
    ("in 2x9x9, maxpool k3 d2", ((2, 2, 2), 0, 0, 0)),  # stride 3: ⌊(9 − 5)/3⌋ + 1
    ("in 1x7x7, avgpool k3 s2 p1", ((1, 4, 4), 0, 0, 0)),
    ("in 5x7x9, gap", ((5, 1, 1), 0, 0, 0)),
    ("in 256x13x13, adaptiveavg 6x6", ((256, 6, 6), 0, 0, 0)),
    ("in 3x4x5, flatten", ((60,), 0, 0, 0)),
    ("in 3x4x5, up 2", ((3, 8, 10), 0, 0, 0)),
    ("in 64x8x8, bn", ((64, 8, 8), 128, 129, 0)),  # running mean, var and num_batches_tracked
    ("in 10x64, ln", ((10, 64), 128, 0, 0)),
    ("in 8x5x5, gn 4", ((8, 5, 5), 16, 0, 0)),
    ("in 10x64, rms", ((10, 64), 64, 0, 0)),
    ("in 10x64, softmax", ((10, 64), 0, 0, 0)),
    ("in 10, dropout 0.1", ((10,), 0, 0, 0)),
    ("in 784, fc 10", ((10,), 7850, 0, 7840)),
    ("in 784, fc 10 nobias", ((10,), 7840, 0, 7840)),
    ("in 5x12, fc 4", ((5, 4), 52, 0, 5 * 12 * 4)),  # Linear on the last dim of T×d
    ("in 128, embed 1000 64", ((128, 64), 64000, 0, 0)),
    # LSTM: 4H(I + H) + 8H (PyTorch's two bias vectors); MACs per step 4H(I + H)
    ("in 10x32, lstm 64", ((10, 64), 4 * 64 * 96 + 8 * 64, 0, 10 * 4 * 64 * 96)),
    ("in 5x10, gru 20", ((5, 20), 3 * 20 * 32, 0, 5 * 3 * 20 * 30)),
    ("in 5x10, rnn 20 bi", ((5, 40), 2 * 20 * 32, 0, 2 * 5 * 20 * 30)),
    ("in 5x10, rnn 20 L2 nobias", ((5, 20), 20 * 30 + 20 * 40, 0, 5 * (20 * 30 + 20 * 40))),
    # MultiheadAttention: in_proj 3d² + 3d, out_proj d² + d; MACs: projections 4Td², Q·Kᵀ and A·V T²d each
    ("in 10x64, mha 8", ((10, 64), 4 * 64 * 64 + 4 * 64, 0, 4 * 10 * 64 * 64 + 2 * 100 * 64)),
    ("in 10x64, mha 8 nobias", ((10, 64), 4 * 64 * 64, 0, 4 * 10 * 64 * 64 + 2 * 100 * 64)),
    # TransformerEncoderLayer: attention + two linears (d·F + F, F·d + d) + two LayerNorms (4d); F = 4d
    ("in 10x64, tblock 8", ((10, 64), 16640 + 33088 + 256, 0, 4 * 10 * 64 * 64 + 2 * 100 * 64 + 2 * 10 * 64 * 256)),
    ("in 10x64, tblock 8 ff100 pre", ((10, 64), 16640 + 64 * 100 * 2 + 164 + 256, 0,
                                     4 * 10 * 64 * 64 + 2 * 100 * 64 + 2 * 10 * 64 * 100)),
    ("in 768x14x14, tokens", ((196, 768), 0, 0, 0)),
    ("in 196x768, cls", ((197, 768), 768, 0, 0)),
    ("in 197x768, pos", ((197, 768), 197 * 768, 0, 0)),
    ("in 197x768, first", ((768,), 0, 0, 0)),
])
def test_each_layer(text, expected):
    assert last(text) == expected


def test_lstm_with_layers_directions_and_projection():
    # per layer and direction: 4H·I + 4H·P + 8H + P·H (weight_hr); layer 1 reads 2P features
    per_direction = 4 * 64 * 32 + 4 * 64 * 16 + 8 * 64 + 16 * 64
    out, params, _, _ = last("in 10x32, lstm 64 L2 bi proj16")
    assert (out, params) == ((10, 32), 4 * per_direction)


def test_activations_have_no_parameters():
    for name in ("relu", "relu6", "gelu", "silu", "sigmoid", "tanh", "softmax", "identity", "dropout"):
        assert last(f"in 3x4x4, {name}") == ((3, 4, 4), 0, 0, 0)


# ---- composition ---------------------------------------------------------------------------

RESNET18_START = ("in 3x224x224, conv 64 k7 s2 p3 nobias, bn, relu, maxpool k3 s2 p1, "
                  "[res[conv 64 k3 p1 nobias, bn, relu, conv 64 k3 p1 nobias, bn], relu]*2")


def test_issue_example_resnet18_stem_and_first_stage():
    summary = summarize(RESNET18_START)
    # stem conv 64·3·49 + bn 128; each block two convs 64·64·9 and two bn
    assert sum(r.params for r in summary.rows) == 9408 + 128 + 2 * (2 * 36864 + 2 * 128)
    assert summary.rows[-1].out == (64, 56, 56)
    assert [r.text for r in summary.rows[4:11]] == ["conv 64 k3 p1 nobias", "bn", "relu", "conv 64 k3 p1 nobias",
                                                    "bn", "add", "relu"]


def test_repeat_of_an_item_and_of_a_group():
    assert len(summarize("in 4, relu*3").rows) == 3
    assert len(summarize("in 4x8x8, [conv 4 k3 p1, relu]*2*3").rows) == 12


def test_res_with_projection_shortcut():
    summary = summarize("in 64x56x56, res[conv 128 k3 s2 p1 nobias, bn | conv 128 k1 s2 nobias, bn]")
    assert summary.rows[-1].out == (128, 28, 28)
    assert sum(r.params for r in summary.rows) == 128 * 64 * 9 + 256 + 128 * 64 + 256


def test_cat_branches_inception_and_spp():
    summary = summarize("in 192x28x28, cat[conv 64 k1 | conv 96 k1, conv 128 k3 p1 | maxpool k3 s1 p1, conv 32 k1]")
    assert summary.rows[-1].out == (64 + 128 + 32, 28, 28)
    spp = summarize("in 512x13x13, cat[identity | maxpool k5 s1 p2 | maxpool k9 s1 p4 | maxpool k13 s1 p6]")
    assert spp.rows[-1].out == (2048, 13, 13)


def test_long_skips_save_cat_add_and_crop():
    summary = summarize("in 8x32x32, save a, conv 8 k3 p1, add a, save b, maxpool k2, up 2, cat b")
    assert [r.out for r in summary.rows] == [(8, 32, 32), (8, 32, 32), (8, 16, 16), (8, 32, 32), (16, 32, 32)]
    cropped = summarize("in 4x20x20, save s, conv 4 k3, conv 4 k3, cat s crop")
    assert cropped.rows[-1].out == (8, 16, 16)


def test_comments_and_newlines_separate_items():
    text = "in 1x28x28   # MNIST\nconv 8 k3  # a comment\n\nrelu\nflatten, fc 10\n"
    assert summarize(text).rows[-1].out == (10,)


def test_canonical_text_orders_options_and_drops_nothing():
    spec = parse("in 3x8x8, CONV 16 p1 k3 NOBIAS, maxpool ceil k2, lstm 8 bi l2")
    from dlcalc.net.spec import items_text

    assert items_text(spec.items) == "conv 16 k3 p1 nobias, maxpool k2 ceil, lstm 8 L2 bi"


def test_input_option_replaces_the_spec_input():
    assert summarize("@resnet50", input_shape="3x512x512").rows[-1].out == (1000,)
    assert summarize("@resnet50", input_shape="3x512x512").rows[3].out == (64, 128, 128)


# ---- receptive field -----------------------------------------------------------------------

def test_receptive_field_of_the_resnet_stem():
    # conv 7/2 p3 then max-pool 3/2 p1: r = 7 + 2·2 = 11, j = 4, start = −3 − 1·2 = −5
    rows = summarize("in 3x224x224, conv 64 k7 s2 p3, maxpool k3 s2 p1").rows
    assert rows[-1].rf == ((11, 4, -5), (11, 4, -5))


def test_receptive_field_is_the_union_through_res_and_cat():
    rows = summarize("in 1x32x32, cat[conv 1 k3 p1 | conv 1 k5 p2, conv 1 k5 p2]").rows
    assert rows[-1].rf == ((9, 1, -4), (9, 1, -4))
    assert summarize("in 1x16, flatten").rows[-1].rf is None


# ---- refusals ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("in 3x224x224, conv 64 k7 s2 p3 nobias, bn, relu, maxpool k3 s2 p2",
     "layer 4 'maxpool k3 s2 p2': padding 2 > half the kernel (1)"),
    ("in 6x8x8, conv 4 k3 g4", "layer 1 'conv 4 k3 g4': in_channels 6 must be divisible by groups 4"),
    ("in 3x8x8, conv 4 k3 s2 psame", "layer 1 'conv 4 k3 s2 psame': padding='same' is not supported for strided convolutions"),
    ("in 3x4x4, conv 4 k7", "layer 1 'conv 4 k7': kernel size 7x7 (dilated) can't be greater than the padded input 4x4"),
    ("in 3x4x4, tconv 4 k3 s2 op2", "layer 1 'tconv 4 k3 s2 op2': output padding 2 must be smaller than either stride 2 or dilation 1"),
    ("in 10x8, lstm 8 proj8", "layer 1 'lstm 8 proj8': proj_size 8 has to be smaller than hidden_size 8"),
    ("in 10x64, mha 5", "layer 1 'mha 5': embed_dim 64 must be divisible by num_heads 5"),
    ("in 6x4x4, gn 4", "layer 1 'gn 4': num_channels 6 must be divisible by num_groups 4"),
    ("in 784, conv 4 k3", "layer 1 'conv 4 k3': Conv0d needs a C×L, C×H×W or C×D×H×W input, got 784"),
    ("in 3x8x8, lstm 4", "layer 1 'lstm 4': LSTM needs a T×d input (batch_first), got 3x8x8"),
    ("in 3x8x8, conv 4 k3x3x3", "layer 1 'conv 4 k3x3x3': option k has 3 values for 2 spatial axes"),
    ("in 10, dropout 1.5", "'dropout 1.5': P: dropout probability has to be between 0 and 1, but got 1.5"),
])
def test_pytorch_refusals_name_the_layer_and_the_rule(text, message):
    refuses(text, message)


def test_res_mismatch_names_both_shapes_and_suggests_the_projection():
    refuses("in 64x56x56, res[conv 128 k3 s2 p1 nobias, bn]",
            "layer 3 'res[conv 128 k3 s2 p1 nobias, bn]': res adds f(x) of shape 128x28x28 to x of shape 64x56x56; "
            "project the shortcut: res[... | conv 128 k1 s2 nobias, bn]")


def test_cat_and_add_mismatches():
    refuses("in 4x8x8, cat[conv 4 k3 | conv 4 k3 p1]",
            "layer 3 'cat[conv 4 k3 | conv 4 k3 p1]': cat joins branches on channels; the other axes must agree, "
            "got 4x6x6 and 4x8x8")
    refuses("in 4x8x8, save a, conv 8 k1, add a",
            "layer 2 'add a': add needs equal shapes, got 8x8x8 and saved 4x8x8")
    refuses("in 4x8x8, save a, conv 8 k3, cat a",
            "layer 2 'cat a': cat joins on channels; the other axes must agree, got 8x6x6 and saved 4x8x8; "
            "add 'crop' to centre-crop the saved tensor")
    refuses("in 4x8x8, save skip, add skp",
            "layer 1 'add skp': no tensor saved as 'skp' (saved so far: skip); did you mean 'skip'?")


@pytest.mark.parametrize("text, message", [
    ("in 3x8x8, maxpoool k2", "unknown operation 'maxpoool' in 'maxpoool k2'; did you mean 'maxpool'?"),
    ("in 3x8x8, conv 4 k3 strde2", "'conv 4 k3 strde2': unknown option 'strde2' for conv (options: kN, sN, pN, dN, gN, nobias)"),
    ("in 3x8x8, conv 4 k3 nobais", "'conv 4 k3 nobais': unknown option 'nobais' for conv "
     "(options: kN, sN, pN, dN, gN, nobias); did you mean 'nobias'?"),
    ("in 3x8x8, conv k3", "'conv k3': conv needs C, e.g. 'conv 64 k3 p1'"),
    ("in 3x8x8, conv 4", "'conv 4': conv needs a kernel size, e.g. 'conv 64 k3 p1'"),
    ("in 3x8x8, res[relu | relu | relu]", "res[...] takes one branch (y = f(x) + x) or two (y = f(x) + g(x))"),
    ("in 3x8x8, [relu", "expected ']' to close group[, found the end of the spec"),
    ("in 3x8x8, relu]", "unexpected ']': no bracket is open"),
    ("relu", "the spec has no input shape: start it with 'in SHAPE' (e.g. 'in 3x224x224') or give --input"),
    ("in 3x8x8, relu*x", "'*' must be followed by a repeat count, found 'x'"),
    # before: "found 'None'", "unknown operation 'add' ...; did you mean 'add'?" and the same for 'res'
    ("in 3x8x8, relu*", "'*' must be followed by a repeat count, found the end of the spec"),
    ("in 3x8x8, add", "'add': expected add NAME (a name of letters, digits, _ . -)"),
    ("in 3x8x8, res, relu", "'res': res takes its layers in brackets: res[ITEMS] or res[ITEMS | ITEMS]"),
    ("@resnet5O", "no preset named 'resnet5O' (presets: lenet5, alexnet, vgg11, vgg13, vgg16, vgg19, vgg16-bn, resnet18, "
     "resnet34, resnet50, resnet101, resnet152, mobilenet-v2, densenet121, unet, unet-valid, vit-b16); did you mean 'resnet50'?"),
])
def test_parse_errors_with_did_you_mean(text, message):
    refuses(text, message)


def test_more_than_100000_layers_is_refused_at_once():
    start = time.perf_counter()
    refuses("in 8, [relu*1000]*1000",
            "the spec has more than 100,000 layers after expanding repeats; the limit is 100,000")
    refuses("in 8, [[relu*100000]*100000]*100000",
            "the spec has more than 100,000 layers after expanding repeats; the limit is 100,000")
    assert time.perf_counter() - start < 1
    assert len(summarize("in 8, relu*100000").rows) == 100_000


@pytest.mark.parametrize("text", ["in 8, []*1000000000000", "in 8, [[]*100000]*100000, relu", "in 8, [[], []]*60000"])
def test_repeated_empty_groups_are_refused_at_once(text):
    # before: an empty group counted 0 layers, so expand() built 10^12 of them (a hang, then out of memory)
    start = time.perf_counter()
    refuses(text, "the spec has more than 100,000 layers after expanding repeats; the limit is 100,000")
    assert time.perf_counter() - start < 1


def test_deep_nesting_is_refused():
    refuses("in 8, " + "[" * 100 + "relu" + "]" * 100, "brackets nested more than 64 deep")


def test_chained_repeats_inside_the_deepest_nesting_allowed():
    # before: 60 brackets each followed by 60 chained '*1' recursed ~7,000 deep (RecursionError, exit 70)
    text = "in 8, " + "[" * 60 + "relu" + ("]" + "*1" * 60) * 60
    assert [row.text for row in summarize(text).rows] == ["relu"]
    assert len(summarize("in 8, [relu*2*3]*5*7").rows) == 2 * 3 * 5 * 7


def test_error_messages_stay_on_one_line():
    with pytest.raises(DlcalcError) as err:
        summarize("in 3x8x8, conv\n\x1b[31m 4 k3 z" + "9" * 500)
    assert "\n" not in err.value.message and "\x1b" not in err.value.message and len(err.value.message) < 300


def test_in_must_come_first():
    refuses("in 3x8x8, relu, in 3x8x8", "'in 3x8x8': 'in SHAPE' must be the first item")
    assert summarize("\n# a comment first\n\nin 4\nrelu").input == (4,)


# ---- hostile text: only DlcalcError, one line, quickly ----------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_WORDS = ["in", "3x8x8", "4x6", "12", "conv", "tconv", "4", "k3", "k0", "s2", "p1", "psame", "op1", "d2", "g2", "nobias",
          "maxpool", "avgpool", "ceil", "gap", "flatten", "up", "bn", "ln", "gn", "rms", "relu", "dropout", "0.5", "fc",
          "embed", "lstm", "gru", "rnn", "mha", "tblock", "ff8", "pre", "bi", "L2", "proj2", "res[", "cat[", "[", "]",
          "|", ",", "*", "*3", "save", "add", "cat", "a", "crop", "tokens", "cls", "pos", "first", "\n", "#", "x", "-1",
          "99999999999999", "\x00", "é"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=25))
def test_hostile_specs_fail_cleanly(words):
    text = " ".join(words)
    start = time.perf_counter()
    try:
        summary = summarize(text, input_shape="3x8x8" if "in" not in words else None)
        summary.totals()
        summary.to_json(2)
    except DlcalcError as err:
        assert "\n" not in err.message and len(err.message) < 400
    assert time.perf_counter() - start < 2


def test_loops_over_user_numbers_are_bounded():
    refuses("in 4x8, lstm 8 L1000000000", "layer 1 'lstm 8 L1000000000': num_layers 1000000000 is over the limit 10,000")
    refuses("in 4, relu" + "*1" * 1000, "more than 64 repeats '*N' chained on one item")
    start = time.perf_counter()
    summarize("in 4, [relu*1000]*100").totals()
    assert time.perf_counter() - start < 30  # generous: the suite runs on a shared, loaded machine


def test_stacked_recurrent_layers_are_counted_in_closed_form():
    # a loop over num_layers per row made this 5,000 × 10,000 iterations (minutes at 100,000 rows)
    start = time.perf_counter()
    totals = summarize("in 10x10, lstm 5 L10000*5000").totals()
    assert time.perf_counter() - start < 5
    # by hand (torch's LSTM sizes): layer 0 reads 10 features, every other layer 5; 4 gates of 5 rows, two biases
    first, other = 4 * 5 * (10 + 5) + 2 * 4 * 5, 4 * 5 * (5 + 5) + 2 * 4 * 5
    assert totals["params"] == first + (10_000 * 5_000 - 1) * other


@pytest.mark.parametrize("text, message", [
    ("in 1x2x2, up 1099511627776*400", "layer 1 'up 1099511627776': output 1x2199023255552x2199023255552 has a size "
                                        "over the limit 1,099,511,627,776"),
    ("in 1x2x2, [save a, cat a]*100", "layer 41 'cat a': output 2199023255552x2x2 has a size over the limit"),
    ("in 1099511627776x2, flatten", "layer 1 'flatten': output 2199023255552 has a size over the limit"),
    ("in 4x1099511627776, tconv 4 k3 s2", "layer 1 'tconv 4 k3 s2': output 4x2199023255553 has a size over the limit"),
])
def test_shapes_that_outgrow_the_size_limit_are_refused(text, message):
    # before: sizes grew without bound (a 4,300-digit size crashed the JSON writer, exit 70)
    with pytest.raises(DlcalcError) as err:
        summarize(text).to_json()
    assert message in err.value.message

