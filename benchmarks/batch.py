"""Batch: 1,000,000 rows of conv-out from stdin (CSV) against the equivalent awk one-liner.

Targets: at most 1.5x awk, output identical (issue 2); every other route (one non-numeric cell,
--json) within 3x of the NumPy route of the same output form (issue 12).
Run: python benchmarks/batch.py [rows] [repeats]
"""

from __future__ import annotations

import filecmp
import os
import random
import shutil
import subprocess
import sys
import tempfile

from _timing import report, time_commands

# floor((I + 2P − d(K−1) − 1)/S) + 1; every generated row is valid, so the numerator is >= 0 and
# awk's int() (truncation) is the floor.
AWK_PROGRAM = "NR>1{print int(($1+2*$4-$5*($2-1)-1)/$3)+1}"


def write_rows(path: str, rows: int) -> None:
    rng = random.Random(0)
    with open(path, "w") as out:
        out.write("I,K,S,P,d\n")
        for _ in range(rows):
            kernel, dilation = rng.randint(1, 7), rng.randint(1, 3)
            size = rng.randint(dilation * (kernel - 1) + 1, 512)
            out.write(f"{size},{kernel},{rng.randint(1, 4)},{rng.randint(0, 3)},{dilation}\n")


def main() -> int:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    dlcalc = shutil.which("dlcalc") or sys.exit("dlcalc is not on PATH: pip install . first")
    awk = shutil.which("mawk") or shutil.which("awk")
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "rows.csv")
        write_rows(data, rows)
        outputs = {}
        for name, argv in (("dlcalc", [dlcalc, "conv-out", "--batch", "-"]), ("awk", [awk, "-F,", AWK_PROGRAM])):
            outputs[name] = os.path.join(tmp, name + ".out")
            with open(data, "rb") as stdin, open(outputs[name], "wb") as stdout:
                subprocess.run(argv, stdin=stdin, stdout=stdout, check=True)
        identical = filecmp.cmp(outputs["dlcalc"], outputs["awk"], shallow=False)
        print(f"{rows:,} rows; outputs identical: {identical}")
        bad = os.path.join(tmp, "one-bad-cell.csv")
        write_one_bad_cell(data, bad)
        fast, general = "dlcalc conv-out --batch - (NumPy route)", "dlcalc ... one non-numeric cell"
        medians = time_commands(
            {f"{os.path.basename(awk)} one-liner": [awk, "-F,", AWK_PROGRAM],
             fast: [dlcalc, "conv-out", "--batch", "-"],
             general: one_row_fails([dlcalc, "conv-out", "--batch", bad]),
             "dlcalc ... --json": [dlcalc, "conv-out", "--batch", data, "--json"],
             "dlcalc ... --json, one non-numeric cell": one_row_fails([dlcalc, "conv-out", "--batch", bad, "--json"])},
            repeats,
            stdin_path=data,
        )
    met = report(medians, f"{os.path.basename(awk)} one-liner", {fast: 1.5})
    print("\nthe general route against the NumPy route, plain and --json:")
    met &= report({name: medians[name] for name in (fast, general)}, fast, {general: 3.0})
    json_fast, json_general = "dlcalc ... --json", "dlcalc ... --json, one non-numeric cell"
    met &= report({name: medians[name] for name in (json_fast, json_general)}, json_fast, {json_general: 3.0})
    return 0 if met and identical else 1


def one_row_fails(argv: list[str]) -> list[str]:
    """The command, with its exit status 1 (a row failed, as it should) counted as success."""
    return ["sh", "-c", '"$@" 2>/dev/null; test $? -eq 1', "sh", *argv]


def write_one_bad_cell(source: str, path: str) -> None:
    """The same rows with one cell, half-way down, that is not a number (the general route)."""
    with open(source) as rows:
        lines = rows.readlines()
    middle = len(lines) // 2
    lines[middle] = "x" + lines[middle][lines[middle].index(","):]
    with open(path, "w") as out:
        out.writelines(lines)


if __name__ == "__main__":
    sys.exit(main())
