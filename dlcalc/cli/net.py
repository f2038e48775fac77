"""`dlcalc net`: a whole network from a text spec. Thin: read the spec, summarise, render.

A fast path (``try_net``) handles the plain forms of the command without building the Typer app,
so that `dlcalc net @resnet50 | cat` starts nearly as fast as Python; help, unknown options and
anything unusual go to Typer.
"""

from __future__ import annotations

import os
import sys
from typing import Optional

from dlcalc.core.errors import DlcalcError, ExitCode

HELP = (
    "Shapes, parameters, MACs/FLOPs, receptive field and memory of a whole network, from a text spec.\n\n"
    "SPEC is the network as text ('in 3x224x224, conv 64 k7 s2 p3 nobias, bn, relu, ...'), a preset "
    "('@resnet50'), or given with -f FILE ('-' for stdin). In a pipe: the parameter count; on a terminal: "
    "a table per layer and the totals; --tsv the table as tab-separated lines; --json everything, with the "
    "counting conventions stated."
)

EPILOG = (
    "Layers: conv C kK [sS] [pP|psame|pvalid] [dD] [gG] [nobias], tconv C kK [sS] [pP] [opN] [dD] [gG], "
    "maxpool kK [sS] [pP] [dD] [ceil], avgpool kK [sS] [pP] [ceil], gap, adaptiveavg 6x6, flatten, up S, bn, ln, "
    "gn G, rms, relu relu6 gelu silu sigmoid tanh softmax identity, dropout [P], fc N [nobias], embed V D, "
    "lstm H [LN] [bi] [projP] [nobias], gru H [LN] [bi], rnn H [LN] [bi], mha H [nobias], tblock H [ffF] [pre] "
    "[gelu], tokens, cls, pos, first. Composition: ITEM*N, [ITEMS]*N, res[ITEMS], res[ITEMS | ITEMS], "
    "cat[ITEMS | ITEMS ...], save NAME, cat NAME [crop], add NAME. Limits: 100,000 layers after expansion, "
    "1,000,000 characters, brackets 64 deep, any size or count up to 2^40 (inputs and every layer's output), "
    "lstm/gru/rnn L up to 10,000. tblock's F defaults to 4·d (nn.TransformerEncoderLayer's own default is 2048); "
    "mha is self-attention on T×d (batch_first); lstm/gru/rnn are batch_first with T×d in.\n\n"
    "Presets: lenet5 alexnet vgg11 vgg13 vgg16 vgg19 vgg16-bn resnet18 resnet34 resnet50 resnet101 resnet152 "
    "mobilenet-v2 densenet121 unet unet-valid vit-b16.\n\n"
    "Example: dlcalc net @resnet50 --input 3x512x512 --batch-size 8 --train"
)

MAX_FILE_BYTES = 1_000_001


def _read_spec(spec: Optional[str], file: Optional[str]) -> str:
    if (spec is None) == (file is None):
        raise DlcalcError("give the network as SPEC, as @PRESET, or with -f FILE (one of them)")
    if spec is not None:
        return spec
    try:
        if file == "-":
            text = sys.stdin.read(MAX_FILE_BYTES)
        else:
            with open(file, encoding="utf-8") as handle:
                text = handle.read(MAX_FILE_BYTES)
    except (OSError, UnicodeDecodeError) as err:
        raise DlcalcError(f"-f {file}: cannot read it ({type(err).__name__}: {getattr(err, 'strerror', None) or err})") from None
    return text.removeprefix("\ufeff")  # the byte-order mark some Windows editors write first


