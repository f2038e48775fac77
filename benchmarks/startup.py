"""Start-up: `dlcalc conv-out --I 32 --K 3 --S 2` against `python -c pass`, side by side.

Target (issue 2): at most 5x `python -c pass`. Run: python benchmarks/startup.py [repeats]
"""

from __future__ import annotations

import shutil
import sys

from _timing import report, time_commands


def main() -> int:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    dlcalc = shutil.which("dlcalc") or sys.exit("dlcalc is not on PATH: pip install . first")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "dlcalc conv-out --I 32 --K 3 --S 2": [dlcalc, "conv-out", "--I", "32", "--K", "3", "--S", "2"],
        "dlcalc conv-out ... --json": [dlcalc, "conv-out", "--I", "32", "--K", "3", "--S", "2", "--json"],
        "python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
        "python -c 'import typer'": [sys.executable, "-c", "import typer"],
        "dlcalc list (Typer route)": [dlcalc, "list"],
    }
    if shutil.which("qalc"):
        commands["qalc 1+1"] = ["qalc", "1+1"]
    medians = time_commands(commands, repeats)
    return 0 if report(medians, "python -c pass", {"dlcalc conv-out --I 32 --K 3 --S 2": 5.0}) else 1


if __name__ == "__main__":
    sys.exit(main())
