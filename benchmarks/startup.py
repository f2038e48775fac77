"""Start-up: `dlcalc conv-out --I 32 --K 3 --S 2` against `python -c pass`, side by side.

Target (issue 2): at most 5x `python -c pass`. Run: python benchmarks/startup.py [repeats]
[--against DIR]: with another checkout DIR (e.g. `git worktree add /tmp/before main`), its dlcalc
commands are timed in the same interleaved runs (`python -m dlcalc` with DIR on PYTHONPATH).
"""

from __future__ import annotations

import shutil
import sys

from _timing import report, time_commands


def main() -> int:
    args = sys.argv[1:]
    against = None
    if "--against" in args:
        position = args.index("--against")
        against = args[position + 1]
        del args[position:position + 2]
    repeats = int(args[0]) if args else 40
    dlcalc = shutil.which("dlcalc") or sys.exit("dlcalc is not on PATH: pip install . first")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "dlcalc conv-out --I 32 --K 3 --S 2": [dlcalc, "conv-out", "--I", "32", "--K", "3", "--S", "2"],
        "dlcalc conv-out ... --json": [dlcalc, "conv-out", "--I", "32", "--K", "3", "--S", "2", "--json"],
        "python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
        "python -c 'import typer'": [sys.executable, "-c", "import typer"],
        "dlcalc list (Typer route)": [dlcalc, "list"],
    }
    if against:
        before = ["env", f"PYTHONPATH={against}", sys.executable, "-m", "dlcalc"]
        commands["before: conv-out --I 32 --K 3 --S 2"] = [*before, "conv-out", "--I", "32", "--K", "3", "--S", "2"]
        commands["before: conv-out ... --json"] = [*before, "conv-out", "--I", "32", "--K", "3", "--S", "2", "--json"]
        commands["before: list (Typer route)"] = [*before, "list"]
        after = [sys.executable, "-m", "dlcalc"]
        commands["after: conv-out --I 32 --K 3 --S 2"] = [*after, "conv-out", "--I", "32", "--K", "3", "--S", "2"]
        commands["after: conv-out ... --json"] = [*after, "conv-out", "--I", "32", "--K", "3", "--S", "2", "--json"]
        commands["after: list (Typer route)"] = [*after, "list"]
    if shutil.which("qalc"):
        commands["qalc 1+1"] = ["qalc", "1+1"]
    medians = time_commands(commands, repeats)
    return 0 if report(medians, "python -c pass", {"dlcalc conv-out --I 32 --K 3 --S 2": 5.0}) else 1


if __name__ == "__main__":
    sys.exit(main())
