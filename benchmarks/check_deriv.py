"""Time `dlcalc check-deriv --expect` on the sheet's §4 identities against `python -c "import sympy"`.

Both are run as subprocesses, interleaved in one run, timed with time.perf_counter; the report is
the ratio of medians (target: at most 1.5). Usage:

    python benchmarks/check_deriv.py [--repeats 7] [--library]

--library times `python -c "from dlcalc.deriv import check_derivative; ..."` instead of the
console script (for use before the CLI exists).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

IDENTITIES = [  # (expr, wrt, claim): sheet §4.2-4.5, corrected as in the catalogue
    ("a.T@x", "x", "a"),
    ("x.T@x", "x", "2*x"),
    ("b.T@A@x", "x", "A.T@b"),
    ("x.T@A@x", "x", "(A + A.T)@x"),
    ("(A@x + b).T@C@(D@x + e)", "x", "D.T@C.T@(A@x + b) + A.T@C@(D@x + e)"),
    ("norm(A@x - b)**2", "x", "2*A.T@(A@x - b)"),
    ("a.T@X@b", "X", "a@b.T"),
    ("a.T@X.T@b", "X", "b@a.T"),
    ("a.T@X.T@X@b", "X", "X@(a@b.T + b@a.T)"),
    ("trace(X)", "X", "eye(n)"),
    ("trace(A@X@B)", "X", "A.T@B.T"),
    ("trace(A@X.T@B)", "X", "B@A"),
]


def command(expr: str, wrt: str, claim: str, library: bool) -> list:
    if library:
        code = f"from dlcalc.deriv import check_derivative; check_derivative({expr!r}, {wrt!r}, expect={claim!r})"
        return [sys.executable, "-c", code]
    script = shutil.which("dlcalc", path=os.path.dirname(sys.executable)) or "dlcalc"
    return [script, "check-deriv", expr, "--wrt", wrt, "--expect", claim]


def timed(cmd: list) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--library", action="store_true")
    args = parser.parse_args()
    baseline_cmd = [sys.executable, "-c", "import sympy"]
    baseline, ours = [], {i: [] for i in range(len(IDENTITIES))}
    for _ in range(args.repeats):
        for i, (expr, wrt, claim) in enumerate(IDENTITIES):
            baseline.append(timed(baseline_cmd))
            ours[i].append(timed(command(expr, wrt, claim, args.library)))
    reference = statistics.median(baseline)
    print(f"python -c 'import sympy': median {reference * 1000:.0f} ms")
    worst = 0.0
    for i, (expr, wrt, claim) in enumerate(IDENTITIES):
        ratio = statistics.median(ours[i]) / reference
        worst = max(worst, ratio)
        print(f"{ratio:5.2f}x  check-deriv {expr!r} --wrt {wrt} --expect {claim!r}")
    print(f"worst ratio {worst:.2f} (target <= 1.5): {'ok' if worst <= 1.5 else 'TOO SLOW'}")


if __name__ == "__main__":
    main()