def run_net(spec: Optional[str] = None, *, file: Optional[str] = None, input_shape: Optional[str] = None,
            batch_size: int = 1, dtype: str = "fp32", train: bool = False, depth: Optional[int] = None,
            expand: bool = False, convention: str = "torch", tsv: bool = False, json_mode: bool = False) -> ExitCode:
    from dlcalc.net.network import summarize
    from dlcalc.render.output import is_terminal

    if tsv and json_mode:
        raise DlcalcError("--tsv and --json exclude each other")
    if depth is not None and depth < 1:
        raise DlcalcError(f"--depth must be at least 1, got {depth}")
    text = _read_spec(spec, file)
    summary = summarize(text, input_shape=input_shape, batch_size=batch_size, dtype=dtype, convention=convention,
                        train=train)
    out = sys.stdout
    if expand:
        from dlcalc.net.spec import items_text, shape_text
        from dlcalc.render.output import write_stdout

        lines = [f"in {shape_text(summary.input)}", *(items_text((item,)) for item in summary.spec.items)]
        write_stdout("".join(line + "\n" for line in lines))
        return ExitCode.OK
    from dlcalc.render.net import write_summary

    data = summary.to_json(depth)
    mode = "json" if json_mode else "tsv" if tsv else "terminal" if is_terminal(out) and not os.environ.get("DLCALC_PLAIN") else "plain"
    title = text.strip() if text.strip().startswith("@") else "network"
    write_summary(data, mode=mode, title=f"{title} (input {'x'.join(map(str, summary.input))})", out=out)
    return ExitCode.OK


# ---- fast path -----------------------------------------------------------------------------

_VALUED = {"-f": "file", "--file": "file", "--input": "input_shape", "--batch-size": "batch_size", "--dtype": "dtype",
           "--depth": "depth", "--convention": "convention"}
_FLAGS = {"--train": "train", "--expand": "expand", "--tsv": "tsv", "--json": "json_mode"}


def parse_net_args(args: list[str]) -> dict | None:
    """argv after 'net' -> keyword arguments of run_net, or None to let Typer handle it."""
    options: dict = {}
    position = 0
    while position < len(args):
        word = args[position]
        position += 1
        name, has_value, value = word.partition("=")
        if name in _FLAGS and not has_value and _FLAGS[name] not in options:
            options[_FLAGS[name]] = True
        elif name in _VALUED and _VALUED[name] not in options:
            if not has_value:
                if position == len(args):
                    return None
                value = args[position]
                position += 1
            options[_VALUED[name]] = value
        elif not word.startswith("-") and "spec" not in options:
            options["spec"] = word
        else:
            return None
    for key in ("batch_size", "depth"):
        if key in options:
            if not options[key].isdigit() or len(options[key]) > 9:
                return None  # Typer gives the usage error
            options[key] = int(options[key])
    return options


def try_net(args: list[str]) -> ExitCode | None:
    options = parse_net_args(args)
    return None if options is None else run_net(**options)


def register(app) -> None:
    import typer
    from rich.markup import escape  # Typer renders help as Rich markup: [sS] would vanish as a tag

    @app.command("net", help=escape(HELP), epilog=escape(EPILOG), rich_help_panel="Networks")
    def net_command(
        spec: Optional[str] = typer.Argument(None, metavar="SPEC", help="the network spec, or @PRESET", show_default=False),
        file: Optional[str] = typer.Option(None, "-f", "--file", metavar="FILE", help="read the spec from FILE ('-' = stdin)"),
        input_shape: Optional[str] = typer.Option(None, "--input", metavar="SHAPE", help="replace the spec's 'in' shape, e.g. 3x512x512"),
        batch_size: int = typer.Option(1, "--batch-size", metavar="B", help="batch size for MACs, FLOPs and activation bytes"),
        dtype: str = typer.Option("fp32", "--dtype", metavar="fp32|fp16|bf16|int8", help="element type for bytes"),
        train: bool = typer.Option(False, "--train", help="also count the backward pass (train_flops)"),
        depth: Optional[int] = typer.Option(None, "--depth", metavar="N", help="fold groups nested deeper than N into one row"),
        expand: bool = typer.Option(False, "--expand", help="print the spec with presets and repeats written out"),
        convention: str = typer.Option("torch", "--convention", metavar="torch|torchinfo|fvcore", help="how MACs/FLOPs and memory are counted"),
        tsv: bool = typer.Option(False, "--tsv", help="the per-layer table as tab-separated lines"),
        json_mode: bool = typer.Option(False, "--json", help="one JSON object: layers, totals, conventions"),
    ) -> None:
        code = run_net(spec, file=file, input_shape=input_shape, batch_size=batch_size, dtype=dtype, train=train,
                       depth=depth, expand=expand, convention=convention, tsv=tsv, json_mode=json_mode)
        raise typer.Exit(int(code))
