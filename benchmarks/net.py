"""`dlcalc net @resnet50` (in a pipe) against `python -c pass`, and against torchinfo on the same model.

Target (issue 9): at most 5x `python -c pass`. The torchinfo row (where torch and torchinfo are
installed) builds ResNet-50 in torch with the tests' builder and runs `torchinfo.summary` on it, which
is what a user of torchinfo waits for; without torchinfo, a meta-device forward with forward hooks
stands in for it. Run: python benchmarks/net.py [repeats]
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

from _timing import report, time_commands

TESTS = Path(__file__).resolve().parent.parent / "tests" / "net"

TORCHINFO = f"""
import sys; sys.path.insert(0, {str(TESTS)!r})
import torch, torchinfo
from net_torch import build
model, x = build('@resnet50', batch=1, device='meta')  # built on meta, then given CPU storage
torchinfo.summary(model.to_empty(device='cpu'), input_size=(1, 3, 224, 224), verbose=0)
"""

META_HOOKS = f"""
import sys; sys.path.insert(0, {str(TESTS)!r})
import torch
from net_torch import build
model, x = build('@resnet50', batch=1, device='meta')
shapes = []
for module in model.modules():
    module.register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape)))
model(x)
"""


def main() -> int:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    dlcalc = shutil.which("dlcalc") or sys.exit("dlcalc is not on PATH: pip install . first")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "dlcalc net @resnet50 | cat": [dlcalc, "net", "@resnet50"],  # stdout is not a terminal: the pipe route
        "dlcalc net @resnet50 --json": [dlcalc, "net", "@resnet50", "--json"],
        "dlcalc net @resnet152 --train --tsv": [dlcalc, "net", "@resnet152", "--train", "--tsv"],
    }
    if importlib.util.find_spec("torch"):
        name = "torchinfo.summary(resnet50)" if importlib.util.find_spec("torchinfo") else "torch meta forward + hooks"
        commands[name] = [sys.executable, "-c", TORCHINFO if "torchinfo" in name else META_HOOKS]
    medians = time_commands(commands, repeats)
    ok = report(medians, "python -c pass", {"dlcalc net @resnet50 | cat": 5.0})
    for name in commands:
        if name.startswith(("torchinfo", "torch meta")):
            print(f"{name} takes {medians[name] / medians['dlcalc net @resnet50 | cat']:.1f}x as long as dlcalc net")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
