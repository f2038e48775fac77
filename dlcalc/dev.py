"""Developer commands: ``python -m dlcalc.dev regen`` rewrites every generated file (the command
index and the three completion scripts) from the declarations. Tests check they are current."""

from __future__ import annotations

import sys
from pathlib import Path

SHELLS = ("bash", "zsh", "fish")


def generated_files(root: Path) -> dict[Path, str]:
    """Each generated file of a checkout at ``root`` and the text it should hold."""
    from dlcalc.cli.completions import script
    from dlcalc.core.registry import index_text

    files = {root / "dlcalc" / "core" / "_index.py": index_text()}
    files.update({root / "completions" / f"dlcalc.{shell}": script(shell) for shell in SHELLS})
    return files


def regen(root: Path) -> list[Path]:
    """Rewrite the generated files that are stale; return them."""
    changed = []
    for path, text in generated_files(root).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str]) -> int:
    if argv != ["regen"]:
        print("usage: python -m dlcalc.dev regen", file=sys.stderr)
        return 2
    root = Path(__file__).resolve().parent.parent
    for path in regen(root):
        print(f"rewrote {path.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
