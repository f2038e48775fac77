"""The packages' layering, checked rather than hoped for: every import in dlcalc/ (module level or
inside a function) is read with ast and must point down the layers of DESIGN.md."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "dlcalc"

# What each package may import of dlcalc besides itself. cli and the top-level modules (the API,
# python -m dlcalc, the developer commands) sit on top and may import anything.
ALLOWED = {
    "core": set(),
    "catalogue": {"core"},
    "deriv": {"core"},
    "net": {"core"},
    "llm": {"core"},
    "render": {"core"},
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) for every import of dlcalc in the file (relative ones made absolute)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(path, node.level, node.module)
            found.append((node.lineno, module))
            if module == "dlcalc" or (node.level and not node.module):  # from dlcalc import x; from . import x
                found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name == "dlcalc" or name.startswith("dlcalc.")]


def _absolute(path: Path, level: int, module: str | None) -> str:
    """``from ..render import x`` in dlcalc/core/a.py -> "dlcalc.render"."""
    if level == 0:
        return module or ""
    package = ("dlcalc", *path.relative_to(PACKAGE).parts[:-1])
    base = package[: len(package) - (level - 1)]
    return ".".join((*base, module) if module else base)


def violations() -> list[str]:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if len(parts) == 1 or parts[0] not in ALLOWED:
            continue
        layer = parts[0]
        for line, name in imports_of(path):
            target = name.split(".")
            if len(target) == 1:  # `import dlcalc`: the top level, above every package
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}")
                continue
            if target[1] == layer:
                if layer == "catalogue" and _crosses_areas(parts, target):
                    wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports another area, {name}")
                continue
            if target[1] not in ALLOWED[layer]:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name} ({layer} may import "
                             f"{', '.join(sorted(ALLOWED[layer])) or 'nothing else of dlcalc'})")
    return wrong


def _crosses_areas(parts: tuple[str, ...], target: list[str]) -> bool:
    """An area module may import the catalogue's private shared modules (_common, _...), not an area."""
    if len(target) < 3:
        return True
    module = target[2]
    return not module.startswith("_") and module != Path(parts[-1]).stem


def test_every_import_follows_the_layering():
    assert violations() == []


def test_the_checker_sees_a_wrong_arrow(tmp_path, monkeypatch):
    """Guard the guard: a core module importing render, or one area importing another, is caught."""
    fake = tmp_path / "dlcalc"
    (fake / "core").mkdir(parents=True)
    (fake / "catalogue").mkdir()
    (fake / "core" / "bad.py").write_text("def f():\n    from dlcalc.render.output import emit\n")
    (fake / "catalogue" / "area_a.py").write_text("from dlcalc.catalogue.area_b import g\nfrom dlcalc.catalogue._common import h\n")
    (fake / "render").mkdir()
    (fake / "render" / "sly.py").write_text("from ..cli import app\nfrom . import output\nfrom .output import emit\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake)
    found = violations()
    assert len(found) == 3
    assert any("render/sly.py:1 imports dlcalc.cli " in line for line in found)
    assert any("core/bad.py:2 imports dlcalc.render.output" in line for line in found)
    assert any("area_a.py:1 imports another area, dlcalc.catalogue.area_b" in line for line in found)


def test_catalogue_modules_stay_small():
    """Areas over ~500 lines are split along the sheet's subsections, so each reads in one sitting."""
    long = {p.name: n for p in (PACKAGE / "catalogue").glob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 550}
    assert long == {}
