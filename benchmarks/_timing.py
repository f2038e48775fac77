"""Side-by-side timing of whole commands: interleaved runs, medians, ratios."""

from __future__ import annotations

import statistics
import subprocess
import time


def time_commands(commands: dict[str, list[str]], repeats: int, stdin_path: str | None = None) -> dict[str, float]:
    """Median wall time of each command, the runs interleaved so that drift hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, argv in commands.items():
            stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
            try:
                start = time.perf_counter()
                subprocess.run(argv, stdin=stdin, stdout=subprocess.DEVNULL, check=True)
                samples[name].append(time.perf_counter() - start)
            finally:
                if stdin_path:
                    stdin.close()
    return {name: statistics.median(times) for name, times in samples.items()}


def report(medians: dict[str, float], baseline: str, targets: dict[str, float]) -> bool:
    """Print each median and its ratio to the baseline; True if every target ratio is met."""
    ok = True
    for name, seconds in medians.items():
        ratio = seconds / medians[baseline]
        target = targets.get(name)
        verdict = "" if target is None else (f"  target <= {target}x: " + ("met" if ratio <= target else "MISSED"))
        ok &= target is None or ratio <= target
        print(f"{name:<40} {seconds * 1000:8.1f} ms  {ratio:6.2f}x {baseline}{verdict}")
    return ok
