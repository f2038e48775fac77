"""Time `dlcalc check-deriv` (derivative plus verification) on the sheet's §4 identities and on
issue 11's deep compositions, new grammar, matrix-by-scalar and matrix Hessians, against
`python -c "import sympy"`.

Both run as subprocesses, interleaved in one run (benchmarks/_timing.py); the report is each
command's median as a ratio of the baseline's (target: at most 1.5).
Usage: python benchmarks/check_deriv.py [repeats]
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from _timing import report, time_commands

# The tests' table of derivatives (tests/deriv/expressions.py): the sheet's identities with their
# claims, then the deep compositions without one.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "deriv"))
from expressions import COMPOSITIONS, SHEET_4_2, SHEET_4_4  # noqa: E402

IDENTITIES = SHEET_4_2 + SHEET_4_4


def main() -> int:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    dlcalc = shutil.which("dlcalc") or sys.exit("dlcalc is not on PATH: pip install . first")
    commands = {"python -c 'import sympy'": [sys.executable, "-c", "import sympy"]}
    for expr, wrt, claim in IDENTITIES:
        commands[f"check-deriv {expr!r} --wrt {wrt}"] = [dlcalc, "check-deriv", expr, "--wrt", wrt, "--expect", claim]
    for expr, wrt, options in COMPOSITIONS:
        label = f"check-deriv {expr!r} --wrt {wrt} {' '.join(options)}".rstrip()
        commands[label] = [dlcalc, "check-deriv", expr, "--wrt", wrt, *options]
    medians = time_commands(commands, repeats)
    targets = {name: 1.5 for name in commands if name.startswith("check-deriv")}
    return 0 if report(medians, "python -c 'import sympy'", targets) else 1


if __name__ == "__main__":
    sys.exit(main())
